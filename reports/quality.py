"""Data-quality sections: missing values before and after the ETL, and what the ETL repaired or set aside."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from reports.catalog import platforms_of
from reports.data import LakeData
from reports.ratings import RatingStats


def missing(titles: pa.Table, stats: RatingStats, raw_scan: dict | None, raw_note: str | None) -> dict:
    """Empty values per column in the raw CSVs and nulls per column in the lake, per platform."""
    lake_titles = {}
    for p in platforms_of(titles):
        part = titles.filter(pc.equal(titles["platform"], p))
        lake_titles[p] = {"rows": part.num_rows, "columns": {c: part[c].null_count for c in titles.column_names}}
    raw: dict = {"note": raw_note, "titles": {}, "ratings": {}, "ratings_total": None}
    if raw_scan is not None:
        raw["titles"] = raw_scan["titles"]
        raw["ratings"] = raw_scan["ratings"]
        good = [v for v in raw_scan["ratings"].values() if "error" not in v]
        if good:
            cols: dict[str, int] = {}
            for v in good:
                for c, n in v["columns"].items():
                    cols[c] = cols.get(c, 0) + n
            raw["ratings_total"] = {"files": len(good), "rows": sum(v["rows"] for v in good),
                                    "malformed": sum(v["malformed"] for v in good), "columns": cols}
    return {"raw": raw, "lake": {"titles": lake_titles,
                                 "ratings": {"rows": stats.rows, "columns": dict(stats.nulls)}}}


def faults(data: LakeData) -> dict:
    """Repairs and quarantined rows per input, summed over the latest load of each input (from the manifests)."""
    repairs: dict[str, dict[str, int]] = {}
    reasons: dict[str, dict[str, int]] = {"titles": {}, "ratings": {}}
    for row in data.inputs:
        if row["status"] != "loaded":
            continue
        for name, n in row["repairs"].items():
            repairs.setdefault(name, {})
            repairs[name][row["key"]] = n
        bucket = reasons.setdefault(row["kind"], {})
        for reason, n in row["quarantine"].items():
            bucket[reason] = bucket.get(reason, 0) + n
    reasons = {k: dict(sorted(v.items(), key=lambda kv: (-kv[1], kv[0]))) for k, v in reasons.items()}
    loaded = [r for r in data.inputs if r["status"] == "loaded"]
    read = sum(r["rows_read"] for r in loaded)
    quarantined = sum(r["rows_quarantined"] for r in loaded)
    files = {k: dict(sorted(v.items())) for k, v in data.quarantine_files.items()}
    return {
        "inputs": data.inputs,
        "rows_read": read,
        "rows_written": sum(r["rows_written"] for r in loaded),
        "rows_quarantined": quarantined,
        "quarantined_share": round(quarantined / read, 6) if read else 0.0,
        "repairs": {k: repairs[k] for k in sorted(repairs, key=lambda k: -sum(repairs[k].values()))},
        "repairs_total": sum(sum(v.values()) for v in repairs.values()),
        "quarantine_by_reason": reasons,
        "quarantine_files": files,
        "manifests_match_files": all(dict(sorted(reasons.get(k, {}).items())) == files.get(k, {})
                                     for k in ("titles", "ratings")),
        "last_run": data.last_run,
    }
