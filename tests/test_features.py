"""Content features: the served matrix keeps each description's strongest and most widely shared words
(``keep_words``, ``HybridParams.description_strongest`` / ``description_shared``), which changes its description
block and nothing else."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from model_training.features import document_frequency, keep_words
from model_training.hybrid import HybridParams
from reelrec.schemas import CONTENT_BLOCKS


def reference_top_terms(m: sp.csr_matrix, n: int, prefer: list[int] | None = None) -> np.ndarray:
    """Plain Python: per row, the n entries whose column ``prefer`` ranks highest (None: the largest entries), ties
    by the larger entry then the lower column, scaled to unit length."""
    out = np.zeros(m.shape, np.float64)
    for i in range(m.shape[0]):
        row = m.getrow(i)
        rank = (lambda p: (-prefer[p[0]], -p[1], p[0])) if prefer is not None else (lambda p: (-p[1], p[0]))
        pairs = sorted(zip(row.indices.tolist(), row.data.tolist(), strict=True), key=rank)[:n]
        norm = np.sqrt(sum(v * v for _, v in pairs)) or 1.0
        for j, v in pairs:
            out[i, j] = v / norm
    return out


@pytest.mark.parametrize("n", [1, 3, 8])
def test_keep_words_keeps_each_rows_strongest_entries(n):
    rng = np.random.default_rng(n)
    dense = rng.random((60, 40)) * (rng.random((60, 40)) < 0.3)
    dense[5, :12] = 0.5  # ties: the lower columns stay
    dense[7] = 0.0  # an empty row stays empty
    m = sp.csr_matrix(dense.astype(np.float32))
    got = keep_words(m, n, 0)
    np.testing.assert_allclose(got.toarray(), reference_top_terms(m, n), rtol=1e-6, atol=1e-7)
    assert np.diff(got.indptr).max() <= n


@pytest.mark.parametrize("n", [1, 3, 8])
def test_keep_words_can_keep_the_most_widely_shared_columns(n):
    rng = np.random.default_rng(10 + n)
    dense = rng.random((60, 40)) * (rng.random((60, 40)) < rng.random(40) * 0.6)  # columns of unequal frequency
    dense[3, :10] = 0.5  # equal frequency and value: the lower column
    m = sp.csr_matrix(dense.astype(np.float32))
    df = document_frequency(m)
    assert df.tolist() == [int((dense[:, j] > 0).sum()) for j in range(40)]
    got = keep_words(m, 0, n)
    np.testing.assert_allclose(got.toarray(), reference_top_terms(m, n, df.tolist()), rtol=1e-6, atol=1e-7)
    assert not np.allclose(got.toarray(), keep_words(m, n, 0).toarray())  # not the largest entries' rule


def test_a_cap_changes_only_the_description_block_of_the_served_matrix(api_lake):
    from model_training.features import build_blocks
    from model_training.hybrid import fit_hybrid
    from model_training.lakeio import load_catalog, load_ratings

    catalog = load_catalog(str(api_lake))
    blocks, _ = build_blocks(catalog)
    ratings = load_ratings(str(api_lake), catalog)
    full = fit_hybrid(ratings, blocks, HybridParams(description_strongest=0, description_shared=0))
    capped = fit_hybrid(ratings, blocks, HybridParams(description_strongest=3, description_shared=0))
    desc = CONTENT_BLOCKS.index("description")

    def per_row(m, in_desc: bool) -> np.ndarray:
        rows = np.repeat(np.arange(len(m.feat_indptr) - 1), np.diff(m.feat_indptr))
        return np.bincount(rows[(m.feat_block[m.feat_indices] == desc) == in_desc], minlength=len(m.feat_indptr) - 1)

    assert per_row(full, True).max() > 3 and per_row(capped, True).max() == 3
    assert (per_row(capped, True) == np.minimum(per_row(full, True), 3)).all()
    assert (per_row(capped, False) == per_row(full, False)).all()
    np.testing.assert_array_equal(capped.item_factors, full.item_factors)  # the ridge map still reads every word


def test_keep_words_zero_or_enough_keeps_the_matrix():
    m = sp.random(20, 30, density=0.2, format="csr", random_state=1, dtype=np.float32)
    assert keep_words(m, 0, 0) is m
    assert keep_words(m, 30, 0) is m


def test_keep_words_is_the_union_of_the_strongest_and_the_most_shared():
    rng = np.random.default_rng(3)
    dense = rng.random((50, 30)) * (rng.random((50, 30)) < rng.random(30) * 0.7)
    m = sp.csr_matrix(dense.astype(np.float32))
    df = document_frequency(m)
    strong, shared = reference_top_terms(m, 2), reference_top_terms(m, 3, df.tolist())
    union = np.where((strong > 0) | (shared > 0), dense, 0.0)
    union /= np.maximum(np.linalg.norm(union, axis=1, keepdims=True), 1e-30)
    got = keep_words(m, 2, 3).toarray()
    np.testing.assert_allclose(got, union, rtol=1e-6, atol=1e-7)
    assert ((got > 0).sum(axis=1) <= 5).all() and ((got > 0).sum(axis=1) > 3).any()  # overlaps count once
    np.testing.assert_allclose(keep_words(m, 0, 3).toarray(), shared, rtol=1e-6, atol=1e-7)
    assert keep_words(m, 0, 0) is m


def test_the_served_model_keeps_three_strong_and_seven_shared_words_and_old_reports_read_as_every_word():
    from model_training.hybrid import params_from_dict, params_to_dict

    p = HybridParams()
    assert (p.description_strongest, p.description_shared) == (3, 7)
    old = {k: v for k, v in params_to_dict(p).items() if k not in ("description_strongest", "description_shared")}
    assert params_from_dict({**old, "description_terms": 0}).description_shared == 0
    assert params_from_dict(old).description_strongest == 0
    with pytest.raises(ValueError, match="description_terms"):
        params_from_dict({**old, "description_terms": 8})
