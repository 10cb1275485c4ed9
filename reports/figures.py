"""The report's figures, drawn with matplotlib (Agg, no display) from the sections' numbers, as base64 PNG."""

from __future__ import annotations

import base64
import io
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")

import matplotlib.colors  # noqa: E402
import matplotlib.ticker  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

COLORS = {"amazon": "#00a8e1", "disney": "#113ccf", "hulu": "#1ab36b", "netflix": "#e50914", "unknown": "#888888"}
STYLE = {
    "font.size": 9, "axes.titlesize": 10, "axes.titleweight": "bold", "axes.spines.top": False,
    "axes.spines.right": False, "axes.grid": True, "grid.color": "#e5e5e5", "grid.linewidth": 0.6,
    "axes.axisbelow": True, "legend.frameon": False, "text.parse_math": False, "figure.dpi": 100,
}
# box plots lie down with orientation= from matplotlib 3.10 on (vert= before, deprecated since)
HORIZONTAL = ({"orientation": "horizontal"} if tuple(int(x) for x in matplotlib.__version__.split(".")[:2]) >= (3, 10)
              else {"vert": False})
MISSING_CMAP = matplotlib.colors.LinearSegmentedColormap.from_list(
    "missing", ["#ffffff", "#fdd0bc", "#f4694a", "#b11218", "#67000d"])  # white = nothing missing
TOP_GENRES = 12  # genres shown at each end of the mean-score chart


@dataclass
class Chart:
    """One rendered figure: where it goes, its caption and the PNG as base64."""

    section: str
    caption: str
    png: str


def _color(platform: str) -> str:
    return COLORS.get(platform, "#666666")


def _short(text: str, n: int = 30) -> str:
    """A label cut to ``n`` characters."""
    return text if len(text) <= n else text[: n - 1] + "\u2026"


