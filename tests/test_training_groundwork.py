"""Issue 4 groundwork: the pieces the training job will stand on (fold-in, split, metrics, registry)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import scipy.sparse as sp

from model_training import registry
from model_training.data import Ratings
from model_training.evaluate import ranking_metrics, temporal_split, top_k
from reelrec import layout
from reelrec.foldin import fold_in, gram
from reelrec.storage import StoreError, open_store


def test_numpy_fold_in_equals_implicits_recalculate_user():
    """The API folds new users in with numpy only: it must give what implicit itself gives."""
    from implicit.als import AlternatingLeastSquares
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(0)
    m = sp.random(40, 60, density=0.2, random_state=1, format="csr", dtype=np.float32)
    m.data = rng.uniform(1, 20, m.nnz).astype(np.float32)
    m.data[::7] *= -1  # negative entries: implicit reads them as dislikes
    with threadpool_limits(1, "blas"):  # as the job fits: implicit warns (and crawls) with a BLAS thread pool
        model = AlternatingLeastSquares(factors=8, regularization=0.7, iterations=4, alpha=1.0, random_state=0,
                                        use_gpu=False)
        model.fit(m, show_progress=False)
    yty = gram(model.item_factors)
    for user in range(5):
        row = m[user]
        expected = np.asarray(model.recalculate_user(user, row)).ravel()
        got = fold_in(model.item_factors, yty, row.indices, row.data, 0.7)
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)
    assert not fold_in(model.item_factors, yty, np.array([], np.int64), np.array([]), 0.7).any()


def test_temporal_split_keeps_the_first_70_percent_and_later_good_ratings():
    # user 1: ten ratings in time order; user 2: three ratings, the later ones below 4
    users = np.array([1] * 10 + [2] * 3, np.int64)
    items = np.array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2], np.int32)
    scores = np.array([5, 5, 5, 5, 5, 5, 5, 4.5, 3.5, 4, 5, 3, 2], np.float32)
    ts = np.array([10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 1, 2, 3], np.int64)  # user 1's items arrive in reverse
    split = temporal_split(Ratings(users, items, scores, ts))
    hist_1 = sorted(split.history.item_idx[split.history.user_ids == 1].tolist())
    assert hist_1 == [3, 4, 5, 6, 7, 8, 9]  # the 7 earliest: timestamps 1..7
    assert split.target_users.tolist() == [1]  # user 2 has no later rating >= 4
    assert split.targets[0].tolist() == [0, 1, 2]  # items 0-2 came last, all >= 4


def test_ranking_metrics_on_a_hand_example():
    recs = np.array([[5, 3, 9, 1, 0, 2, 4, 6, 7, 8]])
    recall, ndcg = ranking_metrics(recs, [np.array([3, 42])])
    assert recall[0] == 0.5  # one hit of min(10, 2) possible
    assert math.isclose(ndcg[0], (1 / math.log2(3)) / (1 + 1 / math.log2(3)))
    # top_k excludes the history and breaks ties by the lower index
    scores = np.array([[0.1, 0.9, 0.9, 0.5, 0.9]])
    assert top_k(scores, [np.array([1])], k=3).tolist() == [[2, 4, 3]]


def report(known: float, new: float) -> dict:
    return {"evaluation": {"known": {"hybrid": {"ndcg@10": known}}, "new": {"hybrid": {"ndcg@10": new}}}}


def test_gate_promotes_only_what_is_not_worse():
    assert registry.gate(report(0.1, 0.1), None)[0]
    assert registry.gate(report(0.2, 0.15), report(0.2, 0.15))[0]
    ok, why = registry.gate(report(0.21, 0.14), report(0.2, 0.15))
    assert not ok and "new users ndcg@10 0.1400 < 0.1500" in why


def test_versions_pointer_pruning_and_rollback(tmp_path):
    models = open_store(tmp_path / "models")
    names = [f"2026112{i}T000000Z-v" for i in range(7)]
    for name in names:
        registry.write_version(models, name, b"npz", report(0.1, 0.1), "# report")
    registry.promote(models, names[1], "chosen by hand")  # an old one is current: it must survive pruning
    registry.prune(models)
    kept = registry.versions(models)
    assert kept == [names[1], *names[-registry.KEEP_VERSIONS:]]  # the newest five, and the older current one
    assert registry.current(models)["key"] == layout.model_key(names[1], "model.npz")
    assert json.loads(models.read_bytes(layout.model_key(names[-1], "metrics.json"))) == report(0.1, 0.1)
    registry.rollback(models, names[-1])
    assert registry.current(models)["version"] == names[-1]
    with pytest.raises(StoreError, match="no stored model version"):
        registry.rollback(models, "nope")


def test_pruning_never_empties_the_store(tmp_path):
    models = open_store(tmp_path / "models")
    for name in ("v1", "v2"):
        registry.write_version(models, name, b"npz", report(0.1, 0.1), "# report")
    assert registry.prune(models, keep=0) == ["v1"] and registry.versions(models) == ["v2"]


def test_refused_runs_never_push_out_the_last_promoted_versions(tmp_path):
    models = open_store(tmp_path / "models")
    good = [f"2026110{i}T000000Z-good" for i in range(1, 4)]
    for name in good:
        registry.write_version(models, name, b"npz", {**report(0.2, 0.2), "gate": {"promoted": True}}, "# ok")
    registry.promote(models, good[-1], "by the gate")
    refused = [f"2026112{i}T000000Z-bad" for i in range(7)]
    for name in refused:
        registry.write_version(models, name, b"npz", {**report(0.1, 0.1), "gate": {"promoted": False}}, "# no")
        registry.prune(models, protect=(name,))
    # the served one and the one before it (for a rollback) survive seven refused runs; the oldest good one goes
    assert registry.versions(models) == [*good[1:], *refused[-registry.KEEP_VERSIONS:]]


@pytest.fixture
def generated_lake(api_lake):
    """The session's generated lake (tests/conftest.py): built once by the real ETL."""
    return api_lake


