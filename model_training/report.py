"""A version's report: the comparison of the hybrid with the best baseline, the data summary and the markdown.

Formatting only: the evaluation itself runs in ``evaluation.py`` (where the compared models are registered).
"""

from __future__ import annotations

import numpy as np

from model_training import personas
from model_training.data import Ratings
from model_training.evaluate import HISTORY_SHARE, NEW_USER_SHARE, TARGET_MIN_SCORE
from model_training.evaluation import BASELINES, CANDIDATE, MODES
from model_training.records import Comparison, DataSummary, Scores, TrainingMetrics

__all__ = ["TARGET_GAIN", "comparison", "data_summary", "markdown"]

TARGET_GAIN = 0.10  # the target: hybrid >= best baseline * 1.10 on nDCG@10 in both modes


def comparison(scores: Scores) -> dict[str, Comparison]:
    """Per mode: the best baseline on nDCG@10, the hybrid's relative gain over it, and whether the target is met."""
    out: dict[str, Comparison] = {}
    for mode in MODES:
        results = scores[mode]
        best = max(BASELINES, key=lambda name: results[name]["ndcg@10"])
        base, hyb = results[best]["ndcg@10"], results[CANDIDATE]["ndcg@10"]
        gain = hyb / base - 1 if base > 0 else (0.0 if hyb == 0 else float("inf"))
        out[mode] = {"best_baseline": best, "gain": gain, "target_gain": TARGET_GAIN, "target_met": gain >= TARGET_GAIN}
    return out


def markdown(metrics: TrainingMetrics) -> str:
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
    names = dict.fromkeys(name for mode in MODES for name in ev[mode])  # the evaluation's order
    for name in names:
        for mode in MODES:
            if name not in ev[mode]:
                continue
            m = ev[mode][name]
            lines.append(f"| {name} | {mode} | {int(m['users']):,} | {m['recall@10']:.4f} | {m['ndcg@10']:.4f} | "
                         f"{m['coverage']:.4f} | {m['unrated_share']:.4f} |")
    lines += ["", "## Hybrid against the best baseline (nDCG@10)"]
    for mode_name, c in metrics["comparison"].items():
        lines.append(f"- {mode_name} users: {c['gain']:+.1%} over {c['best_baseline']} "
                     f"(target {c['target_gain']:+.0%}: {'met' if c['target_met'] else 'not met'})")
    if "personas" in metrics:
        lines += personas.markdown(metrics["personas"])
    gate = metrics["gate"]
    lines += ["", "## Promotion", f"- {'promoted' if gate['promoted'] else 'not promoted'}: {gate['reason']}"]
    return "\n".join(lines) + "\n"


def data_summary(ratings: Ratings, n_items: int, catalog_version: str, dropped: int, fingerprint: str) -> DataSummary:
    """Counts describing the training data, and its hash (``job.fingerprint``)."""
    return {
        "catalog_version": catalog_version,
        "titles": int(n_items),
        "rated_titles": int(len(np.unique(ratings.item_idx))),
        "users": int(len(np.unique(ratings.user_ids))),
        "ratings": int(len(ratings)),
        "ratings_of_unknown_titles": int(dropped),
        "fingerprint": fingerprint,
    }
