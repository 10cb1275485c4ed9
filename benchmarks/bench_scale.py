"""Issue 14's rehearsal: does serving stay flat as the audience grows? The course's 115k viewers and ~1M viewers
(datagen presets ``course`` and ``million``) on the same catalog, in one run.

For each size, every step runs in a fresh child process that reports its own peak RSS:
1. the ETL (``python -m etl_job``, which also builds the SQLite history store): wall time, peak RSS, the store's
   build time (from the manifest) and size;
2. the training job (``python -m model_training``): wall time, peak RSS, the model's size;
3. the API in-process (``functions/``: the snapshot caches, the history store, ``recommend.for_user``, as the route
   calls them): cold start = imports + first known-viewer answer (also in parts: imports, model load, the store's
   open + first history read, the first answer), then 1,000 known-viewer requests (random viewers,
   seeded): p50 / p99 and the peak RSS after them; three such processes, medians (RSS: the highest).
The table prints each measure at 115k, at 1M and their ratio; the targets are the issue's (model size, cold start
and API RSS at 1M within 1.2x of 115k; known-viewer p99 <= 5 ms; training at 1M within the training Lambda's
15 minutes and 10 GB, projected in docs/deploy.md).

Usage: ``python benchmarks/bench_scale.py [--presets course million] [--requests 1000] [--keep] [--reuse DIR]``
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_etl import ROOT, child_env, machine, raw_data  # noqa: E402

SEED = 0
TARGET_RATIO = 1.2
COLD_PARTS = ("cold_imports_s", "cold_model_s", "cold_history_s", "cold_answer_s")  # medians of each part
PROBES = 3  # API processes per size: cold start, p50 and p99 are their medians, RSS their maximum
TARGET_P99_MS = 5.0
LAMBDA_SECONDS, LAMBDA_MIB = 900.0, 10_240.0
# Runs a module in this process, then writes its exit code, wall time and own peak RSS in KiB.
WRAPPER = """
import json, resource, runpy, sys, time
report, target, *args = sys.argv[1:]
sys.argv = [target, *args]
code, t0 = 0, time.perf_counter()
try:
    runpy.run_module(target, run_name="__main__", alter_sys=True)
except SystemExit as exc:
    code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
hwm = [ln for ln in open("/proc/self/status") if ln.startswith("VmHWM:")]  # this process's own peak
peak = int(hwm[0].split()[1]) if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
with open(report, "w") as fh:
    json.dump({"code": code, "seconds": time.perf_counter() - t0, "maxrss_kib": peak}, fh)
"""
# The API as a Lambda container runs it: nothing imported before the clock starts.
API_PROBE = """
import json, resource, sys, time
t0 = time.perf_counter()


def peak_mib():
    # this process's own peak RSS: VmHWM (ru_maxrss keeps the forking parent's high-water mark across exec)
    hwm = [ln for ln in open("/proc/self/status") if ln.startswith("VmHWM:")]
    return int(hwm[0].split()[1]) / 1024 if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


sys.path[:0] = [sys.argv[2], sys.argv[3]]
import numpy as np
from chalicelib import recommend
from chalicelib.snapshots import MODEL, SnapshotCache
from chalicelib.viewers import Viewers
models, viewers = SnapshotCache(source=MODEL), Viewers()
users = json.loads(open(sys.argv[4]).read())
t_imports = time.perf_counter()
model = models.get()
t_model = time.perf_counter()
history = viewers.get(users[0])
t_history = time.perf_counter()
first = recommend.for_user(model, users[0], history)
t_answer = time.perf_counter()
cold = t_answer - t0
parts = {"cold_imports_s": t_imports - t0, "cold_model_s": t_model - t_imports, "cold_history_s": t_history - t_model,
         "cold_answer_s": t_answer - t_history}
rss_cold = peak_mib()
times = []
for uid in users[1:]:
    s = time.perf_counter()
    answer = recommend.for_user(models.get(), uid, viewers.get(uid))
    times.append(time.perf_counter() - s)
    assert answer["items"], uid
