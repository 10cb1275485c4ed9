"""The hybrid: implicit ALS + title content features, fitted into plain numpy arrays for serving.

Score of title i for user u (x_u: ALS user factors, or folded in from the user's ratings for a new user):

    s_ui = x_u . y_i  +  pop_weight * log1p(n_i)  +  content_scale * sum_b w_b * cos(q_ub, f_ib)

- y_i: ALS item factors for rated titles; for the ~92% of titles without ratings, W^T f_i where W is a ridge map
  from the title's feature row f_i to its factors, fitted on EVERY title (unrated ones with target 0, which is
  what ALS itself would give them): titles whose features look like rated titles get factors, others stay near 0;
- n_i: number of training ratings of the title (popularity prior);
- q_ub: the user's profile in feature block b (score-weighted sum of the block rows of the titles they rated,
  weight = score - content_center); cos against the title's block row, weighted by w_b (``blend_blocks``), plus
  for the genre block ``unknown_genre * (1 - coverage)``: coverage is how much of the request the collaborative side
  knows (the history's titles with >= ``known_ratings`` training ratings, scaled down when a filter leaves titles it
  knows less than the catalog as a whole), so TV shows, anime and new titles lean on content (issue 12), plus
  ``focus_genre`` times how far one genre dominates the liked titles past ``focus_from`` (``genre_focus``: the
  share of their weight held by titles with the most shared genre; five sci-fi films are followed as sci-fi
  whatever their other genres, a spread of tastes keeps the tuned blend).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from model_training.als import AlsFactors, AlsParams, fit_als
from model_training.content import ridge_map
from model_training.data import Ratings
from model_training.features import BLOCKS, DEFAULT_BLOCK_WEIGHTS, combine_blocks, keep_words
from reelrec.confidence import ConfidenceMap
from reelrec.foldin import gram
from reelrec.scoring import HybridModel

# tuned on the validation split (see research.py): weights of the per-block content cosines in the blend
BLEND_BLOCKS: dict[str, float] = {"description": 0.5, "cast": 0.3, "director": 0.1, "country": 0.05, "decade": 0.05}


@dataclass(frozen=True)
class HybridParams:
    """Hyper-parameters of the hybrid (ALS ones inside ``als``); defaults are the tuned values."""

    als: AlsParams = field(
        default_factory=lambda: AlsParams(32, 50.0, 15, ConfidenceMap(alpha=30.0, neutral=3.0, neg_alpha=3.0))
    )
    ridge_lambda: float = 1.0  # ridge penalty of the feature -> factor map
    ridge_on_all: bool = True  # fit the map on every title (unrated ones with zero factors), not only rated ones
    unrated_scale: float = 1.0  # multiplies the mapped factors of unrated titles
    shrink: float = 0.0  # rated title: y = (n y_als + shrink W f) / (n + shrink); 0 keeps the ALS factors
    pop_weight: float = 0.03  # weight of log1p(number of training ratings)
    content_scale: float = 1.0  # overall weight of the content cosines
    content_center: float = 3.0  # neutral score of the content profile
    blend_blocks: tuple[tuple[str, float], ...] = tuple(BLEND_BLOCKS.items())
    discovery_every: int = 10  # serving: with a list of ten, the best title nobody rated, shown apart (0: off)
    known_ratings: float = 3.0  # per request: a history title counts as seen by ALS from this many training ratings
    unknown_genre: float = 2.0  # genre weight added in proportion to the unseen share of the history (0: off)
    focus_genre: float = 0.6  # genre weight added as one genre dominates the liked titles past focus_from (0: off)
    focus_from: float = 0.6  # dominant genre share (HybridModel.genre_focus) from which focus_genre counts
    description_strongest: int = 3  # served content cosines: each description's 3 strongest words (tf-idf) ...
    description_shared: int = 7  # ... and its 7 most widely shared ones (both 0: every word)


def fit_hybrid(
    train: Ratings,
    blocks: dict[str, sp.csr_matrix],
    params: HybridParams | None = None,
    seed: int = 0,
    als: AlsFactors | None = None,
    work: np.ndarray | None = None,
    audience: np.ndarray | None = None,
) -> HybridModel:
    """Fit ALS on the training ratings, map title features to factors, assemble the numpy model.

    ``blocks`` are the per-block feature matrices of features.build_blocks (titles x values, rows L2-normalised).
    ``als``: factors already fitted on ``train`` with ``params.als`` (the job shares one fit with the pure-ALS
    baseline). ``work``: per title, its work across services (catalog snapshot's ``work``), so ranked lists hold
    one copy per work. ``audience``: per title, its ``reelrec.audience`` code (snapshot's ``audience``), so a
    history of kids and family titles is ranked under the filter it implies, as the API does."""
    p = params or HybridParams()
    features = combine_blocks(blocks)  # ridge-map input: default block weights, unit rows
    n_items = features.shape[0]
    if als is None:
        als = fit_als(train, n_items, p.als, seed)
    counts = np.bincount(train.item_idx, minlength=n_items).astype(np.float32)
    rated = counts > 0
    y = als.item_factors.copy()
    fit_rows = np.arange(n_items) if p.ridge_on_all else np.flatnonzero(rated)
    w = ridge_map(features, als.item_factors[fit_rows], fit_rows, p.ridge_lambda)
    mapped = np.asarray(features @ w, np.float32)
    y[~rated] = p.unrated_scale * mapped[~rated]
    if p.shrink > 0:  # research's variant (RESEARCH.md); the tuned hybrid keeps the ALS factors of rated titles
        a = (counts / (counts + p.shrink))[:, None]
        y[rated] = (a * als.item_factors + (1 - a) * mapped)[rated]
    words = keep_words(blocks["description"], p.description_strongest, p.description_shared)
    served = {**blocks, "description": words}  # what a request walks: fewer entries, same ridge map
    stacked = sp.hstack([served[b] for b in BLOCKS], format="csr")
    transposed = stacked.T.tocsr()  # features x titles: what a request walks (only the profile's columns)
    transposed.sort_indices()
    feat_block = np.concatenate([np.full(blocks[b].shape[1], j, np.int8) for j, b in enumerate(BLOCKS)])
    bw = dict(p.blend_blocks)
    block_weight = np.asarray([p.content_scale * bw.get(b, 0.0) for b in BLOCKS], np.float32)
    similar_weight = np.asarray([DEFAULT_BLOCK_WEIGHTS[b] for b in BLOCKS], np.float32)
    return HybridModel(
        item_factors=y,
        yty=gram(als.item_factors),  # what ALS solves users against: a training viewer folds in to their factors
        pop_prior=np.log1p(counts).astype(np.float32),
        rated=rated,
        feat_indptr=stacked.indptr.astype(np.int64),
        feat_indices=stacked.indices.astype(np.int32),
        feat_data=stacked.data.astype(np.float32),
        feat_t_indptr=transposed.indptr.astype(np.int64),
        feat_t_rows=transposed.indices.astype(np.int32),
        feat_t_data=transposed.data.astype(np.float32),
        feat_block=feat_block,
        block_weight=block_weight,
        similar_weight=similar_weight / similar_weight.sum(),
        regularization=p.als.regularization,
        confidence=p.als.confidence,
        pop_weight=p.pop_weight,
        content_center=p.content_center,
        discovery_every=p.discovery_every,
        known_ratings=p.known_ratings,
        unknown_genre=p.unknown_genre,
        focus_genre=p.focus_genre,
        focus_from=p.focus_from,
        work=None if work is None else np.asarray(work, np.int32),
        audience=None if audience is None else np.asarray(audience, np.int8),
    )


# parameters older reports carry that the fit no longer has, with the value that meant "off"
# feature pseudo-users in the ALS matrix (RESEARCH.md); one cap on description words (now strongest + shared)
DROPPED_PARAMS: dict[str, object] = {"pseudo_users": 0.0, "description_terms": 0}
# parameters newer than some stored reports, with the value those reports' models had (the feature did not exist)
ADDED_PARAMS: dict[str, object] = {"focus_genre": 0.0, "description_strongest": 0, "description_shared": 0}


def params_to_dict(p: HybridParams) -> dict[str, Any]:
    """JSON-able form of the parameters (stored with every version, so a later run can re-evaluate them)."""
    d = asdict(p)
    d["blend_blocks"] = [list(pair) for pair in p.blend_blocks]
    return d


def params_from_dict(d: dict[str, Any]) -> HybridParams:
    """Inverse of ``params_to_dict`` (a dropped parameter at its "off" value is accepted); raises ValueError for a
    form it cannot read."""
    try:
        als = dict(d["als"])
        als["confidence"] = ConfidenceMap(**als["confidence"])
        for name, off in DROPPED_PARAMS.items():
            if name in d and d[name] != off:
                raise ValueError(f"{name}={d[name]!r} is no longer supported")
        rest = {**ADDED_PARAMS, **{k: v for k, v in d.items() if k != "als" and k not in DROPPED_PARAMS}}
        rest["blend_blocks"] = tuple((str(b), float(w)) for b, w in rest.get("blend_blocks", ()))
        return HybridParams(als=AlsParams(**als), **rest)
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"unreadable model parameters: {exc!r}") from None
