"""The recommendation routes through ``chalice.test.Client``, against the served model recomputed in the test.

The model is the one the real training job published on the generated lake (``api_models``). Each answer is
checked three ways: the contract (keys, k, filters, no history, no duplicates), the ranking rule written out
here from scratch (the best scores, one copy per work; apart from them the discovery picks, titles nobody rated), and
equality with ``HybridModel``'s public methods (``fold_in``, ``content_scores``, ``similar_scores``, ``rank``).
"""

from __future__ import annotations

import dataclasses
import json
from urllib.parse import quote, urlencode

import numpy as np
import pytest
from chalicelib import recommend
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from model_training import registry
from reelrec.audience import allowed as audience_allows
from reelrec.audience import name as audience_name
from reelrec.audience import of_history
from reelrec.genres import genre_key
from reelrec.histories import opened
from reelrec.model_artifact import ModelArtifact
from reelrec.schemas import CONTENT_BLOCKS, PLATFORMS, TITLE_TYPES
from reelrec.storage import open_store
from tests.api_reference import BAD_REQUEST_KEYS, Reference, api_client, get, known_history, known_users

JSON = {"content-type": "application/json"}
ITEM_KEYS = {"id", "title", "platform", "type", "release_year", "score", "reason"}
LIKED = 4.0
CONTENT_REASON = "close in content to titles you liked"


# -- fixtures and helpers ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def artifact(api_models) -> ModelArtifact:
    """The served model, loaded the way the API finds it: the registry's pointer, then the artifact's bytes."""
    store = open_store(api_models)
    pointer = registry.current(store)
    assert pointer is not None, "the training job published no model"
    return ModelArtifact.from_bytes(store.read_bytes(pointer["key"]))


@pytest.fixture(scope="module")
def lake(api_lake) -> dict[str, dict]:
    """The lake's title rows by id (the reasons' claims are checked against the catalog's own text)."""
    return Reference(api_lake).by_id


def post(client, body: object) -> tuple[int, dict]:
    """POST /recommendations: a dict is sent as JSON, a str or bytes as it is."""
    raw = body if isinstance(body, str | bytes) else json.dumps(body)
    response = client.http.post("/recommendations", headers=JSON, body=raw)
    return response.status_code, json.loads(response.body)


def rows_of(artifact: ModelArtifact, items: list[dict]) -> np.ndarray:
    rows = [artifact.titles.row_of(item["id"]) for item in items]
    assert None not in rows, [item["id"] for item in items]
    return np.array(rows, np.int64)


def allowed_titles(artifact: ModelArtifact, platform: str | None = None, type: str | None = None) -> np.ndarray:
    """Titles a filter keeps, from the artifact's codes (indices into the schema's PLATFORMS and TITLE_TYPES)."""
    keep = np.ones(len(artifact), bool)
    if platform is not None:
        keep &= artifact.titles.platform == PLATFORMS.index(platform)
    if type is not None:
        keep &= artifact.titles.kind == TITLE_TYPES.index(type)
    return keep


def user_scores(artifact: ModelArtifact, x: np.ndarray, items: np.ndarray, scores: np.ndarray,
                mask: np.ndarray | None = None) -> np.ndarray:
    """The blended score of every title for a user with factors ``x`` and this history, for a list under ``mask``:
    the genre weight grows by ``unknown_genre`` times the share of the request the collaborative side has not seen."""
    m = artifact.model
    seen = np.minimum(np.expm1(m.pop_prior.astype(np.float64)) / m.known_ratings, 1.0)
    known = seen[np.asarray(items, np.int64)].mean()
    if mask is not None:
        known *= min(1.0, seen[mask].mean() / seen.mean())
    weights = m.block_weight.copy()
    genre = CONTENT_BLOCKS.index("genre")
    weights[genre] += m.unknown_genre * (1.0 - known)
    # plus the focus term: the share of the liked titles' weight held by their most shared genre column
    w = np.asarray(scores, np.float64) - m.content_center
    held: dict[int, float] = {}
    for item, wi in zip(np.asarray(items, np.int64).tolist(), w.tolist(), strict=True):
        if wi > 0:
            for j in range(m.feat_indptr[item], m.feat_indptr[item + 1]):
                if m.feat_block[m.feat_indices[j]] == genre:
                    held[int(m.feat_indices[j])] = held.get(int(m.feat_indices[j]), 0.0) + wi
    if (w > 0).any():
        ramp = (max(held.values(), default=0.0) / w[w > 0].sum() - m.focus_from) / (1.0 - m.focus_from)
        weights[genre] += m.focus_genre * min(max(ramp, 0.0), 1.0)
    return x @ m.item_factors.T + np.float32(m.pop_weight) * m.pop_prior + m.content_scores(items, scores, weights)


