"""No input, however odd, gives anything but a JSON 200, 400 or 404 with the documented keys (hypothesis)."""

from __future__ import annotations

import json
from urllib.parse import quote, urlencode

import app as app_module
import pytest
from chalice.test import Client
from chalicelib.snapshots import SnapshotCache
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.api_reference import BAD_REQUEST_KEYS, FUNCTIONS_DIR

ROUTES = {  # path -> (its query parameters, keys of a 200 body)
    "/get_max_duration": (("year", "platform", "duration_type"),
                          {"title", "id", "platform", "release_year", "duration_int", "duration_type"}),
    "/get_score_count": (("platform", "scored", "year"), {"platform", "scored", "year", "count"}),
    "/get_count_platform": (("platform",), {"platform", "count", "tv_shows"}),
    "/get_actor": (("platform", "year"), {"platform", "year", "actor", "count"}),
    "/health": ((), {"status", "snapshot_version", "titles", "loaded_at", "checked_at", "check_seconds", "made_at",
                     "age_seconds", "refresh_error", "model"}),
}
TITLE_KEYS = {"id", "platform", "show_id", "type", "title", "director", "cast", "country", "listed_in", "description",
              "rating", "date_added", "release_year", "duration_int", "duration_type", "score", "score_count",
              "platform_name", "available_on", "rating_defaulted", "audience"}
ERROR_KEYS = {400: BAD_REQUEST_KEYS, 404: {"error", "message", "request_id"}}

NASTY = st.sampled_from([
    "", " ", "netflix", " NetFlix ", "HULU", "amazon\x00", "2019", " 2019 ", "2019.5", "2019.0", "02019", "1e3",
    "nan", "NaN", "-nan", "inf", "-Infinity", "-1", "-0", "0", "5", "5.0000001", "4.99", "1e-400", "1e400",
    "0x10", "\uff11", "\u0663", "true", "False", "None", "null", "[]", "{}", "%", "%25", "%41", "%zz", "%00",
    "min", "SEASON", " season ", "\u200b2019", "9" * 400, "\U0001f600", "../", "ns1", "AS1", "\ud7ff",
])
NUMBERS = st.one_of(
    st.integers().map(str),
    st.floats().map(repr),
    st.floats().map(lambda f: f"{f:.20f}"),
    st.decimals().map(str),
    st.integers(1860, 2040).map(str),
    st.floats(-1, 6).map(str),
)
VALUES = st.one_of(NASTY, NUMBERS, st.text(), st.text(max_size=4).map(lambda s: s * 500))


@pytest.fixture(scope="module")
def client(api_lake):
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(app_module, "snapshots", SnapshotCache(uri=str(api_lake)))
        yield Client(app_module.app, stage_name="local", project_dir=str(FUNCTIONS_DIR))


def check(response, ok_keys: set[str]) -> None:
    """Status 200/400/404 and a JSON object with that status's documented keys."""
    assert response.status_code in (200, 400, 404), (response.status_code, response.body[:300])
    event(f"status {response.status_code}")
    body = json.loads(response.body)
    assert isinstance(body, dict)
    expected = ok_keys if response.status_code == 200 else ERROR_KEYS[response.status_code]
    assert set(body) == expected, body
    if response.status_code == 400:
        assert body["error"] == "BadRequest" and isinstance(body["parameter"], str) and body["allowed"]
        assert body["value"] is None or len(body["value"]) <= 103


FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                        HealthCheck.too_slow])


def _spelled(values: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Valid values in any case with surrounding white space."""
    pad = st.sampled_from(["", " ", "  ", "\t"])
    return st.builds(lambda p, v, u, s: p + (v.upper() if u else v) + s, pad, values, st.booleans(), pad)


NEAR_VALID = {
    "platform": _spelled(st.sampled_from(["amazon", "disney", "hulu", "netflix"])),
    "year": _spelled(st.one_of(st.sampled_from(range(1990, 2023)), st.integers(1860, 2030)).map(str)),
    "scored": _spelled(st.one_of(st.floats(-0.5, 5.5).map(str), st.integers(-1, 6).map(str))),
    "duration_type": _spelled(st.sampled_from(["min", "season"])),
}


@pytest.mark.parametrize("path", sorted(ROUTES))
@FAST
@given(data=st.data())
def test_any_query_parameters(client, path, data):
    names, ok_keys = ROUTES[path]
    query = {}
    for name in names:  # each of the route's parameters: nearly valid (half the time), anything, or absent
        mode = data.draw(st.sampled_from(["near", "any", "near", "absent"]))
        if mode != "absent":
            query[name] = data.draw(NEAR_VALID[name] if mode == "near" else VALUES)
    if data.draw(st.sampled_from([False, False, False, True])):
        query[data.draw(st.sampled_from(["x", "", "Platform", "year "]))] = data.draw(VALUES)
    check(client.http.get(f"{path}?{urlencode(query)}" if query else path), ok_keys)


@pytest.mark.parametrize("path", sorted(ROUTES))
@FAST
@given(raw=st.text(st.characters(blacklist_characters="#"), max_size=60))
def test_any_raw_query_string(client, path, raw):
    check(client.http.get(f"{path}?{raw}"), ROUTES[path][1])


@FAST
@given(title_id=st.one_of(NASTY, NUMBERS, st.text(), st.text(max_size=3).map(lambda s: s * 50)).filter(bool))
def test_any_title_id(client, title_id):
    check(client.http.get("/titles/" + quote(title_id, safe="")), TITLE_KEYS)


@FAST
@given(raw=st.text(st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="/?#;"), min_size=1,
                           max_size=40))
def test_any_raw_title_path(client, raw):
    """Unencoded path text (control characters are not valid in a request line; '/?#;' end the segment)."""
    check(client.http.get("/titles/" + raw), TITLE_KEYS)
