"""Sections over the ratings: scores, the long tail of users and titles, activity, and taste by content."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from reelrec.schemas import PLATFORMS
from reports.catalog import explode, platforms_of
from reports.ratings import RatingStats

MIN_RATINGS = 20  # a genre or decade needs this many ratings for its mean score to be shown
PLATFORM_NAMES = (*PLATFORMS, "unknown")


def _sum_by(table: pa.Table, key: str) -> pa.Table:
    """Sum ``n`` by one key column."""
    return table.group_by(key).aggregate([("n", "sum")]).rename_columns([key, "n"])


def long_tail(values: np.ndarray) -> dict:
    """Distribution of ratings per entity (users or titles with at least one): quantiles, concentration,
    and a histogram with doubling bins (1, 2-3, 4-7, ...) for log-log plots."""
    if len(values) == 0:
        return {"entities": 0, "histogram": []}
    desc = np.sort(values)[::-1]
    total = int(desc.sum())

    def top(frac: float) -> float:
        return round(float(desc[: max(1, math.ceil(frac * len(desc)))].sum() / total), 4)

    edges = 2 ** np.arange(0, int(np.log2(desc[0])) + 2)
    hist = np.histogram(desc, bins=edges)[0]
    return {"entities": len(desc), "ratings": total, "min": int(desc[-1]), "median": float(np.median(desc)),
            "mean": round(float(desc.mean()), 2), "p90": float(np.percentile(desc, 90)), "max": int(desc[0]),
            "top1_share": top(0.01), "top10_share": top(0.10), "top20_share": top(0.20),
            "histogram": [{"from": int(a), "to": int(b) - 1, "count": int(c)}
                          for a, b, c in zip(edges[:-1], edges[1:], hist, strict=True)]}


def _month_label(m: int) -> str:
    """Months since 1970-01 -> ``YYYY-MM``."""
    return f"{1970 + m // 12:04d}-{m % 12 + 1:02d}"


def ratings(titles: pa.Table, stats: RatingStats) -> dict:
    """Score distribution, per-platform figures, ratings per user and per title, and ratings per month."""
    plats = platforms_of(titles)
    base = {"rows": stats.rows, "files": stats.files, "incomplete": stats.incomplete,
            "unknown_title": stats.unknown_title}
    if stats.score_platform is None or stats.score_platform.num_rows == 0:
        return {**base, "count": 0, "users": 0, "titles_rated": 0, "mean_score": None, "score_counts": {},
                "score_counts_by_platform": {}, "by_platform": {}, "per_user": long_tail(np.zeros(0)),
                "per_title": long_tail(np.zeros(0)), "per_month": {"months": [], "total": [], "by_platform": {}}}
    sp = stats.score_platform.to_pydict()
    score_counts: dict[float, int] = {}
    by_plat_scores: dict[str, dict[str, int]] = {}
    for p, s, n in sorted(zip(sp["p"], sp["score"], sp["n"], strict=True), key=lambda r: r[1]):
        score_counts[s] = score_counts.get(s, 0) + n
        by_plat_scores.setdefault(PLATFORM_NAMES[p], {})[str(float(s))] = n
    count = sum(score_counts.values())
    users_total = _sum_by(stats.user_platform, "u")["n"].to_numpy()
    users_per_plat = dict(zip(*[c.to_pylist() for c in
                                stats.user_platform.group_by("p").aggregate([([], "count_all")]).columns],
                              strict=True))
    plat_rows = pc.index_in(titles["platform"], pa.array(PLATFORMS)).to_numpy(zero_copy_only=False)
    by_platform = {}
    for code, p in enumerate(PLATFORM_NAMES):
        if p not in plats and not (p == "unknown" and stats.unknown_title):
            continue
        rows = plat_rows == code
        n = int(stats.title_count[rows].sum()) if p != "unknown" else stats.unknown_title
        by_platform[p] = {
            "ratings": n, "users": int(users_per_plat.get(code, 0)),
            "titles": int(rows.sum()), "titles_rated": int((stats.title_count[rows] > 0).sum()),
            "mean_score": round(float(stats.title_sum[rows].sum() / n), 4) if n and p != "unknown" else None,
        }
    months = stats.month_platform["month"].to_numpy()
    m0, m1 = int(months.min()), int(months.max())
    series = np.zeros((len(PLATFORM_NAMES), m1 - m0 + 1), np.int64)
    mpp = stats.month_platform.to_pydict()
    for p, m, n in zip(mpp["p"], mpp["month"], mpp["n"], strict=True):
        series[p, m - m0] += n
    return {
        **base, "count": count, "users": len(users_total),
        "titles_rated": int((stats.title_count > 0).sum()), "titles": titles.num_rows,
        "mean_score": round(sum(s * n for s, n in score_counts.items()) / count, 4),
        "score_counts": {str(float(s)): n for s, n in score_counts.items()},
        "score_counts_by_platform": by_plat_scores,
        "by_platform": by_platform,
        "per_user": long_tail(users_total),
        "per_title": {**long_tail(stats.title_count[stats.title_count > 0]),
                      "unrated_titles": int((stats.title_count == 0).sum())},
        "per_month": {"months": [_month_label(m) for m in range(m0, m1 + 1)], "total": series.sum(0).tolist(),
                      "by_platform": {PLATFORM_NAMES[i]: series[i].tolist() for i in range(len(PLATFORM_NAMES))
                                      if series[i].any()}},
    }


def _means(keys: pa.Array | np.ndarray, cnt: np.ndarray, sums: np.ndarray) -> dict:
    """Ratings, rated titles and mean score per key (one row per title and key)."""
    table = pa.table({"k": keys, "n": cnt, "s": sums, "rated": (cnt > 0).astype(np.int64)})
    agg = table.group_by("k").aggregate([("n", "sum"), ("s", "sum"), ("rated", "sum")]).to_pydict()
    return {k: {"ratings": n, "titles": r, "mean_score": round(s / n, 4) if n else None}
            for k, n, s, r in zip(agg["k"], agg["n_sum"], agg["s_sum"], agg["rated_sum"], strict=True)}


def taste(titles: pa.Table, stats: RatingStats) -> dict:
    """Mean score (every rating counts once) by genre and by release decade; groups under MIN_RATINGS left out."""
    cnt, sums = stats.title_count, stats.title_sum
    pairs = explode(titles, "listed_in")
    rows = pairs["row"].to_numpy()
    genres = _means(pairs["item"], cnt[rows], sums[rows])
    years = pc.fill_null(titles["release_year"], -1).to_numpy()
    has = years >= 0
    decades = _means(years[has] // 10 * 10, cnt[has], sums[has])
    by_genre = sorted(({"genre": str(k), **v} for k, v in genres.items() if v["ratings"] >= MIN_RATINGS),
                      key=lambda r: (-r["mean_score"], r["genre"]))
    by_decade = [{"decade": int(k), **v} for k, v in sorted(decades.items()) if v["ratings"] >= MIN_RATINGS]
    total = int(cnt.sum())
    return {"min_ratings": MIN_RATINGS, "mean_score": round(float(sums.sum() / total), 4) if total else None,
            "by_genre": by_genre, "genres_left_out": sum(v["ratings"] < MIN_RATINGS for v in genres.values()),
            "by_decade": by_decade, "decades_left_out": sum(v["ratings"] < MIN_RATINGS for v in decades.values())}
