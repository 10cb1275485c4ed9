"""The ETL Lambda (etl_job/lambda_app) through Chalice's test client, with its stage config, on moto S3: which events
start a run, on-demand runs, clear errors, logs tagged with the request id, the run's metrics, and the
least-privilege policy. The whole cloud flow (ETL -> training -> API) is rehearsed in tests/test_cloud_rehearsal.py."""

from __future__ import annotations

import importlib.util
import json
import logging
from pathlib import Path
from types import SimpleNamespace

import pytest
from chalice.test import Client

from reelrec import metrics
from reelrec.logs import request_id
from tests.rawfiles import ratings_csv, titles_csv

ROOT = Path(__file__).resolve().parents[1]
APP_DIR = ROOT / "etl_job" / "lambda_app"
BUCKET = "reelrec-dev-data"  # the dev stage's bucket (etl_job/lambda_app/.chalice/config.json), created in moto


def load_app(name: str, folder: Path):
    """A Chalice app module loaded under its own name (every app's module is called ``app``)."""
    spec = importlib.util.spec_from_file_location(name, folder / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def etl_app():
    return load_app("reelrec_etl_app", APP_DIR)


def object_created(client: Client, bucket: str, key: str, size: int = 1, etag: str = "0" * 32) -> dict:
    """The event EventBridge delivers for an S3 "Object Created" notification (the bucket sends it there)."""
    return client.events.generate_cw_event(
        source="aws.s3", detail_type="Object Created", region="us-east-1", resources=[f"arn:aws:s3:::{bucket}"],
        detail={"version": "0", "bucket": {"name": bucket},
                "object": {"key": key, "size": size, "etag": etag, "sequencer": "00617F08299329D189"},
                "request-id": "N4N7GDK58NMKJ12R", "requester": "123456789012", "source-ip-address": "203.0.113.15",
                "reason": "PutObject"})


def put_raw(aws, key: str, body: str) -> None:
    aws.put_object(Bucket=BUCKET, Key=f"raw/{key}", Body=body.encode())


def test_an_event_for_a_raw_file_runs_the_etl_and_on_demand_full_rebuilds(aws, etl_app):
    import boto3

    from reelrec.histories import create_table, open_histories

    aws.create_bucket(Bucket=BUCKET)
    create_table(boto3.client("dynamodb"), "reelrec-dev-histories")
    put_raw(aws, "titles/netflix_titles.csv", titles_csv({"title": "Alpha"}, {"title": "Beta"}))
    put_raw(aws, "ratings/1.csv", ratings_csv((1, 4.0, 1600000000, "ns1"), (2, 5.0, 1600000000, "ns2")))
    with Client(etl_app.app, stage_name="dev", project_dir=str(APP_DIR)) as client:
        first = client.lambda_.invoke("etl", object_created(client, BUCKET, "raw/ratings/1.csv")).payload
        assert first["status"] == "ok" and first["trigger"] == f"s3://{BUCKET}/raw/ratings/1.csv", first
        assert first["totals"]["processed"] == 2 and first["totals"]["rows_written"] == 4 and not first["problems"]
        assert first["histories"]["mode"] == "full" and first["histories"]["viewers"] == 2, first
        assert open_histories("dynamodb://reelrec-dev-histories").get(2).title_ids.tolist() == [b"ns2"]
        again = client.lambda_.invoke("etl", object_created(client, BUCKET, "raw/titles/netflix_titles.csv")).payload
        assert again["status"] == "ok" and again["totals"]["unchanged"] == 2 and again["totals"]["processed"] == 0
        full = client.lambda_.invoke("etl", {"full": True}).payload
        assert full["trigger"] == "on demand" and full["full"] and full["totals"]["processed"] == 2, full
    keys = {o["Key"] for o in aws.list_objects_v2(Bucket=BUCKET, Prefix="lake/")["Contents"]}
    assert {"lake/titles/netflix.parquet", "lake/ratings/1.parquet", "lake/serving/catalog/current.json"} <= keys
    assert len([k for k in keys if k.startswith("lake/_manifests/")]) == 3


def test_events_outside_the_raw_area_are_ignored_without_a_run(aws, etl_app):
    aws.create_bucket(Bucket=BUCKET)
    put_raw(aws, "titles/netflix_titles.csv", titles_csv({"title": "Alpha"}))
    with Client(etl_app.app, stage_name="dev", project_dir=str(APP_DIR)) as client:
        for bucket, key in ((BUCKET, "lake/titles/netflix.parquet"), ("someone-elses-bucket", "raw/titles/x.csv"),
                            (BUCKET, "raw/titles/")):  # the last: a folder marker made by the S3 console
            result = client.lambda_.invoke("etl", object_created(client, bucket, key)).payload
            assert result["status"] == "ignored", result
    assert "Contents" not in aws.list_objects_v2(Bucket=BUCKET, Prefix="lake/")


def test_an_empty_raw_area_and_a_failing_input_are_clear_answers_not_tracebacks(aws, etl_app, caplog):
    aws.create_bucket(Bucket=BUCKET)
    with Client(etl_app.app, stage_name="dev", project_dir=str(APP_DIR)) as client:
        empty = client.lambda_.invoke("etl", {}).payload
        assert empty == {"status": "error", "message": f"no raw inputs under s3://{BUCKET}/raw (expected "
                                                       "titles/*.csv and ratings/*.csv)"}
        put_raw(aws, "titles/netflix_titles.csv", titles_csv({"title": "Alpha"}))
        put_raw(aws, "titles/disney_plus_titles.csv", "")
        event = object_created(client, BUCKET, "raw/titles/disney_plus_titles.csv")
        result = client.lambda_.invoke("etl", event).payload
    assert result["status"] == "failed" and result["totals"]["processed"] == 1, result
    assert result["problems"] == [{"key": "titles/disney_plus_titles.csv", "status": "failed", "error": "empty file"}]
    assert "Traceback" not in caplog.text


def test_stage_config_and_least_privilege_policy():
    config = json.loads((APP_DIR / ".chalice" / "config.json").read_text())
    assert config["app_name"] == "reelrec-etl"
    for stage in ("dev", "prod"):
        settings = config["stages"][stage]
        bucket = f"reelrec-{stage}-data"
        assert settings["autogen_policy"] is False and settings["lambda_timeout"] <= 900
        assert settings["reserved_concurrency"] == 1  # runs take no lock: one at a time
        assert settings["environment_variables"] == {"REELREC_RAW": f"s3://{bucket}/raw",
                                                     "REELREC_LAKE": f"s3://{bucket}/lake",
                                                     "REELREC_USERS": f"dynamodb://reelrec-{stage}-histories",
                                                     "REELREC_STAGE": stage, "LOG_LEVEL": "INFO"}
        policy = json.loads((APP_DIR / ".chalice" / settings["iam_policy_file"]).read_text())
        grants = {(a, r) for s in policy["Statement"] for a in s["Action"] for r in s["Resource"]}
        objects = f"arn:aws:s3:::{bucket}/"
        assert {r for a, r in grants if a == "s3:GetObject"} == {
            objects + "raw/titles/*", objects + "raw/ratings/*", objects + "lake/*"}
        for action in ("s3:PutObject", "s3:DeleteObject"):  # never the raw area, never the models
            assert {r for a, r in grants if a == action} == {objects + "lake/*"}
        assert not any("models" in r or r.endswith(":::*") or a == "s3:*" for a, r in grants)
        (listing,) = [s for s in policy["Statement"] if s["Action"] == ["s3:ListBucket"]]
        assert listing["Condition"]["StringLike"]["s3:prefix"] == ["raw/titles/*", "raw/ratings/*", "lake/*"]
    lines = (APP_DIR / "requirements.txt").read_text().splitlines()
    reqs = [ln.split(">")[0].split("<")[0].split("=")[0].strip()
            for ln in lines if ln.strip() and not ln.startswith("#")]
    assert reqs == ["pyarrow", "numpy"]  # no scipy, implicit or pandas


ETL_METRICS = {metrics.ETL_ROWS_READ, metrics.ETL_ROWS_WRITTEN, metrics.ETL_ROWS_QUARANTINED,
               metrics.ETL_QUARANTINE_SHARE, metrics.ETL_SUCCEEDED, metrics.ETL_FAILED}


def emf_lines(stdout: str) -> list[dict]:
    """The EMF documents among a Lambda's stdout lines."""
    docs = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
    return [d for d in docs if "_aws" in d]


def stage_areas(aws) -> None:
    """The dev stage's bucket and history table, empty."""
    import boto3

    from reelrec.histories import create_table

    aws.create_bucket(Bucket=BUCKET)
    create_table(boto3.client("dynamodb"), "reelrec-dev-histories")


def names(doc: dict) -> set[str]:
    return {m["Name"] for m in doc["_aws"]["CloudWatchMetrics"][0]["Metrics"]}


class RequestIds(logging.Handler):
    """Notes the request id in force when each ``reelrec.etl`` record is logged."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str | None] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.ids.append(request_id())


@pytest.fixture
def request_ids():
    handler = RequestIds()
    logger = logging.getLogger("reelrec.etl")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


def test_every_record_of_an_invocation_carries_its_request_id(aws, etl_app, request_ids, monkeypatch):
    stage_areas(aws)
    put_raw(aws, "titles/netflix_titles.csv", titles_csv({"title": "Alpha"}))
    put_raw(aws, "ratings/1.csv", ratings_csv((1, 4.0, 1600000000, "ns1")))
    with Client(etl_app.app, stage_name="dev", project_dir=str(APP_DIR)) as client:
        assert client.lambda_.invoke("etl", {}).payload["status"] == "ok"
        first = list(request_ids.ids)
        assert client.lambda_.invoke("etl", {}).payload["status"] == "ok"
        second = request_ids.ids[len(first):]
    assert len(first) >= 4 and len(set(first)) == 1 and first[0], first  # per file, the summary...
    assert len(set(second)) == 1 and second[0] and second[0] != first[0]
    assert request_id() is None  # the scope ends with the invocation
    # a context without the attribute (a local call) runs untagged instead of failing
    for var in ("REELREC_RAW", "REELREC_LAKE"):
        monkeypatch.setenv(var, f"s3://{BUCKET}/{var[8:].lower()}")
    monkeypatch.setenv("REELREC_USERS", "dynamodb://reelrec-dev-histories")
    request_ids.ids.clear()
    assert etl_app.etl({}, SimpleNamespace())["status"] == "ok"
    assert request_ids.ids and set(request_ids.ids) == {None}
    request_ids.ids.clear()
    assert etl_app.etl({}, SimpleNamespace(aws_request_id="req-42"))["status"] == "ok"
    assert set(request_ids.ids) == {"req-42"}


def test_in_lambda_logs_are_json_lines_and_the_run_emits_its_metrics(aws, etl_app, monkeypatch, caplog, capsys):
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "reelrec-dev-etl")
    stage_areas(aws)
    put_raw(aws, "titles/netflix_titles.csv", titles_csv({"title": "Alpha"}, {"title": "Beta"}))
    put_raw(aws, "ratings/1.csv", ratings_csv((1, 4.0, 1600000000, "ns1"), (2, 9.0, 1600000000, "ns2")))
    with Client(etl_app.app, stage_name="dev", project_dir=str(APP_DIR)) as client:
        result = client.lambda_.invoke("etl", {}).payload
    assert result["status"] == "ok"
    records = [json.loads(line) for line in caplog.text.splitlines()]
    ours = [r for r in records if r["logger"] == "reelrec.etl"]
    assert ours and {r["requestId"] for r in ours} == {ours[0]["requestId"]} and ours[0]["requestId"]
    (loaded,) = [r for r in ours if r.get("input") == "ratings/1.csv"]
    assert loaded["message"].startswith("ratings/1.csv: 2 rows read, 1 written, 1 quarantined")
    assert (loaded["level"], loaded["status"], loaded["rows_quarantined"]) == ("INFO", "processed", 1)
    assert ours[-1]["message"].startswith("etl: ok: 2 inputs (2 processed")
    (doc,) = emf_lines(capsys.readouterr().out)
    assert names(doc) == ETL_METRICS and doc["Stage"] == "dev"
    assert {k: doc[k] for k in ETL_METRICS} == {
        metrics.ETL_ROWS_READ: 4.0, metrics.ETL_ROWS_WRITTEN: 3.0, metrics.ETL_ROWS_QUARANTINED: 1.0,
        metrics.ETL_QUARANTINE_SHARE: 25.0, metrics.ETL_SUCCEEDED: 1.0, metrics.ETL_FAILED: 0.0}


def test_an_errored_run_emits_failed_and_a_busy_one_emits_nothing(aws, etl_app, monkeypatch, capsys):
    from reelrec.lease import acquire
    from reelrec.storage import open_store

    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "reelrec-dev-etl")
    stage_areas(aws)
    with Client(etl_app.app, stage_name="dev", project_dir=str(APP_DIR)) as client:
        assert client.lambda_.invoke("etl", {}).payload["status"] == "error"  # no raw inputs
        (doc,) = emf_lines(capsys.readouterr().out)
        assert names(doc) == ETL_METRICS
        assert (doc[metrics.ETL_FAILED], doc[metrics.ETL_SUCCEEDED], doc[metrics.ETL_ROWS_READ],
                doc[metrics.ETL_QUARANTINE_SHARE]) == (1.0, 0.0, 0.0, 0.0)
        put_raw(aws, "titles/netflix_titles.csv", titles_csv({"title": "Alpha"}))
        put_raw(aws, "titles/hulu_titles.csv", "")  # fails as a file: the run's status is failed
        assert client.lambda_.invoke("etl", {}).payload["status"] == "failed"
        (doc,) = emf_lines(capsys.readouterr().out)
        assert (doc[metrics.ETL_FAILED], doc[metrics.ETL_SUCCEEDED], doc[metrics.ETL_ROWS_READ]) == (1.0, 0.0, 1.0)
        other = acquire(open_store(f"s3://{BUCKET}/lake"), "etl run")
        try:
            assert client.lambda_.invoke("etl", {}).payload["status"] == "busy"
        finally:
            other.release()
        assert emf_lines(capsys.readouterr().out) == []
