"""Who a title is for (issue 12, item 2): the rating -> audience table, the lake's ``rating_defaulted`` flag, and the
``audience`` filter of recommendations (GET and POST), similar titles and search, on the generated lake and the real
catalogs (skipped, saying so, when ../shared/data is absent)."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from chalicelib import recommend

from model_training import registry
from reelrec.audience import AUDIENCES, UNKNOWN, allowed, audience_code, audience_codes, of_history
from reelrec.histories import History, opened
from reelrec.model_artifact import ModelArtifact
from reelrec.storage import open_store
from tests.api_reference import get
from tests.test_titles import one

JSON = {"content-type": "application/json"}
KIDS, FAMILY, TEENS, ADULTS = range(4)


# -- the table -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("rating", "expected"), [
    *[(r, KIDS) for r in ("tv-y", "tv-y7", "tv-y7-fv", "tv-g", "g", "all", "7+")],
    *[(r, FAMILY) for r in ("pg", "tv-pg")],
    *[(r, TEENS) for r in ("pg-13", "tv-14", "13+", "16+")],
    *[(r, ADULTS) for r in ("r", "nc-17", "tv-ma", "18+")],
    *[(r, UNKNOWN) for r in ("nr", "tv-nr", "ur", "unrated", "not rated", "", None, "74 min", "x")],
    ("  TV-Y7 ", KIDS), ("not  rated", UNKNOWN), ("PG-13", TEENS),
])
def test_every_catalog_rating_has_its_audience(rating, expected):
    assert audience_code(rating) == expected


def test_a_defaulted_g_is_unknown_and_unknown_passes_only_adults():
    assert audience_code("g", defaulted=True) == UNKNOWN
    codes = audience_codes(["g", "g", "pg", "tv-14", "r", "nr"], [False, True, False, False, False, False])
    assert codes.tolist() == [KIDS, UNKNOWN, FAMILY, TEENS, ADULTS, UNKNOWN] and codes.dtype == np.int8
    assert [allowed(codes, a).tolist() for a in AUDIENCES] == [
        [True, False, False, False, False, False],
        [True, False, True, False, False, False],
        [True, False, True, True, False, False],
        [True] * 6,
    ]


@pytest.mark.parametrize(("codes", "scores", "expected"), [
    ([KIDS, KIDS], [5, 4], "kids"),
    ([KIDS, FAMILY, KIDS], [5, 4, 2], "family"),
    ([KIDS, UNKNOWN], [5, 5], "kids"),  # an unrated Hulu title neither makes nor breaks it
    ([KIDS, UNKNOWN, UNKNOWN], [5, 5, 5], None),  # but most of the history must say something
    ([KIDS, KIDS, ADULTS], [5, 5, 1], None),  # one adult title, even disliked, says otherwise
    ([KIDS, TEENS], [5, 5], None),
    ([KIDS, FAMILY], [2, 1], None),  # only dislikes: nothing to follow
    ([UNKNOWN], [5], None),
    ([], [], None),
])
def test_history_audience(codes, scores, expected):
    assert of_history(np.array(codes, np.int8), np.array(scores, np.float32)) == expected


# -- the lake --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("fields", "rating", "defaulted"), [
    ({"rating": ""}, "g", True),
    ({"rating": "G"}, "g", False),
    ({"rating": "74 min", "duration": ""}, "g", True),  # the rating column held the duration: no rating was given
    ({"rating": "TV-Y7"}, "tv-y7", False),
])
def test_the_lake_records_a_defaulted_rating(tmp_path, fields, rating, defaulted):
    row, _ = one(tmp_path, **fields)
    assert (row["rating"], row["rating_defaulted"]) == (rating, defaulted)


# -- the routes, on the generated lake -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def artifact(api_models) -> ModelArtifact:
    store = open_store(api_models)
    return ModelArtifact.from_bytes(store.read_bytes(registry.current(store)["key"]))


def post(client, body: dict) -> tuple[int, dict]:
    response = client.http.post("/recommendations", headers=JSON, body=json.dumps(body))
    return response.status_code, json.loads(response.body)


def audience_of(artifact: ModelArtifact, items: list[dict]) -> list[int]:
    return [int(artifact.titles.audience[artifact.titles.row_of(item["id"])]) for item in items]


def rows_with(artifact: ModelArtifact, code: int, rated: bool = True) -> np.ndarray:
    return np.flatnonzero((artifact.titles.audience == code) & (artifact.model.rated == rated))


def test_the_generated_catalog_has_every_audience_and_defaulted_ratings(artifact):
    codes = set(artifact.titles.audience.tolist())
    assert codes == {UNKNOWN, KIDS, FAMILY, TEENS, ADULTS}, codes


@pytest.fixture(scope="module")
def viewer(api_users) -> tuple[int, History]:
    """The first viewer of the history store and their history."""
    with opened(str(api_users)) as store:
        uid = int(store.user_ids()[0])
        return uid, store.get(uid)


@pytest.mark.parametrize("audience", ["kids", " Family ", "TEENS"])
def test_recommendations_keep_to_the_audience_asked_for(client, artifact, viewer, audience):
    level = AUDIENCES.index(audience.strip().lower())
    uid = viewer[0]
    rated = rows_with(artifact, ADULTS)[:3]
    ratings = {artifact.titles.ids[r].decode(): 5 for r in rated}
    for status, body in (get(client, f"/users/{uid}/recommendations", audience=audience, k=20),
                         post(client, {"ratings": ratings, "audience": audience, "k": 20})):
        assert status == 200 and len(body["items"]) == 20, body
        assert (body["audience"], body["audience_from"]) == (audience.strip().lower(), "request")
        codes = audience_of(artifact, body["items"])
        assert all(0 <= c <= level for c in codes), codes
        assert all(item["audience"] == AUDIENCES[c] for item, c in zip(body["items"], codes, strict=True))


def test_a_kids_history_gets_kids_picks_unless_the_ratings_say_otherwise(client, artifact):
    kids = rows_with(artifact, KIDS)
    ids = [artifact.titles.ids[r].decode() for r in kids[:3]]
    status, body = post(client, {"ratings": dict(zip(ids, (5, 4.5, 4), strict=True)), "k": 30})
    assert status == 200 and (body["audience"], body["audience_from"]) == ("kids", "history"), body
    assert set(audience_of(artifact, body["items"])) == {KIDS}
    family = artifact.titles.ids[rows_with(artifact, FAMILY)[0]].decode()
    status, body = post(client, {"ratings": {**dict.fromkeys(ids, 5), family: 4}, "k": 30})
    assert body["audience"] == "family" and set(audience_of(artifact, body["items"])) <= {KIDS, FAMILY}
    adult = artifact.titles.ids[rows_with(artifact, ADULTS)[0]].decode()
    status, body = post(client, {"ratings": {**dict.fromkeys(ids, 5), adult: 4}, "k": 30})
    assert status == 200 and body["audience"] is None and "audience_from" not in body, body
    assert {TEENS, ADULTS, UNKNOWN} & set(audience_of(artifact, body["items"])), "the adult history is not filtered"
    status, body = post(client, {"ratings": dict.fromkeys(ids, 5), "audience": "adults", "k": 30})
    assert (body["audience"], body["audience_from"]) == ("adults", "request")
    assert {TEENS, ADULTS, UNKNOWN} & set(audience_of(artifact, body["items"])), "audience=adults lifts the filter"


def test_a_known_viewers_kids_history_is_followed_too(monkeypatch, tmp_path, artifact, api_lake, viewer):
    """A copy of the model where one viewer's history is all kids titles."""
    t = artifact.titles
    uid, history = viewer
    hist = t.rows_of_keys(history.title_ids)
    codes = t.audience.copy()
    codes[hist] = KIDS
    copy = dataclasses.replace(artifact, titles=dataclasses.replace(t, audience=codes))
    body = recommend.for_user(copy, uid, history, k=25)
    assert (body["audience"], body["audience_from"]) == ("kids", "history")
    assert {int(codes[t.row_of(i["id"])]) for i in body["items"]} == {KIDS}


