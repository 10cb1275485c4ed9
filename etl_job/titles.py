"""Cleaning one platform's catalog file into lake rows (see docs/etl.md for every rule)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from etl_job import arrow_schemas
from etl_job.csvread import arrow_error, check_columns, csv_options, read_header
from etl_job.errors import FileRejected
from etl_job.quarantine import Quarantine, first_reason
from etl_job.textclean import clean_text, display_list, display_text
from reelrec.schemas import (
    DEFAULT_RATING,
    DISPLAY_COLUMNS,
    MIN_RELEASE_YEAR,
    PLATFORM_LETTER,
    RAW_TITLE_COLUMNS,
    TITLE_TYPES,
)

DURATION_RE = r"^(?P<n>[0-9]{1,4}) ?(?P<unit>min|mins|season|seasons)$"
# Amazon's truncated or home-made codes, spelled the way the rest of its catalog spells them
RATING_FIXES = {"ages_18_": "18+", "ages_16_": "16+", "all_ages": "all", "not_rate": "not rated", "16": "16+"}
LIST_COLUMNS = ("director", "cast", "country", "listed_in")
TEXT_COLUMNS = ("title", "description")


@dataclass
class TitlesResult:
    """Clean rows, set-aside rows and what was repaired, for one catalog file."""

    table: pa.Table
    quarantine: Quarantine
    rows_read: int
    repairs: Counter = field(default_factory=Counter)
    ignored_columns: list[str] = field(default_factory=list)


def read_titles(path: Path, platform: str, source: str) -> TitlesResult:
    """Read and clean one catalog CSV; whole-file problems raise ``FileRejected``."""
    quarantine = Quarantine(source)
    header = read_header(path)
    extra = check_columns(header, RAW_TITLE_COLUMNS)
    read, parse, convert = csv_options(
        header, RAW_TITLE_COLUMNS, quarantine, multiline=True, block_size=1 << 24
    )
    try:
        raw = pacsv.read_csv(path, read_options=read, parse_options=parse, convert_options=convert)
    except pa.ArrowInvalid as exc:
        raise arrow_error(exc) from None
    rows_read = raw.num_rows + len(quarantine)
    if rows_read == 0:
        raise FileRejected("no data rows (header only)")
    table, repairs = clean_titles(raw, platform, quarantine)
    quarantine.check_share(rows_read)
    if table.num_rows == 0:  # never replace a published catalog with an empty one
        raise FileRejected(f"no usable rows: all {rows_read:,} were rejected ({dict(quarantine.counts)})")
    return TitlesResult(table, quarantine, rows_read, repairs, extra)


def _parse_date(text: pa.Array) -> pa.Array:
    """``month d, yyyy`` (already lower-cased and single-spaced) -> date; anything else -> null.

    strptime alone accepts 2-digit years and rolls impossible days over (february 30 -> march 2),
    so the shape is matched first and the parsed day must equal the written one.
    """
    parts = pc.extract_regex(text, r"^(?P<md>[a-z]+ (?P<day>[0-9]{1,2})), (?P<year>[0-9]{4})$")
    shaped = pc.binary_join_element_wise(pc.struct_field(parts, [0]), pc.struct_field(parts, [2]), ", ")
    stamp = pc.strptime(shaped, format="%B %d, %Y", unit="s", error_is_null=True)
    same_day = pc.equal(pc.day(stamp), pc.cast(pc.struct_field(parts, [1]), pa.int64()))
    return pc.cast(pc.if_else(pc.fill_null(same_day, False), stamp, None), pa.date32())


def _duration_parts(arr: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Split cleaned ``N min`` / ``N season(s)`` text into (int, 'min'|'season'); others -> nulls."""
    parts = pc.extract_regex(arr, DURATION_RE)
    number = pc.cast(pc.struct_field(parts, [0]), pa.int32())
    unit = pc.struct_field(parts, [1])
    unit = pc.if_else(pc.starts_with(unit, "season"), "season", pc.if_else(pc.is_valid(unit), "min", unit))
    return number, unit


