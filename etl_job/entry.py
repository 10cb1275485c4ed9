"""What the CLI (``python -m etl_job``) and the ETL Lambda (``etl_job/lambda_app``) share: opening and checking
the two areas before a run, the one-line summary of a run's manifest, and the metrics of a run."""

from __future__ import annotations

import logging
from pathlib import PurePosixPath

from etl_job.histories import HistoriesSummary
from etl_job.manifest import Manifest
from etl_job.progress import LOGGER
from reelrec import metrics
from reelrec.config import area_uri
from reelrec.histories import HistoryStore, HistoryStoreError, open_histories
from reelrec.storage import LocalStore, S3Store, Store, StoreError, open_store

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_BUSY = 0, 1, 2, 3  # docs/etl.md#exit-codes


def overlap(a: Store, b: Store) -> bool:
    """True when one area lies inside the other (or they are the same place): a lake inside the raw area would
    be listed as raw input, and the reverse would be deleted as orphaned lake data."""
    if isinstance(a, LocalStore) and isinstance(b, LocalStore):
        return a.root == b.root or a.root in b.root.parents or b.root in a.root.parents
    if isinstance(a, S3Store) and isinstance(b, S3Store):
        if a.bucket != b.bucket:
            return False
        pa_, pb = PurePosixPath("/", a.prefix), PurePosixPath("/", b.prefix)
        return pa_ == pb or pa_ in pb.parents or pb in pa_.parents
    return False


def open_areas(raw_uri: str | None = None, lake_uri: str | None = None) -> tuple[Store, Store]:
    """The raw and lake stores (flag, then env var, then home), checked: different places, a usable lake, and at
    least one raw input. Raises ``StoreError`` with a one-line message otherwise."""
    raw, lake = open_store(area_uri("raw", raw_uri)), open_store(area_uri("lake", lake_uri))
    if raw.uri == lake.uri:
        raise StoreError(f"the raw area and the lake are the same place ({raw.uri})")
    if overlap(raw, lake):
        raise StoreError(f"the raw area ({raw.uri}) and the lake ({lake.uri}) overlap: one lies inside the other; "
                         "give them separate places")
    lake.check_writable()
    if not raw.list("titles/") and not raw.list("ratings/"):
        raise StoreError(f"no raw inputs under {raw.uri} (expected titles/*.csv and ratings/*.csv)")
    return raw, lake


def open_users(uri: str | None = None) -> HistoryStore:
    """The per-viewer history store the run keeps up to date (flag, then ``REELREC_USERS``, then home), created
    when absent. Raises ``StoreError`` with a one-line message when the URI cannot name one."""
    try:
        return open_histories(area_uri("users", uri), create=True)
    except HistoryStoreError as exc:
        raise StoreError(f"{exc}; set --users or REELREC_USERS") from None


def summary_line(manifest: Manifest) -> str:
    """``ok: 6 inputs (2 processed, ...); N rows read, ... in S s (R rows/s); manifest <run id>``."""
    t = manifest["totals"]
    rate = t["rows_read"] / max(manifest["seconds"], 1e-6)
    return (
        f"{manifest['status']}: {t['inputs']} inputs ({t['processed']} processed, {t['unchanged']} unchanged, "
        f"{t['duplicate']} duplicate, {t['failed']} failed, {t['deferred']} deferred); {t['rows_read']:,} rows read, "
        f"{t['rows_written']:,} written, {t['rows_quarantined']:,} quarantined in {manifest['seconds']:.1f} s "
        f"({rate:,.0f} rows/s); manifest {manifest['run_id']}"
        + _histories_part(manifest.get("histories"))
    )


def _histories_part(h: HistoriesSummary | None) -> str:
    """The summary's history store clause (empty when the run kept none)."""
    if not h:
        return ""
    if "error" in h:
        return f"; histories FAILED: {h['error']}"
    return f"; histories {h['mode']}: {h['viewers']:,} viewers"


def run_metrics(manifest: Manifest | None) -> dict[str, float]:
    """The values a run publishes (``reelrec.metrics``, one each per run): its row counts, the quarantined share
    of the rows read, and whether it succeeded or failed. ``None`` is a run that errored before it had a
    manifest (an unreadable store, no raw inputs): it failed and moved no rows."""
    if manifest is None:
        read = written = quarantined = 0
        ok, failed = False, True
    else:
        t = manifest["totals"]
        read, written, quarantined = t["rows_read"], t["rows_written"], t["rows_quarantined"]
        ok, failed = manifest["status"] == "ok", manifest["status"] == "failed"
    return {
        metrics.ETL_ROWS_READ: float(read),
        metrics.ETL_ROWS_WRITTEN: float(written),
        metrics.ETL_ROWS_QUARANTINED: float(quarantined),
        metrics.ETL_QUARANTINE_SHARE: round(100.0 * quarantined / read, 3) if read else 0.0,
        metrics.ETL_SUCCEEDED: float(ok),
        metrics.ETL_FAILED: float(failed),
    }


def report(manifest: Manifest | None) -> None:
    """End a run as the CLI and the Lambda both do: its summary line on the ETL's logger (a warning unless it went
    well) and its metrics (``None``: a run that errored before it had a manifest)."""
    if manifest is not None:
        logging.getLogger(LOGGER).log(logging.INFO if manifest["status"] == "ok" else logging.WARNING,
                                      "etl: %s", summary_line(manifest))
    metrics.emit(run_metrics(manifest))
