"""One writer at a time per area: a lease object with an owner and an expiry, taken with an exclusive create.

Leases are numbered objects ``_lease/<generation>.json``; the highest one is the lease. Taking it creates the next
generation with ``Store.create`` (S3 ``If-None-Match: *``, a hard link locally), so of two runs that find the area
free (or the lease expired) exactly one wins. The holder renews at its checkpoints and, before it publishes,
``check`` confirms nobody took over; releasing marks its generation released. A run killed while holding the
lease blocks others until the lease expires (``LEASE_SECONDS``), then the next run takes over.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from reelrec.layout import LEASE_PREFIX, lease_key
from reelrec.storage import ObjectMissing, Store, StoreError

LEASE_SECONDS = 30 * 60.0  # a run renews at its checkpoints; one step (a publish) must finish within this
KEEP_GENERATIONS = 3  # older lease objects are deleted when a new one is taken


class LeaseHeld(StoreError):
    """Another run holds the area; nothing was written."""


class LeaseLost(StoreError):
    """This run's lease expired and another run took the area over; it must not publish."""


def _iso(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).isoformat(timespec="seconds")


def owner_name(purpose: str) -> str:
    """Who holds a lease, in words an operator can act on: what, where, which process."""
    return f"{purpose} on {socket.gethostname()} (pid {os.getpid()})"


@dataclass
class Lease:
    """A lease this run holds."""

    store: Store
    generation: int
    owner: str
    token: str
    since: float
    expires: float
    seconds: float
    clock: Callable[[], float] = time.time

    @property
    def key(self) -> str:
        return lease_key(self.generation)

    def _body(self, released: bool = False) -> bytes:
        return json.dumps({"owner": self.owner, "token": self.token, "since": _iso(self.since),
                           "expires": _iso(self.expires), "expires_at": self.expires, "released": released}).encode()

    def check(self) -> None:
        """Raise ``LeaseLost`` when another run took the area over; else renew the lease for ``seconds``."""
        newer = [g for g in _generations(self.store) if g > self.generation]
        if newer:
            other = _read(self.store, newer[-1]) or {}
            raise LeaseLost(f"{self.store.uri}: this run's lease expired and {other.get('owner', 'another run')} "
                            f"took the area over at {other.get('since', '?')}: nothing more is published by this run")
        self.expires = self.clock() + self.seconds
        self.store.write_bytes(self.key, self._body())

    def release(self) -> None:
        """Mark the lease released (only if it is still ours)."""
        body = _read(self.store, self.generation)
        if body and body.get("token") == self.token and not any(g > self.generation for g in _generations(self.store)):
            self.store.write_bytes(self.key, self._body(released=True))


def _generations(store: Store) -> list[int]:
    out = []
    for info in store.list(LEASE_PREFIX):
        name = info.key[len(LEASE_PREFIX):].removesuffix(".json")
        if name.isdigit():
            out.append(int(name))
    return sorted(out)


def _read(store: Store, generation: int) -> dict | None:
    try:
        body = json.loads(store.read_bytes(lease_key(generation)))
    except ObjectMissing:
        return None
    except (StoreError, ValueError):
        return {"owner": "unknown (unreadable lease object)", "expires_at": 0}
    return body if isinstance(body, dict) else {"owner": "unknown (malformed lease object)", "expires_at": 0}


def acquire(store: Store, purpose: str, seconds: float = LEASE_SECONDS, clock: Callable[[], float] = time.time,
            attempts: int = 3) -> Lease:
    """Take the area's lease or raise ``LeaseHeld`` naming who holds it, since when and until when."""
    for _ in range(attempts):
        gens = _generations(store)
        top = gens[-1] if gens else 0
        if top:
            body = _read(store, top)
            if body is not None and not body.get("released") and clock() < float(body.get("expires_at", 0) or 0):
                raise LeaseHeld(
                    f"{store.uri} is in use: {body.get('owner', '?')} holds it since {body.get('since', '?')} "
                    f"(lease {lease_key(top)}, expires {body.get('expires', '?')}); run again when it is done, "
                    "or after the expiry if that run died")
        now = clock()
        lease = Lease(store, top + 1, owner_name(purpose), uuid.uuid4().hex, now, now + seconds, seconds, clock)
        if store.create(lease.key, lease._body()):
            for old in gens[: -(KEEP_GENERATIONS - 1)]:
                with contextlib.suppress(StoreError):
                    store.delete(lease_key(old))
            return lease
    raise LeaseHeld(f"{store.uri} is in use: another run took its lease at the same moment; run again later")


@contextlib.contextmanager
def held(store: Store, purpose: str, seconds: float = LEASE_SECONDS) -> Iterator[Lease]:
    """The area's lease for the duration of the block, released in every exit path."""
    lease = acquire(store, purpose, seconds)
    try:
        yield lease
    finally:
        with contextlib.suppress(StoreError):
            lease.release()
