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

from reelrec.catalog_snapshot import STRING_COLUMNS, CatalogSnapshot, Strings
from tests.api_reference import FUNCTIONS_DIR, Reference, api_client, get

CARD_KEYS = {"id", "title", "platform", "type", "release_year", "duration", "genres", "score", "score_count", "match"}
BAD_REQUEST_KEYS = {"error", "message", "parameter", "value", "allowed"}


# -- a hand-made snapshot ----------------------------------------------------------------------------------
def snapshot(titles: list[tuple[str, str, int]]) -> CatalogSnapshot:
    """A snapshot of (id, lower-case title, number of ratings) rows; the other fields get plain values."""
    rows = sorted(titles)
    n = len(rows)
    ids = np.array([r[0].encode() for r in rows], dtype="S")
    order = sorted(range(n), key=lambda i: (rows[i][1], rows[i][0]))
    rank = np.empty(n, np.int32)
    rank[order] = np.arange(n, dtype=np.int32)
    counts = np.array([r[2] for r in rows], np.int32)
    strings = {name: Strings.of([""] * n) for name in STRING_COLUMNS}
    strings["title"] = Strings.of([r[1] for r in rows])
    strings["listed_in"] = Strings.of(["dramas, comedies"] * n)
    return CatalogSnapshot(
        version="test", ids=ids, platform=np.zeros(n, np.uint8), kind=np.zeros(n, np.uint8),
        release_year=np.full(n, 2019, np.int16), duration_int=np.full(n, 90, np.int32),
        duration_type=np.zeros(n, np.int8), title_rank=rank,
        score_mean=np.where(counts > 0, 3.5, np.nan), score_count=counts,
        cast_indptr=np.zeros(n + 1, np.int32), cast_indices=np.zeros(0, np.int32),
        date_added=np.zeros(n, np.int32), actors=Strings.of([]), **strings)


def found(snap: CatalogSnapshot, q: str, limit: int = 50) -> list[tuple[str, str]]:
    """(id, match) of the answer's items."""
    return [(item["id"], item["match"]) for item in search.search_titles(snap, q, limit)["items"]]


def test_ranking_exact_then_prefix_then_word_then_substring():
    snap = snapshot([
        ("a1", "the crimson road", 5), ("a2", "crimson", 0), ("a3", "crimson tide", 1), ("a4", "incrimsonate", 99),
        ("a5", "scarlet: crimson", 3), ("a6", "crimsonland", 2), ("a7", "no match here", 1000),
    ])
    assert found(snap, "crimson") == [("a2", "exact"), ("a6", "prefix"), ("a3", "prefix"), ("a1", "word"),
                                      ("a5", "word"), ("a4", "substring")]


def test_ties_by_ratings_then_title_then_id():
    snap = snapshot([("b3", "star", 7), ("b1", "star", 7), ("b2", "star", 9), ("b4", "a star", 9), ("b5", "zz star", 9),
                     ("b6", "aa star", 7)])
    assert [i for i, _ in found(snap, "star")] == ["b2", "b1", "b3", "b4", "b5", "b6"]


def test_word_starts_after_spaces_and_ascii_punctuation_only():
    snap = snapshot([("c1", "x (moon)", 0), ("c2", "x-moon", 0), ("c3", "émoon", 0), ("c4", "x.moon", 0),
                     ("c5", "xmoon", 0), ("c6", "l'moon", 0), ("c7", "2moon", 0)])
    matches = dict(found(snap, "moon"))
    assert matches == {"c1": "word", "c2": "word", "c3": "substring", "c4": "word", "c5": "substring", "c6": "word",
                       "c7": "substring"}


def test_best_match_of_a_title_counts_and_overlaps_are_found():
    snap = snapshot([("d1", "anana banana", 0), ("d2", "aaa", 0), ("d3", "baaa", 0)])
    assert dict(found(snap, "ana")) == {"d1": "prefix"}
    assert dict(found(snap, "banana")) == {"d1": "word"}
    assert found(snap, "aa") == [("d2", "prefix"), ("d3", "substring")]