def test_defaulted_ratings_never_pass_kids_or_family(artifact, viewer):
    unknown = artifact.titles.audience == UNKNOWN
    assert unknown.any()
    for audience in ("kids", "family", "teens"):
        assert not allowed(artifact.titles.audience, audience)[unknown].any()
    k = int((~unknown).sum()) + 5  # more than every known title: only the filter keeps the unknown ones out
    body = recommend.for_user(artifact, viewer[0], viewer[1], k=min(k, 100), audience="family")
    assert UNKNOWN not in audience_of(artifact, body["items"])


def test_similar_titles_of_a_kids_title_stay_in_its_audience(client, artifact):
    for code in (KIDS, FAMILY):
        tid = artifact.titles.ids[rows_with(artifact, code)[0]].decode()
        status, body = get(client, f"/titles/{tid}/similar", k=30)
        assert status == 200 and (body["audience"], body["audience_from"]) == (AUDIENCES[code], "title"), body
        assert all(0 <= c <= code for c in audience_of(artifact, body["items"]))
        status, lifted = get(client, f"/titles/{tid}/similar", k=30, audience="adults")
        assert lifted["audience_from"] == "request" and max(audience_of(artifact, lifted["items"])) > code
    tid = artifact.titles.ids[rows_with(artifact, ADULTS)[0]].decode()
    status, body = get(client, f"/titles/{tid}/similar", k=30, audience="kids")
    assert (body["audience"], body["audience_from"]) == ("kids", "request")
    assert set(audience_of(artifact, body["items"])) == {KIDS}
    assert get(client, f"/titles/{tid}/similar")[1]["audience"] is None


