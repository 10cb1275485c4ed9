"""Progress lines for long steps: rows and rows/s per file, then one summary line."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """Prints a line per file, and a running count at most every ``every`` seconds."""

    def __init__(self, stream: TextIO | None = None, every: float = 2.0) -> None:
        self.stream = stream or sys.stderr
        self.every = every
        self._start = self._last = 0.0
        self._key = ""

    def say(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    def start(self, key: str) -> None:
        self._key, self._start = key, time.perf_counter()
        self._last = self._start

    def rows(self, count: int) -> None:
        now = time.perf_counter()
        if now - self._last >= self.every:
            self._last = now
            rate = count / max(now - self._start, 1e-9)
            self.say(f"  {self._key}: {count:,} rows so far ({rate:,.0f} rows/s)")
