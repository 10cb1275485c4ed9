"""reelrec's catalog API: thin Chalice routes over ``chalicelib`` (input rules, snapshot cache, queries).

Nothing is read at import time (``chalice package`` imports this module): the snapshot loads on the first request.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

from chalice import Chalice, Response
from chalicelib import page, params, queries, recommend, search
from chalicelib.errors import ApiError, Unavailable
from chalicelib.snapshots import MODEL, SnapshotCache
from chalicelib.viewers import Viewers

app = Chalice(app_name="reelrec-api")
snapshots = SnapshotCache()  # one per container; opens the store lazily
models = SnapshotCache(source=MODEL)  # the served recommendation model, likewise
viewers = Viewers()  # known viewers' histories (REELREC_USERS), read per request
log = logging.getLogger("reelrec.api")
log.setLevel(logging.INFO)

INTERNAL_ERROR = {"error": "InternalError", "message": "unexpected server error; it has been logged"}


def json_errors(view: Callable[..., object]) -> Callable[..., object]:
    """Answer an ``ApiError`` with its status and JSON body, and any other exception with a logged JSON 500."""

    @functools.wraps(view)
    def wrapper(*args: object, **kwargs: object) -> object:
        try:
            return view(*args, **kwargs)
        except ApiError as err:
            return Response(body=err.body(), status_code=err.status)
        except Exception:
            log.exception("unexpected error in %s", view.__name__)
            return Response(body=INTERNAL_ERROR, status_code=500)

    return wrapper


def answer(route: params.Route, query: Callable[..., dict], *args: object) -> dict:
    """Validate the request's query parameters by ``route``, then run ``query`` on the current snapshot."""
    kwargs = route.parse(app.current_request.query_params)
    return query(snapshots.get(), *args, **kwargs)


@app.route("/get_max_duration")
@json_errors
def get_max_duration() -> dict:
    """Longest title (or show with most seasons), optionally filtered by year, platform and duration_type."""
    return answer(params.MAX_DURATION, queries.get_max_duration)


@app.route("/get_score_count")
@json_errors
def get_score_count() -> dict:
    """Number of movies of a platform and year whose mean score is strictly above ``scored``."""
    return answer(params.SCORE_COUNT, queries.get_score_count)


@app.route("/get_count_platform")
@json_errors
def get_count_platform() -> dict:
    """Number of movies (and tv shows) of a platform."""
    return answer(params.COUNT_PLATFORM, queries.get_count_platform)


@app.route("/get_actor")
@json_errors
def get_actor() -> dict:
    """Cast member in most titles of a platform released in a year."""
    return answer(params.ACTOR, queries.get_actor)


@app.route("/questions")
@json_errors
def questions() -> dict:
    """Starting values for the catalog questions that give an answer, chosen from the data (the web page's forms)."""
    params.NO_PARAMS.parse(app.current_request.query_params)
    return queries.question_defaults(snapshots.get())


@app.route("/titles/{id}")
@json_errors
def get_title(id: str) -> dict:
    """One title as people read it, with its score and where it can be watched (``platforms`` optional)."""
    return answer(params.TITLE, queries.get_title, params.title_id(id))


@app.route("/users/{user_id}/recommendations")
@json_errors
def user_recommendations(user_id: str) -> dict:
    """Ranked titles a known user has not rated yet, from their history in the history store; ``k``, ``platform``
    or ``platforms``, ``type`` and ``audience`` optional."""
    uid = params.user_id(user_id)
    kwargs = params.one_or_more_platforms(params.RECOMMEND.parse(app.current_request.query_params))
    model = models.get()
    return recommend.for_user(model, uid, viewers.get(uid), **kwargs)


@app.route("/recommendations", methods=["POST"])
@json_errors
def new_user_recommendations() -> dict:
    """Recommendations for a new user from the JSON body's ``ratings`` (title id -> score 0.5-5); ``k``,
    ``platform(s)``, ``type`` and ``audience`` optional."""
    params.NO_PARAMS.parse(app.current_request.query_params)
    body = params.new_user_body(app.current_request.raw_body)
    return recommend.for_new_user(models.get(), **body)


@app.route("/titles/{id}/similar")
@json_errors
def similar_titles(id: str) -> dict:
    """Titles like this one, rated or not, never a copy of it; ``k``, ``platforms`` and ``audience`` optional (a kids or
    family title's similar titles stay in its audience unless one is asked for)."""
    tid = params.title_id(id)
    kwargs = params.SIMILAR.parse(app.current_request.query_params)
    return recommend.similar(models.get(), tid, **kwargs)


@app.route("/titles")
@json_errors
def search_titles() -> dict:
    """Titles (one per work) whose name, cast or director matches ``q`` as people type it, best matches first;
    ``limit``, ``offset``, ``platform(s)`` and ``audience`` optional."""
    kwargs = params.one_or_more_platforms(params.SEARCH.parse(app.current_request.query_params))
    return search.search_titles(snapshots.get(), **kwargs)


@app.route("/users/examples")
@json_errors
def example_users() -> dict:
    """A few known users to try (spread over how much they rated); ``n`` optional."""
    kwargs = params.EXAMPLES.parse(app.current_request.query_params)
    return recommend.examples(models.get(), **kwargs)


@app.route("/")
@json_errors
def index() -> Response:
    """The web page (HTML with its CSS and JavaScript inline) that calls the routes above. Query parameters are
    ignored: a link with ``?utm_source=...`` still opens the page."""
    web = page.page()
    return Response(body=web.html, headers=dict(web.headers), status_code=200)


@app.route("/health")
@json_errors
def health() -> dict | Response:
    """``ok`` with the snapshot version in use and when it was checked; 503 while there is no snapshot.
    The model's state is reported under ``model`` (no model yet only disables the recommendation routes)."""
    params.NO_PARAMS.parse(app.current_request.query_params)
    try:
        models.get()
        model: dict = {"status": "ok", **models.status()}
    except Unavailable as err:
        model = {"status": "unavailable", "message": err.message, **models.status()}
    try:
        snapshots.get()
    except Unavailable as err:
        return Response(body={**err.body(), "status": "unavailable", **snapshots.status(), "model": model},
                        status_code=503)
    return {"status": "ok", **snapshots.status(), "model": model}
