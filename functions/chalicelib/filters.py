"""What an answer says when its filters leave nothing: 200 with an empty list and a message naming the filter."""

from __future__ import annotations

import numpy as np


def empty_message(candidates: np.ndarray, filters: dict[str, np.ndarray], what: str = "titles") -> str:
    """Why a list came back empty: the filters that leave nothing on their own, else the combination."""
    alone = [name for name, allowed in filters.items() if not (candidates & allowed).any()]
    if alone:
        return f"no {what} left with {' and '.join(alone)}: try without {'it' if len(alone) == 1 else 'them'}"
    if filters:
        return f"no {what} meet {' and '.join(filters)} together: each leaves some on its own, try fewer filters"
    return f"no {what} left to recommend: every title the model knows is in the history"
