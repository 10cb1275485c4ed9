"""Reference ETL in plain pandas: the same rules as ``etl_job``, written the way most teams would.

It reads each raw file whole with the C parser (``dtype=str``), applies the catalog and ratings
rules with vectorised ``.str`` methods, ``pd.to_numeric(errors="coerce")`` and ``.isin``, and writes
the lake files ``etl_job`` writes (``titles/<platform>.parquet``, ``ratings/<name>.parquet``,
``quarantine/<kind>/<name>.parquet``). No S3, manifests, state or duplicate-content detection.

``pd.read_csv`` pads rows with too few fields with empty strings, so catalogs (small) are read with
the standard ``csv`` module to set aside rows with the wrong number of fields as ``malformed``.
Ratings use the C parser with ``on_bad_lines="warn"``: rows with too many fields are skipped and
quarantined as ``malformed`` (line number, no text); rows with too few fields are padded and then
fail a value rule (an empty ``movieId`` is ``unknown_title_id``). See docs/benchmarks.md.

Usage: ``python benchmarks/pandas_etl.py --raw DIR --lake DIR``
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import re
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from reelrec.schemas import (
    DEFAULT_RATING,
    MIN_RELEASE_YEAR,
    PLATFORM_FILES,
    PLATFORM_LETTER,
    QUARANTINE_FIELDS,
    RATING_FIELDS,
    RAW_RATING_COLUMNS,
    RAW_TITLE_COLUMNS,
    SCORE_MAX,
    SCORE_MIN,
    TITLE_FIELDS,
    TITLE_TYPES,
)

TYPES = {"bool": pa.bool_(), "string": pa.string(), "int32": pa.int32(), "int64": pa.int64(), "float64": pa.float64(),
         "date32": pa.date32()}
TITLES_SCHEMA = pa.schema([(n, TYPES[t]) for n, t in TITLE_FIELDS])
RATINGS_SCHEMA = pa.schema([(n, TYPES[t]) for n, t in RATING_FIELDS])
QUARANTINE_SCHEMA = pa.schema([(n, TYPES[t]) for n, t in QUARANTINE_FIELDS])

INVISIBLE = "[\u200b\u200c\u200d\u2060\ufeff]"
DURATION_RE = r"^(?P<n>[0-9]{1,4}) ?(?P<unit>min|mins|season|seasons)$"
DURATION_UNITS = {"min": "min", "mins": "min", "season": "season", "seasons": "season"}
RATING_FIXES = {"ages_18_": "18+", "ages_16_": "16+", "all_ages": "all", "not_rate": "not rated", "16": "16+"}
LIST_COLUMNS = ("director", "cast", "country", "listed_in")
TITLE_REASONS = ("missing_show_id", "duplicate_show_id", "unknown_type", "missing_title")
RATING_REASONS = ("bad_user_id", "bad_score", "score_out_of_range", "bad_timestamp",
                  "timestamp_out_of_range", "unknown_title_id")
FUTURE_SLACK_S = 86_400
SKIPPED_RE = re.compile(r"Skipping line (\d+)")


def read_ratings_csv(path: Path) -> tuple[pd.DataFrame, dict[int, str | None]]:
    """The whole file as text (C parser); rows with too many fields are skipped and reported by line."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", pd.errors.ParserWarning)
        df = pd.read_csv(path, dtype=str, keep_default_na=False, index_col=False, on_bad_lines="warn")
    return df, {int(n): None for w in caught for n in SKIPPED_RE.findall(str(w.message))}


