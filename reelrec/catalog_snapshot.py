"""The API's catalog snapshot: one ``.npz`` of numpy arrays, written by the ETL, read by the API.

numpy only (no pickle), so the API Lambda can load it without pyarrow or pandas. Rows are the lake's titles
sorted by id. Strings are UTF-8 blobs with offsets and are decoded only for the rows an answer needs.
Missing values: ``release_year`` 0, ``duration_int`` -1, ``duration_type`` -1, ``score_mean`` NaN.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, fields

import numpy as np

from reelrec.schemas import DURATION_TYPES, PLATFORMS, TITLE_TYPES

FORMAT = 1


@dataclass(frozen=True)
class Strings:
    """Many strings in one UTF-8 blob; ``offsets[i]:offsets[i+1]`` is string ``i``."""

    blob: np.ndarray  # uint8
    offsets: np.ndarray  # int64, len = n + 1

    @classmethod
    def build(cls, values: list[str]) -> Strings:
        encoded = [v.encode() for v in values]
        offsets = np.zeros(len(encoded) + 1, np.int64)
        np.cumsum([len(b) for b in encoded], out=offsets[1:])
        return cls(np.frombuffer(b"".join(encoded), np.uint8), offsets)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, i: int) -> str:
        return self.blob[self.offsets[i] : self.offsets[i + 1]].tobytes().decode()


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
    titles: Strings
    actors: Strings  # sorted alphabetically, so the smallest index is the alphabetical first
    records: Strings  # one JSON object per title: its lake record plus its score

    def __len__(self) -> int:
        return len(self.ids)

    def row_of(self, title_id: str) -> int | None:
        """Row of ``title_id`` (exact, lower-case lake id), or None."""
        key = title_id.encode("utf-8", "ignore")
        i = int(np.searchsorted(self.ids, key))
        return i if i < len(self.ids) and self.ids[i] == key else None

    def record(self, row: int) -> dict:
        return json.loads(self.records[row])

    def to_bytes(self) -> bytes:
        """Serialise as a compressed ``.npz`` (no pickled objects)."""
        arrays: dict[str, np.ndarray] = {"format": np.array(FORMAT), "version": np.array(self.version)}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Strings):
                arrays[f"{f.name}.blob"], arrays[f"{f.name}.offsets"] = value.blob, value.offsets
            elif f.name != "version":
                arrays[f.name] = value
        out = io.BytesIO()
        np.savez_compressed(out, **arrays)
        return out.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> CatalogSnapshot:
        """Load a snapshot written by ``to_bytes``; refuses other format versions."""
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            if int(npz["format"]) != FORMAT:
                raise ValueError(f"catalog snapshot format {int(npz['format'])}, expected {FORMAT}")
            values = {}
            for f in fields(cls):
                if f.name == "version":
                    values[f.name] = str(npz["version"])
                elif f.name in ("titles", "actors", "records"):
                    values[f.name] = Strings(npz[f"{f.name}.blob"], npz[f"{f.name}.offsets"])
                else:
                    values[f.name] = npz[f.name]
        return cls(**values)


CODES = {"platform": PLATFORMS, "kind": TITLE_TYPES, "duration_type": DURATION_TYPES}
