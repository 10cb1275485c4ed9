"""Recommendation answers over the served model (numpy only): known users, new users, similar titles.

Scores come from ``reelrec.scoring.HybridModel``, the same code the training job evaluates. Each item carries a
short reason that says only what is true (``chalicelib.reasons``).
Titles and platforms are named as people write them ("Toy Story", "Disney+"). A work on several services is one
item (``HybridModel.rank``), shown as a copy on the viewer's services (``platforms``) with ``available_on``.
An ``audience`` filter (``reelrec.audience``) comes from the request, else from a history of only kids and family
titles, else (similar titles) from a kids or family title itself; the answer says which (``audience_from``).
A list the filters empty says so in ``message``.
"""

from __future__ import annotations

import numpy as np

from chalicelib import reasons
from chalicelib.errors import BadRequest, NotFound
from chalicelib.filters import combined, empty_message, masks
from reelrec.audience import AUDIENCES, KIDS_SAFE, of_history
from reelrec.model_artifact import ModelArtifact
from reelrec.scoring import DISLIKE_BELOW


def _filters(model: ModelArtifact, platforms: tuple[str, ...] | None, type: str | None,
             audience: str | None, source: str | None = "request") -> dict[str, np.ndarray]:
    """The request's filters over the model's titles (``chalicelib.filters.masks``)."""
    t = model.titles
    return masks(t.platform, t.kind, t.audience, platforms, type, audience, source)


def _chosen_audience(model: ModelArtifact, audience: str | None, items: np.ndarray,
                     scores: np.ndarray) -> tuple[str | None, str | None]:
    """The audience filter to apply and where it came from: the request's, else the one the history implies
    (``reelrec.audience.of_history``: a history of kids and family titles gets kids and family picks)."""
    if audience is not None:
        return audience, "request"
    implied = of_history(model.titles.audience[np.asarray(items, np.int64)], scores)
    return (implied, "history") if implied else (None, None)


def _audience_fields(audience: str | None, source: str | None) -> dict:
    """The answer's ``audience`` (None: no filter) and, when one applies, ``audience_from``."""
    return {"audience": audience, **({"audience_from": source} if source else {})}


def _items(model: ModelArtifact, picks: np.ndarray, scores: np.ndarray, reasons: list[str],
           platforms: tuple[str, ...] | None = None) -> list[dict]:
    """Cards of the picked titles with their score and reason (``available_on``: the viewer's services)."""
    return [{**model.titles.card(int(j), platforms), "score": round(float(scores[j]), 4), "reason": r}
            for j, r in zip(picks, reasons, strict=True)]


def _answer(model: ModelArtifact, x: np.ndarray, items: np.ndarray, scores: np.ndarray, k: int,
            platforms: tuple[str, ...] | None, type: str | None, audience: str | None) -> dict:
    """Rank the catalog for a user with factors ``x`` and this history; the history itself (and every copy of a
    work in it) is never shown. Returns the answer's ``items`` and ``audience`` fields (and ``message`` when the
    filters leave nothing)."""
    m = model.model
    audience, source = _chosen_audience(model, audience, items, scores)
    filters = _filters(model, platforms, type, audience, source)
    mask = combined(filters)
    total, content = m.score_user(x, items, scores, mask)
    picks = m.rank(total, k, exclude=items, mask=mask)
    shown, drivers = total.copy(), picks
    if m.copies is not None:  # a work scores as its best copy (the ranking's rule): show that score, explain that copy
        drivers = np.array([_best_copy(m.copies.of(int(j)), total) for j in picks], np.int64)
        shown[picks] = total[drivers]
    out = {"items": _items(model, picks, shown, reasons.for_user(model, x, items, scores, content, drivers), platforms),
           **_audience_fields(audience, source)}
    if m.only_dislikes(scores):
        out["note"] = (f"every title rated so far is below {DISLIKE_BELOW:g}: these are popular titles outside the "
                       "genres of those, until something is rated higher")
    if not len(picks):
        out["message"] = empty_message(_unseen(model, items), filters)
    return out


def _unseen(model: ModelArtifact, items: np.ndarray) -> np.ndarray:
    """Titles not in the history (no copy of a work in it either)."""
    keep = np.ones(len(model.titles), bool)
    if len(items):
        m = model.model
        gone = np.asarray(items, np.int64)
        keep[gone if m.copies is None else m.copies.of_many(gone)] = False
    return keep


def _best_copy(rows: np.ndarray, scores: np.ndarray) -> int:
    """The copy of a work whose score the work's rank came from."""
    return int(rows[int(np.argmax(scores[rows]))])


