"""Catalog answers as people expect them (issue 11): text as the catalog wrote it, platform display names, one work
across services (``available_on``), and "my services" (``platforms=``) on recommendations, similar titles and titles.

Generated data (the session lake) and, when ../shared/data is there, the real catalogs.
"""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pytest

from reelrec.model_artifact import ModelArtifact
from reelrec.schemas import DISPLAY_COLUMNS, PLATFORM_NAMES, PLATFORMS
from reelrec.storage import open_store
from tests.api_reference import get

JSON = {"content-type": "application/json"}


@pytest.fixture(scope="module")
def artifact(api_models) -> ModelArtifact:
    store = open_store(api_models)
    pointer = json.loads(store.read_bytes("current.json"))
    return ModelArtifact.from_bytes(store.read_bytes(pointer["key"]))


def post(client, body: dict) -> tuple[int, dict]:
    response = client.http.post("/recommendations", headers=JSON, body=json.dumps(body))
    return response.status_code, json.loads(response.body)


# -- the lake: display columns beside the course's lower-case ones -------------------------------------------
def check_display_columns(titles: pa.Table) -> None:
    for lake, shown in DISPLAY_COLUMNS.items():
        assert pc.all(pc.equal(pc.utf8_lower(titles[shown]), titles[lake])).as_py() is not False, lake
        assert titles[shown].null_count == titles[lake].null_count, lake
    # the display form keeps case: some titles differ from their lower-case form
    assert pc.sum(pc.not_equal(titles["display_title"], titles["title"])).as_py() > titles.num_rows / 2


def test_lake_keeps_lower_case_columns_and_their_display_form(api_lake):
    check_display_columns(ds.dataset(api_lake / "titles").to_table())


def test_real_catalog_display_text_is_as_written(shared_raw, tmp_path):
    from etl_job.titles import read_titles
    from reelrec.schemas import PLATFORM_FILES

    tables = {p: read_titles(shared_raw / "titles" / f"{stem}.csv", p, f"titles/{stem}.csv").table
              for stem, p in PLATFORM_FILES.items()}
    for table in tables.values():
        check_display_columns(table)

    def shown(platform: str, show_id: str, column: str = "display_title") -> str:
        t = tables[platform]
        return t.filter(pc.equal(t["show_id"], show_id))[column][0].as_py()

    titles = {t for table in tables.values() for t in table["display_title"].to_pylist()}
    assert {"Star Trek II: The Wrath of Khan", "WALL-E"} <= titles
    assert sum(t.startswith("Pokémon") for t in titles) >= 10
    assert shown("netflix", "s6530") == "Consequences"  # the trailing NBSP is trimmed, case kept
    descriptions = " ".join(d for table in tables.values() for d in table["display_description"].drop_null().to_pylist())
    assert "Meet Woody, Buzz and the gang" in descriptions
    casts = " ".join(c for table in tables.values() for c in table["display_cast"].drop_null().to_pylist())
    assert "R.J. Mitte" in casts


# -- answers name things as written --------------------------------------------------------------------------
def test_every_answer_names_titles_as_written_and_platforms_by_name(client, api_lake):
    titles = ds.dataset(api_lake / "titles").to_table()
    first = titles.slice(0, 1).to_pylist()[0]
    status, body = get(client, f"/titles/{first['id']}")
    assert status == 200
    assert body["title"] == first["display_title"] and body["title"] != first["title"]
    assert body["platform"] == first["platform"] and body["platform_name"] == PLATFORM_NAMES[first["platform"]]
    assert body["available_on"][0]["id"] == first["id"] or first["id"] in [a["id"] for a in body["available_on"]]
    status, body = get(client, "/get_max_duration")
    assert status == 200 and body["title"] in set(titles["display_title"].to_pylist())
    status, body = get(client, "/get_count_platform", platform="hulu")
    assert status == 200
    status, body = get(client, "/get_score_count", platform="disney", scored=3, year=1871)
    assert status == 404 and "on Disney+ released in 1871" in body["message"]


