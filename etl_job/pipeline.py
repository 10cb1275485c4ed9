"""One ETL run: plan (which raw inputs are new or changed), clean them into a staging folder, publish.

One run at a time holds the lake's lease (``reelrec.lease``); a second run says who holds it and writes nothing.
Nothing is published until every input has been read, so a run that fails before publishing leaves the lake as it
was; just before publishing, the run checks its lease and that ``_state.json`` is still the one it started from.
Publishing is journalled (``etl_job.publish``), so an interrupted publish never leaves stale data behind.

The steps, each in its own module: ``planning`` (which inputs to load, fetched and hashed), ``load_titles`` and
``load_ratings`` (clean and stage), ``catalog`` (the API's snapshot; ``serving.publish_snapshot`` writes it and
its pointer), ``publish`` (journal, uploads, obsolete data, state), ``manifest``, and ``histories`` (the
per-viewer store). ``ledger`` records every input's outcome and state entry on the way.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import os
import time
import uuid

from etl_job import TRANSFORM_VERSION, histories
from etl_job.catalog import new_snapshot
from etl_job.cleanup import clean_stale
from etl_job.inputs import discover
from etl_job.ledger import Ledger
from etl_job.load_ratings import load_ratings
from etl_job.load_titles import load_titles
from etl_job.manifest import Manifest, build_manifest, write_manifest
from etl_job.planning import Fetcher, note_missing
from etl_job.progress import Progress
from etl_job.publish import Publish, interrupted_publish, obsolete
from etl_job.serving import publish_snapshot
from etl_job.staging import STAGING_PREFIX, Staged, staging_folder
from etl_job.state import LakeState, state_tag
from etl_job.workers import worker_pool
from reelrec import layout
from reelrec.histories import HistoryStore
from reelrec.lease import LEASE_SECONDS, Lease, held
from reelrec.storage import Store

WORKERS = min(2, os.cpu_count() or 1)  # ratings files cleaned at once (memory grows per worker)

__all__ = ["LEASE_SECONDS", "STAGING_PREFIX", "WORKERS", "EtlRun", "clean_stale", "run_etl"]


class EtlRun:
    """Carries one run from discovery to the published manifest. The lake's state is read when the run is made:
    publishing checks it is still that one."""

    def __init__(self, raw: Store, lake: Store, *, full: bool = False, progress: Progress | None = None,
                 allow_shrink: bool = False, users: HistoryStore | None = None) -> None:
        self.raw, self.lake = raw, lake
        self.users = users  # the per-viewer history store this run keeps up to date (None: none)
        self.progress = progress or Progress()
        # sortable: snapshots and manifests are pruned and listed in this order
        self.run_id = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ") + "-" + uuid.uuid4().hex[:6]
        self.state_tag = state_tag(lake)
        old_state = LakeState.load(lake, rebuild=full, say=self.progress.say)
        # new cleaning rules invalidate everything the lake holds: rebuild as with --full
        self.full = full or old_state.transform_version != TRANSFORM_VERSION
        state = LakeState(TRANSFORM_VERSION, {} if self.full else copy.deepcopy(old_state.inputs))
        self.journal_found = lake.stat(layout.LAKE_JOURNAL) is not None
        redone, self.interrupted = (interrupted_publish(lake, self.progress.say) if self.journal_found
                                    else (set(), set()))
        for key in redone:  # the inputs of an interrupted publish are loaded again
            state.inputs.pop(key, None)
        self.ledger = Ledger(self.run_id, old_state, state, self.progress, full=self.full, redone=redone,
                             allow_shrink=allow_shrink)

    def run(self, lease: Lease | None = None) -> Manifest:
        """Run the ETL and return the manifest it published (``lease``: the lake's, checked before publishing)."""
        started, t0 = dt.datetime.now(dt.UTC), time.perf_counter()
        ledger, state = self.ledger, self.ledger.state
        titles, ratings = discover(self.raw, layout.RAW_TITLES), discover(self.raw, layout.RAW_RATINGS)
        note_missing(ledger, {i.key for i in titles + ratings})
        with (
            staging_folder() as staged,
            contextlib.ExitStack() as copies,  # the raw inputs' local copies
            worker_pool(WORKERS) as pool,  # its threads log with the run's request id
        ):
            fetcher = Fetcher(self.raw, ledger, copies, pool)
            load_titles(ledger, titles, staged, fetcher)
            load_ratings(ledger, ratings, staged, fetcher, pool, self.lake)
            dropped = obsolete(self.lake, ledger.old_state, state, self.interrupted, self.full)
            snapshot = new_snapshot(self.lake, staged, state.owned(), self.run_id, self._changed(dropped))
            publish = Publish(self.lake, self.run_id, staged, snapshot, dropped, ledger.processed())
            publish.begin(lease, self.state_tag)
            if publish.needed:
                self._note_touched_viewers(staged, dropped)
            publish.upload()
        if snapshot is not None:
            publish_snapshot(self.lake, self.run_id, snapshot)  # readers switch to the new catalog
        publish.drop_obsolete()
        manifest = build_manifest(self.run_id, self.raw, self.lake, started, time.perf_counter() - t0,
                                  ledger.outcomes, self.run_id if snapshot is not None else None)
        write_manifest(self.lake, manifest)
        publish.finish(state, self.journal_found)
        if self.users is not None:
            self._update_histories(manifest, self.users)
        return manifest

    def _changed(self, dropped: set[str]) -> bool:
        """Whether this run changes what the snapshot shows: something loaded or dropped (an input that turned
        into a duplicate takes its scores with it), a rebuild, or an interrupted publish redone."""
        loaded = any(o.status == "processed" for o in self.ledger.outcomes)
        return loaded or self.full or self.journal_found or bool(dropped)

    def _note_touched_viewers(self, staged: Staged, dropped: set[str]) -> None:
        """Before the lake changes, record the viewers whose histories this run changes (when it keeps a store)."""
        if self.users is not None:
            histories.record_touched(self.lake, self.run_id, staged.files, dropped, self.progress.warn)

    def _update_histories(self, manifest: Manifest, users: HistoryStore) -> None:
        """After the lake's publish: bring the store up to date, and rewrite the manifest with what happened (a
        store that could not be updated fails the run)."""
        manifest["histories"] = histories.update_store(self.lake, users, self.ledger.state.owned(), self.run_id,
                                                       self.progress.say, self.progress.warn)
        if "error" in manifest["histories"]:
            manifest["status"] = "failed"
        write_manifest(self.lake, manifest)


def run_etl(raw: Store, lake: Store, *, full: bool = False, progress: Progress | None = None,
            allow_shrink: bool = False, users: HistoryStore | None = None) -> Manifest:
    """Bring the lake up to date with the raw area under the lake's lease; returns the run's manifest.
    Raises ``LeaseHeld`` (nothing written) when another run holds the lake."""
    progress = progress or Progress()
    with held(lake, "etl run") as lease:
        for leftover in clean_stale(lake):
            progress.say(f"etl: removed {leftover}, left by a run that was killed")
        return EtlRun(raw, lake, full=full, progress=progress, allow_shrink=allow_shrink, users=users).run(lease)
