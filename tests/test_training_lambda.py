"""The training Lambda (model_training/lambda_app) through Chalice's test client, with its stage config, on moto S3."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from chalice.test import Client

from reelrec import layout
from tests.api_reference import api_client, get

APP_DIR = Path(__file__).resolve().parents[1] / "model_training" / "lambda_app"
BUCKET = "reelrec-dev-data"  # the dev stage's bucket (lambda_app/.chalice/config.json), created in moto


@pytest.fixture(scope="module")
def training_app():
    """The training app module, loaded under its own name (the API's module is also called ``app``)."""
    spec = importlib.util.spec_from_file_location("reelrec_training_app", APP_DIR / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def upload(s3, folder: Path, prefix: str) -> None:
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        s3.upload_file(str(path), BUCKET, f"{prefix}/{path.relative_to(folder).as_posix()}")


def test_schedule_and_on_demand_invocations_train_gate_and_serve(aws, api_lake, training_app, monkeypatch):
    aws.create_bucket(Bucket=BUCKET)
    upload(aws, api_lake, "lake")
    monkeypatch.setattr("model_training.job.DEFAULT_MAX_EVAL_USERS", 200)
    with Client(training_app.app, stage_name="dev", project_dir=str(APP_DIR)) as client:
        event = client.events.generate_cw_event(
            source="aws.events", detail_type="Scheduled Event", detail={},
            resources=["arn:aws:events:us-east-1:123456789012:rule/reelrec-training-dev-retrain"])
        first = client.lambda_.invoke("retrain", event).payload
        assert first["status"] == "ok" and first["promoted"] and first["serving"] == first["version"], first
        pointer = json.loads(aws.get_object(Bucket=BUCKET, Key=f"models/{layout.MODEL_POINTER}")["Body"].read())
        assert pointer["version"] == first["version"]
        keys = {o["Key"] for o in aws.list_objects_v2(Bucket=BUCKET, Prefix="models/versions/")["Contents"]}
        assert {f"models/{layout.model_key(first['version'], n)}" for n in ("model.npz", "metrics.json",
                                                                              "metrics.md")} <= keys
        forced = client.lambda_.invoke("train", {"force": True}).payload
        assert forced["promoted"] and forced["reason"] == "forced (--force)"
        again = client.lambda_.invoke("train", {}).payload  # same data, same parameters: not worse, promoted
        assert again["promoted"] and "not worse" in again["reason"]

    # the API reads the promoted model from the same bucket
    with api_client(monkeypatch, f"s3://{BUCKET}/lake", models=f"s3://{BUCKET}/models",
                    users=api_lake.parent / "users") as api:
        status, body = get(api, "/health")
        assert status == 200 and body["model"]["snapshot_version"] == again["version"], body
        from model_training.registry import current
        from reelrec.model_artifact import ModelArtifact
        from reelrec.storage import open_store

        models = open_store(f"s3://{BUCKET}/models")
        user = ModelArtifact.from_bytes(models.read_bytes(current(models)["key"])).info["examples"][0]["user_id"]
        status, body = get(api, f"/users/{user}/recommendations", k=5)
        assert status == 200 and body["model_version"] == again["version"] and len(body["items"]) == 5, body


def test_an_empty_lake_is_a_clear_error_not_a_traceback(aws, training_app, caplog):
    aws.create_bucket(Bucket=BUCKET)
    with Client(training_app.app, stage_name="dev", project_dir=str(APP_DIR)) as client:
        result = client.lambda_.invoke("train", {}).payload
    assert result["status"] == "error" and "run the ETL first" in result["message"]
    assert "Traceback" not in caplog.text


def test_stage_config_and_least_privilege_policy():
    config = json.loads((APP_DIR / ".chalice" / "config.json").read_text())
    for stage in ("dev", "prod"):
        settings = config["stages"][stage]
        bucket = f"reelrec-{stage}-data"
        assert settings["autogen_policy"] is False and settings["lambda_timeout"] <= 900
        assert settings["reserved_concurrency"] == 1  # two runs at once would race on the pointer
        policy = json.loads((APP_DIR / ".chalice" / settings["iam_policy_file"]).read_text())
        grants = {(a, r) for s in policy["Statement"] for a in s["Action"] for r in s["Resource"]}
        assert {r for a, r in grants if a == "s3:PutObject"} == {f"arn:aws:s3:::{bucket}/models/*"}
        assert {r for a, r in grants if a == "s3:DeleteObject"} == {f"arn:aws:s3:::{bucket}/models/versions/*"}
        assert not any("raw/" in r or r.endswith("/lake/*") for _, r in grants)  # never the raw area or whole lake
    lines = (APP_DIR / "requirements.txt").read_text().splitlines()
    reqs = [ln.split(">")[0].split("=")[0].strip() for ln in lines if ln.strip() and not ln.startswith("#")]
    assert reqs == ["numpy", "scipy", "implicit", "threadpoolctl"]  # no pyarrow, no pandas
