"""The filters of a list (platforms, type, audience) as masks named as a request writes them, and what an answer
says when they leave nothing: 200 with an empty list and a message naming the filter."""

from __future__ import annotations

import numpy as np

from reelrec.audience import AUDIENCES
from reelrec.audience import allowed as audience_allows
from reelrec.catalog_snapshot import CODES

# how an audience the viewer did not ask for is named in a message, by where it came from
_IMPLIED = {"history": " (implied by the ratings: send audience=adults to lift it)",
            "title": " (the title's own: send audience=adults to lift it)"}


def masks(platform: np.ndarray, kind: np.ndarray, audience_codes: np.ndarray, platforms: tuple[str, ...] | None,
          type: str | None, audience: str | None, source: str | None = "request") -> dict[str, np.ndarray]:
    """Each filter that applies, named as a request writes it ("type=tv show"), with the titles it allows; the
    arrays are the titles' codes. ``audience=adults`` allows everything: no filter."""
    out = {}
    if platforms is not None:
        out[f"platforms={','.join(platforms)}"] = np.isin(platform, [CODES["platform"].index(p) for p in platforms])
    if type is not None:
        out[f"type={type}"] = kind == CODES["kind"].index(type)
    if audience is not None and audience != AUDIENCES[-1]:
        out[f"audience={audience}{_IMPLIED.get(source or '', '')}"] = audience_allows(audience_codes, audience)
    return out


def combined(filters: dict[str, np.ndarray]) -> np.ndarray | None:
    """Titles every filter allows (None: no filter)."""
    return np.logical_and.reduce(list(filters.values())) if filters else None


def empty_message(candidates: np.ndarray, filters: dict[str, np.ndarray], what: str = "titles") -> str:
    """Why a list came back empty: the filters that leave nothing on their own, else the combination."""
    alone = [name for name, allowed in filters.items() if not (candidates & allowed).any()]
    if alone:
        return f"no {what} left with {' and '.join(alone)}: try without {'it' if len(alone) == 1 else 'them'}"
    if filters:
        return f"no {what} meet {' and '.join(filters)} together: each leaves some on its own, try fewer filters"
    return f"no {what} left to recommend: every title the model knows is in the history"
