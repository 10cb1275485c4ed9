"""Published objects the routes answer from: loaded lazily once per container, refreshed through a pointer.

A job publishes a versioned object and then a small pointer (``{"version": ..., "key": ...}``), e.g. the ETL's
``serving/catalog/<version>.npz`` and ``serving/catalog/current.json``. The first request reads both; afterwards the
pointer is re-read at most every ``REELREC_SNAPSHOT_CHECK_SECONDS`` (default 120) and a new version is loaded when it
changed. The loaders validate every array (``reelrec.artifact_checks``); if a load fails or the object is refused
as invalid, the old one keeps being served (503 only while there is none) and the reason is logged and shown by
``/health``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from chalicelib.errors import Unavailable
from reelrec.artifact_checks import InvalidArtifact
from reelrec.catalog_snapshot import CatalogSnapshot
from reelrec.config import area_uri
from reelrec.layout import CATALOG_POINTER, MODEL_POINTER, version_time
from reelrec.model_artifact import ModelArtifact
from reelrec.storage import LocalStore, ObjectMissing, S3Store, StoreError, open_store

CHECK_ENV = "REELREC_SNAPSHOT_CHECK_SECONDS"
DEFAULT_CHECK_SECONDS = 120.0
RETRY_SECONDS = 5.0  # while nothing is loaded, a failed load is retried at most this often
NO_SNAPSHOT = "no catalog snapshot has been published yet: run the ETL (python -m etl_job, or make etl) to build one"
UNREADABLE = "the catalog store cannot be read right now; try again later"


@dataclass(frozen=True)
class Published:
    """What a cache follows: which store area, which pointer, how to load the object, what to say when absent."""

    what: str
    area: str
    pointer_key: str
    load: Callable[[bytes], Any]
    missing: str
    unreadable: str


CATALOG = Published("catalog snapshot", "lake", CATALOG_POINTER, CatalogSnapshot.from_bytes, NO_SNAPSHOT, UNREADABLE)
NO_MODEL = ("no recommendation model has been published yet: run the training job (python -m model_training, "
            "or make train) to build one")
MODEL = Published("model", "models", MODEL_POINTER, ModelArtifact.from_bytes, NO_MODEL,
                  "the models store cannot be read right now; try again later")

log = logging.getLogger("reelrec.api.snapshots")


def _iso(seconds: float | None) -> str | None:
    """Clock seconds (Unix time) as an ISO UTC timestamp."""
    return None if seconds is None else dt.datetime.fromtimestamp(seconds, dt.UTC).isoformat(timespec="seconds")


def check_interval(environ: Mapping[str, str] | None = None) -> float:
    """Seconds between pointer checks from ``REELREC_SNAPSHOT_CHECK_SECONDS`` (bad values: the default)."""
    raw = (os.environ if environ is None else environ).get(CHECK_ENV, "").strip()
    try:
        value = float(raw) if raw else DEFAULT_CHECK_SECONDS
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value >= 0):
        log.warning("%s=%r is not a number of seconds >= 0; using %s", CHECK_ENV, raw, DEFAULT_CHECK_SECONDS)
        return DEFAULT_CHECK_SECONDS
    return value


class SnapshotCache:
    """The current version of one published object in one container; ``clock`` (Unix seconds) is injectable."""

    def __init__(self, uri: str | None = None, check_seconds: float | None = None,
                 clock: Callable[[], float] = time.time, source: Published = CATALOG) -> None:
        self.source = source
        self.uri = uri  # None: the area's URI from the environment (e.g. REELREC_LAKE), read on first use
        self.check_seconds = check_seconds  # None: REELREC_SNAPSHOT_CHECK_SECONDS, read on first use
        self.clock = clock
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Forget the store and the snapshot: the next request opens and loads again."""
        self._store: LocalStore | S3Store | None = None
        self._interval = DEFAULT_CHECK_SECONDS
        self._snapshot: Any = None
        self._version: str | None = None
        self._loaded_at: float | None = None
        self._checked_at: float | None = None
        self._refresh_error: str | None = None
        self._failure: Unavailable | None = None
        self._failed_at = 0.0

    def get(self) -> Any:
        """The object to answer from; raises ``Unavailable`` only while none could be loaded yet."""
        with self._lock:
            now = self.clock()
            if self._snapshot is None:
                if self._failure is not None and 0 <= now - self._failed_at < RETRY_SECONDS:
                    raise self._failure  # no snapshot yet and the last try failed just now: do not hammer the store
                try:
                    pointer = self._read_pointer()
                    self._install(pointer, self._fetch(pointer), now)
                except Unavailable as err:
                    self._failure, self._failed_at = err, now
                    raise
            elif self._checked_at is None or now - self._checked_at >= self._interval or now < self._checked_at:
                self._refresh(now)
            return self._snapshot

    def status(self) -> dict:
        """What ``/health`` reports: version in use, when it was made (from its name) and its age in seconds, when it
        was loaded and last checked, last refresh error."""
        snap = self._snapshot
        made = version_time(self._version)
        return {
            "snapshot_version": self._version,
            "made_at": None if made is None else made.isoformat(timespec="seconds"),
            "age_seconds": None if made is None else max(0, round(self.clock() - made.timestamp())),
            "titles": None if snap is None else len(snap),
            "loaded_at": _iso(self._loaded_at),
            "checked_at": _iso(self._checked_at),
            "check_seconds": self._interval,
            "refresh_error": self._refresh_error,
        }

    # -- internals -------------------------------------------------------------------------
    def _open(self) -> LocalStore | S3Store:
        if self._store is None:
            uri = self.uri or area_uri(self.source.area)
            try:
                self._store = open_store(uri)
            except StoreError as exc:
                log.error("%s store URI %r is not usable: %s", self.source.area, uri, exc)
                raise Unavailable(self.source.unreadable) from None
            self._interval = check_interval() if self.check_seconds is None else self.check_seconds
            log.info("%s from %s, pointer checked every %ss", self.source.what, self._store.uri, self._interval)
        return self._store

    def _read_pointer(self) -> dict:
        store = self._open()
        try:
            pointer = json.loads(store.read_bytes(self.source.pointer_key))
        except ObjectMissing:
            raise Unavailable(self.source.missing) from None
        except StoreError as exc:
            log.error("reading %s: %s", self.source.pointer_key, exc)
            raise Unavailable(self.source.unreadable) from None
        except Exception as exc:  # malformed JSON, a file where a folder should be, missing boto3 ...
            log.error("reading %s from %s: %r", self.source.pointer_key, store.uri, exc)
            raise Unavailable(self.source.unreadable) from None
        if not (isinstance(pointer, dict) and isinstance(pointer.get("version"), str)
                and isinstance(pointer.get("key"), str)):
            log.error("%s in %s lacks a string version and key: %r", self.source.pointer_key, store.uri, pointer)
            raise Unavailable(self.source.unreadable)
        return pointer

    def _fetch(self, pointer: dict) -> Any:
        what = self.source.what
        try:
            return self.source.load(self._open().read_bytes(pointer["key"]))
        except InvalidArtifact as exc:  # loads, but its arrays disagree: refused like a corrupt one, with the reason
            log.error("%s %s (%s) refused: %s", what, pointer["version"], pointer["key"], exc)
            raise Unavailable(f"{what} {pointer['version']} was refused as invalid ({exc})") from None
        except Exception:
            log.exception("%s %s (%s) could not be loaded", what, pointer["version"], pointer["key"])
            raise Unavailable(f"{what} {pointer['version']} could not be loaded; try again later") from None

    def _install(self, pointer: dict, snapshot: Any, now: float) -> None:
        previous, self._version, self._snapshot = self._version, pointer["version"], snapshot
        self._loaded_at = self._checked_at = now
        self._refresh_error = None
        log.info("%s %s loaded (previous: %s)", self.source.what, self._version, previous)

    def _refresh(self, now: float) -> None:
        """Re-read the pointer; load a new version if it changed, else (or on failure) keep the current one."""
        self._checked_at = now
        try:
            pointer = self._read_pointer()
            if pointer["version"] != self._version:
                self._install(pointer, self._fetch(pointer), now)
            self._refresh_error = None
        except Unavailable as err:
            self._refresh_error = err.message
            log.warning("keeping %s %s: %s", self.source.what, self._version, err.message)
