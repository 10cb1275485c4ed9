"""Genre labels as the four catalogs spell them, brought to one key (numpy-free: the API and the jobs use it)."""

from __future__ import annotations

_GENRE_WORDS = (" tv shows", " movies", " features", " series", " tv")


def genre_key(label: str) -> str:
    """One key for the catalogs' spellings of a genre: "Comedies", "Comedy" -> comedy; "Horror Movies" -> horror."""
    key = label.lower().replace("'", "").strip()
    for word in _GENRE_WORDS:
        key = key.removesuffix(word)
    if key.endswith("series"):  # docuseries
        return key
    if key.endswith("ies") and len(key) > 5:
        return key[:-3] + "y"
    return key[:-1] if key.endswith("s") and not key.endswith("ss") and len(key) > 3 else key
