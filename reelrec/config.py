"""Where each area lives: the same environment variables and flags in every component.

``REELREC_HOME`` is the base (default ``./.reelrec``); ``REELREC_RAW``, ``REELREC_LAKE``, ``REELREC_MODELS`` and
``REELREC_USERS`` override one area each. Values are store URIs (see ``reelrec.storage``); the users area (the
per-viewer history store, ``reelrec.histories``) is a local folder or ``dynamodb://<table>``.
"""

from __future__ import annotations

import os

from reelrec.storage import join_key

DEFAULT_HOME = "./.reelrec"
AREAS = {"raw": "REELREC_RAW", "lake": "REELREC_LAKE", "models": "REELREC_MODELS", "users": "REELREC_USERS"}


def area_uri(area: str, override: str | None = None, environ: dict | None = None) -> str:
    """Return the store URI of ``area`` (raw, lake, models or users): flag, then env var, then home."""
    if override:
        return override
    env = os.environ if environ is None else environ
    if env.get(AREAS[area]):
        return env[AREAS[area]]
    home = env.get("REELREC_HOME") or DEFAULT_HOME
    if home.startswith("s3://"):
        return "s3://" + join_key(home[5:], area)
    return os.path.join(home, area)
