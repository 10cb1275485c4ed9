"""One work across services: the catalog rows that are copies of one title, as numpy arrays (the API reads this).

The ETL decides which rows are the same work (``etl_job.works``) and writes ``work`` per row: the smallest row index
among the work's copies, so a title alone has ``work[i] == i``. From that array this module answers "where can this
be watched" and keeps ranked lists to one copy per work.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from reelrec.schemas import PLATFORM_NAMES, PLATFORMS


@dataclass(frozen=True)
class Copies:
    """The works of a catalog: ``work`` (int32 per row) plus each row's id and platform code (ranking needs only
    ``work``; ``available_on`` needs all three)."""

    work: np.ndarray  # int32 per row: smallest row of the work's copies
    ids: np.ndarray | None = None  # bytes ('S'), the rows' title ids
    platform: np.ndarray | None = None  # uint8 index into PLATFORMS

    @cached_property
    def _order(self) -> np.ndarray:
        """Rows sorted by work, then platform, then row (stable): a work's copies are contiguous."""
        platform = np.zeros(len(self.work), np.uint8) if self.platform is None else self.platform
        return np.lexsort((np.arange(len(self.work)), platform, self.work))

    @cached_property
    def _sorted_work(self) -> np.ndarray:
        return self.work[self._order]

    @cached_property
    def shared(self) -> np.ndarray:
        """The rows of works with two or more copies, grouped by work (the only rows ranking has to merge)."""
        return self._order[self._counts[self._sorted_work] > 1]

    @cached_property
    def _shared_starts(self) -> np.ndarray:
        """Where each multi-copy work starts in ``shared``."""
        w = self.work[self.shared]
        return np.flatnonzero(np.r_[True, w[1:] != w[:-1]]) if len(w) else np.zeros(0, np.int64)

    @cached_property
    def _counts(self) -> np.ndarray:
        """Copies per work (indexed by work)."""
        return np.bincount(self.work, minlength=len(self.work))

    def of(self, row: int) -> np.ndarray:
        """The rows of ``row``'s work (itself included), by platform then row."""
        w = self.work[row]
        if self._counts[w] == 1:  # most titles are on one service only
            return np.array([row], np.int64)
        a, b = np.searchsorted(self._sorted_work, [w, w + 1])
        return self._order[a:b]

    def of_many(self, rows: np.ndarray) -> np.ndarray:
        """Every row of the works of ``rows`` (distinct, ascending)."""
        return np.union1d(np.asarray(rows, np.int64), self.others_of(rows))

    def others_of(self, rows: np.ndarray) -> np.ndarray:
        """The other copies of the works of ``rows`` (may repeat; empty when no work has two copies): what
        excluding a title from a list excludes with it."""
        shared = self.shared
        if not len(shared) or not len(rows):
            return np.zeros(0, np.int64)
        gone = np.zeros(len(self.work), bool)
        gone[self.work[np.asarray(rows, np.int64)]] = True
        return shared[gone[self.work[shared]]]

    def available_on(self, row: int, platforms: Collection[str] | None = None) -> list[dict]:
        """Where ``row``'s work can be watched: ``[{platform, platform_name, id}]`` by platform, limited to
        ``platforms`` when given (the viewer's services)."""
        if self.ids is None or self.platform is None:
            raise ValueError("available_on needs the rows' ids and platforms")
        out = []
        for r in self.of(row):
            name = PLATFORMS[self.platform[r]]
            if platforms is None or name in platforms:
                out.append({"platform": name, "platform_name": PLATFORM_NAMES[name], "id": self.ids[r].decode()})
        return out

    def one_per_work(self, scores: np.ndarray, allowed: np.ndarray | None = None, in_place: bool = False) -> np.ndarray:
        """Scores with each multi-copy work reduced to one copy: the work scores as its best copy over all services
        (it is the same title wherever it is watched), shown as its best copy among the ``allowed`` rows; the other
        copies get -inf. Rows outside ``allowed`` get -inf too. Single-copy rows keep their score. ``in_place``:
        ``scores`` is a float64 array the caller gives up (it becomes the answer: no copies of the catalog)."""
        s = scores if in_place else np.array(scores, dtype=np.float64)
        shared = self.shared
        own = s[shared]  # before the filter: a work scores as its best copy anywhere
        if allowed is not None:
            s[~allowed] = -np.inf
        if not len(shared):
            return s
        starts = self._shared_starts
        best = np.maximum.reduceat(own, starts)
        mine = s[shared]
        lens = np.diff(np.r_[starts, len(shared)])
        # the shown copy: the best allowed one (first in platform order on ties)
        pick_score = np.maximum.reduceat(mine, starts)
        is_pick = (mine == np.repeat(pick_score, lens)) & np.isfinite(mine)
        first_pick = np.zeros(len(shared), bool)
        pos = np.flatnonzero(is_pick)
        if len(pos):
            group = np.searchsorted(starts, pos, side="right") - 1
            keep = np.r_[True, group[1:] != group[:-1]]
            first_pick[pos[keep]] = True
        s[shared] = np.where(first_pick, np.repeat(best, lens), -np.inf)
        return s
