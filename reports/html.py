"""Render the report as one self-contained HTML page: inline CSS, figures as data: URIs, no scripts."""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from reports import SECTIONS
from reports.catalog import TOP_OUTLIERS
from reports.figures import Chart

CSS = """
body{font:14px/1.45 -apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:#222;margin:0;
background:#f6f6f4}
main{max-width:1180px;margin:0 auto;padding:24px 32px 48px;background:#fff}
h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:36px 0 10px;padding-top:8px;border-top:2px solid #ddd}
h3{font-size:15px;margin:18px 0 6px}.meta{color:#666;font-size:12.5px;margin:0 0 12px}
nav{font-size:13px;margin:8px 0 4px}nav a{margin-right:14px;color:#2457a6;text-decoration:none}
.findings li{margin:4px 0}.note{color:#555;font-size:13px}.warn{color:#a33}
table{border-collapse:collapse;font-size:12.5px;margin:6px 0 12px}
th,td{padding:3px 9px;border-bottom:1px solid #e4e4e4;text-align:left;vertical-align:top}
th{background:#f0f0ee;font-weight:600}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
tr:nth-child(even) td{background:#fafaf8}figure{margin:10px 0 18px}
figure img{max-width:100%;height:auto;display:block}figcaption{font-size:12px;color:#666;margin-top:2px}
.cols{display:flex;flex-wrap:wrap;gap:18px}.cols>div{flex:1 1 250px;min-width:0}
details{margin:6px 0 12px}summary{cursor:pointer;color:#2457a6}
"""


FIGURES = "<!--figures-->"  # where a section body wants its figures (default: before the body)


def _num(v) -> str:
    """A number as text: thousands separators, at most 4 decimals; None as an em dash."""
    if v is None:
        return "\u2014"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        return f"{v:,.0f}" if v.is_integer() else f"{v:,.3f}" if abs(v) < 10 else f"{v:,.1f}"
    return escape(str(v))


