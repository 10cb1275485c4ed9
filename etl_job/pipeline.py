"""One ETL run: find new or changed raw inputs, clean them into a staging folder, then publish.

Nothing is published until every input has been read, so a run that crashes leaves the lake
as it was. Publishing writes data objects first, then ``_state.json``, then the run manifest;
each object write is atomic, and an interrupted publish is completed by the next run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath

import pyarrow as pa
import pyarrow.parquet as pq

from etl_job import TRANSFORM_VERSION
from etl_job.errors import FileRejected
from etl_job.progress import Progress
from etl_job.ratings import clean_ratings
from etl_job.serving import KEEP_SNAPSHOTS, build_catalog_snapshot, rating_aggregates
from etl_job.state import LakeState
from etl_job.titles import read_titles
from reelrec import layout
from reelrec.catalog_snapshot import FORMAT as SNAPSHOT_FORMAT
from reelrec.schemas import PLATFORM_FILES, PLATFORMS
from reelrec.storage import ObjectInfo, Store

WORKERS = min(2, os.cpu_count() or 1)  # ratings files cleaned at once (memory grows per worker)


@dataclass
class Outcome:
    """What happened to one raw input in this run (one entry of the manifest)."""

    key: str
    kind: str
    status: str = "processed"  # processed | unchanged | duplicate | failed | deferred | missing
    size: int | None = None
    sha256: str | None = None
    rows_read: int = 0
    rows_written: int = 0
    rows_quarantined: int = 0
    quarantine: dict[str, int] = field(default_factory=dict)
    repairs: dict[str, int] = field(default_factory=dict)
    ignored_columns: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    seconds: float = 0.0
    rows_per_s: float = 0.0
    error: str | None = None
    note: str | None = None


@dataclass
class Staged:
    """Outputs of this run waiting in the local staging folder to be published."""

    folder: Path
    files: list[tuple[Path, str]] = field(default_factory=list)
    titles: dict[str, pa.Table] = field(default_factory=dict)

    def path(self, key: str) -> Path:
        path = self.folder / key
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def add_file(self, key: str) -> str:
        """Register a file already written at ``self.path(key)``."""
        self.files.append((self.folder / key, key))
        return key

    def add_table(self, table: pa.Table, key: str) -> str:
        pq.write_table(table, self.path(key), compression="zstd")
        return self.add_file(key)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _raw_problem(info: ObjectInfo, kind: str) -> str | None:
    """Why a raw key cannot be an input of ``kind`` (None when it can)."""
    rel = info.key.split("/", 1)[1]
    if "/" in rel:
        return f"nested folders are not read: put the file directly under {kind}/"
    if not rel.lower().endswith(".csv"):
        return "not a .csv file"
    if kind == "titles" and layout.stem(info.key) not in PLATFORM_FILES:
        return f"unknown platform file name; expected one of {', '.join(f + '.csv' for f in PLATFORM_FILES)}"
    return None


def _discover(raw: Store, prefix: str) -> list[ObjectInfo]:
    """Raw objects under ``prefix``, without hidden files."""
    return [i for i in raw.list(prefix) if not PurePosixPath(i.key).name.startswith(".")]


class EtlRun:
    """Carries one run from discovery to the published manifest."""

    def __init__(self, raw: Store, lake: Store, *, full: bool = False, progress: Progress | None = None):
        self.raw, self.lake = raw, lake
        self.progress = progress or Progress()
        # sortable: snapshots and manifests are pruned and listed in this order
        self.run_id = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ") + "-" + uuid.uuid4().hex[:6]
        self.old_state = LakeState.load(lake)
        # new cleaning rules invalidate everything the lake holds: rebuild as with --full
        self.full = full or self.old_state.transform_version != TRANSFORM_VERSION
        self.state = LakeState() if self.full else LakeState(TRANSFORM_VERSION, dict(self.old_state.inputs))
        self.outcomes: list[Outcome] = []
        self._lock = threading.Lock()  # ratings files are cleaned in parallel threads
        self._claimed: dict[tuple[str, str], str] = {}  # (kind, sha256) -> raw key loaded in this run

    # -- one input -------------------------------------------------------------------------
    def _input(self, info: ObjectInfo, kind: str, work: Callable[[Path, Outcome], None]) -> Outcome:
        """Decide whether ``info`` needs work, do it, and record the outcome (safe to run in threads)."""
        out = Outcome(info.key, kind, size=info.size)
        with self._lock:
            self.outcomes.append(out)
            entry = self.state.inputs.get(info.key)
        problem = _raw_problem(info, kind)
        if problem:
            return self._fail(out, problem)
        if entry and entry.get("size") == info.size and entry.get("tag") == info.tag:
            return self._unchanged(out, entry)
        started = time.perf_counter()
        try:
            with self.raw.local_copy(info.key) as path:
                out.sha256 = _sha256(path)
                with self._lock:
                    if entry and entry.get("sha256") == out.sha256:
                        entry["tag"] = info.tag
                        return self._unchanged(out, entry)
                    twin = self.state.key_with_checksum(out.sha256, kind) or self._claimed.get((kind, out.sha256))
                    if twin and kind == "ratings":
                        out.status, out.note = "duplicate", f"same content as {twin}; not loaded twice"
                        self.state.inputs[info.key] = {"kind": kind, "sha256": out.sha256, "size": info.size,
                                                       "tag": info.tag, "duplicate_of": twin, "outputs": []}
                        return out
                    self._claimed[(kind, out.sha256)] = info.key
                work(path, out)
        except FileRejected as exc:
            return self._fail(out, str(exc))
        out.seconds = round(time.perf_counter() - started, 3)
        out.rows_per_s = round(out.rows_read / max(out.seconds, 1e-6))
        with self._lock:
            self.state.inputs[info.key] = {
                "kind": kind, "sha256": out.sha256, "size": info.size, "tag": info.tag, "run_id": self.run_id,
                "outputs": out.outputs, "rows_read": out.rows_read, "rows_written": out.rows_written,
                "rows_quarantined": out.rows_quarantined,
            }
        self.progress.say(
            f"{info.key}: {out.rows_read:,} rows read, {out.rows_written:,} written, "
            f"{out.rows_quarantined:,} quarantined ({out.seconds:.2f} s, {out.rows_per_s:,.0f} rows/s)"
        )
        return out

    def _fail(self, out: Outcome, why: str) -> Outcome:
        out.status, out.error = "failed", why
        self.progress.say(f"{out.key}: FAILED: {why}")
        return out

    def _unchanged(self, out: Outcome, entry: dict) -> Outcome:
        out.status, out.sha256, out.outputs = "unchanged", entry.get("sha256"), entry.get("outputs", [])
        return out

    @staticmethod
    def _record_quarantine(out: Outcome, quarantine, kind: str, staged: Staged) -> None:
        out.rows_quarantined = len(quarantine)
        out.quarantine = dict(sorted(quarantine.counts.items()))
        if len(quarantine):
            out.outputs.append(staged.add_table(quarantine.to_table(), layout.quarantine_key(kind, out.key)))

    # -- the two kinds ---------------------------------------------------------------------
    def _titles(self, staged: Staged) -> None:
        for info in _discover(self.raw, layout.RAW_TITLES):
            platform = PLATFORM_FILES.get(layout.stem(info.key), "")

            def work(path: Path, out: Outcome, platform: str = platform) -> None:
                res = read_titles(path, platform, out.key)
                staged.titles[platform] = res.table
                out.rows_read, out.rows_written = res.rows_read, res.table.num_rows
                out.repairs = {k: v for k, v in sorted(res.repairs.items()) if v}
                out.ignored_columns = res.ignored_columns
                out.outputs.append(staged.add_table(res.table, layout.lake_titles_key(platform)))
                self._record_quarantine(out, res.quarantine, "titles", staged)

            self._input(info, "titles", work)

    def _catalog(self, staged: Staged, columns: list[str] | None = None) -> list[pa.Table]:
        """The lake's titles after this run: staged where reloaded, else as published."""
        tables = []
        for platform in PLATFORMS:
            if platform in staged.titles:
                tables.append(staged.titles[platform].select(columns) if columns else staged.titles[platform])
            elif self.lake.stat(layout.lake_titles_key(platform)) is not None:
                with self.lake.local_copy(layout.lake_titles_key(platform)) as path:
                    tables.append(pq.read_table(path, columns=columns))
        return tables

    def _title_ids(self, staged: Staged) -> pa.Array | None:
        """Every title id the lake will hold after this run (None when there is no catalog yet)."""
        tables = self._catalog(staged, ["id"])
        return pa.concat_tables(tables).column("id").combine_chunks().unique() if tables else None

    def _blocking_titles(self) -> list[str]:
        """Platform files that failed in this run and have no earlier version in the lake."""
        return [
            o.key for o in self.outcomes
            if o.kind == "titles" and o.status == "failed" and layout.stem(o.key) in PLATFORM_FILES
            and self.lake.stat(layout.lake_titles_key(PLATFORM_FILES[layout.stem(o.key)])) is None
        ]

    def _ratings(self, staged: Staged) -> None:
        blocking = self._blocking_titles()
        title_ids = None if blocking else self._title_ids(staged)
        infos = _discover(self.raw, layout.RAW_RATINGS)
        if title_ids is None:
            why = f"catalog incomplete: {', '.join(blocking)} failed" if blocking else "no catalog in the lake yet"
            for info in infos:
                self.outcomes.append(Outcome(info.key, "ratings", status="deferred", size=info.size, note=why))
                self.progress.say(f"{info.key}: deferred ({why})")
            return

        def work(path: Path, out: Outcome) -> None:
            key = layout.lake_ratings_key(out.key)
            with self._lock:
                owner = next((k for k, e in self.state.inputs.items()
                              if key in e.get("outputs", []) and k != out.key), None)
            if owner:
                raise FileRejected(f"its lake name {key} is taken by {owner}; rename the file")
            res = clean_ratings(path, staged.path(key), title_ids, out.key, self.progress.tracker(out.key))
            out.rows_read, out.rows_written = res.rows_read, res.rows_written
            out.ignored_columns = res.ignored_columns
            out.outputs.append(staged.add_file(key))
            out.outputs.append(staged.add_table(rating_aggregates(staged.path(key)), layout.aggregates_key(out.key)))
            self._record_quarantine(out, res.quarantine, "ratings", staged)

        # Files are independent and Arrow releases the GIL: one worker per core keeps both busy.
        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            list(pool.map(lambda info: self._input(info, "ratings", work), infos))

    # -- serving snapshot ------------------------------------------------------------------
    def _snapshot(self, staged: Staged) -> bytes | None:
        """A new catalog snapshot when this run changed the lake (or there is none yet), else None."""
        changed = any(o.status == "processed" for o in self.outcomes) or self.full
        if not changed and self._pointer_format() == SNAPSHOT_FORMAT:
            return None
        titles = self._catalog(staged)
        if not titles:
            return None
        aggregates = []
        for entry in self.state.inputs.values():
            for key in entry.get("outputs", []):
                if key.startswith(layout.RATING_AGGREGATES):
                    local = staged.folder / key
                    if local.exists():
                        aggregates.append(pq.read_table(local))
                    else:
                        with self.lake.local_copy(key) as path:
                            aggregates.append(pq.read_table(path))
        return build_catalog_snapshot(pa.concat_tables(titles), aggregates, self.run_id).to_bytes()

    def _pointer_format(self) -> int | None:
        """Format of the published snapshot (None when there is none or the pointer is unreadable)."""
        if self.lake.stat(layout.CATALOG_POINTER) is None:
            return None
        try:
            return json.loads(self.lake.read_bytes(layout.CATALOG_POINTER)).get("format")
        except (ValueError, AttributeError):
            return None

    def _publish_snapshot(self, data: bytes) -> None:
        """Snapshot object first, then the pointer that makes it current; then prune old versions."""
        self.lake.write_bytes(layout.catalog_snapshot_key(self.run_id), data)
        pointer = {"version": self.run_id, "key": layout.catalog_snapshot_key(self.run_id), "format": SNAPSHOT_FORMAT,
                   "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "bytes": len(data)}
        self.lake.write_bytes(layout.CATALOG_POINTER, json.dumps(pointer).encode())
        current = layout.catalog_snapshot_key(self.run_id)
        older = sorted(i.key for i in self.lake.list(layout.CATALOG_SNAPSHOTS) if i.key.endswith(".npz") and i.key != current)
        for key in older[: max(len(older) - (KEEP_SNAPSHOTS - 1), 0)]:
            self.lake.delete(key)

    # -- publish ---------------------------------------------------------------------------
    def _obsolete(self) -> set[str]:
        """Lake objects written by earlier runs that no input of the new state owns any more."""
        before = {k for e in self.old_state.inputs.values() for k in e.get("outputs", [])}
        return before - {k for e in self.state.inputs.values() for k in e.get("outputs", [])}

    def run(self) -> dict:
        """Run the ETL and return the manifest it published."""
        started = dt.datetime.now(dt.UTC)
        t0 = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="reelrec-etl-") as tmp:
            staged = Staged(Path(tmp))
            self._titles(staged)
            self._ratings(staged)
            seen = {o.key for o in self.outcomes}
            for key in sorted(set(self.state.inputs) - seen):
                if self.full:
                    del self.state.inputs[key]
                else:
                    self.outcomes.append(Outcome(key, self.state.inputs[key].get("kind", "?"), status="missing",
                                                 note="gone from the raw area; its lake data is kept"))
            snapshot = self._snapshot(staged)
            for path, key in staged.files:
                self.lake.upload_file(path, key)
        if snapshot is not None:
            self._publish_snapshot(snapshot)
        for key in sorted(self._obsolete()):
            self.lake.delete(key)
        self.state.save(self.lake)
        manifest = self._manifest(started, time.perf_counter() - t0)
        manifest["catalog_snapshot"] = self.run_id if snapshot is not None else None
        self.lake.write_bytes(layout.manifest_key(self.run_id), json.dumps(manifest, indent=1).encode())
        return manifest

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


def run_etl(raw: Store, lake: Store, *, full: bool = False, progress: Progress | None = None) -> dict:
    """Bring the lake up to date with the raw area; returns the run's manifest."""
    return EtlRun(raw, lake, full=full, progress=progress).run()
