"""The padded row layout of the content pass (reelrec.padded_rows): its product equals the dense one for any
matrix (empty rows, rows past the width, width 0), and its width is the cheapest one."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from reelrec.padded_rows import PaddedRows, padded_width


def _csr(dense: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rows, cols = np.nonzero(dense)
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=dense.shape[0]))])
    return indptr, cols.astype(np.int32), dense[rows, cols].astype(np.float32)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 12), st.integers(1, 9), st.floats(0.0, 1.0), st.one_of(st.none(), st.integers(0, 10)),
       st.integers(0, 2**32 - 1))
def test_the_padded_product_equals_the_dense_one(n_rows, n_cols, density, width, seed):
    rng = np.random.default_rng(seed)
    dense = np.where(rng.random((n_rows, n_cols)) < density, rng.normal(size=(n_rows, n_cols)), 0.0)
    q = rng.normal(size=n_cols).astype(np.float32)
    padded = PaddedRows.from_csr(*_csr(dense), width=width)
    got = padded.dot(q)
    assert got.dtype == np.float32 and got.shape == (n_rows,)
    np.testing.assert_allclose(got, dense.astype(np.float32) @ q, rtol=1e-5, atol=1e-5)
    kept_aside = np.maximum((dense != 0).sum(axis=1) - padded.columns.shape[0], 0).sum()
    assert len(padded.over_rows) == kept_aside  # every entry past the width is kept aside, none twice


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 30), max_size=40), st.floats(0.5, 8.0))
def test_the_width_is_the_cheapest(lengths, overflow_cost):
    lengths = np.array(lengths, np.int64)

    def cost(w: int) -> float:
        return len(lengths) * w + overflow_cost * float(np.maximum(lengths - w, 0).sum())

    w = padded_width(lengths, overflow_cost)
    assert 0 <= w <= (lengths.max() if len(lengths) else 0)
    assert cost(w) == min(cost(v) for v in range(int(lengths.max(initial=0)) + 1))


def test_rows_of_one_length_need_no_overflow():
    indptr = np.arange(0, 13, 3)  # four rows of three
    padded = PaddedRows.from_csr(indptr, np.tile([0, 2, 4], 4), np.ones(12, np.float32))
    assert padded.columns.shape == (3, 4) and not len(padded.over_rows)
    assert padded.dot(np.array([1, 9, 2, 9, 3], np.float32)).tolist() == [6.0, 6.0, 6.0, 6.0]
