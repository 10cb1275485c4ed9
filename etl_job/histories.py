"""Keep the per-viewer history store (``reelrec.histories``) in step with the lake's ratings.

The lake's numpy ratings parts (``serving/training/``) are the source: a viewer's history is every rating they
have in the parts the lake owns, the latest per title (the training job's rule, ``model_training.job.latest_only``),
oldest first. A run rewrites only the viewers it touched (those in parts it loaded or dropped); it records them
first (``serving/histories/pending/<run id>.npy``) and clears the record once the store has them, so a run that
stopped half-way is finished by the next one, and a run that changed nothing writes nothing. A store that was never
built from this lake is built whole.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import NotRequired, TypedDict

import numpy as np

from reelrec import layout
from reelrec.catalog_snapshot import TrainingRatings
from reelrec.histories import History, HistoryStore, HistoryStoreError
from reelrec.storage import Store, StoreError

Say = Callable[[str], None]


class HistoriesSummary(TypedDict):
    """The manifest's ``histories``: what the run did to the store, or ``error`` (then nothing else) when the
    store could not be brought up to date."""

    store: str
    mode: NotRequired[str]  # full | incremental | unchanged
    viewers: NotRequired[int]
    seconds: NotRequired[float]
    error: NotRequired[str]


def read_part(lake: Store, key: str, local: Path | None = None) -> TrainingRatings:
    """One numpy ratings part, from the staging folder when given, else from the lake."""
    data = local.read_bytes() if local is not None else lake.read_bytes(key)
    return TrainingRatings.from_bytes(data)


def part_users(part: TrainingRatings) -> np.ndarray:
    """The distinct viewers of a part (sorted)."""
    return np.unique(part.user_id)


def record_pending(lake: Store, run_id: str, users: np.ndarray) -> None:
    """Note the viewers this run will rewrite, before the lake changes (finished by a later run if this one stops)."""
    buf = io.BytesIO()
    np.save(buf, np.asarray(users, np.int64), allow_pickle=False)
    lake.write_bytes(layout.histories_pending_key(run_id), buf.getvalue())


def pending(lake: Store) -> tuple[list[str], np.ndarray]:
    """Pending records (keys) and the viewers they name (sorted, distinct)."""
    keys = sorted(i.key for i in lake.list(layout.HISTORIES_PENDING) if i.key.endswith(".npy"))
    users = [np.load(io.BytesIO(lake.read_bytes(k)), allow_pickle=False) for k in keys]
    return keys, np.unique(np.concatenate(users)) if users else np.zeros(0, np.int64)


BUCKET_ROWS = 2_000_000  # ratings gathered and sorted at once: bounds the memory of a build at any size


def histories(lake: Store, part_keys: list[str], users: np.ndarray | None) -> Iterator[tuple[int, History | None]]:
    """(viewer, history) for ``users`` (all viewers when None) from these parts; a named viewer with no ratings
    left gets None (removed from the store). The parts are read once; viewers are then gathered in buckets of
    about ``BUCKET_ROWS`` ratings (by user id modulo the bucket count), so the sort's memory stays bounded."""
    wanted = None if users is None else np.unique(np.asarray(users, np.int64))
    parts, parts_ids, offset = [], [], 0
    for key in sorted(part_keys):
        part = read_part(lake, key)
        keep = slice(None) if wanted is None else np.isin(part.user_id, wanted)
        parts.append((part.user_id[keep].astype(np.int64), part.title_code[keep].astype(np.int64) + offset,
                      part.score[keep].astype(np.float32), part.timestamp[keep].astype(np.int64)))
        parts_ids.append(part.title_ids)
        offset += len(part.title_ids)
    present = np.zeros(0, np.int64)
    if parts:
        ids, remap = np.unique(np.concatenate(parts_ids), return_inverse=True)  # one code per title across parts
        buckets = max(1, -(-sum(len(p[0]) for p in parts) // BUCKET_ROWS))
        for bucket in range(buckets):
            chosen = [(p, p[0] % buckets == bucket) if buckets > 1 else (p, slice(None)) for p in parts]
            user, code, score, when = (np.concatenate([p[c][m] for p, m in chosen]) for c in range(4))
            yield from _grouped(ids, user, remap[code], score, when)
        present = np.unique(np.concatenate([p[0] for p in parts]))
    if wanted is not None:
        for gone in np.setdiff1d(wanted, present):
            yield int(gone), None


def _grouped(ids: np.ndarray, user: np.ndarray, code: np.ndarray, score: np.ndarray,
             when: np.ndarray) -> Iterator[tuple[int, History]]:
    """Per viewer: the latest rating per title (ties: the later row, the training job's ``latest_only``), oldest
    first. Rows are in part order, which is what "later row" means."""
    row = np.arange(len(user))
    order = np.lexsort((row, when, code, user))
    su, sc = user[order], code[order]
    last = np.ones(len(order), bool)
    last[:-1] = (su[1:] != su[:-1]) | (sc[1:] != sc[:-1])
    kept = order[last]
    del order, su, sc, last
    kept = kept[np.lexsort((row[kept], when[kept], user[kept]))]  # oldest first within a viewer
    u = user[kept]
    starts = np.flatnonzero(np.r_[True, u[1:] != u[:-1]]) if len(u) else np.zeros(0, np.int64)
    ends = np.r_[starts[1:], len(u)].astype(np.int64)
    title_ids, scores, times = ids[code[kept]], score[kept], when[kept]
    for a, b in zip(starts, ends, strict=True):
        yield int(u[a]), History(title_ids[a:b], scores[a:b], times[a:b])


def sync(lake: Store, store: HistoryStore, part_keys: list[str], run_id: str, say: Say) -> HistoriesSummary:
    """Bring ``store`` up to date: the viewers of the pending records, or everyone when the store was never built
    from this lake; then clear those records. Returns what it did (the manifest's ``histories``)."""
    started = time.perf_counter()
    keys, users = pending(lake)
    meta = store.meta()
    full = not meta or meta.get("lake") != lake.uri
    if not full and not len(users):
        return {"store": store.uri, "mode": "unchanged", "viewers": 0, "seconds": 0.0}
    written = store.put_many(histories(lake, part_keys, None if full else users))
    store.set_meta({"lake": lake.uri, "run_id": run_id})
    for key in keys:
        lake.delete(key)
    seconds = round(time.perf_counter() - started, 3)
    say(f"histories: {written:,} viewers {'built' if full else 'updated'} in {store.uri} "
        f"({seconds:.2f} s, {written / max(seconds, 1e-6):,.0f} viewers/s)")
    return {"store": store.uri, "mode": "full" if full else "incremental", "viewers": written, "seconds": seconds}


def record_touched(lake: Store, run_id: str, loaded: Iterable[tuple[Path, str]], dropped: Iterable[str],
                   warn: Say) -> None:
    """Before the lake changes: note the viewers of the ratings parts this run loads (staged ``(path, key)``) or
    drops (their histories change), so that the store is brought up to date even if this run stops after
    publishing. ``warn`` is told of a dropped part that cannot be read."""
    touched = [part_users(read_part(lake, key, path)) for path, key in loaded if key.startswith(layout.TRAINING_RATINGS)]
    for key in sorted(k for k in dropped if k.startswith(layout.TRAINING_RATINGS)):
        try:
            touched.append(part_users(read_part(lake, key)))
        except (StoreError, ValueError, KeyError, OSError, EOFError) as exc:
            warn(f"histories: {key} (being dropped) is unreadable, its viewers are not updated: {str(exc)[:120]}")
    if touched:
        record_pending(lake, run_id, np.unique(np.concatenate(touched)))


def update_store(lake: Store, store: HistoryStore, owned: Iterable[str], run_id: str, say: Say,
                 warn: Say) -> HistoriesSummary:
    """``sync`` from the ratings parts among ``owned``; an error is reported in the summary and to ``warn`` (the
    pending record stays for the next run) instead of raised: the lake's publish has completed by then."""
    parts = sorted(k for k in owned if k.startswith(layout.TRAINING_RATINGS))
    try:
        return sync(lake, store, parts, run_id, say)
    except (HistoryStoreError, StoreError, ValueError, OSError) as exc:
        why = f"the history store was not updated ({str(exc)[:200]}); the next run finishes it"
        warn(f"histories: FAILED: {why}")
        return {"store": store.uri, "error": why}
