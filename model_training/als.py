"""implicit's ALS on the user x title confidence matrix (CPU, BLAS pinned to one thread), as numpy arrays."""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from model_training.data import Ratings
from reelrec.confidence import ConfidenceMap


@dataclass(frozen=True)
class AlsParams:
    """Hyper-parameters of the ALS part."""

    factors: int = 64
    regularization: float = 5.0
    iterations: int = 15
    confidence: ConfidenceMap = ConfidenceMap()


@dataclass
class AlsFactors:
    """Learned factors: users in ``user_ids`` order; items for every catalog index (zeros where never rated)."""

    user_ids: np.ndarray  # int64, sorted
    user_factors: np.ndarray  # float32 (n_users x k)
    item_factors: np.ndarray  # float32 (n_items x k)
    rated: np.ndarray  # bool per catalog index: had a training rating


def user_index(user_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct user ids and each rating's row among them (a lookup table when ids are small
    non-negative integers, as they are: O(n) instead of np.unique's sort)."""
    if len(user_ids) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    lo, hi = int(user_ids.min()), int(user_ids.max())
    if lo < 0 or hi >= 50_000_000:
        return np.unique(user_ids, return_inverse=True)
    present = np.zeros(hi + 1, bool)
    present[user_ids] = True
    lookup = np.cumsum(present, dtype=np.int64) - 1
    return np.flatnonzero(present).astype(np.int64), lookup[user_ids]


def confidence_matrix(
    ratings: Ratings, n_items: int, cmap: ConfidenceMap
) -> tuple[sp.csr_matrix, np.ndarray]:
    """Users x items CSR of signed confidences (repeated ratings: the latest wins) and the sorted user ids."""
    user_ids, rows = user_index(ratings.user_ids)
    if ratings.unique_pairs:  # the job dedupes at load: no sort needed here
        r, i, scores = rows, ratings.item_idx.astype(np.int64), ratings.scores
    else:
        order = np.lexsort((ratings.timestamps, ratings.item_idx, rows))
        r, i = rows[order], ratings.item_idx[order].astype(np.int64)
        last = np.ones(len(order), bool)
        last[:-1] = (r[1:] != r[:-1]) | (i[1:] != i[:-1])
        r, i, scores = r[last], i[last], ratings.scores[order][last]
    vals = cmap.values(scores)
    m = sp.csr_matrix((vals, (r, i)), shape=(len(user_ids), n_items), dtype=np.float32)
    m.sort_indices()
    return m, user_ids


def fit_als(ratings: Ratings, n_items: int, params: AlsParams, seed: int) -> AlsFactors:
    """Fit implicit's CPU ALS on the ratings' confidence matrix; factors for every catalog index."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from implicit.als import AlternatingLeastSquares
    from threadpoolctl import threadpool_limits

    m, user_ids = confidence_matrix(ratings, n_items, params.confidence)
    cols = np.flatnonzero(np.diff(m.tocsc().indptr) > 0)  # fit only the titles that have any entry
    sub = m[:, cols].tocsr()
    with threadpool_limits(1, "blas"):
        model = AlternatingLeastSquares(
            factors=params.factors,
            regularization=params.regularization,
            iterations=params.iterations,
            alpha=1.0,
            random_state=seed,
            use_gpu=False,
        )
        model.fit(sub, show_progress=False)
        # implicit's last iteration solves the items after the users (and with conjugate-gradient steps): one exact
        # least-squares pass of every user against the final items gives the factors a fold-in of their history
        # gives, so the API can fold known viewers in from the history store and meet what training learned
        users = model.recalculate_user(np.arange(sub.shape[0]), sub)
    item_factors = np.zeros((n_items, params.factors), np.float32)
    item_factors[cols] = np.asarray(model.item_factors, np.float32)
    rated = np.zeros(n_items, bool)
    rated[np.unique(ratings.item_idx)] = True
    return AlsFactors(user_ids, np.asarray(users, np.float32), item_factors, rated)
