"""The web page's helper routes and the page itself: title search, example users, ``GET /``.

Search is checked three ways: hand-made snapshots for each ranking rule and edge case, a from-scratch Python ranking
over the generated lake's titles for many queries, and hypothesis (any ``q`` and ``limit``: never a 500).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlencode

import app as app_module
import numpy as np
import pytest
from chalice.test import Client
from chalicelib import page, params, search
from chalicelib.errors import BadRequest
from chalicelib.snapshots import SnapshotCache
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from reelrec.catalog_snapshot import DISPLAY_STRINGS, STRING_COLUMNS, CatalogSnapshot, Strings
from reelrec.schemas import PLATFORMS
from reelrec.search_index import build_search_index
from tests.api_reference import BAD_REQUEST_KEYS, FUNCTIONS_DIR, Reference, api_client, get

CARD_KEYS = {"id", "title", "platform", "type", "release_year", "duration", "genres", "score", "score_count", "match"}


# -- a hand-made snapshot ----------------------------------------------------------------------------------
def snapshot(titles: list[tuple], people: dict[str, tuple[str, str]] | None = None,
             work: list[int] | None = None, audience: list[int] | None = None) -> CatalogSnapshot:
    """A snapshot of (id, display title, ratings[, mean, year, platform, minutes]) rows; ``people``: id -> (directors,
    cast); ``work`` and ``audience`` codes per row (in id order); the other fields get plain values."""
    rows = sorted(titles)
    n = len(rows)
    full = [r + (3.5, 2019, "amazon", 90)[len(r) - 3:] for r in rows]
    ids = np.array([r[0].encode() for r in full], dtype="S")
    order = sorted(range(n), key=lambda i: (full[i][1].lower(), full[i][0]))
    rank = np.empty(n, np.int32)
    rank[order] = np.arange(n, dtype=np.int32)
    counts = np.array([r[2] for r in full], np.int32)
    people = people or {}
    directors = [people.get(r[0], ("", ""))[0] for r in full]
    casts = [people.get(r[0], ("", ""))[1] for r in full]
    strings = {name: Strings.of([""] * n) for name in STRING_COLUMNS + DISPLAY_STRINGS}
    strings["title"] = Strings.of([r[1].lower() for r in full])
    strings["display_title"] = Strings.of([r[1] for r in full])
    strings["display_listed_in"] = Strings.of(["Dramas, Comedies"] * n)
    strings["display_director"], strings["display_cast"] = Strings.of(directors), Strings.of(casts)
    return CatalogSnapshot(
        version="test", ids=ids, platform=np.array([PLATFORMS.index(r[5]) for r in full], np.uint8),
        kind=np.zeros(n, np.uint8), release_year=np.array([r[4] for r in full], np.int16),
        duration_int=np.array([r[6] for r in full], np.int32), duration_type=np.zeros(n, np.int8), title_rank=rank,
        score_mean=np.where(counts > 0, [r[3] for r in full], np.nan), score_count=counts,
        cast_indptr=np.zeros(n + 1, np.int32), cast_indices=np.zeros(0, np.int32),
        date_added=np.zeros(n, np.int32), actors=Strings.of([]), actor_names=Strings.of([]),
        work=np.array(work if work is not None else range(n), np.int32), rating_defaulted=np.zeros(n, bool),
        audience=np.array(audience if audience is not None else [-1] * n, np.int8),
        search_arrays=build_search_index([r[1] for r in full], directors, casts).to_arrays(), **strings)


def found(snap: CatalogSnapshot, q: str, limit: int = 50, **kw) -> list[tuple[str, str]]:
    """(id, match) of the answer's items."""
    return [(item["id"], item["match"]) for item in search.search_titles(snap, params.search_text(q), limit,
                                                                        **kw)["items"]]


def test_ranking_whole_title_then_prefix_then_the_rest():
    snap = snapshot([
        ("a1", "The Crimson Road", 5), ("a2", "Crimson", 0), ("a3", "Crimson Tide", 1), ("a4", "Incrimsonate", 99),
        ("a5", "Scarlet: Crimson", 3), ("a6", "Crimsonland", 2), ("a7", "No match here", 1000),
    ])
    assert found(snap, "crimson") == [("a2", "exact"), ("a6", "prefix"), ("a3", "prefix"), ("a4", "substring"),
                                      ("a1", "substring"), ("a5", "substring")]


