"""The per-viewer history store (issue 14): its two backends, the ETL keeping it fresh, and the fold-in that lets
the API serve known viewers from it with the factors training gave them."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from datagen import generate
from etl_job.pipeline import run_etl
from etl_job.progress import Progress
from model_training.als import fit_als
from model_training.features import build_blocks
from model_training.hybrid import HybridParams, fit_hybrid
from model_training.inputs import catalog_from_snapshot, load_ratings, load_snapshot
from model_training.job import latest_only
from reelrec import histories as hs
from reelrec import layout
from reelrec.histories import (
    DynamoHistories,
    History,
    HistoryStoreError,
    SqliteHistories,
    decode,
    encode,
    opened,
)
from reelrec.storage import open_store


def history(n: int, seed: int = 0) -> History:
    rng = np.random.default_rng(seed)
    ids = np.array([f"ns{i}".encode() for i in rng.choice(5000, n, replace=False)], "S")
    return History(ids, rng.integers(1, 11, n).astype(np.float32) / 2, np.sort(rng.integers(0, 2**33, n)))


def same(a: History | None, b: History | None) -> bool:
    if a is None or b is None:
        return a is b
    return (a.title_ids.tolist() == b.title_ids.tolist() and np.array_equal(a.scores, b.scores)
            and np.array_equal(a.timestamps, b.timestamps))


# -- the stored form -----------------------------------------------------------------------------------
def test_a_history_round_trips_compactly_and_garbage_is_refused():
    h = history(500)
    blob = encode(h)
    assert same(decode(blob), h)
    assert len(blob) < 500 * 20, "about 19 bytes per rating"
    assert same(decode(encode(History(np.zeros(0, "S1"), np.zeros(0, np.float32), np.zeros(0, np.int64)))),
                History(np.zeros(0, "S1"), np.zeros(0, np.float32), np.zeros(0, np.int64)))
    for bad in (b"", b"RH1", blob[:-1], b"XX" + blob[2:]):
        with pytest.raises(ValueError, match="not a stored history"):
            decode(bad)


# -- SQLite ------------------------------------------------------------------------------------------------
def test_sqlite_store_puts_replaces_removes_and_says_when_it_is_missing(tmp_path):
    with pytest.raises(HistoryStoreError, match="run the ETL"):
        hs.open_histories(str(tmp_path / "nowhere"))
    with pytest.raises(HistoryStoreError, match="dynamodb://"):
        hs.open_histories("s3://bucket/users")
    with opened(str(tmp_path / "users"), create=True) as store:
        assert store.meta() is None and store.get(1) is None
        assert store.put_many([(1, history(10, 1)), (2, history(3, 2))]) == 2
        assert same(store.get(1), history(10, 1)) and same(store.get(2), history(3, 2))
        store.put_many([(1, history(4, 5)), (2, None)])
        assert same(store.get(1), history(4, 5)) and store.get(2) is None
        store.set_meta({"lake": "x"})
        assert store.meta() == {"lake": "x"} and store.user_ids().tolist() == [1]
    with opened(str(tmp_path / "users")) as reader:  # a reader opens what the writer made
        assert same(reader.get(1), history(4, 5))


# -- DynamoDB (moto) ---------------------------------------------------------------------------------------
@pytest.fixture
def table(aws):
    import boto3

    ddb = boto3.client("dynamodb")
    hs.create_table(ddb, "histories")
    return ddb


def items_of(ddb, user_id: int) -> list[dict]:
    return ddb.query(TableName="histories", KeyConditionExpression="user_id = :u",
                     ExpressionAttributeValues={":u": {"N": str(user_id)}})["Items"]


def test_dynamodb_store_pages_a_heavy_viewer_and_replaces_it_whole(table, monkeypatch):
    monkeypatch.setattr(hs, "PAGE", 100)
    store = hs.open_histories("dynamodb://histories")
    assert isinstance(store, DynamoHistories) and store.get(7) is None and store.meta() is None
    heavy, light = history(250, 1), history(40, 2)
    assert store.put_many([(7, heavy), (8, light)]) == 2
    assert same(store.get(7), heavy) and same(store.get(8), light)
    assert len(items_of(table, 7)) == 3 and len(items_of(table, 8)) == 1
    assert all(len(i["data"]["B"]) < 400_000 for i in items_of(table, 7))
    heavier = history(330, 3)
    store.put_many([(7, heavier)])
    assert same(store.get(7), heavier) and len(items_of(table, 7)) == 4, "the old generation's pages are gone"
    store.put_many([(7, None), (8, history(5, 4))])
    assert store.get(7) is None and items_of(table, 7) == [] and same(store.get(8), history(5, 4))
    store.set_meta({"lake": "s3://x/lake"})
    assert store.meta() == {"lake": "s3://x/lake"}


def test_a_dynamodb_reader_never_sees_half_a_viewer(table, monkeypatch):
    """A writer stopped after writing the new pages but before the head that names them: readers still get the
    whole old history; the next write of the viewer completes the switch."""
    monkeypatch.setattr(hs, "PAGE", 100)
    store = hs.open_histories("dynamodb://histories")
    old, new = history(250, 1), history(260, 2)
    store.put_many([(7, old)])
    real = store._call

    def stop_at_head(name, **kwargs):
        if name == "put_item" and kwargs["Item"]["part"]["N"] == "0":
            raise HistoryStoreError("killed")
        return real(name, **kwargs)

    monkeypatch.setattr(store, "_call", stop_at_head)
    with pytest.raises(HistoryStoreError):
        store.put_many([(7, new)])
    monkeypatch.setattr(store, "_call", real)
    assert same(store.get(7), old)
    store.put_many([(7, new)])
    assert same(store.get(7), new)


def test_dynamodb_errors_name_the_table(aws):
    store = hs.open_histories("dynamodb://no-such-table")
    with pytest.raises(HistoryStoreError, match="dynamodb://no-such-table"):
        store.get(1)
    with pytest.raises(HistoryStoreError, match="table name"):
        hs.open_histories("dynamodb://")


# -- the ETL keeps it fresh --------------------------------------------------------------------------------
def add_ratings(raw, name: str, rows: list[tuple[int, float, int, str]]) -> None:
    """A new raw ratings file in the course's format ``userId,rating,timestamp,movieId``."""
    lines = ["userId,rating,timestamp,movieId"] + [f"{u},{r},{t},{m}" for u, r, t, m in rows]
    (raw / "ratings" / name).write_text("\n".join(lines) + "\n")


