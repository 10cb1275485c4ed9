"""Build a function's Lambda package: vendor the project's shared packages, then ``chalice package``.

Each function is a Chalice app of its own (their dependencies differ): ``api`` (functions/: numpy only),
``training`` (model_training/lambda_app/: numpy, scipy, implicit) and ``etl`` (etl_job/lambda_app/: pyarrow, numpy).
Chalice packages only ``app.py``, ``chalicelib/`` and ``vendor/``, so the shared packages are copied (not kept in git)
into the app's ``vendor/`` first. A function's own CloudFormation additions (the ETL's EventBridge trigger) are merged
into its ``sam.json`` with ``--merge-template``. A package of Lambda's 250 MiB unzipped or more is refused.
One definition for the make targets, ``infra/deploy.py`` and the package tests.

Usage: ``python infra/package.py {api,etl,training} [--out build/<function>] [--stage dev] [--vendor-only]``
Exit codes: 0 built, 1 failed, 3 the package index is unreachable (the Lambda wheels cannot be downloaded).
"""

from __future__ import annotations

import argparse
import filecmp
import fnmatch
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE_DIR = Path(".chalice") / "deployments"  # chalice's own cache, per app: one zip per hash of requirements + code
SKIP = ("__pycache__", "*.pyc")


@dataclass(frozen=True)
class Function:
    """A Chalice app and the project packages it carries: (package folder, extra names to leave out)."""

    project: Path
    vendored: tuple[tuple[str, tuple[str, ...]], ...]
    forbidden: tuple[str, ...]  # third-party packages that must never be in its zip
    merge_template: Path | None = None  # CloudFormation merged into its sam.json (chalice --merge-template)
    # shared libraries the Lambda image lacks: (wheel to take it from, file in that wheel, path in the zip)
    native_libs: tuple[tuple[str, str, str], ...] = ()


# implicit's wheel links libgomp.so.1 without bundling it (it is not auditwheel-repaired) and the Lambda image has
# none; scikit-learn's manylinux2014 wheel bundles a repaired copy. Lambda puts /var/task/lib on the library path.
LIBGOMP = ("scikit-learn>=1.3", "scikit_learn.libs/libgomp-*.so*", "lib/libgomp.so.1")


FUNCTIONS = {
    "api": Function(ROOT / "functions", (("reelrec", ()),), ("pyarrow", "pandas", "scipy", "implicit")),
    # the job without its research (pyarrow) and without the Lambda app itself
    "training": Function(ROOT / "model_training" / "lambda_app",
                         (("reelrec", ()), ("model_training", ("lambda_app", "research.py", "lakeio.py", "*.md"))),
                         ("pyarrow", "pandas"), native_libs=(LIBGOMP,)),
    # the ETL without its Lambda app; its trigger (EventBridge rule on raw/) comes from infra/etl-events.json
    "etl": Function(ROOT / "etl_job" / "lambda_app", (("reelrec", ()), ("etl_job", ("lambda_app",))),
                    ("scipy", "implicit", "pandas"), ROOT / "infra" / "etl-events.json"),
}
LAMBDA_UNZIPPED_LIMIT = 250 * 2**20  # code + layers, unzipped
KEEP_CACHED = 3
NETWORK_EXIT = 3
# pip's words for "the index could not be reached" (chalice itself reports only "Could not satisfy the requirement")
NETWORK_ERRORS = re.compile(
    r"NewConnectionError|Failed to establish a new connection|Temporary failure in name resolution|"
    r"Name or service not known|Network is unreachable|No route to host|Connection refused|ConnectTimeout|"
    r"Read timed out|ProxyError|Could not fetch URL")
MISSING = re.compile(r"Could not install dependencies:\n((?:\S+\n)+)")


def vendor(fn: Function) -> list[Path]:
    """Copy the function's project packages into its ``vendor/`` (no caches), replacing older copies."""
    copied = []
    for name, leave_out in fn.vendored:
        target = fn.project / "vendor" / name
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(ROOT / name, target, ignore=shutil.ignore_patterns(*SKIP, *leave_out))
        copied.append(target)
    return copied


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


