"""The real catalogs' content quirks, applied to generated rows at exact, recorded counts.

Each quirk lands on rows of its own (``Pool``), so the counts in the summary are exact: odd
characters (NBSP, zero-width space, U+2028, U+FFFD), embedded newlines, stray whitespace, duplicate
(title, type, year) pairs, odd rating codes and durations shifted into the ``rating`` column.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

import numpy as np

from datagen.vocab import PlatformSpec

T = TypeVar("T")
MOVIE, TV = "Movie", "TV Show"
(C_ID, C_TYPE, C_TITLE, C_DIRECTOR, C_CAST, C_COUNTRY, C_DATE, C_YEAR, C_RATING, C_DURATION,
 C_GENRES, C_DESC) = range(12)


class Draws:
    """A buffered stream of random integers for the per-row string assembly (fast, deterministic)."""

    def __init__(self, rng: np.random.Generator, chunk: int = 65536) -> None:
        """Draw integers from ``rng`` in chunks of ``chunk``."""
        self._rng, self._chunk = rng, chunk
        self._v: list[int] = []
        self._i = 0

    def int(self, n: int) -> int:
        """Return a uniform integer in [0, n)."""
        if self._i >= len(self._v):
            self._v, self._i = self._rng.integers(0, 1 << 40, self._chunk).tolist(), 0
        v = self._v[self._i]
        self._i += 1
        return v % n

    def pick(self, seq: Sequence[T]) -> T:
        """Return a uniform element of ``seq``."""
        return seq[self.int(len(seq))]

    def chance(self, p: float) -> bool:
        """Return True with probability ``p``."""
        return self.int(1 << 20) < p * (1 << 20)


def scaled(real: int, fraction: float) -> int:
    """Scale a real-file count to this catalog size, keeping at least one of every kind that exists."""
    return 0 if real <= 0 else max(1, round(real * fraction))


def _replace_space(text: str, d: Draws, new: str) -> str:
    """Replace one random inner space of ``text`` with ``new`` (or append ``new`` if there is none)."""
    spaces = [i for i, ch in enumerate(text) if ch == " "]
    if not spaces:
        return text + new
    i = d.pick(spaces)
    return text[:i] + new + text[i + 1 :]


class Pool:
    """Rows still free for a quirk, so every quirk lands on its own rows and counts stay exact."""

    def __init__(self, n: int, reserved: set[int], rng: np.random.Generator) -> None:
        """Offer rows 0..n-1 except ``reserved`` in a random order."""
        self.order = [i for i in rng.permutation(n).tolist() if i not in reserved]
        self.used: set[int] = set()

    def take(self, count: int, ok: Callable[[int], bool] = lambda i: True) -> list[int]:
        """Take up to ``count`` free rows satisfying ``ok``."""
        out: list[int] = []
        for i in self.order:
            if len(out) >= count:
                break
            if i not in self.used and ok(i):
                out.append(i)
                self.used.add(i)
        return out


def apply_quirks(spec: PlatformSpec, rows: list[list[str]], pool: Pool, d: Draws, fraction: float) -> dict:
    """Put the real file's content quirks (odd characters, shifted durations, duplicates...) into rows."""
    q = {k: scaled(v, fraction) for k, v in spec.quirks.items()}
    done: dict[str, int] = {}

    def edit(kind: str, col: int, fn: Callable[[str], str], ok: Callable[[int], bool] = lambda i: True) -> None:
        """Apply ``fn`` to column ``col`` of as many free rows (passing ``ok``) as ``kind`` asks for."""
        idx = pool.take(q.get(kind, 0), ok)
        for i in idx:
            rows[i][col] = fn(rows[i][col])
        if idx:
            done[kind] = len(idx)

    def filled(col: int) -> Callable[[int], bool]:
        """Row filter: the column is not empty."""
        return lambda i: bool(rows[i][col])

    def has_space(col: int) -> Callable[[int], bool]:
        """Row filter: the column has a space to replace."""
        return lambda i: " " in rows[i][col]

    edit("newline_desc", C_DESC, lambda s: s.replace(". ", ".\n", 1) if ". " in s else _replace_space(s, d, "\n"),
         has_space(C_DESC))
    edit("newline_title", C_TITLE, lambda s: _replace_space(s, d, "\n"), has_space(C_TITLE))
    edit("nbsp_desc", C_DESC, lambda s: _replace_space(s, d, "\u00a0"), has_space(C_DESC))
    edit("nbsp_title", C_TITLE, lambda s: _replace_space(s, d, "\u00a0"), has_space(C_TITLE))
    edit("nbsp_cast", C_CAST, lambda s: _replace_space(s, d, "\u00a0"), filled(C_CAST))
    edit("nbsp_director", C_DIRECTOR, lambda s: _replace_space(s, d, "\u00a0"), filled(C_DIRECTOR))
    edit("zwsp_cast", C_CAST, lambda s: "\u200b" + s, filled(C_CAST))
    edit("zwsp_title", C_TITLE, lambda s: s + "\u200b")
    edit("zwsp_desc_start", C_DESC, lambda s: "\u200b" + s, filled(C_DESC))
    edit("fffd_title", C_TITLE, lambda s: s[:1] + "\ufffd" + s[2:])
    edit("fffd_cast", C_CAST, lambda s: s[:2] + "\ufffd" + s[3:], filled(C_CAST))
    edit("u2028_cast", C_CAST, lambda s: s.replace(", ", "\u2028, ", 1) if ", " in s else s + "\u2028",
         filled(C_CAST))
    edit("space_around_director", C_DIRECTOR, lambda s: d.pick((" " + s, s + " ", " " + s + " ")),
         filled(C_DIRECTOR))
    edit("space_around_cast", C_CAST, lambda s: d.pick((" " + s, s + " ")), filled(C_CAST))
    # double spaces: inside a name ("Ada  Smith") or after a separating comma ("Smith,  Ada")
    edit("double_space_cast", C_CAST,
         lambda s: s.replace(", ", ",  ") if ", " in s and d.chance(0.5) else s.replace(" ", "  ", 1),
         filled(C_CAST))
    edit("date_leading_space", C_DATE, lambda s: " " + s, filled(C_DATE))
    edit("empty_desc", C_DESC, lambda s: "")
    edit("nbsp_title_end", C_TITLE, lambda s: s + "\u00a0")
    for kind, same_year in (("dup_same_year", True), ("dup_other_year", False)):
        for b in pool.take(q.get(kind, 0)):
            src = pool.take(1, lambda i, b=b: bool(rows[i][C_TYPE] == rows[b][C_TYPE]))  # type: ignore[misc]
            if not src:
                continue
            a = src[0]
            rows[b][C_TITLE] = rows[a][C_TITLE]
            year = int(rows[a][C_YEAR])
            rows[b][C_YEAR] = str(year if same_year else (year - 1 - d.int(5) if year > 1990 else year + 1 + d.int(5)))
            done[kind] = done.get(kind, 0) + 1
    for code, real in spec.odd_ratings.items():
        idx = pool.take(scaled(real, fraction))
        for i in idx:
            rows[i][C_RATING] = code
        if idx:
            done["rating:" + code] = len(idx)
    done.update(_shift_durations(rows, pool, q))
    return done


def _shift_durations(rows: list[list[str]], pool: Pool, q: dict[str, int]) -> dict[str, int]:
    """Empty some Movie durations; move some into `rating` (N min, or N Seasons on a TV show typed Movie)."""
    done: dict[str, int] = {}
    total = q.get("empty_duration_movie", 0)
    if not total:
        return done
    mins = pool.take(min(q.get("minutes_in_rating", 0), total), lambda i: rows[i][C_TYPE] == MOVIE)
    seas = pool.take(min(q.get("seasons_in_rating", 0), total - len(mins)), lambda i: rows[i][C_TYPE] == TV)
    for i in mins + seas:
        rows[i][C_RATING], rows[i][C_DURATION], rows[i][C_TYPE] = rows[i][C_DURATION], "", MOVIE
    rest = pool.take(total - len(mins) - len(seas), lambda i: rows[i][C_TYPE] == MOVIE)
    for i in rest:
        rows[i][C_DURATION] = ""
    done["minutes_in_rating"], done["seasons_in_rating"] = len(mins), len(seas)
    done["empty_duration_movie"] = len(mins) + len(seas) + len(rest)
    return done

