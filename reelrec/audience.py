"""Who a title is for, from the age ratings of the four catalogs: ``kids`` < ``family`` < ``teens`` < ``adults``.

The lake keeps the course's rating text (lower-case, null -> "g"); this module reads it together with the lake's
``rating_defaulted`` flag, so a "g" the ETL filled in is *unknown*, never kids-safe. Unknown ratings (nr, ur,
unrated, not rated, defaulted, anything unlisted) pass only ``adults`` (and no filter). numpy only: the API uses it.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

AUDIENCES = ("kids", "family", "teens", "adults")  # an audience filter passes every level up to its own
UNKNOWN = -1  # the code of a title whose rating says nothing (or was defaulted)
# lake rating (lower-case) -> audience; the docs' mapping table (docs/api.md) is this dict
RATING_AUDIENCE = {
    **dict.fromkeys(("tv-y", "tv-y7", "tv-y7-fv", "tv-g", "g", "all", "7+"), "kids"),
    **dict.fromkeys(("pg", "tv-pg"), "family"),
    **dict.fromkeys(("pg-13", "tv-14", "13+", "16+"), "teens"),
    **dict.fromkeys(("r", "nc-17", "tv-ma", "18+"), "adults"),
}
UNKNOWN_RATINGS = ("nr", "tv-nr", "ur", "unrated", "not rated")  # said to be unknown by the catalogs themselves
KIDS_SAFE = AUDIENCES.index("family")  # the levels a history of only these is taken to be a child's or a family's


def audience_code(rating: str | None, defaulted: bool = False) -> int:
    """Index into AUDIENCES of a lake rating, or UNKNOWN (also for a rating the null -> "g" rule filled in)."""
    if defaulted or not rating:
        return UNKNOWN
    name = RATING_AUDIENCE.get(" ".join(rating.split()).lower())
    return UNKNOWN if name is None else AUDIENCES.index(name)


def audience_codes(ratings: Iterable[str], defaulted: Iterable[bool]) -> np.ndarray:
    """``audience_code`` of many titles, as int8 (what the snapshot and the model store)."""
    return np.array([audience_code(r, d) for r, d in zip(ratings, defaulted, strict=True)], np.int8)


def allowed(codes: np.ndarray, audience: str) -> np.ndarray:
    """Titles an ``audience`` filter lets through: known levels up to it; ``adults`` lets everything through."""
    level = AUDIENCES.index(audience)
    if level == len(AUDIENCES) - 1:
        return np.ones(len(codes), bool)
    return (codes >= 0) & (codes <= level)


def name(code: int) -> str | None:
    """The audience's name, None when unknown."""
    return AUDIENCES[code] if 0 <= code < len(AUDIENCES) else None


def of_history(codes: np.ndarray, scores: np.ndarray, liked: float = 3.0) -> str | None:
    """The audience a viewer's history implies unless their ratings say otherwise: every rated title of a known
    audience is kids or family, those are at least half of the history, and the viewer rated one of them ``liked``
    or more -> the highest of those levels; else None (no filter). A teen or adult title anywhere in the history
    says otherwise; titles of unknown audience neither make nor break it (Hulu leaves a sixth of its titles
    unrated)."""
    codes, scores = np.asarray(codes), np.asarray(scores)
    known = codes >= 0
    if not known.any() or 2 * int(known.sum()) < len(codes) or codes[known].max() > KIDS_SAFE:
        return None
    if not (scores[known] >= liked).any():
        return None
    return AUDIENCES[int(codes[known].max())]
