"""The titles step: fetch the catalogs that changed, clean them (``etl_job.titles``) and stage them."""

from __future__ import annotations

import time

from etl_job.ledger import Ledger
from etl_job.planning import INPUT_ERRORS, Fetcher, plan
from etl_job.staging import Staged, stage_quarantine
from etl_job.titles import read_titles
from reelrec import layout
from reelrec.schemas import PLATFORM_FILES
from reelrec.storage import ObjectInfo


def load_titles(ledger: Ledger, infos: list[ObjectInfo], staged: Staged, fetcher: Fetcher) -> None:
    """Stage every new or changed catalog file of ``infos``; each outcome says what happened to its file."""
    for task in plan(ledger, infos, "titles", fetcher)[0]:
        started, out = time.perf_counter(), task.out
        assert task.path is not None  # plan returns fetched tasks only
        platform = PLATFORM_FILES[layout.stem(out.key)]
        try:
            res = read_titles(task.path, platform, out.key)
        except INPUT_ERRORS as exc:
            ledger.fail(out, str(exc))
            continue
        if ledger.shrunk(out, res.rows_read, "rows"):
            continue
        staged.titles[platform] = res.table
        out.rows_read, out.rows_written = res.rows_read, res.table.num_rows
        out.repairs = {k: v for k, v in sorted(res.repairs.items()) if v}
        out.ignored_columns = res.ignored_columns
        out.outputs.append(staged.add_table(res.table, layout.lake_titles_key(platform)))
        stage_quarantine(out, res.quarantine, "titles", staged)
        ledger.record(task, started)
