"""A sparse matrix laid out for fast products with one vector in numpy (the content pass of every request).

numpy has no sparse mat-vec: over compressed rows (CSR) it takes a gather and ``np.add.reduceat``, whose loop over
23k short rows costs more than the gather. Padding every row to one width and storing the positions column-major
(ELLPACK, transposed) turns the reduction into ``width`` contiguous vector adds; the few entries of rows longer
than the width are kept aside (COO) and added with one ``np.bincount``. Same sums, ~25% faster at course scale.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

OVERFLOW_COST = 4.0  # an entry kept aside costs about this many padded slots (bincount's scatter vs a vector add)


def padded_width(lengths: np.ndarray, overflow_cost: float = OVERFLOW_COST) -> int:
    """The width that makes padding plus kept-aside entries cheapest: ``rows * width`` slots, plus
    ``overflow_cost`` for each entry beyond it."""
    lengths = np.asarray(lengths, np.int64)
    if not len(lengths) or not lengths.max():
        return 0
    counts = np.bincount(lengths)
    widths = np.arange(len(counts))
    longer = counts[::-1].cumsum()[::-1]  # rows of length >= w, per w
    beyond = np.concatenate([longer[1:], [0]])  # rows longer than w
    entries = (widths * counts)[::-1].cumsum()[::-1]  # entries in rows of length >= w
    over = np.concatenate([entries[1:], [0]]) - widths * beyond  # entries past width w
    cost = len(lengths) * widths + overflow_cost * over
    return int(np.argmin(cost))


@dataclass(frozen=True)
class PaddedRows:
    """A CSR matrix as (width x rows) padded columns (padding points at column 0 with weight 0) and an overflow."""

    columns: np.ndarray  # (width, rows) intp
    weights: np.ndarray  # (width, rows) float32
    over_rows: np.ndarray  # intp
    over_columns: np.ndarray  # intp
    over_weights: np.ndarray  # float32

    @classmethod
    def from_csr(cls, indptr: np.ndarray, indices: np.ndarray, data: np.ndarray,
                 width: int | None = None) -> PaddedRows:
        """The padded layout of a CSR matrix (rows = ``len(indptr) - 1``); ``width`` defaults to ``padded_width``."""
        indptr = np.asarray(indptr, np.int64)
        lengths = np.diff(indptr)
        n = len(lengths)
        width = padded_width(lengths) if width is None else width
        rows = np.repeat(np.arange(n), lengths)
        slot = np.arange(int(indptr[-1])) - np.repeat(indptr[:-1], lengths)  # position within its row
        inside = slot < width
        columns = np.zeros((width, n), np.intp)
        weights = np.zeros((width, n), np.float32)
        columns[slot[inside], rows[inside]] = indices[inside]
        weights[slot[inside], rows[inside]] = data[inside]
        return cls(columns, weights, rows[~inside].astype(np.intp), np.asarray(indices[~inside], np.intp),
                   np.asarray(data[~inside], np.float32))

    @property
    def n_rows(self) -> int:
        """Number of rows."""
        return self.columns.shape[1]

    def dot(self, q: np.ndarray) -> np.ndarray:
        """The matrix times vector ``q`` (one value per column), float32 per row."""
        q = np.asarray(q, np.float32)
        if not self.columns.size:
            sums = np.zeros(self.n_rows, np.float32)
        else:
            prod = np.take(q, self.columns, mode="clip")  # valid indices: no bounds checks
            prod *= self.weights
            sums = prod.sum(axis=0)
        if len(self.over_rows):
            extra = np.bincount(self.over_rows, weights=q[self.over_columns] * self.over_weights,
                                minlength=self.n_rows)
            sums += extra.astype(np.float32)
        return sums
