"""Rows set aside with their reason: collected while cleaning, written beside the lake."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from etl_job import arrow_schemas
from etl_job.errors import FileRejected

# A file whose rows are mostly rejected is broken as a whole (a header that does not match its rows,
# a catalog that is not loaded): it fails instead of filling the quarantine, which also bounds memory.
MAX_REJECT_SHARE = 0.5
MIN_REJECTS_TO_JUDGE = 100


class Quarantine:
    """Collects rejected rows of one input file, with counts per reason."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.counts: Counter[str] = Counter()
        self._lines: list[int | None] = []
        self._reasons: list[str] = []
        self._records: list[str] = []

    def __len__(self) -> int:
        return len(self._reasons)

    def add(self, reason: str, record: str, line: int | None = None) -> None:
        """Set aside one row; ``record`` is its raw text or a JSON object of its raw fields."""
        self.counts[reason] += 1
        self._lines.append(line)
        self._reasons.append(reason)
        self._records.append(record)

    def add_rows(self, table: pa.Table, reasons: pa.Array, columns: list[str]) -> None:
        """Set aside every row of ``table`` whose reason is not null, keeping its raw fields."""
        mask = pc.is_valid(reasons)
        if not pc.any(mask).as_py():
            return
        rows = table.select(columns).filter(mask).to_pylist()
        for reason, row in zip(reasons.filter(mask).to_pylist(), rows, strict=True):
            self.add(reason, json.dumps(row, ensure_ascii=False))

    def handler(self, row: Any) -> str:  # row: a pyarrow.csv.InvalidRow
        """pyarrow ``invalid_row_handler``: a row with the wrong number of fields is quarantined."""
        try:
            text = row.text
        except UnicodeDecodeError:  # the row's bytes are not UTF-8: keep what can be shown of them
            text = "(not UTF-8 text)"
        self.add("malformed", text, row.number)
        return "skip"

    def check_share(self, rows_seen: int) -> None:
        """Fail the file when more than half of at least 100 rows seen so far were rejected."""
        rejected = len(self)
        if rejected >= MIN_REJECTS_TO_JUDGE and rejected > MAX_REJECT_SHARE * rows_seen:
            top = ", ".join(f"{reason} {count:,}" for reason, count in self.counts.most_common(3))
            raise FileRejected(
                f"{rejected:,} of {rows_seen:,} rows rejected ({top}): the file looks broken as a whole"
            )

    def to_table(self) -> pa.Table:
        """The collected rows in the lake's quarantine schema."""
        return pa.table(
            {
                "source": [self.source] * len(self),
                "line": self._lines,
                "reason": self._reasons,
                "record": self._records,
            },
            schema=arrow_schemas.QUARANTINE,
        )


def first_reason(checks: list[tuple[pa.Array, str]], length: int) -> pa.Array:
    """Per row, the first reason whose mask is true (null where every check passes)."""
    reason = pa.nulls(length, pa.string())
    for mask, text in checks:
        hit = pc.and_(pc.fill_null(mask, True), pc.is_null(reason))
        reason = pc.if_else(hit, pa.scalar(text), reason)
    return reason
