"""Read the lake (pyarrow) into the plain numpy arrays the model code works on; to be replaced for the Lambda."""

from __future__ import annotations

import glob
import os

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from model_training.data import TEXT_COLUMNS, Catalog, Ratings


def load_catalog(lake: str) -> Catalog:
    """Read every titles/*.parquet of a local lake into a Catalog sorted by title id."""
    files = sorted(glob.glob(os.path.join(lake, "titles", "*.parquet")))
    table = pa.concat_tables([pq.read_table(f) for f in files])
    ids = np.asarray(table.column("id").to_pylist(), dtype=object)
    order = np.argsort(ids.astype(str), kind="stable")

    def col(name: str) -> np.ndarray:
        return np.asarray(table.column(name).to_pylist(), dtype=object)[order]

    years = np.asarray(table.column("release_year").to_numpy(zero_copy_only=False), dtype=np.int32)[order]
    return Catalog(
        ids=ids[order],
        titles=col("title"),
        platforms=col("platform"),
        release_year=years,
        text={c: col(c) for c in TEXT_COLUMNS if c != "release_year"},
    )


def load_ratings(lake: str, catalog: Catalog) -> Ratings:
    """Read every ratings/*.parquet of a local lake as arrays indexed into the catalog (unknown ids dropped)."""
    files = sorted(glob.glob(os.path.join(lake, "ratings", "*.parquet")))
    parts = [pq.read_table(f, columns=["user_id", "title_id", "score", "timestamp"]) for f in files]
    table = pa.concat_tables(parts)
    title_ids = table.column("title_id").combine_chunks().dictionary_encode()
    dict_ids = np.asarray(title_ids.dictionary.to_pylist(), dtype=object)
    codes = title_ids.indices.to_numpy(zero_copy_only=False)
    pos = catalog.index_of(dict_ids)
    item_idx = pos[codes]
    keep = item_idx >= 0
    return Ratings(
        user_ids=table.column("user_id").to_numpy().astype(np.int64)[keep],
        item_idx=item_idx[keep].astype(np.int32),
        scores=table.column("score").to_numpy().astype(np.float32)[keep],
        timestamps=table.column("timestamp").to_numpy().astype(np.int64)[keep],
    )
