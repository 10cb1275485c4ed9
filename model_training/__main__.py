"""``python -m model_training``: train on the lake, evaluate against baselines, publish a version, gate it."""

from __future__ import annotations

import argparse
import sys
import time

from model_training import registry
from model_training.job import DEFAULT_MAX_EVAL_USERS, TrainingError, run
from reelrec.config import area_uri
from reelrec.lease import LeaseHeld, held
from reelrec.storage import Store, StoreError, open_store

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_BUSY = 0, 1, 2, 3  # model_training/README.md#exit-codes


def _at_least(low: int):
    """argparse type: an integer >= low."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = low - 1
        if value < low:
            raise argparse.ArgumentTypeError(f"expected an integer >= {low}, got {text!r}")
        return value

    return parse


def manage(models: Store, rollback: str | None, log) -> int:
    """``--list`` and ``--rollback``: the registry by hand."""
    if rollback:
        with held(models, "rollback"):
            pointer = registry.rollback(models, rollback)
        log(f"now serving {pointer['version']} ({pointer['reason']})")
        return 0
    served = registry.current(models)
    for version in registry.versions(models):
        report = registry.metrics_of(models, version) or {}
        gate = report.get("gate", {})
        mark = "*" if served and served["version"] == version else " "
        log(f"{mark} {version}  {'promoted' if gate.get('promoted') else 'not promoted'}: {gate.get('reason', '?')}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Parse flags, run, print a summary; exit 0 on a written version (promoted or not), 1 on an error, 2 on bad
    flags, 3 when another run holds the models area (nothing written)."""
    parser = argparse.ArgumentParser(prog="python -m model_training", description=__doc__)
    parser.add_argument("--lake", help="lake URI (default: $REELREC_LAKE or $REELREC_HOME/lake)")
    parser.add_argument("--models", help="models URI (default: $REELREC_MODELS or $REELREC_HOME/models)")
    parser.add_argument("--seed", type=_at_least(0), default=0, help="seed of ALS and of the evaluation's samples (default 0)")
    parser.add_argument("--eval-users", type=_at_least(1), default=DEFAULT_MAX_EVAL_USERS,
                        help=f"at most this many users evaluated per mode (default {DEFAULT_MAX_EVAL_USERS})")
    parser.add_argument("--force", action="store_true", help="promote the new version even if the gate refuses it")
    parser.add_argument("--list", action="store_true", help="list the stored versions and the served one; no training")
    parser.add_argument("--rollback", metavar="VERSION", help="serve this stored version again; no training")
    args = parser.parse_args(argv)
    started = time.perf_counter()

    def log(message: str) -> None:
        print(f"train [{time.perf_counter() - started:6.1f}s] {message}", flush=True)

    try:
        lake, models = open_store(area_uri("lake", args.lake)), open_store(area_uri("models", args.models))
        if lake.uri == models.uri:
            log(f"error: the lake and the models area are the same place ({lake.uri})")
            return EXIT_FAILED
        if args.list or args.rollback:
            return manage(models, args.rollback, log)
        models.check_writable()
        log(f"{lake.uri} -> {models.uri}")
        result = run(lake, models, seed=args.seed, max_eval_users=args.eval_users, force=args.force, log=log)
    except LeaseHeld as exc:
        log(f"error: {exc}")
        return EXIT_BUSY
    except (TrainingError, StoreError, OSError) as exc:
        log(f"error: {exc}")
        return EXIT_FAILED
    m = result.metrics
    gains = ", ".join(f"{mode} {c['gain']:+.1%} vs {c['best_baseline']}" for mode, c in m["comparison"].items())
    hybrid = m["evaluation"]
    log(f"done: version {result.version} ({m['artifact_bytes'] / 2**20:.1f} MiB) "
        f"{'promoted' if result.promoted else 'NOT promoted'}: {result.reason}; serving {result.current}; "
        f"hybrid nDCG@10 known {hybrid['known']['hybrid']['ndcg@10']:.4f}, new {hybrid['new']['hybrid']['ndcg@10']:.4f} "
        f"({gains}); {m['timings']['total']:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
