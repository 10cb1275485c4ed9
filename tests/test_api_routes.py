"""Every API route through ``chalice.test.Client``, against answers computed straight from the lake's parquet.

The lake comes from the real ETL: generated data (``api_lake``) for the many-combination checks, hand-written CSVs
for ties and refresh, and the same lake on moto S3.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import app as app_module
import pytest
from chalicelib import params
from chalicelib.snapshots import DEFAULT_CHECK_SECONDS, NO_SNAPSHOT, check_interval

from etl_job.pipeline import run_etl
from etl_job.progress import Progress
from reelrec import layout
from reelrec.schemas import PLATFORMS
from reelrec.storage import open_store
from tests.api_reference import BAD_REQUEST_KEYS, FUNCTIONS_DIR, FakeClock, Reference, api_client, get, record
from tests.rawfiles import ratings_csv, titles_csv, write

TS = 1_600_000_000


@pytest.fixture(scope="module")
def reference(api_lake) -> Reference:
    return Reference(api_lake)


@pytest.fixture
def client(monkeypatch, api_lake):
    with api_client(monkeypatch, api_lake) as c:
        yield c


def assert_not_found(status: int, body: dict, *words: str) -> None:
    assert status == 404 and body["error"] == "NotFound", body
    assert all(w.lower() in body["message"].lower() for w in words), body


# -- the generated lake: many combinations against the reference ---------------------------------------
def test_get_max_duration_matches_the_lake(client, reference):
    years = [None, 1871, *reference.years(most_common=6)]
    checked = found = 0
    for platform in (None, *PLATFORMS):
        for year in years:
            for duration_type in (None, "min", "season"):
                status, body = get(client, "/get_max_duration", year=year, platform=platform,
                                   duration_type=duration_type)
                expected = reference.max_duration(year, platform, duration_type or "min")
                if expected is None:
                    assert_not_found(status, body, duration_type or "min")
                else:
                    assert (status, body) == (200, expected), (platform, year, duration_type)
                    found += 1
                checked += 1
    assert checked == 5 * 8 * 3 and found > checked // 2


def test_get_score_count_matches_the_lake(client, reference):
    nonzero = zero = 0
    for platform in PLATFORMS:
        for year in reference.years(platform, most_common=3):
            movies = [t["id"] for t in reference._rows(platform, year) if t["type"] == "movie"]
            means = sorted({reference.scores[i][0] for i in movies if i in reference.scores})
            # fixed thresholds plus actual means: a title whose mean equals `scored` must not count
            for scored in (0, 0.5, 2.5, 3, 3.5, 4, 4.75, 5, *means[:: max(1, len(means) // 4)]):
                status, body = get(client, "/get_score_count", platform=platform, scored=repr(scored), year=year)
                assert (status, body) == (200, reference.score_count(platform, scored, year)), (platform, year, scored)
                nonzero += body["count"] > 0
                zero += body["count"] == 0
    assert nonzero > 20 and zero > 10


def test_get_count_platform_matches_the_lake(client, reference):
    for platform in PLATFORMS:
        for spelled in (platform, platform.upper(), f"  {platform.title()}\t"):
            status, body = get(client, "/get_count_platform", platform=spelled)
            assert (status, body) == (200, reference.count_platform(platform))
        assert body["count"] > 0


def test_get_actor_matches_the_lake(client, reference):
    found = 0
    for platform in PLATFORMS:
        for year in (1871, *reference.years(platform, most_common=6)):
            status, body = get(client, "/get_actor", platform=platform, year=year)
            expected = reference.actor(platform, year)
            if expected is None:
                assert status == 404 and body["error"] == "NotFound" and body["message"], body
            else:
                assert (status, body) == (200, expected), (platform, year)
                found += 1
    assert found >= 15


def test_hulu_has_no_cast_so_get_actor_is_a_404_with_a_message(client, reference):
    year = reference.years("hulu")[0]
    status, body = get(client, "/get_actor", platform=" Hulu ", year=year)
    assert_not_found(status, body, "hulu", "no cast")


def test_titles_found_and_not_found(client, reference):
    for title in reference.titles[::97]:
        for spelled in (title["id"], title["id"].upper()):
            assert record(get(client, f"/titles/{spelled}")) == (200, reference.title(title["id"]))
    assert record(get(client, f"/titles/%20{reference.titles[0]['id'].upper()}%20")) == (
        200, reference.title(reference.titles[0]["id"]))
    assert_not_found(*get(client, "/titles/ns999999"), "ns999999")
    assert_not_found(*get(client, "/titles/caf%C3%A9"), "café")


def test_health_names_the_snapshot_in_use(client, api_lake, reference):
    status, body = get(client, "/health")
    pointer = json.loads((api_lake / layout.CATALOG_POINTER).read_text())
    assert status == 200 and body["status"] == "ok"
    assert body["snapshot_version"] == pointer["version"] and body["titles"] == len(reference.titles)
    assert body["checked_at"] == body["loaded_at"] == "2027-01-15T08:00:00+00:00"  # the fake clock
    assert body["check_seconds"] == DEFAULT_CHECK_SECONDS and body["refresh_error"] is None


# -- input rules ---------------------------------------------------------------------------------------
def test_accepted_spellings(client):
    ok = [
        ("/get_max_duration", {"year": " 2019 ", "platform": "NETFLIX", "duration_type": " Season "}),
        ("/get_max_duration", {"year": "", "platform": " ", "duration_type": ""}),  # blank = absent
        ("/get_score_count", {"platform": "netflix", "scored": "3", "year": "2019"}),
        ("/get_score_count", {"platform": "netflix", "scored": " .5 ", "year": "02019"}),
        ("/get_score_count", {"platform": "netflix", "scored": "35e-1", "year": "2019"}),
        ("/get_score_count", {"platform": "netflix", "scored": "-0", "year": "2019"}),
        ("/get_score_count", {"platform": "netflix", "scored": "5.0", "year": str(params.max_year())}),
    ]
    for path, query in ok:
        status, body = get(client, path, **query)
        assert status in (200, 404), (path, query, body)
    assert get(client, "/get_score_count", platform="netflix", scored="-0", year=2019)[1]["scored"] == 0.0
    assert get(client, "/get_score_count", platform="netflix", scored="35e-1", year=2019)[1]["scored"] == 3.5


BAD = [
    ("/get_max_duration", {"year": "2019.5"}, "year"),
    ("/get_max_duration", {"year": "2019.0"}, "year"),
    ("/get_max_duration", {"year": "abc"}, "year"),
    ("/get_max_duration", {"year": "true"}, "year"),
    ("/get_max_duration", {"year": "1869"}, "year"),
    ("/get_max_duration", {"year": str(dt.datetime.now(dt.UTC).year + 3)}, "year"),
    ("/get_max_duration", {"year": "-2019"}, "year"),
    ("/get_max_duration", {"year": "+2019"}, "year"),
    ("/get_max_duration", {"year": "9" * 30}, "year"),
    ("/get_max_duration", {"year": "\uff12\uff10\uff11\uff19"}, "year"),  # full-width digits
    ("/get_max_duration", {"year": "2_019"}, "year"),
    ("/get_max_duration", {"year": "1e3"}, "year"),
    ("/get_max_duration", {"platform": "prime"}, "platform"),
    ("/get_max_duration", {"platform": "netflix2"}, "platform"),
    ("/get_max_duration", {"duration_type": "seasons"}, "duration_type"),
    ("/get_max_duration", {"duration_type": "hours"}, "duration_type"),
    ("/get_max_duration", {"platfrom": "netflix"}, "platfrom"),
    ("/get_score_count", {"platform": "netflix", "year": "2019", "scored": "nan"}, "scored"),
    ("/get_score_count", {"platform": "netflix", "year": "2019", "scored": "inf"}, "scored"),
    ("/get_score_count", {"platform": "netflix", "year": "2019", "scored": "-inf"}, "scored"),
    ("/get_score_count", {"platform": "netflix", "year": "2019", "scored": "1e400"}, "scored"),
    ("/get_score_count", {"platform": "netflix", "year": "2019", "scored": "5.01"}, "scored"),
    ("/get_score_count", {"platform": "netflix", "year": "2019", "scored": "-0.1"}, "scored"),
    ("/get_score_count", {"platform": "netflix", "year": "2019", "scored": "0x1"}, "scored"),
    ("/get_score_count", {"platform": "netflix", "year": "2019", "scored": "3,5"}, "scored"),
    ("/get_score_count", {"platform": "netflix", "year": "2019", "scored": "\u0663"}, "scored"),  # Arabic-Indic 3
    ("/get_score_count", {"platform": "netflix", "year": "2019", "scored": ""}, "scored"),
    ("/get_score_count", {"platform": "netflix"}, "scored"),  # the first missing one; the message lists all
    ("/get_score_count", {}, "platform"),
    ("/get_count_platform", {}, "platform"),
    ("/get_count_platform", {"platform": "  "}, "platform"),
    ("/get_count_platform", {"platform": "netflix", "year": "2019"}, "year"),
    ("/get_actor", {"platform": "hulu"}, "year"),
    ("/get_actor", {"platform": "disney+", "year": "2019"}, "platform"),
    ("/titles/ns1", {"verbose": "1"}, "verbose"),
    ("/health", {"deep": "1"}, "deep"),
]


@pytest.mark.parametrize(("path", "query", "parameter"), BAD, ids=[f"{p}-{q}" for p, q, _ in BAD])
def test_bad_input_is_a_400_naming_the_parameter(client, path, query, parameter):
    status, body = get(client, path, **query)
    assert status == 400 and set(body) == BAD_REQUEST_KEYS and body["error"] == "BadRequest", body
    assert body["parameter"] == parameter and parameter.split(",")[0] in body["message"]
    assert body["allowed"] and body["value"] == ((query.get(parameter) or "").strip() and query[parameter] or None)


@pytest.mark.parametrize("path", ["/titles/" + "x" * 33, "/titles/%20%20", "/titles/a%0Ab", "/titles/%00"])
def test_bad_title_ids(client, path):
    status, body = get(client, path)
    assert status == 400 and body["parameter"] == "id" and "32" in body["allowed"], body


def test_repeated_parameter_and_huge_value(client):
    response = client.http.get("/get_actor?platform=netflix&platform=hulu&year=2019")
    assert response.status_code == 400 and response.json_body["parameter"] == "platform"
    assert "2 times" in response.json_body["message"]
    status, body = get(client, "/get_count_platform", platform="x" * 100_000)
    assert status == 400 and len(body["value"]) < 200 and len(body["message"]) < 400


def test_unexpected_errors_are_a_json_500(client, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(app_module.queries, "get_count_platform", broken)
    response = client.http.get("/get_count_platform?platform=netflix")
    rid = response.headers["X-Request-Id"]
    assert response.status_code == 500 and response.json_body == app_module.internal_error(rid)
    assert rid in response.json_body["message"] and "a bug" not in response.body.decode()


# -- no snapshot yet ----------------------------------------------------------------------------------
def test_without_a_snapshot_every_route_is_a_503_saying_to_run_the_etl(monkeypatch, tmp_path):
    with api_client(monkeypatch, tmp_path / "empty-lake") as c:
        for path in ("/get_max_duration", "/get_count_platform?platform=hulu", "/get_actor?platform=hulu&year=2019",
                     "/get_score_count?platform=hulu&scored=1&year=2019", "/titles/hs1"):
            response = c.http.get(path)
            body = response.json_body
            assert response.status_code == 503 and body == {"error": "Unavailable", "message": NO_SNAPSHOT,
                                                            "request_id": response.headers["X-Request-Id"]}
        status, body = get(c, "/health")
        assert status == 503 and body["status"] == "unavailable" and "run the ETL" in body["message"]
        assert body["snapshot_version"] is None
        assert get(c, "/get_actor", platform="hulu")[0] == 400  # input rules do not depend on the data


# -- hand-written lake: ties, strictness, refresh -----------------------------------------------------
def build_tie_lake(root: Path) -> tuple[Path, Path]:
    """Raw CSVs with deliberate ties, loaded by the real ETL; returns (raw, lake)."""
    raw = root / "raw"
    write(raw, "titles/netflix_titles.csv", titles_csv(
        {"show_id": "s1", "title": "Beta", "duration": "120 min", "release_year": "2019", "cast": "Zed, Amy"},
        {"show_id": "s2", "title": "Alpha", "duration": "120 min", "release_year": "2019", "cast": "Amy, Bob"},
        {"show_id": "s10", "title": "Alpha", "duration": "120 min", "release_year": "2019", "cast": "Bob , BOB "},
        {"show_id": "s4", "type": "TV Show", "title": "Show B", "duration": "3 Seasons", "release_year": "2019",
         "cast": "Carl"},
        {"show_id": "s5", "type": "TV Show", "title": "Show A", "duration": "3 Seasons", "release_year": "2019",
         "cast": "carl"},
        {"show_id": "s6", "title": "Gamma", "duration": "90 min", "release_year": "2018", "cast": ""},
        {"show_id": "s7", "type": "TV Show", "title": "Long Special", "duration": "500 min", "release_year": "2019",
         "cast": ""},
    ))
    write(raw, "titles/hulu_titles.csv", titles_csv({"title": "Hulu Movie", "release_year": "2019", "cast": ""}))
    write(raw, "titles/amazon_prime_titles.csv", titles_csv(
        {"title": "Amazon One", "release_year": "2019", "cast": ""},
        {"title": "Amazon Two", "release_year": "2020", "cast": "Dan"},
    ))
    write(raw, "titles/disney_plus_titles.csv", titles_csv({"title": "Disney One", "release_year": "2019"}))
    write(raw, "ratings/1.csv", ratings_csv(
        (1, 4.0, TS, "ns1"), (2, 5.0, TS, "ns1"), (1, 3.0, TS, "ns2"), (3, 5.0, TS, "ns4"),
    ))
    lake = root / "lake"
    assert run_etl(open_store(raw), open_store(lake), progress=Progress())["status"] == "ok"
    return raw, lake


def test_ties_and_strict_score_threshold(monkeypatch, tmp_path):
    _, lake = build_tie_lake(tmp_path)
    with api_client(monkeypatch, lake) as c:
        # three movies of 120 min: title 'alpha' first, then the smaller id as a string ('ns10' < 'ns2')
        status, body = get(c, "/get_max_duration", platform="netflix", year=2019)
        assert (status, body["title"], body["id"], body["duration_int"]) == (200, "Alpha", "ns10", 120)
        assert get(c, "/get_max_duration", platform="netflix", year=2019, duration_type="season")[1]["id"] == "ns5"
        # amy, bob and carl each in two titles ('Bob , BOB ' counts once): alphabetical first
        assert get(c, "/get_actor", platform="netflix", year=2019) == (
            200, {"platform": "netflix", "year": 2019, "actor": "Amy", "count": 2})
        assert_not_found(*get(c, "/get_actor", platform="netflix", year=2018), "no cast listed")
        assert_not_found(*get(c, "/get_actor", platform="amazon", year=2021), "no titles")
        assert_not_found(*get(c, "/get_actor", platform="hulu", year=2019), "no cast at all")
        assert get(c, "/get_actor", platform="amazon", year=2020)[1]["actor"] == "Dan"
        # means: ns1 4.5, ns2 3.0, ns10 none; ns4 is a tv show (never counted)
        for scored, count in ((0, 2), (2.99, 2), (3, 1), (4.49, 1), (4.5, 0), (5, 0)):
            status, body = get(c, "/get_score_count", platform="netflix", scored=scored, year=2019)
            assert (status, body["count"]) == (200, count), scored
        # a tv show measured in minutes is never 'the longest movie'
        assert get(c, "/get_max_duration", platform="netflix", year=2019)[1]["title"] == "Alpha"
        # no movie of that platform and year: 404; movies but none above: 0
        assert_not_found(*get(c, "/get_score_count", platform="netflix", scored=1, year=1990), "no movies")
        assert get(c, "/get_score_count", platform="amazon", scored=1, year=2019)[1]["count"] == 0
        assert get(c, "/get_count_platform", platform="netflix")[1] == {
            "platform": "netflix", "count": 4, "tv_shows": 3}
        assert get(c, "/titles/ns4")[1]["score"] == 5.0 and get(c, "/titles/ns10")[1]["score"] is None


def test_a_new_snapshot_is_served_after_the_check_interval(monkeypatch, tmp_path):
    raw, lake = build_tie_lake(tmp_path)
    clock = FakeClock()
    with api_client(monkeypatch, lake, clock) as c:
        first = get(c, "/health")[1]["snapshot_version"]
        assert get(c, "/get_score_count", platform="netflix", scored=3, year=2019)[1]["count"] == 1
        write(raw, "ratings/2.csv", ratings_csv((4, 5.0, TS, "ns2"), (5, 5.0, TS, "ns2"), (6, 5.0, TS, "ns2")))
        run_etl(open_store(raw), open_store(lake), progress=Progress())  # ns2: (3 + 5 + 5 + 5) / 4 = 4.5
        assert json.loads((lake / layout.CATALOG_POINTER).read_text())["version"] != first

        clock.now += DEFAULT_CHECK_SECONDS - 1  # not yet due: the old snapshot, pointer not re-read
        assert get(c, "/get_score_count", platform="netflix", scored=3, year=2019)[1]["count"] == 1
        assert get(c, "/health")[1]["snapshot_version"] == first

        clock.now += 1
        assert get(c, "/get_score_count", platform="netflix", scored=3, year=2019)[1]["count"] == 2
        health = get(c, "/health")[1]
        assert health["snapshot_version"] != first and health["loaded_at"] == health["checked_at"]


def test_a_snapshot_that_fails_to_load_keeps_the_old_one(monkeypatch, tmp_path):
    _, lake = build_tie_lake(tmp_path)
    clock = FakeClock()
    with api_client(monkeypatch, lake, clock) as c:
        first = get(c, "/health")[1]["snapshot_version"]
        pointer = lake / layout.CATALOG_POINTER
        good = pointer.read_text()
        (lake / "serving/catalog/broken.npz").write_bytes(b"not a zip")
        pointer.write_text(json.dumps({"version": "broken", "key": "serving/catalog/broken.npz"}))
        clock.now += DEFAULT_CHECK_SECONDS
        status, body = get(c, "/get_count_platform", platform="netflix")
        assert status == 200 and body["count"] == 4
        health = get(c, "/health")[1]
        assert health["status"] == "ok" and health["snapshot_version"] == first and "broken" in health["refresh_error"]

        pointer.write_text("{not json")  # a damaged pointer: same
        clock.now += DEFAULT_CHECK_SECONDS
        assert get(c, "/health")[1]["snapshot_version"] == first

        pointer.write_text(good)  # repaired: same version, nothing to load, no error
        clock.now += DEFAULT_CHECK_SECONDS
        health = get(c, "/health")[1]
        assert health["snapshot_version"] == first and health["refresh_error"] is None


def test_check_interval_from_the_environment():
    assert check_interval({}) == DEFAULT_CHECK_SECONDS
    assert check_interval({"REELREC_SNAPSHOT_CHECK_SECONDS": " 30 "}) == 30
    assert check_interval({"REELREC_SNAPSHOT_CHECK_SECONDS": "0"}) == 0
    for bad in ("soon", "-1", "nan", "inf"):
        assert check_interval({"REELREC_SNAPSHOT_CHECK_SECONDS": bad}) == DEFAULT_CHECK_SECONDS


# -- the lake on S3 (moto) ----------------------------------------------------------------------------
def test_every_route_with_the_lake_on_s3(monkeypatch, aws, api_lake, reference):
    for path in sorted(p for p in api_lake.rglob("*") if p.is_file()):
        aws.upload_file(str(path), "reelrec-test", f"lake/{path.relative_to(api_lake).as_posix()}")
    netflix_year = reference.years("netflix")[0]
    some_id = reference.titles[len(reference.titles) // 2]["id"]
    with api_client(monkeypatch, "s3://reelrec-test/lake") as c:
        assert get(c, "/get_max_duration", platform="amazon") == (200, reference.max_duration(platform="amazon"))
        assert get(c, "/get_max_duration", duration_type="season") == (200, reference.max_duration(duration_type="season"))
        assert get(c, "/get_score_count", platform="netflix", scored=3, year=netflix_year) == (
            200, reference.score_count("netflix", 3, netflix_year))
        assert get(c, "/get_count_platform", platform="disney") == (200, reference.count_platform("disney"))
        assert get(c, "/get_actor", platform="netflix", year=netflix_year) == (
            200, reference.actor("netflix", netflix_year))
        assert record(get(c, f"/titles/{some_id}")) == (200, reference.title(some_id))
        assert_not_found(*get(c, "/titles/zz1"))
        health = get(c, "/health")[1]
        assert health["status"] == "ok" and health["titles"] == len(reference.titles)


def test_s3_without_snapshot_or_bucket_is_a_503(monkeypatch, aws):
    with api_client(monkeypatch, "s3://reelrec-test/nothing-here") as c:
        status, body = get(c, "/get_count_platform", platform="hulu")
        assert (status, body["error"], body["message"]) == (503, "Unavailable", NO_SNAPSHOT)
    with api_client(monkeypatch, "s3://no-such-bucket-reelrec/lake") as c:
        status, body = get(c, "/get_count_platform", platform="hulu")
        assert status == 503 and body["error"] == "Unavailable" and "cannot be read" in body["message"]


# -- deployment config --------------------------------------------------------------------------------
def test_chalice_config_stages_and_policies():
    chalice_dir = FUNCTIONS_DIR / ".chalice"
    config = json.loads((chalice_dir / "config.json").read_text())
    assert config["version"] == "2.0" and config["app_name"] == app_module.app.app_name == "reelrec-api"
    for stage in ("dev", "prod"):
        settings = config["stages"][stage]
        bucket = f"reelrec-{stage}-data"
        assert settings["environment_variables"]["REELREC_LAKE"] == f"s3://{bucket}/lake"
        assert settings["autogen_policy"] is False
        policy = json.loads((chalice_dir / settings["iam_policy_file"]).read_text())
        grants = {(a, r) for s in policy["Statement"] for a in s["Action"] for r in s["Resource"]}
        assert settings["environment_variables"]["REELREC_MODELS"] == f"s3://{bucket}/models"
        # the catalog snapshots and served models only: not the training input under serving/, not the reports
        assert {r for a, r in grants if a == "s3:GetObject"} == {
            f"arn:aws:s3:::{bucket}/lake/serving/catalog/*", f"arn:aws:s3:::{bucket}/models/current.json",
            f"arn:aws:s3:::{bucket}/models/versions/*/model.npz"}
        assert not any(a.startswith("s3:") and a not in ("s3:GetObject", "s3:ListBucket") for a, _ in grants)
        assert 128 <= settings["lambda_memory_size"] <= 3008 and settings["lambda_timeout"] <= 29
    reqs = [line.split(">")[0].split("=")[0].strip() for line in (FUNCTIONS_DIR / "requirements.txt").read_text().splitlines()
            if line.strip() and not line.startswith("#")]
    assert reqs == ["numpy"]
