"""Synthetic streaming catalogs: realistic columns, the real files' content quirks, injected row faults.

One call of :func:`generate_platform` builds one ``titles/<stem>.csv``: ``n`` titles ``s1..sn``
sorted by date_added (newest first, as in the originals), with the quirks of the real file scaled
by ``n / real_count`` (at least one of each kind), and, when ``faults`` is set, exactly one
malformed row, one row repeating an earlier show_id and one row with an unknown type.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
from dataclasses import dataclass, field

import numpy as np

from datagen import vocab
from datagen.quirks import C_COUNTRY, C_ID, C_TYPE, MOVIE, TV, Draws, Pool, apply_quirks
from datagen.vocab import PlatformSpec
from reelrec.audience import KIDS_SAFE, audience_code
from reelrec.schemas import PLATFORM_LETTER, RAW_TITLE_COLUMNS

UNKNOWN_TYPES = ("Movie Trailer", "Podcast", "Web Series")
STAR_SHARE = 0.7  # a title with a cast has one of its main theme's regular performers as its lead this often
STAR_TITLES = 6  # about this many titles per regular performer


@dataclass
class TitlesResult:
    """One generated catalog: the rows as written plus what ratings and the summary need."""

    platform: str
    key: str
    rows: list[list[str]]
    n_ids: int
    valid: int
    lake_ids: list[str]  # titles ratings may reference (excludes faulty rows and duplicated ids)
    theme_mask: np.ndarray  # int32 bit mask of vocab.THEMES per lake_ids entry
    is_movie: np.ndarray
    star: np.ndarray  # int32 per lake_ids entry: its lead, a regular performer of the platform (-1: none)
    release_year: np.ndarray  # int16 per lake_ids entry
    kid_safe: np.ndarray  # bool per lake_ids entry: rated for kids or families (as written, before the faults)
    added: np.ndarray  # int32 per lake_ids entry: the date_added ordinal drawn for it (also when the CSV omits it)
    faults: dict[str, int] = field(default_factory=dict)
    repairs: dict[str, int] = field(default_factory=dict)
    quirks: dict[str, int] = field(default_factory=dict)


def _person(d: Draws) -> str:
    """Return a made-up person name."""
    return f"{d.pick(vocab.FIRST_NAMES)} {d.pick(vocab.LAST_NAMES)}"


def _title(d: Draws) -> str:
    """Return a made-up title from one of a few common title shapes."""
    shape = d.int(10)
    adj, noun, noun2 = d.pick(vocab.TITLE_ADJ), d.pick(vocab.TITLE_NOUN), d.pick(vocab.TITLE_NOUN)
    if shape == 0:
        return f"The {adj} {noun}"
    if shape == 1:
        return f"{adj} {noun}"
    if shape == 2:
        return f"{noun} of the {noun2}"
    if shape == 3:
        return f"{d.pick(vocab.FIRST_NAMES)}'s {noun}"
    if shape == 4:
        return f"{adj} {noun}: {d.pick(vocab.TITLE_SUB)}"
    if shape == 5:
        return f"{noun} {2 + d.int(4)}"
    if shape == 6:
        return f"{d.pick(vocab.TITLE_VERB)} {noun2}"
    if shape == 7:
        return f"The {noun} and the {noun2}"
    if shape == 8:
        return f"{adj} {noun}s"
    return f"{d.pick(vocab.FIRST_NAMES)} {d.pick(vocab.LAST_NAMES)}: {adj} {noun}"


def _sentence(d: Draws, first: bool) -> str:
    """Return one description sentence."""
    if not first and d.chance(0.4):
        return d.pick(vocab.DESC_TAIL)
    opener = d.pick(vocab.DESC_OPEN)
    if not first:
        opener = f"{d.pick(vocab.DESC_LINK)} {opener[0].lower()}{opener[1:]}"
    return f"{opener} {d.pick(vocab.DESC_ROLE)} {d.pick(vocab.DESC_VERB)} {d.pick(vocab.DESC_PLACE)}."


def _theme_sentence(d: Draws, theme: int) -> str:
    """Return a short sentence in the words of one theme (real synopses say what kind of title they are)."""
    words = vocab.THEME_WORDS[vocab.THEMES[theme]]
    a, b, c = (words[d.int(len(words))] for _ in range(3))
    return f"A story of {a}, {b} and {c}." if len({a, b, c}) == 3 else f"A story of {a} and {b}."


def _description(d: Draws, target: int, theme: int) -> str:
    """Return a description of roughly ``target`` characters made of whole sentences, one of them in the words of
    the title's main ``theme``."""
    parts = [_sentence(d, True), _theme_sentence(d, theme)]
    size = len(parts[0])
    while size < target - 12:
        parts.append(_sentence(d, False))
        size += len(parts[-1]) + 1
    if len(parts) > 1 and size > target + 25 and size - len(parts[-1]) - 1 >= 0.7 * target:
        parts.pop()
    return " ".join(parts)


