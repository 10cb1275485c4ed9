"""The benchmark's reference: the four catalog queries as most peers write them, a pandas filter per request.

Titles and each title's mean score are loaded into one DataFrame once; every call then filters it with boolean
masks (``df[(df.platform == p) & (df.release_year == y)]``). Same answers and ``NotFound`` cases as
``functions/chalicelib/queries.py``, so the benchmark can check the two agree on every call.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

ACTOR_NAMES: dict[str, str] = {}


class NotFound(Exception):
    """Nothing matches (the route's 404)."""


def load(lake: Path) -> pd.DataFrame:
    """The lake's titles (by id) with ``score`` (mean of their ratings, NaN without any). Answers name titles and
    people as the catalog wrote them, like the API: ``ACTOR_NAMES`` maps each lower-case cast name to its first
    spelling in id order (a module dict, not ``df.attrs``: pandas deep-copies attrs into every filtered frame)."""
    titles = pd.read_parquet(lake / "titles").sort_values("id", ignore_index=True)
    ratings = pd.read_parquet(lake / "ratings", columns=["title_id", "score"])
    scores = ratings.groupby("title_id")["score"].mean().rename("score")
    df = titles.merge(scores, left_on="id", right_index=True, how="left")
    pairs = pd.DataFrame({"cast": df["cast"].fillna("").str.split(","),
                          "shown": df["display_cast"].fillna("").str.split(",")}).explode(["cast", "shown"])
    pairs = pairs.assign(cast=pairs["cast"].str.strip(), shown=pairs["shown"].str.strip())
    pairs = pairs[pairs["cast"] != ""].drop_duplicates("cast")
    ACTOR_NAMES.clear()
    ACTOR_NAMES.update(zip(pairs["cast"], pairs["shown"], strict=True))
    return df


def get_max_duration(df: pd.DataFrame, year: int | None = None, platform: str | None = None,
                     duration_type: str = "min") -> dict:
    """The longest title of ``duration_type``; ties: smallest title, then smallest id."""
    kind = {"min": "movie", "season": "tv show"}[duration_type]
    sel = df[(df.duration_type == duration_type) & (df.type == kind)]
    if platform is not None:
        sel = sel[sel.platform == platform]
    if year is not None:
        sel = sel[sel.release_year == year]
    if sel.empty:
        raise NotFound(duration_type)
    best = sel[sel.duration_int == sel.duration_int.max()].sort_values(["title", "id"]).iloc[0]
    year_out = None if pd.isna(best["release_year"]) else int(best["release_year"])
    return {"title": best["display_title"], "id": best["id"], "platform": best["platform"], "release_year": year_out,
            "duration_int": int(best["duration_int"]), "duration_type": duration_type}


def get_score_count(df: pd.DataFrame, platform: str, scored: float, year: int) -> dict:
    """Movies of ``platform`` released in ``year`` whose mean score is strictly above ``scored``."""
    movies = df[(df.platform == platform) & (df.release_year == year) & (df.type == "movie")]
    if movies.empty:
        raise NotFound(f"no movies on {platform} released in {year}")
    return {"platform": platform, "scored": scored, "year": year, "count": int((movies.score > scored).sum())}


def get_count_platform(df: pd.DataFrame, platform: str) -> dict:
    """Movies (and tv shows) of ``platform``."""
    sel = df[df.platform == platform]
    movies = int((sel.type == "movie").sum())
    return {"platform": platform, "count": movies, "tv_shows": len(sel) - movies}


def get_actor(df: pd.DataFrame, platform: str, year: int) -> dict:
    """The cast member in most titles of ``platform`` released in ``year``; ties: alphabetical first."""
    on_platform = df[df.platform == platform]
    if on_platform["cast"].isna().all():
        raise NotFound(platform)
    sel = on_platform[on_platform.release_year == year]
    if sel.empty:
        raise NotFound(year)
    names = sel[["id", "cast"]].dropna().assign(cast=lambda d: d["cast"].str.split(",")).explode("cast")
    names["cast"] = names["cast"].str.strip()
    names = names[names["cast"] != ""].drop_duplicates()
    if names.empty:
        raise NotFound(year)
    counts = names["cast"].value_counts()
    actor = counts[counts == counts.max()].index.min()
    return {"platform": platform, "year": year, "actor": ACTOR_NAMES[actor], "count": int(counts[actor])}
