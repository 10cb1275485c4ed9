"""The training run: load the lake's numpy inputs, evaluate, fit on everything, write a version, gate, promote.

Steps are plain functions so the CLI, the scheduled Lambda and the tests run the same thing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from model_training import personas, registry
from model_training.data import Ratings
from model_training.evaluate import Split, temporal_split
from model_training.evaluation import CANDIDATE, MODES, CatalogSide, evaluate, evaluation_config
from model_training.examples import example_viewers
from model_training.features import build_blocks
from model_training.hybrid import HybridParams, fit_hybrid, params_from_dict, params_to_dict
from model_training.inputs import catalog_from_snapshot, load_ratings, load_snapshot
from model_training.records import Evaluation, TrainingMetrics
from model_training.report import comparison, data_summary, markdown
from reelrec.lease import Lease, held
from reelrec.model_artifact import ModelArtifact, TitleInfo
from reelrec.storage import Store

DEFAULT_MAX_EVAL_USERS = 2000
MIN_RATINGS = 10  # fewer ratings than this cannot train (or evaluate) anything meaningful
log = logging.getLogger("reelrec.training")


class TrainingError(Exception):
    """The run cannot train (no catalog, no ratings): the CLI prints it and exits non-zero."""


@dataclass(frozen=True)
class RunResult:
    """What a run did: the version written, whether it is now served, and why."""

    version: str
    promoted: bool
    reason: str
    current: str | None  # the served version after the run
    metrics: TrainingMetrics
    served_created: dt.datetime | None = None  # when the served version was made (its age is a run metric)


def latest_only(ratings: Ratings) -> tuple[Ratings, int]:
    """One rating per (user, title): the latest (ties: the later row), as ALS training and the API's fold-in see
    it; also how many earlier ones were dropped."""
    if len(ratings) == 0:
        return ratings, 0
    pair = ratings.user_ids.astype(np.int64) * (int(ratings.item_idx.max()) + 1) + ratings.item_idx
    order = np.argsort(pair, kind="stable")
    sorted_pairs = pair[order]
    if not (sorted_pairs[1:] == sorted_pairs[:-1]).any():  # the usual case: nothing repeated
        return Ratings(ratings.user_ids, ratings.item_idx, ratings.scores, ratings.timestamps, True), 0
    order = np.lexsort((np.arange(len(ratings)), ratings.timestamps, pair))
    p = pair[order]
    last = np.ones(len(order), bool)
    last[:-1] = p[1:] != p[:-1]
    keep = np.zeros(len(ratings), bool)
    keep[order[last]] = True
    deduped = ratings.take(keep)
    deduped.unique_pairs = True
    return deduped, int((~last).sum())


def fingerprint(ratings: Ratings, title_ids: np.ndarray) -> str:
    """Hash of the training data (ratings in a canonical order and the catalog's ids): equal data, equal hash.
    Ratings must hold one per (user, title) (``latest_only``), so that pair alone orders them."""
    pair = ratings.user_ids.astype(np.int64) * (int(ratings.item_idx.max(initial=0)) + 1) + ratings.item_idx
    order = np.argsort(pair, kind="stable")
    h = hashlib.blake2b(digest_size=12)
    for array in (ratings.user_ids[order], ratings.item_idx[order], ratings.scores[order], ratings.timestamps[order]):
        h.update(np.ascontiguousarray(array).tobytes())
    h.update(b"\0".join(title_ids.tolist()))
    return h.hexdigest()


def new_version(now: dt.datetime, data_hash: str) -> str:
    """Version names sort by time (the registry relies on that), carry the data hash's start, and end in random
    bits: two runs in the same second on the same data still get different names."""
    return f"{now.strftime('%Y%m%dT%H%M%S')}Z-{data_hash[:6]}-{uuid.uuid4().hex[:6]}"


def run(
    lake: Store,
    models: Store,
    params: HybridParams | None = None,
    seed: int = 0,
    max_eval_users: int = DEFAULT_MAX_EVAL_USERS,
    force: bool = False,
    now: dt.datetime | None = None,
) -> RunResult:
    """Train, evaluate and publish one version; promote it when the gate (or ``force``) allows. Holds the models
    area's lease throughout: a second run raises ``reelrec.lease.LeaseHeld`` without writing anything, and a run
    whose lease expired and was taken over raises ``reelrec.lease.LeaseLost`` before it writes. Progress goes to
    the ``reelrec.training`` logger."""
    with held(models, "training run") as lease:
        return _train(lake, models, lease, params, seed, max_eval_users, force, now)


def _train(lake: Store, models: Store, lease: Lease, params: HybridParams | None, seed: int, max_eval_users: int,
           force: bool, now: dt.datetime | None) -> RunResult:
    """``run`` inside the lease."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # implicit runs its own threads; BLAS must not
    params = params or HybridParams()
    t0 = time.perf_counter()
    timings: dict[str, float] = {}

    def step(name: str, started: float) -> None:
        timings[name] = round(time.perf_counter() - started, 2)

    t = time.perf_counter()
    snap = load_snapshot(lake)
    catalog = catalog_from_snapshot(snap)
    ratings, dropped = load_ratings(lake, catalog)
    ratings, repeated = latest_only(ratings)
    step("load", t)
    rate = len(ratings) / max(timings["load"], 1e-9)
    log.info(f"loaded {len(catalog):,} titles and {len(ratings):,} ratings of {len(np.unique(ratings.user_ids)):,} "
             f"users ({rate / 1e6:.1f} M ratings/s; {dropped:,} ratings of titles no longer in the catalog left out, "
             f"{repeated:,} earlier ratings of a title the user rated again replaced by the latest)")
    if len(ratings) < MIN_RATINGS:
        raise TrainingError(f"{lake.uri}: only {len(ratings)} usable ratings (need at least {MIN_RATINGS}); "
                            "run the ETL on raw ratings first")

    t = time.perf_counter()
    blocks, space = build_blocks(catalog)
    step("features", t)
    log.info(f"content features: {len(space.columns):,} columns over {len(catalog):,} titles, "
             f"{timings['features']:.1f} s")

    t = time.perf_counter()
    split = temporal_split(ratings)
    side = CatalogSide(len(catalog), blocks, work=snap.work, audience=snap.audience)
    scores = evaluate(split, side, params, seed, max_eval_users)
    step("evaluate", t)

    t = time.perf_counter()
    model = fit_hybrid(ratings, blocks, params, seed, work=snap.work, audience=snap.audience)
    step("fit", t)
    log.info(f"fitted the hybrid on all {len(ratings):,} ratings in {timings['fit']:.1f} s "
             f"({len(ratings) / max(timings['fit'], 1e-9) / 1e6:.2f} M ratings/s)")

    data_hash = fingerprint(ratings, snap.ids)
    version = new_version(now or dt.datetime.now(dt.UTC), data_hash)
    evaluation: Evaluation = {"config": evaluation_config(seed, max_eval_users), "data_fingerprint": data_hash,
                              "known": scores["known"], "new": scores["new"]}
    metrics: TrainingMetrics = {
        "version": version,
        "created": (now or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds"),
        "seed": seed,
        "data": data_summary(ratings, len(catalog), snap.version, dropped, data_hash),
        "params": params_to_dict(params),
        "evaluation": evaluation,
        "comparison": comparison(scores),
    }
    seen, seen_tag = registry.current_and_tag(models)
    promote, reason = decide(models, seen, metrics, params, split, side, seed, max_eval_users, force)
    metrics["gate"] = {"promoted": promote, "reason": reason}

    t = time.perf_counter()
    artifact = ModelArtifact(version, model, TitleInfo.from_snapshot(snap),
                             {"catalog_version": snap.version, "params": metrics["params"], "data": metrics["data"],
                              "examples": example_viewers(ratings)})
    metrics["personas"] = personas.evaluate(artifact)
    blob = artifact.to_bytes()
    metrics["artifact_bytes"] = len(blob)
    metrics["timings"] = {**timings, "total": round(time.perf_counter() - t0, 2)}
    lease.check()  # training can outlast a lease; a run that was taken over must not write
    registry.write_version(models, version, blob, metrics, markdown(metrics))
    step("publish", t)
    served = seen
    if promote:
        served = registry.current(models)  # re-read: another run may have promoted meanwhile
        if (served or {}).get("version") != (seen or {}).get("version"):
            promote = False
            reason = (f"not switched: {served['version'] if served else 'nothing'} became current while "
                      "this run trained (the gate compared against an older one)")
            log.warning(reason)
        else:
            switched = registry.promote(models, version, reason, if_tag=seen_tag)
            if switched is None:
                promote, served = False, registry.current(models)
                reason = (f"not switched: the served pointer changed while this run trained (now "
                          f"{served['version'] if served else 'nothing'})")
                log.warning(reason)
            else:
                served = switched
    registry.prune(models, protect=(version,))
    current = served["version"] if served else None
    if current == version:
        served_created = registry.creation_time(metrics, version)
    else:
        served_created = registry.created_at(models, current) if current else None
    return RunResult(version, promote, reason, current, metrics, served_created)


SHRINK_LIMIT = 0.5  # new data with less than half the served version's ratings or users is refused
DROP_LIMIT = 0.25  # as is a hybrid nDCG@10 more than 25% below the served version's own (either mode)


def data_guard(metrics: TrainingMetrics, incumbent: TrainingMetrics) -> str | None:
    """On new data, like-for-like says little when the data itself broke (a bad ETL run): refuse when it shrank
    by half or the hybrid's nDCG@10 collapsed against the served version's own report; None when it looks sane."""
    new_data = metrics["data"]
    old_sizes: Mapping[str, object] = incumbent.get("data") or {}
    for what, size in (("ratings", new_data["ratings"]), ("users", new_data["users"])):
        old = old_sizes.get(what)
        if isinstance(old, int) and size < SHRINK_LIMIT * old:
            return f"the training data shrank: {size:,} {what} vs {old:,} for the served version"
    for mode in MODES:
        try:
            old_ndcg = float(incumbent["evaluation"][mode][CANDIDATE]["ndcg@10"])
        except (KeyError, TypeError, ValueError):
            continue
        new = metrics["evaluation"][mode][CANDIDATE]["ndcg@10"]
        if new < (1 - DROP_LIMIT) * old_ndcg:
            return (f"{mode} users' nDCG@10 fell from {old_ndcg:.4f} (served version, its data) to {new:.4f} on "
                    "this data")
    return None


def decide(
    models: Store,
    pointer: Mapping[str, Any] | None,
    metrics: TrainingMetrics,
    params: HybridParams,
    split: Split,
    catalog: CatalogSide,
    seed: int,
    max_eval_users: int,
    force: bool,
) -> tuple[bool, str]:
    """The promotion gate on a like-for-like evaluation against ``pointer``, the version served when it was read.

    The served version's report counts only when it was made on the same data and evaluation; otherwise the
    served version's parameters are evaluated on this run's split (when they equal this run's, that evaluation
    is this run's own, so nothing is refitted), after ``data_guard`` checked the new data against the old."""
    if force:
        return True, "forced (--force)"
    if pointer is None:
        return registry.gate(metrics, None)
    incumbent = registry.metrics_of(models, pointer["version"])
    if incumbent is None:
        return True, f"the served version {pointer['version']} has no readable metrics report"
    old_eval = incumbent.get("evaluation")
    same_eval = (old_eval is not None
                 and old_eval.get("data_fingerprint") == metrics["evaluation"]["data_fingerprint"]
                 and old_eval.get("config") == metrics["evaluation"]["config"])
    reference: Mapping[str, Any] = incumbent
    if not same_eval:
        problem = data_guard(metrics, incumbent)
        if problem:
            return False, f"{problem}; --force accepts it (served: {pointer['version']})"
        try:
            old_params = params_from_dict(incumbent.get("params", {}))
        except ValueError as exc:
            return True, f"the served version {pointer['version']} cannot be re-evaluated ({exc})"
        if old_params == params:
            reference = {"evaluation": metrics["evaluation"]}
        else:
            log.info(f"re-evaluating the served version {pointer['version']}'s parameters on this data")
            reference = {"evaluation": evaluate(split, catalog, old_params, seed, max_eval_users,
                                                models=(CANDIDATE,))}
    ok, reason = registry.gate(metrics, reference)
    return ok, f"{reason} (served: {pointer['version']})"