ms = np.array(times) * 1000
json.dump({"cold_s": cold, "p50_ms": float(np.percentile(ms, 50)), "p99_ms": float(np.percentile(ms, 99)),
           "rss_cold_mib": rss_cold, "rss_mib": peak_mib(), **parts,
           "requests": len(times)}, open(sys.argv[1], "w"))
"""


def child(module: str, args: list[str], log: Path) -> dict:
    """Run ``python -m module args`` under the wrapper; its report (exits on failure, naming the log)."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as fh:
        report = Path(fh.name)
    with open(log, "a") as out:
        subprocess.run([sys.executable, "-c", WRAPPER, str(report), module, *args], cwd=ROOT, env=child_env(),
                       stdout=out, stderr=out, check=False)
    stats = json.loads(report.read_text())
    report.unlink()
    if stats["code"] != 0:
        sys.exit(f"bench-scale: {module} failed (exit {stats['code']}); see {log}")
    return stats


def api_env() -> dict[str, str]:
    """What the API's prod stage sets for its process (functions/.chalice/config.json: one BLAS thread, the malloc
    threshold), so the probe runs as a Lambda container would."""
    config = json.loads((ROOT / "functions" / ".chalice" / "config.json").read_text())
    stage = config["stages"]["prod"]["environment_variables"]
    return {k: v for k, v in stage.items() if not k.startswith("REELREC_")}


def measure(preset: str, home: Path, requests: int, log: Path) -> dict:
    """ETL, training and the API probe for one preset; every measure of the table. With ``home/steps.json`` from an
    earlier ``--keep`` run, the ETL and training are not run again (only the API is measured)."""
    lake, models, users = home / "lake", home / "models", home / "users"
    steps = home / "steps.json"
    if steps.exists():
        print(f"[{preset}] reusing the ETL and training of {home}", flush=True)
        etl, train = json.loads(steps.read_text())
    else:
        raw = raw_data(preset)
        print(f"[{preset}] etl ...", flush=True)
        etl = child("etl_job", ["--raw", str(raw), "--lake", str(lake), "--users", str(users)], log)
        print(f"[{preset}] training ...", flush=True)
        train = child("model_training", ["--lake", str(lake), "--models", str(models)], log)
        steps.write_text(json.dumps([etl, train]))
    manifest = json.loads(min((lake / "_manifests").glob("*.json")).read_text())  # the run that built the store
    pointer = json.loads((models / "current.json").read_text())
    model_bytes = (models / pointer["key"]).stat().st_size
    metrics = json.loads((models / pointer["key"]).with_name("metrics.json").read_text())

    import numpy as np

    from reelrec.histories import opened

    with opened(str(users)) as store:
        ids = store.user_ids()
    picks = np.random.default_rng(SEED).choice(ids, requests + 1, replace=False).tolist()
    user_file = home / "probe-users.json"
    user_file.write_text(json.dumps(picks))
    print(f"[{preset}] api probe ({requests:,} known viewers) ...", flush=True)
    report = home / "probe.json"
    env = {**child_env(), **api_env(), "REELREC_LAKE": str(lake), "REELREC_MODELS": str(models),
           "REELREC_USERS": str(users)}
    probes = []
    for _ in range(PROBES):  # fresh processes: a cold start is one sample each, so take the median
        subprocess.run([sys.executable, "-c", API_PROBE, str(report), str(ROOT / "functions"), str(ROOT),
                        str(user_file)], cwd=ROOT, env=env, check=True)
        probes.append(json.loads(report.read_text()))
    api = {k: float(np.median([p[k] for p in probes])) for k in ("cold_s", *COLD_PARTS, "p50_ms", "p99_ms")}
    api["rss_mib"] = max(p["rss_mib"] for p in probes)
    store_file = users / "histories.sqlite"
    return {
        "viewers": len(ids), "ratings": metrics["data"]["ratings"],
        "model_mib": model_bytes / 2**20, "cold_s": api["cold_s"], **{k: api[k] for k in COLD_PARTS},
        "api_rss_mib": api["rss_mib"],
        "p50_ms": api["p50_ms"], "p99_ms": api["p99_ms"],
        "store_build_s": manifest["histories"]["seconds"], "store_mib": store_file.stat().st_size / 2**20,
        "etl_s": etl["seconds"], "etl_rss_mib": etl["maxrss_kib"] / 1024,
        "train_s": train["seconds"], "train_rss_mib": train["maxrss_kib"] / 1024,
        "train_fit_s": metrics["timings"].get("fit"), "train_eval_s": metrics["timings"].get("evaluate"),
    }


