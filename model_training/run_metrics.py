"""What one training run reports as CloudWatch metrics (``reelrec.metrics``), from its outcome.

A run that wrote a version reports whether the gate refused it, the promoted version's nDCG@10 for new viewers
(only when promoted) and the age of the version served at its end; a run that ended in an error reports that, and
the served version's age when the models area can still be read; a run that found the area busy reports nothing.
Standard library only (the registry reads JSON).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, TextIO

from model_training import registry
from model_training.records import CANDIDATE
from reelrec import metrics
from reelrec.storage import Store, StoreError

if TYPE_CHECKING:  # the job's module imports numpy and scipy; this one does not need them
    from model_training.job import RunResult


def run_values(result: RunResult | None, served_created: dt.datetime | None = None,
               now: dt.datetime | None = None) -> dict[str, float]:
    """The metric values of one run: ``result`` None for a run that ended in an error, whose served version's
    creation time is then ``served_created`` (a finished run carries its own)."""
    values: dict[str, float] = {metrics.TRAINING_FAILED: 0.0 if result is not None else 1.0}
    if result is not None:
        values[metrics.TRAINING_GATE_REFUSED] = 0.0 if result.promoted else 1.0
        if result.promoted:
            values[metrics.TRAINING_PROMOTED_NDCG] = result.metrics["evaluation"]["new"][CANDIDATE]["ndcg@10"]
        served_created = result.served_created
    if served_created is not None:
        age = (now or dt.datetime.now(dt.UTC)) - served_created
        values[metrics.MODEL_AGE_HOURS] = round(max(age.total_seconds(), 0.0) / 3600, 4)
    return values


def served_created(models: Store | None) -> dt.datetime | None:
    """When the version ``models`` serves was made; None when nothing is served or the area cannot be read."""
    if models is None:
        return None
    try:
        pointer = registry.current(models)
        return registry.created_at(models, pointer["version"]) if pointer else None
    except (StoreError, OSError):
        return None


def publish(result: RunResult | None, models: Store | None = None, stream: TextIO | None = None) -> dict[str, Any]:
    """Emit the run's metrics (one EMF document: stdout in Lambda, a DEBUG log line elsewhere); for a failed run
    the served version's age is read from ``models``. Returns the document."""
    created = None if result is not None else served_created(models)
    return metrics.emit(run_values(result, created), stream=stream)
