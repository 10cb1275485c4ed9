"""Per-user temporal split, the two evaluation modes (known / new users) and the ranking metrics."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, TypeAlias, TypedDict

import numpy as np

from model_training.data import Ratings
from model_training.records import ModelScores
from reelrec.scoring import HybridModel, top_n

HISTORY_SHARE = 0.7
TARGET_MIN_SCORE = 4.0
NEW_USER_SHARE = 0.2
K = 10
BATCH = 256


class Recommender(Protocol):
    """What a fitted model offers the evaluation: scores over the whole catalog for a batch of users."""

    def score_known(self, user_ids: np.ndarray) -> np.ndarray:
        """(n x n_items) scores for users seen in training."""
        ...

    def score_new(self, histories: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
        """(n x n_items) scores for users given only as (item_idx, scores) histories."""
        ...


Evaluated: TypeAlias = Recommender | HybridModel  # the hybrid scores every viewer by fold-in, as the API does
FitFn: TypeAlias = Callable[[Ratings], Evaluated]
Ranker: TypeAlias = Callable[..., np.ndarray] | None  # ``rank(scores, k, exclude=..., mask=...)``; None: plain ``top_k``


# one ranking's metrics in one mode, with the per-user nDCG (research's bootstrap); ``public`` drops that
Measured = TypedDict("Measured", {"users": float, "recall@10": float, "ndcg@10": float, "coverage": float,
                                  "unrated_share": float, "_ndcg_per_user": np.ndarray})


@dataclass
class Split:
    """History ratings of every user, and per user with targets: the target items."""

    history: Ratings
    target_users: np.ndarray  # int64 user ids (sorted) that have at least one target
    targets: list[np.ndarray]  # int32 item indices, aligned with target_users


def temporal_split(ratings: Ratings, history_share: float = HISTORY_SHARE, min_score: float = TARGET_MIN_SCORE) -> Split:
    """First floor(share * n) ratings of each user by time (at least 1; ties by item index) are history; later
    ratings >= min_score of titles not in the history are targets."""
    n_keys = int(ratings.item_idx.max()) + 1 if len(ratings) else 1
    when = ratings.timestamps.astype(np.int64) * n_keys + ratings.item_idx  # (time, item) in one key: 2-key sort
    order = np.lexsort((when, ratings.user_ids))
    users = ratings.user_ids[order]
    starts = np.flatnonzero(np.r_[True, users[1:] != users[:-1]])
    counts = np.diff(np.r_[starts, len(users)])
    n_hist = np.maximum(1, np.floor(history_share * counts + 1e-9).astype(np.int64))
    rank = np.arange(len(users)) - np.repeat(starts, counts)
    is_hist = rank < np.repeat(n_hist, counts)
    history = ratings.take(order[is_hist])
    later = ratings.take(order[~is_hist])
    history.unique_pairs = later.unique_pairs = ratings.unique_pairs  # distinct rows of a permutation
    # (user, item) pairs as one int64 key each; sorted arrays and searchsorted (np.isin / np.unique hash, slowly)
    n_items = int(ratings.item_idx.max()) + 1 if len(ratings) else 1
    good = later.scores >= min_score
    t_key = np.sort(later.user_ids[good] * n_items + later.item_idx[good])
    t_key = t_key[np.r_[True, t_key[1:] != t_key[:-1]]] if len(t_key) else t_key
    h_key = np.sort(history.user_ids * n_items + history.item_idx)
    pos = np.clip(np.searchsorted(h_key, t_key), 0, max(len(h_key) - 1, 0))
    t_key = t_key[h_key[pos] != t_key] if len(h_key) else t_key
    t_users, t_items = t_key // n_items, (t_key % n_items).astype(np.int32)
    bounds = np.flatnonzero(np.r_[True, t_users[1:] != t_users[:-1]]) if len(t_key) else np.zeros(0, np.int64)
    target_users = t_users[bounds]
    targets = np.split(t_items, bounds[1:]) if len(t_key) else []
    return Split(history, target_users, targets)


def holdout_users(user_ids: np.ndarray, share: float, seed: int, fold: int = 0) -> np.ndarray:
    """A seeded share of the distinct users (sorted ids), the 'new users' of the evaluation; ``fold`` f takes
    the f-th such slice of the same seeded permutation (for cross-validation; fold 0 is the default set)."""
    users = np.unique(user_ids)
    rng = np.random.default_rng(seed)
    n = int(round(share * len(users)))
    perm = rng.permutation(users)
    last = fold == int(round(1 / share)) - 1
    return np.sort(perm[fold * n :] if last else perm[fold * n : (fold + 1) * n])


def user_histories(ratings: Ratings, user_ids: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """(item_idx, scores) of each given user, in the order given."""
    order = np.argsort(ratings.user_ids, kind="stable")
    sorted_users = ratings.user_ids[order]
    lo = np.searchsorted(sorted_users, user_ids, "left")
    hi = np.searchsorted(sorted_users, user_ids, "right")
    return [(ratings.item_idx[order[a:b]], ratings.scores[order[a:b]]) for a, b in zip(lo, hi, strict=True)]


def top_k(scores: np.ndarray, exclude: list[np.ndarray], k: int = K) -> np.ndarray:
    """Top-k item indices per row (highest first; ties by lower index), excluding each row's given items and
    titles a model cannot score (-inf); rows with fewer than k candidates are padded with -1."""
    out = np.full((len(scores), k), -1, np.int64)
    for row in range(len(scores)):
        s = np.array(scores[row], dtype=np.float64)
        s[np.asarray(exclude[row], np.int64)] = -np.inf
        best = top_n(s, k)
        out[row, : len(best)] = best
    return out


def ranking_metrics(recs: np.ndarray, targets: list[np.ndarray], k: int = K) -> tuple[np.ndarray, np.ndarray]:
    """Per-user recall@k = hits / min(k, |targets|) and binary nDCG@k (ideal DCG over min(k, |targets|) hits)."""
    disc = 1.0 / np.log2(np.arange(2, k + 2))
    recall = np.zeros(len(recs))
    ndcg = np.zeros(len(recs))
    for row, tgt in enumerate(targets):
        hit = np.isin(recs[row, :k], tgt)
        ideal = min(k, len(tgt))
        recall[row] = hit.sum() / ideal
        ndcg[row] = (hit * disc).sum() / disc[:ideal].sum()
    return recall, ndcg


@dataclass
class ModeData:
    """One evaluation mode's inputs: the training ratings, the evaluated users, their targets and histories."""

    mode: str
    train: Ratings
    users: np.ndarray  # int64 user ids evaluated
    targets: list[np.ndarray]  # aligned with users
    histories: list[tuple[np.ndarray, np.ndarray]]  # (item_idx, scores) of each user's history, aligned
    rated_in_train: np.ndarray  # bool per title


