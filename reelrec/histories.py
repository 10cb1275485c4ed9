"""The per-viewer history store: each viewer's ratings (latest per title), read by the API per request and written
by the ETL (numpy and the standard library; boto3 only for DynamoDB, and only when that store is used).

Chosen by URI like the other areas (``REELREC_USERS``, ``--users``): ``dynamodb://<table>`` in AWS, else a local
folder holding one SQLite file (``histories.sqlite``: no server, nothing to install).

A history is stored as one compact binary value (``encode``: title ids as fixed-width bytes, float32 scores,
int64 times), about 19 bytes per rating. In DynamoDB a viewer is one item (``part`` 0) unless they rated more than
``PAGE`` titles; then the rest lives in extra page items of a fresh generation, written before the head item that
names them, so a reader sees the old history or the new one, never half of either.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import struct
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

MAGIC = b"RH1"
_HEADER = struct.Struct("<3sIB")  # magic, ratings, id width
SQLITE_FILE = "histories.sqlite"
DYNAMODB_PREFIX = "dynamodb://"
PAGE = 16_000  # ratings per DynamoDB item: 16,000 x 19 bytes ~ 300 KB, under the 400 KB item limit
META_USER = -1  # the reserved key of the store's own metadata (what it was built from)


class HistoryStoreError(Exception):
    """The store cannot be opened, read or written (the message says which and why)."""


@dataclass(frozen=True)
class History:
    """One viewer's ratings, oldest first: the latest score per title."""

    title_ids: np.ndarray  # 'S' bytes: the lake's (lower-case) title ids
    scores: np.ndarray  # float32
    timestamps: np.ndarray  # int64 Unix seconds

    def __len__(self) -> int:
        return len(self.title_ids)

    def page(self, start: int, stop: int) -> History:
        """Ratings start..stop (a slice: no copy)."""
        return History(self.title_ids[start:stop], self.scores[start:stop], self.timestamps[start:stop])


def encode(h: History) -> bytes:
    """The stored form of a history: header, ids (fixed width), scores, times."""
    n = len(h)
    width = max(int(h.title_ids.dtype.itemsize), 1) if n else 1
    if width > 255:
        raise ValueError(f"title ids longer than 255 bytes cannot be stored ({width})")
    ids = np.asarray(h.title_ids, f"S{width}")
    return b"".join((_HEADER.pack(MAGIC, n, width), ids.tobytes(), np.asarray(h.scores, "<f4").tobytes(),
                     np.asarray(h.timestamps, "<i8").tobytes()))


def decode(blob: bytes) -> History:
    """Inverse of ``encode`` (zero-copy views over ``blob``); ValueError for anything else."""
    try:
        magic, n, width = _HEADER.unpack_from(blob)
    except struct.error:
        raise ValueError("not a stored history (too short)") from None
    if magic != MAGIC or len(blob) != _HEADER.size + n * (width + 12):
        raise ValueError("not a stored history (bad header or length)")
    at = _HEADER.size
    ids = np.frombuffer(blob, f"S{width}", n, at)
    scores = np.frombuffer(blob, "<f4", n, at + n * width)
    times = np.frombuffer(blob, "<i8", n, at + n * (width + 4))
    return History(ids, scores, times)


def concat(pages: list[History]) -> History:
    """One history from its pages, in order."""
    if len(pages) == 1:
        return pages[0]
    return History(np.concatenate([p.title_ids for p in pages]), np.concatenate([p.scores for p in pages]),
                   np.concatenate([p.timestamps for p in pages]))


class HistoryStore(Protocol):
    """What readers and the writer need of a store."""

    uri: str

    def get(self, user_id: int) -> History | None:
        """The viewer's history, or None when the store holds none."""
        ...

    def put_many(self, histories: Iterable[tuple[int, History | None]]) -> int:
        """Replace these viewers' histories (None or empty: remove the viewer); returns how many were written."""
        ...

    def meta(self) -> dict | None:
        """What the store was last built or updated from (written by ``set_meta``), None for a new store."""
        ...

    def set_meta(self, meta: dict) -> None:
        """Record what the store was built from."""
        ...