def clean_titles(raw: pa.Table, platform: str, quarantine: Quarantine) -> tuple[pa.Table, Counter]:
    """Apply the title rules to raw text columns; rejected rows go to ``quarantine``."""
    marks: dict[str, pa.Array] = {}  # repair name -> rows it touched
    n = raw.num_rows
    col = {name: raw.column(name).combine_chunks() for name in RAW_TITLE_COLUMNS}

    show_id = clean_text(col["show_id"])
    kind = clean_text(col["type"])
    # what people read (case kept) beside the lake's lower-case matching form of the same text
    display = {c: display_list(col[c]) for c in LIST_COLUMNS}
    display.update({c: display_text(col[c]) for c in TEXT_COLUMNS})
    title = pc.utf8_lower(display["title"])
    rating = clean_text(col["rating"])
    duration = clean_text(col["duration"])

    # A duration sitting in the rating column (and none in duration) moves over; it is not a rating.
    rating_num, _ = _duration_parts(rating)
    shifted = pc.and_(pc.is_valid(rating_num), pc.is_null(duration))
    marks["duration_from_rating"] = shifted
    duration = pc.if_else(shifted, rating, duration)
    rating = pc.if_else(shifted, pa.scalar(None, pa.string()), rating)

    duration_int, duration_type = _duration_parts(duration)
    marks["duration_unparsed"] = pc.and_(pc.is_valid(duration), pc.is_null(duration_int))

    # A "movie" measured in seasons is a TV show labelled movie: the duration wins.
    mislabelled = pc.and_(pc.equal(kind, "movie"), pc.equal(duration_type, "season"))
    mislabelled = pc.fill_null(mislabelled, False)
    marks["movie_with_seasons"] = mislabelled
    kind = pc.if_else(mislabelled, "tv show", kind)

    fixed = pc.is_in(rating, value_set=pa.array(list(RATING_FIXES)))
    marks["rating_recoded"] = fixed
    for bad, good in RATING_FIXES.items():
        rating = pc.if_else(pc.equal(rating, bad), good, rating)
    defaulted = pc.is_null(rating)
    marks["rating_null_to_g"] = defaulted
    rating = pc.fill_null(rating, DEFAULT_RATING)

    date_text = clean_text(col["date_added"])
    date_added = _parse_date(date_text)
    marks["date_added_unparsed"] = pc.and_(pc.is_valid(date_text), pc.is_null(date_added))

    year_text = clean_text(col["release_year"])
    year_ok = pc.match_substring_regex(year_text, r"^[0-9]{4}$")
    year = pc.cast(pc.if_else(pc.fill_null(year_ok, False), year_text, pa.scalar(None, pa.string())), pa.int32())
    max_year = dt.date.today().year + 2
    year = pc.if_else(pc.and_(pc.greater_equal(year, MIN_RELEASE_YEAR), pc.less_equal(year, max_year)), year, None)
    marks["release_year_invalid"] = pc.and_(pc.is_valid(year_text), pc.is_null(year))

    duplicate = _repeats(show_id)
    reasons = first_reason(
        [
            (pc.is_null(show_id), "missing_show_id"),
            (duplicate, "duplicate_show_id"),
            (pc.invert(pc.is_in(kind, value_set=pa.array(TITLE_TYPES))), "unknown_type"),
            (pc.is_null(title), "missing_title"),
        ],
        n,
    )
    quarantine.add_rows(raw, reasons, list(RAW_TITLE_COLUMNS))

    cleaned = {
        "id": pc.binary_join_element_wise(PLATFORM_LETTER[platform], show_id, ""),
        "platform": pa.array([platform] * n, pa.string()),
        "show_id": show_id,
        "type": kind,
        "title": title,
        **{c: pc.utf8_lower(display[c]) for c in LIST_COLUMNS},
        "date_added": date_added,
        "release_year": year,
        "rating": rating,
        "rating_defaulted": defaulted,
        "duration_int": duration_int,
        "duration_type": duration_type,
        "description": pc.utf8_lower(display["description"]),
        **{DISPLAY_COLUMNS[c]: values for c, values in display.items()},
    }
    table = pa.table(cleaned).select(arrow_schemas.TITLES.names).cast(arrow_schemas.TITLES)
    keep = pc.is_null(reasons)
    repairs = Counter({name: pc.sum(pc.and_(mask, keep)).as_py() or 0 for name, mask in marks.items()})
    return table.filter(keep), repairs


def _repeats(ids: pa.Array) -> pa.Array:
    """True for every occurrence of a non-null value after its first (the first one is kept)."""
    seen: set[str] = set()
    out = []
    for value in ids.to_pylist():
        out.append(value is not None and value in seen)
        if value is not None:
            seen.add(value)
    return pa.array(out, pa.bool_())
