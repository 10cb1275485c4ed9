"""Vectorised text rules shared by every text column: trimmed, one space, no invisibles; the lake's matching form
lower-cased, the display form as written."""

import pyarrow as pa
import pyarrow.compute as pc

# zero-width characters and BOMs carry nothing a reader sees
_INVISIBLE = r"[\x{200b}\x{200c}\x{200d}\x{2060}\x{feff}]"
# any run of Unicode white space (tabs, newlines, NBSP, U+2028 ...) becomes one space
_SPACES = r"[\s\x{0b}\x{85}\pZ]+"


def display_text(arr: pa.Array) -> pa.Array:
    """Text as the catalog wrote it, tidied: invisible characters dropped, white space runs folded to one space,
    trimmed; case kept; '' -> null. (``clean_text`` is this, lower-cased: the lake's matching form.)"""
    arr = pc.replace_substring_regex(arr, _INVISIBLE, "")
    arr = pc.replace_substring_regex(arr, _SPACES, " ")
    arr = pc.utf8_trim_whitespace(arr)
    return pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr)


def clean_text(arr: pa.Array) -> pa.Array:
    """Lower-case, drop invisible characters, fold white space runs to one space, trim; '' -> null."""
    return pc.utf8_lower(display_text(arr))


def display_list(arr: pa.Array) -> pa.Array:
    """A comma-separated list as written: items trimmed, empty items dropped, joined with ', '; case kept."""
    return _tidy_list(display_text(arr))


def _tidy_list(arr: pa.Array) -> pa.Array:
    """Items of a comma-separated list trimmed, empty items dropped, joined with ', '; '' -> null."""
    arr = pc.replace_substring_regex(arr, r"\s*(,\s*)+", ", ")
    arr = pc.replace_substring_regex(arr, r"^[\s,]+|[\s,]+$", "")
    return pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr)

