"""reelrec's ETL Lambda: brings the lake up to date when raw files land in the raw area, and on demand.

A Chalice app of its own because its package differs from the API's and the training job's: pyarrow + numpy.
``reelrec`` and ``etl_job`` are vendored at build time (``python infra/package.py etl``). Nothing runs at import
time (``chalice package`` imports this module).

One Lambda function serves both triggers, with a reserved concurrency of 1; the lake's lease (``reelrec.lease``)
also keeps a CLI run from overlapping it (a run that finds the lake held answers ``status: busy``). The trigger is
an EventBridge rule on the data bucket's "Object Created" events under ``raw/titles/`` and ``raw/ratings/``; it is
declared in ``infra/etl-events.json``, which ``infra/package.py`` merges into this app's ``sam.json``, so the bucket comes from the stack (``Ref: DataBucket``) and not from code.
Chalice's ``@app.on_cw_event`` would fix the pattern in code and, next to an on-demand ``@app.lambda_function``,
make a second function with its own concurrency.

Every invocation logs JSON lines tagged with its request id (``reelrec.logs``, level from ``LOG_LEVEL``) and a run
emits its metrics (``etl_job.entry.run_metrics``) as one EMF line on stdout.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Any, TypedDict

from chalice import Chalice

if TYPE_CHECKING:  # for the annotations only: `chalice package` imports this module without pyarrow
    from etl_job.histories import HistoriesSummary
    from etl_job.manifest import Manifest, Totals

app = Chalice(app_name="reelrec-etl")
log = logging.getLogger("reelrec.etl")


class Problem(TypedDict):
    """An input that failed or had to wait."""

    key: str
    status: str
    error: str | None


class RunAnswer(TypedDict):
    """What an invocation that ran the ETL answers (the manifest in the lake has the details)."""

    status: str  # ok, or failed when an input failed or had to wait (see problems)
    run_id: str
    trigger: str
    full: bool
    totals: Totals
    histories: HistoriesSummary | None
    seconds: float
    problems: list[Problem]


class Refusal(TypedDict):
    """What an invocation that did not run the ETL through answers: ``busy``, ``error`` or ``ignored``, and why."""

    status: str
    message: str


def s3_object(event: object) -> tuple[str, str] | None:
    """(bucket, key) of an S3 "Object Created" event as EventBridge delivers it; None for anything else."""
    if not isinstance(event, dict) or event.get("source") != "aws.s3" or event.get("detail-type") != "Object Created":
        return None
    detail = event.get("detail") or {}
    bucket, key = (detail.get("bucket") or {}).get("name"), (detail.get("object") or {}).get("key")
    return (bucket, key) if isinstance(bucket, str) and isinstance(key, str) else None


def run_once(full: bool = False, trigger: str = "on demand", allow_shrink: bool = False) -> RunAnswer | Refusal:
    """Run the ETL on the stage's raw area and lake; a summary of the run (the manifest has the details).

    Expected failures (no raw inputs, an unreadable store) are answered with ``status: error`` and a one-line
    message in the log, not a traceback; anything else propagates so the invocation counts as failed. Either
    emits the run's metrics as failed; a busy lake (another run holds it) emits none."""
    # imported per call, not at module level: `chalice package` imports this module without pyarrow
    from etl_job.entry import open_areas, open_users, report
    from etl_job.pipeline import run_etl
    from etl_job.progress import Progress
    from reelrec.lease import LeaseHeld
    from reelrec.storage import StoreError

    try:
        raw, lake = open_areas()
        # the stage names its DynamoDB table; without REELREC_USERS no history store is kept (a Lambda has no disk
        # that outlives it for a local one)
        users = open_users() if os.environ.get("REELREC_USERS") else None
        log.info("etl: %s -> %s, histories -> %s (%s%s)", raw.uri, lake.uri, users.uri if users else "none", trigger,
                 ", full" if full else "")
        manifest = run_etl(raw, lake, full=full, progress=Progress(), allow_shrink=allow_shrink, users=users)
    except LeaseHeld as exc:
        log.warning("etl not run: %s", exc)
        return {"status": "busy", "message": str(exc)}
    except (StoreError, OSError) as exc:
        log.error("etl failed: %s", exc)
        report(None)
        return {"status": "error", "message": str(exc)}
    except Exception:
        report(None)
        raise
    report(manifest)
    return answer(manifest, trigger, full)


def answer(manifest: Manifest, trigger: str, full: bool) -> RunAnswer:
    """The invocation's answer for a run that published ``manifest``."""
    return {
        "status": manifest["status"],
        "run_id": manifest["run_id"],
        "trigger": trigger,
        "full": full,
        "totals": manifest["totals"],
        "histories": manifest.get("histories"),
        "seconds": manifest["seconds"],
        "problems": [{"key": i["key"], "status": i["status"], "error": i["error"]}
                     for i in manifest["inputs"] if i["status"] in ("failed", "deferred")],
    }


@app.lambda_function(name="etl")
def etl(event: Any, context: Any) -> RunAnswer | Refusal:
    """EventBridge: an S3 "Object Created" event for the raw area runs the (incremental) ETL.
    On demand (``aws lambda invoke``): ``{}`` runs it, ``{"full": true}`` rebuilds the lake from the raw area,
    ``{"allow_shrink": true}`` accepts files that lost more than 20% of their published rows."""
    from reelrec.logs import configure, invocation_id, request_scope

    configure()
    with request_scope(invocation_id(context)):
        return handle(event)


def handle(event: Any) -> RunAnswer | Refusal:
    """What ``etl`` does with one event, inside the invocation's logging scope."""
    created = s3_object(event)
    if created is None:
        flags = event if isinstance(event, dict) else {}
        return run_once(full=flags.get("full") is True, allow_shrink=flags.get("allow_shrink") is True)
    bucket, key = created
    from reelrec.config import area_uri
    from reelrec.storage import S3Store, open_store

    raw = open_store(area_uri("raw"))
    prefix = f"{raw.prefix}/" if isinstance(raw, S3Store) and raw.prefix else ""
    inside = isinstance(raw, S3Store) and bucket == raw.bucket and key.startswith(prefix)
    if not inside or key.endswith("/"):  # another bucket or prefix (a rule too wide), or a folder marker
        log.info("etl: ignored s3://%s/%s: not a file in the raw area %s", bucket, key, raw.uri)
        return {"status": "ignored", "message": f"s3://{bucket}/{key} is not a file in the raw area {raw.uri}"}
    return run_once(trigger=f"s3://{bucket}/{key}")