def test_actor_answer_is_the_name_as_written(client, api_lake):
    status, body = get(client, "/get_actor", platform="netflix", year=2019)
    assert status == 200
    casts = ds.dataset(api_lake / "titles").to_table(columns=["display_cast"])["display_cast"].drop_null().to_pylist()
    names = {n.strip() for c in casts for n in c.split(",")}
    assert body["actor"] in names and body["actor"] != body["actor"].lower()


def test_recommendation_cards_and_reasons_use_display_names(client, artifact):
    known = artifact.info["examples"][0]["user_id"]
    status, body = get(client, f"/users/{known}/recommendations", k=10)
    assert status == 200 and body["items"]
    for item in body["items"]:
        row = artifact.titles.row_of(item["id"])
        assert item["title"] == artifact.titles.title[row] and item["title"] != item["title"].lower()
        assert item["platform_name"] == PLATFORM_NAMES[item["platform"]]
        assert not item["reason"].startswith("popular on ") or item["reason"][11:] in PLATFORM_NAMES.values()
        assert item["available_on"] and item["id"] in [a["id"] for a in item["available_on"]]


def test_cached_cards_are_the_uncached_ones_and_answers_never_share_them(artifact):
    t = artifact.titles
    shared = [r for r in range(len(t)) if len(t.copies.of(r)) > 1][:3]
    for row in [0, len(t) - 1, *shared]:
        for services in (None, ("netflix", "hulu"), ["hulu", "netflix", "hulu"]):
            key = None if services is None else tuple(sorted(set(services)))
            assert t.card(row, services) == t._card(row, key)
        assert t.card(row, ("hulu", "netflix")) is t.card(row, ["netflix", "hulu"])  # one entry per set of services
    if shared:
        row = shared[0]
        assert len(t.card(row)["available_on"]) > len(t.card(row, (t.card(row)["platform"],))["available_on"])
    from chalicelib import recommend
    first = recommend.similar(artifact, t.ids[0].decode())["items"][0]
    first["title"] = "changed by a caller"
    assert t.card(t.row_of(first["id"]))["title"] != "changed by a caller"


# -- my services -------------------------------------------------------------------------------------------
def test_platforms_filter_recommendations_get_post_and_similar(client, artifact):
    known = artifact.info["examples"][0]["user_id"]
    mine = ("netflix", "hulu")
    codes = [PLATFORMS.index(p) for p in mine]
    status, body = get(client, f"/users/{known}/recommendations", k=20, platforms="Netflix, hulu")
    assert status == 200 and body["items"]
    for item in body["items"]:
        assert artifact.titles.platform[artifact.titles.row_of(item["id"])] in codes
        assert {a["platform"] for a in item["available_on"]} <= set(mine)
    # the single platform= keeps working and equals platforms= with one entry
    assert get(client, f"/users/{known}/recommendations", platform="hulu")[1] == \
        get(client, f"/users/{known}/recommendations", platforms="hulu")[1]
    rated = artifact.titles.ids[0].decode()
    status, body = post(client, {"ratings": {rated: 5}, "platforms": ["disney", "amazon"], "k": 15})
    assert status == 200 and all(i["platform"] in ("disney", "amazon") for i in body["items"])
    assert post(client, {"ratings": {rated: 5}, "platforms": "disney,amazon", "k": 15})[1] == body
    status, body = get(client, f"/titles/{rated}/similar", k=15, platforms="amazon")
    assert status == 200 and body["items"] and all(i["platform"] == "amazon" for i in body["items"])
    status, body = get(client, f"/titles/{rated}", platforms="disney")
    assert status == 200 and all(a["platform"] == "disney" for a in body["available_on"])


@pytest.mark.parametrize("query", [
    {"platforms": "netflix,xx"}, {"platforms": ","}, {"platforms": "netflix,netflix"}, {"platforms": "hulu,,netflix"},
    {"platforms": "netflix", "platform": "hulu"},
])
def test_bad_platform_lists_are_a_400_naming_the_parameter(client, artifact, query):
    known = artifact.info["examples"][0]["user_id"]
    status, body = get(client, f"/users/{known}/recommendations", **query)
    assert status == 400 and body["parameter"] in ("platforms", "platform"), body
    assert body["error"] == "BadRequest" and body["message"]


