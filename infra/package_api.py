"""Build the API's Lambda package: vendor the shared ``reelrec`` package, then ``chalice package``.

Chalice packages only ``app.py``, ``chalicelib/`` and ``vendor/``, so ``reelrec/`` is copied (not kept in git) into
``functions/vendor/reelrec`` first. One definition for ``make api-vendor``, ``make api-package`` and the package test.

Usage: ``python infra/package_api.py [--out build/api] [--stage dev] [--vendor-only]``
Exit codes: 0 built, 1 failed, 3 the package index is unreachable (numpy's Lambda wheel cannot be downloaded).
"""

from __future__ import annotations

import argparse
import filecmp
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROJECT = ROOT / "functions"
VENDORED = PROJECT / "vendor" / "reelrec"
CACHE = PROJECT / ".chalice" / "deployments"  # chalice's own cache: one zip per hash of requirements + code
KEEP_CACHED = 3
NETWORK_EXIT = 3
# pip's words for "the index could not be reached" (chalice itself reports only "Could not satisfy the requirement")
NETWORK_ERRORS = re.compile(
    r"NewConnectionError|Failed to establish a new connection|Temporary failure in name resolution|"
    r"Name or service not known|Network is unreachable|No route to host|Connection refused|ConnectTimeout|"
    r"Read timed out|ProxyError|Could not fetch URL")
MISSING = re.compile(r"Could not install dependencies:\n((?:\S+\n)+)")


def vendor() -> Path:
    """Copy ``reelrec/`` into ``functions/vendor/reelrec`` (no caches), replacing any older copy."""
    shutil.rmtree(VENDORED, ignore_errors=True)
    shutil.copytree(ROOT / "reelrec", VENDORED, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return VENDORED


def chalice_exe() -> str:
    """The ``chalice`` script beside this interpreter (the same virtualenv), else the one on PATH."""
    beside = Path(sys.executable).parent / "chalice"
    return str(beside) if beside.exists() else (shutil.which("chalice") or "chalice")


def probe_index(requirements: Path) -> tuple[str | None, str]:
    """Download the requirements' Lambda wheels with pip alone: (pip's network error line or None, its errors)."""
    with tempfile.TemporaryDirectory(prefix="reelrec-probe-") as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--retries", "1", "--timeout", "15", "--no-deps",
               "--only-binary=:all:", "--platform", "manylinux2014_x86_64", "--implementation", "cp",
               "--abi", f"cp{sys.version_info.major}{sys.version_info.minor}", "--python-version",
               f"{sys.version_info.major}.{sys.version_info.minor}", "--dest", tmp, "-r", str(requirements)]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    lines = (proc.stdout + proc.stderr).splitlines()
    network = next((ln.strip() for ln in lines if NETWORK_ERRORS.search(ln)), None)
    return network, "\n".join(ln for ln in lines if ln.startswith("ERROR"))


def prune_cache(keep: Path) -> None:
    """Drop chalice's cached zips except ``keep``'s twin and the newest few."""
    zips = sorted(CACHE.glob("*.zip"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in zips[KEEP_CACHED:]:
        if not filecmp.cmp(old, keep, shallow=False):
            old.unlink(missing_ok=True)


def drop_cached_twin(zip_path: Path) -> None:
    """Delete chalice's cached copy of a bad package, so the next build does not reuse it."""
    for cached in CACHE.glob("*.zip"):
        if cached.stat().st_size == zip_path.stat().st_size and filecmp.cmp(cached, zip_path, shallow=False):
            cached.unlink()


def package(out: Path, stage: str = "dev") -> int:
    """Vendor, run ``chalice package`` into ``out``; returns 0, 1 or ``NETWORK_EXIT``."""
    vendor()
    shutil.rmtree(out, ignore_errors=True)
    env = dict(os.environ)
    env.setdefault("AWS_DEFAULT_REGION", "us-east-1")  # chalice wants one; the template uses ${AWS::Region}
    cmd = [chalice_exe(), "package", "--pkg-format", "cloudformation", "--stage", stage, str(out.resolve())]
    proc = subprocess.run(cmd, cwd=PROJECT, env=env, capture_output=True, text=True, check=False)
    sys.stdout.write(proc.stdout)
    sys.stderr.write(proc.stderr)
    if proc.returncode != 0:
        network, errors = probe_index(PROJECT / "requirements.txt")
        if network:
            print(f"package_api: the package index is unreachable: {network[:300]}", file=sys.stderr)
            return NETWORK_EXIT
        print(f"package_api: chalice package failed (exit {proc.returncode}); pip alone says:\n{errors or '(ok)'}",
              file=sys.stderr)
        return 1
    zip_path = out / "deployment.zip"
    missing = MISSING.search(proc.stdout + proc.stderr)
    if missing:  # chalice carries on without them and caches the broken zip
        drop_cached_twin(zip_path)
        print(f"package_api: chalice resolved {', '.join(missing.group(1).split())} for this machine, but the "
              "Lambda runtime needs manylinux2014 wheels (glibc 2.26 for python3.11) and that release has none: "
              "cap the version in functions/requirements.txt (numpy 2.3+ has no such wheel: numpy<2.3)",
              file=sys.stderr)
        return 1
    prune_cache(zip_path)
    return 0


def sizes(zip_path: Path) -> tuple[int, int, dict[str, int]]:
    """Zipped bytes, unzipped bytes and unzipped bytes per top-level entry of a zip."""
    top: dict[str, int] = {}
    with zipfile.ZipFile(zip_path) as zf:
        for info in zf.infolist():
            name = info.filename.split("/", 1)[0]
            top[name] = top.get(name, 0) + info.file_size
    return zip_path.stat().st_size, sum(top.values()), top


def report(out: Path) -> str:
    """Sizes of every zip ``chalice package`` wrote, in MiB, with the largest top-level entries."""
    lines = []
    for zip_path in sorted(out.glob("*.zip")):
        zipped, unzipped, top = sizes(zip_path)
        lines.append(f"{zip_path}: {zipped / 2**20:.1f} MiB zipped, {unzipped / 2**20:.1f} MiB unzipped")
        for name, size in sorted(top.items(), key=lambda kv: -kv[1])[:8]:
            lines.append(f"  {name}: {size / 2**20:.2f} MiB")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Parse flags, vendor or package, print the sizes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "api", help="output folder (default build/api)")
    parser.add_argument("--stage", default="dev", help="chalice stage (default dev)")
    parser.add_argument("--vendor-only", action="store_true", help="only copy reelrec into functions/vendor")
    args = parser.parse_args(argv)
    if args.vendor_only:
        print(f"vendored {ROOT / 'reelrec'} -> {vendor()}")
        return 0
    code = package(args.out, args.stage)
    if code == 0:
        print(report(args.out))
    return code


if __name__ == "__main__":
    sys.exit(main())
