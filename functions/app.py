"""reelrec's catalog API: thin Chalice routes over ``chalicelib`` (input rules, snapshot cache, queries).

Nothing is read at import time (``chalice package`` imports this module): the snapshot loads on the first request.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from chalice import Chalice, Response
from chalice.app import Request
from chalicelib import openapi, page, params, queries, recommend, search
from chalicelib.errors import ApiError, Unavailable
from chalicelib.snapshots import MODEL, SnapshotCache
from chalicelib.viewers import Viewers

from reelrec import logs

app = Chalice(app_name="reelrec-api", configure_logs=False)  # its log propagates to our one channel
snapshots = SnapshotCache()  # one per container; opens the store lazily
models = SnapshotCache(source=MODEL)  # the served recommendation model, likewise
viewers = Viewers()  # known viewers' histories (REELREC_USERS), read per request
spec = openapi.Spec(title="reelrec API", version="1")
logs.configure()  # LOG_LEVEL; JSON lines with the request id in Lambda
log = logging.getLogger("reelrec.api")

REQUEST_ID_HEADER = "X-Request-Id"


def internal_error(rid: str) -> dict:
    """The 500 body: no detail of the failure (it is in the logs), and how to find it there."""
    return {"error": "InternalError", "request_id": rid,
            "message": f"unexpected server error; it was logged with request id {rid}: search the API's logs for it "
                       f"(CloudWatch Logs Insights: filter requestId = \"{rid}\")"}


def request_id_of(request: Request) -> str:
    """The Lambda invocation's request id (also the ``requestId`` of Lambda's own log lines); a fresh id when there
    is no Lambda context."""
    return logs.invocation_id(getattr(request, "lambda_context", None)) or uuid.uuid4().hex


@app.middleware("http")
def errors_and_request_ids(event: Request, get_response: Callable[[Request], Response]) -> Response:
    """Every request: its id on every log line and in the ``X-Request-Id`` header; an ``ApiError`` answered with its
    status and JSON body, anything else with a JSON 500 naming the request id (Chalice logs the traceback)."""
    rid = request_id_of(event)
    with logs.request_scope(rid):
        try:
            response = get_response(event)
        except ApiError as err:
            response = Response(body={**err.body(), "request_id": rid}, status_code=err.status)
        except Exception:  # a ChaliceUnhandledError that is not ours: nothing else reaches here
            log.exception("unexpected error in %s", event.path)
            response = Response(body=internal_error(rid), status_code=500)
        else:
            body = response.body
            if response.status_code == 500 and isinstance(body, dict) and body.get("Code") == "InternalServerError":
                response = Response(body=internal_error(rid), status_code=500)  # Chalice logged the traceback
        response.headers[REQUEST_ID_HEADER] = rid
        if response.status_code >= 500:
            log.error("%s %s -> %s", event.method, event.path, response.status_code)
        return response


def route(path: str, query: params.Route = params.NO_PARAMS, methods: Iterable[str] = ("GET",),
          path_params: dict[str, Callable[..., Any]] | None = None, body: Callable[[], dict[str, Any]] | None = None,
          errors: Iterable[str] = ("400", "404", "500", "503"), content_type: str = "application/json"
          ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``app.route`` that also documents the route in ``spec`` (GET /openapi.json) from the rules it enforces."""

    def register(view: Callable[..., Any]) -> Callable[..., Any]:
        spec.add(path, methods, view, query, path_params, body, errors, content_type)
        return app.route(path, methods=list(methods))(view)

    return register


def request() -> Request:
    """The request being handled (Chalice sets it before calling a view)."""
    current = app.current_request
    if current is None:
        raise RuntimeError("no current request: called outside a route")
    return current


def answer(route: params.Route, query: Callable[..., dict], *args: object) -> dict:
    """Validate the request's query parameters by ``route``, then run ``query`` on the current snapshot."""
    kwargs = route.parse(request().query_params)
    return query(snapshots.get(), *args, **kwargs)


@route("/get_max_duration", params.MAX_DURATION)
def get_max_duration() -> dict:
    """Longest title (or show with most seasons), optionally filtered by year, platform and duration_type."""
    return answer(params.MAX_DURATION, queries.get_max_duration)


@route("/get_score_count", params.SCORE_COUNT)
def get_score_count() -> dict:
    """Number of movies of a platform and year whose mean score is strictly above ``scored``."""
    return answer(params.SCORE_COUNT, queries.get_score_count)


@route("/get_count_platform", params.COUNT_PLATFORM)
def get_count_platform() -> dict:
    """Number of movies (and tv shows) of a platform."""
    return answer(params.COUNT_PLATFORM, queries.get_count_platform)