@pytest.mark.parametrize("platforms", [[], ["netflix", "netflix"], ["xx"], [1], "", "netflix,", {"a": 1}])
def test_bad_platforms_in_a_body_are_a_400(client, artifact, platforms):
    status, body = post(client, {"ratings": {artifact.titles.ids[0].decode(): 4}, "platforms": platforms})
    assert status == 400 and body["parameter"] == "platforms", body


# -- one work across services ------------------------------------------------------------------------------
def test_a_work_on_two_services_is_one_item_and_a_rated_copy_excludes_the_work(monkeypatch, client, artifact):
    """Make two titles one work in the served model: lists then hold one of them, never the copy of a rated one."""
    import dataclasses

    import app as app_module

    t, m = artifact.titles, artifact.model
    status, body = post(client, {"ratings": {t.ids[0].decode(): 5}, "k": 10})
    first, second = (t.row_of(i["id"]) for i in body["items"][:2])
    work = t.work.copy()
    work[[first, second]] = min(first, second)
    merged = dataclasses.replace(artifact, model=dataclasses.replace(m, work=work),
                                 titles=dataclasses.replace(t, work=work))
    monkeypatch.setattr(app_module.models, "get", lambda: merged)
    status, body = post(client, {"ratings": {t.ids[0].decode(): 5}, "k": 10})
    ids = [i["id"] for i in body["items"]]
    assert (t.ids[first].decode() in ids) != (t.ids[second].decode() in ids)
    shown = body["items"][0]
    assert {a["id"] for a in shown["available_on"]} == {t.ids[first].decode(), t.ids[second].decode()}
    status, body = post(client, {"ratings": {t.ids[0].decode(): 5, t.ids[second].decode(): 4}, "k": 10})
    assert t.ids[first].decode() not in [i["id"] for i in body["items"]]
    status, body = get(client, f"/titles/{t.ids[first].decode()}/similar", k=30)
    assert t.ids[second].decode() not in [i["id"] for i in body["items"]]
    assert np.all(np.asarray(artifact.titles.work) <= np.arange(len(artifact.titles)))


# -- the page's catalog questions start on values that answer (issue 13, item 4) ---------------------------------
def test_question_defaults_answer_and_are_the_best_supplied(client, api_lake):
    from reelrec import layout
    from reelrec.catalog_snapshot import CODES, CatalogSnapshot

    lake = open_store(api_lake)
    snap = CatalogSnapshot.from_bytes(lake.read_bytes(json.loads(lake.read_bytes(layout.CATALOG_POINTER))["key"]))
    status, body = get(client, "/questions")
    assert status == 200, body
    score = body["get_score_count"]
    status, answer = get(client, "/get_score_count", **score)
    assert status == 200 and answer["count"] > 0, answer
    counts: dict[tuple[str, int], int] = {}  # the obvious way: every movie above the score, by (platform, year)
    for row in range(len(snap)):
        if snap.kind[row] == CODES["kind"].index("movie") and snap.score_mean[row] > score["scored"]:
            key = (CODES["platform"][snap.platform[row]], int(snap.release_year[row]))
            counts[key] = counts.get(key, 0) + 1
    assert answer["count"] == max(counts.values())
    status, answer = get(client, "/get_actor", **body["get_actor"])
    assert status == 200 and answer["count"] > 0, answer
    assert body["get_actor"]["platform"] not in body["get_actor_unavailable"]
    for platform, reason in body["get_actor_unavailable"].items():
        assert "lists no cast" in reason
        status, answer = get(client, "/get_actor", platform=platform, year=body["get_actor"]["year"])
        assert status == 404, answer
    assert get(client, "/questions", year="2019")[0] == 400  # no parameters, as /health
