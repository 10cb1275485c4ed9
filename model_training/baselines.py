"""Baselines for the evaluation report: popularity, pure ALS (no content) and content-only."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from model_training.als import AlsFactors, AlsParams
from model_training.content import content_scores
from model_training.data import Ratings
from model_training.evaluate import user_histories
from model_training.features import combine_blocks
from reelrec.foldin import fold_in_many

CONTENT_CENTER = 2.5  # content-only baseline's neutral score: tuned on validation (2.5 / 3.0 / 3.5)


@dataclass
class Popularity:
    """Rank titles by their number of training ratings (ties: catalog order); the same list for everyone."""

    counts: np.ndarray  # float32 per catalog index

    def score_known(self, user_ids: np.ndarray) -> np.ndarray:
        """Popularity for each user."""
        return np.tile(self.counts, (len(user_ids), 1))

    def score_new(self, histories: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
        """Popularity for each user."""
        return np.tile(self.counts, (len(histories), 1))


def fit_popularity(train: Ratings, n_items: int) -> Popularity:
    """Count the training ratings of each title."""
    return Popularity(np.bincount(train.item_idx, minlength=n_items).astype(np.float32))


@dataclass
class PureAls:
    """ALS scores x_u . y_i; titles without training ratings have no factors and are never recommended."""

    factors: AlsFactors
    params: AlsParams
    yty: np.ndarray

    def _scores(self, x: np.ndarray) -> np.ndarray:
        """Dot products, -inf for titles the model has never seen."""
        s = x @ self.factors.item_factors.T
        s[:, ~self.factors.rated] = -np.inf
        return s

    def score_known(self, user_ids: np.ndarray) -> np.ndarray:
        """Scores from the trained user factors."""
        rows = np.searchsorted(self.factors.user_ids, user_ids)
        return self._scores(self.factors.user_factors[rows])

    def score_new(self, histories: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
        """Scores from user factors folded in from the histories."""
        cm = self.params.confidence
        h = [(i, cm.values(s)) for i, s in histories]
        return self._scores(fold_in_many(self.factors.item_factors, self.yty, h, self.params.regularization))


@dataclass
class ContentOnly:
    """Cosine between a user's score-weighted feature profile and every title."""

    features: sp.csr_matrix
    center: float
    train: Ratings

    def score_known(self, user_ids: np.ndarray) -> np.ndarray:
        """Profiles from the users' training ratings."""
        return content_scores(self.features, user_histories(self.train, user_ids), self.center)

    def score_new(self, histories: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
        """Profiles from the given histories."""
        return content_scores(self.features, histories, self.center)


def content_features(blocks: dict[str, sp.csr_matrix], blend: dict[str, float]) -> sp.csr_matrix:
    """The content-only baseline's title vectors: the blocks weighted as in the hybrid's blend."""
    return combine_blocks(blocks, {b: blend.get(b, 0.0) for b in blocks})


def fit_content_only(train: Ratings, features: sp.csr_matrix, center: float = CONTENT_CENTER) -> ContentOnly:
    """Nothing to learn beyond the feature matrix: keep the training ratings for known users' profiles."""
    return ContentOnly(features, center, train)