def _png(fig: Figure) -> str:
    """The figure as base64 PNG (no software or date metadata, so reruns give the same bytes)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight", metadata={"Software": None})
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _thousands(ax: Axes, axis: str = "y", ticks: int = 6) -> None:
    """Plain tick labels with thousands separators (also on log axes: no math text), at most ~``ticks`` of them."""
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    if target.get_scale() == "log":
        target.set_minor_formatter(matplotlib.ticker.NullFormatter())
    else:
        target.set_major_locator(matplotlib.ticker.MaxNLocator(ticks, integer=True))


# -- catalog ----------------------------------------------------------------------------------
def catalog_types(c: dict) -> Figure:
    """Grouped bars: titles per platform and type."""
    plats = list(c["titles_by_type"])
    types = sorted({t for v in c["titles_by_type"].values() for t in v})
    fig = Figure(figsize=(6.4, 3.2))
    ax = fig.subplots()
    width = 0.8 / max(len(types), 1)
    for i, t in enumerate(types):
        vals = [c["titles_by_type"][p].get(t, 0) for p in plats]
        bars = ax.bar(np.arange(len(plats)) + (i - (len(types) - 1) / 2) * width, vals, width, label=t,
                      color=["#4c72b0", "#dd8452", "#55a868"][i % 3])
        ax.bar_label(bars, labels=[f"{v:,}" for v in vals], fontsize=8, padding=2)
    ax.set_xticks(np.arange(len(plats)), plats)
    ax.set_ylabel("titles")
    _thousands(ax)
    ax.set_title("Titles per platform and type")
    ax.legend()
    ax.margins(y=0.12)
    return fig


def catalog_years(c: dict) -> Figure:
    """Titles per release year, by platform and by type."""
    fig = Figure(figsize=(11, 3.4))
    a1, a2 = fig.subplots(1, 2, sharey=False)
    for p, series in c["titles_by_release_year"].items():
        a1.plot([int(y) for y in series], list(series.values()), color=_color(p), label=p, lw=1.2)
    for t, series in c["titles_by_release_year_and_type"].items():
        a2.plot([int(y) for y in series], list(series.values()), label=t, lw=1.2)
    for ax, title in ((a1, "Titles per release year, by platform"), (a2, "Titles per release year, by type")):
        ax.set_title(title)
        ax.set_xlabel("release year")
        ax.set_ylabel("titles")
        ax.legend()
        _thousands(ax)
    return fig


# -- durations --------------------------------------------------------------------------------
def durations_box(d: dict) -> Figure | None:
    """Box plots per platform and type, whiskers at the outlier fences, outliers as dots."""
    units = [u for u in ("min", "season") if any(g["unit"] == u for g in d["groups"])]
    if not units:
        return None
    fig = Figure(figsize=(11, 3.6))
    axes = np.atleast_1d(fig.subplots(1, len(units)))
    for ax, unit in zip(axes, units, strict=True):
        groups = [g for g in d["groups"] if g["unit"] == unit]
        several_types = len({g["type"] for g in groups}) > 1
        stats = [{"med": g["median"], "q1": g["q1"], "q3": g["q3"], "whislo": g["whisker_low"],
                  "whishi": g["whisker_high"], "fliers": g["outlier_values"],
                  "label": g["platform"] + (f"\n{g['type']}" if several_types else "")} for g in groups]
        boxes = ax.bxp(stats, **HORIZONTAL, patch_artist=True, widths=0.6,
                       flierprops={"marker": "o", "markersize": 3, "markerfacecolor": "#c44e52",
                                   "markeredgecolor": "none", "alpha": 0.7})
        for patch, g in zip(boxes["boxes"], groups, strict=True):
            patch.set_facecolor(_color(g["platform"]))
            patch.set_alpha(0.45)
        ax.invert_yaxis()
        kind = "movies and specials" if unit == "min" else "series"
        ax.set_title(f"Duration of {kind} ({'minutes' if unit == 'min' else 'seasons'})")
        ax.set_xlabel("minutes" if unit == "min" else "seasons")
    return fig


def durations_hist(d: dict) -> Figure | None:
    """Share of each platform's titles per duration bin: movies in minutes, series in seasons."""
    movies = [g for g in d["groups"] if g["unit"] == "min" and g["type"] == "movie"]
    shows = [g for g in d["groups"] if g["unit"] == "season"]
    if not movies and not shows:
        return None
    fig = Figure(figsize=(11, 3.2))
    a1, a2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [3, 2]})
    for g in movies:
        labels, vals = list(g["histogram"]), np.array(list(g["histogram"].values()), float)
        a1.step(np.arange(len(labels)), 100 * vals / max(vals.sum(), 1), where="mid", color=_color(g["platform"]),
                label=g["platform"], lw=1.3)
        a1.set_xticks(np.arange(0, len(labels), 3), [labels[i].split("-")[0] for i in range(0, len(labels), 3)])
    a1.set_title("Movies: share of titles per 10-minute bin (300+ together)")
    a1.set_xlabel("minutes")
    a1.set_ylabel("% of the platform's movies")
    a1.legend()
    width = 0.8 / max(len(shows), 1)
    for i, g in enumerate(shows):
        labels, vals = list(g["histogram"]), np.array(list(g["histogram"].values()), float)
        a2.bar(np.arange(len(labels)) + (i - (len(shows) - 1) / 2) * width, 100 * vals / max(vals.sum(), 1), width,
               color=_color(g["platform"]), label=g["platform"])
        a2.set_xticks(np.arange(len(labels)), labels)
    a2.set_title("Series: share of titles per number of seasons")
    a2.set_xlabel("seasons")
    a2.set_ylabel("% of the platform's series")
    if shows:
        a2.legend()
    return fig


