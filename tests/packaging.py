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


# what the Lambda python3.11 image (Amazon Linux 2) provides to every function
LAMBDA_SYSTEM_LIBS = frozenset({
    "libc.so.6", "libm.so.6", "libpthread.so.0", "libdl.so.2", "librt.so.1", "ld-linux-x86-64.so.2", "libutil.so.1",
    "libstdc++.so.6", "libgcc_s.so.1", "libz.so.1",
})


def unresolved_libraries(package: Path, skip: tuple[str, ...] = ()) -> dict[str, list[str]]:
    """Shared libraries some ``.so`` of the package needs (ELF DT_NEEDED, read with ``readelf``) that neither the
    package nor the Lambda image has; ``skip``: path prefixes not loaded on Lambda (implicit's CUDA module)."""
    import shutil

    if shutil.which("readelf") is None:
        pytest.skip("readelf (binutils) is not installed: cannot read the packaged libraries' dependencies")
    present = {p.name for p in package.rglob("*") if p.is_file()}
    missing: dict[str, list[str]] = {}
    for so in sorted(package.rglob("*.so*")):
        rel = so.relative_to(package).as_posix()
        if not so.is_file() or rel.startswith(skip):
            continue
        out = subprocess.run(["readelf", "-d", str(so)], capture_output=True, text=True, check=False).stdout
        needed = [line.split("[", 1)[1].rstrip("]") for line in out.splitlines() if "(NEEDED)" in line]
        lacking = [n for n in needed if n not in present and n not in LAMBDA_SYSTEM_LIBS]
        if lacking:
            missing[rel] = lacking
    return missing
