"""Title search over the catalog snapshot: case-insensitive substring, ranked, numpy only.

The snapshot keeps every title as lower-case UTF-8 in one blob (``CatalogSnapshot.title``), so a search needs no
index of its own: the query's UTF-8 bytes are matched against the blob with a few vectorised comparisons (one per
query byte, over a shrinking set of candidates), which finds every occurrence, overlapping ones included, in about a
millisecond at course scale (23k titles). Byte matching is character matching for UTF-8 (no character's encoding
starts inside another's), and an occurrence that would run from one title into the next is dropped.

Ranking: the title equals the query, then starts with it, then has a word starting with it (after a space or an ASCII
punctuation mark), then contains it anywhere; ties by number of ratings (most first), then title, then id.
"""

from __future__ import annotations

import numpy as np

from reelrec.catalog_snapshot import CODES, CatalogSnapshot, Strings
from reelrec.model_artifact import duration_label, split_list

EXACT, PREFIX, WORD, INSIDE = 0, 1, 2, 3
MATCH_NAMES = ("exact", "prefix", "word", "substring")
# a byte that ends a word: ASCII but not a letter or digit (bytes >= 128 belong to non-ASCII characters: letters,
# mostly, so "é" before a match is not a word start)
WORD_BREAK = np.array([b < 128 and not chr(b).isalnum() for b in range(256)])


def occurrences(strings: Strings, needle: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Every occurrence of ``needle`` inside one string of ``strings``: (row, byte position in the blob) arrays."""
    blob, offsets = strings.blob, strings.offsets
    size = len(needle)
    if not size or len(blob) < size:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    pattern = np.frombuffer(needle, np.uint8)
    pos = np.flatnonzero(blob[: len(blob) - size + 1] == pattern[0])
    for j in range(1, size):
        if not len(pos):
            break
        pos = pos[blob[pos + j] == pattern[j]]
    rows = np.searchsorted(offsets, pos, side="right") - 1
    inside = pos + size <= offsets[rows + 1]  # not running into the next title
    return rows[inside], pos[inside]


def matches(strings: Strings, needle: bytes) -> tuple[np.ndarray, np.ndarray]:
    """The rows containing ``needle`` (ascending) and each row's best kind of match (EXACT ... INSIDE)."""
    rows, pos = occurrences(strings, needle)
    if not len(rows):
        return rows, np.zeros(0, np.int8)
    starts, ends = strings.offsets[rows], strings.offsets[rows + 1]
    kind = np.full(len(rows), INSIDE, np.int8)
    after_break = np.zeros(len(rows), bool)
    later = pos > starts
    after_break[later] = WORD_BREAK[strings.blob[pos[later] - 1]]
    kind[after_break] = WORD
    kind[pos == starts] = PREFIX
    kind[(pos == starts) & (ends - starts == len(needle))] = EXACT
    order = np.lexsort((kind, rows))  # by row, best kind first
    rows, kind = rows[order], kind[order]
    first = np.ones(len(rows), bool)
    first[1:] = rows[1:] != rows[:-1]
    return rows[first], kind[first]


def card(snap: CatalogSnapshot, row: int) -> dict:
    """What the search shows of a title: the recommendation cards' fields plus its mean score and ratings."""
    mean = float(snap.score_mean[row])
    return {
        "id": snap.ids[row].decode(),
        "title": snap.title[row],
        "platform": CODES["platform"][snap.platform[row]],
        "type": CODES["kind"][snap.kind[row]],
        "release_year": int(snap.release_year[row]) or None,
        "duration": duration_label(int(snap.duration_int[row]), int(snap.duration_type[row])),
        "genres": split_list(snap.listed_in[row]),
        "score": None if mean != mean else round(mean, 4),
        "score_count": int(snap.score_count[row]),
    }


def search_titles(snap: CatalogSnapshot, q: str, limit: int = 10) -> dict:
    """The titles containing ``q`` (already canonical: lower-case, trimmed, one space), best ``limit`` first.

    ``total`` is the number of matching titles; ``match`` says how each shown title matched."""
    rows, kind = matches(snap.title, q.encode("utf-8"))
    order = np.lexsort((snap.title_rank[rows], -snap.score_count[rows].astype(np.int64), kind))[:limit]
    items = [{**card(snap, int(rows[i])), "match": MATCH_NAMES[int(kind[i])]} for i in order]
    return {"q": q, "limit": limit, "total": int(len(rows)), "items": items}