# -- missing values ---------------------------------------------------------------------------
def _heat(ax: Axes, table: dict[str, dict], title: str) -> None:
    """A columns x platforms heat map of the share missing, annotated in %."""
    plats = [p for p, v in table.items() if "error" not in v and v["rows"]]
    cols = list(dict.fromkeys(c for p in plats for c in table[p]["columns"]))
    grid = np.array([[100 * table[p]["columns"].get(c, 0) / table[p]["rows"] for p in plats] for c in cols])
    if grid.size == 0:
        ax.set_axis_off()
        return
    ax.imshow(grid, cmap=MISSING_CMAP, vmin=0, vmax=100, aspect="auto")
    ax.grid(False)
    ax.set_xticks(range(len(plats)), plats)
    ax.set_yticks(range(len(cols)), cols)
    ax.tick_params(length=0)
    for i in range(len(cols)):
        for j in range(len(plats)):
            v = grid[i, j]
            text = "" if v == 0 else ("<1%" if v < 1 else f"{v:.0f}%")
            ax.text(j, i, text, ha="center", va="center", fontsize=8, color="white" if v > 55 else "#222")
    ax.set_title(title)
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)


def missing_heatmap(m: dict) -> Figure:
    """Share of empty values per column and platform, raw catalogs next to the lake."""
    raw = m["raw"]["titles"]
    fig = Figure(figsize=(10, 4.6))
    if raw:
        a1, a2 = fig.subplots(1, 2)
        _heat(a1, raw, "Raw catalogs: empty values")
    else:
        a2 = fig.subplots()
    _heat(a2, m["lake"]["titles"], "Lake titles: nulls after the ETL")
    fig.subplots_adjust(wspace=0.45)
    return fig


# -- faults -----------------------------------------------------------------------------------
def faults_bars(f: dict) -> Figure | None:
    """Repairs by kind and quarantined rows by reason."""
    repairs = {k: sum(v.values()) for k, v in f["repairs"].items()}
    reasons = {f"{kind}: {r}": n for kind, v in f["quarantine_by_reason"].items() for r, n in v.items()}
    panels = [(t, d) for t, d in (("Values repaired (latest load of each input)", repairs),
                                  ("Rows quarantined, by reason", reasons)) if d]
    if not panels:
        return None
    fig = Figure(figsize=(11, 0.9 + 0.28 * max(len(d) for _, d in panels)))
    axes = np.atleast_1d(fig.subplots(1, len(panels)))
    for ax, (title, data) in zip(axes, panels, strict=True):
        items = sorted(data.items(), key=lambda kv: kv[1])
        bars = ax.barh([k for k, _ in items], [v for _, v in items], color="#8172b2")
        ax.bar_label(bars, labels=[f"{v:,}" for _, v in items], fontsize=8, padding=2)
        ax.set_title(title)
        ax.margins(x=0.15)
        _thousands(ax, "x")
    fig.subplots_adjust(wspace=0.6)
    return fig


# -- ratings ----------------------------------------------------------------------------------
def score_bars(r: dict) -> Figure | None:
    """Ratings per score value, and each platform's score mix."""
    if not r["score_counts"]:
        return None
    fig = Figure(figsize=(11, 3.2))
    a1, a2 = fig.subplots(1, 2)
    scores = [float(s) for s in r["score_counts"]]
    a1.bar(scores, list(r["score_counts"].values()), width=0.4, color="#4c72b0")
    a1.set_xticks(scores, [f"{s:g}" for s in scores])
    a1.set_title("Ratings per score")
    a1.set_xlabel("score")
    a1.set_ylabel("ratings")
    _thousands(a1)
    plats = [p for p in COLORS if p in r["score_counts_by_platform"] and p != "unknown"]
    width = 0.4 / max(len(plats), 1)
    for i, p in enumerate(plats):
        counts = r["score_counts_by_platform"][p]
        total = sum(counts.values())
        xs = np.array([float(s) for s in counts]) + (i - (len(plats) - 1) / 2) * width
        a2.bar(xs, [100 * v / total for v in counts.values()], width, color=_color(p), label=p)
    a2.set_xticks(scores, [f"{s:g}" for s in scores])
    a2.set_title("Score mix per platform")
    a2.set_xlabel("score")
    a2.set_ylabel("% of the platform's ratings")
    a2.legend()
    return fig


