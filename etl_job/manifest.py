"""The run's manifest (``_manifests/<run id>.json``): every input's outcome, the totals and the run's status."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from typing import Literal, NotRequired, TypedDict

from etl_job import TRANSFORM_VERSION
from etl_job.histories import HistoriesSummary
from etl_job.inputs import InputEntry, Outcome
from reelrec import layout
from reelrec.storage import Store


class Totals(TypedDict):
    """Inputs per status, and the rows of the inputs this run loaded."""

    inputs: int
    processed: int
    unchanged: int
    duplicate: int
    failed: int
    deferred: int
    missing: int
    rows_read: int
    rows_written: int
    rows_quarantined: int


class Manifest(TypedDict):
    """One run, as written to the lake and returned by ``run_etl``."""

    run_id: str
    transform_version: str
    raw: str
    lake: str
    started: str  # ISO 8601, UTC, to the second
    seconds: float
    status: Literal["ok", "failed"]  # failed: an input failed or waited, or the history store was not updated
    totals: Totals
    inputs: list[InputEntry]  # titles first, then by key
    catalog_snapshot: str | None  # the snapshot this run published (its run id), None when it published none
    histories: NotRequired[HistoriesSummary]  # when the run keeps a history store


def totals(outcomes: list[Outcome]) -> Totals:
    """The manifest's totals of ``outcomes``."""
    count = Counter(o.status for o in outcomes)
    done = [o for o in outcomes if o.status == "processed"]
    return {
        "inputs": len(outcomes),
        "processed": count["processed"], "unchanged": count["unchanged"], "duplicate": count["duplicate"],
        "failed": count["failed"], "deferred": count["deferred"], "missing": count["missing"],
        "rows_read": sum(o.rows_read for o in done),
        "rows_written": sum(o.rows_written for o in done),
        "rows_quarantined": sum(o.rows_quarantined for o in done),
    }


def build_manifest(run_id: str, raw: Store, lake: Store, started: dt.datetime, seconds: float,
                   outcomes: list[Outcome], snapshot: str | None) -> Manifest:
    """The manifest of a run that started at ``started`` and took ``seconds`` until its publish."""
    t = totals(outcomes)
    return {
        "run_id": run_id,
        "transform_version": TRANSFORM_VERSION,
        "raw": raw.uri,
        "lake": lake.uri,
        "started": started.isoformat(timespec="seconds"),
        "seconds": round(seconds, 3),
        "status": "failed" if t["failed"] or t["deferred"] else "ok",
        "totals": t,
        "inputs": [o.entry() for o in sorted(outcomes, key=lambda o: (o.kind != "titles", o.key))],
        "catalog_snapshot": snapshot,
    }


def write_manifest(lake: Store, manifest: Manifest) -> None:
    """Write (or rewrite) the run's manifest in the lake."""
    lake.write_bytes(layout.manifest_key(manifest["run_id"]), json.dumps(manifest, indent=1).encode())
