"""Errors the routes turn into JSON answers (400 / 404 / 503), never a 500.

They derive from Chalice's ``ChaliceUnhandledError`` so that Chalice hands them to the app's middleware (``app.py``),
which answers them with their status and body plus the request id, instead of turning them into its own 500.
"""

from __future__ import annotations

from chalice import ChaliceUnhandledError


class ApiError(ChaliceUnhandledError):
    """Base: an HTTP status and a JSON body."""

    status = 500

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def body(self) -> dict:
        return {"error": type(self).__name__, "message": self.message, **self.details}


class BadRequest(ApiError):
    """A parameter is missing or not allowed; the body names it and what is allowed."""

    status = 400


class NotFound(ApiError):
    """Nothing matches the query."""

    status = 404


class Unavailable(ApiError):
    """No catalog snapshot has been published yet (run the ETL)."""

    status = 503
