"""Progress lines for long steps: rows and rows/s per file, then one summary line."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import TextIO


class Progress:
    """Prints whole lines (safe from several threads); running counts at most every ``every`` seconds."""

    def __init__(self, stream: TextIO | None = None, every: float = 2.0) -> None:
        self.stream = stream or sys.stderr
        self.every = every
        self._lock = threading.Lock()

    def say(self, text: str) -> None:
        with self._lock:
            print(text, file=self.stream, flush=True)

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
