"""Plain numpy containers for the catalog and the ratings (no pyarrow, no scipy)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# catalog columns the content side reads (release_year is numeric, the rest are text)
TEXT_COLUMNS = ("listed_in", "cast", "director", "country", "type", "rating", "release_year", "description")


@dataclass
class Catalog:
    """Titles in a fixed order; item index i everywhere means row i here."""

    ids: np.ndarray  # object array of title ids, sorted
    titles: np.ndarray  # object array of display titles
    platforms: np.ndarray  # object array
    release_year: np.ndarray  # int32
    text: dict[str, np.ndarray] = field(default_factory=dict)  # column -> object array (None for missing)

    def __len__(self) -> int:
        """Number of titles."""
        return len(self.ids)

    def index_of(self, ids: np.ndarray) -> np.ndarray:
        """Catalog positions of the given ids (int64, -1 for unknown ids)."""
        ids = np.asarray(ids, dtype=object).astype(str)
        keys = self.ids.astype(str)
        pos = np.searchsorted(keys, ids)
        pos = np.clip(pos, 0, len(keys) - 1)
        found = keys[pos] == ids if len(keys) else np.zeros(len(ids), bool)
        return np.where(found, pos, -1).astype(np.int64)


@dataclass
class Ratings:
    """One row per rating: user id, catalog index, score (0.5-5) and Unix timestamp."""

    user_ids: np.ndarray  # int64
    item_idx: np.ndarray  # int32 into the catalog
    scores: np.ndarray  # float32
    timestamps: np.ndarray  # int64
    unique_pairs: bool = False  # known to hold at most one rating per (user, title): no dedupe needed downstream

    def __len__(self) -> int:
        """Number of ratings."""
        return len(self.user_ids)

    def take(self, mask: np.ndarray) -> Ratings:
        """The ratings selected by a boolean mask or index array (a selection of unique pairs stays unique;
        an index array could repeat rows, so only a boolean mask keeps the flag)."""
        mask = np.asarray(mask)
        keeps = self.unique_pairs and mask.dtype == bool
        return Ratings(self.user_ids[mask], self.item_idx[mask], self.scores[mask], self.timestamps[mask], keeps)