def read_titles_csv(path: Path) -> tuple[pd.DataFrame, dict[int, str | None]]:
    """The whole file as text (csv module); rows with the wrong number of fields are set aside by line."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if header is None:
            raise ValueError("empty file")
        rows, bad = [], {}
        for row in reader:
            if len(row) == len(header):
                rows.append(row)
            elif row:
                bad[reader.line_num] = json.dumps(row, ensure_ascii=False)
    return pd.DataFrame(rows, columns=header, dtype="str"), bad


def read_raw(path: Path, expected: tuple[str, ...]) -> tuple[pd.DataFrame, dict[int, str | None]]:
    """Read a whole raw file as text under canonical column names; also returns the malformed lines."""
    df, skipped = (read_titles_csv if expected == RAW_TITLE_COLUMNS else read_ratings_csv)(path)
    canonical = {e.lower(): e for e in expected}
    df = df.rename(columns=lambda c: canonical.get(str(c).strip().lower(), c))
    missing = [c for c in expected if c not in df.columns]
    if missing:
        raise ValueError(f"missing column(s) {', '.join(missing)}")
    if df.empty and not skipped:
        raise ValueError("no data rows (header only)")
    return df[list(expected)], skipped


def quarantine_frame(source: str, raw: pd.DataFrame, reasons: pd.Series, skipped: dict[int, str | None]
                     ) -> pd.DataFrame:
    """Rejected rows as (source, line, reason, record JSON); malformed lines first, by line number."""
    records = [json.dumps(r, ensure_ascii=False) for r in raw.to_dict("records")]
    rows = pd.DataFrame({"source": source, "line": None, "reason": reasons.to_numpy(), "record": records})
    bad = pd.DataFrame({"source": source, "line": list(skipped), "reason": "malformed",
                        "record": list(skipped.values())})
    return pd.concat([bad, rows], ignore_index=True) if skipped else rows


def write_parquet(df: pd.DataFrame, path: Path, schema: pa.Schema) -> None:
    """Write ``df`` with the lake schema (zstd, as etl_job does)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_parquet(path, engine="pyarrow", schema=schema, index=False, compression="zstd")


def clean_text(s: pd.Series) -> pd.Series:
    """Lower-case, drop invisible characters, fold white space to one space, trim; '' -> missing."""
    s = s.str.replace(INVISIBLE, "", regex=True).str.replace(r"\s+", " ", regex=True).str.strip().str.lower()
    return s.mask(s == "")


def clean_list(s: pd.Series) -> pd.Series:
    """Clean a comma-separated list: items trimmed, empty items dropped, joined with ', '."""
    s = clean_text(s).str.replace(r"\s*(,\s*)+", ", ", regex=True).str.replace(r"^[\s,]+|[\s,]+$", "", regex=True)
    return s.mask(s == "")


