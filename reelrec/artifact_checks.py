"""Checks a loaded artifact's arrays before anything answers from them: shape, dtype, value range and order.

A snapshot or model whose arrays disagree (a length, a code out of range, offsets past the blob, unsorted ids) would
otherwise load and then fail request by request (500s, or silent wrong 404s). The loaders call these checks and raise
``InvalidArtifact`` naming the array and the problem, so the API refuses the object like a corrupt one and says why.
Every check is vectorised: together they cost a few milliseconds of the cold start.
"""

from __future__ import annotations

from typing import NoReturn

import numpy as np


class InvalidArtifact(ValueError):
    """An artifact whose arrays are inconsistent; the message names the array and what is wrong."""


class Checks:
    """Checks over the arrays of one artifact; each failure raises ``InvalidArtifact`` prefixed with ``what``."""

    def __init__(self, what: str) -> None:
        self.what = what

    def fail(self, name: str, problem: str) -> NoReturn:
        raise InvalidArtifact(f"{self.what}: {name} {problem}")

    def array(self, name: str, value: object, dtype: str | np.dtype, length: int | None = None,
              ndim: int = 1) -> np.ndarray:
        """``value`` is an ndarray of ``dtype`` ("S" for any byte strings) with ``ndim`` axes and ``length`` rows."""
        if not isinstance(value, np.ndarray):
            self.fail(name, f"is a {type(value).__name__}, not an array")
        if dtype == "S":
            if value.dtype.kind != "S":
                self.fail(name, f"has dtype {value.dtype}, expected byte strings")
        elif value.dtype != np.dtype(dtype):
            self.fail(name, f"has dtype {value.dtype}, expected {np.dtype(dtype)}")
        if value.ndim != ndim:
            self.fail(name, f"has {value.ndim} dimensions, expected {ndim}")
        if length is not None and len(value) != length:
            self.fail(name, f"has {len(value):,} entries, expected {length:,}")
        return value

    def within(self, name: str, value: np.ndarray, low: int | float, high: int | float) -> None:
        """Every entry is in ``[low, high)``."""
        if len(value) and (value.min() < low or value.max() >= high):
            self.fail(name, f"holds values outside [{low}, {high}) (min {value.min()}, max {value.max()})")

    def finite(self, name: str, value: np.ndarray, allow_nan: bool = False) -> None:
        bad = np.isinf(value) if allow_nan else ~np.isfinite(value)
        if bad.any():
            self.fail(name, f"holds {int(bad.sum()):,} non-finite values")

    def ascending(self, name: str, value: np.ndarray, strict: bool = True) -> None:
        """Sorted ascending (``strict``: no repeats), which ``searchsorted`` relies on."""
        if len(value) > 1 and not (value[1:] > value[:-1] if strict else value[1:] >= value[:-1]).all():
            self.fail(name, "is not sorted ascending" + (" without repeats" if strict else ""))

    def offsets(self, name: str, offsets: np.ndarray, rows: int | None, total: int, dtype: str = "int64") -> int:
        """Row boundaries into a buffer of ``total`` entries: ``rows + 1`` of them, from 0, never decreasing, ending
        at ``total``; returns the number of rows."""
        self.array(name, offsets, dtype, None if rows is None else rows + 1)
        if len(offsets) == 0:
            self.fail(name, "is empty (it needs one entry more than there are rows)")
        if offsets[0] != 0 or offsets[-1] != total:
            self.fail(name, f"runs from {offsets[0]} to {offsets[-1]}, expected 0 to {total:,}")
        self.ascending(name, offsets, strict=False)
        return len(offsets) - 1

    def text(self, name: str, blob: np.ndarray, offsets: np.ndarray, rows: int | None) -> int:
        """UTF-8 strings in one blob: valid as a whole and cut only at character boundaries; returns their count."""
        self.array(f"{name}.blob", blob, "uint8")
        n = self.offsets(f"{name}.offsets", offsets, rows, len(blob))
        try:
            blob.tobytes().decode("utf-8")
        except UnicodeDecodeError as exc:
            self.fail(f"{name}.blob", f"is not UTF-8 at byte {exc.start:,}")
        inner = offsets[1:-1]
        inner = inner[inner < len(blob)]
        if len(inner) and ((blob[inner] & 0xC0) == 0x80).any():
            self.fail(f"{name}.offsets", "cut a character in two")
        return n

    def csr(self, name: str, indptr: np.ndarray, indices: np.ndarray, rows: int, columns: int,
            indptr_dtype: str, index_dtype: str) -> None:
        """A CSR matrix of ``rows`` x ``columns``: row pointers over ``indices``, every index a valid column."""
        self.array(f"{name} indices", indices, index_dtype)
        self.offsets(f"{name} indptr", indptr, rows, len(indices), indptr_dtype)
        self.within(f"{name} indices", indices, 0, columns)

    def works(self, name: str, work: np.ndarray, rows: int) -> None:
        """``reelrec.copies``'s rule: each row names the smallest row of its work, which names itself."""
        self.array(name, work, "int32", rows)
        self.within(name, work, 0, rows)
        if len(work) and ((work > np.arange(rows)).any() or (work[work] != work).any()):
            self.fail(name, "does not name, for every row, the smallest row of its work")
