"""Known viewers' histories for the recommendation route: the history store (``reelrec.histories``) named by
``REELREC_USERS`` (a local folder or ``dynamodb://<table>``), opened on first use, read per request (no cache: a
rating the ETL landed today counts in the next answer)."""

from __future__ import annotations

import logging
import threading

from chalicelib.errors import Unavailable
from reelrec.config import area_uri
from reelrec.histories import History, HistoryStore, HistoryStoreError, open_histories

log = logging.getLogger("reelrec.api.viewers")
UNREADABLE = "the viewers' history store cannot be read right now; try again later"


class Viewers:
    """One container's handle on the history store (``uri`` None: from the environment, read on first use)."""

    def __init__(self, uri: str | None = None) -> None:
        self.uri = uri
        self._store: HistoryStore | None = None
        self._lock = threading.Lock()

    def _open(self) -> HistoryStore:
        with self._lock:
            if self._store is None:
                uri = self.uri or area_uri("users")
                try:
                    self._store = open_histories(uri)
                except HistoryStoreError as exc:
                    log.error("history store %r is not usable: %s", uri, exc)
                    raise Unavailable(f"{UNREADABLE} ({exc})") from None
                log.info("viewers' histories from %s", self._store.uri)
            return self._store

    def get(self, user_id: int) -> History | None:
        """The viewer's history, None when the store has none; ``Unavailable`` (503) when it cannot be read."""
        store = self._open()
        try:
            return store.get(user_id)
        except (HistoryStoreError, ValueError) as exc:
            log.error("reading viewer %s from %s: %s", user_id, store.uri, exc)
            raise Unavailable(UNREADABLE) from None