def mode_data(
    split: Split,
    mode: str,
    n_items: int,
    seed: int = 0,
    new_share: float = NEW_USER_SHARE,
    fold: int = 0,
    max_users: int | None = None,
) -> ModeData:
    """known: train on every user's history, evaluate every user with targets.
    new: hold out a seeded share of users, train on the others' histories, evaluate the held-out users with
    targets (they are folded in from their histories). ``max_users`` evaluates a seeded sample of those users
    (the training set is unchanged), which keeps the job's evaluation time bounded at scale."""
    history = split.history
    if mode == "known":
        train = history
        eval_mask: np.ndarray = np.ones(len(split.target_users), bool)
    elif mode == "new":
        held = holdout_users(history.user_ids, new_share, seed, fold)
        train = history.take(~np.isin(history.user_ids, held))
        eval_mask = np.isin(split.target_users, held)
    else:
        raise ValueError(f"unknown mode {mode!r}")
    chosen = np.flatnonzero(eval_mask)
    if max_users is not None and len(chosen) > max_users:
        chosen = np.sort(np.random.default_rng(seed + 1).choice(chosen, max_users, replace=False))
    users = split.target_users[chosen]
    rated_in_train = np.zeros(n_items, bool)
    rated_in_train[train.item_idx] = True
    return ModeData(mode, train, users, [split.targets[c] for c in chosen], user_histories(history, users), rated_in_train)


