"""Genre labels as the four catalogs spell them, brought to one key (numpy-free: the API and the jobs use it)."""

from __future__ import annotations

_GENRE_WORDS = (" tv shows", " movies", " features", " series", " tv")
# the same genre under another name on another service (after the suffixes above are gone)
_SYNONYMS = {"romantic": "romance", "science fiction": "sci-fi", "stand up": "stand-up comedy"}


def genre_key(label: str) -> str:
    """One key for the catalogs' spellings of a genre: "Comedies", "TV Comedies", "Comedy" -> comedy; "Horror Movies"
    -> horror; "Romantic Movies", "Romance" -> romance; "Science Fiction" -> sci-fi."""
    key = label.lower().replace("'", "").strip().removeprefix("tv ")
    for word in _GENRE_WORDS:
        key = key.removesuffix(word)
    if not key.endswith("series"):  # docuseries keeps its s
        if key.endswith("ies") and len(key) > 5:
            key = key[:-3] + "y"
        elif key.endswith("s") and not key.endswith("ss") and len(key) > 3:
            key = key[:-1]
    return _SYNONYMS.get(key, key)