def prune_cache(cache: Path, keep: Path) -> None:
    """Drop chalice's cached zips except ``keep``'s twin and the newest few."""
    zips = sorted(cache.glob("*.zip"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in zips[KEEP_CACHED:]:
        if not filecmp.cmp(old, keep, shallow=False):
            old.unlink(missing_ok=True)


def drop_cached_twin(cache: Path, zip_path: Path) -> None:
    """Delete chalice's cached copy of a bad package, so the next build does not reuse it."""
    for cached in cache.glob("*.zip"):
        if cached.stat().st_size == zip_path.stat().st_size and filecmp.cmp(cached, zip_path, shallow=False):
            cached.unlink()


def package(fn: Function, out: Path, stage: str = "dev") -> int:
    """Vendor, run ``chalice package`` into ``out``; returns 0, 1 or ``NETWORK_EXIT``."""
    vendor(fn)
    project, cache = fn.project, fn.project / CACHE_DIR
    shutil.rmtree(out, ignore_errors=True)
    env = dict(os.environ)
    env.setdefault("AWS_DEFAULT_REGION", "us-east-1")  # chalice wants one; the template uses ${AWS::Region}
    cmd = [chalice_exe(), "package", "--pkg-format", "cloudformation", "--stage", stage]
    if fn.merge_template:
        cmd += ["--merge-template", str(fn.merge_template)]
    cmd.append(str(out.resolve()))
    proc = subprocess.run(cmd, cwd=project, env=env, capture_output=True, text=True, check=False)
    sys.stdout.write(proc.stdout)
    sys.stderr.write(proc.stderr)
    if proc.returncode != 0:
        network, errors = probe_index(project / "requirements.txt")
        if network:
            print(f"package: the package index is unreachable: {network[:300]}", file=sys.stderr)
            return NETWORK_EXIT
        print(f"package: chalice package failed (exit {proc.returncode}); pip alone says:\n{errors or '(ok)'}",
              file=sys.stderr)
        return 1
    zip_path = out / "deployment.zip"
    missing = MISSING.search(proc.stdout + proc.stderr)
    if missing:  # chalice carries on without them and caches the broken zip
        drop_cached_twin(cache, zip_path)
        print(f"package: chalice resolved {', '.join(missing.group(1).split())} for this machine, but the "
              "Lambda runtime needs manylinux2014 wheels (glibc 2.26 for python3.11) and that release has none: "
              f"cap the version in {project.relative_to(ROOT)}/requirements.txt (numpy 2.3+ has no such wheel: numpy<2.3)",
              file=sys.stderr)
        return 1
    _, unzipped, top = sizes(zip_path)
    forbidden = sorted({n.split("-")[0].split(".")[0].lower() for n in top} & set(fn.forbidden))
    if forbidden:
        print(f"package: {', '.join(forbidden)} must not be in this function's package", file=sys.stderr)
        return 1
    if unzipped >= LAMBDA_UNZIPPED_LIMIT:
        print(f"package: {unzipped / 2**20:.1f} MiB unzipped: over Lambda's {LAMBDA_UNZIPPED_LIMIT // 2**20} MiB",
              file=sys.stderr)
        return 1
    prune_cache(cache, zip_path)
    return add_native_libs(fn, zip_path)


def add_native_libs(fn: Function, zip_path: Path) -> int:
    """Copy the function's ``native_libs`` from their manylinux2014 wheels into its zip; 0, 1 or NETWORK_EXIT."""
    for requirement, member, target in fn.native_libs:
        with tempfile.TemporaryDirectory(prefix="reelrec-lib-") as tmp:
            cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
                   "--platform", "manylinux2014_x86_64", "--implementation", "cp",
                   "--abi", f"cp{sys.version_info.major}{sys.version_info.minor}",
                   "--python-version", f"{sys.version_info.major}.{sys.version_info.minor}",
                   "--dest", tmp, requirement]
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
            wheels = list(Path(tmp).glob("*.whl"))
            if proc.returncode or not wheels:
                network = next((ln for ln in (proc.stdout + proc.stderr).splitlines() if NETWORK_ERRORS.search(ln)), None)
                print(f"package: cannot download {requirement} for {target}: {network or proc.stderr[-300:]}",
                      file=sys.stderr)
                return NETWORK_EXIT if network else 1
            with zipfile.ZipFile(wheels[0]) as wheel:
                found = [n for n in wheel.namelist() if fnmatch.fnmatch(n, member)]
                if not found:
                    print(f"package: {wheels[0].name} has no {member}", file=sys.stderr)
                    return 1
                data = wheel.read(found[0])
        with zipfile.ZipFile(zip_path, "a", zipfile.ZIP_DEFLATED) as zf:
            info = zipfile.ZipInfo(target, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = 0o755 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
        print(f"package: added {target} ({len(data) / 2**10:.0f} KiB, from {found[0]} in {wheels[0].name})")
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
    parser.add_argument("function", choices=sorted(FUNCTIONS), help="which function's package")
    parser.add_argument("--out", type=Path, help="output folder (default build/<function>)")
    parser.add_argument("--stage", default="dev", help="chalice stage (default dev)")
    parser.add_argument("--vendor-only", action="store_true", help="only copy the shared packages into vendor/")
    args = parser.parse_args(argv)
    fn = FUNCTIONS[args.function]
    if args.vendor_only:
        for target in vendor(fn):
            print(f"vendored -> {target}")
        return 0
    out = args.out or ROOT / "build" / args.function
    code = package(fn, out, args.stage)
    if code == 0:
        print(report(out))
    return code


if __name__ == "__main__":
    sys.exit(main())
