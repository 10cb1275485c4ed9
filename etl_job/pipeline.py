"""One ETL run: plan (which raw inputs are new or changed), clean them into a staging folder, publish.

One run at a time holds the lake's lease (``reelrec.lease``); a second run says who holds it and writes nothing.
Nothing is published until every input has been read, so a run that fails before publishing leaves
the lake as it was; just before publishing, the run checks its lease and that ``_state.json`` is still the one it
started from. Publishing is journalled: ``_publishing.json`` names the inputs and objects of the
publish in progress, and is removed after ``_state.json`` is written. A run that finds a journal redoes
those inputs and re-judges those objects, so an interrupted publish never leaves stale data behind.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import hashlib
import json
import os
import shutil
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from etl_job import TRANSFORM_VERSION, histories
from etl_job.errors import FileRejected
from etl_job.inputs import Outcome, checksum, discover, problem
from etl_job.progress import Progress
from etl_job.ratings import clean_ratings
from etl_job.serving import PartSummary, build_catalog_snapshot, pointer_format, publish_snapshot
from etl_job.state import LakeState
from etl_job.titles import read_titles
from reelrec import layout
from reelrec.catalog_snapshot import FORMAT as SNAPSHOT_FORMAT
from reelrec.histories import HistoryStore, HistoryStoreError
from reelrec.lease import LEASE_SECONDS, Lease, held
from reelrec.schemas import PLATFORM_FILES, PLATFORMS
from reelrec.storage import ObjectInfo, Store, StoreError

WORKERS = min(2, os.cpu_count() or 1)  # ratings files cleaned at once (memory grows per worker)
INPUT_ERRORS = (FileRejected, StoreError, OSError)  # fail one input, not the run
SHRINK_LIMIT = 0.2  # a reloaded file with more than this share fewer rows than its published version is refused,
SHRINK_MIN_ROWS = 50  # when it also lost at least this many rows (a small file may legitimately lose a few)
STAGING_PREFIX = "reelrec-etl-"  # local staging folders: reelrec-etl-<pid>-<random>
DATA_PREFIXES = (layout.LAKE_TITLES, layout.LAKE_RATINGS, layout.LAKE_QUARANTINE, layout.RATING_AGGREGATES,
                 layout.TRAINING_RATINGS)


@dataclass
class Staged:
    """Outputs of this run waiting in the local staging folder to be published."""

    folder: Path
    files: list[tuple[Path, str]] = field(default_factory=list)
    titles: dict[str, pa.Table] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def path(self, key: str) -> Path:
        path = self.folder / key
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def add_file(self, key: str) -> str:
        """Register a file already written at ``self.path(key)``."""
        with self.lock:
            self.files.append((self.folder / key, key))
        return key

    def add_table(self, table: pa.Table, key: str) -> str:
        pq.write_table(table, self.path(key), compression="zstd")
        return self.add_file(key)


@dataclass
class Task:
    """A raw input that changed: its local copy and the outcome being filled in."""

    info: ObjectInfo
    out: Outcome
    path: Path | None = None


class EtlRun:
    """Carries one run from discovery to the published manifest."""

    def __init__(self, raw: Store, lake: Store, *, full: bool = False, progress: Progress | None = None,
                 allow_shrink: bool = False, users: HistoryStore | None = None):
        self.raw, self.lake = raw, lake
        self.users = users  # the per-viewer history store this run keeps up to date (None: none)
        self.progress = progress or Progress()
        self.allow_shrink = allow_shrink
        # sortable: snapshots and manifests are pruned and listed in this order
        self.run_id = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ") + "-" + uuid.uuid4().hex[:6]
        self.state_tag = self._state_tag()
        self.old_state = LakeState.load(lake, rebuild=full, say=self.progress.say)
        # new cleaning rules invalidate everything the lake holds: rebuild as with --full
        self.full = full or self.old_state.transform_version != TRANSFORM_VERSION
        inputs = {} if self.full else copy.deepcopy(self.old_state.inputs)
        self.state = LakeState(TRANSFORM_VERSION, inputs)
        self.outcomes: list[Outcome] = []
        self._lock = threading.Lock()
        self.journal_found = self.lake.stat(layout.LAKE_JOURNAL) is not None
        self.redone: set[str] = set()  # inputs of an interrupted publish, redone by this run
        self.interrupted = self._recover() if self.journal_found else set()

    def _recover(self) -> set[str]:
        """After an interrupted publish: redo its inputs; return the objects it may have written."""
        try:
            journal = json.loads(self.lake.read_bytes(layout.LAKE_JOURNAL))
        except ValueError:
            journal = {}
        if not isinstance(journal, dict):
            journal = {}
        self.progress.say(f"etl: the publish of run {journal.get('run_id', '?')} was interrupted: redoing its inputs")
        self.redone = set(journal.get("inputs", []))
        for key in self.redone:
            self.state.inputs.pop(key, None)
        return set(journal.get("outputs", []))

    def _state_tag(self) -> str | None:
        info = self.lake.stat(layout.LAKE_STATE)
        return info.tag if info else None

    def _shrunk(self, out: Outcome, rows: int, what: str) -> bool:
        """Refuse a reloaded file that lost more than ``SHRINK_LIMIT`` of its published rows (a truncated upload),
        unless the run was told it is intended; True when refused (its published data stays)."""
        before = (self.old_state.inputs.get(out.key) or {}).get("rows_read")
        if (self.allow_shrink or not isinstance(before, int) or rows >= (1 - SHRINK_LIMIT) * before
                or before - rows < SHRINK_MIN_ROWS):
            return False
        self._fail(out, f"has {rows:,} {what}, {1 - rows / before:.0%} fewer than the {before:,} published: refused "
                        f"as a likely truncated file (limit {SHRINK_LIMIT:.0%} and {SHRINK_MIN_ROWS} rows); the "
                        "published version is kept. If the loss is intended, run with --allow-shrink")
        self.state.inputs[out.key] = copy.deepcopy(self.old_state.inputs[out.key])
        return True

    # -- outcomes ----------------------------------------------------------------------------
    def _outcome(self, info: ObjectInfo, kind: str) -> Outcome:
        out = Outcome(info.key, kind, size=info.size)
        with self._lock:
            self.outcomes.append(out)
        return out

    def _fail(self, out: Outcome, why: str) -> None:
        out.status, out.error = "failed", why
        self.progress.say(f"{out.key}: FAILED: {why}")
        if (self.full or out.key in self.redone) and out.key in self.old_state.inputs:  # keep its published data
            self.state.inputs[out.key] = copy.deepcopy(self.old_state.inputs[out.key])

    def _unchanged(self, out: Outcome, entry: dict) -> None:
        out.status, out.sha256, out.outputs = "unchanged", entry.get("sha256"), entry.get("outputs", [])

    def _duplicate(self, task: Task, of: str) -> None:
        task.out.status, task.out.note = "duplicate", f"same content as {of}; not loaded twice"
        self.state.inputs[task.info.key] = {"kind": task.out.kind, "sha256": task.out.sha256, "size": task.info.size,
                                           "tag": task.info.tag, "duplicate_of": of, "outputs": []}

    def _record(self, task: Task, started: float, **extra: object) -> None:
        out = task.out
        out.seconds = round(time.perf_counter() - started, 3)
        out.rows_per_s = round(out.rows_read / max(out.seconds, 1e-6))
        with self._lock:
            self.state.inputs[out.key] = {
                "kind": out.kind, "sha256": out.sha256, "size": task.info.size, "tag": task.info.tag,
                "run_id": self.run_id, "outputs": out.outputs, "rows_read": out.rows_read,
                "rows_written": out.rows_written, "rows_quarantined": out.rows_quarantined, **extra,
            }
        self.progress.say(
            f"{out.key}: {out.rows_read:,} rows read, {out.rows_written:,} written, "
            f"{out.rows_quarantined:,} quarantined ({out.seconds:.2f} s, {out.rows_per_s:,.0f} rows/s)"
        )

    # -- planning ----------------------------------------------------------------------------
    def _plan(self, infos: list[ObjectInfo], kind: str, stack: contextlib.ExitStack, pool,
              revalidate: frozenset[str] = frozenset()) -> tuple[list[Task], list[Task]]:
        """Inputs whose content is new (fetched and hashed, in parallel), and unchanged inputs recorded as
        duplicates (judged later); every other input gets its outcome here."""
        tasks, kept_duplicates = [], []
        for info in infos:
            out = self._outcome(info, kind)
            why = problem(info, kind)
            entry = self.state.inputs.get(info.key)
            same = bool(entry) and (entry.get("size"), entry.get("tag")) == (info.size, info.tag)
            if why:
                self._fail(out, why)
            elif same and entry.get("duplicate_of"):
                out.sha256 = entry.get("sha256")
                kept_duplicates.append(Task(info, out))
            elif same and info.key not in revalidate:
                self._unchanged(out, entry)
            else:
                tasks.append(Task(info, out))
        fetched = [t for t, ok in zip(tasks, pool.map(lambda t: self._fetch(t, stack), tasks), strict=True) if ok]
        new = []
        for task in fetched:
            entry = self.state.inputs.get(task.info.key)
            if (entry and entry.get("sha256") == task.out.sha256 and not entry.get("duplicate_of")
                    and task.info.key not in revalidate):
                entry["tag"] = task.info.tag  # touched, not changed
                self._unchanged(task.out, entry)
            else:
                new.append(task)
        return new, kept_duplicates

    def _fetch(self, task: Task, stack: contextlib.ExitStack) -> bool:
        """Local copy (downloaded from S3) and checksum of one input; False when it failed."""
        try:
            copy_cm = self.raw.local_copy(task.info.key)
            path = copy_cm.__enter__()  # downloads run in parallel; only the clean-up list is shared
            with self._lock:
                stack.push(copy_cm.__exit__)
            task.path = path
            if task.out.sha256 is None:
                task.out.sha256 = checksum(path)
            return True
        except INPUT_ERRORS as exc:
            self._fail(task.out, str(exc))
            return False

    def _owners(self, exclude: set[str]) -> dict[str, str]:
        """sha256 -> the ratings input whose loaded data holds that content (inputs being redone excluded)."""
        owners: dict[str, str] = {}
        for key, entry in sorted(self.state.inputs.items()):
            if (entry.get("kind") == "ratings" and entry.get("outputs") and not entry.get("duplicate_of")
                    and key not in exclude):
                owners.setdefault(entry.get("sha256"), key)
        return owners

    def _dedupe(self, tasks: list[Task], exclude: set[str]) -> list[Task]:
        """Ratings files whose content is loaded already (or now, under a name that sorts first) are duplicates."""
        owners, todo = self._owners(exclude), []
        for task in sorted(tasks, key=lambda t: t.info.key):
            owner = owners.setdefault(task.out.sha256, task.info.key)
            if owner != task.info.key:
                self._duplicate(task, owner)
            else:
                todo.append(task)
        return todo

    # -- the two kinds -----------------------------------------------------------------------
    def _titles(self, infos: list[ObjectInfo], staged: Staged, stack, pool) -> None:
        for task in self._plan(infos, "titles", stack, pool)[0]:
            started, out = time.perf_counter(), task.out
            platform = PLATFORM_FILES[layout.stem(out.key)]
            try:
                res = read_titles(task.path, platform, out.key)
            except INPUT_ERRORS as exc:
                self._fail(out, str(exc))
                continue
            if self._shrunk(out, res.rows_read, "rows"):
                continue
            staged.titles[platform] = res.table
            out.rows_read, out.rows_written = res.rows_read, res.table.num_rows
            out.repairs = {k: v for k, v in sorted(res.repairs.items()) if v}
            out.ignored_columns = res.ignored_columns
            out.outputs.append(staged.add_table(res.table, layout.lake_titles_key(platform)))
            self._quarantine_output(out, res.quarantine, "titles", staged)
            self._record(task, started)

    def _owned(self) -> set[str]:
        return {k for e in self.state.inputs.values() for k in e.get("outputs", [])}

    def _catalog(self, staged: Staged, columns: list[str] | None = None) -> list[pa.Table]:
        """The lake's titles after this run: staged where reloaded, else the published ones still owned."""
        tables, owned = [], self._owned()
        for platform in PLATFORMS:
            key = layout.lake_titles_key(platform)
            if platform in staged.titles:
                tables.append(staged.titles[platform].select(columns) if columns else staged.titles[platform])
            elif key in owned:
                tables.append(read_lake_table(self.lake, key, columns))
        return tables

    def _ratings(self, infos: list[ObjectInfo], staged: Staged, stack, pool) -> None:
        owned = self._owned()
        blocking = [o.key for o in self.outcomes if o.kind == "titles" and o.status == "failed"
                    and layout.stem(o.key) in PLATFORM_FILES
                    and layout.lake_titles_key(PLATFORM_FILES[layout.stem(o.key)]) not in owned]
        titles = [] if blocking else self._catalog(staged, ["id"])
        if not titles:
            why = f"catalog incomplete: {', '.join(blocking)} failed" if blocking else "no catalog in the lake yet"
            for info in infos:
                self._outcome(info, "ratings").status = "deferred"
                self.outcomes[-1].note = why
                self.progress.say(f"{info.key}: deferred ({why})")
            return
        title_ids = pa.concat_tables(titles).column("id").combine_chunks().unique()
        catalog = hashlib.sha256("\n".join(sorted(title_ids.to_pylist())).encode()).hexdigest()[:16]
        # ratings once checked against other title ids, with rows quarantined as unknown: check them again
        revalidate = frozenset(k for k, e in self.state.inputs.items()
                               if e.get("unknown_title_ids") and e.get("catalog") != catalog)
        tasks, kept = self._plan(infos, "ratings", stack, pool, revalidate)

        def work(task: Task) -> None:
            started, out = time.perf_counter(), task.out
            key = layout.lake_ratings_key(out.key)
            if task.path is None and not self._fetch(task, stack):
                return
            try:
                summary = PartSummary(title_ids)
                res = clean_ratings(task.path, staged.path(key), title_ids, out.key, self.progress.tracker(out.key),
                                    summary)
                aggregates = summary.aggregates()
                summary.write_training(staged.path(layout.training_ratings_key(out.key)))
            except INPUT_ERRORS as exc:
                self._fail(out, str(exc))
                return
            if self._shrunk(out, res.rows_read, "rows"):
                return
            out.rows_read, out.rows_written = res.rows_read, res.rows_written
            out.ignored_columns = res.ignored_columns
            out.outputs.append(staged.add_file(key))
            out.outputs.append(staged.add_table(aggregates, layout.aggregates_key(out.key)))
            out.outputs.append(staged.add_file(layout.training_ratings_key(out.key)))
            self._quarantine_output(out, res.quarantine, "ratings", staged)
            self._record(task, started, catalog=catalog, unknown_title_ids=res.quarantine.counts["unknown_title_id"])

        # A duplicate whose original is being redone is judged after it (round 2), against what it then holds.
        # Files are independent and Arrow releases the GIL: one worker per core keeps both busy.
        redo = {t.info.key for t in tasks}
        first = [t for t in tasks + kept if self.state.inputs.get(t.info.key, {}).get("duplicate_of") not in redo]
        later = [t for t in tasks + kept if t not in first]
        list(pool.map(work, self._dedupe(first, exclude=redo)))
        list(pool.map(work, self._dedupe(later, exclude=set())))

    @staticmethod
    def _quarantine_output(out: Outcome, quarantine, kind: str, staged: Staged) -> None:
        out.rows_quarantined = len(quarantine)
        out.quarantine = dict(sorted(quarantine.counts.items()))
        if len(quarantine):
            out.outputs.append(staged.add_table(quarantine.to_table(), layout.quarantine_key(kind, out.key)))

    def _missing(self, present: set[str]) -> None:
        """Inputs the lake knows that are gone from the raw area: kept, or dropped with --full."""
        for key in sorted(set(self.state.inputs) - present):
            if self.full:
                del self.state.inputs[key]
            else:
                out = Outcome(key, self.state.inputs[key].get("kind", "?"), status="missing",
                              note="gone from the raw area; its lake data is kept")
                self.outcomes.append(out)

    # -- serving snapshot --------------------------------------------------------------------
    def _snapshot(self, staged: Staged) -> bytes | None:
        """A new catalog snapshot when this run changed the lake (or the published one is stale), else None."""
        # also when an input turned into a duplicate: its data leaves the lake, so must its scores
        changed = (any(o.status == "processed" for o in self.outcomes) or self.full or self.journal_found
                   or bool(self._obsolete()))
        if not changed and pointer_format(self.lake) == SNAPSHOT_FORMAT:
            return None
        titles = self._catalog(staged)
        if not titles:
            return None
        aggregates = []
        for key in sorted(k for k in self._owned() if k.startswith(layout.RATING_AGGREGATES)):
            local = staged.folder / key
            if local.exists():
                aggregates.append(pq.read_table(local))
            else:
                aggregates.append(read_lake_table(self.lake, key))
        return build_catalog_snapshot(pa.concat_tables(titles), aggregates, self.run_id).to_bytes()

    # -- publish -----------------------------------------------------------------------------
    def _obsolete(self) -> set[str]:
        """Lake data that no input of the new state owns (with --full: anything not owned)."""
        before = {k for e in self.old_state.inputs.values() for k in e.get("outputs", [])} | self.interrupted
        if self.full:
            before |= {i.key for prefix in DATA_PREFIXES for i in self.lake.list(prefix)}
        return before - self._owned()

    def _may_publish(self, lease: Lease | None) -> None:
        """Last check before the first lake write: the lease is still ours, the state is still the one read."""
        if lease is not None:
            lease.check()
        if self._state_tag() != self.state_tag:
            raise StoreError(f"{self.lake.uri}/{layout.LAKE_STATE} changed while this run worked (another run "
                             "published): nothing was published by this run; run again")

    def run(self, lease: Lease | None = None) -> dict:
        """Run the ETL and return the manifest it published (``lease``: the lake's, checked before publishing)."""
        started = dt.datetime.now(dt.UTC)
        t0 = time.perf_counter()
        titles, ratings = discover(self.raw, layout.RAW_TITLES), discover(self.raw, layout.RAW_RATINGS)
        self._missing({i.key for i in titles + ratings})
        with (
            tempfile.TemporaryDirectory(prefix=f"{STAGING_PREFIX}{os.getpid()}-") as tmp,
            contextlib.ExitStack() as stack,
            ThreadPoolExecutor(max_workers=WORKERS) as pool,
        ):
            staged = Staged(Path(tmp))
            self._titles(titles, staged, stack, pool)
            self._ratings(ratings, staged, stack, pool)
            snapshot = self._snapshot(staged)
            processed = [o.key for o in self.outcomes if o.status == "processed"]
            journal = {"run_id": self.run_id, "inputs": processed, "outputs": [k for _, k in staged.files]}
            publishing = bool(staged.files or snapshot or self._obsolete())
            self._may_publish(lease)
            if publishing:
                self.lake.write_bytes(layout.LAKE_JOURNAL, json.dumps(journal).encode())
                self._record_touched(staged)
            for path, key in staged.files:
                self.lake.upload_file(path, key)
        if snapshot is not None:
            publish_snapshot(self.lake, self.run_id, snapshot)
        for key in sorted(self._obsolete()):
            self.lake.delete(key)
        manifest = self._manifest(started, time.perf_counter() - t0)
        manifest["catalog_snapshot"] = self.run_id if snapshot is not None else None
        self.lake.write_bytes(layout.manifest_key(self.run_id), json.dumps(manifest, indent=1).encode())
        self.state.save(self.lake)
        if publishing or self.journal_found:
            self.lake.delete(layout.LAKE_JOURNAL)
        if self.users is not None:
            manifest["histories"] = self._sync_histories()
            if "error" in manifest["histories"]:
                manifest["status"] = "failed"
            self.lake.write_bytes(layout.manifest_key(self.run_id), json.dumps(manifest, indent=1).encode())
        return manifest

    # -- the history store -------------------------------------------------------------------
    def _record_touched(self, staged: Staged) -> None:
        """Before the lake changes: note the viewers of the ratings parts this run loads or drops (their histories
        change), so that the store is brought up to date even if this run stops after publishing."""
        if self.users is None:
            return
        touched = [histories.part_users(histories.read_part(self.lake, key, path))
                   for path, key in staged.files if key.startswith(layout.TRAINING_RATINGS)]
        for key in sorted(k for k in self._obsolete() if k.startswith(layout.TRAINING_RATINGS)):
            try:
                touched.append(histories.part_users(histories.read_part(self.lake, key)))
            except (StoreError, ValueError, KeyError, OSError, EOFError) as exc:
                self.progress.say(f"histories: {key} (being dropped) is unreadable, its viewers are not updated: "
                                  f"{str(exc)[:120]}")
        if touched:
            histories.record_pending(self.lake, self.run_id, np.unique(np.concatenate(touched)))

    def _sync_histories(self) -> dict:
        """Write the pending viewers' histories (every viewer when the store is new); an error is reported in the
        manifest and the pending record stays for the next run."""
        assert self.users is not None
        parts = sorted(k for k in self._owned() if k.startswith(layout.TRAINING_RATINGS))
        try:
            return histories.sync(self.lake, self.users, parts, self.run_id, self.progress.say)
        except (HistoryStoreError, StoreError, ValueError, OSError) as exc:
            why = f"the history store was not updated ({str(exc)[:200]}); the next run finishes it"
            self.progress.say(f"histories: FAILED: {why}")
            return {"store": self.users.uri, "error": why}

    def _manifest(self, started: dt.datetime, seconds: float) -> dict:
        done = [o for o in self.outcomes if o.status == "processed"]
        totals = {
            "inputs": len(self.outcomes),
            **{s: sum(o.status == s for o in self.outcomes)
               for s in ("processed", "unchanged", "duplicate", "failed", "deferred", "missing")},
            "rows_read": sum(o.rows_read for o in done),
            "rows_written": sum(o.rows_written for o in done),
            "rows_quarantined": sum(o.rows_quarantined for o in done),
        }
        return {
            "run_id": self.run_id,
            "transform_version": TRANSFORM_VERSION,
            "raw": self.raw.uri,
            "lake": self.lake.uri,
            "started": started.isoformat(timespec="seconds"),
            "seconds": round(seconds, 3),
            "status": "failed" if totals["failed"] or totals["deferred"] else "ok",
            "totals": totals,
            "inputs": [asdict(o) for o in sorted(self.outcomes, key=lambda o: (o.kind != "titles", o.key))],
        }


