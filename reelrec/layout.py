"""Key layout of the raw area and the lake: the one place that names objects.

Raw:  ``titles/<platform file>.csv``, ``ratings/<name>.csv``.
Lake: ``titles/<platform>.parquet``, ``ratings/<name>.parquet``,
      ``quarantine/<kind>/<name>.parquet``, ``_state.json``, ``_manifests/<run id>.json``,
      ``serving/catalog/<version>.npz`` + ``serving/catalog/current.json`` (the API's snapshot),
      ``serving/training/<name>.npz`` (numpy ratings), ``serving/histories/pending/<run id>.npy``.
Users: the per-viewer history store (``reelrec.histories``: a SQLite file in a folder, or a DynamoDB table).
Models: ``versions/<version>/{model.npz,metrics.json,metrics.md}``, ``current.json``.
Both the lake and the models area: ``_lease/<generation>.json`` (reelrec.lease: one writer at a time).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import PurePosixPath

RAW_TITLES = "titles/"
RAW_RATINGS = "ratings/"

LAKE_TITLES = "titles/"
LAKE_RATINGS = "ratings/"
LAKE_QUARANTINE = "quarantine/"
LAKE_MANIFESTS = "_manifests/"
LAKE_STATE = "_state.json"
LAKE_JOURNAL = "_publishing.json"  # present only while a run publishes
# the API's serving snapshot: versioned objects and a small pointer that names the current one
CATALOG_SNAPSHOTS = "serving/catalog/"
CATALOG_POINTER = "serving/catalog/current.json"
RATING_AGGREGATES = "serving/aggregates/"  # per ratings part: title_id, score_sum, score_count
TRAINING_RATINGS = "serving/training/"  # per ratings part, numpy: the training job's input (no pyarrow there)
HISTORIES_PENDING = "serving/histories/pending/"  # viewers a run will rewrite in the history store (etl_job.histories)


# The writer's lease of an area (lake or models): numbered objects, the highest is the lease
LEASE_PREFIX = "_lease/"


def lease_key(generation: int) -> str:
    """``_lease/<generation>.json``, zero-padded so the names sort like the numbers."""
    return f"{LEASE_PREFIX}{generation:010d}.json"


# Models area: one folder per trained version, and the pointer naming the one the API serves
MODEL_VERSIONS = "versions/"
MODEL_POINTER = "current.json"


def model_key(version: str, name: str) -> str:
    """``versions/<version>/<name>``: model.npz, metrics.json, metrics.md."""
    return f"{MODEL_VERSIONS}{version}/{name}"


def histories_pending_key(run_id: str) -> str:
    """``serving/histories/pending/<run id>.npy``: the viewers of one run still to be written to the history store."""
    return f"{HISTORIES_PENDING}{run_id}.npy"


def stem(key: str) -> str:
    """File name without folder and extension: ``ratings/1.csv`` -> ``1``."""
    return PurePosixPath(key).stem


def lake_titles_key(platform: str) -> str:
    return f"{LAKE_TITLES}{platform}.parquet"


def lake_ratings_key(raw_key: str) -> str:
    return f"{LAKE_RATINGS}{stem(raw_key)}.parquet"


def quarantine_key(kind: str, raw_key: str) -> str:
    return f"{LAKE_QUARANTINE}{kind}/{stem(raw_key)}.parquet"


def manifest_key(run_id: str) -> str:
    return f"{LAKE_MANIFESTS}{run_id}.json"


def catalog_snapshot_key(version: str) -> str:
    return f"{CATALOG_SNAPSHOTS}{version}.npz"


def aggregates_key(raw_key: str) -> str:
    return f"{RATING_AGGREGATES}{stem(raw_key)}.parquet"


def training_ratings_key(raw_key: str) -> str:
    return f"{TRAINING_RATINGS}{stem(raw_key)}.npz"


_VERSION_TIME = re.compile(r"(\d{8}T\d{6})(\d{6})?Z")


def version_time(version: str | None) -> dt.datetime | None:
    """When a catalog snapshot (ETL run id ``YYYYmmddTHHMMSSffffffZ-...``) or a model version (``YYYYmmddTHHMMSSZ-...``)
    was made, from its name (both are named by their UTC start time so that they sort by it); None for other names."""
    match = _VERSION_TIME.match(version or "")
    if match is None:
        return None
    return dt.datetime.strptime(match.group(1), "%Y%m%dT%H%M%S").replace(tzinfo=dt.UTC)
