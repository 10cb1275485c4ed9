"""Recommendation answers over the served model (numpy only): known users, new users, similar titles.

Scores come from ``reelrec.scoring.HybridModel``, the same code the training job evaluates. Each item carries a
short reason, chosen from the part of its score that dominates:
- the ALS part (x_u . y_i): "because you rated X highly", X = the liked title whose factors are closest;
- the content part: "same genres as X" (a liked title sharing genres), else "close in content to titles you liked";
- the popularity prior: "popular on <platform name>".
Titles and platforms are named as people write them ("Toy Story", "Disney+"). A work on several services is one
item (``HybridModel.rank``), shown as a copy on the viewer's services (``platforms``) with ``available_on``.
"""

from __future__ import annotations

import numpy as np

from chalicelib.errors import BadRequest, NotFound
from reelrec.catalog_snapshot import CODES
from reelrec.model_artifact import ModelArtifact
from reelrec.schemas import PLATFORM_NAMES

LIKED_SCORE = 4.0  # "rated highly": the evaluation's target threshold


def _mask(model: ModelArtifact, platforms: tuple[str, ...] | None, type: str | None) -> np.ndarray | None:
    """Titles allowed by the filters (None: all)."""
    t = model.titles
    mask = None
    if platforms is not None:
        mask = np.isin(t.platform, [CODES["platform"].index(p) for p in platforms])
    if type is not None:
        kind = t.kind == CODES["kind"].index(type)
        mask = kind if mask is None else mask & kind
    return mask


