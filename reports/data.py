"""Load what the report needs from the lake: titles, the latest load of each input, and the quarantine."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from reelrec import layout
from reelrec.schemas import PLATFORMS
from reelrec.storage import Store, StoreError


class ReportError(Exception):
    """A problem with the inputs worth a one-line message and exit code 1 (no lake, empty lake)."""


@dataclass
class LakeData:
    """The lake's titles (every column), its load history and its quarantine counts."""

    uri: str
    titles: pa.Table
    ratings_keys: list[str]
    inputs: list[dict] = field(default_factory=list)  # latest load of each input (from _state.json + manifests)
    last_run: dict | None = None  # summary of the newest manifest
    quarantine_files: dict[str, dict[str, int]] = field(default_factory=dict)  # kind -> reason -> rows


def parquet_keys(lake: Store, prefix: str) -> list[str]:
    """Parquet objects directly under ``prefix`` (sorted)."""
    return [i.key for i in lake.list(prefix)
            if i.key.endswith(".parquet") and "/" not in i.key[len(prefix):]]


def read_parquet(lake: Store, key: str, columns: list[str] | None = None) -> pa.Table:
    """One parquet object of the store (downloaded first when the store is S3)."""
    with lake.local_copy(key) as path:
        return pq.read_table(path, columns=columns)


def load_titles(lake: Store) -> pa.Table:
    """Every title of the lake, platforms in their usual order; ReportError when there are none."""
    keys = parquet_keys(lake, layout.LAKE_TITLES)
    if not keys:
        what = "no lake" if lake.stat(layout.LAKE_STATE) is None else "an empty lake (no titles/*.parquet)"
        raise ReportError(f"{what} at {lake.uri}: run the ETL first "
                          "(python -m etl_job --raw RAW --lake LAKE) or pass --lake")
    order = {layout.lake_titles_key(p): i for i, p in enumerate(PLATFORMS)}
    tables = [read_parquet(lake, k) for k in sorted(keys, key=lambda k: (order.get(k, 99), k))]
    titles = pa.concat_tables(tables, promote_options="default")
    if titles.num_rows == 0:
        raise ReportError(f"the lake at {lake.uri} has no title rows: run the ETL first")
    return titles


def _json(lake: Store, key: str) -> dict | None:
    """A JSON object of the lake, or None when it is absent or unreadable."""
    if lake.stat(key) is None:
        return None
    try:
        data = json.loads(lake.read_bytes(key))
    except (StoreError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def latest_inputs(lake: Store) -> list[dict]:
    """Per input of ``_state.json``: the manifest entry of the run that last loaded it."""
    state = _json(lake, layout.LAKE_STATE) or {}
    manifests: dict[str, dict | None] = {}
    rows = []
    for key, entry in sorted((state.get("inputs") or {}).items()):
        row = {"key": key, "kind": entry.get("kind", "?"), "run_id": entry.get("run_id"), "status": "loaded",
               "rows_read": entry.get("rows_read", 0), "rows_written": entry.get("rows_written", 0),
               "rows_quarantined": entry.get("rows_quarantined", 0), "quarantine": {}, "repairs": {}, "note": None}
        if entry.get("duplicate_of"):
            row.update(status="duplicate", note=f"same content as {entry['duplicate_of']}; not loaded twice")
        elif row["run_id"]:
            rid = row["run_id"]
            if rid not in manifests:
                manifests[rid] = _json(lake, layout.manifest_key(rid))
            found = [e for e in (manifests[rid] or {}).get("inputs", []) if e.get("key") == key]
            if found:
                e = found[0]
                row.update({k: e.get(k, row[k]) for k in ("rows_read", "rows_written", "rows_quarantined")},
                           quarantine=dict(e.get("quarantine") or {}), repairs=dict(e.get("repairs") or {}))
            else:
                row["note"] = f"manifest of run {rid} not found: counts from _state.json, no reasons"
        rows.append(row)
    return rows


def last_run(lake: Store) -> dict | None:
    """The newest manifest in brief: id, start, status, totals, and its inputs that failed or waited."""
    keys = sorted(i.key for i in lake.list(layout.LAKE_MANIFESTS) if i.key.endswith(".json"))
    manifest = _json(lake, keys[-1]) if keys else None
    if manifest is None:
        return None
    problems = [{"key": e.get("key"), "status": e.get("status"), "why": e.get("error") or e.get("note")}
                for e in manifest.get("inputs", []) if e.get("status") in ("failed", "deferred", "missing")]
    return {"run_id": manifest.get("run_id"), "started": manifest.get("started"), "status": manifest.get("status"),
            "seconds": manifest.get("seconds"), "totals": manifest.get("totals", {}), "problems": problems,
            "runs": len(keys)}


def quarantine_counts(lake: Store) -> dict[str, dict[str, int]]:
    """Rows per reason in the quarantine parquet files, by kind (titles, ratings)."""
    out: dict[str, dict[str, int]] = {}
    for kind in ("titles", "ratings"):
        counts: dict[str, int] = {}
        for key in parquet_keys(lake, f"{layout.LAKE_QUARANTINE}{kind}/"):
            reasons = read_parquet(lake, key, ["reason"])["reason"]
            for item in pc.value_counts(reasons).to_pylist():
                counts[item["values"]] = counts.get(item["values"], 0) + item["counts"]
        out[kind] = dict(sorted(counts.items()))
    return out


def load_lake(lake: Store) -> LakeData:
    """Everything but the ratings themselves (see ``reports.ratings``); ReportError for a missing or empty lake."""
    titles = load_titles(lake)
    return LakeData(uri=lake.uri, titles=titles, ratings_keys=parquet_keys(lake, layout.LAKE_RATINGS),
                    inputs=latest_inputs(lake), last_run=last_run(lake), quarantine_files=quarantine_counts(lake))