def _fmt_date(day: dt.date) -> str:
    """Format a date the way the catalogs do: ``September 25, 2021``."""
    return f"{vocab.MONTHS[day.month - 1]} {day.day}, {day.year}"


def _dates(spec: PlatformSpec, n: int, rng: np.random.Generator) -> np.ndarray:
    """Return n date_added ordinals following the platform's date range, year mix and spikes."""
    lo, hi = (dt.date.fromisoformat(x).toordinal() for x in spec.date_range)
    if spec.date_year_weights:
        years = np.array(sorted(spec.date_year_weights))
        w = np.array([spec.date_year_weights[y] for y in years], dtype=float)
        year = rng.choice(years, n, p=w / w.sum())
        start = np.array([dt.date(int(y), 1, 1).toordinal() for y in years])
        first = dict(zip(years.tolist(), start.tolist(), strict=True))
        base = np.array([first[y] for y in year.tolist()])
        ords = np.clip(base + rng.integers(0, 365, n), lo, hi)
    else:
        ords = rng.integers(lo, hi + 1, n)
    if spec.first_of_month:
        fom = rng.random(n) < spec.first_of_month
        days = np.array([dt.date.fromordinal(int(o)).day for o in ords])
        ords = np.where(fom, np.maximum(ords - days + 1, lo), ords)
    if spec.date_spike:
        spike = rng.random(n) < spec.date_spike[1]
        ords = np.where(spike, dt.date.fromisoformat(spec.date_spike[0]).toordinal(), ords)
    return ords


