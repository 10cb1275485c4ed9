"""ETL benchmark (issue 2): etl_job against the plain-pandas reference on the same generated raw data.

Generates raw data once with ``python -m datagen`` into ``.reelrec/bench/raw-<preset>-seed0`` (reused
when its ``_generated.json`` exists), then runs each implementation in a fresh child process that
reports its own peak RSS, checks that both wrote the same rows, and prints a markdown table.

Usage: ``python benchmarks/bench_etl.py [--preset course] [--repeat 1] [--raw DIR]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
BENCH_HOME = ROOT / ".reelrec" / "bench"
SEED = 0
TARGET_SPEEDUP = 5.0  # etl_job at least this many times faster than pandas
TARGET_RSS_MIB = 1024.0  # etl_job peak RSS below 1 GiB
# Runs a module or script in this process, then writes its exit code and its own peak RSS in KiB.
WRAPPER = """
import json, resource, runpy, sys
report, mode, target, *args = sys.argv[1:]
sys.argv = [target, *args]
code = 0
try:
    if mode == "module":
        runpy.run_module(target, run_name="__main__", alter_sys=True)
    else:
        runpy.run_path(target, run_name="__main__")
except SystemExit as exc:
    code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS
with open(report, "w") as fh:
    json.dump({"code": code, "maxrss_kib": peak // 1024 if sys.platform == "darwin" else peak}, fh)
"""
IMPLEMENTATIONS = {
    "etl_job": ("module", "etl_job"),
    "pandas": ("path", str(ROOT / "benchmarks" / "pandas_etl.py")),
}


@dataclass
class Result:
    """Best wall time, highest peak RSS and the rows written per lake file, over the repeats."""

    name: str
    seconds: list[float] = field(default_factory=list)
    rss_mib: list[float] = field(default_factory=list)
    codes: list[int] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    rows_read: int = 0
    ratings_read: int = 0


def child_env() -> dict[str, str]:
    """The environment of every child: the checkout importable first."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    return env


def machine(libs: tuple[str, ...] = ("pyarrow", "pandas")) -> str:
    """One line naming the CPU, core count, memory, the OS and the Python and ``libs`` versions."""
    cpu = "unknown CPU"
    info = Path("/proc/cpuinfo")
    if info.exists():
        cpu = next((ln.split(":", 1)[1].strip() for ln in info.read_text().splitlines()
                    if ln.startswith("model name")), cpu)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    mem = ""
    if Path("/proc/meminfo").exists():
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kib / 2**20:.0f} GiB RAM"
    return (f"{cpu}, {cores} cores{mem}; {platform.system()} {platform.release()}; "
            f"Python {platform.python_version()}, " + ", ".join(f"{name} {version(name)}" for name in libs))


def raw_data(preset: str) -> Path:
    """The generated raw folder for ``preset`` (seed 0), generating it on first use."""
    raw = BENCH_HOME / f"raw-{preset}-seed{SEED}"
    if (raw / "_generated.json").exists():
        print(f"raw data: reusing {raw}")
        return raw
    print(f"raw data: generating {raw} (python -m datagen --preset {preset} --seed {SEED}) ...", flush=True)
    cmd = [sys.executable, "-m", "datagen", "--raw", str(raw), "--preset", preset, "--seed", str(SEED)]
    subprocess.run(cmd, cwd=ROOT, env=child_env(), check=True)
    return raw


def warm_cache(raw: Path) -> int:
    """Read every raw file once so neither implementation pays for a cold page cache; returns bytes."""
    total = 0
    for path in sorted(raw.rglob("*.csv")):
        with open(path, "rb") as fh:
            while chunk := fh.read(1 << 24):
                total += len(chunk)
    return total


def lake_rows(lake: Path) -> dict[str, int]:
    """Rows of every titles and ratings parquet file in ``lake``, by key."""
    return {p.relative_to(lake).as_posix(): pq.read_metadata(p).num_rows
            for area in ("titles", "ratings") for p in sorted((lake / area).glob("*.parquet"))}


def run_once(result: Result, raw: Path, log: Path) -> None:
    """Run one implementation on ``raw`` in a fresh process and record its time, peak RSS and rows."""
    mode, target = IMPLEMENTATIONS[result.name]
    with tempfile.TemporaryDirectory(prefix=f"bench-{result.name}-") as tmp:
        lake, report = Path(tmp) / "lake", Path(tmp) / "report.json"
        cmd = [sys.executable, "-c", WRAPPER, str(report), mode, target, "--raw", str(raw), "--lake", str(lake)]
        if result.name == "etl_job":  # since issue 14 the ETL also builds the viewers' history store: a fresh one
            cmd += ["--users", str(Path(tmp) / "users")]
        started = time.perf_counter()
        with open(log, "a") as err:
            subprocess.run(cmd, cwd=ROOT, env=child_env(), stdout=err, stderr=err, check=False)
        seconds = time.perf_counter() - started
        if not report.exists():
            sys.exit(f"bench: {result.name} crashed; see {log}")
        stats = json.loads(report.read_text())
        result.seconds.append(seconds)
        result.rss_mib.append(stats["maxrss_kib"] / 1024)
        result.codes.append(stats["code"])
        result.rows = lake_rows(lake)
        manifests = sorted((lake / "_manifests").glob("*.json"))
        if manifests:
            manifest = json.loads(manifests[-1].read_text())
            result.rows_read = manifest["totals"]["rows_read"]
            result.ratings_read = sum(o["rows_read"] for o in manifest["inputs"] if o["kind"] == "ratings")


def row_mismatches(a: Result, b: Result) -> list[str]:
    """One line per lake file whose row count differs between the two implementations."""
    return [f"WARNING: {key}: {a.name} wrote {a.rows.get(key)} rows, {b.name} wrote {b.rows.get(key)}"
            for key in sorted(set(a.rows) | set(b.rows)) if a.rows.get(key) != b.rows.get(key)]


def table(etl: Result, ref: Result, rows_in: int, ratings: int) -> str:
    """The markdown results table with the ratios and the targets."""
    t_etl, t_ref = min(etl.seconds), min(ref.seconds)
    m_etl, m_ref = max(etl.rss_mib), max(ref.rss_mib)
    speedup, mem_ratio = t_ref / t_etl, m_ref / m_etl
    verdict = {True: "PASS", False: "FAIL"}
    lines = [
        "| implementation | wall s | peak RSS MiB | rows/s |",
        "|---|---:|---:|---:|",
        *(f"| {r.name} | {min(r.seconds):.2f} | {max(r.rss_mib):.0f} | {rows_in / min(r.seconds):,.0f} |"
          for r in (etl, ref)),
        f"| pandas / etl_job | {speedup:.2f}x | {mem_ratio:.2f}x | |",
        "",
        "| target | measured | result |",
        "|---|---:|---|",
        f"| etl_job >= {TARGET_SPEEDUP:g}x faster than pandas | {speedup:.2f}x | {verdict[speedup >= TARGET_SPEEDUP]} |",
        f"| etl_job peak RSS < {TARGET_RSS_MIB:.0f} MiB at {ratings:,} ratings | {m_etl:.0f} MiB "
        f"| {verdict[m_etl < TARGET_RSS_MIB]} |",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Generate or reuse the data, run both implementations, check their rows and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="course", help="datagen preset (default: course)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per implementation; best time is kept")
    parser.add_argument("--raw", type=Path, help="benchmark this raw folder instead of generated data")
    args = parser.parse_args(argv)
    print(f"machine: {machine()}")
    raw = args.raw.resolve() if args.raw else raw_data(args.preset)
    size = warm_cache(raw)
    BENCH_HOME.mkdir(parents=True, exist_ok=True)
    log = BENCH_HOME / "bench_etl.log"
    log.write_text("")
    print(f"input: {raw} ({size / 2**20:,.0f} MiB of CSV); child output in {log}", flush=True)
    etl, ref = Result("etl_job"), Result("pandas")
    for i in range(max(args.repeat, 1)):
        for result in (etl, ref):
            run_once(result, raw, log)
            print(f"  run {i + 1}: {result.name}: {result.seconds[-1]:.2f} s, {result.rss_mib[-1]:.0f} MiB, "
                  f"exit {result.codes[-1]}", flush=True)
    ratings = sum(n for key, n in etl.rows.items() if key.startswith("ratings/"))
    titles = sum(n for key, n in etl.rows.items() if key.startswith("titles/"))
    print(f"rows: {etl.rows_read:,} read ({etl.ratings_read:,} ratings); {titles:,} titles and {ratings:,} ratings "
          "written\n")
    print(table(etl, ref, etl.rows_read, etl.ratings_read))
    problems = row_mismatches(etl, ref)
    for line in problems:
        print(line)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