ROWS = [  # key, label, format, target rule (None: reported only)
    ("viewers", "viewers", "{:,.0f}", None),
    ("ratings", "ratings (latest per viewer and title)", "{:,.0f}", None),
    ("model_mib", "model artifact (MiB)", "{:.1f}", "ratio"),
    ("cold_s", "API cold start: imports + first known-viewer answer (s)", "{:.2f}", "ratio"),
    ("cold_imports_s", "&nbsp;&nbsp;of which imports (s)", "{:.3f}", None),
    ("cold_model_s", "&nbsp;&nbsp;of which loading the model (s)", "{:.3f}", None),
    ("cold_history_s", "&nbsp;&nbsp;of which opening the store + first history read (s)", "{:.3f}", None),
    ("cold_answer_s", "&nbsp;&nbsp;of which the first answer (s)", "{:.3f}", None),
    ("api_rss_mib", "API peak RSS after the requests (MiB)", "{:.0f}", "ratio"),
    ("p50_ms", "known-viewer p50 (ms)", "{:.2f}", None),
    ("p99_ms", "known-viewer p99 (ms)", "{:.2f}", "p99"),
    ("store_build_s", "history store build (s)", "{:.1f}", None),
    ("store_mib", "history store size (MiB)", "{:.0f}", None),
    ("etl_s", "ETL wall, store included (s)", "{:.1f}", None),
    ("etl_rss_mib", "ETL peak RSS (MiB)", "{:.0f}", None),
    ("train_s", "training wall (s)", "{:.1f}", "lambda_s"),
    ("train_rss_mib", "training peak RSS (MiB)", "{:.0f}", "lambda_mib"),
]


def verdict(rule: str | None, small: float, big: float) -> str:
    """The target and whether the 1M run meets it."""
    if rule is None:
        return ""
    if rule == "ratio":
        return f"<= {TARGET_RATIO}x: {'met' if big <= TARGET_RATIO * small else 'NOT met'}"
    if rule == "p99":
        return f"<= {TARGET_P99_MS} ms: {'met' if max(small, big) <= TARGET_P99_MS else 'NOT met'}"
    limit = LAMBDA_SECONDS if rule == "lambda_s" else LAMBDA_MIB
    return f"<= {limit:,.0f}: {'met' if big <= limit else 'NOT met'}"


def table(results: dict[str, dict]) -> str:
    small, big = (results[p] for p in results)
    names = list(results)
    lines = [f"| measure | {names[0]} | {names[1]} | ratio | target (at {names[1]}) |", "|---|---:|---:|---:|---|"]
    for key, label, fmt, rule in ROWS:
        a, b = small[key], big[key]
        ratio = f"{b / a:.2f}x" if a else "-"
        lines.append(f"| {label} | {fmt.format(a)} | {fmt.format(b)} | {ratio} | {verdict(rule, a, b)} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", nargs=2, default=["course", "million"])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--keep", action="store_true", help="keep the lakes, models and stores (printed)")
    parser.add_argument("--reuse", type=Path, help="the work folder of an earlier --keep run: measure the API only")
    args = parser.parse_args()
    work = args.reuse or Path(tempfile.mkdtemp(prefix="reelrec-bench-scale-"))
    log = work / "bench.log"
    print(f"bench-scale: work folder {work}, child output in {log}")
    started = time.perf_counter()
    results = {}
    for preset in args.presets:
        results[preset] = measure(preset, work / preset, args.requests, log)
        print(json.dumps(results[preset]), flush=True)
    print(f"\nmachine: {machine(('numpy', 'implicit', 'pyarrow'))}")
    print(f"bench-scale: {time.perf_counter() - started:.0f} s in all\n")
    print(table(results))
    (ROOT / ".reelrec" / "bench").mkdir(parents=True, exist_ok=True)
    (ROOT / ".reelrec" / "bench" / "scale.json").write_text(json.dumps(results, indent=1))
    if not args.keep and not args.reuse:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
