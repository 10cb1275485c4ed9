"""Operable in production: the job's logging (readable stderr lines in the CLI, JSON lines with the request id in
Lambda, ``LOG_LEVEL``) and the CloudWatch metrics (EMF documents) every training run emits."""

from __future__ import annotations

import datetime as dt
import io
import json

import numpy as np
import pytest
from chalice.test import Client

import model_training.job as job
from model_training import registry, run_metrics
from model_training.__main__ import EXIT_BUSY, EXIT_FAILED, main
from model_training.job import RunResult, run
from reelrec import layout, metrics
from reelrec.lease import acquire
from reelrec.logs import configure
from reelrec.storage import open_store
from tests.test_training_job import PROGRESS, QUIET
from tests.test_training_lambda import APP_DIR, BUCKET, training_app  # noqa: F401  (the module fixture)

NAMES = {metrics.TRAINING_FAILED, metrics.TRAINING_GATE_REFUSED, metrics.TRAINING_PROMOTED_NDCG,
         metrics.MODEL_AGE_HOURS}


@pytest.fixture
def emitted(monkeypatch) -> list[dict]:
    """Every EMF document the job emits, as written (``reelrec.metrics.emit`` on a stream of the test's own)."""
    docs: list[dict] = []
    real = metrics.emit

    def emit(values, stream=None, stage_name=None):
        out = io.StringIO()
        doc = real(values, out, stage_name)
        docs.extend(json.loads(line) for line in out.getvalue().splitlines())
        return doc

    monkeypatch.setattr(metrics, "emit", emit)
    return docs


def values_of(doc: dict, stage: str = "local") -> dict[str, float]:
    """The metric values of an EMF document, after checking it declares exactly those under ``stage``."""
    declared = doc["_aws"]["CloudWatchMetrics"]
    assert len(declared) == 1 and declared[0]["Namespace"] == metrics.NAMESPACE
    assert declared[0]["Dimensions"] == [[metrics.DIMENSION]] and doc[metrics.DIMENSION] == stage
    names = [m["Name"] for m in declared[0]["Metrics"]]
    assert set(names) <= NAMES and all(metrics.UNITS[m["Name"]] == m["Unit"] for m in declared[0]["Metrics"])
    return {name: doc[name] for name in names}


def report_of(models, version: str) -> dict:
    return json.loads(open_store(models).read_bytes(layout.model_key(version, "metrics.json")))


def test_a_promoted_run_emits_its_ndcg_and_a_fresh_model_age(api_lake, tmp_path, capsys, emitted):
    assert main(["--lake", str(api_lake), "--models", str(tmp_path / "m"), "--eval-users", "50"]) == 0
    said = capsys.readouterr()
    assert said.out == "" and all(PROGRESS.match(line) for line in said.err.strip().splitlines()), said
    assert len(emitted) == 1
    got = values_of(emitted[0])
    served = registry.current(open_store(tmp_path / "m"))["version"]
    ndcg = report_of(tmp_path / "m", served)["evaluation"]["new"]["hybrid"]["ndcg@10"]
    assert got[metrics.TRAINING_PROMOTED_NDCG] == ndcg
    assert got[metrics.TRAINING_GATE_REFUSED] == 0 and got[metrics.TRAINING_FAILED] == 0
    assert 0 <= got[metrics.MODEL_AGE_HOURS] < 0.1  # the version just made


def test_a_refused_run_emits_the_refusal_and_the_served_models_age(api_lake, tmp_path, monkeypatch, emitted):
    lake, models = open_store(api_lake), open_store(tmp_path / "m")
    first = run(lake, models, **QUIET)
    assert emitted == []  # the job itself emits nothing: its callers do, once per run
    real_load = job.load_ratings

    def broken_etl(store, catalog):  # an ETL run that lost most ratings parts: the gate's data guard refuses
        ratings, dropped = real_load(store, catalog)
        return ratings.take(np.arange(len(ratings)) % 3 == 0), dropped

    monkeypatch.setattr(job, "load_ratings", broken_etl)
    assert main(["--lake", str(api_lake), "--models", str(tmp_path / "m"), "--eval-users", "50"]) == 0
    assert registry.current(models)["version"] == first.version
    got = values_of(emitted[0])
    assert len(emitted) == 1 and metrics.TRAINING_PROMOTED_NDCG not in got
    assert got[metrics.TRAINING_GATE_REFUSED] == 1 and got[metrics.TRAINING_FAILED] == 0
    created = dt.datetime.fromisoformat(report_of(tmp_path / "m", first.version)["created"])
    age = (dt.datetime.now(dt.UTC) - created).total_seconds() / 3600
    assert 0 <= got[metrics.MODEL_AGE_HOURS] <= age + 1e-3  # the first version's age, still served


