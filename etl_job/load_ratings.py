"""The ratings step: check the files that changed against the lake's catalog after the titles step, clean them
(``etl_job.ratings``) two at a time, and stage each part with its score aggregates and its training arrays.

Ratings wait (``deferred``) while a platform's catalog has never loaded: checked against a partial catalog, every
rating of that platform would be quarantined as an unknown title.
"""

from __future__ import annotations

import hashlib
import time
from concurrent.futures import Executor

import pyarrow as pa

from etl_job.catalog import lake_titles
from etl_job.inputs import Task
from etl_job.ledger import Ledger
from etl_job.planning import INPUT_ERRORS, Fetcher, dedupe, plan
from etl_job.ratings import clean_ratings
from etl_job.serving import PartSummary
from etl_job.staging import Staged, stage_quarantine
from reelrec import layout
from reelrec.schemas import PLATFORM_FILES
from reelrec.storage import ObjectInfo, Store


def load_ratings(ledger: Ledger, infos: list[ObjectInfo], staged: Staged, fetcher: Fetcher, pool: Executor,
                 lake: Store) -> None:
    """Stage every new or changed ratings file of ``infos`` (or defer them all while the catalog is incomplete);
    each outcome says what happened to its file."""
    owned = ledger.state.owned()
    blocking = [o.key for o in ledger.outcomes if o.kind == "titles" and o.status == "failed"
                and layout.stem(o.key) in PLATFORM_FILES
                and layout.lake_titles_key(PLATFORM_FILES[layout.stem(o.key)]) not in owned]
    titles = [] if blocking else lake_titles(lake, staged, owned, ["id"])
    if not titles:
        _defer(ledger, infos, f"catalog incomplete: {', '.join(blocking)} failed" if blocking
               else "no catalog in the lake yet")
        return
    title_ids = pa.concat_tables(titles).column("id").combine_chunks().unique()
    catalog = hashlib.sha256("\n".join(sorted(title_ids.to_pylist())).encode()).hexdigest()[:16]
    # ratings once checked against other title ids, with rows quarantined as unknown: check them again
    revalidate = frozenset(k for k, e in ledger.state.inputs.items()
                           if e.get("unknown_title_ids") and e.get("catalog") != catalog)
    tasks, kept = plan(ledger, infos, "ratings", fetcher, revalidate)
    cleaner = _Cleaner(ledger, staged, fetcher, title_ids, catalog)
    # A duplicate whose original is being redone is judged after it (round 2), against what it then holds.
    # Files are independent and Arrow releases the GIL: one worker per core keeps both busy.
    redo = {t.info.key for t in tasks}
    first = [t for t in tasks + kept if _copy_of(ledger, t.info.key) not in redo]
    later = [t for t in tasks + kept if t not in first]
    list(pool.map(cleaner.clean, dedupe(ledger, first, exclude=redo)))
    list(pool.map(cleaner.clean, dedupe(ledger, later, exclude=set())))


def _copy_of(ledger: Ledger, key: str) -> str | None:
    """The input whose content ``key`` duplicates, per the new state (None when it is no duplicate)."""
    entry = ledger.state.inputs.get(key)
    return entry.get("duplicate_of") if entry else None


def _defer(ledger: Ledger, infos: list[ObjectInfo], why: str) -> None:
    """Every ratings input waits for a complete catalog."""
    for info in infos:
        out = ledger.outcome(info, "ratings")
        out.status, out.note = "deferred", why
        ledger.progress.say(f"{info.key}: deferred ({why})", fields={"input": info.key, "status": "deferred"})


class _Cleaner:
    """Cleans one ratings file into the staging folder (called from the worker pool)."""

    def __init__(self, ledger: Ledger, staged: Staged, fetcher: Fetcher, title_ids: pa.Array, catalog: str) -> None:
        self.ledger, self.staged, self.fetcher = ledger, staged, fetcher
        self.title_ids, self.catalog = title_ids, catalog
        self.progress = ledger.progress

    def clean(self, task: Task) -> None:
        """Clean, aggregate and stage ``task``'s file (fetched first if a duplicate judged again turned out to be
        the one to load); its outcome records a failure."""
        started, out, staged = time.perf_counter(), task.out, self.staged
        key = layout.lake_ratings_key(out.key)
        if task.path is None and not self.fetcher.fetch(task):
            return
        assert task.path is not None
        try:
            summary = PartSummary(self.title_ids)
            res = clean_ratings(task.path, staged.path(key), self.title_ids, out.key, self.progress.tracker(out.key),
                                summary)
            aggregates = summary.aggregates()
            summary.write_training(staged.path(layout.training_ratings_key(out.key)))
        except INPUT_ERRORS as exc:
            self.ledger.fail(out, str(exc))
            return
        if self.ledger.shrunk(out, res.rows_read, "rows"):
            return
        out.rows_read, out.rows_written = res.rows_read, res.rows_written
        out.ignored_columns = res.ignored_columns
        out.outputs.append(staged.add_file(key))
        out.outputs.append(staged.add_table(aggregates, layout.aggregates_key(out.key)))
        out.outputs.append(staged.add_file(layout.training_ratings_key(out.key)))
        stage_quarantine(out, res.quarantine, "ratings", staged)
        self.ledger.record(task, started, catalog=self.catalog,
                           unknown_title_ids=res.quarantine.counts["unknown_title_id"])
