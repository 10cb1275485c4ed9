"""The sample of known viewers the API offers to try (``GET /users/examples``), written into the model's info so
the API needs no per-viewer data to answer it."""

from __future__ import annotations

import numpy as np

from model_training.data import Ratings
from reelrec.scoring import EXAMPLE_LIKED, LIKED, spread

SAMPLE = 200  # viewers kept: the route picks up to 50 of them, spread the same way


def example_viewers(ratings: Ratings, n: int = SAMPLE) -> list[dict]:
    """Up to ``n`` viewers spread evenly over those who liked (rated 4 or more) at least ``EXAMPLE_LIKED`` titles,
    ordered by number of ratings (then id): from the lightest to the heaviest raters, each with their count
    (all viewers when too few qualify). ``ratings`` holds one rating per (viewer, title)."""
    users, rows = np.unique(ratings.user_ids, return_inverse=True)
    sizes = np.bincount(rows, minlength=len(users))
    liked = np.bincount(rows, weights=ratings.scores >= LIKED, minlength=len(users))
    order = np.lexsort((users, sizes))
    enough = order[liked[order] >= EXAMPLE_LIKED]
    order = enough if len(enough) >= min(n, len(order)) else order
    picks = order[spread(len(order), n)]
    return [{"user_id": int(users[r]), "ratings": int(sizes[r])} for r in picks]
