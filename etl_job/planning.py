"""Which raw inputs a run loads: those whose content is new (fetched and hashed in parallel), not those unchanged
or duplicating content the lake holds already; and what happens to inputs gone from the raw area."""

from __future__ import annotations

import contextlib
import threading
from concurrent.futures import Executor

from etl_job.errors import FileRejected
from etl_job.inputs import Outcome, Task, checksum, problem
from etl_job.ledger import Ledger
from reelrec.storage import ObjectInfo, Store, StoreError

INPUT_ERRORS = (FileRejected, StoreError, OSError)  # fail one input, not the run


class Fetcher:
    """Local copies of raw inputs (downloads from S3), made in the worker pool and kept until the run's
    ``copies`` stack closes; each copy is hashed once."""

    def __init__(self, raw: Store, ledger: Ledger, copies: contextlib.ExitStack, pool: Executor) -> None:
        self.raw, self.ledger, self.copies, self.pool = raw, ledger, copies, pool
        self._lock = threading.Lock()  # downloads run in parallel; only the shared stack is guarded

    def fetch(self, task: Task) -> bool:
        """Local copy and checksum of one input; False when it failed (its outcome says why)."""
        try:
            with contextlib.ExitStack() as mine:
                path = mine.enter_context(self.raw.local_copy(task.info.key))
                if task.out.sha256 is None:
                    task.out.sha256 = checksum(path)
                task.path = path
                with self._lock:
                    self.copies.push(mine.pop_all())  # the copy now lives as long as the run's stack
            return True
        except INPUT_ERRORS as exc:
            self.ledger.fail(task.out, str(exc))
            return False

    def fetch_all(self, tasks: list[Task]) -> list[Task]:
        """The tasks whose inputs could be fetched, in their order (in parallel)."""
        return [t for t, ok in zip(tasks, self.pool.map(self.fetch, tasks), strict=True) if ok]


def plan(ledger: Ledger, infos: list[ObjectInfo], kind: str, fetcher: Fetcher,
         revalidate: frozenset[str] = frozenset()) -> tuple[list[Task], list[Task]]:
    """Inputs whose content is new (fetched and hashed), and unchanged inputs recorded as duplicates (judged
    again by ``dedupe``); every other input gets its outcome here. ``revalidate``: inputs to load although
    unchanged."""
    state = ledger.state.inputs
    tasks, kept_duplicates = [], []
    for info in infos:
        out = ledger.outcome(info, kind)
        why = problem(info, kind)
        entry = state.get(info.key)
        same = entry if entry and (entry.get("size"), entry.get("tag")) == (info.size, info.tag) else None
        if why:
            ledger.fail(out, why)
        elif same and same.get("duplicate_of"):
            out.sha256 = same.get("sha256")
            kept_duplicates.append(Task(info, out))
        elif same and info.key not in revalidate:
            ledger.unchanged(out, same)
        else:
            tasks.append(Task(info, out))
    new = []
    for task in fetcher.fetch_all(tasks):
        entry = state.get(task.info.key)
        if (entry and entry.get("sha256") == task.out.sha256 and not entry.get("duplicate_of")
                and task.info.key not in revalidate):
            entry["tag"] = task.info.tag  # touched, not changed
            ledger.unchanged(task.out, entry)
        else:
            new.append(task)
    return new, kept_duplicates


def dedupe(ledger: Ledger, tasks: list[Task], exclude: set[str]) -> list[Task]:
    """Ratings files whose content is loaded already (or now, under a name that sorts first) are duplicates; the
    rest, sorted by key, are to load. ``exclude``: inputs being redone, whose loaded data does not count."""
    owners, todo = _owners(ledger, exclude), []
    for task in sorted(tasks, key=lambda t: t.info.key):
        owner = owners.setdefault(task.out.sha256, task.info.key)
        if owner != task.info.key:
            ledger.duplicate(task, owner)
        else:
            todo.append(task)
    return todo


def _owners(ledger: Ledger, exclude: set[str]) -> dict[str | None, str]:
    """sha256 -> the ratings input whose loaded data holds that content (inputs in ``exclude`` left out)."""
    owners: dict[str | None, str] = {}
    for key, entry in sorted(ledger.state.inputs.items()):
        if (entry.get("kind") == "ratings" and entry.get("outputs") and not entry.get("duplicate_of")
                and key not in exclude):
            owners.setdefault(entry.get("sha256"), key)
    return owners


def note_missing(ledger: Ledger, present: set[str]) -> None:
    """Inputs the lake knows that are gone from the raw area: reported and kept, or dropped when rebuilding."""
    state = ledger.state.inputs
    for key in sorted(set(state) - present):
        if ledger.full:
            del state[key]
        else:
            ledger.add(Outcome(key, state[key].get("kind", "?"), status="missing",
                               note="gone from the raw area; its lake data is kept"))
