"""The job's evaluation: every compared model (the hybrid and its baselines) fitted and measured in both modes.

The compared models are registered in one place, ``COMPARED``: a name, how the model is fitted from a mode's
training set, whether it is a baseline, and the rankings it is measured by (the hybrid also by its discovery pick,
shown apart from its list). The models fitted on one training set share one ALS fit (``TrainingSet.als``), so the pure-ALS baseline and
the hybrid cost one fit per mode, not two. The split and the metrics themselves live in ``evaluate.py``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Generic, TypeVar

import numpy as np
import scipy.sparse as sp

from model_training.als import AlsFactors, fit_als
from model_training.baselines import (
    CONTENT_CENTER,
    ContentOnly,
    Popularity,
    PureAls,
    content_features,
    fit_content_only,
    fit_popularity,
)
from model_training.data import Ratings
from model_training.evaluate import (
    HISTORY_SHARE,
    NEW_USER_SHARE,
    TARGET_MIN_SCORE,
    Evaluated,
    K,
    Ranker,
    Split,
    measure_rankings,
    mode_data,
    public,
)
from model_training.hybrid import BLEND_BLOCKS, HybridParams, fit_hybrid
from model_training.records import CANDIDATE, MODES, EvaluationConfig, Scores
from reelrec.foldin import gram
from reelrec.scoring import HybridModel

__all__ = ["BASELINES", "CANDIDATE", "COMPARED", "EVAL_VERSION", "MODELS", "MODES", "DISCOVERY", "CatalogSide",
           "Compared", "TrainingSet", "evaluate", "evaluation_config"]

log = logging.getLogger("reelrec.training")

EVAL_VERSION = 5  # bump when the evaluation or the served ranking changes: older reports are then not comparable
DISCOVERY = "hybrid's discovery pick"  # the title nobody rated shown apart from the list, measured as a list of one


def evaluation_config(seed: int, max_users: int) -> EvaluationConfig:
    """What defines the evaluation (two reports are comparable only when this and the data are equal)."""
    return {"eval_version": EVAL_VERSION, "history_share": HISTORY_SHARE, "target_min_score": TARGET_MIN_SCORE,
            "new_user_share": NEW_USER_SHARE, "k": K, "seed": seed, "max_users_per_mode": max_users}


@dataclass
class CatalogSide:
    """The catalog-side inputs of the compared models, shared by every mode: the content blocks, and per title
    its work (one copy per work in a list) and audience code (a kids history under the filter it implies)."""

    n_items: int
    blocks: dict[str, sp.csr_matrix]
    work: np.ndarray | None = None
    audience: np.ndarray | None = None

    @cached_property
    def content_x(self) -> sp.csr_matrix:
        """The content-only baseline's title vectors (computed once, when first needed)."""
        return content_features(self.blocks, BLEND_BLOCKS)


@dataclass
class TrainingSet:
    """One training set (a mode's, or a research fold's) and what the models fitted on it share."""

    train: Ratings
    catalog: CatalogSide
    params: HybridParams = field(default_factory=HybridParams)
    seed: int = 0

    @cached_property
    def als(self) -> AlsFactors:
        """ALS on the training set with the hybrid's settings: fitted once, for pure ALS and the hybrid alike."""
        return fit_als(self.train, self.catalog.n_items, self.params.als, self.seed)


ModelT = TypeVar("ModelT", bound=Evaluated)


def own_ranking(name: str, model: object) -> dict[str, Ranker]:
    """A model measured by its own ranking: its ``rank`` (one copy per work), else plain top-k."""
    return {name: getattr(model, "rank", None)}


@dataclass(frozen=True)
class Compared(Generic[ModelT]):
    """A model the evaluation compares: how it is fitted, and under which names its rankings are reported."""

    name: str
    fit: Callable[[TrainingSet], ModelT]
    baseline: bool = True  # the hybrid is compared against the best of the baselines
    rankings: Callable[[str, ModelT], dict[str, Ranker]] = own_ranking


def _popularity(t: TrainingSet) -> Popularity:
    """Training ratings per title."""
    return fit_popularity(t.train, t.catalog.n_items)


def _pure_als(t: TrainingSet) -> PureAls:
    """The shared ALS fit, no content; unrated titles are never recommended."""
    return PureAls(t.als, t.params.als, gram(t.als.item_factors))


def _content_only(t: TrainingSet) -> ContentOnly:
    """Score-weighted profile cosines."""
    return fit_content_only(t.train, t.catalog.content_x, CONTENT_CENTER)


def _hybrid(t: TrainingSet) -> HybridModel:
    """The served model, on the shared ALS fit."""
    c = t.catalog
    return fit_hybrid(t.train, c.blocks, t.params, t.seed, als=t.als, work=c.work, audience=c.audience)


def _hybrid_rankings(name: str, model: HybridModel) -> dict[str, Ranker]:
    """The served list and, when the model has them, its discovery picks (how often a title nobody rated, shown
    apart, is one the viewer rates next)."""
    if not model.discovery_every:
        return {name: model.rank}

    def discovery(scores: np.ndarray, k: int, exclude: np.ndarray | None = None,
                  mask: np.ndarray | None = None) -> np.ndarray:
        return model.rank_and_discover(scores, k, exclude, mask)[1]

    return {name: model.rank, DISCOVERY: discovery}


COMPARED: tuple[Compared[Any], ...] = (  # in the report's order
    Compared("popularity", _popularity),
    Compared("pure ALS", _pure_als),
    Compared("content-only", _content_only),
    Compared(CANDIDATE, _hybrid, baseline=False, rankings=_hybrid_rankings),
)
MODELS = tuple(c.name for c in COMPARED)
BASELINES = tuple(c.name for c in COMPARED if c.baseline)


def evaluate(split: Split, catalog: CatalogSide, params: HybridParams, seed: int, max_users: int,
             models: tuple[str, ...] = MODELS) -> Scores:
    """mode -> ranking name -> public metrics (recall@10, ndcg@10, coverage, unrated_share, users) of the
    registered ``models``, each fitted on the mode's training set; at most ``max_users`` seeded users per mode."""
    chosen = [c for c in COMPARED if c.name in models]
    out: Scores = {}
    for mode in MODES:
        t = time.perf_counter()
        data = mode_data(split, mode, catalog.n_items, seed, max_users=max_users)
        training = TrainingSet(data.train, catalog, params, seed)
        out[mode] = {}
        for entry in chosen:
            model = entry.fit(training)
            measured = measure_rankings(model, data, entry.rankings(entry.name, model))
            out[mode].update({name: public(m) for name, m in measured.items()})
        log.info("evaluated %s users: %s users, trained on %s ratings, %.1f s", mode, f"{len(data.users):,}",
                 f"{len(data.train):,}", time.perf_counter() - t)
    return out
