"""The API's catalog snapshot: one ``.npz`` of numpy arrays, written by the ETL, read by the API.

numpy only (no pickle), so the API Lambda can load it without pyarrow or pandas. Rows are the lake's titles
sorted by id. Strings are UTF-8 blobs with offsets and are decoded only for the rows an answer needs.
Missing values: ``release_year`` 0, ``duration_int`` -1, ``duration_type`` -1, ``date_added`` NO_DATE,
``score_mean`` NaN, and the empty string in string columns.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field, fields
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from reelrec.artifact_checks import Checks, InvalidArtifact
from reelrec.audience import AUDIENCES
from reelrec.audience import name as audience_name
from reelrec.copies import Copies
from reelrec.schemas import (
    DISPLAY_COLUMNS,
    DURATION_TYPES,
    PLATFORM_NAMES,
    PLATFORMS,
    SCORE_MAX,
    SCORE_MIN,
    TITLE_TYPES,
)

if TYPE_CHECKING:
    from reelrec.search_index import SearchIndex

FORMAT = 5  # catalog snapshot layout: bump when it changes (the ETL then republishes, the API refuses old ones)
TRAINING_FORMAT = 1  # training ratings layout
CODES = {"platform": PLATFORMS, "kind": TITLE_TYPES, "duration_type": DURATION_TYPES}
NO_DATE = np.iinfo(np.int32).min  # date_added is stored as days since 1970-01-01
EPOCH = dt.date(1970, 1, 1)
# the lake's lower-case forms kept: title (ties sort on it) and rating; the other text fields are served as written
# only (their lake form is ``str.lower`` of it, which is what the training job derives), so the API loads less
STRING_COLUMNS = ("title", "rating")
# the text fields as the catalog wrote them, beside the lake's lower-case forms above: what answers show
DISPLAY_STRINGS = tuple(DISPLAY_COLUMNS.values())
SEARCH_PREFIX = "search."  # the title search's arrays (reelrec.search_index) are stored under this prefix


@dataclass(frozen=True)
class Strings:
    """Many strings in one UTF-8 blob; ``offsets[i]:offsets[i+1]`` is string ``i``."""

    blob: np.ndarray  # uint8
    offsets: np.ndarray  # int64, len = n + 1

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, i: int) -> str:
        return self.blob[self.offsets[i] : self.offsets[i + 1]].tobytes().decode()

    def __iter__(self) -> Iterator[str]:
        return (self[i] for i in range(len(self)))

    @classmethod
    def of(cls, values: Iterable[str]) -> Strings:
        """Pack Python strings (UTF-8) into one blob."""
        encoded = [v.encode() for v in values]
        offsets = np.zeros(len(encoded) + 1, np.int64)
        np.cumsum([len(e) for e in encoded], out=offsets[1:])
        return cls(np.frombuffer(b"".join(encoded), np.uint8).copy(), offsets)


def encode_ids(ids: Iterable[str]) -> np.ndarray:
    """Title ids as numpy bytes ('S') of their UTF-8, the one encoding every id array here uses.

    UTF-8 keeps code point order, so arrays sorted as text stay sorted and ``searchsorted`` works on them."""
    return np.array([i.encode() for i in ids], dtype="S")


def write_npz(arrays: dict[str, np.ndarray], target: Any = None, level: int | None = 1) -> bytes:
    """An ``.npz`` without pickled objects, to ``target`` (a path or file) or returned as bytes (b"" when written
    to ``target``); ``level`` None stores uncompressed (fastest for numbers)."""
    out = io.BytesIO() if target is None else target
    method = zipfile.ZIP_STORED if level is None else zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(out, "w", method, compresslevel=level) as zf:
        for name, array in arrays.items():
            with zf.open(f"{name}.npy", "w", force_zip64=True) as fh:
                np.lib.format.write_array(fh, np.asanyarray(array), allow_pickle=False)
    return out.getvalue() if target is None else b""


@dataclass(frozen=True)
class TrainingRatings:
    """One ratings part as the training job reads it: numpy arrays, one entry per rating."""

    user_id: np.ndarray  # int64
    title_code: np.ndarray  # int32 index into title_ids
    title_ids: np.ndarray  # bytes ('S', UTF-8): the catalog's title ids when the part was loaded
    score: np.ndarray  # float32
    timestamp: np.ndarray  # int64, Unix seconds

    def title_id(self) -> np.ndarray:
        """Each rating's title id (bytes)."""
        return self.title_ids[self.title_code]

    def write(self, target=None) -> bytes | None:
        """Uncompressed npz to ``target`` (path or file), or as bytes when none is given."""
        arrays = {"format": np.array(TRAINING_FORMAT), **{f.name: getattr(self, f.name) for f in fields(self)}}
        return write_npz(arrays, target, level=None)

    @classmethod
    def from_bytes(cls, data: bytes) -> TrainingRatings:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            if int(npz["format"]) != TRAINING_FORMAT:
                raise ValueError(f"training ratings format {int(npz['format'])}, expected {TRAINING_FORMAT}")
            return cls(**{f.name: npz[f.name] for f in fields(cls)})


