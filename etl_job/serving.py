"""The API's catalog snapshot, built from the lake after each run that changed it.

Scores need every rating, so each ratings part gets a small aggregate (title_id, score_sum, score_count)
when it is loaded; a snapshot then combines those instead of re-reading millions of ratings.
Everything is columnar: string columns are taken straight from Arrow's buffers.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from etl_job.works import group_works
from reelrec import layout
from reelrec.audience import audience_codes
from reelrec.catalog_snapshot import (
    CODES,
    DISPLAY_STRINGS,
    NO_DATE,
    STRING_COLUMNS,
    CatalogSnapshot,
    Strings,
    TrainingRatings,
    encode_ids,
)
from reelrec.catalog_snapshot import FORMAT as SNAPSHOT_FORMAT
from reelrec.schemas import DISPLAY_COLUMNS
from reelrec.search_index import build_search_index
from reelrec.storage import Store

AGGREGATE_SCHEMA = pa.schema([("title_id", pa.string()), ("score_sum", pa.float64()), ("score_count", pa.int64())])
KEEP_SNAPSHOTS = 3  # older snapshot versions are deleted; the pointer always names a kept one


class PartSummary:
    """What a ratings part adds besides itself, built batch by batch while it is cleaned (no second read):
    per-title score aggregates, and the part as numpy arrays for the training job (no pyarrow there)."""

    def __init__(self, title_ids: pa.Array) -> None:
        self.title_ids = title_ids
        self.sums = np.zeros(len(title_ids))
        self.counts = np.zeros(len(title_ids), np.int64)
        self.columns: dict[str, list[np.ndarray]] = {"user_id": [], "title_code": [], "score": [], "timestamp": []}

    def add(self, batch: pa.RecordBatch) -> None:
        """Take in one cleaned batch (every title id in it is in ``title_ids``)."""
        codes = pc.index_in(batch.column("title_id"), value_set=self.title_ids).to_numpy().astype(np.int32)
        score = batch.column("score").to_numpy()
        self.sums += np.bincount(codes, weights=score, minlength=len(self.title_ids))
        self.counts += np.bincount(codes, minlength=len(self.title_ids))
        self.columns["user_id"].append(batch.column("user_id").to_numpy())
        self.columns["title_code"].append(codes)
        self.columns["score"].append(score.astype(np.float32))
        self.columns["timestamp"].append(batch.column("timestamp").to_numpy())

    def aggregates(self) -> pa.Table:
        seen = self.counts > 0
        return pa.table({"title_id": self.title_ids.filter(pa.array(seen)), "score_sum": self.sums[seen],
                         "score_count": self.counts[seen]}, schema=AGGREGATE_SCHEMA)

    def write_training(self, path: Path) -> None:
        """The part's ratings as a ``TrainingRatings`` npz file (title codes index the catalog's ids)."""
        empty = {"user_id": np.int64, "title_code": np.int32, "score": np.float32, "timestamp": np.int64}
        arrays = {k: np.concatenate(v) if v else np.zeros(0, empty[k]) for k, v in self.columns.items()}
        TrainingRatings(title_ids=encode_ids(self.title_ids.to_pylist()), **arrays).write(path)


def _strings(column: pa.ChunkedArray) -> Strings:
    """Arrow strings (nulls as '') -> one blob + offsets, without a Python loop."""
    arr = pc.fill_null(column, "").combine_chunks().cast(pa.large_string())
    _, offsets_buf, data_buf = arr.buffers()
    offsets = np.frombuffer(offsets_buf, np.int64)[arr.offset : arr.offset + len(arr) + 1]
    blob = np.frombuffer(data_buf, np.uint8) if data_buf is not None else np.zeros(0, np.uint8)
    return Strings(blob[offsets[0] : offsets[-1]].copy(), offsets - offsets[0])


def _codes(column: pa.ChunkedArray, values: tuple[str, ...], dtype: npt.DTypeLike) -> np.ndarray:
    """Index of each value in ``values`` (-1 for null or unknown)."""
    return pc.fill_null(pc.index_in(column, value_set=pa.array(values)), -1).to_numpy().astype(dtype)


def _names(cast: pa.ChunkedArray) -> tuple[pa.Array, np.ndarray]:
    """Every cast entry (trimmed, non-empty) and the row it belongs to."""
    lists = pc.split_pattern(pc.fill_null(cast, ""), ",").combine_chunks()
    names = pc.utf8_trim_whitespace(lists.flatten())
    rows = pc.list_parent_indices(lists).to_numpy()
    keep = pc.not_equal(names, "").to_numpy(zero_copy_only=False)
    return names.filter(pa.array(keep)), rows[keep]


def _cast_matrix(cast: pa.ChunkedArray, display: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray, Strings, Strings]:
    """CSR of each title's distinct cast members over an alphabetically sorted vocabulary (the lake's lower-case
    names), and each vocabulary entry as the catalog first wrote it (``display`` is ``cast`` with its case)."""
    names, rows = _names(cast)
    shown, _ = _names(display)
    distinct = pc.unique(names)
    vocab = pc.take(distinct, pc.array_sort_indices(distinct))
    codes = pc.index_in(names, value_set=vocab).to_numpy().astype(np.int64)
    if len(shown) == len(names):
        _, first = np.unique(codes, return_index=True)
        spelled = pc.take(shown, pa.array(first))
    else:  # cannot happen (display is cast before lower-casing); never show a wrong name
        spelled = vocab
    pairs = np.unique(rows.astype(np.int64) * len(vocab) + codes)  # one entry per (title, actor)
    pair_rows, pair_actors = pairs // max(len(vocab), 1), pairs % max(len(vocab), 1)
    indptr = np.zeros(len(cast) + 1, np.int32)
    np.cumsum(np.bincount(pair_rows, minlength=len(cast)), out=indptr[1:])
    return indptr, pair_actors.astype(np.int32), _strings(pa.chunked_array([vocab])), _strings(pa.chunked_array([spelled]))


def build_catalog_snapshot(titles: pa.Table, aggregates: list[pa.Table], version: str) -> CatalogSnapshot:
    """Join the lake's titles with their mean scores and lay them out for the API."""
    agg = pa.concat_tables([a.cast(AGGREGATE_SCHEMA) for a in aggregates]) if aggregates else AGGREGATE_SCHEMA.empty_table()
    agg = agg.group_by("title_id").aggregate([("score_sum", "sum"), ("score_count", "sum")])
    joined = titles.join(agg, keys="id", right_keys="title_id", join_type="left outer").sort_by("id")
    counts = pc.fill_null(joined["score_count_sum"], 0)
    means = pc.divide(joined["score_sum_sum"], pc.cast(counts, pa.float64()))
    n = joined.num_rows
    order = pc.sort_indices(joined, sort_keys=[("title", "ascending"), ("id", "ascending")]).to_numpy()
    rank = np.empty(n, np.int32)
    rank[order] = np.arange(n, dtype=np.int32)
    indptr, indices, actors, actor_names = _cast_matrix(joined["cast"], joined[DISPLAY_COLUMNS["cast"]])
    days = pc.cast(joined["date_added"], pa.int32())
    defaulted = pc.fill_null(joined["rating_defaulted"], False).to_numpy().astype(bool)
    display = {column: _strings(joined[column]) for column in DISPLAY_STRINGS}
    search = build_search_index(*(_texts(display[DISPLAY_COLUMNS[c]]) for c in ("title", "director", "cast")))
    return CatalogSnapshot(
        version=version,
        ids=encode_ids(joined["id"].to_pylist()),
        platform=_codes(joined["platform"], CODES["platform"], np.uint8),
        kind=_codes(joined["type"], CODES["kind"], np.uint8),
        release_year=pc.fill_null(joined["release_year"], 0).to_numpy().astype(np.int16),
        duration_int=pc.fill_null(joined["duration_int"], -1).to_numpy().astype(np.int32),
        duration_type=_codes(joined["duration_type"], CODES["duration_type"], np.int8),
        title_rank=rank,
        score_mean=pc.fill_null(means, float("nan")).to_numpy().astype(np.float64),
        score_count=counts.to_numpy().astype(np.int32),
        cast_indptr=indptr,
        cast_indices=indices,
        date_added=pc.fill_null(days, NO_DATE).to_numpy().astype(np.int32),
        actors=actors,
        **{name: _strings(joined[name]) for name in STRING_COLUMNS},
        **display,
        actor_names=actor_names,
        work=group_works(joined),
        rating_defaulted=defaulted,
        audience=audience_codes(joined["rating"].to_pylist(), defaulted.tolist()),
        search_arrays=search.to_arrays(),
    )


