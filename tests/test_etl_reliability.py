"""Issue 16 for the ETL: one writer per lake (the lease), a shrinking file refused, one-line errors with advice that
works, overlapping areas refused, and nothing left behind by killed runs."""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from pathlib import Path

import pytest

from etl_job import pipeline
from etl_job.__main__ import main
from etl_job.pipeline import EtlRun, clean_stale, run_etl
from etl_job.progress import Progress
from etl_job.publish import Publish
from reelrec import layout
from reelrec.lease import LeaseHeld, acquire
from reelrec.storage import StoreError, open_store
from tests.rawfiles import ratings_csv, titles_csv, write
from tests.test_pipeline import TS, by_key, etl, snapshot


@pytest.fixture
def raw(tmp_path) -> Path:
    folder = tmp_path / "raw"
    write(folder, "titles/netflix_titles.csv", titles_csv(*({"title": f"Film {i}"} for i in range(100))))
    write(folder, "titles/hulu_titles.csv", titles_csv({"title": "Three"}))
    write(folder, "ratings/1.csv", ratings_csv(*((u, "4.0", TS, f"ns{1 + u % 100}") for u in range(200))))
    write(folder, "ratings/3.csv", ratings_csv((7, "3.0", TS, "hs1")))
    return folder


def test_a_second_run_is_refused_while_one_holds_the_lake_and_writes_nothing(raw, tmp_path, caplog):
    lake = tmp_path / "lake"
    etl(raw, lake)
    before = snapshot(lake)
    other = acquire(open_store(lake), "etl run")
    write(raw, "ratings/4.csv", ratings_csv((9, "2.0", TS, "ns2")))
    assert main(["--raw", str(raw), "--lake", str(lake)]) == 3
    err = caplog.messages[-1]
    assert err.startswith(f"etl: error: {lake} is in use: etl run on ") and f"pid {os.getpid()}" in err
    assert f"since {other._body() and json.loads(other._body())['since']}" in err
    assert snapshot(lake) == before  # not even a manifest
    other.release()
    assert main(["--raw", str(raw), "--lake", str(lake)]) == 0


def test_the_issue_repro_a_paused_run_cannot_lose_track_of_the_lake(raw, tmp_path, monkeypatch):
    """Pause an incremental run before its first lake write, run --full with ratings/3.csv deleted: the full run is
    refused (busy); the paused run finishes, and later runs keep working."""
    lake = tmp_path / "lake"
    etl(raw, lake)
    write(raw, "ratings/5.csv", ratings_csv((8, "5.0", TS, "ns3")))
    paused, release = threading.Event(), threading.Event()
    real_check = Publish.check

    def pause(self, lease, tag):
        paused.set()
        release.wait(10)
        return real_check(self, lease, tag)

    monkeypatch.setattr(Publish, "check", pause)
    result: dict = {}
    first = threading.Thread(target=lambda: result.update(etl(raw, lake)))
    first.start()
    assert paused.wait(10)
    (raw / "ratings/3.csv").unlink()
    with pytest.raises(LeaseHeld, match="is in use"):
        run_etl(open_store(raw), open_store(lake), full=True, progress=Progress(every=0))
    release.set()
    first.join(10)
    monkeypatch.setattr(Publish, "check", real_check)
    assert result["status"] == "ok"
    again = etl(raw, lake)  # the deleted file is reported missing, its data kept; nothing is broken
    assert again["status"] == "ok" and by_key(again)["ratings/3.csv"]["status"] == "missing"
    assert etl(raw, lake, full=True)["status"] == "ok"


def test_a_state_that_changed_under_a_run_stops_it_before_it_publishes(raw, tmp_path, monkeypatch):
    lake = tmp_path / "lake"
    etl(raw, lake)
    write(raw, "ratings/5.csv", ratings_csv((8, "5.0", TS, "ns3")))
    run = EtlRun(open_store(raw), open_store(lake), progress=Progress(every=0))
    state = json.loads((lake / layout.LAKE_STATE).read_text())
    (lake / layout.LAKE_STATE).write_text(json.dumps(state, indent=2))  # another writer published meanwhile
    before = snapshot(lake)
    with pytest.raises(StoreError, match="changed while this run worked"):
        run.run()
    assert snapshot(lake) == before


def test_an_expired_lease_is_taken_over_and_the_old_holder_cannot_publish(tmp_path):
    store = open_store(tmp_path / "lake")
    clock = [1000.0]
    old = acquire(store, "etl run", seconds=60, clock=lambda: clock[0])
    with pytest.raises(LeaseHeld):
        acquire(store, "etl run", seconds=60, clock=lambda: clock[0] + 59)
    new = acquire(store, "etl run", seconds=60, clock=lambda: clock[0] + 61)
    assert new.generation == old.generation + 1
    with pytest.raises(StoreError, match="took the area over"):
        old.check()
    old.release()  # not ours any more: the new holder's lease stays
    with pytest.raises(LeaseHeld):
        acquire(store, "etl run", clock=lambda: clock[0] + 62)
    new.release()
    acquire(store, "etl run").release()


