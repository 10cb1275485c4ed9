"""Write sampled ratings as course-format CSV deliveries, with exact counts of injected faults.

Lines are built column-wise with Arrow compute (no Python loop per rating) and the file body is
written straight from the joined string buffer. Each faulty or messy row replaces a clean rating
in place, so clean rows + faulty rows = data rows.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from datagen.ratings import Ratings
from reelrec.layout import RAW_RATINGS
from reelrec.schemas import RAW_RATING_COLUMNS

FAULT_RATE = 1e-4  # per reason and file; at least one each when faults are on
FAULT_REASONS = ("malformed", "bad_user_id", "bad_score", "score_out_of_range", "bad_timestamp",
                 "unknown_title_id")
MESSY_KINDS = ("upper_case_id", "padded_id", "integer_score")
BAD_USER_IDS = ("abc", "-4", "", "0")
BAD_SCORES = ("four", "", "good")
OUT_OF_RANGE = ("0", "5.5", "7", "-1")
BAD_TIMESTAMPS = ("yesterday", "tomorrow", "noon")
UNKNOWN_IDS = ("ns999999", "zz12", "as999998", "zz7")
HALF_TEXT = pa.array([f"{h / 2:.1f}" for h in range(11)], pa.large_string())  # index = score * 2


@dataclass
class RatingsFile:
    """One written delivery: its raw key, local path, data row count and injected counts."""

    key: str
    path: str
    rows: int
    faults: dict[str, int] = field(default_factory=dict)
    messy: dict[str, int] = field(default_factory=dict)


def fault_count(rows: int, faults: bool) -> int:
    """Number of rows per fault reason (and per messy kind) for a file of ``rows`` ratings."""
    return max(1, round(rows * FAULT_RATE)) if faults and rows >= 50 else 0


def _strings(values: np.ndarray) -> pa.Array:
    """Return the decimal text of an integer array as an Arrow large_string array."""
    return pc.cast(pa.array(values), pa.large_string())


def _text(value: str) -> pa.Scalar:
    """Return a large_string scalar (the join kernels need matching string types)."""
    return pa.scalar(value, pa.large_string())


def _replace(arr: pa.Array, edits: dict[int, str]) -> pa.Array:
    """Return ``arr`` with the rows at the keys of ``edits`` replaced by their values."""
    if not edits:
        return arr
    pos = sorted(edits)
    mask = np.zeros(len(arr), dtype=bool)
    mask[pos] = True
    return pc.replace_with_mask(arr, pa.array(mask), pa.array([edits[p] for p in pos], pa.large_string()))


def _body(lines: pa.Array) -> memoryview:
    """Return the bytes of all lines of a large_string array, back to back."""
    lines = lines.combine_chunks() if isinstance(lines, pa.ChunkedArray) else lines
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int64)[lines.offset : lines.offset + len(lines) + 1]
    data = lines.buffers()[2]
    return memoryview(data)[int(offsets[0]) : int(offsets[-1])] if data is not None else memoryview(b"")


def _plan(chunk: Ratings, n: int, faults: bool, rng: np.random.Generator) -> dict[str, list[int]]:
    """Choose disjoint row positions for every fault reason and messy kind of one file."""
    count = fault_count(n, faults)
    plan: dict[str, list[int]] = {k: [] for k in FAULT_REASONS + MESSY_KINDS}
    if not count:
        return plan
    whole = np.flatnonzero(chunk.half % 2 == 0)
    taken = set(rng.choice(whole, min(count, len(whole)), replace=False).tolist()) if len(whole) else set()
    plan["integer_score"] = sorted(taken)
    free = [int(i) for i in rng.permutation(n)[: count * 8 + len(taken)] if int(i) not in taken]
    for j, kind in enumerate(FAULT_REASONS + MESSY_KINDS[:2]):
        plan[kind] = sorted(free[j * count : (j + 1) * count])
    return plan


def _lines(chunk: Ratings, ids: pa.Array, plan: dict[str, list[int]]) -> pa.Array:
    """Build the CSV lines of one file (ending in newlines) with the planned edits applied."""
    user = _strings(chunk.user)
    score = pc.take(HALF_TEXT, pa.array(chunk.half))
    stamp = _strings(chunk.ts)
    movie = pc.take(ids, pa.array(chunk.title))
    movie_py = {p: movie[p].as_py() for kind in plan for p in plan[kind]}
    edits: dict[str, dict[int, str]] = {"user": {}, "score": {}, "stamp": {}, "movie": {}}
    for i, p in enumerate(plan["bad_user_id"]):
        edits["user"][p] = BAD_USER_IDS[i % len(BAD_USER_IDS)]
    for i, p in enumerate(plan["bad_score"]):
        edits["score"][p] = BAD_SCORES[i % len(BAD_SCORES)]
    for i, p in enumerate(plan["score_out_of_range"]):
        edits["score"][p] = OUT_OF_RANGE[i % len(OUT_OF_RANGE)]
    for i, p in enumerate(plan["bad_timestamp"]):
        edits["stamp"][p] = BAD_TIMESTAMPS[i % len(BAD_TIMESTAMPS)]
    for i, p in enumerate(plan["unknown_title_id"]):
        edits["movie"][p] = UNKNOWN_IDS[i % len(UNKNOWN_IDS)]
    for p in plan["upper_case_id"]:
        edits["movie"][p] = movie_py[p].upper()
    for i, p in enumerate(plan["padded_id"]):
        edits["movie"][p] = (f" {movie_py[p].upper()}", f"{movie_py[p]} ", f" {movie_py[p]} ")[i % 3]
    for p in plan["integer_score"]:
        edits["score"][p] = str(int(chunk.half[p]) // 2)
    user, score = _replace(user, edits["user"]), _replace(score, edits["score"])
    stamp, movie = _replace(stamp, edits["stamp"]), _replace(movie, edits["movie"])
    lines = pc.binary_join_element_wise(user, score, stamp, movie, _text(","))
    broken = {}
    for i, p in enumerate(plan["malformed"]):
        fields = [lines[p].as_py()]
        broken[p] = fields[0].rsplit(",", 1)[0] if i % 2 == 0 else fields[0] + ",web"  # 3 or 5 fields
    lines = _replace(lines, broken)
    return pc.binary_join_element_wise(lines, _text(""), _text("\n"))


def write_ratings_files(ratings: Ratings, ids: list[str], files: int, faults: bool, rng: np.random.Generator,
                        tmpdir: str | os.PathLike) -> Iterator[RatingsFile]:
    """Split time-sorted ratings into ``files`` consecutive deliveries and yield each as a written file."""
    bad = set(ids).intersection(UNKNOWN_IDS)
    if bad:
        raise ValueError(f"catalog unexpectedly contains the unknown-id markers {sorted(bad)}")
    id_array = pa.array(ids, pa.large_string())
    bounds = np.linspace(0, len(ratings.user), files + 1).round().astype(np.int64)
    header = (",".join(RAW_RATING_COLUMNS) + "\n").encode()
    for f in range(files):
        a, b = int(bounds[f]), int(bounds[f + 1])
        chunk = Ratings(ratings.user[a:b], ratings.title[a:b], ratings.half[a:b], ratings.ts[a:b], 0)
        plan = _plan(chunk, b - a, faults, rng)
        key = f"{RAW_RATINGS}{f + 1}.csv"
        path = os.path.join(tmpdir, f"ratings-{f + 1}.csv")
        with open(path, "wb") as fh:
            fh.write(header)
            if b > a:
                fh.write(_body(_lines(chunk, id_array, plan)))
        yield RatingsFile(
            key=key,
            path=path,
            rows=b - a,
            faults={k: len(plan[k]) for k in FAULT_REASONS},
            messy={k: len(plan[k]) for k in MESSY_KINDS},
        )
