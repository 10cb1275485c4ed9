"""The run's verdict on each raw input: its outcome (an entry of the manifest) and its entry in the new lake state.

Every step records through one ``Ledger``, from the worker threads too, so the rules that tie the two together
(a failed input keeps its published data when the run would otherwise drop it, a refused shrink keeps the
published entry) live in one place.
"""

from __future__ import annotations

import copy
import threading
import time

from etl_job.inputs import Outcome, Task
from etl_job.progress import Progress
from etl_job.state import LakeState, StateEntry
from reelrec.storage import ObjectInfo

SHRINK_LIMIT = 0.2  # a reloaded file with more than this share fewer rows than its published version is refused,
SHRINK_MIN_ROWS = 50  # when it also lost at least this many rows (a small file may legitimately lose a few)


class Ledger:
    """Outcomes of this run and the lake state it will publish, next to the state it started from."""

    def __init__(self, run_id: str, old_state: LakeState, state: LakeState, progress: Progress, *, full: bool,
                 redone: set[str], allow_shrink: bool) -> None:
        self.run_id = run_id
        self.old_state, self.state = old_state, state
        self.progress = progress
        self.full = full  # rebuilding: the new state starts empty
        self.redone = redone  # inputs of an interrupted publish, redone by this run
        self.allow_shrink = allow_shrink
        self.outcomes: list[Outcome] = []
        self._lock = threading.Lock()

    def outcome(self, info: ObjectInfo, kind: str) -> Outcome:
        """A new outcome for ``info`` (``processed`` until a step says otherwise)."""
        return self.add(Outcome(info.key, kind, size=info.size))

    def add(self, out: Outcome) -> Outcome:
        """Count ``out`` in this run."""
        with self._lock:
            self.outcomes.append(out)
        return out

    def fail(self, out: Outcome, why: str) -> None:
        """``out`` failed as a whole; when the new state would lose its published data, that data is kept."""
        out.status, out.error = "failed", why
        self.progress.warn(f"{out.key}: FAILED: {why}", {"input": out.key, "status": "failed"})
        if (self.full or out.key in self.redone) and out.key in self.old_state.inputs:  # keep its published data
            self.state.inputs[out.key] = copy.deepcopy(self.old_state.inputs[out.key])

    @staticmethod
    def unchanged(out: Outcome, entry: StateEntry) -> None:
        """``out`` holds what its state entry describes: nothing to load."""
        out.status, out.sha256, out.outputs = "unchanged", entry.get("sha256"), entry.get("outputs", [])

    def duplicate(self, task: Task, of: str) -> None:
        """``task``'s content is loaded already, as ``of``: recorded, not loaded twice."""
        task.out.status, task.out.note = "duplicate", f"same content as {of}; not loaded twice"
        self.state.inputs[task.info.key] = {"kind": task.out.kind, "sha256": task.out.sha256, "size": task.info.size,
                                           "tag": task.info.tag, "duplicate_of": of, "outputs": []}

    def record(self, task: Task, started: float, catalog: str | None = None,
               unknown_title_ids: int | None = None) -> None:
        """``task`` was loaded (its outputs staged): time it, enter it in the new state, say so."""
        out = task.out
        out.seconds = round(time.perf_counter() - started, 3)
        out.rows_per_s = round(out.rows_read / max(out.seconds, 1e-6))
        entry: StateEntry = {
            "kind": out.kind, "sha256": out.sha256, "size": task.info.size, "tag": task.info.tag,
            "run_id": self.run_id, "outputs": out.outputs, "rows_read": out.rows_read,
            "rows_written": out.rows_written, "rows_quarantined": out.rows_quarantined,
        }
        if catalog is not None:
            entry["catalog"] = catalog
        if unknown_title_ids is not None:
            entry["unknown_title_ids"] = unknown_title_ids
        with self._lock:
            self.state.inputs[out.key] = entry
        self.progress.say(
            f"{out.key}: {out.rows_read:,} rows read, {out.rows_written:,} written, "
            f"{out.rows_quarantined:,} quarantined ({out.seconds:.2f} s, {out.rows_per_s:,.0f} rows/s)",
            fields={"input": out.key, "status": "processed", "rows_read": out.rows_read,
                    "rows_written": out.rows_written, "rows_quarantined": out.rows_quarantined,
                    "seconds": out.seconds},
        )

    def shrunk(self, out: Outcome, rows: int, what: str) -> bool:
        """Refuse a reloaded file that lost more than ``SHRINK_LIMIT`` of its published rows (a truncated upload),
        unless the run was told it is intended; True when refused (its published data stays)."""
        published = self.old_state.inputs.get(out.key)
        before = published.get("rows_read") if published else None
        if (self.allow_shrink or not isinstance(before, int) or rows >= (1 - SHRINK_LIMIT) * before
                or before - rows < SHRINK_MIN_ROWS):
            return False
        self.fail(out, f"has {rows:,} {what}, {1 - rows / before:.0%} fewer than the {before:,} published: refused "
                       f"as a likely truncated file (limit {SHRINK_LIMIT:.0%} and {SHRINK_MIN_ROWS} rows); the "
                       "published version is kept. If the loss is intended, run with --allow-shrink")
        self.state.inputs[out.key] = copy.deepcopy(self.old_state.inputs[out.key])
        return True

    def processed(self) -> list[str]:
        """Keys of the inputs this run loaded."""
        return [o.key for o in self.outcomes if o.status == "processed"]