def measure(model: Evaluated, data: ModeData, k: int = K) -> Measured:
    """Rank the whole catalog minus the history for each evaluated user; the metrics as a dict. A model with a
    ``rank`` method (the hybrid: one copy per work) ranks its own lists, others get ``top_k``."""
    return measure_rankings(model, data, {"": getattr(model, "rank", None)}, k)[""]


def measure_rankings(model: Evaluated, data: ModeData, rankers: dict[str, Ranker], k: int = K) -> dict[str, Measured]:
    """Like ``measure`` for several rankings of the same scores (computed once): name -> metrics; a ranker is
    ``rank(scores, k, exclude=...)``, None for plain ``top_k``. The hybrid scores known users as the API does:
    folded in from their history (the served model holds nothing per viewer), under the audience it implies."""
    n_items = len(data.rated_in_train)
    users, hists = data.users, data.histories
    lists: dict[str, list[np.ndarray]] = {name: [] for name in rankers}
    for a in range(0, len(users), BATCH):
        b = min(a + BATCH, len(users))
        masks: list[np.ndarray | None]
        if isinstance(model, HybridModel):  # served known viewers are folded in from their (training) history
            masks = [model.implied_mask(*h) for h in hists[a:b]]  # a kids history is ranked as the API ranks it
            s = model.score_new(hists[a:b], masks)
        else:
            s = model.score_known(users[a:b]) if data.mode == "known" else model.score_new(hists[a:b])
            masks = [None] * (b - a)
        excluded = [h[0] for h in hists[a:b]]
        for name, rank in rankers.items():
            if rank is None:
                lists[name].append(top_k(s, excluded, k))
            else:
                lists[name].append(np.stack([_padded(rank(row, k, exclude=e, mask=m), k)
                                             for row, e, m in zip(s, excluded, masks, strict=True)]))
    return {name: _metrics(np.concatenate(v) if v else np.zeros((0, k), np.int64), data, n_items, k)
            for name, v in lists.items()}


def _padded(picks: np.ndarray, k: int) -> np.ndarray:
    """A list of k (-1 pads one that a filter left shorter)."""
    return picks if len(picks) == k else np.concatenate([picks, np.full(k - len(picks), -1, np.int64)])


def _metrics(recs: np.ndarray, data: ModeData, n_items: int, k: int) -> Measured:
    """The report's metrics of one set of lists."""
    users = data.users
    recall, ndcg = ranking_metrics(recs, data.targets, k)
    shown = recs[recs >= 0]  # -1 pads lists of models that had fewer than k titles to offer
    return {
        "users": float(len(users)),
        "recall@10": float(recall.mean()) if len(users) else 0.0,
        "ndcg@10": float(ndcg.mean()) if len(users) else 0.0,
        "coverage": float(len(np.unique(shown)) / n_items),
        "unrated_share": float((~data.rated_in_train[shown]).mean()) if len(shown) else 0.0,
        "_ndcg_per_user": ndcg,
    }


def evaluate_mode(
    fit: FitFn,
    split: Split,
    mode: str,
    n_items: int,
    seed: int = 0,
    new_share: float = NEW_USER_SHARE,
    k: int = K,
    fold: int = 0,
) -> Measured:
    """Fit on the mode's training ratings and measure its users (see ``mode_data``)."""
    data = mode_data(split, mode, n_items, seed, new_share, fold)
    return measure(fit(data.train), data, k)


def public(metrics: Measured) -> ModelScores:
    """The metrics without the per-user arrays (the report's form, in its key order)."""
    return {"users": metrics["users"], "recall@10": metrics["recall@10"], "ndcg@10": metrics["ndcg@10"],
            "coverage": metrics["coverage"], "unrated_share": metrics["unrated_share"]}
