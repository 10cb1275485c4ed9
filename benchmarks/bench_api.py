"""API benchmark (issue 3): the catalog queries in-process next to a pandas filter per request, over HTTP
through ``chalice local``, and the cold start of a fresh process, at course scale.

Generates raw data once (like ``bench_etl.py``) into ``.reelrec/bench/raw-course-seed0`` and runs the ETL into
``.reelrec/bench/lake-course-seed0`` when that lake has no loadable catalog snapshot. Parameters come from a
seeded RNG: platforms, years drawn from the catalog's own release years (a tenth anywhere in 1920-2026),
duration types, score thresholds. Every answer is checked against the pandas reference.

Usage: ``python benchmarks/bench_api.py [--calls 5000] [--pandas-calls 1000] [--http 500] [--cold 7] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import bench_search
import numpy as np
from bench_etl import BENCH_HOME, ROOT, SEED, child_env, machine, raw_data

FUNCTIONS = ROOT / "functions"
TARGET_P99_MS = 1.0  # in-process p99 per query
TARGET_COLD_MS = 300.0  # import app + first snapshot load
TARGET_SEARCH_P99_MS = 5.0  # in-process p99 of a title search (issue 11)
SHARED_RAW = ROOT.parent / "shared" / "data" / "raw"  # the real catalogs, when the checkout has them beside it
PLATFORMS = ("amazon", "disney", "hulu", "netflix")
ROUTES = ("get_max_duration", "get_score_count", "get_count_platform", "get_actor")
# Cold start in a fresh interpreter: import the app, load the snapshot through its cache, answer one query.
COLD = """
import json, time
t0 = time.perf_counter()
import app
t1 = time.perf_counter()
snap = app.snapshots.get()
t2 = time.perf_counter()
from chalicelib import queries
queries.get_max_duration(snap, 2019, "netflix", "min")
t3 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "load": t2 - t1, "query": t3 - t2}))
"""


@dataclass
class Route:
    """One route's calls and the latencies (seconds) measured per implementation."""

    name: str
    calls: list[dict[str, Any]]
    seconds: dict[str, list[float]] = field(default_factory=dict)
    answers: dict[str, list[Any]] = field(default_factory=dict)
    statuses: list[int] = field(default_factory=list)


def lake_dir(raw: Path, name: str | None = None) -> Path:
    """The benchmark lake, rebuilt with ``--full`` when it has no snapshot this checkout can load."""
    lake = BENCH_HOME / f"lake-{name or raw.name.removeprefix('raw-')}"
    if load_snapshot(lake) is None:
        print(f"lake: building {lake} (python -m etl_job --full) ...", flush=True)
        cmd = [sys.executable, "-m", "etl_job", "--raw", str(raw), "--lake", str(lake), "--full"]
        with open(BENCH_HOME / "bench_api.log", "a") as log:
            subprocess.run(cmd, cwd=ROOT, env=child_env(), stdout=log, stderr=log, check=True)
    else:
        print(f"lake: reusing {lake}")
    return lake


def load_snapshot(lake: Path) -> Any | None:
    """The lake's current catalog snapshot, or None when there is none or its format is not this checkout's."""
    from reelrec.catalog_snapshot import CatalogSnapshot
    from reelrec.layout import CATALOG_POINTER

    try:
        pointer = json.loads((lake / CATALOG_POINTER).read_text())
        return CatalogSnapshot.from_bytes((lake / pointer["key"]).read_bytes())
    except (OSError, KeyError, ValueError):
        return None


def workload(snap: Any, n: int, seed: int = SEED) -> dict[str, Route]:
    """``n`` seeded parameter sets per route."""
    rng = random.Random(seed)
    years = [int(y) for y in snap.release_year if y]

    def year() -> int:
        return rng.choice(years) if rng.random() < 0.9 else rng.randint(1920, 2026)

    def maybe(value: Any) -> Any:
        return None if rng.random() < 0.2 else value

    makers: dict[str, Callable[[], dict[str, Any]]] = {
        "get_max_duration": lambda: {"year": maybe(year()), "platform": maybe(rng.choice(PLATFORMS)),
                                     "duration_type": rng.choice(("min", "min", "season"))},
        "get_score_count": lambda: {"platform": rng.choice(PLATFORMS), "scored": round(rng.uniform(0, 5), 1),
                                    "year": year()},
        "get_count_platform": lambda: {"platform": rng.choice(PLATFORMS)},
        "get_actor": lambda: {"platform": rng.choice(PLATFORMS), "year": year()},
    }
    return {name: Route(name, [makers[name]() for _ in range(n)]) for name in ROUTES}


