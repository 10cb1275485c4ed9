"""reelrec's training Lambda: the training job and its promotion gate, on a schedule and on demand.

A Chalice app of its own because its package differs from the API's: numpy + scipy + implicit (no pyarrow: the
ETL writes the training input as numpy). ``reelrec`` and ``model_training`` are vendored at build time.
Nothing runs at import time (``chalice package`` imports this module).
"""

from __future__ import annotations

import logging
import os

from chalice import Chalice, Rate

app = Chalice(app_name="reelrec-training")
log = logging.getLogger("reelrec.training")
log.setLevel(logging.INFO)


def train_once(force: bool = False) -> dict:
    """Run the training job on the stage's lake and models area; a summary of what it did.

    Expected failures (no catalog or ratings yet, an unreadable store) are answered with ``status: error`` and
    a one-line message in the log, not a traceback; anything else propagates so the invocation counts as failed."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    # imported per call, not at module level: `chalice package` imports this module without the job's packages
    from model_training.job import TrainingError, run
    from reelrec.config import area_uri
    from reelrec.lease import LeaseHeld
    from reelrec.storage import StoreError, open_store

    try:
        lake, models = open_store(area_uri("lake")), open_store(area_uri("models"))
        result = run(lake, models, force=force, log=log.info)
    except LeaseHeld as exc:
        log.warning("training not run: %s", exc)
        return {"status": "busy", "message": str(exc)}
    except (TrainingError, StoreError) as exc:
        log.error("training failed: %s", exc)
        return {"status": "error", "message": str(exc)}
    m = result.metrics
    summary = {
        "status": "ok",
        "version": result.version,
        "promoted": result.promoted,
        "reason": result.reason,
        "serving": result.current,
        "ndcg@10": {mode: m["evaluation"][mode]["hybrid"]["ndcg@10"] for mode in ("known", "new")},
        "seconds": m["timings"]["total"],
    }
    log.info("training done: %s", summary)
    return summary


@app.schedule(Rate(1, unit=Rate.DAYS), name="retrain")
def retrain(event: object) -> dict:
    """Daily: train on what the lake holds now; the gate decides whether the API switches to it."""
    return train_once(force=False)


@app.lambda_function(name="train")
def train(event: dict, context: object) -> dict:
    """On demand (``aws lambda invoke``): ``{"force": true}`` promotes even a version the gate refuses."""
    force = isinstance(event, dict) and event.get("force") is True
    return train_once(force=force)
