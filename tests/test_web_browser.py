"""The web page in a real browser: Playwright (sync API) driving Debian's Chromium headless against ``chalice local``
over the generated lake and the model trained on it (``api_lake``, ``api_models``).

Every answer the page shows is compared with the API's own answer to the same request. Screenshots go to a temporary
folder, or to ``$REELREC_SCREENSHOTS`` (``REELREC_SCREENSHOTS=docs/screenshots pytest tests/test_web_browser.py``
regenerates the committed ones). Chromium comes from Debian (``/usr/bin/chromium``; ``.ci/run`` installs it): never
``playwright install``.
"""

from __future__ import annotations

import decimal
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest

from tests.api_reference import FUNCTIONS_DIR

CHROMIUM = Path(os.environ.get("REELREC_CHROMIUM", "/usr/bin/chromium"))
CHALICE = Path(sys.executable).with_name("chalice")
ROOT = FUNCTIONS_DIR.parent
# what this machine's Chromium needs headless (no GPU, no calls home on a closed network)
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync", "--disable-quic"]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}
WAIT_MS = 15_000

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (the Python package) is not installed")
if not CHROMIUM.exists():
    pytest.skip(f"no Chromium at {CHROMIUM}: install Debian's chromium (apt-get install chromium)",
                allow_module_level=True)
if not CHALICE.exists():
    pytest.skip(f"chalice CLI not installed beside {sys.executable}", allow_module_level=True)
expect = sync_api.expect


# -- the server, the browser, a page ---------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Api:
    """The running server's URL and its JSON answers, to compare the page with."""

    def __init__(self, base: str) -> None:
        self.base = base

    def call(self, path: str, body: object = None, **query: object) -> tuple[int, dict]:
        url = f"{self.base}{path}" + (f"?{urlencode(query)}" if query else "")
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=10) as resp:
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read())

    def get(self, path: str, **query: object) -> dict:
        status, body = self.call(path, **query)
        assert status == 200, (path, query, body)
        return body