def url(route: str, kwargs: dict[str, Any]) -> str:
    """The route's path and query string (None values left out)."""
    return f"/{route}?" + urlencode({k: v for k, v in kwargs.items() if v is not None})


def timed(label: str, route: Route, n: int, call: Callable[[dict[str, Any]], Any], warmup: int = 50) -> None:
    """Call ``call`` on the first ``n`` parameter sets (after a warm-up); keeps the repeat with the lowest p99."""
    for kwargs in route.calls[:warmup]:
        call(kwargs)
    seconds, answers = [], []
    for kwargs in route.calls[:n]:
        started = time.perf_counter()
        answer = call(kwargs)
        seconds.append(time.perf_counter() - started)
        answers.append(answer)
    if label not in route.seconds or pct(seconds, 99) < pct(route.seconds[label], 99):
        route.seconds[label] = seconds
    route.answers.setdefault(label, answers)


def in_process(routes: dict[str, Route], lake: Path, calls: int, pandas_calls: int, repeat: int) -> list[str]:
    """Time the numpy queries, the pandas reference and ``chalice.test.Client``; returns disagreements."""
    import pandas_api
    from chalice.test import Client

    os.environ["REELREC_LAKE"] = str(lake)
    import app
    from chalicelib import queries
    from chalicelib.errors import NotFound

    snap = app.snapshots.get()
    started = time.perf_counter()
    df = pandas_api.load(lake)
    print(f"pandas reference: titles and mean scores loaded in {time.perf_counter() - started:.1f} s", flush=True)

    def guard(fn: Callable[..., dict], data: Any, errors: tuple[type[Exception], ...]) -> Callable:
        def call(kwargs: dict[str, Any]) -> Any:
            try:
                return fn(data, **kwargs)
            except errors:
                return 404
        return call

    with Client(app.app, stage_name="local", project_dir=str(FUNCTIONS)) as client:
        def http(name: str) -> Callable[[dict[str, Any]], Any]:
            def call(kwargs: dict[str, Any]) -> Any:
                response = client.http.get(url(name, kwargs))
                return json.loads(response.body) if response.status_code == 200 else response.status_code
            return call

        for _ in range(max(repeat, 1)):
            for route in routes.values():
                timed("numpy", route, calls, guard(getattr(queries, route.name), snap, (NotFound,)))
                timed("pandas", route, pandas_calls, guard(getattr(pandas_api, route.name), df, (pandas_api.NotFound,)))
                timed("client", route, calls, http(route.name))
    problems = []
    for route in routes.values():
        for other in ("pandas", "client"):
            for i, (a, b) in enumerate(zip(route.answers["numpy"], route.answers[other], strict=False)):
                if a != b:
                    problems.append(f"WARNING: {route.name} {route.calls[i]}: numpy {a} != {other} {b}")
    return problems


