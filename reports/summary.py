"""The written summary at the top of the report: sentences computed from the other sections' numbers."""

from __future__ import annotations

LAKE_COLUMN = {"duration": "duration_int"}  # raw column -> the lake column its gaps end up in


def _pct(part: float, whole: float) -> str:
    """A share as a short percentage."""
    if not whole:
        return "0%"
    share = 100 * part / whole
    return f"{share:.0f}%" if share >= 10 or share == 0 else f"{share:.1f}%"


def _catalog(c: dict) -> str:
    parts = []
    for p, n in c["titles_by_platform"].items():
        movies = c["titles_by_type"][p].get("movie", 0)
        parts.append(f"{p} {n:,} ({_pct(movies, n)} movies)")
    years = ""
    if c["release_year_median"] is not None:
        years = (f" Release years run from {c['release_year_min']} to {c['release_year_max']}; half the titles came out "
                 f"in {c['release_year_median']:.0f} or later.")
    return f"The lake holds {c['total']:,} titles on {len(parts)} platforms: {', '.join(parts)}.{years}"


def _durations(d: dict) -> str | None:
    movies = [g for g in d["groups"] if g["unit"] == "min" and g["type"] == "movie"]
    shows = [g for g in d["groups"] if g["unit"] == "season"]
    if not movies and not shows:
        return None
    text = []
    if movies:
        text.append("Median movie length: " + ", ".join(f"{g['platform']} {g['median']:.0f} min" for g in movies))
    if shows:
        text.append("median series: " + ", ".join(f"{g['platform']} {g['median']:g}" for g in shows)
                    + " season(s)")
    sentence = "; ".join(text) + "."
    if d["most_extreme"]:
        top = d["most_extreme"]
        unit = "min" if top["unit"] == "min" else "seasons"
        sentence += (f" {d['outliers_total']:,} durations lie outside the Q1/Q3 \u00b1 3\u00d7IQR fences of their "
                     f"platform and type; the most extreme is \u201c{top['title']}\u201d ({top['platform']} "
                     f"{top['type']}, {top['duration']:,} {unit}).")
    else:
        sentence += " No duration lies outside the Q1/Q3 \u00b1 3\u00d7IQR fences of its platform and type."
    return sentence


def _missing(m: dict) -> str | None:
    raw = [(v["columns"][c] / v["rows"], p, c) for p, v in m["raw"]["titles"].items() if "error" not in v
           and v["rows"] for c in v["columns"]]
    lake = [(n / v["rows"], p, c) for p, v in m["lake"]["titles"].items() if v["rows"]
            for c, n in v["columns"].items()]
    out = []
    if raw:
        worst = sorted(raw, key=lambda r: (-r[0], r[1], r[2]))[:3]
        full = sum(1 for r in raw if r[0] == 0)
        out.append("In the raw catalogs the emptiest columns are " + ", ".join(
            f"{p} {c} ({_pct(s, 1)})" for s, p, c in worst) + f"; {full} of {len(raw)} platform columns are complete.")
    elif m["raw"]["note"]:
        out.append(f"Missing values in the raw data were not measured ({m['raw']['note']}).")
    changes = []
    for p, v in m["raw"]["titles"].items():
        lake_cols = m["lake"]["titles"].get(p, {}).get("columns", {})
        for c, n in v.get("columns", {}).items():
            after = lake_cols.get(LAKE_COLUMN.get(c, c))
            if after is not None and after != n:
                changes.append((abs(after - n), p, c, n, after))
    if changes:
        top = sorted(changes, key=lambda r: (-r[0], r[1], r[2]))[:3]
        out.append(f"The ETL changes the number of gaps in {len(changes)} platform columns, most in " + ", ".join(
            f"{p} {c} ({n:,} \u2192 {after:,})" for _, p, c, n, after in top)
            + (" (quarantined rows also leave the lake)." if any(
                v.get("rows") != m["lake"]["titles"].get(p, {}).get("rows") for p, v in m["raw"]["titles"].items())
               else "."))
    elif lake:
        worst = sorted(lake, key=lambda r: (-r[0], r[1], r[2]))[:3]
        out.append("In the lake the most-null columns are " + ", ".join(
            f"{p} {c} ({_pct(s, 1)})" for s, p, c in worst) + ".")
    return " ".join(out) or None


