"""The API's one logging channel: request ids on every log line and in every error body, JSON lines in Lambda,
the level from LOG_LEVEL."""

from __future__ import annotations

import io
import json
import logging

import pytest

from functions import app as app_module
from reelrec import logs
from tests.api_reference import api_client


@pytest.fixture
def json_logs(monkeypatch):
    """The root logger as it is in Lambda (JSON lines), into a buffer."""
    stream = io.StringIO()
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    logs.configure(json_lines=True, stream=stream)
    yield stream
    root.handlers[:], root.level = saved


def _lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_a_500_names_its_request_id_and_the_log_line_carries_it(monkeypatch, api_lake, json_logs):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(app_module.queries, "get_count_platform", broken)
    with api_client(monkeypatch, api_lake) as c:
        response = c.http.get("/get_count_platform?platform=netflix")
    rid = response.headers["X-Request-Id"]
    assert response.status_code == 500 and response.json_body["request_id"] == rid
    assert "request id" in response.json_body["message"] and rid in response.json_body["message"]
    records = [r for r in _lines(json_logs) if r.get("requestId") == rid]
    traced = [r for r in records if r["level"] == "ERROR" and r.get("errorType") == "RuntimeError"]
    assert traced and "a bug" in traced[0]["errorMessage"] and traced[0]["stackTrace"]
    assert {"timestamp", "level", "message", "logger", "requestId"} <= set(traced[0])


@pytest.mark.parametrize("path", ["/get_actor?platform=nowhere&year=2019", "/titles/zz999999", "/nope-not-a-route"])
def test_every_error_body_carries_the_request_id_of_its_response(monkeypatch, api_lake, path):
    with api_client(monkeypatch, api_lake) as c:
        response = c.http.get(path)
    if response.status_code == 403 or response.status_code == 404 and "request_id" not in response.json_body:
        # an unknown route is answered by the gateway (chalice's local gateway here), before the app runs
        assert path == "/nope-not-a-route"
        return
    assert response.status_code in (400, 404), response.body
    assert response.json_body["request_id"] == response.headers["X-Request-Id"]


def test_two_requests_have_different_ids(monkeypatch, api_lake):
    with api_client(monkeypatch, api_lake) as c:
        ids = {c.http.get("/get_count_platform?platform=hulu").headers["X-Request-Id"] for _ in range(3)}
    assert len(ids) == 3


@pytest.mark.parametrize(("value", "level"), [("DEBUG", logging.DEBUG), ("warning", logging.WARNING),
                                              ("WARN", logging.WARNING), ("", logging.INFO), ("loud", logging.INFO)])
def test_log_level_comes_from_the_environment(value, level):
    assert logs.level_from_env({"LOG_LEVEL": value}) == level


def test_in_lambda_the_runtimes_handler_is_reformatted_not_doubled(monkeypatch):
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    stream = io.StringIO()
    runtime = logging.StreamHandler(stream)  # what Lambda's runtime installs before the handler module loads
    root.handlers[:] = [runtime]
    try:
        logs.configure(environ={"AWS_LAMBDA_FUNCTION_NAME": "reelrec-dev-api", "LOG_LEVEL": "WARNING"})
        assert root.handlers == [runtime] and root.level == logging.WARNING
        with logs.request_scope("req-1"):
            logging.getLogger("reelrec.x").warning("hello %s", "there")
            logging.getLogger("reelrec.x").info("not shown")
        (line,) = _lines(stream)
        assert line["message"] == "hello there" and line["requestId"] == "req-1" and line["level"] == "WARNING"
    finally:
        root.handlers[:], root.level = saved
