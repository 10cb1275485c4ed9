"""CLI: ``python -m datagen --raw URI --preset small --seed 0`` writes a synthetic raw area."""

from __future__ import annotations

import argparse
import logging
import sys
import time

from datagen import PRESETS, generate, resolve_params
from reelrec import logs
from reelrec.cli import add_area_options
from reelrec.config import area_uri
from reelrec.storage import StoreError


def _seed(text: str) -> int:
    """Parse --seed: a non-negative integer (numpy seeds cannot be negative)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid seed {text!r}: expected a non-negative integer") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"invalid seed {text!r}: expected a non-negative integer")
    return value


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser (kept separate so tests can inspect it)."""
    parser = argparse.ArgumentParser(prog="python -m datagen", description=__doc__)
    add_area_options(parser, "raw")
    parser.add_argument("--preset", choices=sorted(PRESETS), default="small", help="size preset (default: small)")
    parser.add_argument("--seed", type=_seed, default=0, help="random seed (default: 0)")
    parser.add_argument("--titles-fraction", type=float, help="titles per platform as a fraction of the real counts")
    parser.add_argument("--users", type=int, help="number of users")
    parser.add_argument("--ratings", type=int, help="approximate number of ratings")
    parser.add_argument("--files", type=int, help="number of ratings files")
    parser.add_argument("--no-faults", dest="faults", action="store_false", default=None,
                        help="write no malformed/duplicate/invalid rows")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, generate, log a one-line summary (stderr); exit 2 on bad arguments."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logs.configure()
    log = logging.getLogger("reelrec.datagen")
    overrides = {"titles_fraction": args.titles_fraction, "users": args.users, "ratings": args.ratings,
                 "files": args.files, "faults": args.faults}
    try:
        resolve_params(args.preset, overrides)
    except ValueError as exc:
        parser.error(str(exc))  # exits with code 2
    raw = area_uri("raw", args.raw)
    start = time.perf_counter()
    try:
        summary = generate(raw, args.preset, seed=args.seed, **overrides)
    except StoreError as exc:
        log.error(f"datagen: error: {exc}")
        return 1
    titles = ", ".join(f"{p} {n}" for p, n in summary["titles_per_platform"].items())
    r = summary["ratings"]
    n_files = sum(1 for k in summary["rows"] if k.startswith("ratings/"))
    log.info(f"datagen: preset={args.preset} seed={args.seed} -> {raw}: titles ({titles}), "
          f"{r['rows']:,} ratings ({r['users']:,} users, {r['rows'] - r['clean']} faulty) in {n_files} files "
          f"[{time.perf_counter() - start:.1f}s]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