class SqliteHistories:
    """The embedded store: one SQLite file, one row per viewer (a transaction per batch: a reader never sees half
    a viewer; WAL mode lets readers read while the ETL writes)."""

    def __init__(self, folder: str | os.PathLike, create: bool = False) -> None:
        self.path = Path(folder) / SQLITE_FILE
        self.uri = str(Path(folder))
        if not create and not self.path.is_file():
            raise HistoryStoreError(f"no history store at {self.path}: run the ETL (make etl) to build it")
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._create = create

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            try:
                if self._create:
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                db = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
                if self._create:
                    db.execute("PRAGMA journal_mode=WAL")
                    db.execute("CREATE TABLE IF NOT EXISTS histories (user_id INTEGER PRIMARY KEY, data BLOB NOT NULL)")
                    db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
                    db.commit()
            except (sqlite3.Error, OSError) as exc:
                raise HistoryStoreError(f"history store {self.path}: {exc}") from None
            self._db = db
        return self._db

    def get(self, user_id: int) -> History | None:
        with self._lock:
            try:
                row = self._conn().execute("SELECT data FROM histories WHERE user_id = ?", (int(user_id),)).fetchone()
            except sqlite3.Error as exc:
                raise HistoryStoreError(f"history store {self.path}: {exc}") from None
        return None if row is None else decode(row[0])

    def put_many(self, histories: Iterable[tuple[int, History | None]], batch: int = 20_000) -> int:
        written = 0
        with self._lock:
            db = self._conn()
            for chunk in _chunks(histories, batch):
                try:
                    with db:  # one transaction per chunk
                        db.executemany("DELETE FROM histories WHERE user_id = ?",
                                       [(int(u),) for u, h in chunk if h is None or not len(h)])
                        db.executemany("INSERT OR REPLACE INTO histories (user_id, data) VALUES (?, ?)",
                                       [(int(u), encode(h)) for u, h in chunk if h is not None and len(h)])
                except sqlite3.Error as exc:
                    raise HistoryStoreError(f"history store {self.path}: {exc}") from None
                written += len(chunk)
        return written

    def meta(self) -> dict | None:
        with self._lock:
            row = self._conn().execute("SELECT value FROM meta WHERE key = 'built'").fetchone()
        return None if row is None else json.loads(row[0])

    def set_meta(self, meta: dict) -> None:
        with self._lock, self._conn() as db:
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('built', ?)", (json.dumps(meta),))

    def user_ids(self) -> np.ndarray:
        """Every stored viewer's id (sorted; tests and benchmarks pick viewers from it)."""
        with self._lock:
            rows = self._conn().execute("SELECT user_id FROM histories ORDER BY user_id").fetchall()
        return np.array([r[0] for r in rows], np.int64)

    def close(self) -> None:
        """Close the connection (the next use reopens it)."""
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None