def read_lake_table(lake: Store, key: str, columns: list[str] | None = None) -> pa.Table:
    """A published parquet object; a corrupt one is a one-line ``StoreError`` saying how to rebuild it."""
    with lake.local_copy(key) as path:
        try:
            return pq.read_table(path, columns=columns)
        except (pa.ArrowException, ValueError, OSError) as exc:
            raise StoreError(f"{lake.uri}/{key} is unreadable ({str(exc).splitlines()[0][:160]}): run with --full to "
                             "rebuild the lake from the raw area") from None


def clean_stale(lake: Store, older_than: float = LEASE_SECONDS, now: float | None = None) -> list[str]:
    """What killed runs left behind: the lake's temporary objects older than a lease, and local staging folders
    whose process is gone (or is this one: a folder left by an earlier run in this process). Returns them."""
    now = time.time() if now is None else now
    removed = []
    for key, mtime in lake.temporaries():
        if now - mtime > older_than:
            with contextlib.suppress(OSError, StoreError):
                Path(lake.uri, key).unlink()
                removed.append(f"{lake.uri}/{key}")
    for folder in Path(tempfile.gettempdir()).glob(f"{STAGING_PREFIX}*"):
        pid = folder.name[len(STAGING_PREFIX):].split("-", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid() or not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(str(folder))
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def run_etl(raw: Store, lake: Store, *, full: bool = False, progress: Progress | None = None,
            allow_shrink: bool = False, users: HistoryStore | None = None) -> dict:
    """Bring the lake up to date with the raw area under the lake's lease; returns the run's manifest.
    Raises ``LeaseHeld`` (nothing written) when another run holds the lake."""
    progress = progress or Progress()
    with held(lake, "etl run") as lease:
        for leftover in clean_stale(lake):
            progress.say(f"etl: removed {leftover}, left by a run that was killed")
        return EtlRun(raw, lake, full=full, progress=progress, allow_shrink=allow_shrink, users=users).run(lease)
