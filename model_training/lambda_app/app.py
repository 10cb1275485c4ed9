"""reelrec's training Lambda: the training job and its promotion gate, on a schedule and on demand.

A Chalice app of its own because its package differs from the API's: numpy + scipy + implicit (no pyarrow: the
ETL writes the training input as numpy). ``reelrec`` and ``model_training`` are vendored at build time.
Nothing runs at import time (``chalice package`` imports this module). Every invocation logs JSON lines tagged with
its request id (``reelrec.logs``, level from ``LOG_LEVEL``) and emits the run's metrics (``run_metrics``).
"""

from __future__ import annotations

import logging
import os
from typing import Any

from chalice import Chalice, Rate

app = Chalice(app_name="reelrec-training")
log = logging.getLogger("reelrec.training")


def request_id_of(*contexts: object) -> str | None:
    """The invocation's request id from the first context that has one (``reelrec.logs.invocation_id``)."""
    from reelrec.logs import invocation_id

    return invocation_id(*contexts)


def train_once(force: bool = False, request_id: str | None = None) -> dict[str, Any]:
    """Run the training job on the stage's lake and models area; a summary of what it did.

    Expected failures (no catalog or ratings yet, an unreadable store) are answered with ``status: error`` and
    a one-line message in the log, not a traceback; anything else propagates so the invocation counts as failed.
    Either failure emits ``TrainingRunFailed``; a busy models area emits nothing."""
    from reelrec.logs import configure, request_scope

    configure()
    with request_scope(request_id):
        return _train_once(force)


def _train_once(force: bool) -> dict[str, Any]:
    """``train_once`` inside its request's logging scope."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    # imported per call, not at module level: `chalice package` imports this module without the job's packages
    from model_training import run_metrics
    from model_training.job import TrainingError, run
    from model_training.records import CANDIDATE, MODES
    from reelrec.config import area_uri
    from reelrec.lease import LeaseHeld
    from reelrec.storage import Store, StoreError, open_store

    models: Store | None = None
    try:
        lake = open_store(area_uri("lake"))
        models = open_store(area_uri("models"))
        result = run(lake, models, force=force)
    except LeaseHeld as exc:
        log.warning("training not run: %s", exc)
        return {"status": "busy", "message": str(exc)}
    except (TrainingError, StoreError) as exc:
        log.error("training failed: %s", exc)
        run_metrics.publish(None, models)
        return {"status": "error", "message": str(exc)}
    except Exception:
        run_metrics.publish(None, models)
        raise
    run_metrics.publish(result)
    m = result.metrics
    summary = {
        "status": "ok",
        "version": result.version,
        "promoted": result.promoted,
        "reason": result.reason,
        "serving": result.current,
        "ndcg@10": {mode: m["evaluation"][mode][CANDIDATE]["ndcg@10"] for mode in MODES},
        "seconds": m["timings"]["total"],
    }
    log.info("training done: %s", summary)
    return summary


@app.schedule(Rate(1, unit=Rate.DAYS), name="retrain")
def retrain(event: Any) -> dict[str, Any]:
    """Daily: train on what the lake holds now; the gate decides whether the API switches to it."""
    return train_once(force=False, request_id=request_id_of(getattr(event, "context", None),
                                                            getattr(app, "lambda_context", None)))


@app.lambda_function(name="train")
def train(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """On demand (``aws lambda invoke``): ``{"force": true}`` promotes even a version the gate refuses."""
    force = isinstance(event, dict) and event.get("force") is True
    return train_once(force=force, request_id=request_id_of(context, getattr(app, "lambda_context", None)))
