"""Seeded generator of realistic raw data (catalog CSVs and rating deliveries) for a raw-area store.

``generate(raw_uri, preset, seed=..., **overrides)`` writes ``titles/<platform>_titles.csv``,
``ratings/1.csv..N.csv`` and ``_generated.json`` (the summary it returns) to the store at
``raw_uri``. Same seed and preset -> byte-identical files.
"""

from __future__ import annotations

import json
import os
import tempfile
from typing import Any

import numpy as np

from datagen import vocab
from datagen.ratings import TitleTraits, sample_ratings
from datagen.ratings_csv import FAULT_REASONS, write_ratings_files
from datagen.titles import TitlesResult, generate_platform, write_titles_csv
from reelrec.schemas import PLATFORMS
from reelrec.storage import open_store

__all__ = ["PRESETS", "SUMMARY_KEY", "generate", "resolve_params"]

SUMMARY_KEY = "_generated.json"
MIN_TITLES = 40  # per platform
MAX_TITLES_FRACTION = 10.0

PRESETS: dict[str, dict[str, Any]] = {
    "tiny": {"titles_fraction": 0.03, "users": 60, "ratings": 3_000, "files": 2, "faults": True},
    "small": {"titles_fraction": 0.20, "users": 3_000, "ratings": 150_000, "files": 2, "faults": True},
    "course": {"titles_fraction": 1.00, "users": 115_000, "ratings": 11_000_000, "files": 8, "faults": True},
    # issue 14's rehearsal (make bench-scale): ~9x the course's viewers on the same catalog
    "million": {"titles_fraction": 1.00, "users": 1_000_000, "ratings": 25_000_000, "files": 20, "faults": True},
}


def resolve_params(preset: str, overrides: dict[str, Any]) -> dict[str, Any]:
    """Return the preset's parameters with overrides applied, or raise ValueError on a bad value."""
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; choose one of {', '.join(PRESETS)}")
    unknown = set(overrides) - set(PRESETS[preset])
    if unknown:
        raise ValueError(f"unknown override(s) {sorted(unknown)}; allowed: {', '.join(PRESETS[preset])}")
    params = {**PRESETS[preset], **{k: v for k, v in overrides.items() if v is not None}}
    fraction = float(params["titles_fraction"])
    if not 0 < fraction <= MAX_TITLES_FRACTION:
        raise ValueError(f"titles_fraction must be in (0, {MAX_TITLES_FRACTION}], got {fraction}")
    for name in ("users", "ratings", "files"):
        if int(params[name]) != params[name] or int(params[name]) < 1:
            raise ValueError(f"{name} must be a positive integer, got {params[name]!r}")
    params.update(titles_fraction=fraction, users=int(params["users"]), ratings=int(params["ratings"]),
                  files=int(params["files"]), faults=bool(params["faults"]))
    return params


def _publish(store, path: str, key: str) -> None:
    """Upload one finished local file to the store and remove the local copy."""
    store.upload_file(path, key)
    os.remove(path)


def generate(raw_uri: str, preset: str = "small", *, seed: int = 0, **overrides: Any) -> dict[str, Any]:
    """Write a seeded synthetic raw area to ``raw_uri`` and return its JSON-serialisable summary."""
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    params = resolve_params(preset, overrides)
    store = open_store(raw_uri)
    summary: dict[str, Any] = {"preset": preset, "seed": seed, "params": params, "rows": {},
                               "titles_per_platform": {}, "faults": {}, "repairs_expected": {}, "messy_valid": {},
                               "quirks": {}}
    with tempfile.TemporaryDirectory(prefix="datagen-") as tmp:
        catalogs: list[TitlesResult] = []
        for i, platform in enumerate(PLATFORMS):
            spec = vocab.PLATFORM_SPECS[platform]
            n = max(MIN_TITLES, round(spec.real_count * params["titles_fraction"]))
            result = generate_platform(spec, n, np.random.default_rng([seed, 1, i]), params["faults"])
            path = os.path.join(tmp, f"{spec.stem}.csv")
            write_titles_csv(result, path)
            _publish(store, path, result.key)
            catalogs.append(result)
            summary["rows"][result.key] = len(result.rows)
            summary["titles_per_platform"][platform] = result.valid
            summary["faults"][result.key] = result.faults
            summary["repairs_expected"][result.key] = result.repairs
            summary["quirks"][result.key] = result.quirks

        ids = [i for c in catalogs for i in c.lake_ids]
        offsets = np.cumsum([0] + [int(c.star.max(initial=-1)) + 1 for c in catalogs])  # performer ids per platform
        traits = TitleTraits(
            star=np.concatenate([np.where(c.star >= 0, c.star + off, -1) for c, off in zip(catalogs, offsets,
                                                                                          strict=False)]),
            release_year=np.concatenate([c.release_year for c in catalogs]),
            kid_safe=np.concatenate([c.kid_safe for c in catalogs]),
            added=np.concatenate([c.added for c in catalogs]),
        )
        ratings = sample_ratings(
            np.concatenate([c.theme_mask for c in catalogs]),
            np.concatenate([c.is_movie for c in catalogs]), traits,
            params["users"], params["ratings"], np.random.default_rng([seed, 2]),
        )
        totals = dict.fromkeys(FAULT_REASONS, 0)
        for written in write_ratings_files(ratings, ids, params["files"], params["faults"],
                                           np.random.default_rng([seed, 3]), tmp):
            _publish(store, written.path, written.key)
            summary["rows"][written.key] = written.rows
            summary["faults"][written.key] = written.faults
            summary["messy_valid"][written.key] = written.messy
            for k, v in written.faults.items():
                totals[k] += v
    rows = len(ratings.user)
    summary["ratings"] = {"rows": rows, "clean": rows - sum(totals.values()), "users": params["users"],
                          "rated_titles": ratings.rated_titles, "faults": totals}
    store.write_bytes(SUMMARY_KEY, (json.dumps(summary, indent=2, ensure_ascii=False) + "\n").encode())
    return summary