def table(headers: list[str], rows: Iterable[list], numeric: set[int] | None = None) -> str:
    """An HTML table; columns in ``numeric`` (default: every cell holding a number) align right."""
    rows = list(rows)
    numeric = numeric if numeric is not None else {
        j for j in range(len(headers)) if rows and all(isinstance(r[j], int | float) or r[j] is None for r in rows)}
    head = "".join(f'<th class="n">{escape(h)}</th>' if j in numeric else f"<th>{escape(h)}</th>"
                   for j, h in enumerate(headers))
    body = "".join("<tr>" + "".join(f'<td class="n">{_num(c)}</td>' if j in numeric else f"<td>{_num(c)}</td>"
                                    for j, c in enumerate(r)) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _pct(n: int, whole: int) -> str:
    """``n (x%)``, or a dash for zero."""
    if not n:
        return "\u2014"
    if not whole:
        return f"{n:,}"
    share = 100 * n / whole
    return f"{n:,} ({share:.1f}%)" if share >= 0.1 else f"{n:,} (<0.1%)"


def _figures(charts: list[Chart], section: str) -> str:
    return "".join(f'<figure><img alt="{escape(c.caption)}" src="data:image/png;base64,{c.png}">'
                   f"<figcaption>{escape(c.caption)}</figcaption></figure>" for c in charts if c.section == section)


def _catalog(c: dict) -> str:
    types = sorted({t for v in c["titles_by_type"].values() for t in v})
    rows = [[p, *[c["titles_by_type"][p].get(t, 0) for t in types], c["titles_by_platform"][p], c["no_release_year"][p]]
            for p in c["titles_by_platform"]]
    rows.append(["all", *[sum(c["titles_by_type"][p].get(t, 0) for p in c["titles_by_platform"]) for t in types],
                 c["total"], sum(c["no_release_year"].values())])
    return table(["platform", *types, "titles", "no release year"], rows)


def _duration(n: int, unit: str) -> str:
    """``95 min``, ``1 season``, ``3 seasons``."""
    return f"{n:,} min" if unit == "min" else f"{n:,} {unit}" + ("" if n == 1 else "s")


def _durations(d: dict) -> str:
    rows = [[g["platform"], g["type"], g["unit"], g["count"], g["min"], g["q1"], g["median"], g["q3"], g["max"],
             g["low_fence"], g["high_fence"], g["outliers"]] for g in d["groups"]]
    top = [[o["platform"], o["type"], o["title"], o["id"], _duration(o["duration"], o["unit"]), o["fence"],
            f"{o['iqrs_beyond_quartile']:.1f}"] for o in d["top_outliers"]]
    none = ", ".join(f"{p} {n:,}" for p, n in d["no_duration"].items()) or "none"
    return (f'<p class="note"><b>Outlier rule:</b> {escape(d["rule"])}. Titles without a duration: {escape(none)}.</p>'
            + FIGURES + table(["platform", "type", "unit", "titles", "min", "Q1", "median", "Q3", "max", "low fence",
                     "high fence", "outliers"], rows)
            + f"<h3>Outliers: {d['outliers_total']:,} in all; the {TOP_OUTLIERS} furthest from their quartile per "
              "platform, type and unit</h3>"
            + (table(["platform", "type", "title", "id", "duration", "fence", "IQRs beyond"], top, {5, 6}) if top
               else "<p>None.</p>"))


def _missing(m: dict) -> str:
    out = []
    raw = m["raw"]
    if raw["note"]:
        out.append(f'<p class="note">Raw data: {escape(raw["note"])}</p>')
    for title, tables, is_raw in (("Raw catalogs (CSV, empty or blank values)", raw["titles"], True),
                                  ("Lake titles (nulls)", m["lake"]["titles"], False)):
        good = {p: v for p, v in tables.items() if "error" not in v}
        bad = {p: v["error"] for p, v in tables.items() if "error" in v}
        if good:
            cols = list(dict.fromkeys(c for v in good.values() for c in v["columns"]))
            rows = [[c, *[_pct(v["columns"].get(c, 0), v["rows"]) for v in good.values()]] for c in cols]
            rows.append(["rows", *[f"{v['rows']:,}" for v in good.values()]])
            if is_raw:
                rows.append(["malformed rows (not counted)", *[_pct(v["malformed"], v["rows"]) for v in good.values()]])
            out.append(f"<details><summary>{escape(title)}: counts per column</summary>"
                       + table(["column", *good], rows, set(range(1, len(good) + 1))) + "</details>")
        for p, err in bad.items():
            out.append(f'<p class="warn">{escape(p)}: not read ({escape(err)})</p>')
    rt = raw["ratings_total"]
    lake_r = m["lake"]["ratings"]
    if rt or lake_r["rows"]:
        out.append("<h3>Ratings</h3>")
    if rt:
        rows = [[c, _pct(n, rt["rows"])] for c, n in rt["columns"].items()]
        rows.append(["malformed rows (not counted)", _pct(rt["malformed"], rt["rows"])])
        out.append(f'<div class="cols"><div><p class="note">Raw: {rt["files"]} file(s), {rt["rows"]:,} rows</p>'
                   + table(["column", "empty"], rows, {1}) + "</div>")
    else:
        out.append('<div class="cols">')
    if lake_r["rows"]:
        rows = [[c, _pct(n, lake_r["rows"])] for c, n in lake_r["columns"].items()]
        out.append(f'<div><p class="note">Lake: {lake_r["rows"]:,} rows</p>' + table(["column", "nulls"], rows, {1})
                   + "</div>")
    out.append("</div>")
    for key, v in raw["ratings"].items():
        if "error" in v:
            out.append(f'<p class="warn">{escape(key)}: not read ({escape(v["error"])})</p>')
    return "".join(out)


def _faults(f: dict) -> str:
    runs = sorted({r["run_id"] for r in f["inputs"] if r["run_id"]})
    notes = any(r["note"] for r in f["inputs"])
    rows = []
    for r in f["inputs"]:
        reasons = ", ".join(f"{k} {v:,}" for k, v in r["quarantine"].items())
        repairs = ", ".join(f"{k} {v:,}" for k, v in r["repairs"].items())
        rows.append([r["key"], r["status"], r["rows_read"], r["rows_written"], r["rows_quarantined"], reasons,
                     repairs, *([r["run_id"] or ""] if len(runs) > 1 else []), *([r["note"] or ""] if notes else [])])
    match = ("The quarantine files hold exactly the rows the manifests count, reason by reason."
             if f["manifests_match_files"] else
             "Warning: the quarantine files and the manifests disagree: " + escape(str(f["quarantine_files"])))
    out = [f'<p class="note">Rows read {f["rows_read"]:,}, written {f["rows_written"]:,}, quarantined '
           f'{f["rows_quarantined"]:,} ({100 * f["quarantined_share"]:.2f}%); values repaired {f["repairs_total"]:,}. '
           f"{match}" + (f" Every input was last loaded by run {escape(runs[0])}." if len(runs) == 1 else "") + "</p>",
           table(["input", "status", "read", "written", "quarantined", "quarantine reasons", "repairs",
                  *(["loaded by run"] if len(runs) > 1 else []), *(["note"] if notes else [])], rows, {2, 3, 4})]
    run = f["last_run"]
    if run:
        out.append(f'<p class="note">Last ETL run {escape(str(run["run_id"]))} ({escape(str(run["started"]))}, '
                   f'{escape(str(run["status"]))}, {run["runs"]} run(s) recorded).</p>')
        for p in run["problems"]:
            out.append(f'<p class="warn">{escape(str(p["key"]))}: {escape(str(p["status"]))}: '
                       f'{escape(str(p["why"]))}</p>')
    return "".join(out)


def _ratings(r: dict) -> str:
    if not r["count"]:
        return "<p>No ratings in the lake.</p>"
    rows = [[p, v["ratings"], v["users"], v["titles"], v["titles_rated"], v["mean_score"]]
            for p, v in r["by_platform"].items()]
    rows.append(["all", r["count"], r["users"], r["titles"], r["titles_rated"], r["mean_score"]])
    tail = [[what, t["entities"], t["min"], t["median"], t["mean"], t["p90"], t["max"], f"{100 * t['top1_share']:.1f}%",
             f"{100 * t['top10_share']:.1f}%", f"{100 * t['top20_share']:.1f}%"]
            for what, t in (("users", r["per_user"]), ("rated titles", r["per_title"]))]
    notes = f'{r["per_title"]["unrated_titles"]:,} titles have no rating.'
    if r["unknown_title"]:
        notes += f' {r["unknown_title"]:,} ratings name titles that are not in the catalog.'
    return (table(["platform", "ratings", "users", "titles", "titles rated", "mean score"], rows)
            + "<h3>Ratings per user and per title</h3>"
            + table(["per", "count", "min", "median", "mean", "90th pct", "max", "top 1% share", "top 10% share",
                     "top 20% share"], tail, set(range(1, 10)))
            + f'<p class="note">{notes}</p>')


def _content(c: dict) -> str:
    out = []
    for label in ("directors", "cast"):
        per = c[label]["by_platform"]
        cols = "".join(
            f"<div><b>{escape(p)}</b> ({c[label]['distinct'][p]:,} distinct)"
            + (table(["name", "titles"], [[i["name"], i["titles"]] for i in items]) if items else "<p>none</p>")
            + "</div>" for p, items in per.items())
        out.append(f"<h3>Top {label} (titles)</h3><div class=\"cols\">{cols}</div>")
    for label in ("genres", "countries"):
        per = c[label]["by_platform"]
        cols = "".join(f"<div><b>{escape(p)}</b>" + table(["name", "titles"], [[i["name"], i["titles"]] for i in items])
                       + "</div>" for p, items in per.items() if items)
        out.append(f"<details><summary>Top {label} as tables</summary><div class=\"cols\">{cols}</div></details>")
    return "".join(out)


def _taste(t: dict) -> str:
    if not t["by_genre"] and not t["by_decade"]:
        return f"<p>No genre or decade has {t['min_ratings']} ratings yet.</p>"
    dec = [[f"{r['decade']}s", r["ratings"], r["titles"], r["mean_score"]] for r in t["by_decade"]]
    gen = [[r["genre"], r["ratings"], r["titles"], r["mean_score"]] for r in t["by_genre"]]
    return (f'<p class="note">Every rating counts once (a title with more ratings weighs more); a title counts in '
            f"each of its genres. Groups with fewer than {t['min_ratings']} ratings are left out "
            f"({t['genres_left_out']} genres, {t['decades_left_out']} decades).</p>"
            + '<div class="cols"><div><h3>By release decade</h3>'
            + table(["decade", "ratings", "titles rated", "mean score"], dec) + "</div><div><h3>By genre</h3>"
            + f"<details><summary>All {len(gen)} genres, best first</summary>"
            + table(["genre", "ratings", "titles rated", "mean score"], gen) + "</details></div></div>")


def render(report: dict, charts: list[Chart]) -> str:
    """The whole page."""
    s = report["sections"]
    bodies = {
        "summary": '<ul class="findings">' + "".join(f"<li>{escape(x)}</li>" for x in s["summary"]["findings"])
                   + "</ul>",
        "catalog": _catalog(s["catalog"]),
        "durations": _durations(s["durations"]),
        "missing": _missing(s["missing"]),
        "faults": _faults(s["faults"]),
        "ratings": _ratings(s["ratings"]),
        "content": _content(s["content"]),
        "taste": _taste(s["taste"]),
    }
    nav = "".join(f'<a href="#{sid}">{escape(title)}</a>' for sid, title in SECTIONS)
    parts = []
    for sid, title in SECTIONS:
        body = bodies[sid] if FIGURES in bodies[sid] else FIGURES + bodies[sid]
        parts.append(f'<section id="{sid}"><h2>{escape(title)}</h2>{body.replace(FIGURES, _figures(charts, sid))}'
                     "</section>")
    meta = (f"Lake {escape(report['lake'])} \u00b7 raw {escape(report['raw'] or 'not read')} \u00b7 generated "
            f"{escape(report['generated'])} in {report['seconds']:.1f} s")
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>reelrec EDA report {escape(report['run'])}</title><style>{CSS}</style></head><body><main>"
            f"<h1>reelrec: exploratory data analysis</h1><p class=\"meta\">{meta}</p><nav>{nav}</nav>"
            + "".join(parts) + "</main></body></html>\n")
