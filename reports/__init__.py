"""Exploratory data analysis report over the lake: one self-contained HTML page plus its numbers as JSON.

``python -m reports --lake URI [--raw URI] [--out DIR]`` (see ``docs/eda.md``). Modules, one job each:
``data`` (titles, state, manifests, quarantine), ``ratings`` (ratings reduced to aggregates, file by file),
``raw`` (empty values in the raw CSVs), ``sections`` (each section's numbers), ``summary`` (the findings),
``figures`` (matplotlib, PNG), ``html`` (the page), ``publish`` (store and local copies), ``report`` (the run).
"""

from __future__ import annotations

SECTIONS = (
    ("summary", "Summary of findings"),
    ("catalog", "Titles by type and release year"),
    ("durations", "Durations and outliers"),
    ("missing", "Missing values: raw data and lake"),
    ("faults", "Faults repaired and quarantined by the ETL"),
    ("ratings", "Ratings: scores, long tail and activity"),
    ("content", "Top genres, countries, directors and cast"),
    ("taste", "Mean score by genre and release decade"),
)
