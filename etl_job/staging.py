"""The local staging folder: a run's outputs wait there until every input has been read, then are published."""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from etl_job.inputs import Outcome
from etl_job.quarantine import Quarantine
from reelrec import layout

STAGING_PREFIX = "reelrec-etl-"  # local staging folders: reelrec-etl-<pid>-<random> (see cleanup.clean_stale)


@dataclass
class Staged:
    """Outputs of this run waiting in the local staging folder to be published."""

    folder: Path
    files: list[tuple[Path, str]] = field(default_factory=list)  # (local path, lake key), in staging order
    titles: dict[str, pa.Table] = field(default_factory=dict)  # platform -> its reloaded catalog
    lock: threading.Lock = field(default_factory=threading.Lock)

    def path(self, key: str) -> Path:
        """Where the object ``key`` is written locally (its folder created)."""
        path = self.folder / key
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def add_file(self, key: str) -> str:
        """Register a file already written at ``self.path(key)``."""
        with self.lock:
            self.files.append((self.folder / key, key))
        return key

    def add_table(self, table: pa.Table, key: str) -> str:
        """Write ``table`` as the parquet object ``key`` and register it."""
        pq.write_table(table, self.path(key), compression="zstd")
        return self.add_file(key)

    def keys(self) -> list[str]:
        """The lake keys staged so far."""
        return [k for _, k in self.files]


@contextmanager
def staging_folder() -> Iterator[Staged]:
    """A fresh staging folder for one run, removed on every way out."""
    with tempfile.TemporaryDirectory(prefix=f"{STAGING_PREFIX}{os.getpid()}-") as tmp:
        yield Staged(Path(tmp))


def stage_quarantine(out: Outcome, quarantine: Quarantine, kind: str, staged: Staged) -> None:
    """Count an input's rejected rows in its outcome and stage them as its quarantine object (when any)."""
    out.rows_quarantined = len(quarantine)
    out.quarantine = dict(sorted(quarantine.counts.items()))
    if len(quarantine):
        out.outputs.append(staged.add_table(quarantine.to_table(), layout.quarantine_key(kind, out.key)))
