"""Write the report to the lake's store (per run and as ``latest``) and to a local folder."""

from __future__ import annotations

import json
import os
from pathlib import Path

from reelrec.config import DEFAULT_HOME
from reelrec.storage import Store, open_store

PREFIX = "reports/eda/"


def run_keys(run: str) -> dict[str, str]:
    """Store keys of one report run and of the ``latest`` copies."""
    return {"html": f"{PREFIX}{run}/report.html", "json": f"{PREFIX}{run}/report.json",
            "latest_html": f"{PREFIX}latest.html", "latest_json": f"{PREFIX}latest.json"}


def default_out(environ: dict | None = None) -> str:
    """``$REELREC_HOME/reports/eda`` when the home is local, else ``./.reelrec/reports/eda``."""
    home = (os.environ if environ is None else environ).get("REELREC_HOME") or DEFAULT_HOME
    return os.path.join(home if "://" not in home else DEFAULT_HOME, "reports", "eda")


def to_json(report: dict) -> bytes:
    """The report's numbers as indented UTF-8 JSON."""
    return json.dumps(report, indent=1, ensure_ascii=False, allow_nan=False).encode()


def publish(lake: Store, out: str | os.PathLike, run: str, html: str, report: dict) -> list[str]:
    """Write both files to the lake store and to ``out``; return where they went (HTML first)."""
    html_b, json_b = html.encode(), to_json(report)
    keys = run_keys(run)
    for name, key in keys.items():
        lake.write_bytes(key, html_b if name.endswith("html") else json_b)
    local = open_store(out)
    local.write_bytes("report.html", html_b)
    local.write_bytes("report.json", json_b)
    return [f"{lake.uri}/{keys['html']}", f"{lake.uri}/{keys['latest_html']}", str(Path(local.uri) / "report.html")]