def _faults(f: dict) -> str:
    reasons = {(k, r): n for k, v in f["quarantine_by_reason"].items() for r, n in v.items()}
    text = (f"The latest load of each input read {f['rows_read']:,} rows; the ETL repaired {f['repairs_total']:,} "
            f"values and quarantined {f['rows_quarantined']:,} rows ({_pct(f['rows_quarantined'], f['rows_read'])})")
    if f["repairs"]:
        name, per = next(iter(f["repairs"].items()))
        text += f"; the most frequent repair is {name} ({sum(per.values()):,})"
    if reasons:
        most = max(reasons.values())
        tied = sorted(k for k, n in reasons.items() if n == most)
        names = "; ".join(f"{kind}: " + ", ".join(r for k, r in tied if k == kind)
                          for kind in dict.fromkeys(k for k, _ in tied))
        text += (f" and the most frequent quarantine reason is {names} ({most:,} rows)" if len(tied) == 1 else
                 f"; {len(tied)} quarantine reasons tie for most frequent with {most:,} rows each ({names})")
    text += "."
    if not f["manifests_match_files"]:
        text += " Warning: the quarantine files do not hold the rows the manifests count."
    run = f.get("last_run") or {}
    if run.get("problems"):
        text += f" The last ETL run ({run['run_id']}) had {len(run['problems'])} input(s) failed, deferred or missing."
    return text


def _ratings(r: dict) -> list[str]:
    if not r["count"]:
        return ["The lake holds no ratings yet."]
    top_score = max(r["score_counts"], key=lambda s: (r["score_counts"][s], s))
    out = [f"{r['count']:,} ratings by {r['users']:,} users cover {r['titles_rated']:,} of {r['titles']:,} titles "
           f"({_pct(r['titles_rated'], r['titles'])}); the mean score is {r['mean_score']:.2f} and the most common score "
           f"is {float(top_score):g} ({_pct(r['score_counts'][top_score], r['count'])} of ratings)."]
    u, t = r["per_user"], r["per_title"]
    out.append(f"Activity is concentrated: the most active 10% of users gave {_pct(u['top10_share'], 1)} of the ratings "
               f"(median user: {u['median']:g} ratings, maximum {u['max']:,}) and the most-rated 10% of rated titles "
               f"received {_pct(t['top10_share'], 1)} (median title: {t['median']:g}, maximum {t['max']:,}).")
    months, total = r["per_month"]["months"], r["per_month"]["total"]
    if months:
        busiest = max(range(len(total)), key=lambda i: total[i])
        out.append(f"Ratings run from {months[0]} to {months[-1]}; the busiest month is {months[busiest]} "
                   f"with {total[busiest]:,} ratings.")
    if r["unknown_title"]:
        out.append(f"Warning: {r['unknown_title']:,} ratings name titles no longer in the catalog (rerun the ETL "
                   "with --full).")
    return out


def _content(c: dict) -> str | None:
    bits = []
    for label, what in (("genres", "genre"), ("countries", "country")):
        per = c[label]["by_platform"]
        tops = [f"{p} \u201c{v[0]['name']}\u201d ({v[0]['titles']:,})" for p, v in per.items() if v]
        if tops:
            bits.append(f"the top {what} is " + ", ".join(tops))
    cast = c["cast"]["overall"]
    text = ("By number of titles, " + "; ".join(bits) + ".") if bits else ""
    if cast:
        text += f" The busiest cast member is {cast[0]['name']} ({cast[0]['titles']} titles)."
    return text.strip() or None


def _taste(t: dict) -> str | None:
    out = []
    g = t["by_genre"]
    if len(g) >= 2:
        out.append(f"Among the {len(g)} genres with at least {t['min_ratings']} ratings, \u201c{g[0]['genre']}\u201d "
                   f"scores highest ({g[0]['mean_score']:.2f} over {g[0]['ratings']:,} ratings) and "
                   f"\u201c{g[-1]['genre']}\u201d lowest ({g[-1]['mean_score']:.2f} over {g[-1]['ratings']:,}).")
    d = t["by_decade"]
    if len(d) >= 2:
        hi = max(d, key=lambda r: r["mean_score"])
        lo = min(d, key=lambda r: r["mean_score"])
        busiest = max(d, key=lambda r: r["ratings"])
        out.append(f"By release decade, titles of the {hi['decade']}s score highest ({hi['mean_score']:.2f}) and of the "
                   f"{lo['decade']}s lowest ({lo['mean_score']:.2f}); the {busiest['decade']}s draw the most ratings "
                   f"({busiest['ratings']:,}).")
    return " ".join(out) or None


def findings(sections: dict) -> list[str]:
    """The summary sentences, in the order of the report's sections."""
    out = [_catalog(sections["catalog"]), _durations(sections["durations"]), _missing(sections["missing"]),
           _faults(sections["faults"]), *_ratings(sections["ratings"]), _content(sections["content"]),
           _taste(sections["taste"])]
    return [s for s in out if s]
