"""``python -m model_training``: train on the lake, evaluate against baselines, publish a version, gate it."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Callable

from model_training import registry, run_metrics
from model_training.job import DEFAULT_MAX_EVAL_USERS, TrainingError, run
from model_training.records import CANDIDATE
from reelrec.cli import add_area_options
from reelrec.config import area_uri
from reelrec.lease import LeaseHeld, held
from reelrec.logs import configure
from reelrec.storage import Store, StoreError, open_store

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_BUSY = 0, 1, 2, 3  # model_training/README.md#exit-codes
log = logging.getLogger("reelrec.training")


def _at_least(low: int) -> Callable[[str], int]:
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


class Elapsed(logging.Filter):
    """Prefixes the job's log lines with the seconds since the CLI started: ``train [  1.2s] message``."""

    def __init__(self, started: float) -> None:
        super().__init__()
        self.started = started

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message and let it through (a logger filter sees each record once)."""
        record.msg = f"train [{time.perf_counter() - self.started:6.1f}s] {record.getMessage()}"
        record.args = ()
        return True


def manage(models: Store, rollback: str | None) -> int:
    """``--list`` (the versions on stdout, the served one starred) and ``--rollback``: the registry by hand."""
    if rollback:
        with held(models, "rollback"):
            pointer = registry.rollback(models, rollback)
        log.info(f"now serving {pointer['version']} ({pointer['reason']})")
        return EXIT_OK
    served = registry.current(models)
    for version in registry.versions(models):
        gate = registry.gate_of(models, version)
        mark = "*" if served and served["version"] == version else " "
        decision = "promoted" if gate and gate.get("promoted") else "not promoted"
        print(f"{mark} {version}  {decision}: {gate.get('reason', '?') if gate else '?'}", flush=True)
    return EXIT_OK


def parser() -> argparse.ArgumentParser:
    """The command line's flags."""
    p = argparse.ArgumentParser(prog="python -m model_training", description=__doc__)
    add_area_options(p, "lake", "models")
    p.add_argument("--seed", type=_at_least(0), default=0, help="seed of ALS and of the evaluation's samples (default 0)")
    p.add_argument("--eval-users", type=_at_least(1), default=DEFAULT_MAX_EVAL_USERS,
                   help=f"at most this many users evaluated per mode (default {DEFAULT_MAX_EVAL_USERS})")
    p.add_argument("--force", action="store_true", help="promote the new version even if the gate refuses it")
    p.add_argument("--list", action="store_true", help="list the stored versions and the served one; no training")
    p.add_argument("--rollback", metavar="VERSION", help="serve this stored version again; no training")
    return p


def main(argv: list[str] | None = None) -> int:
    """Parse flags, run, log a summary (stderr, ``LOG_LEVEL``); exit 0 on a written version (promoted or not), 1 on
    an error, 2 on bad flags, 3 when another run holds the models area (nothing written)."""
    args = parser().parse_args(argv)
    configure()
    elapsed = Elapsed(time.perf_counter())
    log.addFilter(elapsed)
    try:
        return _main(args)
    finally:
        log.removeFilter(elapsed)


def _main(args: argparse.Namespace) -> int:
    """``main`` after the flags and the logging are set up; a training run (not ``--list``/``--rollback``) emits
    its metrics (``run_metrics``), except when the models area is busy."""
    training = not (args.list or args.rollback)
    models: Store | None = None
    try:
        lake = open_store(area_uri("lake", args.lake))
        models = open_store(area_uri("models", args.models))
        if lake.uri == models.uri:
            log.error(f"error: the lake and the models area are the same place ({lake.uri})")
            if training:
                run_metrics.publish(None)
            return EXIT_FAILED
        if not training:
            return manage(models, args.rollback)
        models.check_writable()
        log.info(f"{lake.uri} -> {models.uri}")
        result = run(lake, models, seed=args.seed, max_eval_users=args.eval_users, force=args.force)
    except LeaseHeld as exc:
        log.error(f"error: {exc}")
        return EXIT_BUSY
    except (TrainingError, StoreError, OSError) as exc:
        log.error(f"error: {exc}")
        if training:
            run_metrics.publish(None, models)
        return EXIT_FAILED
    run_metrics.publish(result)
    m = result.metrics
    gains = ", ".join(f"{mode} {c['gain']:+.1%} vs {c['best_baseline']}" for mode, c in m["comparison"].items())
    hybrid = m["evaluation"]
    log.info(f"done: version {result.version} ({m['artifact_bytes'] / 2**20:.1f} MiB) "
             f"{'promoted' if result.promoted else 'NOT promoted'}: {result.reason}; serving {result.current}; "
             f"hybrid nDCG@10 known {hybrid['known'][CANDIDATE]['ndcg@10']:.4f}, "
             f"new {hybrid['new'][CANDIDATE]['ndcg@10']:.4f} ({gains}); {m['timings']['total']:.1f} s")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
