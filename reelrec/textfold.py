"""Text folded for matching, not for reading: accents, case, punctuation and spacing removed (standard library only).

Search (what a viewer types against what a catalog wrote) and the grouping of one work across services both compare
text this way: "Pokémon" ~ "pokemon", "Spider-Man" ~ "spiderman", "WALL·E" ~ "wall e". The display text itself is
never changed by these functions.
"""

from __future__ import annotations

import re
import unicodedata

# letters that NFKD does not split into a base letter and a mark
_LETTERS = str.maketrans({
    "ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i", "ħ": "h",
    "Æ": "ae", "Œ": "oe", "Ø": "o", "Ł": "l", "Đ": "d", "Ð": "d", "Þ": "th",
})
# typographic quotes and dashes read as their ASCII forms (they are dropped as punctuation by ``key`` anyway)
_PUNCT = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-"})


def fold(text: str) -> str:
    """Lower case without accents: NFKD, combining marks dropped, a few letters spelled out (ß -> ss, ø -> o)."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.translate(_LETTERS).translate(_PUNCT))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().translate(_LETTERS)


_WORD = re.compile(r"[^\W_]+")  # runs of letters and digits, any script


def words(text: str) -> list[str]:
    """The folded words of ``text``: runs of letters and digits (any script), everything else separates them."""
    return _WORD.findall(fold(text))


def key(text: str) -> str:
    """The folded letters and digits of ``text`` with nothing between them: "Spider-Man: No Way Home" ->
    "spidermannowayhome". Matching keys is accent-, case-, punctuation- and space-insensitive."""
    return "".join(words(text))
