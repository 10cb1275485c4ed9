"""The metrics the jobs really emit are the ones reelrec.metrics names and the stack's alarms watch: an ETL run and a
training run (as in Lambda: EMF lines on stdout) together emit every name, and nothing else; every alarm on a custom metric watches one of them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from reelrec import metrics

TEMPLATE = Path(__file__).resolve().parents[1] / "infra" / "template.yaml"
pytestmark = pytest.mark.integration


def _emitted(out: str) -> set[str]:
    names: set[str] = set()
    for line in out.splitlines():
        if line.startswith('{"_aws"'):
            doc = json.loads(line)
            (declared,) = doc["_aws"]["CloudWatchMetrics"]
            assert declared["Namespace"] == metrics.NAMESPACE and doc[metrics.DIMENSION] == "test"
            names |= {m["Name"] for m in declared["Metrics"]}
    return names


def _watched() -> set[str]:
    """Every custom metric an alarm of the stack watches (directly or in a metric-math query)."""
    template = yaml.safe_load(TEMPLATE.read_text())
    names: set[str] = set()
    for res in template["Resources"].values():
        if res["Type"] != "AWS::CloudWatch::Alarm":
            continue
        props = res["Properties"]
        queries = [props] + [q.get("MetricStat", {}).get("Metric", {}) for q in props.get("Metrics", [])]
        names |= {q["MetricName"] for q in queries if q.get("Namespace") == metrics.NAMESPACE}
    return names


def test_an_etl_and_a_training_run_emit_exactly_the_watched_metrics(tmp_path, monkeypatch, capsys):
    from datagen import generate
    from etl_job.__main__ import main as etl_main
    from model_training.__main__ import main as train_main

    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "reelrec-test")  # emit as in Lambda: EMF lines on stdout
    monkeypatch.setenv("REELREC_STAGE", "test")
    raw, lake = tmp_path / "raw", tmp_path / "lake"
    generate(str(raw), "tiny", seed=0)
    assert etl_main(["--raw", str(raw), "--lake", str(lake), "--users", str(tmp_path / "users")]) == 0
    etl = _emitted(capsys.readouterr().out)
    assert train_main(["--lake", str(lake), "--models", str(tmp_path / "models"), "--eval-users", "30"]) == 0
    training = _emitted(capsys.readouterr().out)
    assert etl and training and not etl & training
    assert etl | training == set(metrics.UNITS)  # a promoted first run emits its nDCG and its model's age too
    assert _watched() <= etl | training  # every alarm on a custom metric watches one the jobs emit
    # (test_alarms.py checks that the alarms and the dashboard together watch every name in reelrec.metrics)