def check_ranking(artifact: ModelArtifact, items: list[dict], total: np.ndarray, k: int, allowed: np.ndarray,
                  exclude: np.ndarray, discover: list[dict] | None = None) -> np.ndarray:
    """The ranking rule from scratch: the k best allowed works (fewer only when fewer are allowed), none excluded,
    none twice, in non-increasing order; and, when given, ``discover``: the best allowed titles nobody rated that
    the list does not hold, one per ten listed, only as many as the list lacks. Returns the items' rows."""
    rows = rows_of(artifact, items)
    # one work across services: a work scores as its best copy and is shown once; excluding a copy excludes it
    work = artifact.titles.work
    work_best: dict[int, float] = {}
    for i, w in enumerate(work.tolist()):
        work_best[w] = max(work_best.get(w, -np.inf), float(total[i]))
    raw, total = total, np.array([work_best[w] for w in work.tolist()])
    gone = {int(w) for w in work[np.asarray(exclude, np.int64)]}
    pool = allowed & ~np.isin(work, list(gone))
    # several allowed copies of one work: only the best-scoring allowed copy can be shown
    allowed_works = {int(w) for w in work[pool]}
    assert len(items) == min(k, len(allowed_works)), (len(items), k, len(allowed_works))
    assert len(set(rows.tolist())) == len(rows), "duplicates"
    assert len(set(work[rows].tolist())) == len(rows), "two copies of one work"
    assert pool[rows].all(), "an excluded or filtered-out title"
    for item, row in zip(items, rows, strict=True):
        assert item["score"] == pytest.approx(float(total[row]), abs=1e-4), item
    one_per_work: dict[int, float] = {}
    for i in np.flatnonzero(pool).tolist():
        one_per_work[int(work[i])] = float(total[i])
    best = np.sort(np.array(list(one_per_work.values()), np.float64))[::-1]
    s = total[rows].astype(np.float64)
    assert (np.diff(s) <= 1e-6).all(), s
    assert np.allclose(s, best[: len(rows)], atol=1e-6), "the list is not the best scores"
    if discover is not None:
        check_discover(artifact, rows, discover, raw, total, k, pool)
    return rows


