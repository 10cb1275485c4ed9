"""``python -m reports``: the exploratory data analysis report of the lake, as HTML and JSON."""

from __future__ import annotations

import argparse
import sys
import time

import pyarrow as pa

from etl_job.progress import Progress
from reelrec.config import area_uri
from reelrec.storage import StoreError, open_store
from reports.data import ReportError
from reports.publish import default_out, publish
from reports.report import build_report


def main(argv: list[str] | None = None) -> int:
    """Parse flags, build the report, write it; 0 on success, 1 with a one-line message otherwise."""
    parser = argparse.ArgumentParser(prog="python -m reports", description=__doc__)
    parser.add_argument("--lake", help="lake URI (default: $REELREC_LAKE or $REELREC_HOME/lake)")
    parser.add_argument("--raw", help="raw area URI, for missing values in the raw CSVs "
                                      "(default: $REELREC_RAW or $REELREC_HOME/raw; skipped when absent)")
    parser.add_argument("--out", help="local folder for report.html and report.json "
                                      "(default: $REELREC_HOME/reports/eda, i.e. ./.reelrec/reports/eda)")
    args = parser.parse_args(argv)
    progress = Progress()
    t0 = time.perf_counter()
    try:
        lake = open_store(area_uri("lake", args.lake))
        raw = open_store(area_uri("raw", args.raw))
        report, html = build_report(lake, raw, progress.say)
        paths = publish(lake, args.out or default_out(), report["run"], html, report)
    except (ReportError, StoreError, OSError, pa.ArrowException) as exc:
        progress.say(f"eda: error: {exc}")
        return 1
    progress.say(f"eda: {len(report['sections'])} sections, {len(report['figures'])} figures in "
                 f"{time.perf_counter() - t0:.1f} s -> {', '.join(paths)} (JSON beside each)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
