"""Input rules of the routes: each parameter parsed to its canonical value, or a ``BadRequest`` naming it.

Query strings carry text only, so every parser takes the string as received. A 400 body always has
``error, message, parameter, value, allowed``. Each parser is registered with the JSON schema of what it accepts
(``described``), built from the same constants as its check: ``chalicelib.openapi`` documents the routes from these
rules, so the document cannot drift from what the routes enforce.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import unquote

from chalicelib.errors import BadRequest
from reelrec.audience import AUDIENCES
from reelrec.schemas import DURATION_TYPES, MIN_RELEASE_YEAR, PLATFORMS, TITLE_TYPES
from reelrec.textfold import key as fold_key

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
AUDIENCE_RULE = (f"one of {', '.join(AUDIENCES)} (case-insensitive): titles rated for that audience or a younger one; "
                 "a title without a known rating passes only adults")
ID_RULE = f"a title id of 1 to {MAX_ID_CHARS} printable characters, e.g. ns42"


Parser = Callable[[str], Any]
P = TypeVar("P", bound=Parser)
SCHEMAS: dict[Callable[..., Any], Callable[[], dict[str, Any]]] = {}  # parser -> its JSON schema (built when asked)


def described(schema: Callable[[], dict[str, Any]]) -> Callable[[P], P]:
    """Register the JSON schema (OpenAPI 3.0 dialect) of what a parser accepts; a callable, so values such as the
    latest year are computed when the document is built."""

    def register(parser: P) -> P:
        SCHEMAS[parser] = schema
        return parser

    return register


def schema_of(parser: Callable[..., Any]) -> dict[str, Any]:
    """The registered schema of ``parser``; a parser without one is a bug (``KeyError`` names it)."""
    try:
        return SCHEMAS[parser]()
    except KeyError:
        raise KeyError(f"parser {parser.__name__} has no schema: register one with @described") from None


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


@described(lambda: {"type": "string", "enum": list(PLATFORMS), "description": PLATFORM_RULE})
def platform(value: str) -> str:
    """``amazon``, ``disney``, ``hulu`` or ``netflix``, in any case, surrounding spaces ignored."""
    canonical = value.strip().lower()
    if canonical not in PLATFORMS:
        raise bad("platform", value, PLATFORM_RULE)
    return canonical


PLATFORMS_RULE = f"one or more of {', '.join(PLATFORMS)}, comma-separated, each once (case-insensitive)"


@described(lambda: {"type": "string", "description": PLATFORMS_RULE, "example": "netflix,hulu"})
def platforms(value: str, name: str = "platforms") -> tuple[str, ...]:
    """The viewer's services: ``netflix,hulu`` -> ('netflix', 'hulu'); each known, none twice, at least one."""
    parts = [p.strip().lower() for p in value.split(",")]
    if not value.strip() or any(not p for p in parts):
        raise bad(name, value, PLATFORMS_RULE, f"{name}={_shown(value)!r} has an empty entry: expected {PLATFORMS_RULE}")
    unknown = [p for p in parts if p not in PLATFORMS]
    if unknown:
        raise bad(name, value, PLATFORMS_RULE,
                  f"{name}={_shown(value)!r} names unknown platform(s) {', '.join(map(repr, unknown[:4]))}: "
                  f"expected {PLATFORMS_RULE}")
    twice = sorted({p for p in parts if parts.count(p) > 1})
    if twice:
        raise bad(name, value, PLATFORMS_RULE, f"{name}={_shown(value)!r} names {', '.join(twice)} more than once")
    return tuple(parts)


