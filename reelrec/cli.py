"""What every command line shares: the area options (``--raw``, ``--lake``, ``--models``, ``--users``) declared once,
with the defaults ``reelrec.config`` resolves, and the logging set-up."""

from __future__ import annotations

import argparse

from reelrec.config import AREAS

HELP = {
    "raw": "raw area URI",
    "lake": "lake URI",
    "models": "models area URI",
    "users": "per-viewer history store: a local folder or dynamodb://<table>",
}


def add_area_options(parser: argparse.ArgumentParser, *areas: str, required: bool = False,
                     notes: dict[str, str] | None = None) -> None:
    """Add ``--<area>`` for each of ``areas``; unset means ``$REELREC_<AREA>``, then ``$REELREC_HOME/<area>``.
    ``notes`` adds a command's own words to an area's help (what it reads it for)."""
    for area in areas:
        if area not in AREAS:
            raise ValueError(f"unknown area {area!r}; known: {', '.join(AREAS)}")
        default = "required" if required else f"default: ${AREAS[area]} or $REELREC_HOME/{area}"
        note = f", {notes[area]}" if notes and area in notes else ""
        parser.add_argument(f"--{area}", required=required, help=f"{HELP[area]}{note} ({default})")
