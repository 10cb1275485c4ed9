"""Cleaning one ratings file in bounded memory: CSV batches in, parquet row groups out."""

from __future__ import annotations

import codecs
import functools
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from etl_job import arrow_schemas
from etl_job.csvread import arrow_error, check_columns, csv_options, read_header
from etl_job.errors import FileRejected
from etl_job.quarantine import Quarantine, first_reason
from etl_job.serving import PartSummary
from reelrec.schemas import RAW_RATING_COLUMNS, SCORE_MAX, SCORE_MIN

BLOCK_SIZE = 16 << 20  # bytes of CSV per batch: ~600k ratings, a few tens of MiB in memory
# What a number may look like (signs, exponents, nan and inf included; no hex)
INT_RE = r"^\s*[+-]?[0-9]{1,18}\s*$"
FLOAT_RE = r"(?i)^\s*[+-]?(([0-9]+\.?[0-9]*|\.[0-9]+)(e[+-]?[0-9]+)?|inf|infinity|nan)\s*$"
EARLIEST_TIMESTAMP = 0  # 1970-01-01; later than "now" is rejected too
FUTURE_SLACK_S = 86_400


@dataclass
class RatingsResult:
    """Counts of one ratings file after cleaning (the rows themselves are in the parquet file)."""

    quarantine: Quarantine
    rows_read: int
    rows_written: int
    ignored_columns: list[str]


def _parse_text(arr: pa.Array, to: pa.DataType, pattern: str) -> pa.Array:
    """Text that matches ``pattern`` -> number (trimmed, a leading ``+`` dropped); anything else -> null."""
    ok = pc.fill_null(pc.match_substring_regex(arr, pattern), False)
    text = pc.replace_substring_regex(pc.utf8_trim_whitespace(arr), r"^\+", "")
    text = pc.if_else(ok, text, pa.scalar(None, pa.string()))
    try:
        return pc.cast(text, to)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # e.g. 1e999 or 19 digits: value by value
        return pa.array([_cast_one(v, to) for v in text.to_pylist()], to)


def _cast_one(value: str | None, to: pa.DataType) -> object:
    """One value cast like ``pc.cast``, or None where that fails."""
    try:
        return None if value is None else pc.cast(pa.array([value], pa.string()), to)[0].as_py()
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


def parse_int(arr: pa.Array) -> pa.Array:
    """Integers: plain digit strings take Arrow's cast; only the others go through the pattern.

    The cast alone is too lenient (it reads ``0x1`` as hex), so it is given only plain digits.
    """
    simple = pc.fill_null(pc.and_(pc.ascii_is_decimal(arr), pc.less_equal(pc.utf8_length(arr), 18)), False)
    if pc.all(simple).as_py():
        return pc.cast(arr, pa.int64())
    out = pc.cast(pc.if_else(simple, arr, pa.scalar(None, pa.string())), pa.int64())
    rest = pc.invert(simple)
    return pc.replace_with_mask(out, rest, _parse_text(arr.filter(rest), pa.int64(), INT_RE))


def parse_float(arr: pa.Array) -> pa.Array:
    """Scores: a batch holds a few dozen distinct texts, so each distinct text is parsed once."""
    encoded = pc.dictionary_encode(arr)
    return pc.take(_parse_text(encoded.dictionary, pa.float64(), FLOAT_RE), encoded.indices)


def _normalise_ids(title: pa.Array, title_ids: pa.Array) -> tuple[pa.Array, pa.Array]:
    """(ids, known mask): ids not found as they are get trimmed and lower-cased, then looked up again."""
    known = pc.is_in(title, value_set=title_ids)
    if pc.all(known).as_py():
        return title, known
    messy = pc.invert(known)
    fixed = pc.utf8_lower(pc.utf8_trim_whitespace(title.filter(messy)))
    return pc.replace_with_mask(title, messy, fixed), pc.replace_with_mask(
        known, messy, pc.is_in(fixed, value_set=title_ids)
    )


def _unquote(batch: pa.RecordBatch) -> pa.RecordBatch:
    """Ratings are read without quote handling (no field can hold a comma or a line break, and one
    stray quote must not swallow the rows after it); a pair of quotes around a value is dropped here."""
    columns = []
    for col in batch.columns:
        if pc.any(pc.match_substring(col, '"')).as_py():
            text = pc.utf8_trim_whitespace(col)
            quoted = pc.fill_null(pc.match_substring_regex(text, r'^".*"$'), False)
            col = pc.if_else(quoted, pc.utf8_slice_codeunits(text, 1, -1), col)
        columns.append(col)
    return pa.RecordBatch.from_arrays(columns, names=batch.schema.names)