def one_or_more_platforms(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Merge ``platform=`` (one, as before) into ``platforms`` (several); giving both is a 400."""
    if "platform" in kwargs:
        if "platforms" in kwargs:
            raise bad("platform", str(kwargs["platform"]), "platform or platforms, not both",
                      "give platform (one) or platforms (several), not both")
        kwargs["platforms"] = (kwargs.pop("platform"),)
    return kwargs


@described(lambda: {"type": "integer", "minimum": MIN_RELEASE_YEAR, "maximum": max_year(), "description": year_rule()})
def year(value: str) -> int:
    """A release year: ASCII digits (surrounding spaces ignored) in [1870, current year + 2]."""
    text = value.strip()
    if not _YEAR.fullmatch(text) or not MIN_RELEASE_YEAR <= int(text) <= max_year():
        raise bad("year", value, year_rule())
    return int(text)


@described(lambda: {"type": "number", "minimum": SCORED_MIN, "maximum": SCORED_MAX, "description": SCORED_RULE})
def scored(value: str) -> float:
    """A finite decimal number in [0, 5] (``3``, ``3.5``, ``.5``, ``35e-1``); no nan or inf."""
    text = value.strip()
    number = float(text) if len(text) <= MAX_NUMBER_CHARS and _NUMBER.fullmatch(text) else math.nan
    if not (math.isfinite(number) and SCORED_MIN <= number <= SCORED_MAX):
        raise bad("scored", value, SCORED_RULE)
    return number + 0.0  # -0.0 -> 0.0


@described(lambda: {"type": "string", "enum": list(DURATION_TYPES), "default": DURATION_TYPES[0],
                   "description": DURATION_RULE})
def duration_type(value: str) -> str:
    """``min`` or ``season``, in any case, surrounding spaces ignored."""
    canonical = value.strip().lower()
    if canonical not in DURATION_TYPES:
        raise bad("duration_type", value, DURATION_RULE)
    return canonical


@described(lambda: {"type": "string", "minLength": 1, "maxLength": MAX_ID_CHARS, "description": ID_RULE, "example": "ns42"})
def title_id(value: str, decode: bool = True) -> str:
    """A title id: percent-escapes decoded once (path parameters arrive still encoded; ids inside a JSON body do
    not: ``decode=False``), trimmed, lower-cased, 1 to 32 printable chars."""
    canonical = (unquote(value) if decode else value).strip().lower()
    if not 0 < len(canonical) <= MAX_ID_CHARS or not canonical.isprintable():
        raise bad("id", value, ID_RULE)
    return canonical


def _single_values(query: Mapping | None) -> dict[str, str]:
    """Each query parameter's one value; a parameter given twice is a 400 (which one was meant?)."""
    out: dict[str, str] = {}
    query = query or {}
    for name in query:
        values = query.getlist(name) if hasattr(query, "getlist") else [query[name]]
        if len(values) != 1:
            raise bad(name, values[-1], "one value", f"parameter {_shown(name)!r} given {len(values)} times: give it once")
        out[name] = values[0]
    return out


@dataclass(frozen=True)
class Route:
    """One route's query parameters: a parser per name (in order) and the names it requires."""

    parsers: dict[str, Callable[[str], Any]] = field(default_factory=dict)
    required: tuple[str, ...] = ()

    def parse(self, query: Mapping | None) -> dict[str, Any]:
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

# -- recommendations ---------------------------------------------------------------------------
K_MIN, K_MAX, K_DEFAULT = 1, 100, 10
MAX_USER_ID_DIGITS = 18
MAX_NEW_RATINGS = 1000
SCORE_MIN, SCORE_MAX = 0.5, 5.0
K_RULE = f"an integer from {K_MIN} to {K_MAX} (default {K_DEFAULT})"
TYPE_RULE = f"{' or '.join(TITLE_TYPES)} (case-insensitive)"
USER_RULE = f"a user id: a whole number of 1 to {MAX_USER_ID_DIGITS} digits"
RATING_RULE = f"a number from {SCORE_MIN:g} to {SCORE_MAX:g}"
_INT = re.compile(r"[0-9]{1,4}")


@described(lambda: {"type": "integer", "minimum": K_MIN, "maximum": K_MAX, "default": K_DEFAULT, "description": K_RULE})
def k(value: str) -> int:
    """How many items: ASCII digits (surrounding spaces ignored) in [1, 100]."""
    text = value.strip()
    if not _INT.fullmatch(text) or not K_MIN <= int(text) <= K_MAX:
        raise bad("k", value, K_RULE)
    return int(text)


@described(lambda: {"type": "string", "enum": list(TITLE_TYPES), "description": TYPE_RULE})
def title_type(value: str) -> str:
    """``movie`` or ``tv show``, in any case, surrounding and repeated spaces ignored."""
    canonical = " ".join(value.split()).lower()
    if canonical not in TITLE_TYPES:
        raise bad("type", value, TYPE_RULE)
    return canonical


@described(lambda: {"type": "string", "enum": list(AUDIENCES), "description": AUDIENCE_RULE})
def audience(value: str) -> str:
    """``kids``, ``family``, ``teens`` or ``adults``, in any case, surrounding spaces ignored."""
    canonical = value.strip().lower()
    if canonical not in AUDIENCES:
        raise bad("audience", value, AUDIENCE_RULE)
    return canonical


@described(lambda: {"type": "integer", "minimum": 0, "maximum": 10**MAX_USER_ID_DIGITS - 1, "description": USER_RULE})
def user_id(value: str) -> int:
    """A user id from the path: ASCII digits only."""
    text = unquote(value).strip()
    if not (text.isascii() and text.isdigit() and len(text) <= MAX_USER_ID_DIGITS):
        raise bad("user_id", value, USER_RULE)
    return int(text)


def _json_field(body: dict, name: str, parser: Callable[[str], object]) -> object:
    """A string field of the JSON body through its query-string parser (same rules, same messages)."""
    value = body[name]
    if not isinstance(value, str):
        raise bad(name, _json_shown(value)[:ECHO_CHARS], "a string")
    return parser(value)


class _BodyProblem(ValueError):
    """A JSON body that parses but cannot be meant: a key given twice."""


MAX_JSON_INT_DIGITS = 30  # far beyond any k or score


def _unique_keys(pairs: list[tuple[str, object]]) -> dict:
    """json's object hook: refuse a key given twice (json.loads would keep the last one silently)."""
    out: dict = {}
    for name, value in pairs:
        if name in out:
            raise _BodyProblem(f"the request body gives {_shown(name, 40)!r} twice: give each field once")
        out[name] = value
    return out


class _HugeInt(float):
    """An integer literal too long to be meant: held as +-inf, so each field's own range check refuses it under the
    field's name, and shown by its length rather than its digits."""

    text: str

    def __new__(cls, text: str) -> _HugeInt:
        obj = super().__new__(cls, "-inf" if text.startswith("-") else "inf")
        obj.text = text
        return obj


def _json_int(text: str) -> int | float:
    """json's integer hook: at most ``MAX_JSON_INT_DIGITS`` digits are read as an int (Python's own limit of
    4,300 would otherwise answer with a message about its internals)."""
    return _HugeInt(text) if len(text.lstrip("-")) > MAX_JSON_INT_DIGITS else int(text)


def _json_shown(value: object) -> str:
    """A JSON value as echoed in an error: huge integers by their length."""
    if isinstance(value, _HugeInt):
        return f"{value.text[:12]}... (an integer of {len(value.text.lstrip('-')):,} digits)"
    return _shown(json.dumps(value))


NEW_USER_FIELDS = ("ratings", "k", "platform", "platforms", "type", "audience")


def new_user_body_schema() -> dict[str, Any]:
    """The JSON schema of ``new_user_body``'s input, from the same constants and field parsers."""
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["ratings"],
        "properties": {
            "ratings": {"type": "object", "minProperties": 1, "maxProperties": MAX_NEW_RATINGS,
                        "additionalProperties": {"type": "number", "minimum": SCORE_MIN, "maximum": SCORE_MAX},
                        "description": f"title id -> score ({RATING_RULE}); ids are {ID_RULE}",
                        "example": {"ns1": 4.5, "hs2": 3}},
            "k": schema_of(k),
            "platform": schema_of(platform),
            "platforms": {"oneOf": [{"type": "array", "minItems": 1, "items": schema_of(platform)}, schema_of(platforms)],
                          "description": PLATFORMS_RULE},
            "type": schema_of(title_type),
            "audience": schema_of(audience),
        },
    }