class DynamoHistories:
    """The AWS store: a DynamoDB table keyed by ``user_id`` (N) and ``part`` (N). ``part`` 0 is the viewer's head
    item (the first ``PAGE`` ratings, the page count and generation); a heavy viewer's further pages are items
    ``gen * 1000 + i``. The client is created on first use (boto3 comes with the Lambda runtime)."""

    def __init__(self, table: str, client: Any = None) -> None:
        if not table:
            raise HistoryStoreError("dynamodb:// needs a table name, e.g. dynamodb://reelrec-dev-histories")
        self.table, self.uri = table, DYNAMODB_PREFIX + table
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client("dynamodb")
        return self._client

    def _call(self, name: str, **kwargs: Any) -> dict:
        try:
            return getattr(self.client, name)(**kwargs)
        except Exception as exc:  # botocore's ClientError and connection errors: one message naming the table
            raise HistoryStoreError(f"history store {self.uri}: {name} failed: {str(exc)[:200]}") from None

    @staticmethod
    def _key(user_id: int, part: int) -> dict:
        return {"user_id": {"N": str(int(user_id))}, "part": {"N": str(int(part))}}

    def get(self, user_id: int, retries: int = 3) -> History | None:
        for _ in range(retries):
            head = self._call("get_item", TableName=self.table, Key=self._key(user_id, 0)).get("Item")
            if head is None:
                return None
            pages, gen = int(head.get("pages", {"N": "1"})["N"]), int(head.get("gen", {"N": "0"})["N"])
            first = decode(bytes(head["data"]["B"]))
            if pages == 1:
                return first
            rest = self._batch_get(user_id, [gen * 1000 + i for i in range(1, pages)])
            if len(rest) == pages - 1:
                return concat([first, *(rest[gen * 1000 + i] for i in range(1, pages))])
            # a writer replaced this viewer between the two reads: read the new head
        raise HistoryStoreError(f"history store {self.uri}: viewer {user_id} kept changing while read")

    def _batch_get(self, user_id: int, parts: list[int]) -> dict[int, History]:
        found: dict[int, History] = {}
        keys = [self._key(user_id, p) for p in parts]
        while keys:
            out = self._call("batch_get_item", RequestItems={self.table: {"Keys": keys[:100]}})
            for item in out.get("Responses", {}).get(self.table, []):
                found[int(item["part"]["N"])] = decode(bytes(item["data"]["B"]))
            keys = keys[100:] + out.get("UnprocessedKeys", {}).get(self.table, {}).get("Keys", [])
        return found

    def _batch_write(self, requests: list[dict]) -> None:
        for start in range(0, len(requests), 25):
            pending = requests[start : start + 25]
            delay = 0.05
            while pending:
                out = self._call("batch_write_item", RequestItems={self.table: pending})
                pending = out.get("UnprocessedItems", {}).get(self.table, [])
                if pending:
                    time.sleep(delay)
                    delay = min(delay * 2, 2.0)

    def _item(self, user_id: int, part: int, h: History, **extra: int) -> dict:
        item = {**self._key(user_id, part), "data": {"B": encode(h)}}
        item.update({k: {"N": str(v)} for k, v in extra.items()})
        return item

    def put_many(self, histories: Iterable[tuple[int, History | None]]) -> int:
        gen = time.time_ns() // 1_000_000  # a fresh generation per write: page keys never collide with a live one
        written, light = 0, []
        for user_id, h in histories:
            written += 1
            if h is None or not len(h):
                old = self._call("delete_item", TableName=self.table, Key=self._key(user_id, 0),
                                 ReturnValues="ALL_OLD").get("Attributes")
                self._drop_pages(user_id, old)
            elif len(h) <= PAGE:
                light.append({"PutRequest": {"Item": self._item(user_id, 0, h, pages=1, gen=0)}})
            else:
                self._put_heavy(user_id, h, gen)
        self._batch_write(light)
        return written

    def _put_heavy(self, user_id: int, h: History, gen: int) -> None:
        """Pages first, then the head that names them (the switch), then the previous generation's pages."""
        pages = -(-len(h) // PAGE)
        if pages >= 1000:
            raise HistoryStoreError(f"viewer {user_id} has {len(h):,} ratings: more than the store's "
                                    f"{999 * PAGE:,} per viewer")
        self._batch_write([{"PutRequest": {"Item": self._item(user_id, gen * 1000 + i, h.page(i * PAGE, (i + 1) * PAGE))}}
                           for i in range(1, pages)])
        old = self._call("put_item", TableName=self.table, Item=self._item(user_id, 0, h.page(0, PAGE), pages=pages,
                                                                          gen=gen),
                         ReturnValues="ALL_OLD").get("Attributes")
        self._drop_pages(user_id, old)

    def _drop_pages(self, user_id: int, old: dict | None) -> None:
        """Delete the extra pages a replaced head named (a viewer who was heavy)."""
        if not old or int(old.get("pages", {"N": "1"})["N"]) <= 1:
            return
        gen, pages = int(old["gen"]["N"]), int(old["pages"]["N"])
        self._batch_write([{"DeleteRequest": {"Key": self._key(user_id, gen * 1000 + i)}} for i in range(1, pages)])

    def meta(self) -> dict | None:
        item = self._call("get_item", TableName=self.table, Key=self._key(META_USER, 0)).get("Item")
        return None if item is None else json.loads(item["meta"]["S"])

    def set_meta(self, meta: dict) -> None:
        self._call("put_item", TableName=self.table, Item={**self._key(META_USER, 0), "meta": {"S": json.dumps(meta)}})


KEY_SCHEMA = [{"AttributeName": "user_id", "KeyType": "HASH"}, {"AttributeName": "part", "KeyType": "RANGE"}]
ATTRIBUTES = [{"AttributeName": "user_id", "AttributeType": "N"}, {"AttributeName": "part", "AttributeType": "N"}]


def create_table(client: Any, name: str) -> None:
    """Create a history table (on demand) with ``client`` (boto3 DynamoDB): for tests and rehearsals; in AWS the
    stack makes it (infra/template.yaml, the same keys)."""
    client.create_table(TableName=name, BillingMode="PAY_PER_REQUEST", KeySchema=KEY_SCHEMA,
                        AttributeDefinitions=ATTRIBUTES)


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def open_histories(uri: str, create: bool = False) -> SqliteHistories | DynamoHistories:
    """The store a URI names: ``dynamodb://table`` or a local folder (``create``: make the SQLite file if absent,
    as the ETL does; readers get a ``HistoryStoreError`` saying to run the ETL)."""
    uri = str(uri)
    if uri.startswith(DYNAMODB_PREFIX):
        return DynamoHistories(uri[len(DYNAMODB_PREFIX):].strip("/"))
    if "://" in uri and not uri.startswith("file://"):
        raise HistoryStoreError(f"history store {uri!r}: give a local folder or dynamodb://<table> (SQLite needs a "
                                "local file; S3 cannot hold it)")
    return SqliteHistories(uri.removeprefix("file://"), create=create)


@contextlib.contextmanager
def opened(uri: str, create: bool = False) -> Iterator[SqliteHistories | DynamoHistories]:
    """``open_histories`` for a block, closing a SQLite connection afterwards."""
    store = open_histories(uri, create)
    try:
        yield store
    finally:
        if isinstance(store, SqliteHistories):
            store.close()
