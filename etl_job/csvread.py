"""Opening raw CSV files: whole-file checks (encoding, header) with messages naming the problem."""

from __future__ import annotations

import codecs
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from etl_job.errors import FileRejected
from etl_job.quarantine import Quarantine

SNIFF_BYTES = 1 << 16


def read_header(path: Path) -> list[str]:
    """The header's column names; rejects empty, binary and non-UTF-8 files."""
    with open(path, "rb") as fh:
        head = fh.read(SNIFF_BYTES)
    if not head.strip():
        raise FileRejected("empty file")
    if b"\x00" in head:
        raise FileRejected("not CSV text (binary data)")
    head = head.removeprefix(codecs.BOM_UTF8)
    first = head.split(b"\n", 1)[0].rstrip(b"\r")
    if b"\r" in first:  # no line feed before a carriage return: the whole file would read as one header line
        raise FileRejected("line ends are CR only (classic Mac OS): save the file with LF or CRLF line ends")
    try:
        text = first.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FileRejected(f"not UTF-8 text (bad byte at offset {exc.start} of the header)") from None
    return [name.strip().strip('"').strip() for name in text.split(",")]


def check_columns(found: list[str], expected: tuple[str, ...]) -> list[str]:
    """Fail when an expected column is missing; return the extra columns that will be ignored."""
    lowered = [c.lower() for c in found]
    missing = [c for c in expected if c.lower() not in lowered]
    extra = [c for c in found if c.lower() not in {e.lower() for e in expected}]
    if missing:
        detail = f"missing column(s) {', '.join(missing)}"
        if extra:
            detail += f"; found unexpected {_short(', '.join(extra))} (renamed?)"
        raise FileRejected(f"{detail}; expected header {','.join(expected)}")
    if len(set(lowered)) != len(lowered):
        raise FileRejected(f"duplicate column names in header {_short(','.join(found))}")
    return extra


def _short(text: str, limit: int = 120) -> str:
    """Keep messages readable when a header is really a whole file (CR-only line ends, say)."""
    return text if len(text) <= limit else text[:limit] + f"... ({len(text):,} characters)"


def csv_options(
    found: list[str], expected: tuple[str, ...], quarantine: Quarantine, *, multiline: bool, block_size: int
) -> tuple[pacsv.ReadOptions, pacsv.ParseOptions, pacsv.ConvertOptions]:
    """Options that read every column as text under its canonical name and quarantine bad rows.

    Single-threaded reading keeps physical line numbers for malformed rows and measured no slower.
    """
    canonical = {e.lower(): e for e in expected}
    names = [canonical.get(c.lower(), c) for c in found]
    read = pacsv.ReadOptions(
        column_names=names, skip_rows=1, block_size=block_size, use_threads=False
    )
    # Catalogs quote fields that hold commas and line breaks; ratings never do, so their quotes are
    # not interpreted (one stray quote would otherwise swallow every row up to the next one).
    parse = pacsv.ParseOptions(
        newlines_in_values=multiline, quote_char='"' if multiline else False, invalid_row_handler=quarantine.handler
    )
    convert = pacsv.ConvertOptions(
        column_types={n: pa.string() for n in names}, include_columns=list(expected), strings_can_be_null=False
    )
    return read, parse, convert


def arrow_error(exc: Exception) -> FileRejected:
    """Turn a pyarrow parse error into a file rejection that says what was wrong."""
    msg = str(exc).splitlines()[0]
    if "UTF8" in msg or "utf8" in msg.lower():
        return FileRejected(f"not UTF-8 text ({msg})")
    return FileRejected(f"not readable as CSV ({msg})")