@dataclass(frozen=True)
class CatalogSnapshot:
    """Everything the catalog routes need, as arrays; ``version`` names the ETL run that built it."""

    version: str
    ids: np.ndarray  # bytes ('S'), sorted ascending
    platform: np.ndarray  # uint8 index into PLATFORMS
    kind: np.ndarray  # uint8 index into TITLE_TYPES
    release_year: np.ndarray  # int16, 0 = unknown
    duration_int: np.ndarray  # int32, -1 = unknown
    duration_type: np.ndarray  # int8 index into DURATION_TYPES, -1 = unknown
    title_rank: np.ndarray  # int32: position in the order (title, id), for ties
    score_mean: np.ndarray  # float64, NaN = no ratings
    score_count: np.ndarray  # int32
    cast_indptr: np.ndarray  # int32, len = n + 1: title i's cast is cast_indices[indptr[i]:indptr[i+1]]
    cast_indices: np.ndarray  # int32 into actors (distinct per title)
    date_added: np.ndarray  # int32 days since 1970-01-01, NO_DATE = unknown
    actors: Strings  # sorted alphabetically, so the smallest index is the alphabetical first
    title: Strings
    rating: Strings
    display_title: Strings  # the text fields as written (case kept): what every answer shows
    display_director: Strings
    display_cast: Strings
    display_country: Strings
    display_listed_in: Strings
    display_description: Strings
    actor_names: Strings  # each entry of ``actors`` as the catalog wrote it (first spelling seen)
    work: np.ndarray  # int32 per row: the smallest row among the copies of the same work (reelrec.copies)
    rating_defaulted: np.ndarray  # bool: the catalog gave no rating ("rating" holds the course's default "g")
    audience: np.ndarray  # int8 index into reelrec.audience.AUDIENCES, -1 = unknown (defaulted, nr, unrated...)
    search_arrays: dict[str, np.ndarray] = field(default_factory=dict)  # reelrec.search_index.SearchIndex

    def __len__(self) -> int:
        return len(self.ids)

    @cached_property
    def search_index(self) -> SearchIndex:
        """The title search's index over this snapshot (wraps ``search_arrays``; built by the ETL)."""
        from reelrec.search_index import SearchIndex

        return SearchIndex.from_arrays(self.search_arrays)

    @cached_property
    def copies(self) -> Copies:
        """The catalog's works: where each title can be watched, one copy per work in lists."""
        return Copies(self.work, self.ids, self.platform)

    def row_of(self, title_id: str) -> int | None:
        """Row of ``title_id`` (exact, lower-case lake id), or None."""
        key = title_id.encode("utf-8", "replace")
        i = int(np.searchsorted(self.ids, key))
        return i if i < len(self.ids) and self.ids[i] == key else None

    def record(self, row: int, platforms: Collection[str] | None = None) -> dict:
        """The title's record as people read it (text as the catalog wrote it; ``rating``, ids and codes in the
        lake's lower-case form), with its mean score, number of ratings and where the work can be watched."""
        title_id = self.ids[row].decode()
        days = int(self.date_added[row])
        mean = float(self.score_mean[row])
        platform = CODES["platform"][self.platform[row]]
        rec = {
            "id": title_id,
            "platform": platform,
            "platform_name": PLATFORM_NAMES[platform],
            "show_id": title_id[1:],
            "type": CODES["kind"][self.kind[row]],
            **{name: getattr(self, DISPLAY_COLUMNS[name])[row] or None for name in DISPLAY_COLUMNS},
            "rating": None if self.rating_defaulted[row] else self.rating[row] or None,
            "rating_defaulted": bool(self.rating_defaulted[row]),
            "audience": audience_name(int(self.audience[row])),
            "date_added": None if days == NO_DATE else (EPOCH + dt.timedelta(days=days)).isoformat(),
            "release_year": int(self.release_year[row]) or None,
            "duration_int": int(self.duration_int[row]) if self.duration_int[row] >= 0 else None,
            "duration_type": CODES["duration_type"][self.duration_type[row]] if self.duration_type[row] >= 0 else None,
            "score": None if mean != mean else round(mean, 4),
            "score_count": int(self.score_count[row]),
            "available_on": self.copies.available_on(row, platforms),
        }
        return rec

    def to_bytes(self) -> bytes:
        """Serialise as a ``.npz`` (no pickled objects), deflated at level 1: small and quick both ways."""
        arrays: dict[str, np.ndarray] = {"format": np.array(FORMAT), "version": np.array(self.version)}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Strings):
                arrays[f"{f.name}.blob"], arrays[f"{f.name}.offsets"] = value.blob, value.offsets
            elif f.name == "search_arrays":
                arrays.update({SEARCH_PREFIX + name: array for name, array in value.items()})
            elif f.name != "version":
                arrays[f.name] = value
        return write_npz(arrays)

    @classmethod
    def from_bytes(cls, data: bytes) -> CatalogSnapshot:
        """Load a snapshot written by ``to_bytes`` and ``validate`` it; refuses other format versions."""
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            if int(npz["format"]) != FORMAT:
                raise ValueError(f"catalog snapshot format {int(npz['format'])}, expected {FORMAT}")
            values: dict[str, Any] = {}
            try:
                for f in fields(cls):
                    if f.name == "version":
                        values[f.name] = str(npz["version"])
                    elif f.type == "Strings":
                        values[f.name] = Strings(npz[f"{f.name}.blob"], npz[f"{f.name}.offsets"])
                    elif f.name == "search_arrays":
                        values[f.name] = {name[len(SEARCH_PREFIX):]: npz[name] for name in npz.files
                                          if name.startswith(SEARCH_PREFIX)}
                    else:
                        values[f.name] = npz[f.name]
            except KeyError as exc:
                raise InvalidArtifact(f"catalog snapshot: missing array {exc}") from None
        snap = cls(**values)
        snap.validate()
        return snap

    def validate(self) -> None:
        """Raise ``InvalidArtifact`` unless every array agrees with the others (lengths, dtypes, code ranges,
        offsets, sorted ids, works, search index): the API must not start answering from a broken snapshot."""
        c = Checks(f"catalog snapshot {self.version}")
        n = len(c.array("ids", self.ids, "S"))
        c.ascending("ids", self.ids)
        for name, dtype, low, high in (("platform", "uint8", 0, len(PLATFORMS)), ("kind", "uint8", 0, len(TITLE_TYPES)),
                                       ("release_year", "int16", 0, 10_000), ("duration_int", "int32", -1, 2**31 - 1),
                                       ("duration_type", "int8", -1, len(DURATION_TYPES)),
                                       ("title_rank", "int32", 0, max(n, 1)), ("score_count", "int32", 0, 2**31 - 1)):
            c.within(name, c.array(name, getattr(self, name), dtype, n), low, high)
        if n and (np.bincount(self.title_rank, minlength=n) != 1).any():
            c.fail("title_rank", "is not an order of the rows (a rank is missing or repeated)")
        means = c.array("score_mean", self.score_mean, "float64", n)
        c.within("score_mean", means[~np.isnan(means)], SCORE_MIN, np.nextafter(SCORE_MAX, np.inf))
        c.array("date_added", self.date_added, "int32", n)
        actors = c.text("actors", self.actors.blob, self.actors.offsets, None)
        c.text("actor_names", self.actor_names.blob, self.actor_names.offsets, actors)
        c.csr("cast", self.cast_indptr, self.cast_indices, n, actors, "int32", "int32")
        for name in ("title", "rating", *DISPLAY_STRINGS):
            column = getattr(self, name)
            c.text(name, column.blob, column.offsets, n)
        c.works("work", self.work, n)
        c.array("rating_defaulted", self.rating_defaulted, "bool", n)
        c.within("audience", c.array("audience", self.audience, "int8", n), -1, len(AUDIENCES))
        if not self.search_arrays:
            c.fail("search index", "is missing")
        self.search_index.validate(n, c)