def test_within_a_tier_ratings_then_mean_then_feature_films_then_recency():
    snap = snapshot([("b1", "Star Saga", 7, 3.0), ("b2", "Star Saga II", 7, 4.0), ("b3", "Star Biomes", 0, 3.5, 2021,
                                                                                     "disney", 4),
                     ("b4", "Star Film", 0, 3.5, 1977, "disney", 121), ("b5", "Star Film II", 0, 3.5, 1980, "disney",
                                                                          124), ("b6", "Star Most", 9)])
    assert [i for i, _ in found(snap, "star")] == ["b6", "b2", "b1", "b5", "b4", "b3"]


@pytest.mark.parametrize("q, expected", [
    ("pokemon", "Pokémon the Movie"), ("POKÉMON", "Pokémon the Movie"), ("amelie", "Amélie"), ("Amélie", "Amelie 2"),
    ("senor", "El Señor de los Cielos"), ("spiderman", "Spider-Man"), ("spider man", "Spider-Man"),
    ("wall e", "WALL-E"), ("walle", "WALL-E"), ("xmen", "X-Men: First Class"), ("x men", "X-Men: First Class"),
    ("ocean\u2019s eleven", "Ocean's Eleven"), ("oceans eleven", "Ocean's Eleven"),
])
def test_accents_punctuation_and_spaces_do_not_matter(q, expected):
    snap = snapshot([("c1", "Pokémon the Movie", 1), ("c2", "Amélie", 1), ("c3", "Amelie 2", 0),
                     ("c4", "El Señor de los Cielos", 0), ("c5", "Spider-Man", 2), ("c6", "WALL-E", 3),
                     ("c7", "X-Men: First Class", 0), ("c8", "Ocean's Eleven", 0), ("c9", "Senators", 0)])
    titles = [item["title"] for item in search.search_titles(snap, params.search_text(q), 20)["items"]]
    assert expected in titles, (q, titles)


def test_one_typo_in_a_long_word_when_nothing_matches_as_typed():
    snap = snapshot([("d1", "The Godfather", 50), ("d2", "Pokémon 3: The Movie", 5), ("d3", "Godfather of Harlem", 0),
                     ("d4", "Cat", 1), ("d5", "Bat", 1)])
    assert found(snap, "godfater") == [("d1", "typo"), ("d3", "typo")]
    assert found(snap, "the godfahter") == [("d1", "typo")]  # a transposition
    assert found(snap, "pokemn") == [("d2", "typo")]
    assert found(snap, "pokeemon") == [("d2", "typo")]  # an insertion
    assert found(snap, "cot") == []  # words under 5 letters are taken as typed
    assert all(m != "typo" for _, m in found(snap, "godfath"))  # a word still being typed is no typo
    assert found(snap, "gxdfxther") == []  # two edits: not found


def test_people_find_their_titles_marked_as_such():
    snap = snapshot([("e1", "Big", 40), ("e2", "Splash", 30), ("e3", "Tom and Jerry", 10), ("e4", "The Post", 5),
                     ("e5", "Zoë's Film", 0)],
                    people={"e1": ("Penny Marshall", "Tom Hanks, Elizabeth Perkins"), "e2": ("Ron Howard", "Tom Hanks"),
                            "e4": ("Steven Spielberg", "Meryl Streep, Tom Hanks"), "e5": ("Zoë Kravitz", "")})
    body = search.search_titles(snap, params.search_text("tom hanks"), 10)
    assert [(i["id"], i["match"], i.get("person")) for i in body["items"]] == [
        ("e1", "cast", "Tom Hanks"), ("e2", "cast", "Tom Hanks"), ("e4", "cast", "Tom Hanks")]
    assert found(snap, "spielberg") == [("e4", "director")]  # a name's word
    assert found(snap, "zoe kravitz") == [("e5", "director")]
    assert found(snap, "tom")[0] == ("e3", "prefix")  # the title first; then the people called Tom
    assert {i for i, _ in found(snap, "tom")} == {"e1", "e2", "e3", "e4"}


def test_paging_offset_total_and_limit():
    snap = snapshot([(f"f{i:02d}", f"Night {i}", 100 - i) for i in range(25)])
    first = search.search_titles(snap, "night", 10)
    second = search.search_titles(snap, "night", 10, offset=10)
    last = search.search_titles(snap, "night", 10, offset=20)
    assert first["total"] == second["total"] == last["total"] == 25
    ids = [i["id"] for page in (first, second, last) for i in page["items"]]
    assert ids == [f"f{i:02d}" for i in range(25)] and second["offset"] == 10
    assert search.search_titles(snap, "night", 10, offset=30)["items"] == []


