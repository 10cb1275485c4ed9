"""The four catalog queries and title lookup, as plain functions over a ``CatalogSnapshot``.

Inputs are already validated and canonical (lower-case platform, ints, floats); each function returns
the JSON body of its route or raises ``NotFound``. numpy only: masks over ~23k rows take microseconds.
Answers are computed on the lake's lower-case text (the course's rules: ties, actors) and name titles and people as
the catalog wrote them; sentences name platforms by their display names.
"""

from __future__ import annotations

import numpy as np

from chalicelib.errors import NotFound
from reelrec.catalog_snapshot import CODES, CatalogSnapshot
from reelrec.schemas import PLATFORM_NAMES

MOVIE = CODES["kind"].index("movie")
# "min: the longest movie; season: the show with most seasons" (a tv special measured in minutes is not a movie)
KIND_OF_DURATION = {"min": "movie", "season": "tv show"}


def _mask(snap: CatalogSnapshot, platform: str | None = None, year: int | None = None) -> np.ndarray:
    """Rows of ``platform`` released in ``year`` (either may be None for any)."""
    mask = np.ones(len(snap), bool)
    if platform is not None:
        mask &= snap.platform == CODES["platform"].index(platform)
    if year is not None:
        mask &= snap.release_year == year
    return mask


def _where(platform: str | None, year: int | None) -> str:
    parts = [f"on {PLATFORM_NAMES[platform]}" if platform else "", f"released in {year}" if year is not None else ""]
    return " ".join(p for p in parts if p) or "in the catalog"


def get_max_duration(snap: CatalogSnapshot, year: int | None = None, platform: str | None = None,
                     duration_type: str = "min") -> dict:
    """The title with the largest duration of ``duration_type``; ties: smallest title, then smallest id."""
    kind = CODES["kind"].index(KIND_OF_DURATION[duration_type])
    rows = np.flatnonzero(_mask(snap, platform, year) & (snap.kind == kind)
                          & (snap.duration_type == CODES["duration_type"].index(duration_type)))
    if not len(rows):
        raise NotFound(f"no {KIND_OF_DURATION[duration_type]} measured in {duration_type} {_where(platform, year)}")
    durations = snap.duration_int[rows]
    longest = rows[durations == durations.max()]
    row = int(longest[np.argmin(snap.title_rank[longest])])
    return {
        "title": snap.display_title[row],
        "id": snap.ids[row].decode(),
        "platform": CODES["platform"][snap.platform[row]],
        "release_year": int(snap.release_year[row]) or None,
        "duration_int": int(snap.duration_int[row]),
        "duration_type": duration_type,
    }


def get_score_count(snap: CatalogSnapshot, platform: str, scored: float, year: int) -> dict:
    """How many movies of ``platform`` released in ``year`` have a mean score strictly above ``scored``.

    No movie of that platform and year at all is a 404; movies but none above ``scored`` is a count of 0."""
    mask = _mask(snap, platform, year) & (snap.kind == MOVIE)
    if not mask.any():
        raise NotFound(f"no movies {_where(platform, year)}")
    count = int(np.count_nonzero(snap.score_mean[mask] > scored))  # NaN (no ratings) is never above
    return {"platform": platform, "scored": scored, "year": year, "count": count}


def get_count_platform(snap: CatalogSnapshot, platform: str) -> dict:
    """How many movies (and tv shows) ``platform`` has."""
    kinds = snap.kind[_mask(snap, platform)]
    movies = int(np.count_nonzero(kinds == MOVIE))
    return {"platform": platform, "count": movies, "tv_shows": int(len(kinds) - movies)}


def get_actor(snap: CatalogSnapshot, platform: str, year: int) -> dict:
    """The cast member in most titles of ``platform`` released in ``year``; ties: alphabetical first."""
    platform_rows = np.flatnonzero(_mask(snap, platform))
    if len(platform_rows) and not _cast_sizes(snap, platform_rows).any():
        raise NotFound(f"the {PLATFORM_NAMES[platform]} catalog lists no cast at all")
    rows = np.flatnonzero(_mask(snap, platform, year))
    if not len(rows):
        raise NotFound(f"no titles {_where(platform, year)}")
    starts, lengths = snap.cast_indptr[rows], _cast_sizes(snap, rows)
    if not lengths.sum():
        raise NotFound(f"no cast listed for titles {_where(platform, year)}")
    # positions of every cast entry of these rows, without a Python loop
    offsets = np.repeat(starts - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
    actors = snap.cast_indices[offsets + np.arange(lengths.sum())]
    values, counts = np.unique(actors, return_counts=True)  # sorted: first max is alphabetical first
    best = int(np.argmax(counts))
    return {"platform": platform, "year": year, "actor": snap.actor_names[int(values[best])], "count": int(counts[best])}


def _cast_sizes(snap: CatalogSnapshot, rows: np.ndarray) -> np.ndarray:
    """Number of cast members of each row."""
    return snap.cast_indptr[rows + 1] - snap.cast_indptr[rows]


def question_defaults(snap: CatalogSnapshot, scored: float = 3.5) -> dict:
    """Starting values for the page's catalog questions that give an answer on this catalog (the page never opens on
    a question that answers zero or fails), and the platforms ``get_actor`` cannot answer for, with the reason."""
    platforms = CODES["platform"]
    good = (snap.kind == MOVIE) & (snap.score_mean > scored) & (snap.release_year > 0)
    pair = snap.platform.astype(np.int64) * 10_000 + snap.release_year
    values, counts = np.unique(pair[good], return_counts=True)
    score = None
    if len(values):
        best = int(values[np.argmax(counts)])  # the most movies above ``scored``; ties: first platform, earliest year
        score = {"platform": platforms[best // 10_000], "year": best % 10_000, "scored": scored}
    listed = _cast_sizes(snap, np.arange(len(snap))) > 0
    no_cast = {p: f"the {PLATFORM_NAMES[p]} catalog lists no cast" for i, p in enumerate(platforms)
               if (snap.platform == i).any() and not listed[snap.platform == i].any()}
    actor = None
    with_cast = listed & (snap.release_year > 0)
    if score is not None and score["platform"] not in no_cast:  # the same service as the question above, if it can
        with_cast &= snap.platform == platforms.index(score["platform"])
    if with_cast.any():
        values, counts = np.unique(pair[with_cast], return_counts=True)
        best = int(values[np.argmax(counts)])  # the year with most titles that list their cast
        actor = {"platform": platforms[best // 10_000], "year": best % 10_000}
    return {"get_score_count": score, "get_actor": actor, "get_actor_unavailable": no_cast}


def get_title(snap: CatalogSnapshot, title_id: str, platforms: tuple[str, ...] | None = None) -> dict:
    """One title as people read it, with its score and where the work can be watched (on ``platforms`` only,
    when given)."""
    row = snap.row_of(title_id)
    if row is None:
        raise NotFound(f"no title with id {title_id!r}")
    return snap.record(row, platforms)
