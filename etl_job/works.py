"""One title across services: which catalog rows are the same work (the snapshot's ``work`` column).

The rule is conservative (a wrong merge is worse than a missed one). Two rows are one work when
1. their types are equal and their titles have the same key (``reelrec.textfold.key``: accents, case, punctuation and
   spaces ignored) after brand prefixes ("Marvel Studios'", "Disney's", ...) and edition suffixes ("(4K UHD)",
   "(Black & White Version)", "(Extended Cut)", a "(2018)" equal to the release year, ...) are removed, and
2. their release years are known and equal, and nothing contradicts: when both list directors they share one (or
   at least two cast members), when both list cast (and no director decides) they share a member, and two movies
   whose people cannot be compared (hulu lists none) run within 3 minutes (3% for long ones) of each other; or
3. their release years differ by one and the people confirm it (a shared director, or two shared cast members), or,
   for two movies whose people cannot be compared, their lengths are within 2 minutes.
Language versions ("(Tamil)", "(Hindi)") and other subtitles are distinct works. docs/works.md has the counts on the
real catalogs, examples and the rule's known misses.
"""

from __future__ import annotations

import re
from collections import defaultdict

import numpy as np
import pyarrow as pa

from reelrec.textfold import key

# possessive brands the services put in front of a title ("marvel studios' thor: ragnarok" ~ "thor: ragnarok")
BRANDS = ("marvel studios'", "marvel studios", "marvel's", "disney's", "disney pixar's", "disney/pixar's",
          "disney•pixar's", "pixar's", "dreamworks'", "dreamworks", "dr. seuss'", "dr. seuss's", "tom clancy's",
          "agatha christie's", "jim henson's", "stephen king's", "roald dahl's")
# edition and format suffixes: the same work in another cut or picture
EDITIONS = ("4k uhd", "4k", "uhd", "hd", "black & white version", "black and white version", "b&w", "colorized",
            "colorized version", "extended edition", "extended cut", "extended version", "director's cut",
            "theatrical cut", "theatrical version", "restored", "remastered", "uncut", "unrated", "unrated version",
            "special edition", "anniversary edition", "plus bonus content", "plus bonus features")
_BRAND = re.compile(r"^(?:" + "|".join(re.escape(b) for b in sorted(BRANDS, key=len, reverse=True)) + r")\s+")
_EDITION = re.compile(r"\s*[(\[](?:" + "|".join(re.escape(e) for e in EDITIONS) + r")[)\]]\s*$")
_YEAR_SUFFIX = re.compile(r"\s*\((\d{4})\)\s*$")
MAX_MINUTES_APART, MAX_SHARE_APART = 3, 0.03
SAME_LENGTH = 2  # minutes: "the same length" for two movies a year apart whose people cannot be compared


def title_key(title: str, year: int | None) -> str:
    """The matching key of a (lower-case) title: brand prefix, edition suffixes and a trailing "(year)" equal to
    the release year removed, then accents, punctuation and spaces dropped."""
    text = title.strip()
    for _ in range(3):  # "marvel studios' x (4k uhd) (2019)": strip until nothing changes
        before = text
        text = _BRAND.sub("", text)
        text = _EDITION.sub("", text)
        m = _YEAR_SUFFIX.search(text)
        if m and year is not None and int(m.group(1)) == year:
            text = text[: m.start()]
        if text == before:
            break
    return key(text) or key(title)


def _people(value: str | None) -> set[str]:
    return {k for k in (key(p) for p in (value or "").split(",")) if k}


def _same_work(a: dict, b: dict) -> bool:
    """Whether two candidate rows (same type and title key) are one work, by the rule in the module docstring."""
    if a["year"] is None or b["year"] is None:
        return False
    apart = abs(a["year"] - b["year"])
    shared_directors = len(a["director"] & b["director"])
    shared_cast = len(a["cast"] & b["cast"])
    if apart == 1:  # services often disagree by a year; then the people, or a movie's exact length, must agree
        if shared_directors > 0 or shared_cast >= 2:
            return True
        contradicted = bool(a["director"] and b["director"]) or bool(a["cast"] and b["cast"])
        return (not contradicted and a["minutes"] is not None and b["minutes"] is not None
                and abs(a["minutes"] - b["minutes"]) <= SAME_LENGTH)
    if apart > 1:
        return False
    if a["director"] and b["director"]:
        return shared_directors > 0 or shared_cast >= 2
    if a["cast"] and b["cast"]:
        return shared_cast > 0
    if a["minutes"] is not None and b["minutes"] is not None:  # a movie's people cannot be compared: its length can
        gap = abs(a["minutes"] - b["minutes"])
        return gap <= max(MAX_MINUTES_APART, MAX_SHARE_APART * max(a["minutes"], b["minutes"]))
    return True


def group_works(titles: pa.Table) -> np.ndarray:
    """Work id per row (int32): rows that are the same work share an id, which is the smallest row index among
    them (a row alone is its own work: ``work[i] == i``). ``titles`` has the lake's title columns."""
    n = titles.num_rows
    cols = {c: titles.column(c).to_pylist() for c in ("type", "title", "release_year", "director", "cast",
                                                        "duration_int", "duration_type")}
    candidates: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i in range(n):
        if cols["title"][i]:
            candidates[(cols["type"][i], title_key(cols["title"][i], cols["release_year"][i]))].append(i)
    parent = list(range(n))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for rows in candidates.values():
        if len(rows) < 2:
            continue
        info = [{"year": cols["release_year"][i], "director": _people(cols["director"][i]),
                 "cast": _people(cols["cast"][i]),
                 "minutes": cols["duration_int"][i] if cols["duration_type"][i] == "min" else None} for i in rows]
        for x in range(len(rows)):
            for y in range(x + 1, len(rows)):
                if _same_work(info[x], info[y]):
                    a, b = root(rows[x]), root(rows[y])
                    parent[max(a, b)] = min(a, b)
    return np.array([root(i) for i in range(n)], np.int32)