def test_one_item_per_work_shown_on_the_viewers_services():
    snap = snapshot([("ds1", "Marvel Studios' Thor: Ragnarok", 0, 3.5, 2017, "disney"),
                     ("ns1", "Thor: Ragnarok", 17, 4.0, 2017, "netflix"), ("hs1", "Thor", 2, 3.0, 2011, "hulu")],
                    work=[0, 1, 0])  # id order: ds1, hs1, ns1
    body = search.search_titles(snap, "thor", 10)
    assert [(i["id"], i["match"]) for i in body["items"]] == [("hs1", "exact"), ("ns1", "prefix")]
    assert body["total"] == 2  # the most rated copy stands for its work, listing where else it is
    assert [a["id"] for a in body["items"][1]["available_on"]] == ["ds1", "ns1"]
    mine = search.search_titles(snap, "thor", 10, platforms=("disney", "hulu"))
    assert [(i["id"], i["match"]) for i in mine["items"]] == [("hs1", "exact"), ("ds1", "prefix")]
    assert all(a["platform"] in ("disney", "hulu") for i in mine["items"] for a in i["available_on"])
    assert search.search_titles(snap, "thor", 10, platforms=("amazon",)) == {
        "q": "thor", "limit": 10, "offset": 0, "total": 0, "items": [],
        "message": "no titles matching 'thor' left with platforms=amazon: try without it"}


def test_audience_keeps_to_known_ratings_and_says_when_it_empties_the_answer():
    snap = snapshot([("a1", "Frozen", 9), ("a2", "Frozen Planet", 5), ("a3", "Frozen River", 4), ("a4", "Frost", 1)],
                    audience=[0, 1, -1, 3])  # kids, family, unknown (or defaulted), adults
    assert [i["id"] for i in search.search_titles(snap, "frozen", 10, audience="kids")["items"]] == ["a1"]
    family = search.search_titles(snap, "frozen", 10, audience="family")
    assert [(i["id"], i["audience"]) for i in family["items"]] == [("a1", "kids"), ("a2", "family")]
    assert search.search_titles(snap, "frozen", 10, audience="adults")["total"] == 3  # unknown passes adults only
    assert search.search_titles(snap, "frost", 10, audience="teens") == {
        "q": "frost", "limit": 10, "offset": 0, "total": 0, "items": [],
        "message": "no titles matching 'frost' left with audience=teens: try without it"}
    assert "message" not in search.search_titles(snap, "nothing like it", 10, audience="kids")  # no match at all


def test_card_fields():
    snap = snapshot([("h1", "A Title", 3), ("h2", "Another Title", 0)])
    by_id = {i["id"]: i for i in search.search_titles(snap, "title", 10)["items"]}
    assert by_id["h1"] == {"id": "h1", "title": "A Title", "platform": "amazon", "platform_name": "Amazon Prime Video",
                           "type": "movie", "release_year": 2019, "duration": "90 min", "genres": ["Dramas", "Comedies"],
                           "audience": None, "score": 3.5, "score_count": 3, "match": "substring",
                           "available_on": [{"platform": "amazon", "platform_name": "Amazon Prime Video", "id": "h1"}]}
    assert by_id["h2"]["score"] is None


@pytest.mark.parametrize("raw, canonical", [
    ("Crimson", "crimson"), ("  THE   Crimson\tRoad ", "the crimson road"), ("\u200bstar\ufeff", "star"),
    ("É", "é"), ("x" * 100, "x" * 100), ("a\u00a0b", "a b"),
    ("ocean\u2019s", "ocean's"), ("\u201cup\u201d", '"up"'),
    ("pokE\u0301mon", "pok\u00e9mon"),
])
def test_search_text_canonical_form(raw, canonical):
    assert params.search_text(raw) == canonical


@pytest.mark.parametrize("raw", ["", "   ", "\u200b", "x" * 101, "a\x00b", "a\x7fb", "?!", " - ", "'\"", "..."])
def test_search_text_rejects(raw):
    with pytest.raises(BadRequest):
        params.search_text(raw)


# -- against the generated lake: a from-scratch ranking -------------------------------------------------------
@pytest.fixture(scope="module")
def reference(api_lake) -> Reference:
    return Reference(api_lake)


