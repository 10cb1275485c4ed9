"""Vectorised text rules shared by every text column: lower case, trimmed, one space, no invisibles."""

import pyarrow as pa
import pyarrow.compute as pc

# zero-width characters and BOMs carry nothing a reader sees
_INVISIBLE = r"[\x{200b}\x{200c}\x{200d}\x{2060}\x{feff}]"
# any run of Unicode white space (tabs, newlines, NBSP, U+2028 ...) becomes one space
_SPACES = r"[\s\x{0b}\x{85}\pZ]+"


def clean_text(arr: pa.Array) -> pa.Array:
    """Lower-case, drop invisible characters, fold white space runs to one space, trim; '' -> null."""
    arr = pc.replace_substring_regex(arr, _INVISIBLE, "")
    arr = pc.replace_substring_regex(arr, _SPACES, " ")
    arr = pc.utf8_lower(pc.utf8_trim_whitespace(arr))
    return pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr)


def clean_list(arr: pa.Array) -> pa.Array:
    """Clean a comma-separated list: items trimmed, empty items dropped, joined with ', '."""
    arr = clean_text(arr)
    arr = pc.replace_substring_regex(arr, r"\s*(,\s*)+", ", ")
    arr = pc.replace_substring_regex(arr, r"^[\s,]+|[\s,]+$", "")
    return pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr)