def long_tail(r: dict) -> Figure | None:
    """Log-log histograms of ratings per user and per title."""
    if not r["count"]:
        return None
    fig = Figure(figsize=(11, 3.2))
    for ax, key, what in zip(fig.subplots(1, 2), ("per_user", "per_title"), ("users", "titles"), strict=True):
        hist = [h for h in r[key]["histogram"] if h["count"]]
        ax.bar([h["from"] for h in hist], [h["count"] for h in hist], width=[h["to"] - h["from"] + 1 for h in hist],
               align="edge", color="#55a868", edgecolor="white")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel(f"ratings per {what[:-1]} (bins 1, 2-3, 4-7, ...)")
        ax.set_ylabel(what)
        t = r[key]
        verb = "give" if what == "users" else "receive"
        ax.set_title(f"Ratings per {what[:-1]}\nmedian {t['median']:g}; the top 10% of {what} {verb} "
                     f"{100 * t['top10_share']:.0f}% of ratings")
        _thousands(ax, "x")
        _thousands(ax, "y")
    return fig


def activity(r: dict) -> Figure | None:
    """Ratings per month, stacked by platform."""
    pm = r["per_month"]
    if not pm["months"]:
        return None
    fig = Figure(figsize=(11, 3.0))
    ax = fig.subplots()
    x = np.array(pm["months"], dtype="datetime64[M]").astype("datetime64[D]").astype(object)
    plats = list(pm["by_platform"])
    ax.stackplot(x, *[pm["by_platform"][p] for p in plats], labels=plats, colors=[_color(p) for p in plats],
                 alpha=0.8)
    ax.set_title("Ratings per month, by platform of the title")
    ax.set_ylabel("ratings")
    _thousands(ax)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig


# -- content ----------------------------------------------------------------------------------
def top_values(c: dict, label: str, what: str) -> Figure | None:
    """Top values of one list column, one panel per platform."""
    per = {p: v for p, v in c[label]["by_platform"].items()}
    if not any(per.values()):
        return None
    fig = Figure(figsize=(11, 5.6))
    axes = fig.subplots(2, 2).ravel()
    for ax, (p, items) in zip(axes, per.items(), strict=False):
        if not items:
            ax.text(0.5, 0.5, f"{p}: no {what} in the lake", ha="center", va="center", transform=ax.transAxes)
            ax.set_axis_off()
            continue
        items = items[::-1]
        bars = ax.barh([_short(i["name"]) for i in items], [i["titles"] for i in items], color=_color(p), alpha=0.8)
        ax.bar_label(bars, labels=[f"{i['titles']:,}" for i in items], fontsize=7, padding=2)
        ax.set_title(f"{p}: top {what}")
        ax.margins(x=0.15)
        _thousands(ax, "x")
    for ax in axes[len(per):]:
        ax.set_axis_off()
    fig.subplots_adjust(wspace=0.75, hspace=0.35)
    return fig