def expected_titles(reference: Reference, q: str) -> set[str]:
    """The ids of the titles whose folded name contains the folded query (plain Python: ``in`` on keys)."""
    from reelrec.textfold import key

    k = key(q)
    return {t["id"] for t in reference.titles if k in key(t["display_title"] or "")}


def test_search_finds_what_a_plain_python_scan_finds(client, reference):
    words = sorted({w for t in reference.titles if t["title"] for w in t["title"].split()})
    queries = ["the", "e", "crimson", "of the"] + words[::max(1, len(words) // 30)]
    queries += [t["display_title"] for t in reference.titles[:5]]
    for q in queries:
        got: set[str] = set()
        status, body = get(client, "/titles", q=q.upper(), limit=50)
        assert status == 200, body
        total = body["total"]
        for offset in range(0, min(total, 400), 50):
            _, page = get(client, "/titles", q=q.upper(), limit=50, offset=offset)
            shown = [i for i in page["items"] if i["match"] in ("exact", "prefix", "substring")]
            got |= {i["id"] for i in shown} | {c["id"] for i in shown for c in i["available_on"]}
        expected = expected_titles(reference, q)
        if total <= 400:  # every title found by the scan is shown, or a copy of its work (rare in generated data:
            # two services' titles of one name and year with the same lead performer)
            assert expected <= got, (q, sorted(expected - got)[:5])


def test_title_tiers_equal_a_scan_for_every_letter_and_longer_needles(api_lake):
    """The one-letter path (letter masks) and the general path (byte matching) against a Python scan of the keys."""
    from reelrec.layout import CATALOG_POINTER
    from reelrec.textfold import key

    pointer = json.loads((api_lake / CATALOG_POINTER).read_text())
    snap = CatalogSnapshot.from_bytes((api_lake / pointer["key"]).read_bytes())
    keys = [key(t) for t in snap.display_title]
    needles = [bytes([c]) for c in b"abcdefghijklmnopqrstuvwxyz0123456789-"] + [b"th", b"the", b"ion", b"crimson"]
    for needle in needles:
        rows, tier = search._title_tiers(snap.search_index, needle, search.SUBSTRING)
        n = needle.decode()
        want = {i: search.EXACT if k == n else search.PREFIX if k.startswith(n) else search.SUBSTRING
                for i, k in enumerate(keys) if n in k}
        assert dict(zip(rows.tolist(), tier.tolist(), strict=True)) == want, needle


def test_search_cards_agree_with_title_records(client):
    status, body = get(client, "/titles", q="the", limit=20)
    assert status == 200 and body["items"]
    for item in body["items"]:
        _, record = get(client, f"/titles/{item['id']}")
        keys = ("title", "platform", "platform_name", "type", "release_year", "score", "score_count", "available_on")
        assert {k: record[k] for k in keys} == {k: item[k] for k in keys}


def test_search_default_limit_and_empty_answer(client):
    status, body = get(client, "/titles", q="e")
    assert status == 200 and len(body["items"]) == 10 and body["limit"] == 10 and body["total"] > 10
    assert get(client, "/titles", q="qqqqqqqq") == (
        200, {"q": "qqqqqqqq", "limit": 10, "offset": 0, "total": 0, "items": []})


@pytest.mark.parametrize("query, parameter", [
    ({}, "q"), ({"q": ""}, "q"), ({"q": "  "}, "q"), ({"q": "x" * 101}, "q"), ({"q": "\u200b"}, "q"),
    ({"q": "?!"}, "q"), ({"q": "a", "offset": "-1"}, "offset"), ({"q": "a", "offset": "10001"}, "offset"),
    ({"q": "a", "offset": "x"}, "offset"), ({"q": "a", "platforms": "netflix,xx"}, "platforms"),
    ({"q": "a", "platforms": "hulu,hulu"}, "platforms"), ({"q": "a", "platform": "x"}, "platform"),
    ({"q": "a", "limit": "0"}, "limit"), ({"q": "a", "limit": "51"}, "limit"), ({"q": "a", "limit": "1.5"}, "limit"),
    ({"q": "a", "limit": "ten"}, "limit"), ({"q": "a", "k": "3"}, "k"), ({"q": "a", "Q": "b"}, "Q"),
])
def test_search_bad_input_is_a_400(client, query, parameter):
    status, body = get(client, "/titles", **query)
    assert status == 400 and set(body) == BAD_REQUEST_KEYS and body["parameter"] == parameter, body


def test_search_platforms_keep_to_the_viewers_services(client):
    status, body = get(client, "/titles", q="the", limit=50, platforms="hulu,disney")
    assert status == 200 and body["items"]
    assert all(i["platform"] in ("hulu", "disney") for i in body["items"])
    assert get(client, "/titles", q="the", platform="hulu")[1] == get(client, "/titles", q="the", platforms="hulu")[1]


def test_search_repeated_q_is_a_400(client):
    response = client.http.get("/titles?q=a&q=b")
    assert response.status_code == 400 and json.loads(response.body)["parameter"] == "q"


def test_title_path_route_still_answers_beside_the_search(client):
    assert get(client, "/titles/ns1")[0] == 200
    assert get(client, "/titles/ns1/similar", k=2)[0] == 200


# -- the real catalogs -----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def real_snapshot(tmp_path_factory) -> CatalogSnapshot:
    from tests.conftest import SHARED_RAW

    if not (SHARED_RAW / "titles").is_dir():
        pytest.skip(f"real data not found at {SHARED_RAW} (../shared/data is absent beside this checkout)")
    from etl_job.pipeline import run_etl
    from etl_job.progress import Progress
    from reelrec.storage import open_store

    lake = open_store(tmp_path_factory.mktemp("real-lake"))
    run_etl(open_store(SHARED_RAW), lake, progress=Progress())
    pointer = json.loads(lake.read_bytes("serving/catalog/current.json"))
    return CatalogSnapshot.from_bytes(lake.read_bytes(pointer["key"]))


@pytest.mark.parametrize("q, expected, match", [
    ("pokemon", "Pokémon", "prefix"), ("pokemn", "Pokémon", "typo"), ("spiderman", "Spider-Man", "exact"),
    ("wall e", "WALL-E", "exact"), ("godfater", "Godfather", "typo"), ("xmen", "X-Men", "exact"),
    ("tom hanks", "Toy Story", "cast"), ("star wars", "Star Wars: ", "prefix"),
])
def test_real_catalog_searches(real_snapshot, q, expected, match):
    body = search.search_titles(real_snapshot, params.search_text(q), 10)
    assert any(expected in i["title"] and i["match"] == match for i in body["items"]), (q, body["items"][:3])


def test_real_catalog_pokemon_finds_every_pokemon_title_and_stargate_once(real_snapshot):
    body = search.search_titles(real_snapshot, "pokemon", 50)
    assert body["total"] >= 20 and all("pok" in i["title"].lower() for i in body["items"])
    body = search.search_titles(real_snapshot, "stargate", 10)
    films = [i for i in body["items"] if i["title"] == "Stargate"]
    assert len(films) == 1 and {a["platform"] for a in films[0]["available_on"]} == {"amazon", "netflix"}
    body = search.search_titles(real_snapshot, "star wars", 10)
    assert all(i["type"] == "movie" for i in body["items"][:5]) and not any("Biomes" in i["title"]
                                                                          for i in body["items"])


# -- example users ------------------------------------------------------------------------------------------
def test_examples_are_known_varied_and_deterministic(client):
    status, body = get(client, "/users/examples")
    assert status == 200 and set(body) == {"model_version", "users"}
    users = body["users"]
    assert len(users) == 12 and len({u["user_id"] for u in users}) == 12
    sizes = [u["ratings"] for u in users]
    assert sizes == sorted(sizes) and sizes[-1] > sizes[0]  # from light to heavy raters
    assert get(client, "/users/examples")[1] == body
    for user in users:
        status, recs = get(client, f"/users/{user['user_id']}/recommendations", k=1)
        assert status == 200 and len(recs["items"]) == 1
    three = get(client, "/users/examples", n=3)[1]["users"]
    assert len(three) == 3 and three[0] == users[0] and three[-1] == users[-1]  # both ends of the same order


def stored(api_users) -> dict[int, np.ndarray]:
    """Every stored viewer's scores, by id."""
    from reelrec.histories import opened

    with opened(str(api_users)) as store:
        return {int(u): np.asarray(store.get(int(u)).scores) for u in store.user_ids()}


def test_examples_liked_enough_titles_and_say_what_their_picks_are_based_on(client, api_users):
    """Issue 13, item 6: "Surprise me" picks viewers who liked (4 or more) at least EXAMPLE_LIKED titles; a known
    viewer's answer lists how many titles they rated and liked, and their best-rated ones."""
    from chalicelib.recommend import BASED_ON

    from reelrec.scoring import EXAMPLE_LIKED, LIKED

    scores_of = stored(api_users)
    few = sum(int((s >= LIKED).sum()) < EXAMPLE_LIKED for s in scores_of.values())
    assert few > 0, "every generated viewer liked enough: the rule was not exercised"
    for user in get(client, "/users/examples")[1]["users"]:
        scores = scores_of[user["user_id"]]
        assert int((scores >= LIKED).sum()) >= EXAMPLE_LIKED, user
        status, body = get(client, f"/users/{user['user_id']}/recommendations", k=3)
        assert status == 200
        based = body["based_on"]
        assert based["ratings"] == len(scores) and based["liked"] == int((scores >= LIKED).sum())
        best = sorted(scores.tolist(), reverse=True)[:BASED_ON]
        assert [t["your_score"] for t in based["top"]] == best
        rated = {t["id"] for t in based["top"]}
        assert not rated & {i["id"] for i in body["items"]}  # the picks never repeat what was rated


def test_examples_come_from_the_sample_training_wrote_and_span_the_raters(client, api_users):
    """The route reads the sample in the model (no per-viewer data in the API): its viewers are in the store with
    the counts they had, from the lightest to the heaviest eligible rater."""
    from reelrec.scoring import EXAMPLE_LIKED, LIKED

    scores_of = stored(api_users)
    eligible = [len(s) for s in scores_of.values() if int((s >= LIKED).sum()) >= EXAMPLE_LIKED]
    body = get(client, "/users/examples", n=50)[1]
    assert len(body["users"]) == min(50, len(eligible))
    assert all(len(scores_of[u["user_id"]]) == u["ratings"] for u in body["users"])
    assert body["users"][0]["ratings"] == min(eligible) and body["users"][-1]["ratings"] == max(eligible)
    ordered = [(u["ratings"], u["user_id"]) for u in body["users"]]
    assert ordered == sorted(ordered)


@pytest.mark.parametrize("n", ["0", "51", "-1", "two", "1e1"])
def test_examples_bad_n(client, n):
    status, body = get(client, "/users/examples", n=n)
    assert status == 400 and body["parameter"] == "n"


def test_examples_without_a_model_is_a_503_and_search_still_works(monkeypatch, api_lake):
    with api_client(monkeypatch, api_lake) as c:
        status, body = get(c, "/users/examples")
        assert status == 503 and body["error"] == "Unavailable"
        assert get(c, "/titles", q="the")[0] == 200


def test_search_without_a_snapshot_is_a_503(monkeypatch, tmp_path):
    with api_client(monkeypatch, tmp_path / "empty-lake") as c:
        assert get(c, "/titles", q="the")[0] == 503
        assert get(c, "/titles", q="")[0] == 400  # bad input first, as for the other routes


# -- the page ------------------------------------------------------------------------------------------------
def _hash(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


def test_the_page_is_html_with_its_assets_inline(client):
    response = client.http.get("/")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    html = response.body.decode() if isinstance(response.body, bytes) else response.body
    assert html.startswith("<!doctype html>") and "<title>reelrec" in html
    css = (page.WEB_DIR / "app.css").read_text()
    js = (page.WEB_DIR / "app.js").read_text()
    assert f"<style>{css}</style>" in html and f"<script>{js}</script>" in html
    csp = response.headers["Content-Security-Policy"]
    assert f"'{_hash(css)}'" in csp and f"'{_hash(js)}'" in csp and "default-src 'none'" in csp
    assert "connect-src 'self'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    # nothing from elsewhere: no absolute URL, no external script, style sheet or font
    assert not re.search(r"""(?:src|href)\s*=\s*["'](?:https?:)?//""", html)
    # the only URL is the SVG namespace the drawn posters are made in (an identifier: nothing is fetched from it)
    urls = re.findall(r"https?://[^\s\"'`]*", css + js)
    assert urls == ["http://www.w3.org/2000/svg"] and "@import" not in css and "@font-face" not in css
    assert ".innerHTML" not in js and "insertAdjacentHTML" not in js and "document.write" not in js


def test_the_page_ignores_query_parameters(client):
    first, second = client.http.get("/"), client.http.get("/?utm_source=x&q=1")
    assert second.status_code == 200 and second.body == first.body


def test_every_label_names_a_control_and_every_control_has_a_label():
    html = (page.WEB_DIR / "index.html").read_text()
    label_for = set(re.findall(r'<label for="([^"]+)"', html))
    controls = set(re.findall(r'<(?:input|select)\b[^>]*\bid="([^"]+)"', html))
    assert controls and controls <= label_for, controls - label_for
    assert label_for <= controls | set(re.findall(r'<output\b[^>]*\bid="([^"]+)"', html))


def test_page_build_refuses_a_broken_template(tmp_path):
    for name in ("index.html", "app.css", "app.js"):
        (tmp_path / name).write_text((page.WEB_DIR / name).read_text())
    assert page.build(tmp_path).html.count("<script>") == 1
    (tmp_path / "app.js").write_text("console.log('</script>')")
    with pytest.raises(ValueError, match="closing"):
        page.build(tmp_path)
    (tmp_path / "index.html").write_text("<html></html>")
    with pytest.raises(ValueError, match="exactly once"):
        page.build(tmp_path)


def test_page_routes_answer_without_heavy_packages(api_lake, api_models):
    """A fresh interpreter answers /, /titles and /users/examples through the Lambda entry point."""
    script = r"""
import json, sys
import app
statuses = []
for resource, query in [("/", None), ("/titles", {"q": ["the"]}), ("/users/examples", {"n": ["3"]})]:
    event = {"requestContext": {"httpMethod": "GET", "resourcePath": resource, "path": resource,
                                "identity": {"sourceIp": "127.0.0.1"}},
             "headers": {}, "pathParameters": {}, "stageVariables": {}, "body": None, "isBase64Encoded": False,
             "multiValueQueryStringParameters": query}
    statuses.append(app.app(event, None)["statusCode"])
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("pyarrow", "pandas", "scipy", "implicit"))
print(json.dumps({"statuses": statuses, "heavy": heavy}))
"""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(FUNCTIONS_DIR), str(FUNCTIONS_DIR.parent)]),
           "REELREC_LAKE": str(api_lake), "REELREC_MODELS": str(api_models)}
    done = subprocess.run([sys.executable, "-c", script], cwd=FUNCTIONS_DIR, env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out == {"statuses": [200, 200, 200], "heavy": []}


def test_web_files_sit_in_chalicelib_which_chalice_packages():
    assert Path(page.WEB_DIR).parent == FUNCTIONS_DIR / "chalicelib"
    assert {p.name for p in page.WEB_DIR.iterdir()} >= {"index.html", "app.css", "app.js"}


# -- hypothesis: any q and limit ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def plain_client(api_lake):
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(app_module, "snapshots", SnapshotCache(uri=str(api_lake)))
        yield Client(app_module.app, stage_name="local", project_dir=str(FUNCTIONS_DIR))


TEXT = st.one_of(st.text(), st.text(max_size=3).map(lambda s: s * 60), st.sampled_from(
    ["the", " THE ", "%", "%25", "\u200b", "é", "e\u0301", "🎬", "a\x00", "\ud7ff", "'", ":", "x" * 100, "x" * 101]))
LIMITS = st.one_of(st.integers(-5, 60).map(str), st.text(max_size=5), st.sampled_from(["", " 5 ", "1e1", "05"]))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=st.one_of(st.none(), TEXT), limit=st.one_of(st.none(), LIMITS), extra=st.booleans())
def test_any_search_is_a_200_or_a_400(plain_client, q, limit, extra):
    query = {k: v for k, v in (("q", q), ("limit", limit)) if v is not None}
    if extra:
        query["limit " if limit else "x"] = "1"
    response = plain_client.http.get("/titles" + ("?" + urlencode(query) if query else ""))
    assert response.status_code in (200, 400), response.body[:300]
    event(f"status {response.status_code}")
    body = json.loads(response.body)
    if response.status_code == 200:
        assert set(body) == {"q", "limit", "offset", "total", "items"} and len(body["items"]) <= body["limit"] <= 50
    else:
        assert set(body) == BAD_REQUEST_KEYS


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.text(st.characters(blacklist_characters="#"), max_size=60))
def test_any_raw_search_query_string(plain_client, raw):
    response = plain_client.http.get(f"/titles?{raw}")
    assert response.status_code in (200, 400), response.body[:300]