@pytest.fixture(scope="module")
def api(api_lake, api_models) -> Iterator[Api]:
    """``chalice local --stage local`` on a free port over the generated lake and model."""
    port = free_port()
    env = {**os.environ, "REELREC_LAKE": str(api_lake), "REELREC_MODELS": str(api_models),
           "REELREC_USERS": str(api_lake.parent / "users"), "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen(
        [str(CHALICE), "local", "--stage", "local", "--port", str(port), "--no-autoreload"],
        cwd=FUNCTIONS_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    client = Api(f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if client.call("/health")[0] == 200:
                    break
            except OSError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, server.stderr.read().decode()[-2000:]
            time.sleep(0.2)
        yield client
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    """Where screenshots go: $REELREC_SCREENSHOTS (relative to the repository) or a temporary folder."""
    target = os.environ.get("REELREC_SCREENSHOTS")
    folder = (ROOT / target) if target else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def open_page(browser, url: str, viewport: dict, scale: float = 1, **options):
    """A fresh context (no saved ratings) and page; console errors and page errors are collected in ``errors``.
    ``options`` go to the context (``color_scheme``, ``has_touch``, ...)."""
    context = browser.new_context(viewport=viewport, device_scale_factor=scale, **{"color_scheme": "light", **options})
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    errors: list[str] = []
    # an API error answer (400/404) is logged by Chromium as a failed resource: expected, the page shows it
    page.on("console", lambda m: m.type == "error" and "Failed to load resource" not in m.text
            and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    page.goto(url)
    expect(page.locator("#health")).to_contain_text("Catalog of")
    return context, page, errors


@pytest.fixture
def desktop(browser, api):
    context, page, errors = open_page(browser, api.base + "/", DESKTOP)
    yield page
    context.close()
    assert errors == [], errors  # no script error, no Content-Security-Policy violation


def cards(page, where: str):
    """The ranked cards of a list (the discovery pick, shown apart, is ``discover_cards``)."""
    return page.locator(f"{where} article.card:not(.discover)")


def discover_cards(page, where: str):
    return page.locator(f"{where} article.card.discover")


def card_ids(page, where: str) -> list[str]:
    return cards(page, where).evaluate_all("els => els.map(e => e.dataset.id)")


def wait_done(page, status: str, kind: str = "ok") -> None:
    """Wait until a status line shows a finished answer of ``kind``."""
    expect(page.locator(status)).to_have_class(re.compile(rf"\b{kind}\b"))


# -- scenarios ------------------------------------------------------------------------------------------------
def test_page_loads_with_every_section(desktop, api):
    page = desktop
    expect(page).to_have_title(re.compile("reelrec"))
    for name in ("Recommendations for a viewer", "New here? Rate a few titles", "Catalog questions"):
        expect(page.get_by_role("heading", name=name)).to_be_visible()
    examples = api.get("/users/examples", n=12)["users"]
    chips = page.locator("#user-examples button.chip")
    expect(chips).to_have_count(6)
    assert chips.all_text_contents() == [str(u["user_id"]) for u in examples[:6]]
    health = api.get("/health")
    expect(page.locator("#health")).to_contain_text(f"{health['titles']:,} titles")
    expect(page.locator("#new-status")).to_contain_text("Rate a few titles")  # the empty state
    for label in ("User id", "Platform", "Search titles by name", "Release year", "Mean score above 3.5"):
        expect(page.get_by_label(label, exact=True).first).to_be_visible()


def test_the_four_queries(desktop, api):
    page = desktop
    # longest: TV show with most seasons on hulu, any year
    form = page.locator("#q-duration")
    form.get_by_label("Platform").select_option("hulu")
    form.get_by_label("Measured in").select_option("season")
    form.get_by_role("button", name="Find the longest").click()
    wait_done(page, "#q-duration .answer")
    want = api.get("/get_max_duration", platform="hulu", duration_type="season")
    answer = form.locator(".answer").text_content()
    assert f"The TV show with the most seasons on Hulu is {want['title']}" in answer
    assert f": {want['duration_int']} seasons." in answer or f": {want['duration_int']} season." in answer

    # well-rated movies: the slider moved with the keyboard to 4
    form = page.locator("#q-score")
    form.get_by_label("Platform").select_option("netflix")
    form.get_by_label("Release year").fill("2019")
    slider = page.locator("#qs-scored")
    slider.focus()
    slider.press("ArrowRight")
    expect(page.locator("#qs-scored-value")).to_have_text("4.0")
    form.get_by_role("button", name="Count the movies").click()
    wait_done(page, "#q-score .answer")
    want = api.get("/get_score_count", platform="netflix", year=2019, scored=4)
    count = want["count"]
    expect(form.locator(".answer")).to_have_text(
        f"{count:,} movie{'s' if count != 1 else ''} on Netflix released in 2019 {'has' if count == 1 else 'have'} "
        "a mean score above 4." if count else "No movie on Netflix released in 2019 has a mean score above 4.")

    # movies per platform
    form = page.locator("#q-count")
    form.get_by_label("Platform").select_option("disney")
    form.get_by_role("button", name="Count").click()
    wait_done(page, "#q-count .answer")
    want = api.get("/get_count_platform", platform="disney")
    expect(form.locator(".answer")).to_have_text(
        f"Disney+ has {want['count']:,} movies and {want['tv_shows']:,} TV shows.")

    # busiest actor
    form = page.locator("#q-actor")
    form.get_by_label("Platform").select_option("netflix")
    form.get_by_label("Release year").fill("2019")
    form.get_by_role("button", name="Find the actor").click()
    wait_done(page, "#q-actor .answer")
    want = api.get("/get_actor", platform="netflix", year=2019)
    expect(form.locator(".answer")).to_have_text(
        f"{want['actor']} appears in the most titles on Netflix released in 2019: {want['count']} "
        f"title{'s' if want['count'] != 1 else ''}.")


def test_a_known_user_and_the_filters(desktop, api, shots):
    page = desktop
    examples = api.get("/users/examples", n=12)["users"]
    user = examples[-1]["user_id"]
    page.get_by_label("User id").fill(str(user))
    page.get_by_label("User id").press("Enter")  # the keyboard submits the form
    wait_done(page, "#user-status")
    want = api.get(f"/users/{user}/recommendations", k=12)
    assert card_ids(page, "#user-results") == [i["id"] for i in want["items"]]
    first = cards(page, "#user-results").first
    expect(first.locator(".reason")).to_have_text(want["items"][0]["reason"])
    expect(first.locator(".badge")).to_be_visible()
    page.get_by_label("User id").blur()
    page.mouse.move(0, 0)
    page.screenshot(path=str(shots / "desktop.png"))

    page.locator("#user-platform").select_option("netflix")
    expect(page.locator("#user-status")).to_contain_text("on Netflix")
    wait_done(page, "#user-status")
    want = api.get(f"/users/{user}/recommendations", k=12, platform="netflix")
    assert card_ids(page, "#user-results") == [i["id"] for i in want["items"]]
    found = discover_cards(page, "#user-results")  # after the ranked cards, labelled
    assert found.evaluate_all("els => els.map(e => e.dataset.id)") == [i["id"] for i in want["discover"]]
    for i in range(found.count()):
        expect(found.nth(i).locator(".discover-label")).to_have_text("New to discover: nobody has rated it yet")
        assert found.nth(i).evaluate("e => !e.nextElementSibling || e.nextElementSibling.matches('.discover')")
    assert set(cards(page, "#user-results").locator(".badge").all_text_contents()) == {"Netflix"}

    page.locator("#user-type").select_option("tv show")
    expect(page.locator("#user-status")).to_contain_text("TV shows on Netflix")
    want = api.get(f"/users/{user}/recommendations", k=12, platform="netflix", type="tv show")
    expect(cards(page, "#user-results")).to_have_count(len(want["items"]))
    assert card_ids(page, "#user-results") == [i["id"] for i in want["items"]]

    page.get_by_role("button", name="Surprise me").click()
    expect(page.locator("#user-id")).not_to_have_value(str(user))
    wait_done(page, "#user-status")
    surprise = page.locator("#user-id").input_value()
    assert int(surprise) in {u["user_id"] for u in examples}
    expect(page.locator("#user-status")).to_contain_text(f"for user {surprise}")


def rate_three(page, api) -> dict[str, float]:
    """Search, then rate three results: two by clicking stars, one with the keyboard. The ratings given."""
    first_word = api.get("/titles/ns1")["title"].split()[0]
    page.get_by_label("Search titles by name").fill(first_word)
    wait_done(page, "#search-status")
    want = api.get("/titles", q=first_word, limit=10)
    results = page.locator("#search-results li.result")
    expect(results).to_have_count(len(want["items"]))
    assert len(want["items"]) >= 3
    ids = [i["id"] for i in want["items"][:3]]
    results.nth(0).locator("label[data-value='4.5']").click()
    # keyboard: into the radio group, then arrows, like any radio group
    results.nth(1).get_by_label("0.5 stars").focus()
    page.keyboard.press("Space")
    for _ in range(7):
        page.keyboard.press("ArrowRight")
    expect(results.nth(1).get_by_label("4 stars", exact=True)).to_be_checked()
    results.nth(2).locator("label[data-value='5']").click()
    expect(page.locator("#mine-status")).to_have_text("3 titles rated.")
    return dict(zip(ids, [4.5, 4.0, 5.0], strict=True))


def test_a_new_user_rates_three_titles_and_gets_recommendations(desktop, api, shots):
    page = desktop
    given = rate_three(page, api)
    expect(page.locator("#new-status")).to_contain_text("from your 3 ratings")
    wait_done(page, "#new-status")
    _, want = api.call("/recommendations", body={"ratings": given, "k": 12})
    shown = card_ids(page, "#new-results")
    assert shown == [i["id"] for i in want["items"]] and not set(shown) & set(given)
    assert page.locator("#my-ratings li").count() == 3
    page.mouse.move(0, 0)
    page.locator("#new").screenshot(path=str(shots / "new-user.png"))

    # filters apply to the new user's list too
    page.locator("#new-type").select_option("movie")
    expect(page.locator("#new-status")).to_contain_text("movies, from your 3 ratings")
    _, want = api.call("/recommendations", body={"ratings": given, "k": 12, "type": "movie"})
    assert card_ids(page, "#new-results") == [i["id"] for i in want["items"]]

    # removing a rating updates the list; ratings survive a reload (localStorage)
    page.get_by_role("button", name=re.compile("^Remove your rating of")).first.click()
    expect(page.locator("#mine-status")).to_have_text("2 titles rated.")
    expect(page.locator("#new-status")).to_contain_text("from your 2 ratings")
    page.reload()
    expect(page.locator("#mine-status")).to_have_text("2 titles rated.")
    page.get_by_role("button", name="Start over").click()
    expect(page.locator("#new-status")).to_have_text("Rate a few titles to see recommendations here.")


def test_open_a_title_and_its_similar_titles(desktop, api, shots):
    page = desktop
    page.get_by_role("button", name="Surprise me").click()
    wait_done(page, "#user-status")
    first = cards(page, "#user-results").first
    title_id = first.get_attribute("data-id")
    record = api.get(f"/titles/{title_id}")
    first.locator("button.open").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#detail-title")).to_have_text(record["title"])
    expect(dialog.locator(".description")).to_be_visible()
    expect(cards(page, "#similar-results").first).to_be_visible()
    want = api.get(f"/titles/{title_id}/similar", k=8)
    expect(cards(page, "#similar-results")).to_have_count(len(want["items"]))
    assert card_ids(page, "#similar-results") == [i["id"] for i in want["items"]]
    page.mouse.move(0, 0)
    page.screenshot(path=str(shots / "title.png"))

    # a similar title opens in its place; rating it here counts as a new user's rating
    cards(page, "#similar-results").first.locator("button.open").click()
    expect(dialog.locator("#detail-title")).to_have_text(want["items"][0]["title"])
    dialog.locator(".rate-here label[data-value='3.5']").click()
    expect(page.locator("#mine-status")).to_have_text("1 title rated.")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()


def test_errors_are_shown_in_words(desktop, api):
    page = desktop
    page.get_by_label("User id").fill("999999999999")
    page.get_by_role("button", name="Show recommendations").click()
    wait_done(page, "#user-status", "error")
    expect(page.locator("#user-status")).to_contain_text("We don't know user 999999999999")
    expect(cards(page, "#user-results")).to_have_count(0)

    page.get_by_label("User id").fill("abc")
    page.get_by_label("User id").press("Enter")
    expect(page.locator("#user-status")).to_contain_text('"abc" is not a user id')

    expect(page.locator("#user-id")).to_have_attribute("aria-invalid", "true")

    # an input the API refuses: a plain sentence beside the field, the field marked; the API's JSON keeps its detail
    form = page.locator("#q-actor")
    form.get_by_label("Platform").select_option("netflix")
    for typed in ("1700", "abc"):
        form.get_by_label("Release year").fill(typed)
        form.get_by_role("button", name="Find the actor").click()
        wait_done(page, "#q-actor .answer", "error")
        expect(form.locator(".answer")).to_have_text("Please fix the field marked above.")
        expect(page.locator("#qa-year")).to_have_attribute("aria-invalid", "true")
        expect(page.locator("#qa-year-error")).to_have_text("Type a release year as four digits, like 2019.")
        expect(page.locator("#qa-year")).to_be_focused()
        status, body = api.call("/get_actor", platform="netflix", year=typed)
        assert status == 400 and body["parameter"] == "year" and "expected an integer" in body["message"]
    form.get_by_label("Release year").fill("2019")
    form.get_by_role("button", name="Find the actor").click()
    wait_done(page, "#q-actor .answer")
    expect(page.locator("#qa-year")).not_to_have_attribute("aria-invalid", "true")
    expect(page.locator("#qa-year-error")).to_be_hidden()

    form = page.locator("#q-score")
    form.get_by_label("Platform").select_option("netflix")
    form.get_by_label("Release year").fill("1871")
    form.get_by_role("button", name="Count the movies").click()
    wait_done(page, "#q-score .answer", "error")
    expect(form.locator(".answer")).to_have_text("Nothing found: no movies on Netflix released in 1871.")

    page.get_by_label("Search titles by name").fill("qqqqqqqqq")
    expect(page.locator("#search-status")).to_have_text("No titles match \u201cqqqqqqqqq\u201d. Try fewer letters.")


def test_phone_width_has_no_horizontal_overflow(browser, api, shots):
    context, page, errors = open_page(browser, api.base + "/", PHONE, scale=2)
    try:
        page.get_by_role("button", name="Surprise me").click()
        wait_done(page, "#user-status")
        rate_three(page, api)
        wait_done(page, "#new-status")
        if page.locator("#rated-bar").is_visible():  # the bar after a rating covers the bottom of the screen
            page.get_by_role("button", name="Hide this message").click()
        for form in ("q-duration", "q-score", "q-count", "q-actor"):
            page.locator(f"#{form} button[type=submit]").click()
        for form in ("q-duration", "q-score", "q-count", "q-actor"):
            wait_done(page, f"#{form} .answer")
        width = page.evaluate("Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)")
        assert width <= PHONE["width"], f"the page is {width}px wide at {PHONE['width']}px"
        page.evaluate("document.getElementById('known').scrollIntoView({behavior: 'instant'})")
        page.mouse.move(0, 0)
        page.screenshot(path=str(shots / "phone.png"))
        cards(page, "#user-results").first.locator("button.open").click()
        expect(cards(page, "#similar-results").first).to_be_visible()
        box = page.get_by_role("dialog").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    finally:
        context.close()
    assert errors == [], errors


@pytest.mark.parametrize("entry", ["/api", "/api/"])
def test_the_page_works_under_a_stage_prefix(browser, api, entry):
    """Behind API Gateway the page is /api or /api/ and the routes /api/<route>: the page must call those. Here
    the browser sees a server where only /api/... exists (forwarded to chalice local without the prefix)."""
    context = browser.new_context(viewport=DESKTOP)
    seen: list[str] = []

    def stage(route) -> None:
        url = urlsplit(route.request.url)
        seen.append(url.path)
        if url.path == "/api" or url.path.startswith("/api/"):
            target = api.base + (url.path[len("/api"):] or "/") + (f"?{url.query}" if url.query else "")
            route.fulfill(response=route.fetch(url=target))
        else:
            route.fulfill(status=403, content_type="application/json", body='{"message":"Missing Authentication Token"}')

    context.route("**/*", stage)
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    try:
        page.goto(api.base + entry)
        expect(page.locator("#health")).to_contain_text("Catalog of")
        page.locator("#q-count button[type=submit]").click()
        wait_done(page, "#q-count .answer")
        page.get_by_role("button", name="Surprise me").click()
        wait_done(page, "#user-status")
        assert seen and all(p == "/api" or p.startswith("/api/") for p in seen), seen
    finally:
        context.close()
    assert errors == [], errors


def test_a_kids_history_is_said_to_keep_to_its_audience(desktop, api):
    """Ratings of kids titles only (kept in the browser, as the page stores them): the list keeps to kids titles and
    the page says why, in words (issue 12, item 2)."""
    page = desktop
    _, found = api.call("/titles", q="the", audience="kids", limit=50)
    kids = [i for i in found["items"] if i["score_count"] > 0][:3]
    assert len(kids) == 3, found["total"]
    saved = [{"score": 5, "item": item} for item in kids]
    page.evaluate("s => localStorage.setItem('reelrec.ratings.v1', JSON.stringify(s))", saved)
    page.reload()
    wait_done(page, "#new-status")
    expect(page.locator("#new-status")).to_contain_text("Only kids titles: everything rated so far is for that audience.")
    _, want = api.call("/recommendations", body={"ratings": {i["id"]: 5 for i in kids}, "k": 12})
    assert want["audience_from"] == "history" and card_ids(page, "#new-results") == [i["id"] for i in want["items"]]


# -- issue 13: the page as a new viewer meets it ----------------------------------------------------------------
AXE = ROOT / "tests" / "web" / "node_modules" / "axe-core" / "axe.min.js"


def test_catalog_questions_start_on_values_that_answer(desktop, api):
    page = desktop
    want = api.get("/questions")
    score, actor = want["get_score_count"], want["get_actor"]
    expect(page.locator("#qs-year")).to_have_value(str(score["year"]))
    expect(page.locator("#qs-platform")).to_have_value(score["platform"])
    page.locator("#q-score button[type=submit]").click()
    wait_done(page, "#q-score .answer")
    count = api.get("/get_score_count", **score)["count"]
    assert count > 0
    expect(page.locator("#q-score .answer")).to_contain_text(f"{count:,} movie")
    expect(page.locator("#qa-year")).to_have_value(str(actor["year"]))
    page.locator("#q-actor button[type=submit]").click()
    wait_done(page, "#q-actor .answer")
    expect(page.locator("#q-actor .answer")).to_contain_text(api.get("/get_actor", **actor)["actor"])
    assert "hulu" in want["get_actor_unavailable"]  # the generated Hulu catalog lists no cast, as the real one
    hulu = page.locator("#qa-platform option[value=hulu]")
    expect(hulu).to_be_disabled()
    expect(hulu).to_have_text("Hulu (lists no cast)")
    expect(page.get_by_role("heading", name="Movies and TV shows per platform")).to_be_visible()


def test_when_the_service_is_gone_the_page_keeps_what_it_showed_and_offers_retry(desktop, api):
    page = desktop
    page.get_by_role("button", name="Surprise me").click()
    wait_done(page, "#user-status")
    shown = card_ids(page, "#user-results")
    assert shown
    gone = lambda route: route.abort()  # noqa: E731
    page.route("**/users/**", gone)
    page.route("**/health", gone)
    page.locator("#user-platform").select_option("netflix")
    wait_done(page, "#user-status", "error")
    expect(page.locator("#user-status")).to_contain_text(
        "The service can't be reached right now. Check your connection, then try again.")
    assert card_ids(page, "#user-results") == shown  # what the viewer was reading stays
    expect(page.locator("#health")).to_have_text("The service can't be reached right now.")
    page.unroute("**/users/**")
    page.unroute("**/health")
    page.locator("#user-status").get_by_role("button", name="Retry").click()
    wait_done(page, "#user-status")
    user = page.locator("#user-id").input_value()
    want = api.get(f"/users/{user}/recommendations", k=12, platform="netflix")
    assert card_ids(page, "#user-results") == [i["id"] for i in want["items"]]
    found = discover_cards(page, "#user-results")  # after the ranked cards, labelled
    assert found.evaluate_all("els => els.map(e => e.dataset.id)") == [i["id"] for i in want["discover"]]
    for i in range(found.count()):
        expect(found.nth(i).locator(".discover-label")).to_have_text("New to discover: nobody has rated it yet")
        assert found.nth(i).evaluate("e => !e.nextElementSibling || e.nextElementSibling.matches('.discover')")
    expect(page.locator("#health")).to_contain_text("Catalog of")  # the footer follows the service back


def test_a_tapped_star_shows_the_rating_and_is_big_enough(browser, api):
    context, page, errors = open_page(browser, api.base + "/", PHONE, scale=2, has_touch=True, is_mobile=True)
    try:
        word = api.get("/titles/ns1")["title"].split()[0]
        page.get_by_label("Search titles by name").fill(word)
        wait_done(page, "#search-status")
        group = page.locator("#search-results li").first.locator("fieldset.stars")
        group.locator("label[data-value='4']").tap()
        expect(page.locator("#mine-status")).to_have_text("1 title rated.")
        expect(group).not_to_have_class(re.compile(r"\bpreviewing\b"))
        expect(group.locator("label.on")).to_have_count(8)
        star, off = page.evaluate("""() => {
            const css = getComputedStyle(document.documentElement);
            const probe = document.createElement("span");
            document.body.append(probe);
            const paint = (v) => { probe.style.color = css.getPropertyValue(v); return getComputedStyle(probe).color; };
            const out = [paint("--star"), paint("--star-off")];
            probe.remove();
            return out;
        }""")
        colours = group.locator("label").evaluate_all("els => els.map(e => getComputedStyle(e).color)")
        assert colours == [star] * 8 + [off] * 2, colours
        for box in group.locator("label").evaluate_all("els => els.map(e => e.getBoundingClientRect().toJSON())"):
            assert box["width"] >= 24 and box["height"] >= 24, box  # WCAG 2.5.8 target size
    finally:
        context.close()
    assert errors == [], errors


def test_my_services_and_audience_apply_to_every_list_and_are_remembered(desktop, api):
    page = desktop
    page.locator("#service-amazon").uncheck()
    page.locator("#service-hulu").uncheck()
    page.locator("#my-audience").select_option("teens")
    expect(page.locator("#prefs-status")).to_have_text(
        "Every list shows titles on Disney+, Netflix for teens and younger.")
    mine = {"platforms": "disney,netflix", "audience": "teens"}
    word = api.get("/titles/ns1")["title"].split()[0]
    page.get_by_label("Search titles by name").fill(word)
    wait_done(page, "#search-status")
    want = api.get("/titles", q=word, limit=10, **mine)
    shown = page.locator("#search-results fieldset.stars").evaluate_all("els => els.map(e => e.dataset.id)")
    assert shown == [i["id"] for i in want["items"]]
    page.get_by_role("button", name="Surprise me").click()
    wait_done(page, "#user-status")
    user = page.locator("#user-id").input_value()
    want = api.get(f"/users/{user}/recommendations", k=12, **mine)
    assert card_ids(page, "#user-results") == [i["id"] for i in want["items"]]
    assert {i["platform"] for i in want["items"]} <= {"disney", "netflix"}
    # a list's own platform choice wins over my services; my audience still applies
    page.locator("#user-platform").select_option("netflix")
    wait_done(page, "#user-status")
    want = api.get(f"/users/{user}/recommendations", k=12, platform="netflix", audience="teens")
    assert card_ids(page, "#user-results") == [i["id"] for i in want["items"]]
    rate = page.locator("#search-results li").first.locator("label[data-value='5']")
    rate.click()
    wait_done(page, "#new-status")
    rated = page.locator("#search-results fieldset.stars").first.get_attribute("data-id")
    _, want = api.call("/recommendations", body={"ratings": {rated: 5}, "k": 12, "platforms": ["disney", "netflix"],
                                                  "audience": "teens"})
    assert card_ids(page, "#new-results") == [i["id"] for i in want["items"]]
    page.reload()
    expect(page.locator("#service-amazon")).not_to_be_checked()
    expect(page.locator("#service-netflix")).to_be_checked()
    expect(page.locator("#my-audience")).to_have_value("teens")


@pytest.mark.parametrize(("scheme", "viewport"), [("light", DESKTOP), ("dark", DESKTOP), ("light", PHONE),
                                                  ("dark", PHONE)])
def test_axe_core_finds_no_serious_violation(browser, api, scheme, viewport):
    """axe-core (from the npm registry, tests/web; injected into the page, no CDN) over the page with answers,
    ratings, a field error and the title dialog open, in both themes, desktop and phone."""
    if not AXE.exists():
        pytest.fail(f"axe-core is missing at {AXE}: `make test` installs it (npm ci --prefix tests/web)")
    context, page, errors = open_page(browser, api.base + "/", viewport, color_scheme=scheme, bypass_csp=True)
    try:
        page.get_by_role("button", name="Surprise me").click()
        wait_done(page, "#user-status")
        rate_three(page, api)
        wait_done(page, "#new-status")
        page.locator("#q-count button[type=submit]").click()
        wait_done(page, "#q-count .answer")
        page.locator("#qa-year").fill("abc")
        page.locator("#q-actor button[type=submit]").click()
        wait_done(page, "#q-actor .answer", "error")
        page.add_script_tag(path=str(AXE))
        checks = "() => axe.run(document, {resultTypes: ['violations']})"
        violations = page.evaluate(checks)["violations"]
        cards(page, "#new-results").first.locator("button.open").click()
        expect(cards(page, "#similar-results").first).to_be_visible()
        violations += page.evaluate(checks)["violations"]
        bad = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in violations
               if v["impact"] in ("serious", "critical")]
        assert bad == [], bad
        # the check sees what it should: hints written in a colour too pale to read are reported
        page.keyboard.press("Escape")
        page.add_style_tag(content=".hint { color: var(--surface-2) !important; }")
        planted = {v["id"] for v in page.evaluate(checks)["violations"] if v["impact"] in ("serious", "critical")}
        assert "color-contrast" in planted, planted
    finally:
        context.close()
    assert errors == [], errors


def half_up(score: float) -> str:
    """One decimal as the page writes it: JavaScript's toFixed rounds the double's exact value, ties up (4.25 ->
    4.3, while Python's format rounds ties to even; 3.65 is 3.64999... as a double -> 3.6, which score * 10 + 0.5
    would round up)."""
    return str(decimal.Decimal(score).quantize(decimal.Decimal("0.1"), rounding=decimal.ROUND_HALF_UP))


def test_cards_help_choose_and_a_known_viewers_panel_says_what_the_picks_are_based_on(desktop, api, shots):
    page = desktop
    page.get_by_role("button", name="Surprise me").click()
    wait_done(page, "#user-status")
    user = page.locator("#user-id").input_value()
    want = api.get(f"/users/{user}/recommendations", k=12)
    shown = cards(page, "#user-results")
    expect(shown).to_have_count(len(want["items"]))
    names = {"kids": "Kids", "family": "Family", "teens": "Teens", "adults": "Adults"}
    for i, item in enumerate(want["items"]):
        one = shown.nth(i)
        expect(one.locator("svg.poster")).to_be_visible()  # drawn here: the page fetches no image
        count = item["community_count"]
        expect(one.locator(".community")).to_have_text(
            f"\u2605 {half_up(item['community_score'])} from {count:,} rating{'s' if count != 1 else ''}" if count
            else "No ratings yet")
        if item["audience"]:
            expect(one.locator(".audience")).to_have_text(names[item["audience"]])
        others = sorted({a["platform"] for a in item["available_on"]} - {item["platform"]})
        expect(one.locator(".also-on .chip-small")).to_have_count(len(others))
    based = want["based_on"]
    panel = page.locator("#user-based-on")
    expect(panel).to_contain_text(f"{based['ratings']:,} title")
    expect(panel).to_contain_text(f"{based['liked']:,} of them 4 stars or more")
    assert panel.locator("li button").all_text_contents() == [t["title"] for t in based["top"]]
    # the footer gives dates, not internal ids
    health = api.get("/health")
    expect(page.locator("#health")).to_contain_text(re.compile(r"data of \d{1,2} \w{3} \d{4}; recommendations trained"))
    expect(page.locator("#health")).not_to_contain_text(health["snapshot_version"])
    page.mouse.move(0, 0)
    page.screenshot(path=str(shots / "desktop.png"))


def test_search_has_more_and_start_over_can_be_undone(desktop, api):
    page = desktop
    page.get_by_label("Search titles by name").fill("the")
    wait_done(page, "#search-status")
    first = api.get("/titles", q="the", limit=10)
    assert first["total"] > 20
    results = page.locator("#search-results li.result")
    expect(results).to_have_count(10)
    page.get_by_role("button", name=re.compile(r"^More \(")).click()
    expect(results).to_have_count(20)
    second = api.get("/titles", q="the", limit=10, offset=10)
    ids = page.locator("#search-results fieldset.stars").evaluate_all("els => els.map(e => e.dataset.id)")
    assert ids == [i["id"] for i in first["items"] + second["items"]]
    expect(page.locator("#search-status")).to_have_text(f"20 of {first['total']:,} titles matching \u201cthe\u201d.")
    results.nth(0).locator("label[data-value='4']").click()
    results.nth(11).locator("label[data-value='2']").click()
    expect(page.locator("#mine-status")).to_have_text("2 titles rated.")
    page.get_by_role("button", name="Start over").click()
    expect(page.locator("#mine-status")).to_contain_text("Cleared 2 ratings.")
    expect(page.locator("#new-status")).to_have_text("Rate a few titles to see recommendations here.")
    page.get_by_role("button", name="Undo").click()
    expect(page.locator("#mine-status")).to_have_text("2 titles rated.")
    expect(results.nth(0).get_by_label("4 stars", exact=True)).to_be_checked()
    wait_done(page, "#new-status")


def test_after_a_rating_on_a_phone_a_bar_says_what_changed_and_jumps_to_the_picks(browser, api, shots):
    context, page, errors = open_page(browser, api.base + "/", PHONE, scale=2, has_touch=True, is_mobile=True)
    try:
        word = api.get("/titles/ns1")["title"].split()[0]
        page.get_by_label("Search titles by name").fill(word)
        wait_done(page, "#search-status")
        result = page.locator("#search-results li.result").first
        title = result.locator("button.link").text_content()
        result.locator("label[data-value='4.5']").tap()
        wait_done(page, "#new-status")
        bar = page.locator("#rated-bar")
        expect(bar).to_be_visible()  # the picks are far below the star just tapped
        count = cards(page, "#new-results").count()
        expect(page.locator("#rated-text")).to_have_text(f"You rated {title} 4.5 stars: your {count} picks are updated.")
        box = bar.bounding_box()
        assert box["y"] + box["height"] <= PHONE["height"], box  # it follows the viewer: fixed in the viewport
        page.screenshot(path=str(shots / "phone-rated.png"))
        page.get_by_role("button", name="See your picks").click()
        expect(bar).to_be_hidden()
        expect(cards(page, "#new-results").first.locator("button.open")).to_be_focused()
        assert page.evaluate("document.getElementById('new-recs-heading').getBoundingClientRect().top") < PHONE["height"]
    finally:
        context.close()
    assert errors == [], errors