def test_search_keeps_to_the_audience(client, artifact):
    status, every = get(client, "/titles", q="the", limit=50)
    status, kids = get(client, "/titles", q="the", limit=50, audience="kids")
    assert status == 200 and 0 < kids["total"] < every["total"], (kids["total"], every["total"])
    assert {item["audience"] for item in kids["items"]} == {"kids"}
    assert None in {item["audience"] for item in every["items"]}, "titles without a known rating are searchable"


@pytest.mark.parametrize("value", ["toddlers", "", "kid", "18+"])
def test_a_bad_audience_is_a_400_naming_it(client, artifact, viewer, value):
    tid = artifact.titles.ids[0].decode()
    uid = viewer[0]
    answers = [get(client, f"/users/{uid}/recommendations", audience=value),
               get(client, f"/titles/{tid}/similar", audience=value),
               get(client, "/titles", q="the", audience=value)]
    if value:  # a blank query parameter is absent; a blank JSON field likewise (params.new_user_body)
        answers.append(post(client, {"ratings": {tid: 4}, "audience": value}))
    for status, body in answers:
        if not value:
            assert status == 200, body
            continue
        assert status == 400 and body["parameter"] == "audience" and "kids" in body["allowed"], body
    status, body = post(client, {"ratings": {tid: 4}, "audience": 5})
    assert status == 400 and body["parameter"] == "audience", body


def test_a_filter_that_empties_the_list_says_so(artifact):
    nobody = dataclasses.replace(artifact, titles=dataclasses.replace(
        artifact.titles, audience=np.full(len(artifact), UNKNOWN, np.int8)))
    tid = artifact.titles.ids[0].decode()
    body = recommend.for_new_user(nobody, {tid: 4}, audience="kids")
    assert body["items"] == [] and body["message"] == "no titles left with audience=kids: try without it", body
    body = recommend.similar(nobody, tid, audience="family", platforms=("netflix",))
    assert body["items"] == [] and "audience=family" in body["message"] and "platforms" not in body["message"]


# -- the real catalogs -----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def real_titles():
    import pyarrow as pa

    from etl_job.titles import read_titles
    from reelrec.schemas import PLATFORM_FILES
    from tests.conftest import SHARED_RAW

    if not (SHARED_RAW / "titles").is_dir():
        pytest.skip(f"real data not found at {SHARED_RAW} (../shared/data is absent beside this checkout)")
    return pa.concat_tables([read_titles(SHARED_RAW / "titles" / f"{stem}.csv", p, f"titles/{stem}.csv").table
                             for stem, p in PLATFORM_FILES.items()]).to_pylist()


def test_real_missing_ratings_are_defaulted_and_never_kids(real_titles):
    defaulted = [t for t in real_titles if t["rating_defaulted"]]
    by_platform = {p: sum(t["platform"] == p for t in defaulted) for p in ("amazon", "disney", "hulu", "netflix")}
    # 864 empty ratings (520 on Hulu) plus the 292 + 3 whose rating column held the duration (docs/etl.md)
    assert by_platform == {"amazon": 337, "disney": 3, "hulu": 812, "netflix": 7}
    assert all(t["rating"] == "g" for t in defaulted)
    codes = audience_codes([t["rating"] for t in real_titles], [t["rating_defaulted"] for t in real_titles])
    assert not allowed(codes, "family")[[t["rating_defaulted"] for t in real_titles]].any()


def test_every_real_rating_is_in_the_table_or_said_to_be_unknown(real_titles):
    from reelrec.audience import RATING_AUDIENCE, UNKNOWN_RATINGS

    values = {t["rating"] for t in real_titles}
    assert values <= set(RATING_AUDIENCE) | set(UNKNOWN_RATINGS), values - set(RATING_AUDIENCE)
    kids = sum(audience_code(t["rating"], t["rating_defaulted"]) == KIDS for t in real_titles)
    # tv-y 462, tv-y7 550, tv-y7-fv 19, tv-g 767, all 1,269, 7+ 385, and 405 of the 1,564 g's (the rest defaulted)
    assert kids == 3_857
