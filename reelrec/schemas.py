"""Column contracts of the raw inputs and the lake, and the vocabularies they use.

Types are named as strings (``string``, ``int64``, ``float64``, ``date32``) so that this module
stays standard-library only; the ETL turns them into pyarrow types.
"""

from __future__ import annotations

# Raw area ------------------------------------------------------------------------------
RAW_TITLE_COLUMNS = (
    "show_id", "type", "title", "director", "cast", "country",
    "date_added", "release_year", "rating", "duration", "listed_in", "description",
)
RAW_RATING_COLUMNS = ("userId", "rating", "timestamp", "movieId")

# raw file stem -> platform, and platform -> id prefix letter
PLATFORM_FILES = {
    "amazon_prime_titles": "amazon",
    "disney_plus_titles": "disney",
    "hulu_titles": "hulu",
    "netflix_titles": "netflix",
}
PLATFORMS = ("amazon", "disney", "hulu", "netflix")
PLATFORM_LETTER = {p: p[0] for p in PLATFORMS}
# what a sentence calls each platform (ids and parameters stay lower-case)
PLATFORM_NAMES = {"amazon": "Amazon Prime Video", "disney": "Disney+", "hulu": "Hulu", "netflix": "Netflix"}

# Lake ----------------------------------------------------------------------------------
TITLE_FIELDS = (
    ("id", "string"),
    ("platform", "string"),
    ("show_id", "string"),
    ("type", "string"),
    ("title", "string"),
    ("director", "string"),
    ("cast", "string"),
    ("country", "string"),
    ("date_added", "date32"),
    ("release_year", "int32"),
    ("rating", "string"),
    ("rating_defaulted", "bool"),  # the catalog gave no rating: "rating" holds the course's default "g"
    ("duration_int", "int32"),
    ("duration_type", "string"),
    ("listed_in", "string"),
    ("description", "string"),
    # the same text fields as the catalog wrote them (case kept, white space normalised): what people read
    *((f"display_{name}", "string") for name in ("title", "director", "cast", "country", "listed_in", "description")),
)
DISPLAY_COLUMNS = {name: f"display_{name}" for name in ("title", "director", "cast", "country", "listed_in", "description")}
RATING_FIELDS = (
    ("user_id", "int64"),
    ("title_id", "string"),
    ("score", "float64"),
    ("timestamp", "int64"),
    ("date", "date32"),
)
QUARANTINE_FIELDS = (
    ("source", "string"),  # raw key the row came from
    ("line", "int64"),  # malformed rows: the CSV reader's row number (header = 1), else null
    ("reason", "string"),  # why it was set aside
    ("record", "string"),  # the row as it was read (JSON object of raw fields, or raw text)
)

TITLE_TYPES = ("movie", "tv show")
# the content feature blocks, in the order of the model's columns (``HybridModel.feat_block`` indexes this)
CONTENT_BLOCKS = ("genre", "cast", "director", "country", "type", "rating", "decade", "description")
DURATION_TYPES = ("min", "season")
SCORE_MIN, SCORE_MAX = 0.5, 5.0
MIN_RELEASE_YEAR = 1870
DEFAULT_RATING = "g"
