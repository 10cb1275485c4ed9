"""The API's catalog snapshot, built from the lake after each run that changed it.

Scores need every rating, so each ratings part gets a small aggregate (title_id, score_sum, score_count)
when it is loaded; a snapshot then combines those instead of re-reading millions of ratings.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from reelrec.catalog_snapshot import CODES, CatalogSnapshot, Strings

AGGREGATE_SCHEMA = pa.schema([("title_id", pa.string()), ("score_sum", pa.float64()), ("score_count", pa.int64())])
KEEP_SNAPSHOTS = 3  # older snapshot versions are deleted; the pointer always names a kept one


def rating_aggregates(ratings_parquet: Path) -> pa.Table:
    """Per title: the sum and number of its scores in one ratings part."""
    table = pq.read_table(ratings_parquet, columns=["title_id", "score"])
    agg = table.group_by("title_id").aggregate([("score", "sum"), ("score", "count")])
    return agg.rename_columns(["title_id", "score_sum", "score_count"]).cast(AGGREGATE_SCHEMA)


def _codes(column: pa.ChunkedArray, values: tuple[str, ...], dtype) -> np.ndarray:
    """Index of each value in ``values`` (-1 for null or unknown)."""
    index = pc.index_in(column, value_set=pa.array(values))
    return pc.fill_null(index, -1).to_numpy().astype(dtype)


def _cast_lists(cast: list[str | None]) -> tuple[np.ndarray, np.ndarray, Strings]:
    """CSR of each title's distinct cast members, over an alphabetically sorted vocabulary."""
    per_title = [sorted({a.strip() for a in c.split(",") if a.strip()}) if c else [] for c in cast]
    vocab = sorted({a for names in per_title for a in names})
    position = {name: i for i, name in enumerate(vocab)}
    indptr = np.zeros(len(per_title) + 1, np.int32)
    np.cumsum([len(n) for n in per_title], out=indptr[1:])
    indices = np.fromiter((position[a] for names in per_title for a in names), np.int32, count=int(indptr[-1]))
    return indptr, indices, Strings.build(vocab)


def build_catalog_snapshot(titles: pa.Table, aggregates: list[pa.Table], version: str) -> CatalogSnapshot:
    """Join the lake's titles with their mean scores and lay them out for the API."""
    titles = titles.sort_by("id")
    agg = pa.concat_tables([a.cast(AGGREGATE_SCHEMA) for a in aggregates]) if aggregates else AGGREGATE_SCHEMA.empty_table()
    agg = agg.group_by("title_id").aggregate([("score_sum", "sum"), ("score_count", "sum")])
    joined = titles.join(agg, keys="id", right_keys="title_id", join_type="left outer").sort_by("id")
    counts = pc.fill_null(joined["score_count_sum"], 0)
    means = pc.divide(joined["score_sum_sum"], pc.cast(counts, pa.float64()))
    n = joined.num_rows
    order = pc.sort_indices(joined, sort_keys=[("title", "ascending"), ("id", "ascending")]).to_numpy()
    rank = np.empty(n, np.int32)
    rank[order] = np.arange(n, dtype=np.int32)
    indptr, indices, actors = _cast_lists(joined["cast"].to_pylist())
    mean_np = pc.fill_null(means, float("nan")).to_numpy().astype(np.float64)
    count_np = counts.to_numpy().astype(np.int32)
    rows = joined.select(titles.column_names).to_pylist()
    records = []
    for row, mean, count in zip(rows, mean_np, count_np, strict=True):
        row["date_added"] = row["date_added"].isoformat() if row["date_added"] else None
        row["score"] = None if np.isnan(mean) else round(float(mean), 4)
        row["score_count"] = int(count)
        records.append(json.dumps(row, ensure_ascii=False))
    return CatalogSnapshot(
        version=version,
        ids=np.array(joined["id"].to_pylist(), dtype="S"),
        platform=_codes(joined["platform"], CODES["platform"], np.uint8),
        kind=_codes(joined["type"], CODES["kind"], np.uint8),
        release_year=pc.fill_null(joined["release_year"], 0).to_numpy().astype(np.int16),
        duration_int=pc.fill_null(joined["duration_int"], -1).to_numpy().astype(np.int32),
        duration_type=_codes(joined["duration_type"], CODES["duration_type"], np.int8),
        title_rank=rank,
        score_mean=mean_np,
        score_count=count_np,
        cast_indptr=indptr,
        cast_indices=indices,
        titles=Strings.build(joined["title"].to_pylist()),
        actors=actors,
        records=Strings.build(records),
    )
