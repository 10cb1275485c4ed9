"""Content features: the hybrid's option to keep each description's strongest words (``top_terms``; off by default)
changes the description block of the served matrix and nothing else."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from model_training.features import top_terms
from model_training.hybrid import HybridParams
from reelrec.schemas import CONTENT_BLOCKS


def reference_top_terms(m: sp.csr_matrix, n: int) -> np.ndarray:
    """Plain Python: per row, the n largest entries (ties: lower column), scaled to unit length."""
    out = np.zeros(m.shape, np.float64)
    for i in range(m.shape[0]):
        row = m.getrow(i)
        pairs = sorted(zip(row.indices.tolist(), row.data.tolist(), strict=True), key=lambda p: (-p[1], p[0]))[:n]
        norm = np.sqrt(sum(v * v for _, v in pairs)) or 1.0
        for j, v in pairs:
            out[i, j] = v / norm
    return out


@pytest.mark.parametrize("n", [1, 3, 8])
def test_top_terms_keeps_each_rows_strongest_entries(n):
    rng = np.random.default_rng(n)
    dense = rng.random((60, 40)) * (rng.random((60, 40)) < 0.3)
    dense[5, :12] = 0.5  # ties: the lower columns stay
    dense[7] = 0.0  # an empty row stays empty
    m = sp.csr_matrix(dense.astype(np.float32))
    got = top_terms(m, n)
    np.testing.assert_allclose(got.toarray(), reference_top_terms(m, n), rtol=1e-6, atol=1e-7)
    assert np.diff(got.indptr).max() <= n


def test_a_cap_changes_only_the_description_block_of_the_served_matrix(api_lake):
    from model_training.features import build_blocks
    from model_training.hybrid import fit_hybrid
    from model_training.lakeio import load_catalog, load_ratings

    catalog = load_catalog(str(api_lake))
    blocks, _ = build_blocks(catalog)
    ratings = load_ratings(str(api_lake), catalog)
    full = fit_hybrid(ratings, blocks, HybridParams())
    capped = fit_hybrid(ratings, blocks, HybridParams(description_terms=3))
    desc = CONTENT_BLOCKS.index("description")

    def per_row(m, in_desc: bool) -> np.ndarray:
        rows = np.repeat(np.arange(len(m.feat_indptr) - 1), np.diff(m.feat_indptr))
        return np.bincount(rows[(m.feat_block[m.feat_indices] == desc) == in_desc], minlength=len(m.feat_indptr) - 1)

    assert per_row(full, True).max() > 3 and per_row(capped, True).max() == 3
    assert (per_row(capped, True) == np.minimum(per_row(full, True), 3)).all()
    assert (per_row(capped, False) == per_row(full, False)).all()
    np.testing.assert_array_equal(capped.item_factors, full.item_factors)  # the ridge map still reads every word


def test_top_terms_zero_or_enough_keeps_the_matrix():
    m = sp.random(20, 30, density=0.2, format="csr", random_state=1, dtype=np.float32)
    assert top_terms(m, 0) is m
    assert top_terms(m, 30) is m
