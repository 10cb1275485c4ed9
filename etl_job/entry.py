"""What the CLI (``python -m etl_job``) and the ETL Lambda (``etl_job/lambda_app``) share: opening and checking
the two areas before a run, and the one-line summary of a run's manifest."""

from __future__ import annotations

from reelrec.config import area_uri
from reelrec.storage import Store, StoreError, open_store


def open_areas(raw_uri: str | None = None, lake_uri: str | None = None) -> tuple[Store, Store]:
    """The raw and lake stores (flag, then env var, then home), checked: different places, a usable lake, and at
    least one raw input. Raises ``StoreError`` with a one-line message otherwise."""
    raw, lake = open_store(area_uri("raw", raw_uri)), open_store(area_uri("lake", lake_uri))
    if raw.uri == lake.uri:
        raise StoreError(f"the raw area and the lake are the same place ({raw.uri})")
    lake.check_writable()
    if not raw.list("titles/") and not raw.list("ratings/"):
        raise StoreError(f"no raw inputs under {raw.uri} (expected titles/*.csv and ratings/*.csv)")
    return raw, lake


def summary_line(manifest: dict) -> str:
    """``ok: 6 inputs (2 processed, ...); N rows read, ... in S s (R rows/s); manifest <run id>``."""
    t = manifest["totals"]
    rate = t["rows_read"] / max(manifest["seconds"], 1e-6)
    return (
        f"{manifest['status']}: {t['inputs']} inputs ({t['processed']} processed, {t['unchanged']} unchanged, "
        f"{t['duplicate']} duplicate, {t['failed']} failed, {t['deferred']} deferred); {t['rows_read']:,} rows read, "
        f"{t['rows_written']:,} written, {t['rows_quarantined']:,} quarantined in {manifest['seconds']:.1f} s "
        f"({rate:,.0f} rows/s); manifest {manifest['run_id']}"
    )