def new_user_body(raw: bytes | str | None) -> dict[str, Any]:
    """``POST /recommendations``'s JSON body -> ``ratings`` {title id: score} and optional k, platform(s), type,
    audience."""
    if isinstance(raw, bytes | bytearray):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise bad("body", None, "a UTF-8 JSON object", "the request body is not UTF-8 text") from None
    try:
        body = json.loads(raw, object_pairs_hook=_unique_keys, parse_int=_json_int) if raw else None
    except _BodyProblem as exc:
        raise bad("body", _shown(str(raw)), "a JSON object", str(exc)) from None
    except ValueError as exc:
        raise bad("body", _shown(str(raw)), "a JSON object", f"the request body is not valid JSON: {exc}") from None
    except RecursionError:  # json's decoder gives up on very deep nesting ('[[[[...'): not a server error
        raise bad("body", _shown(str(raw)), "a JSON object", "the request body is nested too deeply") from None
    if not isinstance(body, dict):
        raise bad("body", None if raw is None else _shown(str(raw)), 'a JSON object like {"ratings": {"ns1": 4.5}}',
                  'the request body must be a JSON object like {"ratings": {"ns1": 4.5}, "k": 10}')
    allowed = NEW_USER_FIELDS
    unknown = [name for name in body if name not in allowed]
    if unknown:
        raise bad(str(unknown[0]), None, f"fields: {', '.join(allowed)}",
                  f"unknown field(s) {', '.join(repr(_shown(str(n))) for n in unknown[:5])}: "
                  f"the body takes {', '.join(allowed)}")
    ratings = body.get("ratings")
    if not isinstance(ratings, dict) or not 0 < len(ratings) <= MAX_NEW_RATINGS:
        raise bad("ratings", None if ratings is None else _shown(json.dumps(ratings)),
                  f'an object of 1 to {MAX_NEW_RATINGS} title ids and scores, e.g. {{"ns1": 4.5}}')
    parsed: dict[str, float] = {}
    for key, score in ratings.items():
        try:
            tid = title_id(key, decode=False)
        except BadRequest:
            raise bad(f"ratings.{_shown(key, 40)}", key, ID_RULE) from None
        if isinstance(score, bool) or not isinstance(score, int | float) or not (
                SCORE_MIN <= score <= SCORE_MAX and math.isfinite(score)):  # bounds first: a huge int can't be a float
            raise bad(f"ratings.{_shown(key, 40)}", _json_shown(score), RATING_RULE)
        if tid in parsed:
            raise bad(f"ratings.{_shown(key, 40)}", _shown(key), "each title once",
                      f"title {tid!r} is rated twice in ratings (ids are case-insensitive)")
        parsed[tid] = float(score)
    out: dict[str, Any] = {"ratings": parsed}
    if body.get("k") is not None:
        value = body["k"]
        if isinstance(value, bool) or not isinstance(value, int) or not K_MIN <= value <= K_MAX:
            raise bad("k", _json_shown(value), K_RULE)
        out["k"] = value
    for name, parser in (("platform", platform), ("type", title_type), ("audience", audience)):
        if body.get(name) not in (None, ""):
            out[name] = _json_field(body, name, parser)
    if body.get("platforms") is not None:
        out["platforms"] = _json_platforms(body["platforms"])
    return one_or_more_platforms(out)