@route("/get_actor", params.ACTOR)
def get_actor() -> dict:
    """Cast member in most titles of a platform released in a year."""
    return answer(params.ACTOR, queries.get_actor)


@route("/questions", errors=("400", "500", "503"))
def questions() -> dict:
    """Starting values for the catalog questions that give an answer, chosen from the data (the web page's forms)."""
    params.NO_PARAMS.parse(request().query_params)
    return queries.question_defaults(snapshots.get())


@route("/titles/{id}", params.TITLE, path_params={"id": params.title_id})
def get_title(id: str) -> dict:
    """One title as people read it, with its score and where it can be watched (``platforms`` optional)."""
    return answer(params.TITLE, queries.get_title, params.title_id(id))


@route("/users/{user_id}/recommendations", params.RECOMMEND, path_params={"user_id": params.user_id})
def user_recommendations(user_id: str) -> dict:
    """Ranked titles a known user has not rated yet, from their history in the history store, and apart from them
    (``discover``) the best title nobody has rated; ``k``, ``platform`` or ``platforms``, ``type`` and ``audience``
    optional."""
    uid = params.user_id(user_id)
    kwargs = params.one_or_more_platforms(params.RECOMMEND.parse(request().query_params))
    model = models.get()
    return recommend.for_user(model, uid, viewers.get(uid), **kwargs)


@route("/recommendations", methods=("POST",), body=params.new_user_body_schema)
def new_user_recommendations() -> dict:
    """Recommendations for a new user from the JSON body's ``ratings`` (title id -> score 0.5-5), and apart from them
    (``discover``) the best title nobody has rated; ``k``, ``platform(s)``, ``type`` and ``audience`` optional."""
    params.NO_PARAMS.parse(request().query_params)
    body = params.new_user_body(request().raw_body)
    return recommend.for_new_user(models.get(), **body)


@route("/titles/{id}/similar", params.SIMILAR, path_params={"id": params.title_id})
def similar_titles(id: str) -> dict:
    """Titles like this one, rated or not, never a copy of it (``discover``: the closest one nobody rated, when the
    list holds none); ``k``, ``platforms`` and ``audience`` optional (a kids or family title's similar titles stay in
    its audience unless one is asked for)."""
    tid = params.title_id(id)
    kwargs = params.SIMILAR.parse(request().query_params)
    return recommend.similar(models.get(), tid, **kwargs)


@route("/titles", params.SEARCH)
def search_titles() -> dict:
    """Titles (one per work) whose name, cast or director matches ``q`` as people type it, best matches first;
    ``limit``, ``offset``, ``platform(s)`` and ``audience`` optional."""
    kwargs = params.one_or_more_platforms(params.SEARCH.parse(request().query_params))
    return search.search_titles(snapshots.get(), **kwargs)


@route("/users/examples", params.EXAMPLES)
def example_users() -> dict:
    """A few known users to try (spread over how much they rated); ``n`` optional."""
    kwargs = params.EXAMPLES.parse(request().query_params)
    return recommend.examples(models.get(), **kwargs)


@route("/", errors=("500",), content_type="text/html")
def index() -> Response:
    """The web page (HTML with its CSS and JavaScript inline) that calls the routes above. Query parameters are
    ignored: a link with ``?utm_source=...`` still opens the page."""
    web = page.page()
    return Response(body=web.html, headers=dict(web.headers), status_code=200)


@route("/health", errors=("400", "500", "503"))
def health() -> dict | Response:
    """``ok`` with the catalog snapshot in use, its age (``age_seconds``: how old the data is) and when it was checked;
    503 while there is no snapshot. The model's state and age are reported under ``model`` (no model yet only
    disables the recommendation routes)."""
    params.NO_PARAMS.parse(request().query_params)
    try:
        models.get()
        model: dict = {"status": "ok", **models.status()}
    except Unavailable as err:
        model = {"status": "unavailable", "message": err.message, **models.status()}
    try:
        snapshots.get()
    except Unavailable as err:
        return Response(body={**err.body(), "status": "unavailable", **snapshots.status(), "model": model,
                              "request_id": logs.request_id()}, status_code=503)
    return {"status": "ok", **snapshots.status(), "model": model}


@route("/openapi.json", errors=("400", "500"))
def openapi_document() -> dict:
    """This API's OpenAPI 3 document: every route with the parameters and bodies it accepts (the same rules it
    enforces) and its error bodies."""
    params.NO_PARAMS.parse(request().query_params)
    return spec.document()