@pytest.fixture
def etl_areas(tmp_path):
    generate(str(tmp_path / "raw"), "tiny", seed=5)
    return tmp_path / "raw", open_store(tmp_path / "lake"), str(tmp_path / "users")


def run(raw, lake, users_uri: str) -> dict:
    with opened(users_uri, create=True) as users:
        return run_etl(open_store(raw), lake, progress=Progress(), users=users)


def test_the_etl_builds_the_store_then_touches_only_the_viewers_of_new_ratings(etl_areas):
    raw, lake, users_uri = etl_areas
    first = run(raw, lake, users_uri)
    assert first["histories"]["mode"] == "full" and first["histories"]["viewers"] > 0
    snap = load_snapshot(lake)
    ratings, _ = latest_only(load_ratings(lake, catalog_from_snapshot(snap))[0])
    with opened(users_uri) as store:  # every viewer's history is what training sees of them, oldest first
        viewers = store.user_ids()
        assert viewers.tolist() == np.unique(ratings.user_ids).tolist()
        for uid in viewers[:20]:
            h = store.get(int(uid))
            mine = ratings.user_ids == uid
            want = dict(zip(snap.ids[ratings.item_idx[mine]].tolist(), ratings.scores[mine].tolist(), strict=True))
            assert dict(zip(h.title_ids.tolist(), h.scores.tolist(), strict=True)) == want
            assert (np.diff(h.timestamps) >= 0).all()
        before = {int(u): store.get(int(u)) for u in viewers}
    again = run(raw, lake, users_uri)
    assert again["histories"] == {"store": users_uri, "mode": "unchanged", "viewers": 0, "seconds": 0.0}

    uid, other = int(viewers[0]), int(viewers[1])
    known = before[uid].title_ids.tolist()
    fresh = next(t for t in snap.ids if t not in known)  # a title this viewer never rated
    add_ratings(raw, "3.csv", [(uid, 4.5, 1_780_000_000, fresh.decode()), (uid, 1.0, 1_780_000_001, known[0].decode())])
    third = run(raw, lake, users_uri)
    assert third["histories"]["mode"] == "incremental" and third["histories"]["viewers"] == 1
    with opened(users_uri) as store:
        h = store.get(uid)
        assert h.title_ids[-2:].tolist() == [fresh, known[0]] and h.scores[-2:].tolist() == [4.5, 1.0]
        assert len(h) == len(before[uid]) + 1, "a re-rated title keeps its latest score only"
        assert same(store.get(other), before[other]), "a viewer the run did not touch is as it was"
    assert not lake.list(layout.HISTORIES_PENDING)


