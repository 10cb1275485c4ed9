"""Progress lines of a run, through stdlib logging (logger ``reelrec.etl``): rows and rows/s per file, a running
count on large files, then one summary line. ``reelrec.logs.configure`` decides how they look: the bare line on
stderr for the CLI, one JSON object per line (with the request id) in Lambda."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import TextIO

LOGGER = "reelrec.etl"


class Progress:
    """Whole lines, one log record each (safe from several threads); running counts at most every ``every`` s.

    ``stream``, when given, takes the lines instead of the log (a caller that collects or discards them)."""

    def __init__(self, stream: TextIO | None = None, every: float = 2.0, logger: logging.Logger | None = None) -> None:
        self.stream = stream
        self.every = every
        self.log = logger or logging.getLogger(LOGGER)
        self._lock = threading.Lock()

    def say(self, text: str, level: int = logging.INFO, fields: Mapping[str, object] | None = None) -> None:
        """Log one line at ``level``; ``fields`` become structured fields of a JSON log line."""
        if self.stream is None:
            self.log.log(level, text, extra={"fields": fields} if fields else None)
            return
        with self._lock:
            print(text, file=self.stream, flush=True)

    def warn(self, text: str, fields: Mapping[str, object] | None = None) -> None:
        """A line about something that went wrong but did not stop the run (a failed input)."""
        self.say(text, logging.WARNING, fields)

    def tracker(self, key: str) -> Callable[[int], None]:
        """A callback for one file's running row count."""
        start = last = time.perf_counter()

        def rows(count: int) -> None:
            nonlocal last
            now = time.perf_counter()
            if now - last >= self.every:
                last = now
                self.say(f"  {key}: {count:,} rows so far ({count / max(now - start, 1e-9):,.0f} rows/s)")

        return rows
