"""The run's worker pool: its threads log as the thread that made it does (the Lambda's request id included)."""

from __future__ import annotations

import contextvars
from concurrent.futures import ThreadPoolExecutor


def worker_pool(workers: int) -> ThreadPoolExecutor:
    """A pool whose threads start with the caller's context variables (``reelrec.logs.request_scope``); a new
    thread would otherwise start without them and its records would lose the request id."""
    return ThreadPoolExecutor(max_workers=workers, initializer=_adopt, initargs=(contextvars.copy_context(),))


def _adopt(context: contextvars.Context) -> None:
    """In a new worker thread: take on the values of ``context``."""
    for var, value in context.items():
        var.set(value)