def test_an_interrupted_update_is_finished_by_the_next_run(etl_areas, monkeypatch):
    raw, lake, users_uri = etl_areas
    run(raw, lake, users_uri)
    with opened(users_uri) as store:
        uid = int(store.user_ids()[0])
        old = store.get(uid)
    fresh = next(t for t in load_snapshot(lake).ids if t not in old.title_ids.tolist())
    add_ratings(raw, "3.csv", [(uid, 5.0, 1_780_000_000, fresh.decode())])

    def broken(self, histories):
        raise HistoryStoreError("history store: disk full")

    with monkeypatch.context() as mp:
        mp.setattr(SqliteHistories, "put_many", broken)
        failed = run(raw, lake, users_uri)
    assert failed["status"] == "failed" and "disk full" in failed["histories"]["error"]
    assert "next run" in failed["histories"]["error"]
    assert json.loads(lake.read_bytes(layout.manifest_key(failed["run_id"])))["histories"] == failed["histories"]
    assert len(lake.list(layout.HISTORIES_PENDING)) == 1
    with opened(users_uri) as store:
        assert same(store.get(uid), old)
    finished = run(raw, lake, users_uri)  # nothing new in the raw area: only the pending viewers
    assert finished["totals"]["processed"] == 0 and finished["histories"]["mode"] == "incremental"
    assert finished["histories"]["viewers"] == 1 and not lake.list(layout.HISTORIES_PENDING)
    with opened(users_uri) as store:
        assert store.get(uid).title_ids[-1] == fresh


def test_a_dropped_ratings_file_leaves_its_viewers_histories(etl_areas):
    raw, lake, users_uri = etl_areas
    run(raw, lake, users_uri)
    add_ratings(raw, "3.csv", [(987_654, 4.0, 1_780_000_000, load_snapshot(lake).ids[0].decode())])
    run(raw, lake, users_uri)
    with opened(users_uri) as store:
        assert store.get(987_654) is not None
    (raw / "ratings" / "3.csv").unlink()
    with opened(users_uri, create=True) as users:
        manifest = run_etl(open_store(raw), lake, full=True, progress=Progress(), users=users)
    assert manifest["histories"]["mode"] == "incremental"
    with opened(users_uri) as store:
        assert store.get(987_654) is None, "a viewer whose only ratings left the lake has no history"


def test_the_etl_keeps_a_dynamodb_store(table, etl_areas):
    raw, lake, users_uri = etl_areas
    run(raw, lake, users_uri)
    manifest = run_etl(open_store(raw), lake, progress=Progress(), users=hs.open_histories("dynamodb://histories"))
    assert manifest["histories"]["mode"] == "full"
    dynamo = hs.open_histories("dynamodb://histories")
    with opened(users_uri) as local:
        for uid in local.user_ids()[:10]:
            assert same(dynamo.get(int(uid)), local.get(int(uid)))


# -- fold-in: a known viewer from the store gets what training gave them ------------------------------------
def test_folding_in_a_training_viewer_gives_their_training_factors_and_top_k(etl_areas):
    raw, lake, users_uri = etl_areas
    run(raw, lake, users_uri)
    snap = load_snapshot(lake)
    catalog = catalog_from_snapshot(snap)
    ratings, _ = latest_only(load_ratings(lake, catalog)[0])
    blocks, _ = build_blocks(catalog)
    params = HybridParams()
    als = fit_als(ratings, len(catalog), params.als, seed=0)
    model = fit_hybrid(ratings, blocks, params, 0, als=als, work=snap.work, audience=snap.audience)
    with opened(users_uri) as store:
        for row, uid in enumerate(als.user_ids):
            h = store.get(int(uid))
            items = snap.ids.searchsorted(h.title_ids)
            x = model.fold_in([(items, h.scores)])[0]
            trained = als.user_factors[row]
            assert np.allclose(x, trained, rtol=1e-3, atol=1e-4 * float(np.abs(trained).max())), uid
            got = model.rank(model.score_user(x, items, h.scores)[0], 10, exclude=items)
            want = model.rank(model.score_user(trained, items, h.scores)[0], 10, exclude=items)
            assert got.tolist() == want.tolist(), uid