def for_user(model: ModelArtifact, user_id: int, k: int = 10, platforms: tuple[str, ...] | None = None,
             type: str | None = None, audience: str | None = None) -> dict:
    """Recommendations for a user the model was trained on; 404 for anyone else."""
    row = model.model.user_row(user_id)
    if row is None:
        raise NotFound(f"user {user_id} is not known to model {model.version}: users who rated nothing before the "
                       "last training are new users (POST /recommendations with a few ratings)", user_id=user_id)
    items, scores = model.model.history(np.array([user_id]))[0]
    x = model.model.user_factors[row]
    return {"model_version": model.version, "user_id": user_id,
            **_answer(model, x, items, scores, k, platforms, type, audience),
            "based_on": based_on(model, items, scores)}


BASED_ON = 5  # titles a known viewer's answer lists from their history


def based_on(model: ModelArtifact, items: np.ndarray, scores: np.ndarray, n: int = BASED_ON) -> dict:
    """What the picks are based on: how many titles the viewer rated, how many of them 4 or more, and their ``n``
    best-rated titles (latest first among equal scores) as cards with the viewer's score."""
    items = np.asarray(items, np.int64)
    order = np.lexsort((-np.arange(len(items)), -np.asarray(scores, np.float64)))[:n]
    return {"ratings": len(items), "liked": int((np.asarray(scores) >= LIKED).sum()),
            "top": [{**model.titles.card(int(items[i])), "your_score": float(scores[i])} for i in order]}


def for_new_user(model: ModelArtifact, ratings: dict[str, float], k: int = 10,
                 platforms: tuple[str, ...] | None = None, type: str | None = None,
                 audience: str | None = None) -> dict:
    """Recommendations for someone known only by these ratings (title id -> score), folded in like implicit's
    ``recalculate_user``."""
    by_item = item_ratings(model, ratings)
    items = np.fromiter(by_item.keys(), np.int64, len(by_item))
    scores = np.fromiter(by_item.values(), np.float32, len(by_item))
    x = model.model.fold_in([(items, scores)])[0]
    return {"model_version": model.version, **_answer(model, x, items, scores, k, platforms, type, audience)}


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


def similar(model: ModelArtifact, title_id: str, k: int = 10, platforms: tuple[str, ...] | None = None,
            audience: str | None = None) -> dict:
    """Titles most similar to ``title_id`` (rated or not; never a copy of it on another service): factor cosine +
    content cosines, on the viewer's ``platforms`` when given; 404 for a title the model does not know. Without an
    ``audience``, a kids or family title's similar titles stay in its audience."""
    m, t = model.model, model.titles
    row = t.row_of(title_id)
    if row is None:
        raise NotFound(f"title {title_id!r} is not in model {model.version}'s catalog (titles added since the last "
                       "training appear after the next one)", id=title_id)
    source = "request" if audience is not None else None
    own = int(t.audience[row])
    if audience is None and 0 <= own <= KIDS_SAFE:
        audience, source = AUDIENCES[own], "title"
    filters = _filters(model, platforms, None, audience, source)
    content = m.similar_content(row)
    sims = m.similar_scores(row, content=content)
    picks = m.rank(sims, k, exclude=np.array([row]), mask=combined(filters))
    said = reasons.for_similar(model, row, sims, content, picks)
    shown = sims.copy()
    if m.copies is not None:  # a work scores as its best copy (the ranking's rule), whichever copy is shown
        shown[picks] = [sims[_best_copy(m.copies.of(int(j)), sims)] for j in picks]
    out = {"model_version": model.version, "title_id": t.ids[row].decode(),
           "items": _items(model, picks, shown, said, platforms), **_audience_fields(audience, source)}
    if not len(picks):
        out["message"] = empty_message(_unseen(model, np.array([row])), filters)
    return out


LIKED = 4.0  # a rating that says "liked"
EXAMPLE_LIKED = 5  # an example viewer liked at least this many titles: enough for a list that shows their taste


def examples(model: ModelArtifact, n: int = 12) -> dict:
    """``n`` known users to try, spread evenly over the users who liked (rated 4 or more) at least
    ``EXAMPLE_LIKED`` titles, ordered by number of ratings (then id): the same answer for the same model, from the
    lightest to the heaviest raters, each with how many titles they rated (all users when too few qualify)."""
    m = model.model
    sizes = np.diff(m.hist_indptr)
    liked = np.bincount(np.repeat(np.arange(len(sizes)), sizes), weights=m.hist_scores >= LIKED, minlength=len(sizes))
    order = np.lexsort((m.user_ids, sizes))
    enough = order[liked[order] >= EXAMPLE_LIKED]
    order = enough if len(enough) >= min(n, len(order)) else order
    count = min(n, len(order))
    picks = order[np.round(np.linspace(0, len(order) - 1, count)).astype(np.int64)] if count else order[:0]
    return {"model_version": model.version,
            "users": [{"user_id": int(m.user_ids[r]), "ratings": int(sizes[r])} for r in picks]}
