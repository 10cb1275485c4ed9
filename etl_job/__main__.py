"""``python -m etl_job``: bring the lake up to date with the raw area."""

from __future__ import annotations

import argparse
import sys

from etl_job.pipeline import run_etl
from etl_job.progress import Progress
from reelrec.config import area_uri
from reelrec.storage import StoreError, open_store


def main(argv: list[str] | None = None) -> int:
    """Parse flags, run, print a summary; exit 0 when every input was usable, 1 otherwise."""
    parser = argparse.ArgumentParser(prog="python -m etl_job", description=__doc__)
    parser.add_argument("--raw", help="raw area URI (default: $REELREC_RAW or $REELREC_HOME/raw)")
    parser.add_argument("--lake", help="lake URI (default: $REELREC_LAKE or $REELREC_HOME/lake)")
    parser.add_argument("--full", action="store_true", help="reprocess every input and drop orphaned lake data")
    args = parser.parse_args(argv)
    progress = Progress()
    try:
        raw, lake = open_store(area_uri("raw", args.raw)), open_store(area_uri("lake", args.lake))
        if raw.uri == lake.uri:
            progress.say(f"etl: error: the raw area and the lake are the same place ({raw.uri})")
            return 1
        lake.check_writable()
        if not raw.list("titles/") and not raw.list("ratings/"):
            progress.say(f"etl: error: no raw inputs under {raw.uri} (expected titles/*.csv and ratings/*.csv)")
            return 1
        progress.say(f"etl: {raw.uri} -> {lake.uri}")
        manifest = run_etl(raw, lake, full=args.full, progress=progress)
    except (StoreError, OSError) as exc:
        progress.say(f"etl: error: {exc}")
        return 1
    t = manifest["totals"]
    rate = t["rows_read"] / max(manifest["seconds"], 1e-6)
    progress.say(
        f"etl: {manifest['status']}: {t['inputs']} inputs ({t['processed']} processed, {t['unchanged']} unchanged, "
        f"{t['duplicate']} duplicate, {t['failed']} failed, {t['deferred']} deferred); {t['rows_read']:,} rows read, "
        f"{t['rows_written']:,} written, {t['rows_quarantined']:,} quarantined in {manifest['seconds']:.1f} s "
        f"({rate:,.0f} rows/s); manifest {manifest['run_id']}"
    )
    return 0 if manifest["status"] == "ok" else 1


if __name__ == "__main__":
    sys.exit(main())