def test_numpy_inputs_equal_what_the_lake_holds(generated_lake):
    """The job reads the ETL's numpy exports; they must hold exactly the lake's titles and ratings."""
    from model_training import inputs, lakeio

    catalog, version = inputs.load_catalog(open_store(generated_lake))
    reference = lakeio.load_catalog(str(generated_lake))
    assert version and list(catalog.ids) == list(reference.ids) and list(catalog.titles) == list(reference.titles)
    assert (catalog.release_year == reference.release_year).all()
    for name in ("listed_in", "cast", "director", "country", "type", "rating", "description"):
        assert list(catalog.text[name]) == list(reference.text[name]), name
    ratings, dropped = inputs.load_ratings(open_store(generated_lake), catalog)
    want = lakeio.load_ratings(str(generated_lake), reference)
    order = lambda r: np.lexsort((r.timestamps, r.item_idx, r.user_ids))  # noqa: E731
    a, b = ratings.take(order(ratings)), want.take(order(want))
    assert dropped == 0 and len(a) == len(b) > 0
    for field in ("user_ids", "item_idx", "scores", "timestamps"):
        assert (getattr(a, field) == getattr(b, field)).all(), field


def test_numpy_inputs_need_no_pyarrow(generated_lake):
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    script = (
        "import sys; from reelrec.storage import open_store; from model_training import inputs\n"
        f"lake = open_store({str(generated_lake)!r})\n"
        "catalog, _ = inputs.load_catalog(lake); ratings, _ = inputs.load_ratings(lake, catalog)\n"
        "print(len(catalog), len(ratings), sorted(m for m in sys.modules if m.split('.')[0] in ('pyarrow', 'pandas')))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=root, timeout=60,
                          env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    n_titles, n_ratings, heavy = done.stdout.split(" ", 2)
    assert int(n_titles) > 0 and int(n_ratings) > 0 and heavy.strip() == "[]"
