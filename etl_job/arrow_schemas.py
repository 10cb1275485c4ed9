"""pyarrow schemas built from the shared column contracts in ``reelrec.schemas``."""

import pyarrow as pa

from reelrec.schemas import QUARANTINE_FIELDS, RATING_FIELDS, TITLE_FIELDS

_TYPES = {
    "string": pa.string(),
    "int32": pa.int32(),
    "int64": pa.int64(),
    "float64": pa.float64(),
    "date32": pa.date32(),
    "bool": pa.bool_(),
}


def to_schema(fields: tuple[tuple[str, str], ...]) -> pa.Schema:
    """Turn ``(name, type name)`` pairs into a pyarrow schema."""
    return pa.schema([(name, _TYPES[kind]) for name, kind in fields])


TITLES = to_schema(TITLE_FIELDS)
RATINGS = to_schema(RATING_FIELDS)
QUARANTINE = to_schema(QUARANTINE_FIELDS)
