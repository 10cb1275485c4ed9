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
from reelrec.histories import History
from reelrec.model_artifact import ModelArtifact
from reelrec.scoring import DISLIKE_BELOW, LIKED, spread


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
    work in it) is never shown. Returns the answer's ``items``, ``discover`` and ``audience`` fields (and
    ``message`` when the filters leave nothing)."""
    m = model.model
    audience, source = _chosen_audience(model, audience, items, scores)
    filters = _filters(model, platforms, type, audience, source)
    mask = combined(filters)
    total, content = m.score_user(x, items, scores, mask)
    picks, fresh = m.rank_and_discover(total, k, exclude=items, mask=mask)
    rows = np.concatenate([picks, fresh])
    shown, drivers = total.copy(), rows
    if m.copies is not None:  # a work scores as its best copy (the ranking's rule): show that score, explain that copy
        drivers = np.array([_best_copy(m.copies.of(int(j)), total) for j in rows], np.int64)
        shown[rows] = total[drivers]
    cards = _items(model, rows, shown, reasons.for_user(model, x, items, scores, content, drivers), platforms)
    out = {"items": cards[: len(picks)], "discover": cards[len(picks):], **_audience_fields(audience, source)}
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


def for_user(model: ModelArtifact, user_id: int, history: History | None, k: int = 10,
             platforms: tuple[str, ...] | None = None, type: str | None = None, audience: str | None = None) -> dict:
    """Recommendations for a known viewer from their stored ``history``, folded in per request with the same code
    as a new viewer's ratings (for a training viewer: the factors training gave them). Ratings of titles the model
    does not know yet (newer than its training) are skipped, and ``based_on`` says how many were used. 404 for a
    viewer the store has no history of."""
    if history is None:
        raise NotFound(f"user {user_id} has no ratings in the history store: someone who has not rated anything is "
                       "a new user (POST /recommendations with a few ratings)", user_id=user_id)
    rows = model.titles.rows_of_keys(history.title_ids)
    used = rows >= 0
    items, scores = rows[used], np.asarray(history.scores[used], np.float32)
    x = model.model.fold_in([(items, scores)])[0]
    skipped = len(rows) - len(items)
    basis = {**based_on(model, items, scores), "skipped": skipped}
    if skipped:
        basis["skipped_reason"] = (f"{skipped} of {len(rows)} ratings are of titles newer than model "
                                   f"{model.version}; they count after the next training")
    return {"model_version": model.version, "user_id": user_id,
            **_answer(model, x, items, scores, k, platforms, type, audience), "based_on": basis}


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
    ``audience``, a kids or family title's similar titles stay in its audience. ``discover``: the most similar title
    nobody has rated, when the list holds none."""
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
    picks, fresh = m.rank_and_discover(sims, k, exclude=np.array([row]), mask=combined(filters))
    rows = np.concatenate([picks, fresh])
    said = reasons.for_similar(model, row, sims, content, rows)
    shown = sims.copy()
    if m.copies is not None:  # a work scores as its best copy (the ranking's rule), whichever copy is shown
        shown[rows] = [sims[_best_copy(m.copies.of(int(j)), sims)] for j in rows]
    cards = _items(model, rows, shown, said, platforms)
    out = {"model_version": model.version, "title_id": t.ids[row].decode(), "items": cards[: len(picks)],
           "discover": cards[len(picks):], **_audience_fields(audience, source)}
    if not len(picks):
        out["message"] = empty_message(_unseen(model, np.array([row])), filters)
    return out


def examples(model: ModelArtifact, n: int = 12) -> dict:
    """``n`` known viewers to try, spread evenly over the sample the training job wrote (viewers who liked at least
    ``EXAMPLE_LIKED`` titles, from the lightest to the heaviest raters, ``model_training.examples``): the same
    answer for the same model, each with how many titles they rated when it was trained."""
    sample = model.info.get("examples", [])
    picks = [sample[int(i)] for i in spread(len(sample), n)]
    return {"model_version": model.version,
            "users": [{"user_id": int(e["user_id"]), "ratings": int(e["ratings"])} for e in picks]}