def _texts(strings: Strings) -> list[str]:
    """Every string of a blob, decoded once (the search index is built from Python strings)."""
    blob, offsets = strings.blob.tobytes(), strings.offsets.tolist()
    return [blob[a:b].decode() for a, b in zip(offsets[:-1], offsets[1:], strict=True)]


def pointer_format(lake: Store) -> int | None:
    """Format of the published snapshot (None when there is none or the pointer is unreadable)."""
    if lake.stat(layout.CATALOG_POINTER) is None:
        return None
    try:
        return json.loads(lake.read_bytes(layout.CATALOG_POINTER)).get("format")
    except (ValueError, AttributeError):
        return None


def publish_snapshot(lake: Store, version: str, data: bytes) -> None:
    """Snapshot object first, then the pointer that makes it current (one small atomic write); then prune."""
    current = layout.catalog_snapshot_key(version)
    lake.write_bytes(current, data)
    pointer = {"version": version, "key": current, "format": SNAPSHOT_FORMAT,
               "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "bytes": len(data)}
    lake.write_bytes(layout.CATALOG_POINTER, json.dumps(pointer).encode())
    older = sorted(i.key for i in lake.list(layout.CATALOG_SNAPSHOTS) if i.key.endswith(".npz") and i.key != current)
    for key in older[: max(len(older) - (KEEP_SNAPSHOTS - 1), 0)]:
        lake.delete(key)
