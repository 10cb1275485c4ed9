"""Each section's numbers, in report order (what report.json holds and the figures draw)."""

from __future__ import annotations

import time
from collections.abc import Callable

from reports import SECTIONS, behaviour, catalog, quality, summary
from reports.data import LakeData
from reports.ratings import RatingStats


def compute_sections(data: LakeData, stats: RatingStats, raw_scan: dict | None, raw_note: str | None,
                     say: Callable[[str], None] = lambda _: None) -> dict[str, dict]:
    """Every section's numbers keyed by section id; the summary is computed last, from the others."""
    steps: dict[str, Callable[[], dict]] = {
        "catalog": lambda: catalog.catalog(data.titles),
        "durations": lambda: catalog.durations(data.titles),
        "missing": lambda: quality.missing(data.titles, stats, raw_scan, raw_note),
        "faults": lambda: quality.faults(data),
        "ratings": lambda: behaviour.ratings(data.titles, stats),
        "content": lambda: catalog.content(data.titles),
        "taste": lambda: behaviour.taste(data.titles, stats),
    }
    out: dict[str, dict] = {}
    for name, step in steps.items():
        t0 = time.perf_counter()
        out[name] = step()
        say(f"  section {name}: {time.perf_counter() - t0:.2f} s")
    out["summary"] = {"findings": summary.findings(out)}
    return {sid: out[sid] for sid, _ in SECTIONS}
