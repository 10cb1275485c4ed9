"""The API's OpenAPI 3 document, assembled from the routes as they are registered (``app.py``'s ``route``): path,
methods, the view's docstring, its query ``params.Route``, path parameters and body, each schema from the parser
that enforces it (``params.described``). One source: a route cannot be served without being documented."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from chalicelib.params import Route, schema_of

OPENAPI_VERSION = "3.0.3"
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error", "message", "request_id"],
    "properties": {
        "error": {"type": "string", "description": "BadRequest, NotFound, Unavailable or InternalError"},
        "message": {"type": "string", "description": "what was wrong, in words"},
        "request_id": {"type": "string", "description": "the id to find this request by in the API's logs"},
        "parameter": {"type": "string", "nullable": True, "description": "400: the parameter that was refused"},
        "value": {"type": "string", "nullable": True, "description": "400: the value received (shortened)"},
        "allowed": {"type": "string", "description": "400: what the parameter accepts"},
    },
}
ERRORS = {
    "400": "a parameter or the body is not allowed: the body names it and what is allowed",
    "404": "nothing matches (an unknown title or viewer, or no answer for the filters)",
    "500": "unexpected server error: the body's request_id finds it in the logs",
    "503": "no catalog snapshot or model is published yet, or its store cannot be read",
}


@dataclass(frozen=True)
class Operation:
    """One method of one path, as registered."""

    path: str
    method: str
    view: Callable[..., Any]
    query: Route
    path_params: dict[str, Callable[..., Any]]
    body: Callable[[], dict[str, Any]] | None
    errors: tuple[str, ...]
    content_type: str


@dataclass
class Spec:
    """Collects the operations and renders the document."""

    title: str
    version: str
    operations: list[Operation] = field(default_factory=list)

    def add(self, path: str, methods: Iterable[str], view: Callable[..., Any], query: Route,
            path_params: dict[str, Callable[..., Any]] | None = None, body: Callable[[], dict[str, Any]] | None = None,
            errors: Iterable[str] = ("400", "500", "503"), content_type: str = "application/json") -> None:
        """Record a route; every ``{name}`` in ``path`` needs a parser in ``path_params``."""
        names = re.findall(r"{(\w+)}", path)
        path_params = path_params or {}
        if sorted(names) != sorted(path_params):
            raise ValueError(f"{path}: path parameters {names} need parsers, got {sorted(path_params)}")
        for method in methods:
            self.operations.append(Operation(path, method.lower(), view, query, path_params, body, tuple(errors),
                                             content_type))

    def document(self) -> dict[str, Any]:
        """The OpenAPI 3 document of every recorded operation."""
        paths: dict[str, dict[str, Any]] = {}
        for op in self.operations:
            paths.setdefault(op.path, {})[op.method] = _operation(op)
        return {
            "openapi": OPENAPI_VERSION,
            "info": {"title": self.title, "version": self.version,
                     "description": "reelrec's catalog questions, recommendations, search and health. "
                                    "Every error is JSON with a request id (components/schemas/Error)."},
            "paths": paths,
            "components": {"schemas": {"Error": ERROR_SCHEMA}},
        }


def _operation(op: Operation) -> dict[str, Any]:
    doc = " ".join((inspect.getdoc(op.view) or op.view.__name__).split())
    summary = re.split(r"(?<=[.;:])\s", doc, maxsplit=1)[0].rstrip(".;:")
    parameters = [{"name": name, "in": "path", "required": True, "schema": schema_of(parser)}
                  for name, parser in op.path_params.items()]
    parameters += [{"name": name, "in": "query", "required": name in op.query.required, "schema": schema_of(parser)}
                   for name, parser in op.query.parsers.items()]
    content = ({"text/html": {"schema": {"type": "string"}}} if op.content_type == "text/html"
               else {"application/json": {"schema": {"type": "object"}}})
    responses: dict[str, Any] = {"200": {"description": "the answer", "content": content}}
    for code in op.errors:
        responses[code] = {"description": ERRORS[code],
                           "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    out: dict[str, Any] = {"operationId": op.view.__name__, "summary": summary.strip(),
                           "parameters": parameters, "responses": responses}
    if doc != summary:
        out["description"] = doc
    if op.body is not None:
        out["requestBody"] = {"required": True, "content": {"application/json": {"schema": op.body()}}}
    return out
