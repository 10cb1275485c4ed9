"""Publishing a run: the last checks, the journal, the uploads, the removal of lake data no input owns any more,
and the state; and what a run does when it finds an interrupted publish. (The new catalog snapshot and its
pointer are written by ``etl_job.serving.publish_snapshot`` between the uploads and the removal.)

The journal (``_publishing.json``) names the inputs and objects of the publish in progress and is removed after
``_state.json`` is written, so a run that finds one redoes those inputs and re-judges those objects: an interrupted
publish never leaves stale data behind.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TypedDict

from etl_job.staging import Staged
from etl_job.state import LakeState, state_tag
from reelrec import layout
from reelrec.lease import Lease
from reelrec.storage import Store, StoreError

DATA_PREFIXES = (layout.LAKE_TITLES, layout.LAKE_RATINGS, layout.LAKE_QUARANTINE, layout.RATING_AGGREGATES,
                 layout.TRAINING_RATINGS)


class Journal(TypedDict):
    """The body of ``_publishing.json``."""

    run_id: str
    inputs: list[str]  # the inputs whose outputs are being published
    outputs: list[str]  # the lake objects being written


def interrupted_publish(lake: Store, say: Callable[[str], None]) -> tuple[set[str], set[str]]:
    """After an interrupted publish (its journal is in the lake): the inputs to redo, and the objects it may have
    written. A damaged journal counts as naming nothing."""
    try:
        journal = json.loads(lake.read_bytes(layout.LAKE_JOURNAL))
    except ValueError:
        journal = {}
    if not isinstance(journal, dict):
        journal = {}
    say(f"etl: the publish of run {journal.get('run_id', '?')} was interrupted: redoing its inputs")
    return set(journal.get("inputs", [])), set(journal.get("outputs", []))


def obsolete(lake: Store, old_state: LakeState, state: LakeState, interrupted: set[str], full: bool) -> set[str]:
    """Lake data that no input of the new state owns: what the old state or an interrupted publish wrote (when
    rebuilding, anything listed under the data prefixes, so orphans go too)."""
    before = old_state.owned() | interrupted
    if full:
        before |= {i.key for prefix in DATA_PREFIXES for i in lake.list(prefix)}
    return before - state.owned()


class Publish:
    """One run's publish, in the order that keeps the lake readable at every step: ``begin`` (checks, journal),
    ``upload`` (the staged objects), then (after the run switches readers to its snapshot) ``drop_obsolete``,
    and ``finish`` (state, journal)."""

    def __init__(self, lake: Store, run_id: str, staged: Staged, snapshot: bytes | None, dropped: set[str],
                 processed: list[str]) -> None:
        self.lake, self.staged, self.dropped = lake, staged, dropped
        self.journal: Journal = {"run_id": run_id, "inputs": processed, "outputs": staged.keys()}
        self.needed = bool(staged.files or snapshot or dropped)  # False: the lake stays as it is

    def check(self, lease: Lease | None, tag: str | None) -> None:
        """Last check before the first lake write: the lease is still ours, the state is still the one read
        (change tag ``tag``)."""
        if lease is not None:
            lease.check()
        if state_tag(self.lake) != tag:
            raise StoreError(f"{self.lake.uri}/{layout.LAKE_STATE} changed while this run worked (another run "
                             "published): nothing was published by this run; run again")

    def begin(self, lease: Lease | None, tag: str | None) -> None:
        """Check, then write the journal (when there is anything to publish)."""
        self.check(lease, tag)
        if self.needed:
            self.lake.write_bytes(layout.LAKE_JOURNAL, json.dumps(self.journal).encode())

    def upload(self) -> None:
        """Copy the staged objects into the lake."""
        for path, key in self.staged.files:
            self.lake.upload_file(path, key)

    def drop_obsolete(self) -> None:
        """Delete the data no input owns any more (once readers no longer need it)."""
        for key in sorted(self.dropped):
            self.lake.delete(key)

    def finish(self, state: LakeState, journal_found: bool) -> None:
        """Write the new state, then clear the journal (this run's, or the interrupted one it redid)."""
        state.save(self.lake)
        if self.needed or journal_found:
            self.lake.delete(layout.LAKE_JOURNAL)
