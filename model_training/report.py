"""The job's evaluation: the hybrid and its three baselines on the issue's split, in both modes, as JSON + markdown.

One ALS fit per mode serves both the pure-ALS baseline and the hybrid (they use the same ALS settings), so the
evaluation costs two ALS fits, not four.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

import numpy as np
import scipy.sparse as sp

from model_training import personas
from model_training.als import fit_als
from model_training.baselines import (
    CONTENT_CENTER,
    PureAls,
    content_features,
    fit_content_only,
    fit_popularity,
)
from model_training.data import Ratings
from model_training.evaluate import (
    HISTORY_SHARE,
    NEW_USER_SHARE,
    TARGET_MIN_SCORE,
    Split,
    measure,
    measure_rankings,
    mode_data,
    public,
)
from model_training.hybrid import BLEND_BLOCKS, HybridParams, fit_hybrid
from reelrec.foldin import gram

MODES = ("known", "new")
MODELS = ("popularity", "pure ALS", "content-only", "hybrid")
BASELINES = MODELS[:-1]
NO_DISCOVERY = "hybrid without discovery slot"  # the served hybrid's ranking minus its slot for unrated titles
TARGET_GAIN = 0.10  # the target: hybrid >= best baseline * 1.10 on nDCG@10 in both modes
Log = Callable[[str], None]


EVAL_VERSION = 4  # bump when the evaluation or the served ranking changes: older reports are then not comparable


def evaluation_config(seed: int, max_users: int) -> dict:
    """What defines the evaluation (two reports are comparable only when this and the data are equal)."""
    return {"eval_version": EVAL_VERSION, "history_share": HISTORY_SHARE, "target_min_score": TARGET_MIN_SCORE, "new_user_share": NEW_USER_SHARE,
            "k": 10, "seed": seed, "max_users_per_mode": max_users}


def evaluate(
    split: Split,
    n_items: int,
    blocks: dict[str, sp.csr_matrix],
    params: HybridParams,
    seed: int,
    max_users: int,
    log: Log,
    models: tuple[str, ...] = MODELS,
    work: np.ndarray | None = None,
    audience: np.ndarray | None = None,
) -> dict[str, dict[str, dict[str, float]]]:
    """mode -> model -> public metrics (recall@10, ndcg@10, coverage, unrated_share, users); ``work``: the catalog's
    works, so the hybrid is measured ranking one copy per work, as served; ``audience``: the titles' audience codes,
    so a kids history is ranked under the filter it implies, as served."""
    out: dict[str, dict[str, dict[str, float]]] = {}
    content_x = content_features(blocks, BLEND_BLOCKS) if "content-only" in models else None
    for mode in MODES:
        t = time.perf_counter()
        data = mode_data(split, mode, n_items, seed, max_users=max_users)
        als = fit_als(data.train, n_items, params.als, seed) if {"pure ALS", "hybrid"} & set(models) else None
        out[mode] = {}
        for name in models:
            if name == "popularity":
                model: object = fit_popularity(data.train, n_items)
            elif name == "pure ALS":
                model = PureAls(als, params.als, gram(als.item_factors))
            elif name == "content-only":
                model = fit_content_only(data.train, content_x, CONTENT_CENTER)
            else:
                model = fit_hybrid(data.train, blocks, params, seed, als=als, work=work, audience=audience)
            if name == "hybrid" and model.discovery_every:  # type: ignore[attr-defined]
                plain = dataclasses.replace(model, discovery_every=0)  # type: ignore[type-var]
                both = measure_rankings(model, data, {name: model.rank, NO_DISCOVERY: plain.rank})  # type: ignore
                out[mode].update({n: public(m) for n, m in both.items()})
            else:
                out[mode][name] = public(measure(model, data))  # type: ignore[arg-type]
        log(f"evaluated {mode} users: {len(data.users):,} users, trained on {len(data.train):,} ratings, "
            f"{time.perf_counter() - t:.1f} s")
    return out


def comparison(evaluation: dict) -> dict:
    """Per mode: the best baseline on nDCG@10, the hybrid's relative gain over it, and whether the target is met."""
    out = {}
    for mode in MODES:
        results = evaluation[mode]
        best = max(BASELINES, key=lambda name: results[name]["ndcg@10"])
        base, hyb = results[best]["ndcg@10"], results["hybrid"]["ndcg@10"]
        gain = hyb / base - 1 if base > 0 else (0.0 if hyb == 0 else float("inf"))
        out[mode] = {"best_baseline": best, "gain": gain, "target_gain": TARGET_GAIN, "target_met": gain >= TARGET_GAIN}
    return out


def markdown(metrics: dict) -> str:
    """The version's metrics report for people."""
    d, ev = metrics["data"], metrics["evaluation"]
    lines = [
        f"# Model {metrics['version']}",
        "",
        f"Trained on {d['ratings']:,} ratings of {d['users']:,} users; {d['titles']:,} titles "
        f"({d['rated_titles']:,} rated); catalog snapshot {d['catalog_version']}.",
        "",
        "## Evaluation",
        f"Per user: the first {HISTORY_SHARE:.0%} of ratings by time are history, later ratings >= "
        f"{TARGET_MIN_SCORE:g} are targets; the whole catalog minus the history is ranked. Known users are trained "
        f"on their history; new users ({NEW_USER_SHARE:.0%} of users, seeded) are held out and folded in from it. "
        f"At most {ev['config']['max_users_per_mode']:,} users per mode are evaluated (seeded sample).",
        "",
        "| model | mode | users | recall@10 | nDCG@10 | coverage | unrated share |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in (*MODELS, NO_DISCOVERY):
        for mode in MODES:
            if name not in ev[mode]:
                continue
            m = ev[mode][name]
            lines.append(f"| {name} | {mode} | {int(m['users']):,} | {m['recall@10']:.4f} | {m['ndcg@10']:.4f} | "
                         f"{m['coverage']:.4f} | {m['unrated_share']:.4f} |")
    lines += ["", "## Hybrid against the best baseline (nDCG@10)"]
    for mode, c in metrics["comparison"].items():
        lines.append(f"- {mode} users: {c['gain']:+.1%} over {c['best_baseline']} "
                     f"(target {c['target_gain']:+.0%}: {'met' if c['target_met'] else 'not met'})")
    if "personas" in metrics:
        lines += personas.markdown(metrics["personas"])
    gate = metrics["gate"]
    lines += ["", "## Promotion", f"- {'promoted' if gate['promoted'] else 'not promoted'}: {gate['reason']}"]
    return "\n".join(lines) + "\n"


def data_summary(ratings: Ratings, n_items: int, catalog_version: str, dropped: int) -> dict:
    """Counts describing the training data."""
    return {
        "catalog_version": catalog_version,
        "titles": int(n_items),
        "rated_titles": int(len(np.unique(ratings.item_idx))),
        "users": int(len(np.unique(ratings.user_ids))),
        "ratings": int(len(ratings)),
        "ratings_of_unknown_titles": int(dropped),
    }
