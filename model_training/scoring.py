"""Scoring with a fitted hybrid model: numpy only (the API imports this, never scipy, implicit or pyarrow)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model_training.confidence import ConfidenceMap
from model_training.foldin import fold_in_many


@dataclass
class HybridModel:
    """Everything scoring needs, as numpy arrays (serving never needs scipy or implicit)."""

    item_factors: np.ndarray  # float32 (n_items x k): every catalog title
    user_ids: np.ndarray  # int64 sorted ids of the training users
    user_factors: np.ndarray  # float32 (n_users x k)
    yty: np.ndarray  # float64 (k x k) = item_factors^T item_factors, for fold-in
    pop_prior: np.ndarray  # float32 per title: log1p(training ratings)
    rated: np.ndarray  # bool per title: had training ratings
    feat_indptr: np.ndarray  # CSR (titles x features) of the per-block L2-normalised feature rows
    feat_indices: np.ndarray  # int32
    feat_data: np.ndarray  # float32
    feat_block: np.ndarray  # int8 per feature column: index into features.BLOCKS
    block_weight: np.ndarray  # float32 per block: content_scale * w_b (0 = block not in the blend)
    hist_indptr: np.ndarray  # CSR (users x titles) of the training scores: known users' profiles and filters
    hist_items: np.ndarray  # int32
    hist_scores: np.ndarray  # float32
    regularization: float
    confidence: ConfidenceMap
    pop_weight: float
    content_center: float

    @property
    def n_features(self) -> int:
        """Number of feature columns."""
        return len(self.feat_block)

    def history(self, user_ids: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """(item_idx, scores) of known users."""
        rows = np.searchsorted(self.user_ids, user_ids)
        p = self.hist_indptr
        return [(self.hist_items[p[r] : p[r + 1]], self.hist_scores[p[r] : p[r + 1]]) for r in rows]

    def fold_in(self, histories: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
        """Factors of users given as (item_idx, score) histories (implicit's recalculate_user, in numpy)."""
        h = [(np.asarray(i), self.confidence.values(s)) for i, s in histories]
        return fold_in_many(self.item_factors, self.yty, h, self.regularization)

    def content_scores(self, items: np.ndarray, scores: np.ndarray) -> np.ndarray:
        """Blended per-block profile cosines of one user against every title (float32, numpy only)."""
        out = np.zeros(len(self.item_factors), np.float32)
        items = np.asarray(items, np.int64)
        if items.size == 0 or not self.block_weight.any():
            return out
        w = np.asarray(scores, np.float32) - np.float32(self.content_center)
        starts, ends = self.feat_indptr[items], self.feat_indptr[items + 1]
        lens = ends - starts
        pos = np.repeat(starts - np.cumsum(np.r_[0, lens[:-1]]), lens) + np.arange(lens.sum())
        profile = np.zeros(self.n_features, np.float32)
        np.add.at(profile, self.feat_indices[pos], self.feat_data[pos] * np.repeat(w, lens))
        norms = np.sqrt(np.bincount(self.feat_block, weights=profile.astype(np.float64) ** 2, minlength=len(self.block_weight)))
        scale = np.where(norms > 0, self.block_weight / np.where(norms > 0, norms, 1.0), 0.0).astype(np.float32)
        q = profile * scale[self.feat_block]
        prod = self.feat_data * q[self.feat_indices]
        sums = np.add.reduceat(np.r_[prod, np.float32(0)], self.feat_indptr[:-1])
        sums[self.feat_indptr[:-1] == self.feat_indptr[1:]] = 0.0
        return sums.astype(np.float32)

    def _score(self, x: np.ndarray, histories: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
        """(n x n_items) blended scores for users with factors x and these histories."""
        s = x @ self.item_factors.T
        if self.pop_weight:
            s += np.float32(self.pop_weight) * self.pop_prior
        for row, (items, scores) in enumerate(histories):
            s[row] += self.content_scores(items, scores)
        return s

    def score_known(self, user_ids: np.ndarray) -> np.ndarray:
        """Scores over the catalog for training users."""
        rows = np.searchsorted(self.user_ids, user_ids)
        return self._score(self.user_factors[rows], self.history(user_ids))

    def score_new(self, histories: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
        """Scores over the catalog for users given only by their ratings (folded in)."""
        return self._score(self.fold_in(histories), histories)