@pytest.mark.parametrize("where", ["local", "s3"])
def test_of_runs_that_take_a_lease_together_exactly_one_wins(where, tmp_path, request):
    if where == "s3":
        request.getfixturevalue("aws")
        store = open_store("s3://reelrec-test/lake")
    else:
        store = open_store(tmp_path / "lake")
    for _ in range(10):  # moto without the atomic PUT (conftest) let two win in ~2% of rounds
        results: list = []
        barrier = threading.Barrier(6)

        def take(barrier=barrier, results=results):
            barrier.wait()
            try:
                results.append(acquire(store, "etl run", attempts=1))
            except LeaseHeld as exc:
                results.append(exc)

        threads = [threading.Thread(target=take) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        won = [r for r in results if not isinstance(r, Exception)]
        assert len(won) == 1, results
        won[0].release()


def test_a_truncated_catalog_is_refused_and_the_published_one_kept(raw, tmp_path, caplog):
    lake = tmp_path / "lake"
    etl(raw, lake)
    published = (lake / "titles/netflix.parquet").read_bytes()
    text = (raw / "titles/netflix_titles.csv").read_bytes()
    (raw / "titles/netflix_titles.csv").write_bytes(text[: len(text) * 3 // 10])  # a truncated upload
    assert main(["--raw", str(raw), "--lake", str(lake)]) == 1
    assert "fewer than the 100 published: refused as a likely truncated file" in caplog.text
    manifest = json.loads(sorted((lake / "_manifests").iterdir())[-1].read_text())
    entry = by_key(manifest)["titles/netflix_titles.csv"]
    assert entry["status"] == "failed" and "--allow-shrink" in entry["error"]
    assert (lake / "titles/netflix.parquet").read_bytes() == published
    assert main(["--raw", str(raw), "--lake", str(lake)]) == 1  # refused again until fixed or allowed
    assert main(["--raw", str(raw), "--lake", str(lake), "--allow-shrink"]) == 0
    assert (lake / "titles/netflix.parquet").read_bytes() != published


def test_small_files_and_small_losses_are_not_refused(raw, tmp_path):
    lake = tmp_path / "lake"
    etl(raw, lake)
    write(raw, "ratings/3.csv", ratings_csv(*((u, "3.0", TS, "hs1") for u in range(40))))
    etl(raw, lake)
    write(raw, "ratings/3.csv", ratings_csv((1, "3.0", TS, "hs1")))  # 40 rows -> 1: under the 50 rows of the guard
    write(raw, "ratings/1.csv", ratings_csv(*((u, "4.0", TS, "ns1") for u in range(170))))  # 15% fewer
    m = etl(raw, lake)
    assert by_key(m)["ratings/3.csv"]["status"] == by_key(m)["ratings/1.csv"]["status"] == "processed"


def test_a_ratings_file_that_lost_most_rows_is_refused(raw, tmp_path):
    lake = tmp_path / "lake"
    etl(raw, lake)
    write(raw, "ratings/1.csv", ratings_csv(*((u, "4.0", TS, "ns1") for u in range(20))))
    out = by_key(etl(raw, lake))["ratings/1.csv"]
    assert out["status"] == "failed" and "has 20 rows, 90% fewer than the 200 published" in out["error"]
    assert by_key(etl(raw, lake, allow_shrink=True))["ratings/1.csv"]["status"] == "processed"


@pytest.mark.parametrize("body", [b'{"transform_version": "5", "inp', b"[1, 2]", b'{"inputs": {"x": 3}}',
                                  b'{"inputs": []}', b'{"transform_version": 5, "inputs": {}}'])
def test_a_bad_state_file_names_the_fix_and_the_fix_works(raw, tmp_path, caplog, body):
    lake = tmp_path / "lake"
    etl(raw, lake)
    (lake / layout.LAKE_STATE).write_bytes(body)
    assert main(["--raw", str(raw), "--lake", str(lake)]) == 1
    err = caplog.messages
    assert err[-1].startswith(f"etl: error: {lake}/_state.json is ") and err[-1].endswith(
        "run with --full to rebuild the lake from the raw area")
    assert main(["--raw", str(raw), "--lake", str(lake), "--full"]) == 0  # the advice works
    assert main(["--raw", str(raw), "--lake", str(lake)]) == 0


@pytest.mark.parametrize("key", ["titles/hulu.parquet", "serving/aggregates/1.parquet"])
def test_a_corrupt_lake_object_is_one_line_and_full_rebuilds_it(raw, tmp_path, caplog, key):
    lake = tmp_path / "lake"
    etl(raw, lake)
    (lake / key).write_bytes((lake / key).read_bytes()[:40])
    write(raw, "titles/netflix_titles.csv", titles_csv(*({"title": f"Film {i}"} for i in range(101))))
    assert main(["--raw", str(raw), "--lake", str(lake)]) == 1
    assert "Traceback" not in caplog.text and not any(r.exc_info for r in caplog.records)
    err = caplog.messages[-1]
    assert err.startswith(f"etl: error: {lake}/{key} is unreadable (") and "run with --full" in err
    assert main(["--raw", str(raw), "--lake", str(lake), "--full"]) == 0


@pytest.mark.parametrize("inner", ["raw", "lake"])
def test_overlapping_areas_are_refused_up_front(raw, tmp_path, caplog, inner):
    lake = raw / "lake" if inner == "lake" else tmp_path / "outer"
    raw_area = raw if inner == "lake" else lake / "raw"
    if inner == "raw":
        write(raw_area, "titles/netflix_titles.csv", titles_csv({"title": "One"}))
    assert main(["--raw", str(raw_area), "--lake", str(lake)]) == 1
    assert "overlap: one lies inside the other" in caplog.messages[-1]
    assert not (lake / layout.LAKE_STATE).exists()


def test_overlap_on_s3_prefixes():
    from etl_job.entry import overlap

    s3 = open_store
    assert overlap(s3("s3://b/data"), s3("s3://b/data/lake")) and overlap(s3("s3://b"), s3("s3://b/lake"))
    assert not overlap(s3("s3://b/raw"), s3("s3://b/rawish")) and not overlap(s3("s3://a/x"), s3("s3://b/x"))


def test_killed_runs_leave_nothing_that_outlives_the_next_run(raw, tmp_path):
    lake = tmp_path / "lake"
    etl(raw, lake)
    stale = lake / "titles" / ".tmp-0123-netflix.parquet"
    fresh = lake / "titles" / ".tmp-4567-hulu.parquet"
    stale.write_bytes(b"partial")
    fresh.write_bytes(b"being written")
    old = time.time() - 2 * pipeline.LEASE_SECONDS
    os.utime(stale, (old, old))
    dead = Path(tempfile.gettempdir()) / f"{pipeline.STAGING_PREFIX}999999999-abc"  # no such process
    dead.mkdir(exist_ok=True)
    (dead / "x.parquet").write_bytes(b"x" * 100)
    mine = Path(tempfile.mkdtemp(prefix=f"{pipeline.STAGING_PREFIX}{os.getppid()}-"))  # a live process's
    try:
        etl(raw, lake)
        assert not stale.exists() and fresh.exists() and not dead.exists() and mine.exists()
        assert clean_stale(open_store(lake)) == []
    finally:
        for p in (dead, mine):
            if p.exists():
                import shutil

                shutil.rmtree(p)


def failed_entry(lake: Path, key: str) -> dict:
    manifest = json.loads(sorted((lake / "_manifests").iterdir())[-1].read_text())
    return by_key(manifest)[key]


def test_cr_only_line_ends_are_named_as_such(raw, tmp_path, caplog):
    lake = tmp_path / "lake"
    write(raw, "ratings/5.csv", ratings_csv((9, "2.0", TS, "ns2"), (9, "3.0", TS, "ns3")).replace("\n", "\r"))
    assert main(["--raw", str(raw), "--lake", str(lake)]) == 1
    error = failed_entry(lake, "ratings/5.csv")["error"]
    assert "line ends are CR only" in error and "missing column" not in error
    assert "CR only" in caplog.text


def test_a_folder_named_like_a_csv_fails_instead_of_going_missing(raw, tmp_path, caplog):
    lake = tmp_path / "lake"
    (raw / "ratings/5.csv").mkdir()
    assert main(["--raw", str(raw), "--lake", str(lake)]) == 1
    assert "no regular file 'ratings/5.csv' (a folder)" in failed_entry(lake, "ratings/5.csv")["error"]
    assert "(a folder)" in caplog.text


def test_a_dangling_symlink_is_named_broken_not_an_escape(raw, tmp_path, caplog):
    lake = tmp_path / "lake"
    (raw / "ratings/5.csv").symlink_to(tmp_path / "gone.csv")
    assert main(["--raw", str(raw), "--lake", str(lake)]) == 1
    err = caplog.text
    assert "'ratings/5.csv' is a broken symbolic link" in err and "escapes" not in err
