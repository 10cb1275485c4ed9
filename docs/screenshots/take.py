"""Retake docs/screenshots on the real catalogs: ``make screenshots`` (needs ../shared/data and Debian's Chromium).

Builds a lake and a model from ``../shared/data/raw`` into ``.reelrec/screenshots`` (the real ETL and training job),
serves them with ``chalice local`` and drives the page with Playwright, as a viewer would: a known viewer's picks
(desktop), a new viewer who rated three family films, a title and its similar titles, and a phone after a tap on a
star. The browser tests check the page; this only takes the pictures.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
RAW = ROOT.parent / "shared" / "data" / "raw"
WORK = ROOT / ".reelrec" / "screenshots"
OUT = ROOT / "docs" / "screenshots"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync", "--disable-quic"]
PORT = 8765
FAMILY = ("Toy Story", "Finding Nemo", "Moana")


def build() -> None:
    """Lake and model from the real raw files (skipped when they are already there)."""
    py = sys.executable
    if not (WORK / "models" / "current.json").exists():
        subprocess.run([py, "-m", "etl_job", "--raw", str(RAW), "--lake", str(WORK / "lake")], cwd=ROOT, check=True)
        subprocess.run([py, "-m", "model_training", "--lake", str(WORK / "lake"), "--models", str(WORK / "models")],
                       cwd=ROOT, check=True)


def serve() -> subprocess.Popen:
    env = {**os.environ, "REELREC_LAKE": str(WORK / "lake"), "REELREC_MODELS": str(WORK / "models"),
           "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen([str(Path(sys.executable).with_name("chalice")), "local", "--stage", "local", "--port",
                               str(PORT), "--no-autoreload"], cwd=ROOT / "functions", env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(150):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}/health", timeout=2)
            return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("chalice local did not start")


def rate(page, title: str, stars: str) -> None:
    page.get_by_label("Search titles by name").fill(title)
    expect(page.locator("#search-status")).to_have_class("status ok")
    row = page.locator("#search-results li.result").filter(has=page.get_by_role("button", name=title, exact=True))
    row.first.locator(f"label[data-value='{stars}']").click()


def main() -> None:
    if not RAW.exists():
        raise SystemExit(f"no real data at {RAW}: the screenshots show the real catalogs")
    build()
    server = serve()
    base = f"http://127.0.0.1:{PORT}/"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(base)
            expect(page.locator("#health")).to_contain_text("Catalog of")
            page.get_by_role("button", name="Surprise me").click()
            expect(page.locator("#user-status")).to_have_class("status ok")
            page.mouse.move(0, 0)
            page.screenshot(path=str(OUT / "desktop.png"))
            for title in FAMILY:
                rate(page, title, "5")
            expect(page.locator("#new-status")).to_have_class("status ok")
            if page.locator("#rated-bar").is_visible():
                page.get_by_role("button", name="Hide this message").click()
            page.locator("#new").screenshot(path=str(OUT / "new-user.png"))
            page.locator("#new-results article.card button.open").first.click()
            expect(page.locator("#similar-results article.card").first).to_be_visible()
            page.screenshot(path=str(OUT / "title.png"))
            phone = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2, has_touch=True,
                                     is_mobile=True)
            phone.goto(base)
            expect(phone.locator("#health")).to_contain_text("Catalog of")
            phone.get_by_label("Search titles by name").fill("pokemon")
            expect(phone.locator("#search-status")).to_have_class("status ok")
            phone.locator("#search-results li.result").first.locator("label[data-value='4.5']").tap()
            expect(phone.locator("#rated-bar")).to_be_visible()
            phone.screenshot(path=str(OUT / "phone.png"))
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(f"screenshots: {', '.join(sorted(p.name for p in OUT.glob('*.png')))} in {OUT}")


if __name__ == "__main__":
    main()
