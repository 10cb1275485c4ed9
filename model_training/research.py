"""Full comparison (hybrid vs popularity, pure ALS, content-only) on a lake; prints markdown tables.

    python -m model_training.research --lake /tmp/mr/lake [--alternatives]

Two splits: ``validation`` (the same temporal split applied to the history part only: what every
hyper-parameter was tuned on) and ``test`` (the issue's split: first 70% of each user's ratings vs later >= 4.0).
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np
import scipy.sparse as sp

from model_training.data import Ratings
from model_training.evaluate import (
    NEW_USER_SHARE,
    Evaluated,
    FitFn,
    Split,
    evaluate_mode,
    public,
    temporal_split,
)
from model_training.evaluation import CANDIDATE, COMPARED, CatalogSide, Compared, TrainingSet
from model_training.features import build_blocks
from model_training.hybrid import HybridParams, fit_hybrid

SEED = 0
N_FOLDS = int(round(1 / NEW_USER_SHARE))
METRICS = ("recall@10", "ndcg@10", "coverage", "unrated_share")


def models(blocks: dict[str, sp.csr_matrix], n_items: int) -> dict[str, FitFn]:
    """The job's compared models (``evaluation.COMPARED``, tuned parameters, this seed) as fit functions; the
    pure-ALS baseline uses the hybrid's ALS settings, tuned for it."""
    catalog = CatalogSide(n_items, blocks)

    def fit_of(entry: Compared[Any]) -> FitFn:
        def fit(train: Ratings) -> Evaluated:
            return entry.fit(TrainingSet(train, catalog, HybridParams(), SEED))
        return fit

    return {entry.name: fit_of(entry) for entry in COMPARED}


def evaluate_all(fit: FitFn, split: Split, n_items: int) -> dict[str, Any]:
    """known, new (the seeded 20%) and new over all 5 user folds (nDCG only) for one model."""
    known = evaluate_mode(fit, split, "known", n_items, SEED)
    new = evaluate_mode(fit, split, "new", n_items, SEED)
    per_user = [new["_ndcg_per_user"]] + [
        evaluate_mode(fit, split, "new", n_items, SEED, fold=f)["_ndcg_per_user"] for f in range(1, N_FOLDS)
    ]
    return {"known": known, "new": new, "new_cv_ndcg": float(np.concatenate(per_user).mean())}


def paired_ci(a: np.ndarray, b: np.ndarray, seed: int = 0, n: int = 2000) -> tuple[float, float]:
    """95% bootstrap interval of mean(a) / mean(b) - 1 over users (paired)."""
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(a), (n, len(a)))
    ratio = a[idx].mean(axis=1) / np.maximum(b[idx].mean(axis=1), 1e-12) - 1
    return float(np.percentile(ratio, 2.5)), float(np.percentile(ratio, 97.5))


def table(results: dict[str, dict[str, Any]], title: str) -> str:
    """Markdown table of every model x mode x metric."""
    lines = [
        f"### {title}",
        "",
        "| model | mode | users | recall@10 | nDCG@10 | coverage | unrated share | nDCG@10 new, 5 folds |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, r in results.items():
        for mode in ("known", "new"):
            m = public(r[mode])
            cv = f"{r['new_cv_ndcg']:.4f}" if mode == "new" else ""
            lines.append(
                f"| {name} | {mode} | {int(m['users'])} | {m['recall@10']:.4f} | {m['ndcg@10']:.4f} | "
                f"{m['coverage']:.4f} | {m['unrated_share']:.4f} | {cv} |"
            )
    return "\n".join(lines)


def verdict(results: dict[str, dict[str, Any]]) -> str:
    """Hybrid vs the best baseline on nDCG@10 in each mode, with paired bootstrap intervals."""
    out = []
    for mode in ("known", "new"):
        base = max((n for n in results if n != CANDIDATE), key=lambda n: results[n][mode]["ndcg@10"])
        h, b = results[CANDIDATE][mode], results[base][mode]
        lo, hi = paired_ci(h["_ndcg_per_user"], b["_ndcg_per_user"])
        gain = h["ndcg@10"] / b["ndcg@10"] - 1
        out.append(
            f"- {mode}: hybrid {h['ndcg@10']:.4f} vs best baseline {base} {b['ndcg@10']:.4f}: "
            f"{gain:+.1%} (95% paired bootstrap {lo:+.1%} .. {hi:+.1%}); target +10%: {'met' if gain >= 0.10 else 'NOT met'}"
        )
    base = max((n for n in results if n != CANDIDATE), key=lambda n: results[n]["new_cv_ndcg"])
    gain = results[CANDIDATE]["new_cv_ndcg"] / results[base]["new_cv_ndcg"] - 1
    out.append(f"- new, all 5 user folds: hybrid vs {base}: {gain:+.1%}")
    return "\n".join(out)


ALTERNATIVES: dict[str, HybridParams] = {
    "ALS only (hybrid's factors, no blend)": HybridParams(pop_weight=0.0, content_scale=0.0),
    "ALS + popularity prior": HybridParams(content_scale=0.0),
    "ALS + content blend, no popularity": HybridParams(pop_weight=0.0),
    "chosen hybrid": HybridParams(),
    "ridge map fitted on rated titles only": HybridParams(ridge_on_all=False),
    "rated titles shrunk to their mapped factors (shrink 5)": HybridParams(shrink=5.0),
    "content scale 0.5": HybridParams(content_scale=0.5),
    "content scale 1.5": HybridParams(content_scale=1.5),
    "no genre-focus term (an obvious taste not followed)": HybridParams(focus_genre=0.0),
}


def main(argv: list[str] | None = None) -> None:
    """Run the comparison on a local lake and print the tables."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--lake", required=True)
    ap.add_argument("--alternatives", action="store_true", help="also evaluate the alternatives on validation")
    args = ap.parse_args(argv)
    from model_training.lakeio import load_catalog, load_ratings  # pyarrow only here

    t0 = time.perf_counter()
    catalog = load_catalog(args.lake)
    ratings = load_ratings(args.lake, catalog)
    blocks, _ = build_blocks(catalog)
    n = len(catalog)
    test = temporal_split(ratings)
    val = temporal_split(test.history)
    print(f"{len(ratings):,} ratings, {len(np.unique(ratings.user_ids))} users, {n:,} titles "
          f"({len(np.unique(ratings.item_idx)):,} rated); loaded in {time.perf_counter() - t0:.1f} s\n")
    if args.alternatives:
        print("### Alternatives (validation split; nDCG@10 known / new over 5 user folds)\n")
        print("| variant | known | new (5 folds) | unrated share (known) |\n|---|---|---|---|")
        for name, hp in ALTERNATIVES.items():
            r = evaluate_all(lambda tr, hp=hp: fit_hybrid(tr, blocks, hp, SEED), val, n)  # type: ignore[misc]
            print(f"| {name} | {r['known']['ndcg@10']:.4f} | {r['new_cv_ndcg']:.4f} | {r['known']['unrated_share']:.4f} |")
        print()
    for split_name, split in (("validation split (tuning)", val), ("test: the issue's split", test)):
        results = {}
        for name, fit in models(blocks, n).items():
            t = time.perf_counter()
            results[name] = evaluate_all(fit, split, n)
            print(f"  {name}: {time.perf_counter() - t:.1f} s", flush=True)
        print()
        print(table(results, split_name))
        print()
        print(verdict(results))
        print()


if __name__ == "__main__":
    main()