def _liked(items: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """The history titles rated highly (score >= 4)."""
    return np.asarray(items, np.int64)[np.asarray(scores) >= LIKED_SCORE]


def _reasons(model: ModelArtifact, x: np.ndarray, items: np.ndarray, scores: np.ndarray, content: np.ndarray,
             picks: np.ndarray) -> list[str]:
    """One reason per recommended title (see the module docstring); with nothing rated highly, no title is named."""
    m, t = model.model, model.titles
    liked = _liked(items, scores)
    out = []
    for j in picks:
        factor = float(x @ m.item_factors[j])
        pop = float(m.pop_weight * m.pop_prior[j])
        platform = PLATFORM_NAMES[CODES["platform"][t.platform[j]]]
        if not m.rated[j] or content[j] > max(factor, pop):
            genres = set(t.genre_codes(j).tolist())
            shared = next((i for i in liked if genres.intersection(t.genre_codes(i).tolist())), None)
            if shared is not None:
                out.append(f"same genres as {t.title[shared]}")
            else:
                out.append("close in content to titles you liked" if len(liked) else "close in content to your ratings")
        elif len(liked) and factor >= pop:
            best = liked[int(np.argmax(m.item_factors[liked] @ m.item_factors[j]))]
            out.append(f"because you rated {t.title[best]} highly")
        elif factor >= pop:
            out.append("liked by people who rate like you")
        else:
            out.append(f"popular on {platform}")
    return out


def _items(model: ModelArtifact, picks: np.ndarray, scores: np.ndarray, reasons: list[str],
           platforms: tuple[str, ...] | None = None) -> list[dict]:
    """Cards of the picked titles with their score and reason (``available_on``: the viewer's services)."""
    return [{**model.titles.card(int(j), platforms), "score": round(float(scores[j]), 4), "reason": r}
            for j, r in zip(picks, reasons, strict=True)]


def _answer(model: ModelArtifact, x: np.ndarray, items: np.ndarray, scores: np.ndarray, k: int,
            platforms: tuple[str, ...] | None, type: str | None) -> list[dict]:
    """Rank the catalog for a user with factors ``x`` and this history; the history itself (and every copy of a
    work in it) is never shown."""
    m = model.model
    total, content = m.score_user(x, items, scores)
    picks = m.rank(total, k, exclude=items, mask=_mask(model, platforms, type))
    shown, drivers = total.copy(), picks
    if m.copies is not None:  # a work scores as its best copy (the ranking's rule): show that score, explain that copy
        drivers = np.array([_best_copy(m.copies.of(int(j)), total) for j in picks], np.int64)
        shown[picks] = total[drivers]
    return _items(model, picks, shown, _reasons(model, x, items, scores, content, drivers), platforms)


def _best_copy(rows: np.ndarray, scores: np.ndarray) -> int:
    """The copy of a work whose score the work's rank came from."""
    return int(rows[int(np.argmax(scores[rows]))])


def for_user(model: ModelArtifact, user_id: int, k: int = 10, platforms: tuple[str, ...] | None = None,
             type: str | None = None) -> dict:
    """Recommendations for a user the model was trained on; 404 for anyone else."""
    row = model.model.user_row(user_id)
    if row is None:
        raise NotFound(f"user {user_id} is not known to model {model.version}: users who rated nothing before the "
                       "last training are new users (POST /recommendations with a few ratings)", user_id=user_id)
    items, scores = model.model.history(np.array([user_id]))[0]
    x = model.model.user_factors[row]
    return {"model_version": model.version, "user_id": user_id,
            "items": _answer(model, x, items, scores, k, platforms, type)}


def for_new_user(model: ModelArtifact, ratings: dict[str, float], k: int = 10,
                 platforms: tuple[str, ...] | None = None, type: str | None = None) -> dict:
    """Recommendations for someone known only by these ratings (title id -> score), folded in like implicit's
    ``recalculate_user``."""
    by_item = item_ratings(model, ratings)
    items = np.fromiter(by_item.keys(), np.int64, len(by_item))
    scores = np.fromiter(by_item.values(), np.float32, len(by_item))
    x = model.model.fold_in([(items, scores)])[0]
    return {"model_version": model.version, "items": _answer(model, x, items, scores, k, platforms, type)}


def item_ratings(model: ModelArtifact, ratings: dict[str, float]) -> dict[int, float]:
    """Title ids -> the model's item indices; a 400 naming every id the model does not know."""
    ids = list(ratings)
    rows = model.titles.rows_of(ids)
    unknown = [i for i, r in zip(ids, rows, strict=True) if r < 0]
    if unknown:
        shown = ", ".join(unknown[:20]) + (f" and {len(unknown) - 20} more" if len(unknown) > 20 else "")
        raise BadRequest(f"unknown title id(s) in ratings: {shown} (not in model {model.version}'s catalog)",
                         parameter="ratings", value=shown, allowed="title ids of the catalog, e.g. ns1",
                         unknown_ids=unknown[:100])
    return {int(r): ratings[i] for i, r in zip(ids, rows, strict=True)}


def similar(model: ModelArtifact, title_id: str, k: int = 10, platforms: tuple[str, ...] | None = None) -> dict:
    """Titles most similar to ``title_id`` (rated or not; never a copy of it on another service): factor cosine +
    content cosines, on the viewer's ``platforms`` when given; 404 for a title the model does not know."""
    m, t = model.model, model.titles
    row = t.row_of(title_id)
    if row is None:
        raise NotFound(f"title {title_id!r} is not in model {model.version}'s catalog (titles added since the last "
                       "training appear after the next one)", id=title_id)
    content = m.similar_content(row)
    sims = m.similar_scores(row, content=content)
    picks = m.rank(sims, k, exclude=np.array([row]), mask=_mask(model, platforms, None))
    name = t.title[row]
    genres = t.genre_codes(row)
    reasons = []
    for j in picks:
        if m.rated[row] and m.rated[j] and sims[j] - content[j] >= content[j]:
            reasons.append(f"liked by the same people as {name}")
        elif np.intersect1d(genres, t.genre_codes(j)).size:
            reasons.append(f"same genres as {name}")
        else:
            reasons.append(f"close in content to {name}")
    return {"model_version": model.version, "title_id": t.ids[row].decode(),
            "items": _items(model, picks, sims, reasons, platforms)}


def examples(model: ModelArtifact, n: int = 12) -> dict:
    """``n`` known users to try, spread evenly over the users ordered by number of ratings (then id): the same
    answer for the same model, from the lightest to the heaviest raters, each with how many titles they rated."""
    m = model.model
    sizes = np.diff(m.hist_indptr)
    order = np.lexsort((m.user_ids, sizes))
    count = min(n, len(order))
    picks = order[np.round(np.linspace(0, len(order) - 1, count)).astype(np.int64)] if count else order[:0]
    return {"model_version": model.version,
            "users": [{"user_id": int(m.user_ids[r]), "ratings": int(sizes[r])} for r in picks]}
