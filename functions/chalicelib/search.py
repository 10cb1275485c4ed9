"""Title search over the catalog snapshot: finds what people type, ranks the work people know first, numpy only.

The query and every title are compared as folded keys (``reelrec.textfold.key``: no accents, case, punctuation or
spaces), so "pokemon" finds "Pokémon", "spiderman" "Spider-Man", "wall e" "WALL-E". Matching is byte matching of the
key's UTF-8 against one blob of all titles' keys (``reelrec.search_index``): the positions of the query's first two
bytes come from the index, then one vectorised comparison per further byte over a shrinking set of candidates finds
every occurrence at once. Then, in this order of tiers:
``exact`` (the whole title), ``prefix`` (the title starts with the query), ``person`` (a cast member's or director's
whole name: ``match`` is ``cast`` or ``director``, with ``person``), ``substring`` (anywhere in the title), ``typo``
(when nothing matches as typed, a query word of 5+ letters that starts no word of the catalog, corrected by one
edit: "pokemn", "godfater"), and
``person`` partial (the query starts one of the words of a name, 3+ letters). Within a tier: most ratings first
(a work counts its best-known copy), then the best mean score, then feature films before series before shorts, then
the most recent, then title order. One item per work (``reelrec.copies``), shown as a copy
on the viewer's ``platforms``.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np

from chalicelib.filters import combined, empty_message, masks
from reelrec.audience import name as audience_name
from reelrec.catalog_snapshot import CODES, CatalogSnapshot
from reelrec.model_artifact import duration_label, split_list
from reelrec.schemas import PLATFORM_NAMES
from reelrec.search_index import MASK_BYTES, ROLES, TYPO_MIN_LETTERS, SearchIndex
from reelrec.textfold import key, words

EXACT, PREFIX, PERSON, SUBSTRING, TYPO, PERSON_PART = range(6)
TITLE_MATCH = {EXACT: "exact", PREFIX: "prefix", SUBSTRING: "substring", TYPO: "typo"}
PERSON_PART_MIN = 3  # a partial name match needs this many letters
MAX_CORRECTIONS = 8  # typo variants of a query searched at most
FEATURE_MINUTES = 60


def occurrences(index: SearchIndex, which: str, needle: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Every occurrence of ``needle`` inside one string of the index's ``which`` blob ("title" or "people"):
    (string index, byte position) arrays, positions ascending. Starts from the positions of its first two bytes."""
    blob, offsets = getattr(index, f"{which}_blob"), getattr(index, f"{which}_offsets")
    size = len(needle)
    if not size or len(blob) < size:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    pattern = np.frombuffer(needle, np.uint8)
    pos = index.starts(which, needle)
    pos = pos[pos <= len(blob) - size]
    for j in range(2, size):
        if not len(pos):
            break
        pos = pos[blob[pos + j] == pattern[j]]
    rows = index.string_of_byte(which)[pos].astype(np.int64)
    inside = pos + size <= offsets[rows + 1]  # not running into the next string
    return rows[inside], pos[inside]


