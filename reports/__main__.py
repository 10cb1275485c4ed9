"""``python -m reports``: the exploratory data analysis report of the lake, as HTML and JSON."""

from __future__ import annotations

import argparse
import logging
import sys
import time

import pyarrow as pa

from reelrec import logs
from reelrec.cli import add_area_options
from reelrec.config import area_uri
from reelrec.storage import StoreError, open_store
from reports.data import ReportError
from reports.publish import default_out, publish
from reports.report import build_report


def main(argv: list[str] | None = None) -> int:
    """Parse flags, build the report, write it; 0 on success, 1 with a one-line message otherwise."""
    parser = argparse.ArgumentParser(prog="python -m reports", description=__doc__)
    add_area_options(parser, "lake", "raw", notes={"raw": "for missing values in the raw CSVs; skipped when absent"})
    parser.add_argument("--out", help="local folder for report.html and report.json "
                                      "(default: $REELREC_HOME/reports/eda, i.e. ./.reelrec/reports/eda)")
    args = parser.parse_args(argv)
    logs.configure()
    say = logging.getLogger("reelrec.reports").info
    t0 = time.perf_counter()
    try:
        lake = open_store(area_uri("lake", args.lake))
        raw = open_store(area_uri("raw", args.raw))
        report, html = build_report(lake, raw, say)
        paths = publish(lake, args.out or default_out(), report["run"], html, report)
    except (ReportError, StoreError, OSError, pa.ArrowException) as exc:
        say(f"eda: error: {exc}")
        return 1
    say(f"eda: {len(report['sections'])} sections, {len(report['figures'])} figures in "
                 f"{time.perf_counter() - t0:.1f} s -> {', '.join(paths)} (JSON beside each)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
