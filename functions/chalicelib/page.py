"""The web page served at ``GET /``: ``web/index.html`` with ``web/app.css`` and ``web/app.js`` inlined.

One self-contained answer, built once per container: no second request for the assets, so the page works the same
under ``chalice local`` (served at ``/``) and behind API Gateway's stage prefix (``/api`` or ``/api/``), where a
relative ``static/app.js`` would resolve differently with and without the trailing slash. The page calls the API
with URLs relative to its own path (``app.js``). A Content-Security-Policy allows exactly the inlined style and
script (by hash), requests to this origin only, and nothing else: no CDN, no external font, no injected script.
"""

from __future__ import annotations

import base64
import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path

WEB_DIR = Path(__file__).resolve().parent / "web"
CSS_TAG = '<link rel="stylesheet" href="app.css">'
JS_TAG = '<script src="app.js"></script>'


@dataclass(frozen=True)
class Page:
    """The page's HTML and the headers it is served with."""

    html: str
    headers: dict[str, str]


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def build(web_dir: Path = WEB_DIR) -> Page:
    """index.html with the stylesheet and script put inline, and a CSP allowing just those two."""
    html = (web_dir / "index.html").read_text(encoding="utf-8")
    css = (web_dir / "app.css").read_text(encoding="utf-8")
    js = (web_dir / "app.js").read_text(encoding="utf-8")
    if html.count(CSS_TAG) != 1 or html.count(JS_TAG) != 1:
        raise ValueError(f"index.html must reference the assets exactly once as {CSS_TAG} and {JS_TAG}")
    if "</style" in css.lower() or "</script" in js.lower():
        raise ValueError("app.css / app.js must not contain a closing </style> or </script> tag")
    html = html.replace(CSS_TAG, f"<style>{css}</style>").replace(JS_TAG, f"<script>{js}</script>")
    csp = "; ".join([
        "default-src 'none'",
        f"style-src {_sha256(css)}",
        f"script-src {_sha256(js)}",
        "connect-src 'self'",
        "img-src 'self' data:",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ])
    headers = {
        "Content-Type": "text/html; charset=utf-8",
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-cache",
    }
    return Page(html, headers)


@functools.cache
def page() -> Page:
    """The page, read from disk once per container."""
    return build()
