"""One storage seam for every component: an object store addressed by URI.

``s3://bucket/prefix`` is S3 (boto3, client created lazily); anything else is a local
directory. Keys are ``/``-separated paths relative to the store's root. Every write is
atomic for readers: a local write goes to a hidden temporary file that is then renamed
into place, and an S3 PUT (or completed multipart upload) is atomic by nature.
"""

from __future__ import annotations

import builtins
import contextlib
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Protocol

TMP_PREFIX = ".tmp-"


class StoreError(Exception):
    """A storage problem worth a clear one-line message (missing object, bad URI, no access)."""


class ObjectMissing(StoreError):
    """The object asked for does not exist."""


@dataclass(frozen=True)
class ObjectInfo:
    """What a listing says of one object: its key, size and a change tag (ETag or mtime)."""

    key: str
    size: int
    tag: str


class Store(Protocol):
    """The interface both stores implement."""

    uri: str

    def read_bytes(self, key: str) -> bytes: ...
    def write_bytes(self, key: str, data: bytes) -> None: ...
    def upload_file(self, path: str | os.PathLike, key: str) -> None: ...
    def local_copy(self, key: str) -> contextlib.AbstractContextManager[Path]: ...
    def list(self, prefix: str = "") -> list[ObjectInfo]: ...
    def stat(self, key: str) -> ObjectInfo | None: ...
    def delete(self, key: str) -> None: ...
    def check_writable(self) -> None: ...
    def create(self, key: str, data: bytes) -> bool: ...
    def replace_if(self, key: str, data: bytes, tag: str | None) -> bool: ...
    def temporaries(self, prefix: str = "") -> builtins.list[tuple[str, float]]: ...  # ``list`` is a method here


def join_key(*parts: str) -> str:
    """Join key parts with single slashes."""
    return "/".join(p.strip("/") for p in parts if p.strip("/"))


