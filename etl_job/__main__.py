"""``python -m etl_job``: bring the lake up to date with the raw area."""

from __future__ import annotations

import argparse
import logging
import sys

from etl_job.entry import EXIT_BUSY, EXIT_FAILED, EXIT_OK, open_areas, open_users, report
from etl_job.pipeline import run_etl
from etl_job.progress import LOGGER, Progress
from reelrec import logs
from reelrec.cli import add_area_options
from reelrec.lease import LeaseHeld
from reelrec.storage import StoreError

log = logging.getLogger(LOGGER)


def main(argv: list[str] | None = None) -> int:
    """Parse flags, run, log a summary; exit 0 when every input was usable, 1 otherwise (an error, a failed or
    refused input), 2 on bad flags, 3 when another run holds the lake (nothing written). Progress lines go to
    stderr through ``logging`` (level from ``LOG_LEVEL``); the run's metrics are logged at DEBUG."""
    logs.configure()
    parser = argparse.ArgumentParser(prog="python -m etl_job", description=__doc__)
    add_area_options(parser, "raw", "lake", "users")
    parser.add_argument("--full", action="store_true", help="reprocess every input and drop orphaned lake data")
    parser.add_argument("--allow-shrink", action="store_true",
                        help="accept a file that lost more than 20%% of its published rows (refused otherwise)")
    args = parser.parse_args(argv)
    progress = Progress()
    try:
        raw, lake = open_areas(args.raw, args.lake)
        users = open_users(args.users)
        progress.say(f"etl: {raw.uri} -> {lake.uri}, histories -> {users.uri}")
        manifest = run_etl(raw, lake, full=args.full, progress=progress, allow_shrink=args.allow_shrink, users=users)
    except LeaseHeld as exc:
        log.error("etl: error: %s", exc)
        return EXIT_BUSY
    except (StoreError, OSError) as exc:
        log.error("etl: error: %s", exc)
        report(None)
        return EXIT_FAILED
    report(manifest)
    return EXIT_OK if manifest["status"] == "ok" else EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