def test_no_match_across_two_titles():
    snap = snapshot([("e1", "abc", 0), ("e2", "def", 0)])  # the blob is "abcdef"
    assert found(snap, "cd") == [] and found(snap, "abcdef") == []
    assert found(snap, "abc") == [("e1", "exact")] and found(snap, "def") == [("e2", "exact")]


def test_unicode_titles_match_by_character():
    snap = snapshot([("f1", "amélie", 0), ("f2", "千と千尋の神隠し", 0), ("f3", "naïve 🎬 night", 0), ("f4", "ame", 0)])
    assert found(snap, "élie") == [("f1", "substring")]
    assert found(snap, "千尋") == [("f2", "substring")]
    assert found(snap, "🎬") == [("f3", "word")]
    assert found(snap, "am") == [("f4", "prefix"), ("f1", "prefix")] and found(snap, "ame") == [("f4", "exact")]
    assert found(snap, "\u00e9") == [("f1", "substring")]


def test_limit_total_and_empty_result():
    snap = snapshot([(f"g{i}", f"title {i}", i) for i in range(30)])
    answer = search.search_titles(snap, "title", 5)
    assert answer["total"] == 30 and len(answer["items"]) == 5 and answer["limit"] == 5
    assert [i["score_count"] for i in answer["items"]] == [29, 28, 27, 26, 25]
    assert search.search_titles(snap, "nothing like it", 10) == {"q": "nothing like it", "limit": 10, "total": 0,
                                                                 "items": []}
    empty = snapshot([])
    assert search.search_titles(empty, "x", 10)["items"] == []


def test_card_fields():
    snap = snapshot([("h1", "a title", 3), ("h2", "another title", 0)])
    by_id = {i["id"]: i for i in search.search_titles(snap, "title", 10)["items"]}
    assert by_id["h1"] == {"id": "h1", "title": "a title", "platform": "amazon", "type": "movie", "release_year": 2019,
                           "duration": "90 min", "genres": ["dramas", "comedies"], "score": 3.5, "score_count": 3,
                           "match": "word"}
    assert by_id["h2"]["score"] is None


@pytest.mark.parametrize("raw, canonical", [
    ("Crimson", "crimson"), ("  THE   Crimson\tRoad ", "the crimson road"), ("\u200bstar\ufeff", "star"),
    ("É", "é"), ("x" * 100, "x" * 100), ("a\u00a0b", "a b"),
    ("ocean\u2019s", "ocean's"), ("\u201cup\u201d", '"up"'),  # phones' curly quotes; the titles use straight ones
    ("pokE\u0301mon", "pok\u00e9mon"),  # a decomposed accent matches the lake's composed (NFC) text
])
def test_search_text_follows_the_etl_text_rules(raw, canonical):
    assert params.search_text(raw) == canonical


@pytest.mark.parametrize("raw", ["", "   ", "\u200b", "x" * 101, "a\x00b", "a\x7fb"])
def test_search_text_rejects(raw):
    with pytest.raises(BadRequest):
        params.search_text(raw)


# -- against the generated lake: a from-scratch ranking -------------------------------------------------------
@pytest.fixture(scope="module")
def reference(api_lake) -> Reference:
    return Reference(api_lake)


@pytest.fixture(scope="module")
def client(api_lake, api_models):
    with pytest.MonkeyPatch.context() as mp, api_client(mp, api_lake, models=api_models) as c:
        yield c


def expected_search(reference: Reference, q: str, limit: int) -> tuple[int, list[str]]:
    """The number of titles containing ``q`` and the ids of the best ``limit``, by the rules written out plainly."""
    def tier(title: str) -> int:
        if title == q:
            return 0
        if title.startswith(q):
            return 1
        starts = [m.start() for m in re.finditer(f"(?={re.escape(q)})", title)]
        return 2 if any(i > 0 and title[i - 1].isascii() and not title[i - 1].isalnum() for i in starts) else 3

    hits = [t for t in reference.titles if t["title"] and q in t["title"]]
    key = {t["id"]: (tier(t["title"]), -reference.scores.get(t["id"], (0, 0))[1], t["title"], t["id"]) for t in hits}
    return len(hits), sorted(key, key=key.get)[:limit]


