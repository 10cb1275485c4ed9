"""Sections over the titles alone: catalog make-up, durations with their outliers, top list values."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from reelrec.schemas import PLATFORMS

OUTLIER_K = 3.0  # fences at Q1 - K*IQR and Q3 + K*IQR (Tukey's "far out" values)
MIN_IQR = 1.0  # IQR floor in the group's unit, so a group of mostly equal values (1 season) flags only real extremes
TOP_OUTLIERS = 5  # listed per platform, type and unit
TOP_N = 10
LIST_FIELDS = (("listed_in", "genres"), ("country", "countries"), ("director", "directors"), ("cast", "cast"))
OUTLIER_RULE = (f"per platform, type and unit: a duration is an outlier when it lies below Q1 - {OUTLIER_K:g} x IQR "
                f"or above Q3 + {OUTLIER_K:g} x IQR (quartiles by linear interpolation; the IQR is taken as at least "
                f"{MIN_IQR:g} unit, 1 minute or 1 season, so that a group where most titles have 1 season does not "
                "flag every longer series)")


def platforms_of(titles: pa.Table) -> list[str]:
    """Platforms present, in the usual order."""
    present = set(pc.unique(titles["platform"]).to_pylist())
    return [p for p in PLATFORMS if p in present] + sorted(p for p in present - set(PLATFORMS) if p)


def counts(table: pa.Table, keys: list[str]) -> list[dict]:
    """Rows per distinct combination of ``keys`` (nulls kept as None), as dicts with ``n``."""
    return table.group_by(keys).aggregate([([], "count_all")]).rename_columns([*keys, "n"]).to_pylist()


def catalog(titles: pa.Table) -> dict:
    """Titles per platform and type, and per release year (by platform and by type)."""
    plats = platforms_of(titles)
    by_type: dict[str, dict[str, int]] = {p: {} for p in plats}
    for r in sorted(counts(titles, ["platform", "type"]), key=lambda r: str(r["type"])):
        by_type[r["platform"]][str(r["type"])] = r["n"]
    by_year: dict[str, dict[str, int]] = {p: {} for p in plats}
    no_year = dict.fromkeys(plats, 0)
    for r in sorted(counts(titles, ["platform", "release_year"]), key=lambda r: r["release_year"] or 0):
        if r["release_year"] is None:
            no_year[r["platform"]] = r["n"]
        else:
            by_year[r["platform"]][str(r["release_year"])] = r["n"]
    by_year_type: dict[str, dict[str, int]] = {}
    for r in sorted(counts(titles.filter(pc.is_valid(titles["release_year"])), ["type", "release_year"]),
                    key=lambda r: r["release_year"]):
        by_year_type.setdefault(str(r["type"]), {})[str(r["release_year"])] = r["n"]
    years = titles["release_year"].drop_null().to_numpy()
    return {
        "total": titles.num_rows,
        "titles_by_platform": {p: sum(by_type[p].values()) for p in plats},
        "titles_by_type": by_type,
        "titles_by_release_year": by_year,
        "titles_by_release_year_and_type": by_year_type,
        "no_release_year": no_year,
        "release_year_min": int(years.min()) if len(years) else None,
        "release_year_max": int(years.max()) if len(years) else None,
        "release_year_median": float(np.median(years)) if len(years) else None,
    }


def _histogram(values: np.ndarray, unit: str) -> dict[str, int]:
    """Minutes in 10-minute bins (300+ together); seasons one by one (10+ together)."""
    if unit == "season":
        clipped = np.minimum(values, 10)
        return {(f"{v}" if v < 10 else "10+"): int((clipped == v).sum()) for v in range(1, 11)}
    clipped = np.minimum(values // 10 * 10, 300)
    return {(f"{v}-{v + 9}" if v < 300 else "300+"): int((clipped == v).sum()) for v in range(0, 301, 10)}


def durations(titles: pa.Table) -> dict:
    """Duration statistics per platform, type and unit, with outliers by the rule in ``OUTLIER_RULE``."""
    cols = ["id", "platform", "type", "title", "duration_int", "duration_type"]
    t = titles.select(cols).filter(pc.and_(pc.is_valid(titles["duration_int"]), pc.is_valid(titles["duration_type"])))
    groups, flagged = [], []
    keys = sorted(((r["platform"], r["type"], r["duration_type"]) for r in counts(t, cols[1:3] + ["duration_type"])),
                  key=lambda k: (k[2] != "min", platforms_of(titles).index(k[0]), str(k[1])))
    for platform, kind, unit in keys:
        g = t.filter(pc.and_(pc.and_(pc.equal(t["platform"], platform), pc.equal(t["type"], kind)),
                             pc.equal(t["duration_type"], unit)))
        v = g["duration_int"].to_numpy()
        q1, med, q3 = (float(x) for x in np.percentile(v, [25, 50, 75]))
        iqr = q3 - q1
        lo, hi = q1 - OUTLIER_K * max(iqr, MIN_IQR), q3 + OUTLIER_K * max(iqr, MIN_IQR)
        out = (v < lo) | (v > hi)
        groups.append({"platform": platform, "type": kind, "unit": unit, "count": len(v), "min": int(v.min()),
                       "q1": q1, "median": med, "q3": q3, "max": int(v.max()), "mean": round(float(v.mean()), 2),
                       "iqr": iqr, "low_fence": lo, "high_fence": hi, "whisker_low": int(v[~out].min()),
                       "whisker_high": int(v[~out].max()), "outliers": int(out.sum()),
                       "outlier_values": sorted(int(x) for x in v[out]), "histogram": _histogram(v, unit)})
        mine = []
        for row in g.filter(pa.array(out)).to_pylist():
            d = row["duration_int"]
            beyond = (d - q3) / max(iqr, MIN_IQR) if d > hi else (q1 - d) / max(iqr, MIN_IQR)
            mine.append({"id": row["id"], "platform": platform, "type": kind, "title": row["title"],
                         "duration": d, "unit": unit, "fence": hi if d > hi else lo,
                         "iqrs_beyond_quartile": round(beyond, 1)})
        flagged.append(sorted(mine, key=lambda r: (-r["iqrs_beyond_quartile"], r["id"])))
    no_duration = {p: n for p, n in ((r["platform"], r["n"]) for r in counts(
        titles.filter(pc.is_null(titles["duration_int"])), ["platform"]))}
    extreme = sorted((r for rows in flagged for r in rows), key=lambda r: (-r["iqrs_beyond_quartile"], r["id"]))
    return {"rule": OUTLIER_RULE, "groups": groups, "outliers_total": len(extreme),
            "most_extreme": extreme[0] if extreme else None,
            "top_outliers": [r for rows in flagged for r in rows[:TOP_OUTLIERS]], "no_duration": no_duration}


def explode(titles: pa.Table, column: str) -> pa.Table:
    """(row, item) for every item of a ``", "``-separated list column; each item once per title."""
    lists = pc.split_pattern(titles[column].combine_chunks(), ", ")
    pairs = pa.table({"row": pc.list_parent_indices(lists), "item": pc.list_flatten(lists)})
    pairs = pairs.filter(pc.not_equal(pairs["item"], ""))
    return pairs.group_by(["row", "item"]).aggregate([])


def _top(pairs: pa.Table, n: int) -> list[dict]:
    """The ``n`` most frequent items by number of titles (ties by name)."""
    rows = counts(pairs, ["item"])
    rows.sort(key=lambda r: (-r["n"], r["item"]))
    return [{"name": r["item"], "titles": r["n"]} for r in rows[:n]]


def content(titles: pa.Table) -> dict:
    """Top genres, countries, directors and cast members per platform and overall (by number of titles)."""
    plats = platforms_of(titles)
    platform_of_row = titles["platform"].combine_chunks()
    out: dict = {"top_n": TOP_N}
    for column, label in LIST_FIELDS:
        pairs = explode(titles, column)
        plat = pc.take(platform_of_row, pairs["row"])
        per = {p: _top(pairs.filter(pc.equal(plat, p)), TOP_N) for p in plats}
        distinct = {p: len(pc.unique(pairs.filter(pc.equal(plat, p))["item"])) for p in plats}
        out[label] = {"column": column, "by_platform": per, "overall": _top(pairs, TOP_N), "distinct": distinct}
    return out