def free_port() -> int:
    """A TCP port that is free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def over_http(routes: dict[str, Route], lake: Path, n: int) -> None:
    """Time ``n`` requests per route through a ``chalice local`` server started (and stopped) here."""
    port = free_port()
    env = {**child_env(), "REELREC_LAKE": str(lake)}
    chalice = str(Path(sys.executable).parent / "chalice")
    cmd = [chalice, "local", "--host", "127.0.0.1", "--port", str(port), "--stage", "local", "--no-autoreload"]
    log = open(BENCH_HOME / "bench_api.log", "a")  # noqa: SIM115 - open for the server's whole life
    server = subprocess.Popen(cmd, cwd=FUNCTIONS, env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"

    def get(path: str) -> int:
        try:
            with urllib.request.urlopen(base + path, timeout=10) as resp:
                resp.read()
                return resp.status
        except urllib.error.HTTPError as err:
            err.read()
            return err.code

    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if get("/health") == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError(f"chalice local did not come up on port {port}; see {log.name}")
            time.sleep(0.2)
        for route in routes.values():
            paths = [url(route.name, kwargs) for kwargs in route.calls[:n]]
            for path in paths[:20]:
                get(path)
            seconds = []
            for path in paths:
                started = time.perf_counter()
                route.statuses.append(get(path))
                seconds.append(time.perf_counter() - started)
            route.seconds["http"] = seconds
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def cold_starts(lake: Path, runs: int) -> dict[str, list[float]]:
    """Seconds per step of ``runs`` fresh interpreters: start-up alone, then import, load, first query."""
    env = {**child_env(), "REELREC_LAKE": str(lake)}
    env["PYTHONPATH"] = os.pathsep.join((str(FUNCTIONS), env["PYTHONPATH"]))
    steps: dict[str, list[float]] = {"startup": [], "import": [], "load": [], "query": []}
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        steps["startup"].append(time.perf_counter() - started)
        out = subprocess.run([sys.executable, "-c", COLD], cwd=FUNCTIONS, env=env, capture_output=True,
                             text=True, check=True)
        for key, value in json.loads(out.stdout).items():
            steps[key].append(value)
    return steps


def pct(seconds: list[float], q: float) -> float:
    """The ``q``-th percentile in milliseconds."""
    return float(np.percentile(np.asarray(seconds), q)) * 1e3


def tables(routes: dict[str, Route], cold: dict[str, list[float]]) -> str:
    """The markdown tables: in-process, HTTP, cold start, targets."""
    verdict = {True: "PASS", False: "FAIL"}
    n = {label: len(next(iter(routes.values())).seconds.get(label, [])) for label in ("numpy", "pandas", "client", "http")}
    lines = [
        f"In-process latency, ms ({n['numpy']:,} calls per query; pandas: the first {n['pandas']:,} of them; "
        "the round with the lowest p99 of each):",
        "",
        "| query | numpy p50 | numpy p99 | pandas p50 | pandas p99 | pandas / numpy p50 | pandas / numpy p99 |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in routes.values():
        a50, a99, b50, b99 = (pct(r.seconds[x], q) for x in ("numpy", "pandas") for q in (50, 99))
        lines.append(f"| {r.name} | {a50:.3f} | {a99:.3f} | {b50:.3f} | {b99:.3f} | {b50 / a50:.0f}x | {b99 / a99:.0f}x |")
    lines += ["", f"Through the routes, ms (`chalice.test.Client`: {n['client']:,} calls per route; "
              f"`chalice local` over HTTP, a new connection per request: {n['http']:,} per route):", "",
              "| route | Client p50 | Client p99 | HTTP p50 | HTTP p99 | HTTP 404s |", "|---|---:|---:|---:|---:|---:|"]
    for r in routes.values():
        c50, c99 = pct(r.seconds["client"], 50), pct(r.seconds["client"], 99)
        h50, h99 = (pct(r.seconds["http"], q) for q in (50, 99)) if "http" in r.seconds else (float("nan"),) * 2
        lines.append(f"| /{r.name} | {c50:.3f} | {c99:.3f} | {h50:.2f} | {h99:.2f} | {r.statuses.count(404)} |")
    total = [i + lo for i, lo in zip(cold["import"], cold["load"], strict=True)]
    lines += ["", f"Cold start, ms (median, min-max of {len(total)} fresh processes):", "",
              "| step | median | min | max |", "|---|---:|---:|---:|"]
    for key, label in (("startup", "interpreter start-up (`python -c pass`)"), ("import", "`import app`"),
                       ("load", "first snapshot load (pointer + `.npz`)"), ("query", "first query")):
        ms = [s * 1e3 for s in cold[key]]
        lines.append(f"| {label} | {statistics.median(ms):.1f} | {min(ms):.1f} | {max(ms):.1f} |")
    cold_ms = statistics.median(total) * 1e3
    lines += ["", "| target | measured | result |", "|---|---:|---|"]
    for r in routes.values():
        p99 = pct(r.seconds["numpy"], 99)
        lines.append(f"| {r.name} in-process p99 < {TARGET_P99_MS:g} ms | {p99:.3f} ms | {verdict[p99 < TARGET_P99_MS]} |")
    lines.append(f"| cold start (import app + snapshot load) < {TARGET_COLD_MS:.0f} ms | {cold_ms:.0f} ms "
                 f"| {verdict[cold_ms < TARGET_COLD_MS]} |")
    return "\n".join(lines)


def search_table(searched: dict[str, dict[str, Any]]) -> str:
    """The title search table: numpy search vs the plain Python scan, per catalog."""
    lines = ["Title search, ms (`search_titles`, limit 10; the plain Python scan on the first queries; "
             "the round with the lowest p99):", "",
             "| catalog | searches (numpy / scan) | numpy p50 | numpy p99 | scan p50 | scan p99 | scan / numpy p50 "
             f"| scan / numpy p99 | p99 <= {TARGET_SEARCH_P99_MS:g} ms |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for label, result in searched.items():
        lines += bench_search.table_rows(label, result, TARGET_SEARCH_P99_MS)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Build or reuse the lake, run the three measurements, print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="course", help="datagen preset (default: course)")
    parser.add_argument("--calls", type=int, default=5000, help="in-process calls per query (default 5000)")
    parser.add_argument("--pandas-calls", type=int, default=1000, help="pandas calls per query (default 1000)")
    parser.add_argument("--http", type=int, default=500, help="HTTP requests per route, 0 to skip (default 500)")
    parser.add_argument("--cold", type=int, default=7, help="fresh processes for the cold start (default 7)")
    parser.add_argument("--repeat", type=int, default=3, help="in-process rounds; the lowest p99 is kept (default 3)")
    parser.add_argument("--searches", type=int, default=3000, help="title searches per catalog (default 3000)")
    parser.add_argument("--scan-searches", type=int, default=300, help="of them through the plain scan (default 300)")
    args = parser.parse_args(argv)
    sys.path[:0] = [str(ROOT), str(FUNCTIONS)]
    print(f"machine: {machine()}, numpy {version('numpy')}, chalice {version('chalice')}")
    print(f"date: {dt.date.today().isoformat()}")
    BENCH_HOME.mkdir(parents=True, exist_ok=True)
    (BENCH_HOME / "bench_api.log").write_text("")
    lake = lake_dir(raw_data(args.preset))
    snap = load_snapshot(lake)
    print(f"snapshot: {snap.version}, {len(snap):,} titles, "
          f"{(lake / 'serving/catalog' / f'{snap.version}.npz').stat().st_size / 2**20:.1f} MiB", flush=True)
    routes = workload(snap, max(args.calls, args.pandas_calls, args.http))
    problems = in_process(routes, lake, args.calls, args.pandas_calls, args.repeat)
    if args.http:
        print("HTTP: chalice local ...", flush=True)
        over_http(routes, lake, args.http)
    cold = cold_starts(lake, args.cold)
    catalogs = {f"{args.preset} (generated)": snap}
    if SHARED_RAW.is_dir():
        catalogs["real (../shared/data)"] = load_snapshot(lake_dir(SHARED_RAW, "real"))
    else:
        print(f"search on the real catalog skipped: {SHARED_RAW} is absent")
    searched = {}
    for label, catalog in catalogs.items():
        print(f"search: {label}, {len(catalog):,} titles ...", flush=True)
        searched[label] = bench_search.measure(catalog, args.searches, args.scan_searches, args.repeat)
        problems += [f"WARNING: search {label} {q!r}: the plain scan found a title the search missed"
                     for q in searched[label]["missed"]]
    print()
    print(tables(routes, cold))
    print()
    print(search_table(searched))
    for line in problems[:20]:
        print(line)
    if len(problems) > 20:
        print(f"WARNING: ... {len(problems) - 20} more disagreements")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
