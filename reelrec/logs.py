"""One logging channel for every component: stdlib ``logging``, its level from ``LOG_LEVEL``.

The CLIs write readable lines (the message only) to stderr. In Lambda every record is one JSON line in the fields of
Lambda's JSON log format (``timestamp``, ``level``, ``message``, ``logger``, ``requestId``, and ``errorType`` /
``errorMessage`` / ``stackTrace`` for an exception), so CloudWatch Logs Insights can filter a request by its id.
The request id comes from ``request_scope`` (the API's middleware and the job handlers set it per invocation).
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import os
import sys
import traceback
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TextIO

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
DEFAULT_LEVEL = "INFO"
_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("reelrec_request_id", default=None)
_HANDLER_NAME = "reelrec"


def in_lambda(environ: Mapping[str, str] | None = None) -> bool:
    """True inside an AWS Lambda function (the runtime sets ``AWS_LAMBDA_FUNCTION_NAME``)."""
    return bool((os.environ if environ is None else environ).get("AWS_LAMBDA_FUNCTION_NAME"))


def level_from_env(environ: Mapping[str, str] | None = None) -> int:
    """The level named by ``LOG_LEVEL`` (then Lambda's ``AWS_LAMBDA_LOG_LEVEL``), INFO when unset or unknown."""
    env = os.environ if environ is None else environ
    name = (env.get("LOG_LEVEL") or env.get("AWS_LAMBDA_LOG_LEVEL") or DEFAULT_LEVEL).strip().upper()
    if name == "WARN":
        name = "WARNING"
    return getattr(logging, name) if name in LEVELS else logging.INFO


def invocation_id(*contexts: object) -> str | None:
    """The first ``aws_request_id`` among the given Lambda contexts (None when none carries one: a local call, a
    test); the id Lambda's own log lines call ``requestId``."""
    for context in contexts:
        rid = getattr(context, "aws_request_id", None)
        if isinstance(rid, str) and rid:
            return rid
    return None


def request_id() -> str | None:
    """The id of the request (or invocation) being handled, None outside one."""
    return _request_id.get()


@contextmanager
def request_scope(rid: str | None) -> Iterator[None]:
    """Tag every record logged inside the block with ``rid``."""
    token = _request_id.set(rid)
    try:
        yield
    finally:
        _request_id.reset(token)


class JsonFormatter(logging.Formatter):
    """One JSON object per record, in the fields of Lambda's JSON log format; ``extra={"fields": {...}}`` adds
    structured fields."""

    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, object] = {
            "timestamp": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "message": record.getMessage(),
            "logger": record.name,
        }
        rid = request_id()
        if rid:
            doc["requestId"] = rid
        fields = getattr(record, "fields", None)
        if isinstance(fields, Mapping):
            doc.update({str(k): v for k, v in fields.items() if k not in doc})
        if record.exc_info and record.exc_info[0] is not None:
            etype, err, tb = record.exc_info
            doc["errorType"] = etype.__name__
            doc["errorMessage"] = str(err)
            doc["stackTrace"] = traceback.format_tb(tb)
        return json.dumps(doc, default=str)


def configure(json_lines: bool | None = None, stream: TextIO | None = None,
              environ: Mapping[str, str] | None = None) -> logging.Logger:
    """Set up the root logger once per process (idempotent): level from ``LOG_LEVEL``; JSON lines in Lambda (or when
    ``json_lines``), the bare message on stderr otherwise. In Lambda the runtime's own handler is reformatted rather
    than doubled. Returns the ``reelrec`` logger."""
    use_json = in_lambda(environ) if json_lines is None else json_lines
    root = logging.getLogger()
    root.setLevel(level_from_env(environ))
    formatter: logging.Formatter = JsonFormatter() if use_json else logging.Formatter("%(message)s")
    ours = [h for h in root.handlers if h.get_name() == _HANDLER_NAME]
    if stream is not None or not root.handlers or not use_json:
        for h in ours:
            root.removeHandler(h)
        handler = logging.StreamHandler(stream if stream is not None else (sys.stdout if use_json else sys.stderr))
        handler.set_name(_HANDLER_NAME)
        handler.setFormatter(formatter)
        root.addHandler(handler)
    else:  # Lambda's runtime installed its handler: keep it, in our format
        for h in root.handlers:
            h.setFormatter(formatter)
    return logging.getLogger("reelrec")
