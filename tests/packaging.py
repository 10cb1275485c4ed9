"""Build a function's Lambda package the way its make target does, for the package tests."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "infra" / "package.py"
NETWORK_EXIT = 3  # infra/package.py: the package index is unreachable


def build_package(function: str, out: Path) -> Path:
    """``infra/package.py <function> --out <out>/build``, unzipped into ``<out>/unzipped`` (returned); skipped, saying
    why, when the package index cannot be reached."""
    proc = subprocess.run([sys.executable, str(SCRIPT), function, "--out", str(out / "build")], cwd=ROOT,
                          capture_output=True, text=True, timeout=900, check=False)
    if proc.returncode == NETWORK_EXIT:
        pytest.skip(f"chalice package cannot download the Lambda wheels (no network): {proc.stderr.splitlines()[-1]}")
    assert proc.returncode == 0, f"packaging failed:\n{proc.stdout}\n{proc.stderr}"
    assert "MiB zipped" in proc.stdout and "MiB unzipped" in proc.stdout  # the build prints its sizes
    with zipfile.ZipFile(out / "build" / "deployment.zip") as zf:
        zf.extractall(out / "unzipped")
    return out / "unzipped"