class LocalStore:
    """A directory on the local file system."""

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root).expanduser().resolve()
        self.uri = str(self.root)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if path != self.root and self.root not in path.parents:
            plain = Path(os.path.normpath(self.root / key))
            if plain.is_symlink() and not plain.exists() and self.root in plain.parents:
                raise ObjectMissing(f"{self.uri}: {key!r} is a broken symbolic link (its target "
                                    f"{os.readlink(plain)} does not exist)")
            raise StoreError(f"key {key!r} escapes the store root {self.root}")
        return path

    def read_bytes(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise ObjectMissing(f"{self.uri}: no object {key!r}") from None
        except OSError as exc:
            raise StoreError(f"{self.uri}: cannot read {key!r}: {exc.strerror or exc}") from None

    def _publish(self, key: str, fill) -> None:
        dest = self._path(key)
        tmp = dest.parent / f"{TMP_PREFIX}{uuid.uuid4().hex}-{dest.name}"
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            fill(tmp)
            os.replace(tmp, dest)
        except OSError as exc:
            raise StoreError(f"{self.uri}: cannot write {key!r}: {exc.strerror or exc}") from None
        finally:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)

    def write_bytes(self, key: str, data: bytes) -> None:
        self._publish(key, lambda tmp: tmp.write_bytes(data))

    def create(self, key: str, data: bytes) -> bool:
        """Write ``key`` only if it does not exist (True), atomically: a complete temporary file is hard-linked
        into place, which fails when the name is taken (False)."""
        dest = self._path(key)
        tmp = dest.parent / f"{TMP_PREFIX}{uuid.uuid4().hex}-{dest.name}"
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_bytes(data)
            os.link(tmp, dest)
            return True
        except FileExistsError:
            return False
        except OSError as exc:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
            self._prune_empty(dest.parent)  # a full disk must not leave an empty version folder behind
            raise StoreError(f"{self.uri}: cannot create {key!r}: {exc.strerror or exc}") from None
        finally:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)

    def _prune_empty(self, folder: Path) -> None:
        """Remove ``folder`` and its parents up to the root while they are empty: S3 has no empty folders, and a
        local store should not either (an empty ``versions/<v>/`` would look like a version to a person)."""
        while folder != self.root and self.root in folder.parents:
            try:
                folder.rmdir()
            except OSError:  # not empty (or already gone): stop
                return
            folder = folder.parent

    def replace_if(self, key: str, data: bytes, tag: str | None) -> bool:
        """Write ``key`` only if its change tag is still ``tag`` (None: only if it does not exist); False when
        another writer changed it. Writers of ``key`` serialise on an advisory lock of its folder."""
        import fcntl

        if tag is None:
            return self.create(key, data)
        dest = self._path(key)
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            with open(dest.parent / f"{TMP_PREFIX}lock", "a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                now = self.stat(key)
                if now is None or now.tag != tag:
                    return False
                self.write_bytes(key, data)
                return True
        except OSError as exc:
            raise StoreError(f"{self.uri}: cannot write {key!r}: {exc.strerror or exc}") from None

    def temporaries(self, prefix: str = "") -> list[tuple[str, float]]:
        """Temporary files left by writers that were killed: (key, mtime), for ``etl_job.cleanup.clean_stale``."""
        base = self._path(prefix) if prefix else self.root
        out = []
        for dirpath, _, filenames in os.walk(base if base.is_dir() else base.parent):
            for name in filenames:
                if name.startswith(TMP_PREFIX) and name != f"{TMP_PREFIX}lock":
                    path = Path(dirpath) / name
                    with contextlib.suppress(OSError):
                        out.append((path.relative_to(self.root).as_posix(), path.stat().st_mtime))
        return sorted(out)

    def upload_file(self, path: str | os.PathLike, key: str) -> None:
        self._publish(key, lambda tmp: shutil.copyfile(path, tmp))

    @contextlib.contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
        path = self._path(key)
        if not path.is_file():  # also refuses FIFOs and devices, which would block or never end
            what = " (a folder)" if path.is_dir() else "" if not path.exists() else " (a pipe or device)"
            raise ObjectMissing(f"{self.uri}: no regular file {key!r}{what}")
        yield path

    def _info(self, path: Path) -> ObjectInfo:
        """Size and a change tag; ctime is in the tag because copies that keep mtime (cp -p) still change it.

        An entry that cannot be read (a dangling link) is listed with size -1, so it fails on its own later.
        """
        key = path.relative_to(self.root).as_posix()
        try:
            st = path.stat()
        except OSError:
            return ObjectInfo(key, -1, "unreadable")
        return ObjectInfo(key, st.st_size, f"{st.st_mtime_ns}-{st.st_ctime_ns}")

    def list(self, prefix: str = "") -> list[ObjectInfo]:
        base = self._path(prefix) if prefix else self.root
        folder = base if base.is_dir() else base.parent
        if not folder.is_dir():
            return []
        out = []
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith(TMP_PREFIX))
            # a folder named like a file (``netflix_titles.csv/``) is listed, so it fails as an input instead of
            # the input silently going missing
            filenames = [*filenames, *(d for d in dirnames if d.lower().endswith(".csv"))]
            for name in sorted(filenames):
                if name.startswith(TMP_PREFIX):
                    continue
                info = self._info(Path(dirpath) / name)
                if info.key.startswith(prefix):
                    out.append(info)
        return sorted(out, key=lambda i: i.key)

    def stat(self, key: str) -> ObjectInfo | None:
        path = self._path(key)
        return self._info(path) if path.is_file() else None

    def delete(self, key: str) -> None:
        path = self._path(key)
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            raise StoreError(f"{self.uri}: cannot delete {key!r}: {exc.strerror or exc}") from None
        self._prune_empty(path.parent)

    def check_writable(self) -> None:
        """Fail early, with a message, when the root cannot hold objects."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"{self.uri}: not a usable folder: {exc.strerror or exc}") from None
        if not os.access(self.root, os.W_OK | os.X_OK):
            raise StoreError(f"{self.uri}: folder is not writable")


class S3Store:
    """A bucket and key prefix on S3; the boto3 client is created on first use."""

    def __init__(self, bucket: str, prefix: str = "") -> None:
        if not bucket:
            raise StoreError("s3 URI needs a bucket: s3://bucket/prefix")
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.uri = f"s3://{bucket}/{self.prefix}".rstrip("/")

    @cached_property
    def client(self):
        import boto3  # lazy: local stores and import-time checks never need it

        return boto3.client("s3")

    def _key(self, key: str) -> str:
        return join_key(self.prefix, key)

    def _rel(self, full: str) -> str:
        return full[len(self.prefix) + 1 :] if self.prefix else full

    def _call(self, what: str, fn, *args, **kwargs):
        from boto3.exceptions import Boto3Error
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return fn(*args, **kwargs)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in ("NoSuchKey", "404", "NotFound"):
                raise ObjectMissing(f"{self.uri}: no object {what!r}") from None
            raise StoreError(f"{self.uri}: {what}: {code or exc}") from None
        except (BotoCoreError, Boto3Error) as exc:  # Boto3Error: e.g. S3UploadFailedError
            raise StoreError(f"{self.uri}: {what}: {exc}") from None

    def read_bytes(self, key: str) -> bytes:
        return self._call(key, lambda: self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"].read())

    def write_bytes(self, key: str, data: bytes) -> None:
        self._call(key, self.client.put_object, Bucket=self.bucket, Key=self._key(key), Body=data)

    def upload_file(self, path: str | os.PathLike, key: str) -> None:
        self._call(key, self.client.upload_file, str(path), self.bucket, self._key(key))

    def _conditional_put(self, key: str, data: bytes, **condition: str) -> bool:
        try:
            self._call(key, self.client.put_object, Bucket=self.bucket, Key=self._key(key), Body=data, **condition)
            return True
        except StoreError as exc:
            if str(exc).endswith(("PreconditionFailed", "ConditionalRequestConflict")):
                return False
            raise

    def create(self, key: str, data: bytes) -> bool:
        """Write ``key`` only if it does not exist (S3 conditional write, ``If-None-Match: *``)."""
        return self._conditional_put(key, data, IfNoneMatch="*")

    def replace_if(self, key: str, data: bytes, tag: str | None) -> bool:
        """Write ``key`` only if its ETag is still ``tag`` (``If-Match``); None: only if it does not exist."""
        if tag is None:
            return self.create(key, data)
        return self._conditional_put(key, data, IfMatch=f'"{tag}"')

    def temporaries(self, prefix: str = "") -> list[tuple[str, float]]:
        """None: S3 writes are atomic (incomplete multipart uploads expire by the bucket's lifecycle rule)."""
        return []

    @contextlib.contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
        with tempfile.TemporaryDirectory(prefix="reelrec-") as tmp:
            path = Path(tmp) / Path(key).name
            self._call(key, self.client.download_file, self.bucket, self._key(key), str(path))
            yield path

    def list(self, prefix: str = "") -> list[ObjectInfo]:
        paginator = self.client.get_paginator("list_objects_v2")
        full = self._key(prefix) if prefix else (self.prefix + "/" if self.prefix else "")
        if prefix.endswith("/") and not full.endswith("/"):
            full += "/"
        out = []
        pages = self._call(prefix or "/", lambda: list(paginator.paginate(Bucket=self.bucket, Prefix=full)))
        for page in pages:
            for obj in page.get("Contents", []):
                out.append(ObjectInfo(self._rel(obj["Key"]), obj["Size"], obj["ETag"].strip('"')))
        return sorted(out, key=lambda i: i.key)

    def stat(self, key: str) -> ObjectInfo | None:
        try:
            head = self._call(key, self.client.head_object, Bucket=self.bucket, Key=self._key(key))
        except ObjectMissing:
            return None
        return ObjectInfo(key, head["ContentLength"], head["ETag"].strip('"'))

    def delete(self, key: str) -> None:
        self._call(key, self.client.delete_object, Bucket=self.bucket, Key=self._key(key))

    def check_writable(self) -> None:
        """Nothing to check up front without writing: S3 permissions show on the first write."""


def open_store(uri: str | os.PathLike) -> LocalStore | S3Store:
    """Return the store for ``uri``: ``s3://bucket/prefix`` or a local directory path."""
    text = os.fspath(uri).strip()
    if not text:
        raise StoreError("empty store URI")
    if text.startswith("s3://"):
        bucket, _, prefix = text[5:].partition("/")
        return S3Store(bucket, prefix)
    if "://" in text and not text.startswith("file://"):
        raise StoreError(f"unsupported store URI {text!r}: use s3://bucket/prefix or a local path")
    return LocalStore(text.removeprefix("file://"))