def test_the_artifact_holds_nothing_per_viewer(api_models):
    """Every array of the served model is sized by the catalog (titles, features, factors), none by viewers."""
    from model_training import registry
    from reelrec.model_artifact import ModelArtifact

    store = open_store(api_models)
    art = ModelArtifact.from_bytes(store.read_bytes(registry.current(store)["key"]))
    viewers = art.info["data"]["users"]
    for f in dataclasses.fields(art.model):
        value = getattr(art.model, f.name)
        if isinstance(value, np.ndarray):
            assert viewers not in value.shape, (f.name, value.shape)
    assert 0 < len(art.info["examples"]) <= 200


# -- the route: fresh ratings count before the next training -------------------------------------------------
def test_a_known_viewer_answer_follows_a_rating_landed_after_training(etl_areas, tmp_path, monkeypatch):
    from model_training.job import run as train
    from tests.api_reference import api_client, get

    raw, lake, users_uri = etl_areas
    run(raw, lake, users_uri)
    train(lake, open_store(tmp_path / "models"), max_eval_users=50)
    with opened(users_uri) as store:
        uid = int(store.user_ids()[0])
        old = store.get(uid)
    with api_client(monkeypatch, lake.uri, models=tmp_path / "models", users=users_uri) as c:
        status, before = get(c, f"/users/{uid}/recommendations", k=5)
        assert status == 200 and before["based_on"]["ratings"] == len(old) and before["based_on"]["skipped"] == 0
        pick = before["items"][0]["id"]
        add_ratings(raw, "3.csv", [(uid, 5.0, 1_780_000_000, pick)])
        run(raw, lake, users_uri)  # the ETL lands it; no training in between
        status, after = get(c, f"/users/{uid}/recommendations", k=5)
        assert status == 200 and after["based_on"]["ratings"] == len(old) + 1
        assert pick not in [i["id"] for i in after["items"]], "a title just rated is not recommended"
        assert after["based_on"]["top"][0]["id"] == pick, "the latest 5-star rating leads what the list is based on"
        with opened(users_uri) as store:  # a title newer than the model (the store may name any id)
            h = store.get(uid)
            store.put_many([(uid, History(np.r_[h.title_ids, [b"ns99999999"]], np.r_[h.scores, np.float32(4)],
                                          np.r_[h.timestamps, 1_780_000_100]))])
        status, newer = get(c, f"/users/{uid}/recommendations", k=5)
        assert status == 200 and newer["based_on"]["ratings"] == len(old) + 1 and newer["based_on"]["skipped"] == 1
        assert "newer than model" in newer["based_on"]["skipped_reason"]
        assert newer["items"] == after["items"]


def test_the_cli_keeps_the_store_and_refuses_one_it_cannot_open(etl_areas, capsys):
    from etl_job.__main__ import main

    raw, lake, users_uri = etl_areas
    assert main(["--raw", str(raw), "--lake", lake.uri, "--users", users_uri]) == 0
    said = capsys.readouterr()
    assert "histories full:" in said.err + said.out
    with opened(users_uri) as store:
        assert store.meta()["lake"] == lake.uri
    assert main(["--raw", str(raw), "--lake", lake.uri, "--users", "s3://bucket/users"]) == 1
    err = capsys.readouterr()
    assert "dynamodb://" in err.err + err.out and "Traceback" not in err.err + err.out


def test_gathering_in_buckets_gives_the_same_histories(etl_areas, monkeypatch):
    from etl_job import histories as gather

    raw, lake, users_uri = etl_areas
    run(raw, lake, users_uri)
    parts = sorted(i.key for i in lake.list(layout.TRAINING_RATINGS) if i.key.endswith(".npz"))
    whole = dict(gather.histories(lake, parts, None))
    monkeypatch.setattr(gather, "BUCKET_ROWS", 100)  # ~30 buckets for the tiny preset's ratings
    bucketed = dict(gather.histories(lake, parts, None))
    assert whole.keys() == bucketed.keys() and len(whole) > 10
    assert all(same(whole[u], bucketed[u]) for u in whole)