def _json_platforms(value: object) -> tuple[str, ...]:
    """``platforms`` in a JSON body: a list of platform names (or the query string's comma-separated form)."""
    if isinstance(value, str):
        return platforms(value)
    if not isinstance(value, list) or not all(isinstance(v, str) and "," not in v for v in value):
        raise bad("platforms", _json_shown(value), f'a list of platforms, e.g. ["netflix", "hulu"]: {PLATFORMS_RULE}')
    if not value:
        raise bad("platforms", "[]", PLATFORMS_RULE, f"platforms is an empty list: expected {PLATFORMS_RULE}")
    return platforms(",".join(value))


RECOMMEND = Route({"k": k, "platform": platform, "platforms": platforms, "type": title_type, "audience": audience})
SIMILAR = Route({"k": k, "platforms": platforms, "audience": audience})
TITLE = Route({"platforms": platforms})

# -- the web page's helpers: title search and example users ---------------------------------
Q_MAX_CHARS = 100
LIMIT_MIN, LIMIT_MAX, LIMIT_DEFAULT = 1, 50, 10
N_MIN, N_MAX, N_DEFAULT = 1, 50, 12
Q_RULE = (f"text of 1 to {Q_MAX_CHARS} printable characters with at least one letter or digit (accents, case, "
          "punctuation and spaces do not matter)")