def _title_tiers(index: SearchIndex, needle: bytes, rest: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows whose title key contains ``needle`` and their tier (EXACT, PREFIX, else ``rest``), rows ascending.
    Dense flags over the catalog's rows (scatter, no sort): a broad query ("e") has an occurrence in most titles."""
    offsets = index.title_offsets
    if len(needle) == 1 and needle in MASK_BYTES:
        lengths = np.diff(offsets)
        hit = (index.letter_masks() & np.uint64(1 << MASK_BYTES.index(needle))) != 0
        prefix = hit & (index.title_blob[np.minimum(offsets[:-1], len(index.title_blob) - 1)] == needle[0])
        prefix &= lengths > 0
    else:
        rows, pos = occurrences(index, "title", needle)
        hit = np.zeros(len(offsets) - 1, bool)
        hit[rows] = True
        prefix = np.zeros(len(hit), bool)
        prefix[rows[pos == offsets[rows]]] = True
    found = np.flatnonzero(hit)
    tier = np.full(len(found), rest, np.int8)
    starts = prefix[found]
    tier[starts] = PREFIX
    tier[starts & (offsets[found + 1] - offsets[found] == len(needle))] = EXACT
    return found, tier


def _typo_keys(index: SearchIndex, q: str) -> list[bytes]:
    """The query's keys with one word corrected, for each word of 5+ letters that no catalog word starts with."""
    ws = words(q)
    out: list[bytes] = []
    for i, w in enumerate(ws):
        if len(w) < TYPO_MIN_LETTERS or index.is_word_prefix(w):
            continue
        for fixed in index.corrections(w)[:MAX_CORRECTIONS]:
            out.append("".join(ws[:i] + [fixed] + ws[i + 1 :]).encode())
    return out[:MAX_CORRECTIONS]


def _people(index: SearchIndex, needle: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row, tier, person) of the titles of the people whose name matches: the whole name (PERSON) or the start of
    one of its words (PERSON_PART, 3+ letters)."""
    people, pos = occurrences(index, "people", needle)
    whole = (pos == index.people_offsets[people]) & (index.people_offsets[people + 1] - pos == len(needle))
    part = index.people_word_start[pos] & ~whole & (len(needle) >= PERSON_PART_MIN)
    keep = whole | part
    people, whole = people[keep], whole[keep]
    order = np.lexsort((people, ~whole))  # whole names first, so a row keeps its best person
    people, whole = people[order], whole[order]
    first = np.ones(len(people), bool)
    first[1:] = people[1:] != people[:-1]
    people, whole = people[first], whole[first]
    if not len(people):
        return np.zeros(0, np.int64), np.zeros(0, np.int8), np.zeros(0, np.int64)
    starts, lens = index.person_indptr[people], np.diff(index.person_indptr)[people]
    at = np.repeat(starts - np.cumsum(lens) + lens, lens) + np.arange(int(lens.sum()))
    rows = index.person_rows[at].astype(np.int64)
    tiers = np.repeat(np.where(whole, PERSON, PERSON_PART), lens).astype(np.int8)
    return rows, tiers, np.repeat(people, lens)


def _best_per_row(rows: np.ndarray, tier: np.ndarray, person: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One entry per row: its best tier (and the person behind it, -1 for a title match)."""
    order = np.lexsort((tier, rows))
    rows, tier, person = rows[order], tier[order], person[order]
    first = np.ones(len(rows), bool)
    first[1:] = rows[1:] != rows[:-1]
    return rows[first], tier[first], person[first]


def matches(snap: CatalogSnapshot, q: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every matching row with its best tier and, for people matches, the person (index into the index's people)."""
    index = snap.search_index
    needle = key(q).encode()
    rows, tier = _title_tiers(index, needle, SUBSTRING)
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = [(rows, tier, np.full(len(rows), -1, np.int64))]
    if len(needle) >= PERSON_PART_MIN:  # one or two letters name nobody in particular
        parts.append(_people(index, needle))
    if not len(rows) and not (parts[-1][1] == PERSON).any():  # nothing as typed: then a typo is likely
        for variant in _typo_keys(index, q):
            r, _ = _title_tiers(index, variant, TYPO)
            parts.append((r, np.full(len(r), TYPO, np.int8), np.full(len(r), -1, np.int64)))
    if len(parts) == 1:
        return parts[0]
    rows, tier, person = (np.concatenate([p[i] for p in parts]) for i in range(3))
    return _best_per_row(rows.astype(np.int64), tier.astype(np.int8), person.astype(np.int64))


def card(snap: CatalogSnapshot, row: int, platforms: Collection[str] | None = None) -> dict:
    """What the search shows of a title: the recommendation cards' fields plus its mean score and ratings."""
    mean = float(snap.score_mean[row])
    platform = CODES["platform"][snap.platform[row]]
    return {
        "id": snap.ids[row].decode(),
        "title": snap.display_title[row],
        "platform": platform,
        "platform_name": PLATFORM_NAMES[platform],
        "type": CODES["kind"][snap.kind[row]],
        "release_year": int(snap.release_year[row]) or None,
        "duration": duration_label(int(snap.duration_int[row]), int(snap.duration_type[row])),
        "genres": split_list(snap.display_listed_in[row]),
        "audience": audience_name(int(snap.audience[row])),
        "score": None if mean != mean else round(mean, 4),
        "score_count": int(snap.score_count[row]),
        "available_on": snap.copies.available_on(row, platforms),
    }


def _form(snap: CatalogSnapshot, rows: np.ndarray) -> np.ndarray:
    """0 for a feature-length movie (60+ minutes), 1 for a series, 2 for the rest (shorts, specials, unknown length):
    among titles nobody rated yet, the films people know come before a franchise's shorts."""
    movie = snap.kind[rows] == CODES["kind"].index("movie")
    feature = movie & (snap.duration_type[rows] == 0) & (snap.duration_int[rows] >= FEATURE_MINUTES)
    return np.where(feature, 0, np.where(movie, 2, 1)).astype(np.int8)


def _best_of_work(work: np.ndarray, packed: np.ndarray, n: int) -> np.ndarray:
    """Dense over the catalog's ``n`` rows: for each work id, the smallest ``packed`` of its entries (int64 max for
    a work without any). Linear in the entries: no sort."""
    best = np.full(n, np.iinfo(np.int64).max, np.int64)
    np.minimum.at(best, work, packed)
    return best


def search_titles(snap: CatalogSnapshot, q: str, limit: int = 10, offset: int = 0,
                  platforms: tuple[str, ...] | None = None, audience: str | None = None) -> dict:
    """The works matching ``q`` (canonical text from ``params.search_text``), best first, ``limit`` from ``offset``;
    ``total`` counts the matching works (on ``platforms`` and for ``audience`` when given)."""
    rows, tier, person = matches(snap, q)
    n, copies = len(snap), snap.copies
    if len(copies.shared) and len(rows):  # a work matches through any of its copies: every copy takes its best match
        position = np.arange(len(rows), dtype=np.int64)
        best = _best_of_work(snap.work[rows], (tier.astype(np.int64) << 32) | position, n)
        matched_row = np.zeros(n, bool)
        matched_row[rows] = True
        shared = copies.shared
        extra = shared[(best[snap.work[shared]] != np.iinfo(np.int64).max) & ~matched_row[shared]]
        rows = np.concatenate([rows, extra])
        source = best[snap.work[rows]] & 0xFFFFFFFF
        tier, person = tier[source], person[source]
    filters = masks(snap.platform[rows], snap.kind[rows], snap.audience[rows], platforms, None, audience)
    matched = len(rows) > 0
    keep = combined(filters)
    if keep is not None:
        rows, tier, person = rows[keep], tier[keep], person[keep]
    counts = snap.score_count[rows].astype(np.int64)
    work = snap.work[rows]
    # one copy per work (its copies share the work's best tier): most ratings, then platform order, then row
    position = np.arange(len(rows), dtype=np.int64)
    packed = (((1 << 24) - 1 - np.minimum(counts, (1 << 24) - 1)) << 35) | (snap.platform[rows].astype(np.int64) << 32)
    packed |= position
    shown = np.flatnonzero(_best_of_work(work, packed, n)[work] == packed)
    # the work's popularity: its best-known copy's ratings (a copy without ratings is the same film)
    popularity = np.zeros(n, np.int64)
    np.maximum.at(popularity, work, counts)
    page = shown[_page(snap, rows[shown], tier[shown], popularity[work[shown]], offset + limit)][offset:]
    items = []
    for i in page:
        row, t, p = int(rows[i]), int(tier[i]), int(person[i])
        item = card(snap, row, platforms)
        if p >= 0:
            item.update({"match": _role(snap.search_index, p, row), "person": snap.search_index.person_name(p)})
        else:
            item["match"] = TITLE_MATCH[t]
        items.append(item)
    out = {"q": q, "limit": limit, "offset": offset, "total": int(len(shown)), "items": items}
    if matched and keep is not None and not len(shown):
        out["message"] = empty_message(np.ones(len(keep), bool), filters, f"titles matching {q!r}")
    return out


def _page(snap: CatalogSnapshot, rows: np.ndarray, tier: np.ndarray, popularity: np.ndarray, n: int) -> np.ndarray:
    """Positions of the ``n`` best of ``rows`` in ranking order (tier, popularity, mean, form, recency, title): one
    packed integer ranks all but the title order, so only the candidates of the page are fully sorted."""
    means = np.nan_to_num(snap.score_mean[rows], nan=-1.0)
    packed = tier.astype(np.int64)
    packed = (packed << 24) + ((1 << 24) - 1 - np.minimum(popularity, (1 << 24) - 1))
    packed = (packed << 10) + (600 - np.round(means * 100).astype(np.int64))  # mean in [-1, 5] -> 100..600
    packed = (packed << 2) + _form(snap, rows)
    packed = (packed << 13) + (8191 - np.clip(snap.release_year[rows].astype(np.int64), 0, 8191))
    if n < len(packed):
        cut = np.partition(packed, n - 1)[n - 1]
        candidates = np.flatnonzero(packed <= cut)
    else:
        candidates = np.arange(len(packed))
    order = np.lexsort((snap.title_rank[rows[candidates]], packed[candidates]))
    return candidates[order][:n]


def _role(index: SearchIndex, person: int, row: int) -> str:
    """``director`` or ``cast``: how ``person`` is credited on ``row`` (director first; a copy inherits the match of
    another copy, where the credit may be missing: cast then)."""
    a, b = index.person_indptr[person], index.person_indptr[person + 1]
    roles = index.person_role[a:b][index.person_rows[a:b] == row]
    return ROLES[1] if (roles == 1).any() else ROLES[0]