def test_a_failed_run_emits_the_failure_and_a_busy_one_nothing(api_lake, tmp_path, capsys, emitted):
    empty = tmp_path / "empty-lake"
    empty.mkdir()
    assert main(["--lake", str(empty), "--models", str(tmp_path / "m")]) == EXIT_FAILED
    assert values_of(emitted.pop()) == {metrics.TRAINING_FAILED: 1}  # nothing served yet: no age
    run(open_store(api_lake), open_store(tmp_path / "m"), **QUIET)
    assert main(["--lake", str(empty), "--models", str(tmp_path / "m")]) == EXIT_FAILED
    got = values_of(emitted.pop())
    assert got.keys() == {metrics.TRAINING_FAILED, metrics.MODEL_AGE_HOURS} and got[metrics.TRAINING_FAILED] == 1
    assert main(["--lake", str(tmp_path / "m"), "--models", str(tmp_path / "m")]) == EXIT_FAILED  # same place
    assert values_of(emitted.pop()) == {metrics.TRAINING_FAILED: 1}
    holder = acquire(open_store(tmp_path / "m"), "training run")
    assert main(["--lake", str(api_lake), "--models", str(tmp_path / "m")]) == EXIT_BUSY
    holder.release()
    assert main(["--models", str(tmp_path / "m"), "--list"]) == 0  # not a training run
    assert emitted == []
    assert "Traceback" not in capsys.readouterr().err


def test_run_values_map_each_outcome():
    created = dt.datetime(2026, 1, 2, 3, 0, tzinfo=dt.UTC)
    now = created + dt.timedelta(hours=30, minutes=6)
    report = {"evaluation": {"new": {"hybrid": {"ndcg@10": 0.15}}}}
    promoted = RunResult("v2", True, "not worse", "v2", report, created)  # type: ignore[arg-type]
    refused = RunResult("v2", False, "worse", "v1", report, created)  # type: ignore[arg-type]
    assert run_metrics.run_values(promoted, now=now) == {
        metrics.TRAINING_FAILED: 0, metrics.TRAINING_GATE_REFUSED: 0, metrics.TRAINING_PROMOTED_NDCG: 0.15,
        metrics.MODEL_AGE_HOURS: 30.1}
    assert run_metrics.run_values(refused, now=now) == {
        metrics.TRAINING_FAILED: 0, metrics.TRAINING_GATE_REFUSED: 1, metrics.MODEL_AGE_HOURS: 30.1}
    assert run_metrics.run_values(None, created, now=now) == {metrics.TRAINING_FAILED: 1,
                                                              metrics.MODEL_AGE_HOURS: 30.1}
    assert run_metrics.run_values(None) == {metrics.TRAINING_FAILED: 1}
    doc = run_metrics.publish(refused, stream=(out := io.StringIO()))
    assert json.loads(out.getvalue()) == doc and doc[metrics.TRAINING_GATE_REFUSED] == 1


def test_the_served_age_falls_back_to_the_version_name(tmp_path):
    models = open_store(tmp_path / "m")
    assert run_metrics.served_created(models) is None and run_metrics.served_created(None) is None
    registry.promote(models, "20000101T060000Z-other", "by hand")  # no report: the name's time
    assert run_metrics.served_created(models) == dt.datetime(2000, 1, 1, 6, tzinfo=dt.UTC)


def test_log_level_comes_from_the_environment(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("LOG_LEVEL", "WARNING")
    assert main(["--lake", str(tmp_path), "--models", str(tmp_path / "m")]) == EXIT_FAILED
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "error:" in lines[0] and PROGRESS.match(lines[0]), lines  # no "lake -> models"


def test_the_lambda_logs_json_lines_with_the_request_id_and_emits_on_errors(aws, training_app, capsys,  # noqa: F811
                                                                              monkeypatch):
    aws.create_bucket(Bucket=BUCKET)  # an empty lake: the run fails with a message
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "reelrec-training-dev-train")
    logged = io.StringIO()
    configure(json_lines=True, stream=logged)  # stands in for the runtime's handler, which configure() keeps
    with Client(training_app.app, stage_name="dev", project_dir=str(APP_DIR)) as client:
        on_demand = client.lambda_.invoke("train", {}).payload
        event = client.events.generate_cw_event(source="aws.events", detail_type="Scheduled Event", detail={},
                                                resources=["arn:aws:events:us-east-1:123456789012:rule/retrain"])
        scheduled = client.lambda_.invoke("retrain", event).payload
    assert on_demand["status"] == scheduled["status"] == "error", (on_demand, scheduled)
    records = [json.loads(line) for line in logged.getvalue().splitlines()]
    failures = [r for r in records if r["message"].startswith("training failed:")]
    assert len(failures) == 2 and all(r["level"] == "ERROR" and r["logger"] == "reelrec.training" for r in failures)
    ids = [r.get("requestId") for r in failures]
    assert all(ids) and ids[0] != ids[1], records  # one id per invocation, the schedule's included
    docs = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith('{"_aws"')]
    assert [values_of(d, "dev") for d in docs] == [{metrics.TRAINING_FAILED: 1}] * 2  # stdout: CloudWatch reads it


def test_the_request_id_is_optional(training_app):  # noqa: F811
    class Context:
        aws_request_id = "abc-123"

    assert training_app.request_id_of(None, object(), Context()) == "abc-123"
    assert training_app.request_id_of(None, object()) is None
