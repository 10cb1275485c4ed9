"""Hand-written raw inputs for tests: catalog and ratings CSV text built from a few fields."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from reelrec.schemas import RAW_RATING_COLUMNS, RAW_TITLE_COLUMNS

TITLE_DEFAULTS = {
    "show_id": "s1",
    "type": "Movie",
    "title": "A Title",
    "director": "Some One",
    "cast": "Actor A, Actor B",
    "country": "United States",
    "date_added": "September 25, 2021",
    "release_year": "2020",
    "rating": "PG",
    "duration": "90 min",
    "listed_in": "Dramas",
    "description": "Something happens.",
}


def titles_csv(*rows: dict, columns: tuple[str, ...] = RAW_TITLE_COLUMNS) -> str:
    """CSV text of catalog rows; each row overrides the defaults, show_ids default to s1, s2, ..."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for i, row in enumerate(rows, 1):
        full = {**TITLE_DEFAULTS, "show_id": f"s{i}", **row}
        writer.writerow([full.get(c, "") for c in columns])
    return out.getvalue()


def ratings_csv(*rows: tuple, columns: tuple[str, ...] = RAW_RATING_COLUMNS) -> str:
    """CSV text of ratings rows given as (userId, rating, timestamp, movieId) tuples."""
    lines = [",".join(columns)] + [",".join(str(v) for v in row) for row in rows]
    return "\n".join(lines) + "\n"


def write(folder: Path, key: str, text: str | bytes) -> Path:
    """Write one raw file under ``folder`` and return its path."""
    path = folder / key
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    return path
