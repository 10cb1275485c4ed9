"""Title search benchmark (issue 11): ``chalicelib.search.search_titles`` next to a plain Python scan.

The reference is what one would write first: fold every title and person name once (``reelrec.textfold.key``),
then per query test ``needle in key`` for every title, collect the titles of every person whose name starts with the
query at one of its words (3+ letters; "red" finds Fred Astaire's films only if typed "fred"), and sort by (whole
title, starts with, ratings count). It has no typo tolerance and no grouping of copies; everything it finds
must also be in the numpy search's answer (as that row or a copy of the same work), which the run checks.

Queries are seeded and drawn from the catalog itself, in the forms people type them: a whole title, its first
letters, one word, a title without accents or punctuation ("spiderman", "pokemon"), one letter dropped from a long
word (a typo), a cast member or director, and single letters (the widest answers).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

import numpy as np

SEED = 0


def queries(snap: Any, n: int, seed: int = SEED) -> list[str]:
    """``n`` seeded search strings in the forms above, canonical as ``params.search_text`` makes them."""
    from chalicelib.params import search_text

    from reelrec.textfold import fold, words

    rng = random.Random(seed)
    titles = [str(t) for t in snap.display_title]
    people = [name.strip() for c in list(snap.display_cast)[:5000] for name in str(c).split(",") if name.strip()]

    def typo(text: str) -> str:
        long = [w for w in words(text) if len(w) >= 5]
        if not long:
            return text
        w = rng.choice(long)
        i = rng.randrange(len(w))
        return fold(text).replace(w, w[:i] + w[i + 1:], 1)

    makers: list[Callable[[str], str]] = [
        lambda t: t,  # the whole title
        lambda t: t[: rng.randint(1, max(1, min(8, len(t))))],  # its first letters
        lambda t: rng.choice(words(t) or [t]),  # one word
        lambda t: "".join(words(t)),  # no spaces, accents or punctuation
        typo,
        lambda t: rng.choice(people) if people else t,  # a person
        lambda t: rng.choice("abcdefghijklmnopqrstuvwxyz"),  # one letter
    ]
    out = []
    while len(out) < n:
        try:
            out.append(search_text(rng.choice(makers)(rng.choice(titles))))
        except Exception:  # noqa: BLE001 - a draw with nothing to search for (e.g. "!!!") is drawn again
            continue
    return out


class PlainScan:
    """The reference: folded keys in lists, a Python loop per query."""

    def __init__(self, snap: Any) -> None:
        from reelrec.textfold import key, words

        self.snap = snap
        self.keys = [key(str(t)) for t in snap.display_title]
        self.people: list[tuple[list[str], int]] = []  # the name's key from each of its words on, and the row
        for row, (cast, director) in enumerate(zip(snap.display_cast, snap.display_director, strict=True)):
            for name in f"{cast},{director}".split(","):
                parts = words(name)
                if parts:
                    self.people.append((["".join(parts[i:]) for i in range(len(parts))], row))
        self.counts = [int(c) for c in snap.score_count]

    def search(self, q: str, limit: int = 10) -> dict:
        """Matching rows best first: whole title, starts with, contains, a person's; then ratings count."""
        from reelrec.textfold import key

        needle = key(q)
        tier: dict[int, int] = {}
        for row, k in enumerate(self.keys):
            if needle in k:
                tier[row] = 0 if k == needle else 1 if k.startswith(needle) else 2
        if len(needle) >= 3:
            for tails, row in self.people:
                if needle in tails[0] and any(t.startswith(needle) for t in tails):
                    tier.setdefault(row, 3)
        ranked = sorted(tier, key=lambda r: (tier[r], -self.counts[r]))
        return {"total": len(ranked), "rows": ranked[:limit], "all": ranked}


def pct(seconds: list[float], q: float) -> float:
    """The ``q``-th percentile in milliseconds."""
    return float(np.percentile(np.asarray(seconds), q)) * 1e3


def measure(snap: Any, n: int, scan_n: int, repeat: int = 3) -> dict[str, Any]:
    """Latencies (s) of both implementations over seeded queries, and the queries where the scan found a row the
    search did not return (should be none)."""
    from chalicelib import search

    qs = queries(snap, n)
    for q in qs[:50]:
        search.search_titles(snap, q)
    best: list[float] | None = None
    for _ in range(max(repeat, 1)):
        seconds = []
        for q in qs:
            started = time.perf_counter()
            search.search_titles(snap, q)
            seconds.append(time.perf_counter() - started)
        if best is None or pct(seconds, 99) < pct(best, 99):
            best = seconds
    started = time.perf_counter()
    scan = PlainScan(snap)
    scan_build = time.perf_counter() - started
    scan_seconds, missed = [], []
    for q in qs[:scan_n]:
        started = time.perf_counter()
        want = scan.search(q)
        scan_seconds.append(time.perf_counter() - started)
        got = search.matches(snap, q)[0]
        works = set(snap.work[got].tolist())
        if any(int(snap.work[r]) not in works for r in want["all"]):
            missed.append(q)
    return {"queries": len(qs), "numpy": best, "scan": scan_seconds, "scan_build": scan_build, "missed": missed}


def table_rows(label: str, result: dict[str, Any], target_ms: float) -> list[str]:
    """One markdown row: p50/p99 of both and the ratios, with the verdict on the p99 target."""
    a50, a99 = pct(result["numpy"], 50), pct(result["numpy"], 99)
    b50, b99 = pct(result["scan"], 50), pct(result["scan"], 99)
    verdict = "PASS" if a99 <= target_ms else "FAIL"
    return [f"| {label} | {len(result['numpy']):,} / {len(result['scan']):,} | {a50:.3f} | {a99:.3f} | {b50:.2f} "
            f"| {b99:.2f} | {b50 / a50:.0f}x | {b99 / a99:.0f}x | {verdict} |"]