def check_discover(artifact: ModelArtifact, rows: np.ndarray, discover: list[dict], raw: np.ndarray,
                   total: np.ndarray, k: int, pool: np.ndarray) -> None:
    """The discovery picks (``raw``: the scores, ``total``: each work's best): works whose shown copy (the
    best-scoring allowed one) nobody rated, none in the list, the best such scores, as many as the list lacks of one
    per ``discovery_every`` (none below k = 3)."""
    m, work = artifact.model, artifact.titles.work
    every = m.discovery_every
    slots = -(-k // every) if every > 0 and k >= 3 else 0
    found = rows_of(artifact, discover)
    listed = set(work[rows].tolist())
    shown_copy: dict[int, int] = {}
    for i in np.flatnonzero(pool).tolist():
        w = int(work[i])
        if w not in shown_copy or raw[i] > raw[shown_copy[w]]:
            shown_copy[w] = i
    candidates = {w: float(total[i]) for w, i in shown_copy.items() if w not in listed and not m.rated[i]}
    want = min(max(slots - int((~m.rated[rows]).sum()), 0), len(candidates))
    assert len(found) == want, (len(found), want, slots)
    assert not m.rated[found].any() and pool[found].all(), "a rated or filtered-out discovery pick"
    assert not set(work[found].tolist()) & listed, "a discovery pick the list already holds"
    best = sorted(candidates.values(), reverse=True)[: len(found)]
    assert np.allclose(total[found], best, atol=1e-6), (total[found], best)
    for item, row in zip(discover, found, strict=True):
        assert item["score"] == pytest.approx(float(total[row]), abs=1e-4), item


def named_title(reason: str, prefixes: tuple[str, ...], suffix: str = "") -> str | None:
    """The title a reason names after one of ``prefixes`` (and before ``suffix``), else None."""
    for prefix in prefixes:
        if reason.startswith(prefix) and reason.endswith(suffix):
            return reason[len(prefix):len(reason) - len(suffix)]
    return None


def check_shared(artifact: ModelArtifact, lake: dict[str, dict], reason: str, item: dict,
                 candidates: dict[str, list[int]]) -> bool:
    """A content reason naming one of ``candidates`` (title -> rows: generated titles repeat names) says what they
    really share with one of them: the same director, a cast member (from the lake's text, not the model's
    features), or genres both have. False: not such a reason."""
    for prefix, field in (("same director as ", "director"), ("shares cast with ", "cast")):
        name = named_title(reason, (prefix,))
        if name is not None:
            assert name in candidates, (reason, list(candidates)[:5])
            mine = set((lake[item["id"]][field] or "").split(", ")) - {""}
            theirs = [set((lake[artifact.titles.ids[r].decode()][field] or "").split(", ")) - {""}
                      for r in candidates[name]]
            assert any(mine & t for t in theirs), (reason, mine, theirs)
            return True
    if " like " in reason:
        genres, name = reason.split(" like ", 1)
        if name in candidates:
            named = genres.split(" and ")
            assert 1 <= len(named) <= 2 and set(named) <= {g.lower() for g in item["genres"]}, (reason, item["genres"])
            theirs = [{genre_key(g) for g in artifact.titles.card(r)["genres"]} for r in candidates[name]]
            assert any(all(genre_key(g) in t for g in named) for t in theirs), (reason, theirs)
            return True
    return False


def check_user_reasons(artifact: ModelArtifact, lake: dict[str, dict], items: list[dict], hist_items: np.ndarray,
                       hist_scores: np.ndarray) -> int:
    """Each reason is true: a collaborative one names a title rated 4 or more, a content one names what the pick
    shares with a title rated well, a disliked title (< 3) is never named. Returns how many unrated titles were shown."""
    t, m = artifact.titles, artifact.model
    scores = dict(zip(np.asarray(hist_items).tolist(), np.asarray(hist_scores).tolist(), strict=True))
    best = LIKED if max(scores.values()) >= LIKED else 3.0
    cited: dict[str, list[int]] = {}
    for i, s in scores.items():
        if s >= best:
            cited.setdefault(t.title[i], []).append(i)
    liked = {t.title[i] for i, s in scores.items() if s >= LIKED}
    unrated = 0
    for item, row in zip(items, rows_of(artifact, items), strict=True):
        reason = item["reason"]
        assert isinstance(reason, str) and reason.strip(), item
        if not m.rated[row]:
            unrated += 1
        collab = named_title(reason, ("viewers who liked ",), " also liked this")
        if collab is not None:
            assert m.rated[row] and collab in liked, (item, liked)
        elif reason == "liked by viewers who rate like you":
            assert m.rated[row] and not liked
        elif reason.startswith("popular on "):
            assert reason == f"popular on {item['platform_name']}", item
        elif not check_shared(artifact, lake, reason, item, cited):
            assert reason == (CONTENT_REASON if liked else "close in content to titles you rated 3 or more"), item
    return unrated


def check_bad_request(status: int, body: dict, parameter: str | None = None) -> None:
    assert status == 400 and set(body) >= BAD_REQUEST_KEYS and body["error"] == "BadRequest", (status, body)
    assert isinstance(body["message"], str) and body["message"] and body["allowed"], body
    if parameter is not None:
        assert body["parameter"] == parameter, body
        assert parameter.split(".")[0] in body["message"], body


@pytest.fixture(scope="module")
def viewers(api_users) -> np.ndarray:
    """Every viewer in the history store the ETL built."""
    return known_users(api_users)


@pytest.fixture(scope="module")
def sample(artifact, api_users, viewers) -> list[int]:
    """First, middle, last and the longest history."""
    sizes = [len(known_history(artifact, api_users, int(u))[0]) for u in viewers]
    longest = viewers[int(np.argmax(sizes))]
    return sorted({int(viewers[0]), int(viewers[len(viewers) // 2]), int(viewers[-1]), int(longest)})


# -- known users ---------------------------------------------------------------------------------------
def test_known_users_get_their_ranking(client, artifact, lake, api_users, sample):
    m = artifact.model
    unrated_shown = discovered = 0
    for uid in sample:
        hist_items, hist_scores = known_history(artifact, api_users, uid)
        assert len(hist_items)
        x = m.fold_in([(hist_items, hist_scores)])[0]
        total = user_scores(artifact, x, hist_items, hist_scores)
        assert np.allclose(total, m.score_new([(hist_items, hist_scores)])[0], atol=1e-4)
        for k in (None, 1, 2, 3, 10, 37, 100):
            status, body = get(client, f"/users/{uid}/recommendations", k=k)
            assert status == 200, body
            assert body["model_version"] == artifact.version and body["user_id"] == uid
            items = body["items"]
            assert all(set(item) >= ITEM_KEYS for item in items), items[:1]
            rows = check_ranking(artifact, items, total, k or 10, allowed_titles(artifact), hist_items,
                                 body["discover"])
            assert not np.isin(rows, hist_items).any(), "a title from the training history"
            assert rows.tolist() == m.rank(total, k or 10, exclude=hist_items).tolist()
            unrated_shown += check_user_reasons(artifact, lake, items + body["discover"], hist_items, hist_scores)
            discovered += len(body["discover"])
    assert unrated_shown > 0, "no title without ratings was shown: the content-reason check did not run"
    assert discovered > 0, "no discovery pick: check_discover only saw empty ones"


@pytest.mark.parametrize(("platform", "type"), [
    ("netflix", None), (" HULU ", None), ("Disney", None), (None, "movie"), (None, " TV  Show "),
    ("amazon", "tv show"), ("NETFLIX", "Movie"), ("disney", "tv show"),
])
def test_known_user_filters_hold_on_every_item(client, artifact, lake, api_users, sample, platform, type):
    m = artifact.model
    uid = sample[1]
    hist_items, hist_scores = known_history(artifact, api_users, uid)
    want_platform = platform and platform.strip().lower()
    want_type = type and " ".join(type.split()).lower()
    allowed = allowed_titles(artifact, want_platform, want_type)
    total = user_scores(artifact, m.fold_in([(hist_items, hist_scores)])[0], hist_items, hist_scores, allowed)
    for k in (5, 30):
        status, body = get(client, f"/users/{uid}/recommendations", k=k, platform=platform, type=type)
        assert status == 200, body
        items = body["items"]
        assert len(items) == k
        assert all(want_platform in (None, item["platform"]) and want_type in (None, item["type"]) for item in items)
        rows = check_ranking(artifact, items, total, k, allowed, hist_items, body["discover"])
        assert rows.tolist() == m.rank(total, k, exclude=hist_items, mask=allowed).tolist()
        assert all(want_platform in (None, item["platform"]) and want_type in (None, item["type"])
                   for item in body["discover"])
        check_user_reasons(artifact, lake, items + body["discover"], hist_items, hist_scores)


def test_unknown_users_are_a_404_naming_them(client, viewers):
    ids = viewers
    for uid in (int(ids[-1]) + 1, 0, 10**17 + 3):
        assert uid not in ids
        status, body = get(client, f"/users/{uid}/recommendations")
        assert status == 404 and body["error"] == "NotFound", body
        assert f"user {uid}" in body["message"] and "POST /recommendations" in body["message"]
    assert get(client, f"/users/%20{int(ids[0])}%20/recommendations")[0] == 200  # spaces around are ignored


BAD_USER_REQUESTS = [
    ("/users/abc/recommendations", {}, "user_id"),
    ("/users/-1/recommendations", {}, "user_id"),
    ("/users/1.5/recommendations", {}, "user_id"),
    ("/users/1e3/recommendations", {}, "user_id"),
    ("/users/%EF%BC%91/recommendations", {}, "user_id"),  # full-width 1
    ("/users/" + "9" * 19 + "/recommendations", {}, "user_id"),
    ("/users/1/recommendations", {"k": "0"}, "k"),
    ("/users/1/recommendations", {"k": "101"}, "k"),
    ("/users/1/recommendations", {"k": "abc"}, "k"),
    ("/users/1/recommendations", {"k": "-3"}, "k"),
    ("/users/1/recommendations", {"k": "2.0"}, "k"),
    ("/users/1/recommendations", {"platform": "mars"}, "platform"),
    ("/users/1/recommendations", {"platform": "netflix+"}, "platform"),
    ("/users/1/recommendations", {"type": "cartoon"}, "type"),
    ("/users/1/recommendations", {"type": "tvshow"}, "type"),
    ("/users/1/recommendations", {"kk": "3"}, "kk"),
    ("/users/1/recommendations", {"user_id": "1"}, "user_id"),
]


@pytest.mark.parametrize(("path", "query", "parameter"), BAD_USER_REQUESTS,
                         ids=[f"{p}-{q}" for p, q, _ in BAD_USER_REQUESTS])
def test_bad_user_requests_are_a_400_naming_the_parameter(client, path, query, parameter):
    status, body = get(client, path, **query)
    check_bad_request(status, body, parameter)


def test_repeated_k_is_a_400(client):
    response = client.http.get("/users/1/recommendations?k=3&k=4")
    assert response.status_code == 400 and response.json_body["parameter"] == "k"


def test_a_filter_that_leaves_nothing_is_an_empty_list(monkeypatch, tmp_path, artifact, api_lake, api_users, sample):
    """A copy of the model whose only tv shows are three netflix titles, published in its own models area."""
    uid = sample[0]
    hist_items, hist_scores = known_history(artifact, api_users, uid)
    netflix = np.flatnonzero(artifact.titles.platform == PLATFORMS.index("netflix"))
    shows = netflix[~np.isin(netflix, hist_items)][:3]
    kind = np.full(len(artifact), TITLE_TYPES.index("movie"), artifact.titles.kind.dtype)
    kind[shows] = TITLE_TYPES.index("tv show")
    copy = dataclasses.replace(artifact, version="few-shows", titles=dataclasses.replace(artifact.titles, kind=kind))

    with opened(str(api_users)) as store:
        direct = recommend.for_user(copy, uid, store.get(uid), type="tv show", platforms=("hulu",))
    together = "no titles meet platforms=hulu and type=tv show together: each leaves some on its own, try fewer filters"
    assert direct == {"model_version": "few-shows", "user_id": uid, "items": [], "discover": [], "audience": None,
                      "message": together,
                      "based_on": {**recommend.based_on(copy, hist_items, hist_scores), "skipped": 0}}

    store = open_store(tmp_path / "models")
    registry.write_version(store, copy.version, copy.to_bytes(), {}, "")
    registry.promote(store, copy.version, "test: few tv shows")
    with api_client(monkeypatch, api_lake, models=tmp_path / "models") as c:
        path = f"/users/{uid}/recommendations"
        assert get(c, path, type="tv show", platform="hulu") == (200, direct)
        status, body = get(c, path, type="TV Show", k=10)  # fewer than k left: all of them
        assert status == 200 and sorted(rows_of(copy, body["items"]).tolist()) == sorted(shows.tolist())
        assert len(get(c, path, type="movie", k=10)[1]["items"]) == 10
        some = artifact.titles.ids[int(hist_items[0])].decode()
        assert post(c, {"ratings": {some: 5}, "platform": "hulu", "type": "tv show", "audience": "adults"}) == (
            200, {"model_version": "few-shows", "items": [], "discover": [], "audience": "adults", "audience_from": "request",
                  "message": together})


# -- new users (POST) ----------------------------------------------------------------------------------
def pick_titles(artifact: ModelArtifact, n: int, rated: bool = True, start: int = 0) -> list[int]:
    return [int(r) for r in np.flatnonzero(artifact.model.rated == rated)[start::97][:n]]


def fold_in_scores(artifact: ModelArtifact, ratings: dict[int, float]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(items, scores, total): a new user folded in with ``HybridModel.fold_in``, then scored."""
    m = artifact.model
    items = np.array(list(ratings), np.int64)
    scores = np.array(list(ratings.values()), np.float32)
    x = m.fold_in([(items, scores)])[0]
    total = user_scores(artifact, x, items, scores)
    assert np.allclose(total, m.score_new([(items, scores)])[0], atol=1e-4)
    return items, scores, total


@pytest.mark.parametrize("unrated", [False, True])
def test_new_user_gets_the_folded_in_ranking(client, artifact, lake, unrated):
    m = artifact.model
    rows = pick_titles(artifact, 2) + pick_titles(artifact, 1, rated=not unrated, start=5)
    ratings = dict(zip(rows, (5.0, 4.5, 2.0), strict=True))
    items, scores, total = fold_in_scores(artifact, ratings)
    assert of_history(artifact.titles.audience[items], scores) is None, "a kids history: its picks are filtered"
    body_ratings = {artifact.titles.ids[r].decode(): s for r, s in ratings.items()}
    unrated_shown = 0
    for k in (None, 1, 3, 10, 50, 100):
        status, body = post(client, {"ratings": body_ratings} | ({} if k is None else {"k": k}))
        assert status == 200 and set(body) == {"model_version", "items", "discover", "audience"}
        assert body["audience"] is None
        assert body["model_version"] == artifact.version
        assert all(set(item) >= ITEM_KEYS for item in body["items"])
        got = check_ranking(artifact, body["items"], total, k or 10, allowed_titles(artifact), items, body["discover"])
        assert not np.isin(got, items).any(), "a rated title came back"
        expected = m.rank(total, k or 10, exclude=items)
        assert set(got.tolist()) == set(expected.tolist()) and got.tolist() == expected.tolist()
        unrated_shown += check_user_reasons(artifact, lake, body["items"] + body["discover"], items, scores)
    assert unrated_shown > 0


def test_new_user_filters_hold(client, artifact):
    m = artifact.model
    ratings = dict(zip(pick_titles(artifact, 3, start=11), (4.0, 5.0, 3.5), strict=True))
    items, scores, _ = fold_in_scores(artifact, ratings)
    x = m.fold_in([(items, scores)])[0]
    body_ratings = {artifact.titles.ids[r].decode(): s for r, s in ratings.items()}
    for platform in PLATFORMS:
        for type in TITLE_TYPES:
            status, body = post(client, {"ratings": body_ratings, "k": 12, "platform": platform.upper(),
                                         "type": f" {type.title()} "})
            assert status == 200, body
            assert all(item["platform"] == platform and item["type"] == type for item in body["items"])
            allowed = allowed_titles(artifact, platform, type)
            total = user_scores(artifact, x, items, scores, allowed)
            assert np.allclose(total, m.score_new([(items, scores)], allowed)[0], atol=1e-4)
            got = check_ranking(artifact, body["items"], total, 12, allowed, items, body["discover"])
            assert got.tolist() == m.rank(total, 12, exclude=items, mask=allowed).tolist()
    # blank platform and type are absent, as in the query string
    assert post(client, {"ratings": body_ratings, "platform": "", "type": None}) == post(client, {"ratings": body_ratings})


def test_new_user_ids_are_case_insensitive(client, artifact):
    rows = pick_titles(artifact, 3, start=20)
    ids = [artifact.titles.ids[r].decode() for r in rows]
    lower = post(client, {"ratings": dict(zip(ids, (5, 4, 1), strict=True)), "k": 7})
    spelled = post(client, {"ratings": dict(zip([ids[0].upper(), f" {ids[1].title()} ", ids[2]], (5, 4, 1),
                                                 strict=True)), "k": 7})
    assert lower[0] == 200 and len(lower[1]["items"]) == 7 and spelled == lower


def test_ids_in_the_body_are_taken_literally_not_percent_decoded(client, artifact):
    escaped = "ns%31"  # would be ns1 if the body's keys were decoded like path parameters
    assert artifact.titles.row_of("ns1") is not None
    status, body = post(client, {"ratings": {escaped: 4}})
    check_bad_request(status, body, "ratings")
    assert body["unknown_ids"] == [escaped]


def test_unknown_title_ids_are_a_400_naming_them(client, artifact):
    known = artifact.titles.ids[0].decode()
    status, body = post(client, {"ratings": {known: 4, "zz1": 3, "ZZ2": 4.5}})
    check_bad_request(status, body, "ratings")
    assert body["unknown_ids"] == ["zz1", "zz2"] and "zz1" in body["message"] and "zz2" in body["message"]
    assert known not in body["unknown_ids"]
    many = {f"zz{i}": 3 for i in range(25)}
    status, body = post(client, {"ratings": many})
    check_bad_request(status, body, "ratings")
    assert body["unknown_ids"] == list(many) and "and 5 more" in body["message"] and "zz19" in body["message"]


NS = "ns1"  # a title of the generated catalog (checked below)
BAD_BODIES = [
    ("not json", "body"),
    ('{"ratings": {"ns1": 4}', "body"),
    ("", "body"),
    ("null", "body"),
    ("[1, 2]", "body"),
    ('"ratings"', "body"),
    (b"\xff\xfe", "body"),
    ("[" * 5000, "body"),  # nested past the decoder's limit
    ('{"ratings": ' + "[" * 5000 + "]" * 5000 + "}", "body"),
    ({}, "ratings"),
    ({"ratings": {}}, "ratings"),
    ({"ratings": [NS]}, "ratings"),
    ({"ratings": "ns1=4"}, "ratings"),
    ({"ratings": {f"ns{i}": 4 for i in range(1001)}}, "ratings"),
    ({"ratings": {NS: 0}}, f"ratings.{NS}"),
    ({"ratings": {NS: 0.49}}, f"ratings.{NS}"),
    ({"ratings": {NS: 5.5}}, f"ratings.{NS}"),
    ({"ratings": {NS: -4}}, f"ratings.{NS}"),
    ({"ratings": {NS: "4"}}, f"ratings.{NS}"),
    ({"ratings": {NS: True}}, f"ratings.{NS}"),
    ({"ratings": {NS: None}}, f"ratings.{NS}"),
    ({"ratings": {NS: [4]}}, f"ratings.{NS}"),
    ('{"ratings": {"ns1": NaN}}', f"ratings.{NS}"),
    ('{"ratings": {"ns1": Infinity}}', f"ratings.{NS}"),
    ('{"ratings": {"ns1": -Infinity}}', f"ratings.{NS}"),
    ('{"ratings": {"ns1": 1e400}}', f"ratings.{NS}"),
    ('{"ratings": {"ns1": 1' + "0" * 400 + "}}", f"ratings.{NS}"),  # an int too large for a float
    ({"ratings": {NS: 4, "NS1": 3}}, "ratings.NS1"),
    ('{"ratings": {"ns1": 4}, "k": 3, "k": 4}', "body"),  # json.loads would silently keep the last one
    ('{"ratings": {"ns1": 4, "ns1": 5}}', "body"),
    ('{"ratings": {"ns1": 4' + "0" * 5000 + "}}", f"ratings.{NS}"),  # past Python's 4,300-digit int limit
    ('{"ratings": {"ns1": 4}, "k": -' + "9" * 5000 + "}", "k"),
    ({"ratings": {"": 4}}, "ratings."),  # the parameter names the key (here empty) inside ratings
    ({"ratings": {"x" * 33: 4}}, "ratings." + "x" * 33),
    ({"ratings": {"a\nb": 4}}, "ratings.a\nb"),
    ({"ratings": {NS: 4}, "k": True}, "k"),
    ({"ratings": {NS: 4}, "k": 0}, "k"),
    ({"ratings": {NS: 4}, "k": 101}, "k"),
    ({"ratings": {NS: 4}, "k": 5.0}, "k"),
    ({"ratings": {NS: 4}, "k": "5"}, "k"),
    ('{"ratings": {"ns1": 4}, "k": 1' + "0" * 400 + "}", "k"),
    ({"ratings": {NS: 4}, "user": 1}, "user"),
    ({"ratings": {NS: 4}, "K": 3}, "K"),
    ({"ratings": {NS: 4}, "platform": 1}, "platform"),
    ({"ratings": {NS: 4}, "platform": ["netflix"]}, "platform"),
    ({"ratings": {NS: 4}, "platform": "mars"}, "platform"),
    ({"ratings": {NS: 4}, "type": "cartoon"}, "type"),
    ({"ratings": {NS: 4}, "type": True}, "type"),
]


@pytest.mark.parametrize(("body", "parameter"), BAD_BODIES,
                         ids=[f"{i}-{p}-{str(b)[:30]}" for i, (b, p) in enumerate(BAD_BODIES)])
def test_bad_bodies_are_a_400_with_a_clear_message(client, artifact, body, parameter):
    assert artifact.titles.row_of(NS) is not None
    status, answer = post(client, body)
    check_bad_request(status, answer, parameter)
    assert len(answer["message"]) <= 500 and (answer["value"] is None or len(answer["value"]) <= 103)
    if parameter == "ratings.NS1" or (parameter == "body" and str(body).count('"k"') + str(body).count('"ns1"') > 1):
        assert "twice" in answer["message"]
    if "0" * 4300 in str(body) or "9" * 4300 in str(body):  # said in the API's words, not Python's
        assert "digits" in answer["message"] and "int_max_str_digits" not in answer["message"]
    if parameter == "body" and body and str(body).startswith("["):
        assert "nested too deeply" in answer["message"] or "JSON object" in answer["message"]


def test_post_takes_no_query_parameters(client, artifact):
    response = client.http.post("/recommendations?k=5", headers=JSON,
                                body=json.dumps({"ratings": {artifact.titles.ids[0].decode(): 4}}))
    assert response.status_code == 400 and response.json_body["parameter"] == "k"


# -- similar titles ------------------------------------------------------------------------------------
def check_similar_reasons(artifact: ModelArtifact, lake: dict[str, dict], row: int, items: list[dict]) -> None:
    t, m = artifact.titles, artifact.model
    name = t.title[row]
    for item, j in zip(items, rows_of(artifact, items), strict=True):
        reason = item["reason"]
        if reason == f"liked by the same people as {name}":
            assert m.rated[row] and m.rated[j], item
        elif not check_shared(artifact, lake, reason, item, {name: [row]}):
            assert reason == f"close in content to {name}", item


def test_similar_titles(client, artifact, lake):
    m, t = artifact.model, artifact.titles
    rated = np.flatnonzero(m.rated)
    unrated = np.flatnonzero(~m.rated)
    assert len(unrated), "every title has ratings: nothing to check for unrated ones"
    for row in (int(rated[0]), int(rated[len(rated) // 2]), int(unrated[0]), int(unrated[-1])):
        tid = t.ids[row].decode()
        sims = m.similar_scores(row)
        own = audience_name(int(t.audience[row]))  # a kids or family title's similar titles stay in its audience
        stays = own in ("kids", "family")
        allowed = allowed_titles(artifact) & (audience_allows(t.audience, own) if stays else True)
        for k in (None, 1, 4, 10, 100):
            status, body = get(client, f"/titles/{tid.upper()}/similar", k=k)
            assert status == 200, body
            assert body["model_version"] == artifact.version and body["title_id"] == tid
            assert (body["audience"], body.get("audience_from")) == ((own, "title") if stays else (None, None))
            assert all(set(item) >= ITEM_KEYS for item in body["items"])
            assert tid not in {item["id"] for item in body["items"]}
            got = check_ranking(artifact, body["items"], sims, k or 10, allowed, np.array([row]), body["discover"])
            assert got.tolist() == m.rank(sims, k or 10, exclude=np.array([row]), mask=allowed).tolist()
            check_similar_reasons(artifact, lake, row, body["items"] + body["discover"])


def test_similar_unknown_title_and_bad_k(client, artifact):
    status, body = get(client, "/titles/zz404/similar")
    assert status == 404 and body["error"] == "NotFound" and "zz404" in body["message"], body
    tid = artifact.titles.ids[0].decode()
    for query, parameter in (({"k": "0"}, "k"), ({"k": "101"}, "k"), ({"k": "abc"}, "k"), ({"k": "1e1"}, "k"),
                             ({"platform": "netflix"}, "platform"), ({"n": "3"}, "n")):
        check_bad_request(*get(client, f"/titles/{tid}/similar", **query), parameter)
    check_bad_request(*get(client, "/titles/" + "x" * 33 + "/similar"), "id")


# -- no model published --------------------------------------------------------------------------------
def test_without_a_model_recommendations_are_a_503_and_the_catalog_still_answers(monkeypatch, api_lake, artifact,
                                                                                 viewers):
    uid = int(viewers[0])
    tid = artifact.titles.ids[0].decode()
    with api_client(monkeypatch, api_lake) as c:
        answers = [get(c, f"/users/{uid}/recommendations"), get(c, f"/titles/{tid}/similar"),
                   post(c, {"ratings": {tid: 4}})]
        for status, body in answers:
            assert status == 503 and body["error"] == "Unavailable" and "training" in body["message"], body
        assert get(c, "/get_count_platform", platform="netflix")[0] == 200
        assert get(c, f"/titles/{tid}")[0] == 200
        status, body = get(c, "/health")
        assert status == 200 and body["status"] == "ok", body
        assert body["model"]["status"] == "unavailable" and "training" in body["model"]["message"]
        check_bad_request(*get(c, f"/users/{uid}/recommendations", k=0), "k")  # input rules first


# -- no input gives a 500 (hypothesis) -----------------------------------------------------------------
FAST = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
ODD = st.sampled_from([
    "", " ", "0", "1", "10", "100", "101", "-1", "1.0", "1e2", "nan", "inf", "true", "null", "%", "%25", "%zz",
    "%00", "\uff11", "\u0663", "9" * 19, "9" * 400, "netflix", " HULU ", "movie", "TV  show", "\U0001f600", "../",
])
VALUES = st.one_of(ODD, st.integers(-5, 200).map(str), st.text(max_size=12))
ERROR_STATUSES = {400: {"error", "message"}, 404: {"error", "message"}}


def check_any(response, k: int | None = None) -> None:
    """200, 400 or 404; a JSON object; an error's documented keys; a 200's contract."""
    assert response.status_code in (200, 400, 404), (response.status_code, response.body[:300])
    event(f"status {response.status_code}")
    body = json.loads(response.body)
    assert isinstance(body, dict)
    if response.status_code == 200:
        assert "model_version" in body and isinstance(body["items"], list)
        assert len(body["items"]) <= (k or 100)
        assert all(set(item) >= ITEM_KEYS and item["reason"] for item in body["items"])
    else:
        assert ERROR_STATUSES[response.status_code] <= set(body) and body["message"], body
        if response.status_code == 400:
            assert set(body) >= BAD_REQUEST_KEYS and body["error"] == "BadRequest", body


@pytest.fixture(scope="module")
def some_users(viewers) -> list[str]:
    return [str(u) for u in viewers[::300]]


@pytest.fixture(scope="module")
def some_ids(artifact) -> list[str]:
    return [i.decode() for i in artifact.titles.ids[::150]]


@FAST
@given(data=st.data())
def test_any_user_path_and_query(client, some_users, data):
    user = data.draw(st.one_of(st.sampled_from(some_users), st.integers(0, 10**20).map(str), VALUES), label="user")
    query = data.draw(st.dictionaries(st.sampled_from(["k", "platform", "type", "K", "x", ""]), VALUES, max_size=4),
                      label="query")
    path = f"/users/{quote(user, safe='')}/recommendations" + (f"?{urlencode(query)}" if query else "")
    check_any(client.http.get(path), int(query["k"]) if query.get("k", "").strip().isdecimal() else None)


JSONISH = st.one_of(st.none(), st.booleans(), st.integers(), st.integers(-10, 10), st.floats(),
                    st.floats(0, 6), st.text(max_size=8), st.sampled_from(["netflix", "Movie", "tv show", "4"]))


@FAST
@given(data=st.data())
def test_any_new_user_body(client, some_ids, data):
    key = st.one_of(st.sampled_from(some_ids), st.sampled_from(some_ids).map(str.upper), st.text(max_size=10))
    ratings = st.one_of(st.dictionaries(key, st.one_of(st.floats(0.5, 5), JSONISH), max_size=6), JSONISH,
                        st.lists(JSONISH, max_size=3))
    fields = {"ratings": ratings, "k": st.one_of(st.integers(-2, 102), JSONISH),
              "platform": JSONISH, "type": JSONISH, "extra": JSONISH}
    score = st.one_of(st.floats(0.5, 5), st.sampled_from([0.5, 1, 3, 5]))
    near = {"ratings": st.lists(st.tuples(st.sampled_from(some_ids), st.booleans(), score), min_size=1, max_size=4,
                                unique_by=lambda rating: rating[0])
                       .map(lambda ratings: {(i.upper() if up else i): s for i, up, s in ratings}),
            "k": st.one_of(st.none(), st.integers(1, 100)),
            "platform": st.one_of(st.none(), st.sampled_from(["", "netflix", "HULU", " Amazon ", "disney"])),
            "type": st.one_of(st.none(), st.sampled_from(["movie", "TV Show", "tv  show", ""]))}
    kind = data.draw(st.sampled_from(["near"] * 4 + ["object", "object", "json", "text"]), label="kind")
    if kind == "near":  # valid, except sometimes one field drawn from anything
        odd = data.draw(st.sampled_from([None] * len(fields) + list(fields)), label="odd field")
        body = json.dumps({name: data.draw(fields[name] if name == odd else near[name], label=name)
                           for name in fields if name in near or name == odd})
    elif kind == "object":
        names = data.draw(st.lists(st.sampled_from(list(fields)), unique=True), label="fields")
        body = json.dumps({name: data.draw(fields[name], label=name) for name in names})
    elif kind == "json":
        body = json.dumps(data.draw(st.one_of(JSONISH, st.lists(JSONISH, max_size=3)), label="json"))
    else:
        body = data.draw(st.text(max_size=40), label="text")
    response = client.http.post("/recommendations", headers=JSON, body=body)
    check_any(response)


@FAST
@given(data=st.data())
def test_any_similar_request(client, some_ids, data):
    tid = data.draw(st.one_of(st.sampled_from(some_ids), st.sampled_from(some_ids).map(str.upper), VALUES)
                    .filter(bool), label="id")
    query = data.draw(st.dictionaries(st.sampled_from(["k", "x"]), VALUES, max_size=2), label="query")
    path = f"/titles/{quote(tid, safe='')}/similar" + (f"?{urlencode(query)}" if query else "")
    check_any(client.http.get(path), int(query["k"]) if query.get("k", "").strip().isdecimal() else None)