def duration_parts(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Split ``N min`` / ``N season(s)`` into (number, 'min'|'season'); anything else -> missing."""
    parts = s.str.extract(DURATION_RE)
    return pd.to_numeric(parts["n"]).astype("Int32"), parts["unit"].map(DURATION_UNITS)


def clean_titles(raw: pd.DataFrame, platform: str) -> tuple[pd.DataFrame, pd.Series]:
    """Apply the catalog rules; returns every cleaned row and its rejection reason (missing = keep)."""
    show_id, kind, title = clean_text(raw["show_id"]), clean_text(raw["type"]), clean_text(raw["title"])
    rating, duration = clean_text(raw["rating"]), clean_text(raw["duration"])

    rating_num, _ = duration_parts(rating)
    shifted = rating_num.notna() & duration.isna()  # a duration in the rating column moves over
    duration, rating = duration.mask(shifted, rating), rating.mask(shifted)
    duration_int, duration_type = duration_parts(duration)
    kind = kind.mask((kind == "movie") & (duration_type == "season"), "tv show")
    rating = rating.replace(RATING_FIXES)
    defaulted = rating.isna()
    rating = rating.fillna(DEFAULT_RATING)

    date_added = pd.to_datetime(clean_text(raw["date_added"]), format="%B %d, %Y", errors="coerce")
    year_text = clean_text(raw["release_year"])
    year = pd.to_numeric(year_text.where(year_text.str.fullmatch("[0-9]{4}", na=False)), errors="coerce")
    year = year.where(year.between(MIN_RELEASE_YEAR, dt.date.today().year + 2)).astype("Int32")

    conditions = [show_id.isna(), show_id.duplicated() & show_id.notna(), ~kind.isin(TITLE_TYPES), title.isna()]
    reasons = pd.Series(np.select(conditions, TITLE_REASONS, default=None), index=raw.index)
    table = pd.DataFrame({
        "id": PLATFORM_LETTER[platform] + show_id,
        "platform": platform,
        "show_id": show_id,
        "type": kind,
        "title": title,
        **{c: clean_list(raw[c]) for c in LIST_COLUMNS},
        "date_added": date_added,
        "release_year": year,
        "rating": rating,
        "rating_defaulted": defaulted,
        "duration_int": duration_int,
        "duration_type": duration_type,
        "description": clean_text(raw["description"]),
    })
    return table, reasons


def parse_int(s: pd.Series) -> pd.Series:
    """Text -> number, missing unless it is a whole number that fits in int64."""
    num = pd.to_numeric(s, errors="coerce")
    return num.where((num % 1 == 0) & (num.abs() < 2**63))


def clean_ratings(raw: pd.DataFrame, title_ids: pd.Index, now: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Apply the ratings rules; returns the kept rows and, per raw row, a reason code (0 = kept)."""
    user = parse_int(raw["userId"])
    score = pd.to_numeric(raw["rating"], errors="coerce")
    ts = parse_int(raw["timestamp"])
    title = raw["movieId"].str.strip().str.lower()
    conditions = [
        ~(user > 0),
        score.isna(),
        ~score.between(SCORE_MIN, SCORE_MAX),
        ts.isna(),
        ~ts.between(0, now),
        ~title.isin(title_ids),
    ]
    code = np.select([c.to_numpy() for c in conditions], range(1, len(conditions) + 1), default=0)
    keep = code == 0
    good = pd.DataFrame({
        "user_id": user[keep].astype("int64"),
        "title_id": title[keep],
        "score": score[keep],
        "timestamp": ts[keep].astype("int64"),
        "date": pd.to_datetime(ts[keep], unit="s"),
    })
    return good, code


def run(raw_dir: Path, lake: Path) -> dict[str, int]:
    """Clean every catalog then every ratings file of ``raw_dir`` into ``lake``; returns row totals."""
    totals = {"rows_read": 0, "rows_written": 0, "rows_quarantined": 0, "failed": 0}

    def report(key: str, read: int, written: int, quarantined: int, started: float) -> None:
        totals["rows_read"] += read
        totals["rows_written"] += written
        totals["rows_quarantined"] += quarantined
        print(f"{key}: {read:,} rows read, {written:,} written, {quarantined:,} quarantined "
              f"({time.perf_counter() - started:.2f} s)", file=sys.stderr)

    def fail(key: str, exc: Exception) -> None:
        totals["failed"] += 1
        print(f"{key}: FAILED: {exc}", file=sys.stderr)

    ids: list[pd.Series] = []
    blocked = False
    for path in sorted((raw_dir / "titles").glob("*")):
        platform = PLATFORM_FILES.get(path.stem)
        if path.suffix.lower() != ".csv" or platform is None:
            continue
        key, started = f"titles/{path.name}", time.perf_counter()
        try:
            raw, skipped = read_raw(path, RAW_TITLE_COLUMNS)
        except ValueError as exc:
            fail(key, exc)
            blocked = True
            continue
        table, reasons = clean_titles(raw, platform)
        keep = reasons.isna()
        write_parquet(table[keep], lake / "titles" / f"{platform}.parquet", TITLES_SCHEMA)
        ids.append(table.loc[keep, "id"])
        q = quarantine_frame(key, raw[~keep], reasons[~keep], skipped)
        if len(q):
            write_parquet(q, lake / "quarantine" / "titles" / f"{path.stem}.parquet", QUARANTINE_SCHEMA)
        report(key, len(raw) + len(skipped), int(keep.sum()), len(q), started)

    if blocked or not ids:
        print("ratings: not loaded (catalog incomplete)", file=sys.stderr)
        return totals
    title_ids = pd.Index(pd.concat(ids, ignore_index=True))
    now = int(time.time()) + FUTURE_SLACK_S
    for path in sorted((raw_dir / "ratings").glob("*")):
        if path.suffix.lower() != ".csv":
            continue
        key, started = f"ratings/{path.name}", time.perf_counter()
        try:
            raw, skipped = read_raw(path, RAW_RATING_COLUMNS)
        except ValueError as exc:
            fail(key, exc)
            continue
        good, code = clean_ratings(raw, title_ids, now)
        write_parquet(good, lake / "ratings" / f"{path.stem}.parquet", RATINGS_SCHEMA)
        rejected = code > 0
        reasons = pd.Series(np.array(RATING_REASONS)[code[rejected] - 1])
        q = quarantine_frame(key, raw[rejected], reasons, skipped)
        if len(q):
            write_parquet(q, lake / "quarantine" / "ratings" / f"{path.stem}.parquet", QUARANTINE_SCHEMA)
        report(key, len(raw) + len(skipped), len(good), len(q), started)
    return totals


def main(argv: list[str] | None = None) -> int:
    """Parse flags, run, print one summary line; exit 1 when an input failed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw", required=True, type=Path, help="raw folder (titles/*.csv, ratings/*.csv)")
    parser.add_argument("--lake", required=True, type=Path, help="output folder")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    totals = run(args.raw, args.lake)
    print(f"pandas_etl: {totals['rows_read']:,} rows read, {totals['rows_written']:,} written, "
          f"{totals['rows_quarantined']:,} quarantined, {totals['failed']} failed inputs "
          f"in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return 1 if totals["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
