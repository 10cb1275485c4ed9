"""The custom metrics the jobs publish, through CloudWatch's embedded metric format (EMF): one JSON line on stdout
that CloudWatch Logs turns into metrics; no client library and no PutMetricData permission.

This module is the one list of names: the jobs emit only these, and the stack's alarms and dashboard
(``infra/template.yaml``) watch them (``tests/test_alarms.py`` checks both sides). Every metric has one dimension,
``Stage`` (``REELREC_STAGE``; ``local`` outside a deployed stage).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections.abc import Mapping
from typing import TextIO

from reelrec.logs import in_lambda

NAMESPACE = "reelrec"
DIMENSION = "Stage"

# ETL, one value per run
ETL_ROWS_READ = "EtlRowsRead"
ETL_ROWS_WRITTEN = "EtlRowsWritten"
ETL_ROWS_QUARANTINED = "EtlRowsQuarantined"
ETL_QUARANTINE_SHARE = "EtlQuarantineSharePercent"  # quarantined / read of the run, 0-100
ETL_SUCCEEDED = "EtlRunSucceeded"  # 1 for a run that ended ok, else 0
ETL_FAILED = "EtlRunFailed"  # 1 for a run that failed (an input failed or waited, or the run errored), else 0
# training, one value per run
TRAINING_PROMOTED_NDCG = "TrainingPromotedNdcgAt10"  # nDCG@10 (new viewers) of a version the gate promoted
TRAINING_GATE_REFUSED = "TrainingGateRefused"  # 1 when the gate refused the new version, 0 when it promoted it
TRAINING_FAILED = "TrainingRunFailed"  # 1 for a run that ended in an error, else 0
MODEL_AGE_HOURS = "ServedModelAgeHours"  # age of the version being served at the end of the run

UNITS: dict[str, str] = {
    ETL_ROWS_READ: "Count",
    ETL_ROWS_WRITTEN: "Count",
    ETL_ROWS_QUARANTINED: "Count",
    ETL_QUARANTINE_SHARE: "Percent",
    ETL_SUCCEEDED: "Count",
    ETL_FAILED: "Count",
    TRAINING_PROMOTED_NDCG: "None",
    TRAINING_GATE_REFUSED: "Count",
    TRAINING_FAILED: "Count",
    MODEL_AGE_HOURS: "None",
}

log = logging.getLogger("reelrec.metrics")


class UnknownMetric(ValueError):
    """A metric name that is not in ``UNITS`` (nothing would watch it)."""


def stage(environ: Mapping[str, str] | None = None) -> str:
    """The stage the metrics are filed under: ``REELREC_STAGE``, else ``local``."""
    return (os.environ if environ is None else environ).get("REELREC_STAGE") or "local"


def document(values: Mapping[str, float], stage_name: str | None = None, now: float | None = None) -> dict:
    """The EMF document of ``values`` (name -> number) under the stage's dimension."""
    unknown = sorted(set(values) - set(UNITS))
    if unknown:
        raise UnknownMetric(f"unknown metric(s) {', '.join(unknown)}; known: {', '.join(sorted(UNITS))}")
    return {
        "_aws": {
            "Timestamp": int((time.time() if now is None else now) * 1000),
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [[DIMENSION]],
                "Metrics": [{"Name": name, "Unit": UNITS[name]} for name in values],
            }],
        },
        DIMENSION: stage_name or stage(),
        **{name: float(value) for name, value in values.items()},
    }


def emit(values: Mapping[str, float], stream: TextIO | None = None, stage_name: str | None = None) -> dict:
    """Publish ``values``: one EMF line on ``stream`` (stdout in Lambda, where CloudWatch Logs reads it); outside
    Lambda without a stream the values are only logged at DEBUG (a CLI's stdout stays its own). Returns the
    document."""
    doc = document(values, stage_name)
    out = stream if stream is not None else (sys.stdout if in_lambda() else None)
    if out is None:
        log.debug("metrics: %s", json.dumps(doc))
    else:
        out.write(json.dumps(doc) + "\n")
        out.flush()
    return doc
