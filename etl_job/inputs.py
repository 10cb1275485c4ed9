"""Raw inputs of one run: which objects count, their outcome records, and their checksums."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import TypedDict, cast

from etl_job.errors import FileRejected
from reelrec import layout
from reelrec.schemas import PLATFORM_FILES
from reelrec.storage import ObjectInfo, Store


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

    def entry(self) -> InputEntry:
        """This outcome as the manifest lists it (a copy)."""
        return cast(InputEntry, asdict(self))


class InputEntry(TypedDict):
    """One entry of the manifest's ``inputs``: the fields of ``Outcome``, in its order."""

    key: str
    kind: str
    status: str
    size: int | None
    sha256: str | None
    rows_read: int
    rows_written: int
    rows_quarantined: int
    quarantine: dict[str, int]
    repairs: dict[str, int]
    ignored_columns: list[str]
    outputs: list[str]
    seconds: float
    rows_per_s: float
    error: str | None
    note: str | None


@dataclass
class Task:
    """A raw input whose content is (or may be) new: its listing, its outcome being filled in, and its local copy
    once fetched."""

    info: ObjectInfo
    out: Outcome
    path: Path | None = None


def problem(info: ObjectInfo, kind: str) -> str | None:
    """Why a raw key cannot be an input of ``kind`` (None when it can).

    Extensions are exact (``.csv``) and folders flat, so two inputs can never share a lake name.
    """
    rel = info.key.split("/", 1)[1]
    if "/" in rel:
        return f"nested folders are not read: put the file directly under {kind}/"
    if not rel.endswith(".csv"):
        return "not a .csv file (the extension must be exactly .csv)"
    if kind == "titles" and layout.stem(info.key) not in PLATFORM_FILES:
        return f"unknown platform file name; expected one of {', '.join(f + '.csv' for f in PLATFORM_FILES)}"
    return None


def discover(raw: Store, prefix: str) -> list[ObjectInfo]:
    """Raw objects under ``prefix``, without hidden files and S3 folder markers."""
    return [i for i in raw.list(prefix)
            if not i.key.endswith("/") and not PurePosixPath(i.key).name.startswith(".")]


def checksum(path: Path) -> str:
    """sha256 of a raw file; a NUL byte anywhere rejects it (CSV text never holds one)."""
    digest = hashlib.sha256()
    offset = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            if offset == 0 and chunk[:2] in (b"\xff\xfe", b"\xfe\xff"):
                raise FileRejected("UTF-16 text: save the file as UTF-8")
            nul = chunk.find(b"\x00")
            if nul >= 0:
                raise FileRejected(f"not CSV text (NUL byte at offset {offset + nul})")
            digest.update(chunk)
            offset += len(chunk)
    return digest.hexdigest()