def clean_batch(
    batch: pa.RecordBatch, title_ids: pa.Array, now: int, quarantine: Quarantine
) -> pa.RecordBatch:
    """Apply the rating rules to one batch of raw text columns; rejected rows go to ``quarantine``."""
    raw, batch = batch, _unquote(batch)
    user = parse_int(batch.column("userId"))
    score = parse_float(batch.column("rating"))
    ts = parse_int(batch.column("timestamp"))
    title, known = _normalise_ids(batch.column("movieId"), title_ids)
    checks = [
        (pc.invert(pc.greater(user, 0)), "bad_user_id"),
        (pc.or_(pc.is_null(score), pc.is_nan(score)), "bad_score"),
        (pc.invert(pc.and_(pc.greater_equal(score, SCORE_MIN), pc.less_equal(score, SCORE_MAX))),
         "score_out_of_range"),
        (pc.is_null(ts), "bad_timestamp"),
        (pc.invert(pc.and_(pc.greater_equal(ts, EARLIEST_TIMESTAMP), pc.less_equal(ts, now))),
         "timestamp_out_of_range"),
        (pc.invert(known), "unknown_title_id"),
    ]
    bad = functools.reduce(pc.or_, (pc.fill_null(mask, True) for mask, _ in checks))
    out = pa.RecordBatch.from_arrays(
        [user, title, score, ts, pc.cast(pc.cast(ts, pa.timestamp("s")), pa.date32())],
        schema=arrow_schemas.RATINGS,
    )
    if not pc.any(bad).as_py():
        return out
    rows = pc.indices_nonzero(bad)  # reasons are worked out for the few rejected rows only
    reasons = first_reason([(pc.take(mask, rows), why) for mask, why in checks], len(rows))
    quarantine.add_rows(pa.Table.from_batches([raw.take(rows)]), reasons, list(RAW_RATING_COLUMNS))
    return out.filter(pc.invert(bad))


def _valid_utf8(path: Path) -> bool:
    """Whether the whole file is UTF-8 (a streaming check, ~1 GB/s)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(1 << 22):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _replace_bad_bytes(path: Path, out: Path) -> Path:
    """A copy where bytes that are not UTF-8 become U+FFFD, so their rows are quarantined, not the file."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    with open(path, "rb") as src, open(out, "w", encoding="utf-8", newline="") as dst:
        while chunk := src.read(1 << 22):
            dst.write(decoder.decode(chunk))
        dst.write(decoder.decode(b"", final=True))
    return out


def clean_ratings(
    path: Path,
    out_path: Path,
    title_ids: pa.Array,
    source: str,
    progress: Callable[[int], None] = lambda rows: None,
    summary: PartSummary | None = None,
) -> RatingsResult:
    """Stream ``path`` through the rules into the parquet file ``out_path``; returns the counts.

    ``summary``, when given, sees every cleaned batch (score aggregates and the training input, in the same pass)."""
    quarantine = Quarantine(source)
    header = read_header(path)
    extra = check_columns(header, RAW_RATING_COLUMNS)
    copy = None if _valid_utf8(path) else _replace_bad_bytes(path, out_path.with_suffix(".utf8.csv"))
    try:
        return _stream(copy or path, out_path, title_ids, progress, summary, quarantine, header, extra)
    finally:
        if copy is not None:  # only ever the copy made above: never a raw file, whatever its name
            copy.unlink(missing_ok=True)


def _stream(path: Path, out_path: Path, title_ids: pa.Array, progress: Callable[[int], None],
            summary: PartSummary | None, quarantine: Quarantine, header: list[str], extra: list[str]) -> RatingsResult:
    """The batch loop of ``clean_ratings``."""
    read, parse, convert = csv_options(
        header, RAW_RATING_COLUMNS, quarantine, multiline=False, block_size=BLOCK_SIZE
    )
    now = int(time.time()) + FUTURE_SLACK_S
    written = seen = 0
    try:
        reader = pacsv.open_csv(path, read_options=read, parse_options=parse, convert_options=convert)
        # one row group in flight on a second thread: writing overlaps reading the next batch
        with (
            pq.ParquetWriter(out_path, arrow_schemas.RATINGS, compression="zstd", compression_level=1) as writer,
            ThreadPoolExecutor(1) as pool,
        ):
            pending: Future | None = None
            for batch in reader:
                seen += batch.num_rows
                good = clean_batch(batch, title_ids, now, quarantine)
                if summary is not None:
                    summary.add(good)
                if pending:
                    pending.result()
                pending = pool.submit(writer.write_batch, good)
                written += good.num_rows
                quarantine.check_share(seen + quarantine.counts["malformed"])
                progress(seen)
            if pending:
                pending.result()
    except pa.ArrowInvalid as exc:
        raise arrow_error(exc) from None
    rows_read = seen + quarantine.counts["malformed"]
    if rows_read == 0:
        raise FileRejected("no data rows (header only)")
    if written == 0 and rows_read >= 10:
        raise FileRejected(f"no usable rows: all {rows_read:,} were rejected ({dict(quarantine.counts)})")
    return RatingsResult(quarantine, rows_read, written, extra)