def test_search_matches_a_plain_python_ranking(client, reference):
    words = sorted({w for t in reference.titles if t["title"] for w in t["title"].split()})
    queries = ["the", "e", "crimson", "a", ": ", "'s", "zzzz-none", "of the"] + words[::max(1, len(words) // 40)]
    queries += [t["title"] for t in reference.titles[:5] if t["title"]]
    queries += [t["title"][2:7] for t in reference.titles[5:10] if t["title"] and len(t["title"]) > 7]
    for q in queries:
        for limit in (1, 10, 50):
            status, body = get(client, "/titles", q=q.upper(), limit=limit)
            assert status == 200, body
            total, ids = expected_search(reference, q.strip().lower(), limit)
            assert body["total"] == total and [i["id"] for i in body["items"]] == ids, (q, limit)
            assert all(set(i) == CARD_KEYS for i in body["items"])


def test_search_cards_agree_with_title_records(client):
    status, body = get(client, "/titles", q="the", limit=20)
    assert status == 200 and body["items"]
    for item in body["items"]:
        _, record = get(client, f"/titles/{item['id']}")
        assert {k: record[k] for k in ("title", "platform", "type", "release_year", "score", "score_count")} == {
            k: item[k] for k in ("title", "platform", "type", "release_year", "score", "score_count")}


def test_search_default_limit_and_empty_answer(client):
    status, body = get(client, "/titles", q="e")
    assert status == 200 and len(body["items"]) == 10 and body["limit"] == 10 and body["total"] > 10
    assert get(client, "/titles", q="qqqqqqqq") == (200, {"q": "qqqqqqqq", "limit": 10, "total": 0, "items": []})


@pytest.mark.parametrize("query, parameter", [
    ({}, "q"), ({"q": ""}, "q"), ({"q": "  "}, "q"), ({"q": "x" * 101}, "q"), ({"q": "\u200b"}, "q"),
    ({"q": "a", "limit": "0"}, "limit"), ({"q": "a", "limit": "51"}, "limit"), ({"q": "a", "limit": "1.5"}, "limit"),
    ({"q": "a", "limit": "ten"}, "limit"), ({"q": "a", "k": "3"}, "k"), ({"q": "a", "Q": "b"}, "Q"),
])
def test_search_bad_input_is_a_400(client, query, parameter):
    status, body = get(client, "/titles", **query)
    assert status == 400 and set(body) == BAD_REQUEST_KEYS and body["parameter"] == parameter, body


def test_search_repeated_q_is_a_400(client):
    response = client.http.get("/titles?q=a&q=b")
    assert response.status_code == 400 and json.loads(response.body)["parameter"] == "q"


def test_title_path_route_still_answers_beside_the_search(client):
    assert get(client, "/titles/ns1")[0] == 200
    assert get(client, "/titles/ns1/similar", k=2)[0] == 200


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


def test_examples_ratings_match_the_model(client, api_models):
    from model_training import registry
    from reelrec.model_artifact import ModelArtifact
    from reelrec.storage import open_store

    store = open_store(api_models)
    artifact = ModelArtifact.from_bytes(store.read_bytes(registry.current(store)["key"]))
    m = artifact.model
    sizes = dict(zip(m.user_ids.tolist(), np.diff(m.hist_indptr).tolist(), strict=True))
    body = get(client, "/users/examples", n=50)[1]
    assert len(body["users"]) == min(50, len(m.user_ids))
    assert all(sizes[u["user_id"]] == u["ratings"] for u in body["users"])
    assert body["users"][0]["ratings"] == min(sizes.values()) and body["users"][-1]["ratings"] == max(sizes.values())


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
    assert not re.search(r"https?://", css + js) and "@import" not in css and "@font-face" not in css
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
        assert set(body) == {"q", "limit", "total", "items"} and len(body["items"]) <= body["limit"] <= 50
        assert all(body["q"] in item["title"] for item in body["items"])
    else:
        assert set(body) == BAD_REQUEST_KEYS


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.text(st.characters(blacklist_characters="#"), max_size=60))
def test_any_raw_search_query_string(plain_client, raw):
    response = plain_client.http.get(f"/titles?{raw}")
    assert response.status_code in (200, 400), response.body[:300]
