"""Empty values per column in the raw CSVs, read as text (empty or blank = missing), file by file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePosixPath

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pv

from reelrec import layout
from reelrec.schemas import PLATFORM_FILES
from reelrec.storage import Store, StoreError

BLOCK = 16 << 20


def _parse(quoted: bool, on_bad_row: Callable) -> pv.ParseOptions:
    """Titles are RFC 4180 CSV (quoted fields may hold line breaks); ratings never quote (as the ETL reads them)."""
    return pv.ParseOptions(newlines_in_values=quoted, quote_char='"' if quoted else False,
                           invalid_row_handler=on_bad_row)


def scan_csv(path, quoted: bool) -> dict:
    """Rows, rows with the wrong number of fields, and empty values per column of one CSV file."""
    bad = [0]

    def skip(_row) -> str:
        bad[0] += 1
        return "skip"

    # the header alone, from a small first block (a malformed row in it is skipped here and counted below)
    names = pv.open_csv(path, read_options=pv.ReadOptions(block_size=1 << 16),
                        parse_options=_parse(quoted, lambda _row: "skip")).schema.names
    reader = pv.open_csv(
        path,
        read_options=pv.ReadOptions(block_size=BLOCK),
        parse_options=_parse(quoted, skip),
        convert_options=pv.ConvertOptions(column_types={n: pa.string() for n in names}, strings_can_be_null=False,
                                          quoted_strings_can_be_null=False),
    )
    rows, empty = 0, dict.fromkeys(names, 0)
    for batch in reader:
        rows += batch.num_rows
        for name, col in zip(names, batch.columns, strict=True):
            empty[name] += int(pc.sum(pc.equal(pc.utf8_trim_whitespace(col), "")).as_py() or 0)
    return {"rows": rows, "malformed": bad[0], "columns": {n.lower().lstrip("\ufeff"): v for n, v in empty.items()}}


def scan_raw(raw: Store, say: Callable[[str], None] = lambda _: None) -> dict:
    """Per raw input (titles by platform, ratings by file): rows and empty values per column, or why not read."""
    out: dict[str, dict] = {"titles": {}, "ratings": {}}
    for kind, prefix in (("titles", layout.RAW_TITLES), ("ratings", layout.RAW_RATINGS)):
        for info in raw.list(prefix):
            name = PurePosixPath(info.key).name
            if not name.endswith(".csv") or name.startswith(".") or "/" in info.key[len(prefix):]:
                continue
            label = PLATFORM_FILES.get(layout.stem(info.key), info.key) if kind == "titles" else info.key
            try:
                with raw.local_copy(info.key) as path:
                    out[kind][label] = {"key": info.key, **scan_csv(path, quoted=kind == "titles")}
            except (pa.ArrowInvalid, StoreError, OSError, UnicodeDecodeError) as exc:
                out[kind][label] = {"key": info.key, "error": str(exc).splitlines()[0][:200]}
            say(f"  raw {info.key}: scanned")
    return out
