"""Reduce the lake's ratings to small aggregates, one parquet object at a time (memory stays bounded)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from reelrec.schemas import PLATFORMS
from reelrec.storage import Store

COLUMNS = ["user_id", "title_id", "score", "date"]
UNKNOWN = len(PLATFORMS)  # platform code of a rating whose title is not in the lake's catalog


@dataclass
class RatingStats:
    """Aggregates of every rating row: per title (aligned with the titles table), per user, score, month."""

    rows: int = 0
    files: int = 0
    incomplete: int = 0  # rows with a null in a needed column (the ETL never writes any): left out
    unknown_title: int = 0  # title_id not in the lake's titles (the catalog changed without --full)
    title_count: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    title_sum: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float64))
    user_platform: pa.Table | None = None  # u, p, n: ratings per user and platform code
    score_platform: pa.Table | None = None  # p, score, n
    month_platform: pa.Table | None = None  # p, month (months since 1970-01), n
    nulls: dict[str, int] = field(default_factory=dict)  # nulls per lake ratings column (all columns)
    columns: list[str] = field(default_factory=list)


def _nulls(path, into: dict[str, int]) -> None:
    """Add each column's null count from the parquet footer (read the column when statistics lack it)."""
    pf = pq.ParquetFile(path)
    meta = pf.metadata
    for j, name in enumerate(pf.schema_arrow.names):
        stats = [meta.row_group(i).column(j).statistics for i in range(meta.num_row_groups)]
        if all(s is not None and s.has_null_count for s in stats):
            count = sum(s.null_count for s in stats)
        else:
            count = pf.read([name]).column(0).null_count
        into[name] = into.get(name, 0) + count


def _sum_by(parts: list[pa.Table], keys: list[str]) -> pa.Table:
    """Combine per-file partial counts ``n`` by ``keys``."""
    table = pa.concat_tables(parts)
    return table.group_by(keys).aggregate([("n", "sum")]).rename_columns([*keys, "n"])


def reduce_ratings(lake: Store, keys: list[str], titles: pa.Table,
                   say: Callable[[str], None] = lambda _: None) -> RatingStats:
    """Stream every ratings object and return its aggregates."""
    ids = titles["id"].combine_chunks()
    plat_of_title = np.append(pc.fill_null(pc.index_in(titles["platform"], pa.array(PLATFORMS)), UNKNOWN)
                              .to_numpy().astype(np.int8), np.int8(UNKNOWN))  # index -1 -> unknown
    stats = RatingStats(title_count=np.zeros(len(ids), np.int64), title_sum=np.zeros(len(ids), np.float64))
    users, scores, months = [], [], []
    for n, key in enumerate(keys, 1):
        with lake.local_copy(key) as path:
            _nulls(path, stats.nulls)
            stats.columns = stats.columns or pq.ParquetFile(path).schema_arrow.names
            table = pq.read_table(path, columns=COLUMNS)
        stats.rows += table.num_rows
        stats.files += 1
        if any(table[c].null_count for c in COLUMNS):
            kept = table.drop_null()
            stats.incomplete += table.num_rows - kept.num_rows
            table = kept
        tidx = pc.fill_null(pc.index_in(table["title_id"], value_set=ids), -1).to_numpy()
        known = tidx >= 0
        stats.unknown_title += int((~known).sum())
        score = table["score"].to_numpy()
        stats.title_count += np.bincount(tidx[known], minlength=len(ids))
        stats.title_sum += np.bincount(tidx[known], weights=score[known], minlength=len(ids))
        plat = plat_of_title[tidx]
        month = (table["date"].to_numpy().astype("datetime64[M]").astype(np.int64)).astype(np.int32)
        part = pa.table({"u": table["user_id"], "p": plat, "score": table["score"], "month": month})
        users.append(part.group_by(["u", "p"]).aggregate([([], "count_all")]).rename_columns(["u", "p", "n"]))
        scores.append(part.group_by(["p", "score"]).aggregate([([], "count_all")]).rename_columns(["p", "score", "n"]))
        months.append(part.group_by(["p", "month"]).aggregate([([], "count_all")]).rename_columns(["p", "month", "n"]))
        say(f"  {key}: {table.num_rows:,} ratings ({n}/{len(keys)})")
    if keys:
        stats.user_platform = _sum_by(users, ["u", "p"])
        stats.score_platform = _sum_by(scores, ["p", "score"])
        stats.month_platform = _sum_by(months, ["p", "month"])
    return stats