def _years(spec: PlatformSpec, date_years: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Return release years skewed to recent ones, never after the year the title was added."""
    n = len(date_years)
    recent = 2021 - np.floor(rng.exponential(spec.year_scale, n)).astype(int)
    uniform = rng.integers(spec.year_min, 2022, n)
    years = np.where(rng.random(n) < spec.year_uniform, uniform, recent)
    return np.clip(np.minimum(years, date_years), spec.year_min, 2021)


def _minutes(spec: PlatformSpec, n: int, rng: np.random.Generator) -> np.ndarray:
    """Return movie runtimes: a main bell, some shorts and a few very long outliers."""
    main = np.round(rng.normal(*spec.minutes, n)).astype(int)
    short = rng.integers(3, 50, n)
    long = rng.integers(160, spec.long_max + 1, n)
    u = rng.random(n)
    out = np.where(u < spec.short_share, short, main)
    out = np.where(u > 1 - spec.long_share, long, out)
    return np.clip(out, 1, spec.long_max)


def _genres(spec: PlatformSpec, is_movie: np.ndarray, rng: np.random.Generator) -> tuple[list[str], np.ndarray]:
    """Return listed_in strings (1-3 genres, sorted) and theme bit masks, via Gumbel top-k sampling."""
    n = len(is_movie)
    names = [g[0] for g in spec.genres]
    theme_bit = np.array([1 << vocab.THEMES.index(g[3]) for g in spec.genres], dtype=np.int32)
    with np.errstate(divide="ignore"):
        lw_m = np.log(np.array([g[1] for g in spec.genres], dtype=float))
        lw_t = np.log(np.array([g[2] for g in spec.genres], dtype=float))
    keys = np.where(is_movie[:, None], lw_m, lw_t) + rng.gumbel(size=(n, len(names)))
    top = np.argsort(-keys, axis=1, kind="stable")[:, :3]
    k = rng.choice(3, n, p=spec.n_genres_p) + 1
    listed, masks = [], np.zeros(n, dtype=np.int32)
    for i in range(n):
        picks = top[i, : k[i]].tolist()
        listed.append(", ".join(sorted(names[j] for j in picks)))
        masks[i] = np.bitwise_or.reduce(theme_bit[picks])
    return listed, masks


def _main_themes(masks: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Return one theme per title, drawn uniformly among the themes of its genres."""
    bits = (masks[:, None] >> np.arange(len(vocab.THEMES))) & 1
    return np.argmax(bits * rng.random(bits.shape) + bits, axis=1)


def _regulars(themes: np.ndarray, d: Draws) -> tuple[list[list[str]], np.ndarray]:
    """Return each theme's regular performers (about one per ``STAR_TITLES`` titles of that theme) and the id of
    each theme's first regular (ids run over all themes)."""
    counts = np.bincount(themes, minlength=len(vocab.THEMES))
    pools = [[_person(d) for _ in range(max(2, round(c / STAR_TITLES)) if c else 0)] for c in counts.tolist()]
    first = np.concatenate([[0], np.cumsum([len(p) for p in pools])[:-1]]).astype(np.int64)
    return pools, first


def _codes(weights: dict[str, float], n: int, rng: np.random.Generator) -> list[str]:
    """Return n rating codes drawn from a weight table."""
    codes = list(weights)
    w = np.array([weights[c] for c in codes], dtype=float)
    return [codes[i] for i in rng.choice(len(codes), n, p=w / w.sum()).tolist()]


def _country(spec: PlatformSpec, d: Draws, cum: np.ndarray) -> str:
    """Return one country (``cum``: cumulative weights), or two or three joined for co-productions."""
    count = 1 + (d.chance(spec.multi_country) + d.chance(spec.multi_country / 3))
    out: list[str] = []
    while len(out) < count:
        c = vocab.COUNTRIES[int(np.searchsorted(cum, d.int(1 << 30) / (1 << 30) * cum[-1], side="right"))]
        if c not in out:
            out.append(c)
    return ", ".join(out)


def _base_columns(spec: PlatformSpec, n: int, rng: np.random.Generator) -> tuple[dict, np.ndarray]:
    """Return the clean columns of n titles (not yet sorted) and their date ordinals."""
    d = Draws(rng)
    is_movie = rng.random(n) < spec.movie_share
    listed, masks = _genres(spec, is_movie, rng)
    themes = _main_themes(masks, rng)
    pools, first_regular = _regulars(themes, d)
    star = np.full(n, -1, dtype=np.int32)
    ords = _dates(spec, n, rng)
    date_years = np.array([dt.date.fromordinal(int(o)).year for o in ords])
    years = _years(spec, date_years, rng)
    movie_codes = _codes(spec.ratings_movie, n, rng)
    tv_codes = _codes(spec.ratings_tv, n, rng)
    minutes = _minutes(spec, n, rng)
    seasons = np.minimum(rng.geometric(spec.p_one_season, n), 20)
    cast_n = np.clip(1 + rng.poisson(max(spec.cast_mean - 1, 0.0), n), 1, max(spec.cast_max, 1))
    if spec.desc_len[1] / spec.desc_len[0] > 0.3:
        sigma = float(np.sqrt(np.log1p((spec.desc_len[1] / spec.desc_len[0]) ** 2)))
        lengths = rng.lognormal(np.log(spec.desc_len[0]) - sigma**2 / 2, sigma, n)
    else:
        lengths = rng.normal(spec.desc_len[0], spec.desc_len[1], n)
    lengths = np.clip(lengths, spec.desc_len[2], spec.desc_len[3]).astype(int)
    cw = np.array([spec.countries_top.get(c, 0.0) for c in vocab.COUNTRIES])
    cw = np.cumsum(np.where(cw > 0, cw, 0.12 * cw.sum() / max(1, int((cw == 0).sum()))))
    empty = {c: rng.random(n) for c in ("director", "cast", "country", "date")}

    cols: dict[str, list] = {k: [] for k in RAW_TITLE_COLUMNS}
    seen: set[str] = set()
    for i in range(n):
        mv = bool(is_movie[i])
        t = 0 if mv else 1
        title = _title(d)
        for attempt in range(12):
            if title.lower() not in seen:
                break
            title = _title(d) if attempt < 3 else f"{_title(d)} {2 + d.int(attempt * 10)}"
        seen.add(title.lower())
        director = ""
        if empty["director"][i] >= spec.empty_director[t]:
            director = _person(d) + (", " + _person(d) if d.chance(spec.multi_director) else "")
        cast = ""
        if spec.cast_max and empty["cast"][i] >= spec.empty_cast[t]:
            people = [_person(d) for _ in range(int(cast_n[i]))]
            pool = pools[themes[i]]
            if d.chance(STAR_SHARE):
                j = d.int(len(pool))
                people = [pool[j], *(p for p in people[1:] if p != pool[j])]
                star[i] = first_regular[themes[i]] + j
            cast = ", ".join(people)
        country = _country(spec, d, cw) if empty["country"][i] >= spec.empty_country[t] else ""
        date = _fmt_date(dt.date.fromordinal(int(ords[i]))) if empty["date"][i] >= spec.empty_date[t] else ""
        seasons_i = int(seasons[i])
        cols["type"].append(MOVIE if mv else TV)
        cols["title"].append(title)
        cols["director"].append(director)
        cols["cast"].append(cast)
        cols["country"].append(country)
        cols["date_added"].append(date)
        cols["release_year"].append(str(int(years[i])))
        cols["rating"].append(movie_codes[i] if mv else tv_codes[i])
        cols["duration"].append(f"{minutes[i]} min" if mv else f"{seasons_i} Season{'s' if seasons_i > 1 else ''}")
        cols["listed_in"].append(listed[i])
        cols["description"].append(_description(d, int(lengths[i]), int(themes[i])))
    cols["_mask"] = masks.tolist()
    cols["_star"] = star.tolist()
    cols["_kid"] = [0 <= audience_code(cols["rating"][i]) <= KIDS_SAFE for i in range(n)]
    return cols, ords


def generate_platform(spec: PlatformSpec, n: int, rng: np.random.Generator, faults: bool = True) -> TitlesResult:
    """Build one platform catalog of ``n`` titles; exact fault and repair counts are recorded."""
    fraction = n / spec.real_count
    extra = 1 if faults else 0
    cols, ords = _base_columns(spec, n + extra, rng)
    order = np.lexsort((rng.random(n), -ords[:n])).tolist() + list(range(n, n + extra))
    names = list(RAW_TITLE_COLUMNS)
    rows = [[f"s{pos + 1}"] + [cols[c][i] for c in names[1:]] for pos, i in enumerate(order)]
    masks = [cols["_mask"][i] for i in order]
    extras = {c: [cols[c][i] for i in order] for c in ("_star", "_kid", "release_year")}
    d = Draws(rng)

    reserved: set[int] = set()
    mal = unk = dup_src = -1
    if faults:
        mal, unk, dup_src = (int(x) for x in rng.choice(max(n - 1, 3), 3, replace=False))
        reserved = {mal, unk, dup_src, n}
    pool = Pool(n, reserved, rng)
    quirks = apply_quirks(spec, rows, pool, d, fraction)

    fault_counts = {"malformed": 0, "duplicate_show_id": 0, "unknown_type": 0}
    excluded: set[int] = set()
    if faults:
        rows[unk][C_TYPE] = d.pick(UNKNOWN_TYPES)
        dup = rows.pop()  # the extra row: a different title that reuses an earlier show_id
        dup[C_ID] = rows[dup_src][C_ID]
        if d.chance(0.5):
            del rows[mal][C_COUNTRY]  # 11 fields
        else:
            rows[mal].append("")  # 13 fields: a stray trailing comma
        rows.insert(dup_src + 1 + d.int(n - dup_src), dup)
        fault_counts = {"malformed": 1, "duplicate_show_id": 1, "unknown_type": 1}
        excluded = {mal, unk, dup_src}
    letter = PLATFORM_LETTER[spec.name]
    keep = [i for i in range(n) if i not in excluded]
    seasons = quirks.get("seasons_in_rating", 0)
    return TitlesResult(
        platform=spec.name,
        key=f"titles/{spec.stem}.csv",
        rows=rows,
        n_ids=n,
        valid=n - (2 if faults else 0),
        lake_ids=[f"{letter}s{i + 1}" for i in keep],
        theme_mask=np.array([masks[i] for i in keep], dtype=np.int32),
        is_movie=np.array([cols["type"][order[i]] == MOVIE for i in keep]),
        star=np.array([extras["_star"][i] for i in keep], dtype=np.int32),
        release_year=np.array([int(extras["release_year"][i]) for i in keep], dtype=np.int16),
        kid_safe=np.array([extras["_kid"][i] for i in keep], dtype=bool),
        added=np.array([int(ords[order[i]]) for i in keep], dtype=np.int32),
        faults=fault_counts,
        repairs={"duration_from_rating": quirks.get("minutes_in_rating", 0) + seasons, "movie_with_seasons": seasons},
        quirks=quirks,
    )


def write_titles_csv(result: TitlesResult, path: str | os.PathLike) -> None:
    """Write the catalog as UTF-8, LF, RFC-4180 minimal quoting, with the real header."""
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(RAW_TITLE_COLUMNS)
        writer.writerows(result.rows)
