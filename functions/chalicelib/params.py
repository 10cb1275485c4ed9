"""Input rules of the routes: each parameter parsed to its canonical value, or a ``BadRequest`` naming it.

Query strings carry text only, so every parser takes the string as received. A 400 body always has
``error, message, parameter, value, allowed``.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import unquote

from chalicelib.errors import BadRequest
from reelrec.schemas import DURATION_TYPES, MIN_RELEASE_YEAR, PLATFORMS

SCORED_MIN, SCORED_MAX = 0.0, 5.0
MAX_ID_CHARS = 32
ECHO_CHARS = 100  # longer values are shortened in error bodies
MAX_MESSAGE_CHARS = 500  # error messages stay readable whatever was sent
MAX_NUMBER_CHARS = 64

_YEAR = re.compile(r"[0-9]{1,9}")  # ASCII digits only: no sign, no '2_019', no full-width digits
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,4})?")  # no nan, inf, hex, '_'

PLATFORM_RULE = f"one of {', '.join(PLATFORMS)} (case-insensitive)"
DURATION_RULE = f"{' or '.join(DURATION_TYPES)} (case-insensitive; default {DURATION_TYPES[0]})"
SCORED_RULE = f"a number from {SCORED_MIN:g} to {SCORED_MAX:g}"
ID_RULE = f"a title id of 1 to {MAX_ID_CHARS} printable characters, e.g. ns42"


def max_year() -> int:
    """Latest release year accepted: two years after the current (UTC) year."""
    return dt.datetime.now(dt.UTC).year + 2


def year_rule() -> str:
    """What ``year`` accepts, in words."""
    return f"an integer from {MIN_RELEASE_YEAR} to {max_year()}"


def _shown(value: str, limit: int = 0) -> str:
    """``value`` as echoed in an error body: shortened when long."""
    limit = limit or ECHO_CHARS
    return value if len(value) <= limit else value[:limit] + "..."


def bad(name: str, value: str | None, allowed: str, message: str | None = None) -> BadRequest:
    """A ``BadRequest`` naming the parameter, the value received and what is allowed."""
    shown = None if value is None else _shown(value)
    message = message or f"{_shown(name)}={shown!r} is not allowed: expected {allowed}"
    return BadRequest(_shown(message, MAX_MESSAGE_CHARS), parameter=_shown(name), value=shown, allowed=allowed)


def platform(value: str) -> str:
    """``amazon``, ``disney``, ``hulu`` or ``netflix``, in any case, surrounding spaces ignored."""
    canonical = value.strip().lower()
    if canonical not in PLATFORMS:
        raise bad("platform", value, PLATFORM_RULE)
    return canonical


def year(value: str) -> int:
    """A release year: ASCII digits (surrounding spaces ignored) in [1870, current year + 2]."""
    text = value.strip()
    if not _YEAR.fullmatch(text) or not MIN_RELEASE_YEAR <= int(text) <= max_year():
        raise bad("year", value, year_rule())
    return int(text)


def scored(value: str) -> float:
    """A finite decimal number in [0, 5] (``3``, ``3.5``, ``.5``, ``35e-1``); no nan or inf."""
    text = value.strip()
    number = float(text) if len(text) <= MAX_NUMBER_CHARS and _NUMBER.fullmatch(text) else math.nan
    if not (math.isfinite(number) and SCORED_MIN <= number <= SCORED_MAX):
        raise bad("scored", value, SCORED_RULE)
    return number + 0.0  # -0.0 -> 0.0


def duration_type(value: str) -> str:
    """``min`` or ``season``, in any case, surrounding spaces ignored."""
    canonical = value.strip().lower()
    if canonical not in DURATION_TYPES:
        raise bad("duration_type", value, DURATION_RULE)
    return canonical


def title_id(value: str) -> str:
    """A title id from the path: percent-escapes decoded once, trimmed, lower-cased, 1 to 32 printable chars."""
    canonical = unquote(value).strip().lower()
    if not 0 < len(canonical) <= MAX_ID_CHARS or not canonical.isprintable():
        raise bad("id", value, ID_RULE)
    return canonical


def _single_values(query: Mapping | None) -> dict[str, str]:
    """Each query parameter's one value; a parameter given twice is a 400 (which one was meant?)."""
    out: dict[str, str] = {}
    for name in query or {}:
        values = query.getlist(name) if hasattr(query, "getlist") else [query[name]]
        if len(values) != 1:
            raise bad(name, values[-1], "one value", f"parameter {_shown(name)!r} given {len(values)} times: give it once")
        out[name] = values[0]
    return out


@dataclass(frozen=True)
class Route:
    """One route's query parameters: a parser per name (in order) and the names it requires."""

    parsers: dict[str, Callable[[str], object]] = field(default_factory=dict)
    required: tuple[str, ...] = ()

    def parse(self, query: Mapping | None) -> dict[str, object]:
        """Keyword arguments for the route's query function; blank or absent optional ones are left out."""
        given = _single_values(query)
        unknown = [name for name in given if name not in self.parsers]
        if unknown:
            allowed = f"parameters: {', '.join(self.parsers)}" if self.parsers else "no query parameters"
            names = ", ".join(repr(_shown(n)) for n in unknown[:5]) + (f" and {len(unknown) - 5} more" if len(unknown) > 5 else "")
            raise bad(unknown[0], given[unknown[0]], allowed, f"unknown query parameter(s) {names}: this route takes {allowed}")
        present = {name: given[name] for name in self.parsers if given.get(name, "").strip()}
        missing = [name for name in self.required if name not in present]
        if missing:
            raise bad(missing[0], None, "required",
                      f"missing required parameter(s): {', '.join(missing)} (this route requires {', '.join(self.required)})")
        return {name: self.parsers[name](raw) for name, raw in present.items()}


MAX_DURATION = Route({"year": year, "platform": platform, "duration_type": duration_type})
SCORE_COUNT = Route({"platform": platform, "scored": scored, "year": year}, required=("platform", "scored", "year"))
COUNT_PLATFORM = Route({"platform": platform}, required=("platform",))
ACTOR = Route({"platform": platform, "year": year}, required=("platform", "year"))
NO_PARAMS = Route()