LIMIT_RULE = f"an integer from {LIMIT_MIN} to {LIMIT_MAX} (default {LIMIT_DEFAULT})"
N_RULE = f"an integer from {N_MIN} to {N_MAX} (default {N_DEFAULT})"
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))  # the ETL drops these from text too
# phones type curly quotes ("ocean\u2019s"); the catalogs' titles use straight ones
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})


@described(lambda: {"type": "string", "minLength": 1, "maxLength": Q_MAX_CHARS, "description": Q_RULE, "example": "pokemon"})
def search_text(value: str) -> str:
    """A title search: the ETL's text rules (invisible characters dropped, white space runs folded to one space,
    trimmed, lower case), then 1 to 100 printable characters."""
    composed = unicodedata.normalize("NFC", value).translate(_INVISIBLE).translate(_QUOTES)
    canonical = " ".join(composed.split()).lower()
    if not 0 < len(canonical) <= Q_MAX_CHARS or not canonical.isprintable():
        raise bad("q", value, Q_RULE)
    if not fold_key(canonical):
        raise bad("q", value, Q_RULE, f"q={_shown(value)!r} has no letters or digits to search for: expected {Q_RULE}")
    return canonical


def _bounded_int(name: str, value: str, low: int, high: int, rule: str) -> int:
    text = value.strip()
    if not _INT.fullmatch(text) or not low <= int(text) <= high:
        raise bad(name, value, rule)
    return int(text)


@described(lambda: {"type": "integer", "minimum": LIMIT_MIN, "maximum": LIMIT_MAX, "default": LIMIT_DEFAULT,
                   "description": LIMIT_RULE})
def limit(value: str) -> int:
    """How many search results: ASCII digits (surrounding spaces ignored) in [1, 50]."""
    return _bounded_int("limit", value, LIMIT_MIN, LIMIT_MAX, LIMIT_RULE)


@described(lambda: {"type": "integer", "minimum": N_MIN, "maximum": N_MAX, "default": N_DEFAULT, "description": N_RULE})
def n_users(value: str) -> int:
    """How many example users: ASCII digits (surrounding spaces ignored) in [1, 50]."""
    return _bounded_int("n", value, N_MIN, N_MAX, N_RULE)


OFFSET_MAX = 10_000
OFFSET_RULE = f"an integer from 0 to {OFFSET_MAX} (default 0)"


@described(lambda: {"type": "integer", "minimum": 0, "maximum": OFFSET_MAX, "default": 0, "description": OFFSET_RULE})
def offset(value: str) -> int:
    """Where a page of search results starts: ASCII digits in [0, 10000]."""
    text = value.strip()
    if not re.fullmatch(r"[0-9]{1,5}", text) or int(text) > OFFSET_MAX:
        raise bad("offset", value, OFFSET_RULE)
    return int(text)


SEARCH = Route({"q": search_text, "limit": limit, "offset": offset, "platform": platform, "platforms": platforms,
                "audience": audience},
               required=("q",))
EXAMPLES = Route({"n": n_users})
