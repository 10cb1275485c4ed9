"""One report run: read the lake (and the raw area), compute the sections, draw, render."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

from reelrec import layout
from reelrec.storage import Store, StoreError
from reports.data import load_lake
from reports.figures import make_charts
from reports.html import render
from reports.ratings import reduce_ratings
from reports.raw import scan_raw
from reports.sections import compute_sections


def _raw_scan(raw: Store | None, say: Callable[[str], None]) -> tuple[dict | None, str | None]:
    """Empty values in the raw area, or None and why they were not measured."""
    if raw is None:
        return None, "no raw area given"
    try:
        if not raw.list(layout.RAW_TITLES) and not raw.list(layout.RAW_RATINGS):
            return None, f"no raw CSVs at {raw.uri}"
        return scan_raw(raw, say), None
    except StoreError as exc:
        return None, f"raw area not readable: {exc}"


def build_report(lake: Store, raw: Store | None, say: Callable[[str], None] = lambda _: None) -> tuple[dict, str]:
    """The report's numbers (JSON-ready) and its HTML; raises ReportError for a missing or empty lake."""
    t0 = time.perf_counter()
    now = dt.datetime.now(dt.UTC)
    run = now.strftime("%Y%m%dT%H%M%SZ")
    say(f"eda: reading {lake.uri}")
    data = load_lake(lake)
    say(f"  {data.titles.num_rows:,} titles, {len(data.inputs)} inputs in _state.json, "
        f"{len(data.ratings_keys)} ratings file(s) ({time.perf_counter() - t0:.1f} s)")
    stats = reduce_ratings(lake, data.ratings_keys, data.titles, say)
    say(f"  {stats.rows:,} ratings reduced ({time.perf_counter() - t0:.1f} s)")
    raw_scan, raw_note = _raw_scan(raw, say)
    if raw_note:
        say(f"  raw data: {raw_note}: the raw missing-value table is left out")
    sections = compute_sections(data, stats, raw_scan, raw_note, say)
    charts = make_charts(sections, say)
    report = {"report": "reelrec exploratory data analysis", "format": 1, "run": run,
              "generated": now.isoformat(timespec="seconds"), "lake": lake.uri, "raw": raw.uri if raw else None,
              "seconds": round(time.perf_counter() - t0, 2),
              "figures": [{"section": c.section, "caption": c.caption} for c in charts],
              "sections": sections}
    return report, render(report, charts)