# -- taste ------------------------------------------------------------------------------------
def taste_genres(t: dict) -> Figure | None:
    """Mean score of the best and worst genres (with enough ratings)."""
    g = t["by_genre"]
    if not g:
        return None
    shown = g if len(g) <= 2 * TOP_GENRES else g[:TOP_GENRES] + g[-TOP_GENRES:]
    fig = Figure(figsize=(11, 0.8 + 0.22 * len(shown)))
    ax = fig.subplots()
    labels = [f"{_short(r['genre'], 34)} ({r['ratings']:,})" for r in shown][::-1]
    vals = [r["mean_score"] for r in shown][::-1]
    mean = t["mean_score"]
    colors = ["#55a868" if v >= mean else "#c44e52" for v in vals]
    ax.barh(labels, [v - mean for v in vals], left=mean, color=colors)  # bars start at the mean of all ratings
    ax.axvline(mean, color="#333", lw=1, label=f"mean of all ratings: {mean:.2f}")
    lo, hi = min(*vals, mean), max(*vals, mean)
    pad = max(0.05, (hi - lo) * 0.1)
    ax.set_xlim(max(0, lo - pad), min(5.05, hi + pad))
    ax.margins(y=0.01)
    what = "all genres" if len(shown) == len(g) else f"the {TOP_GENRES} best and {TOP_GENRES} worst of {len(g)} genres"
    ax.set_title(f"Mean score by genre, {what} with \u2265 {t['min_ratings']} ratings (ratings in brackets)")
    ax.set_xlabel("mean score")
    ax.legend(loc="lower right")
    return fig


def taste_decades(t: dict) -> Figure | None:
    """Mean score and number of ratings per release decade."""
    d = t["by_decade"]
    if not d:
        return None
    fig = Figure(figsize=(11, 3.0))
    a1, a2 = fig.subplots(1, 2)
    xs = [f"{r['decade']}s" for r in d]
    a1.plot(xs, [r["mean_score"] for r in d], marker="o", color="#4c72b0")
    a1.axhline(t["mean_score"], color="#333", ls="--", lw=1, label=f"all ratings: {t['mean_score']:.2f}")
    a1.set_title("Mean score by release decade")
    a1.set_ylabel("mean score")
    a1.legend(loc="best")
    a2.bar(xs, [r["ratings"] for r in d], color="#8c8c8c")
    _thousands(a2)
    a2.set_title("Ratings by release decade")
    a2.set_ylabel("ratings")
    for ax in (a1, a2):
        ax.tick_params(axis="x", labelrotation=45)
    fig.subplots_adjust(wspace=0.35)
    return fig


def make_charts(sections: dict[str, dict], say: Callable[[str], None] = lambda _: None) -> list[Chart]:
    """Every figure of the report, rendered; figures without data are left out."""
    s = sections
    specs: list[tuple[str, str, Callable[[], Figure | None]]] = [
        ("catalog", "Titles per platform and type.", lambda: catalog_types(s["catalog"])),
        ("catalog", "Titles per release year.", lambda: catalog_years(s["catalog"])),
        ("durations", "Durations per platform and type; whiskers end at the last value inside the outlier fences, "
                      "dots are outliers.", lambda: durations_box(s["durations"])),
        ("durations", "Duration distributions as a share of each platform's titles.",
         lambda: durations_hist(s["durations"])),
        ("missing", "Share of missing values per column (empty in the raw CSV, null in the lake).",
         lambda: missing_heatmap(s["missing"])),
        ("faults", "What the ETL repaired and set aside, summed over the latest load of each input.",
         lambda: faults_bars(s["faults"])),
        ("ratings", "Score distribution, overall and per platform.", lambda: score_bars(s["ratings"])),
        ("ratings", "The long tail: ratings per user and per title (log-log).", lambda: long_tail(s["ratings"])),
        ("ratings", "Activity over time.", lambda: activity(s["ratings"])),
        ("content", "Top genres per platform (titles).", lambda: top_values(s["content"], "genres", "genres")),
        ("content", "Top countries per platform (titles).",
         lambda: top_values(s["content"], "countries", "countries")),
        ("taste", "Mean score by genre: bars start at the mean of all ratings (green above it, red below).",
         lambda: taste_genres(s["taste"])),
        ("taste", "Mean score and ratings by release decade.", lambda: taste_decades(s["taste"])),
    ]
    charts = []
    with matplotlib.rc_context(STYLE), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=re.escape("Glyph") + ".*")
        for section, caption, draw in specs:
            fig = draw()
            if fig is not None:
                charts.append(Chart(section, caption, _png(fig)))
    say(f"  {len(charts)} figures drawn")
    return charts
