"""Whole runs: invariants, idempotency, incremental loads, failures, CLI, and S3 (moto) parity."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from etl_job import load_ratings
from etl_job.__main__ import main
from etl_job.pipeline import run_etl
from etl_job.progress import Progress
from reelrec.catalog_snapshot import CatalogSnapshot
from reelrec.storage import open_store
from tests.rawfiles import ratings_csv, titles_csv, write

ROOT = Path(__file__).resolve().parents[1]
TS = 1_600_000_000


@pytest.fixture
def raw(tmp_path) -> Path:
    folder = tmp_path / "raw"
    write(folder, "titles/netflix_titles.csv", titles_csv({"title": "One"}, {"title": "Two", "rating": "84 min",
                                                                              "duration": ""}))
    write(folder, "titles/hulu_titles.csv", titles_csv({"title": "Three", "cast": ""}, {"type": "Trailer"}))
    write(folder, "ratings/1.csv", ratings_csv((1, "4.0", TS, "ns1"), (1, "9", TS, "ns2"), (2, "3.5", TS, "hs1")))
    write(folder, "ratings/2.csv", ratings_csv((3, "5.0", TS, "ns2"), (3, "2.0", TS, "hs2")))
    return folder


def etl(raw: Path, lake: Path, **kw) -> dict:
    return run_etl(open_store(raw), open_store(lake), progress=Progress(every=0), **kw)


def snapshot(lake: Path) -> dict[str, str]:
    """Checksums of every lake object except run manifests."""
    return {
        p.relative_to(lake).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(lake.rglob("*")) if p.is_file() and not {"_manifests", "_lease"} & set(p.parts)
    }


def by_key(manifest: dict) -> dict[str, dict]:
    return {i["key"]: i for i in manifest["inputs"]}


def test_first_run_writes_the_lake_and_balances_every_input(raw, tmp_path):
    lake = tmp_path / "lake"
    m = etl(raw, lake)
    assert m["status"] == "ok"
    for entry in m["inputs"]:
        assert entry["rows_read"] == entry["rows_written"] + entry["rows_quarantined"], entry
        assert entry["rows_quarantined"] == sum(entry["quarantine"].values())
        assert len(entry["sha256"]) == 64
    got = by_key(m)
    assert got["titles/hulu_titles.csv"]["quarantine"] == {"unknown_type": 1}
    assert got["titles/netflix_titles.csv"]["repairs"]["duration_from_rating"] == 1
    assert got["ratings/1.csv"]["quarantine"] == {"score_out_of_range": 1}
    assert got["ratings/2.csv"]["quarantine"] == {"unknown_title_id": 1}  # hs2 was quarantined as a title
    assert sorted(snapshot(lake)) == [
        "_state.json", "quarantine/ratings/1.parquet", "quarantine/ratings/2.parquet",
        "quarantine/titles/hulu_titles.parquet", "ratings/1.parquet", "ratings/2.parquet",
        "serving/aggregates/1.parquet", "serving/aggregates/2.parquet",
        f"serving/catalog/{m['run_id']}.npz", "serving/catalog/current.json",
        "serving/training/1.npz", "serving/training/2.npz",
        "titles/hulu.parquet", "titles/netflix.parquet",
    ]
    q = pq.read_table(lake / "quarantine/ratings/1.parquet").to_pylist()
    assert q[0]["source"] == "ratings/1.csv" and q[0]["reason"] == "score_out_of_range"
    assert json.loads((lake / "_manifests" / f"{m['run_id']}.json").read_text()) == m


def test_second_run_over_the_same_inputs_changes_nothing(raw, tmp_path):
    lake = tmp_path / "lake"
    etl(raw, lake)
    before = snapshot(lake)
    m = etl(raw, lake)
    assert snapshot(lake) == before
    assert m["totals"]["processed"] == 0 and m["totals"]["unchanged"] == 4


def test_touched_but_identical_file_is_recognised_by_checksum(raw, tmp_path):
    lake = tmp_path / "lake"
    etl(raw, lake)
    before = snapshot(lake)
    os.utime(raw / "ratings/1.csv", ns=(1, 1))
    m = etl(raw, lake)
    assert by_key(m)["ratings/1.csv"]["status"] == "unchanged"
    assert {k: v for k, v in snapshot(lake).items() if k != "_state.json"} == {
        k: v for k, v in before.items() if k != "_state.json"}


def test_new_ratings_file_is_picked_up_without_redoing_old_ones(raw, tmp_path, monkeypatch):
    lake = tmp_path / "lake"
    etl(raw, lake)
    before = snapshot(lake)
    write(raw, "ratings/3.csv", ratings_csv((9, "4.5", TS, "ns1")))
    m = etl(raw, lake)
    status = {k: v["status"] for k, v in by_key(m).items()}
    assert status["ratings/3.csv"] == "processed"
    assert [k for k, s in status.items() if s == "processed"] == ["ratings/3.csv"]
    after = snapshot(lake)
    assert all(after[k] == v for k, v in before.items() if k not in ("_state.json", "serving/catalog/current.json"))
    assert pq.read_table(lake / "ratings/3.parquet").column("user_id").to_pylist() == [9]
    assert json.loads((lake / "serving/catalog/current.json").read_text())["version"] == m["run_id"]


def test_changed_file_replaces_its_outputs_and_drops_a_stale_quarantine(raw, tmp_path):
    lake = tmp_path / "lake"
    etl(raw, lake)
    write(raw, "ratings/1.csv", ratings_csv((1, "4.0", TS, "ns1")))
    m = etl(raw, lake)
    assert by_key(m)["ratings/1.csv"]["status"] == "processed"
    assert pq.read_table(lake / "ratings/1.parquet").num_rows == 1
    assert not (lake / "quarantine/ratings/1.parquet").exists()


def test_same_content_under_another_name_is_not_loaded_twice(raw, tmp_path):
    lake = tmp_path / "lake"
    etl(raw, lake)
    write(raw, "ratings/1-resent.csv", (raw / "ratings/1.csv").read_bytes())
    m = etl(raw, lake)
    entry = by_key(m)["ratings/1-resent.csv"]
    assert entry["status"] == "duplicate" and "ratings/1.csv" in entry["note"]
    assert not (lake / "ratings/1-resent.parquet").exists()
    assert etl(raw, lake)["totals"]["processed"] == 0


def test_a_crash_halfway_leaves_the_published_lake_as_it_was(raw, tmp_path, monkeypatch):
    lake = tmp_path / "lake"
    etl(raw, lake)
    before = snapshot(lake)
    manifests = sorted((lake / "_manifests").iterdir())
    write(raw, "titles/netflix_titles.csv", titles_csv({"title": "Changed"}))
    write(raw, "ratings/3.csv", ratings_csv((9, "4.5", TS, "ns1")))

    def crash(*args, **kwargs):
        raise MemoryError("killed halfway")

    monkeypatch.setattr(load_ratings, "clean_ratings", crash)
    with pytest.raises(MemoryError):
        etl(raw, lake)
    assert snapshot(lake) == before
    assert sorted((lake / "_manifests").iterdir()) == manifests
    monkeypatch.undo()
    m = etl(raw, lake)
    processed = sorted(i["key"] for i in m["inputs"] if i["status"] == "processed")
    # ratings/2.csv had a title id quarantined as unknown; the catalog changed, so it is checked again
    assert m["status"] == "ok" and processed == ["ratings/2.csv", "ratings/3.csv", "titles/netflix_titles.csv"]


def test_bad_files_fail_alone_with_a_message(raw, tmp_path):
    lake = tmp_path / "lake"
    write(raw, "ratings/broken.csv", "userId,rating\n1,2\n")
    write(raw, "ratings/empty.csv", "")
    write(raw, "ratings/notes.txt", "hello")
    write(raw, "titles/peacock_titles.csv", titles_csv({}))
    m = etl(raw, lake)
    got = by_key(m)
    assert m["status"] == "failed"
    assert "missing column(s) timestamp, movieId" in got["ratings/broken.csv"]["error"]
    assert got["ratings/empty.csv"]["error"] == "empty file"
    assert got["ratings/notes.txt"]["error"] == "not a .csv file (the extension must be exactly .csv)"
    assert "unknown platform file name" in got["titles/peacock_titles.csv"]["error"]
    assert got["ratings/1.csv"]["status"] == got["titles/netflix_titles.csv"]["status"] == "processed"
    assert (lake / "ratings/1.parquet").exists()


def test_ratings_wait_while_a_platform_catalog_has_never_loaded(raw, tmp_path):
    lake = tmp_path / "lake"
    write(raw, "titles/hulu_titles.csv", "show_id,type\n")
    m = etl(raw, lake)
    assert {i["status"] for i in m["inputs"] if i["kind"] == "ratings"} == {"deferred"}
    assert "titles/hulu_titles.csv failed" in by_key(m)["ratings/1.csv"]["note"]
    write(raw, "titles/hulu_titles.csv", titles_csv({"title": "Three"}))
    m = etl(raw, lake)
    assert by_key(m)["ratings/1.csv"]["status"] == "processed"


def test_a_bad_new_catalog_keeps_the_published_one(raw, tmp_path):
    lake = tmp_path / "lake"
    etl(raw, lake)
    before = (lake / "titles/hulu.parquet").read_bytes()
    write(raw, "titles/hulu_titles.csv", "show_id,type\n")
    write(raw, "ratings/3.csv", ratings_csv((9, "4.5", TS, "hs1")))
    m = etl(raw, lake)
    assert by_key(m)["titles/hulu_titles.csv"]["status"] == "failed"
    assert by_key(m)["ratings/3.csv"]["rows_written"] == 1
    assert (lake / "titles/hulu.parquet").read_bytes() == before


def test_missing_raw_file_keeps_its_data_unless_full(raw, tmp_path):
    lake = tmp_path / "lake"
    etl(raw, lake)
    (raw / "ratings/2.csv").unlink()
    m = etl(raw, lake)
    assert by_key(m)["ratings/2.csv"]["status"] == "missing"
    assert (lake / "ratings/2.parquet").exists()
    m = etl(raw, lake, full=True)
    assert m["totals"]["processed"] == 3 and "ratings/2.csv" not in by_key(m)
    assert not (lake / "ratings/2.parquet").exists() and not (lake / "quarantine/ratings/2.parquet").exists()


def test_local_and_s3_lakes_have_identical_contents(raw, tmp_path, aws):
    import pyarrow as pa

    local_lake = tmp_path / "lake"
    etl(raw, local_lake)
    for path in raw.rglob("*.csv"):
        aws.upload_file(str(path), "reelrec-test", f"raw/{path.relative_to(raw).as_posix()}")
    m = run_etl(open_store("s3://reelrec-test/raw"), open_store("s3://reelrec-test/lake"), progress=Progress())
    assert m["status"] == "ok" and m["lake"] == "s3://reelrec-test/lake"
    s3 = open_store("s3://reelrec-test/lake")
    varying = ("_manifests/", "_state.json", "serving/catalog/", "_lease/")  # named or stamped by run
    s3_keys = sorted(i.key for i in s3.list() if not i.key.startswith(varying))
    assert s3_keys == sorted(k for k in snapshot(local_lake) if not k.startswith(varying))
    for key in s3_keys:
        if key.endswith(".parquet"):
            assert pq.read_table(pa.BufferReader(s3.read_bytes(key))).equals(pq.read_table(local_lake / key)), key
        else:
            assert s3.read_bytes(key) == (local_lake / key).read_bytes(), key
    s3_snap = CatalogSnapshot.from_bytes(s3.read_bytes(json.loads(s3.read_bytes("serving/catalog/current.json"))["key"]))
    local_snap = CatalogSnapshot.from_bytes(next((local_lake / "serving/catalog").glob("*.npz")).read_bytes())
    assert [s3_snap.record(i) for i in range(len(s3_snap))] == [local_snap.record(i) for i in range(len(local_snap))]
    again = run_etl(open_store("s3://reelrec-test/raw"), open_store("s3://reelrec-test/lake"), progress=Progress())
    assert again["totals"]["processed"] == 0 and again["catalog_snapshot"] is None


def test_cli_exit_codes_and_messages(raw, tmp_path, caplog):
    lake = tmp_path / "lake"
    assert main(["--raw", str(raw), "--lake", str(lake)]) == 0
    assert "ratings/1.csv: 3 rows read, 2 written, 1 quarantined" in caplog.text
    assert caplog.messages[-1].startswith("etl: ok: 4 inputs (4 processed")
    caplog.clear()
    assert main(["--raw", str(tmp_path / "nothing"), "--lake", str(lake)]) == 1
    assert "no raw inputs under" in caplog.text
    caplog.clear()
    write(raw, "ratings/bad.csv", b"\x00\x01binary")
    assert main(["--raw", str(raw), "--lake", str(lake)]) == 1
    (failed,) = [r for r in caplog.records if "FAILED" in r.getMessage()]
    assert failed.getMessage() == "ratings/bad.csv: FAILED: not CSV text (NUL byte at offset 0)"
    assert failed.levelno == logging.WARNING and failed.name == "reelrec.etl"


def test_the_cli_writes_its_lines_bare_on_stderr_and_follows_log_level(raw, tmp_path):
    """The CLI's output is what it was before logging: the message alone, one per line, on stderr; stdout stays
    empty (metrics are only logged at DEBUG outside Lambda); ``LOG_LEVEL=WARNING`` keeps only the problems and
    the summary of a run that failed."""
    env = {k: v for k, v in os.environ.items() if k not in ("LOG_LEVEL", "AWS_LAMBDA_FUNCTION_NAME")}
    env.update(PYTHONPATH=str(ROOT), REELREC_HOME=str(tmp_path / "home"))
    args = [sys.executable, "-m", "etl_job", "--raw", str(raw), "--lake", str(tmp_path / "lake")]
    proc = subprocess.run(args, capture_output=True, text=True, env=env, check=False)
    assert proc.returncode == 0 and proc.stdout == "", proc.stderr
    lines = proc.stderr.splitlines()
    assert lines[0] == f"etl: {raw} -> {tmp_path / 'lake'}, histories -> {tmp_path / 'home' / 'users'}"
    assert any(ln.startswith("ratings/1.csv: 3 rows read, 2 written, 1 quarantined (") for ln in lines)
    assert lines[-1].startswith("etl: ok: 4 inputs (4 processed") and "histories full:" in lines[-1]
    write(raw, "ratings/bad.csv", b"\x00\x01binary")
    proc = subprocess.run(args, capture_output=True, text=True, env={**env, "LOG_LEVEL": "warning"}, check=False)
    assert proc.returncode == 1 and proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert lines[0] == "ratings/bad.csv: FAILED: not CSV text (NUL byte at offset 0)"
    assert len(lines) == 2 and lines[1].startswith("etl: failed: 5 inputs (0 processed, 4 unchanged")


def test_cli_in_a_subprocess_never_shows_a_traceback(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "REELREC_HOME": str(tmp_path / "home")}
    for args in (["--raw", "s3://"], ["--raw", "gs://x/y"], ["--bogus"]):
        proc = subprocess.run([sys.executable, "-m", "etl_job", *args], capture_output=True, text=True, env=env)
        assert proc.returncode != 0
        assert "Traceback" not in proc.stderr and proc.stderr.strip(), proc.stderr


def test_identical_files_arriving_together_load_once(raw, tmp_path):
    write(raw, "ratings/1-copy.csv", (raw / "ratings/1.csv").read_bytes())
    m = etl(raw, tmp_path / "lake")
    statuses = sorted(by_key(m)[k]["status"] for k in ("ratings/1.csv", "ratings/1-copy.csv"))
    assert statuses == ["duplicate", "processed"]
    assert [i["key"] for i in m["inputs"]] == sorted(i["key"] for i in m["inputs"] if i["kind"] == "titles") + sorted(
        i["key"] for i in m["inputs"] if i["kind"] == "ratings")


# -- found in review: each of these once lost rows, published bad data or crashed ------------------


def lake_rows(lake: Path, prefix: str) -> int:
    return sum(pq.read_metadata(p).num_rows for p in sorted((lake / prefix).glob("*.parquet")))


def test_manifest_counts_equal_what_the_lake_holds(raw, tmp_path):
    lake = tmp_path / "lake"
    m = etl(raw, lake)
    for entry in m["inputs"]:
        data = [k for k in entry["outputs"] if k.startswith(("titles/", "ratings/"))]
        assert sum(pq.read_metadata(lake / k).num_rows for k in data) == entry["rows_written"]
        quarantined = [k for k in entry["outputs"] if k.startswith("quarantine/")]
        assert sum(pq.read_metadata(lake / k).num_rows for k in quarantined) == entry["rows_quarantined"]


def test_extensions_must_be_exact_so_lake_names_never_collide(raw, tmp_path):
    write(raw, "ratings/1.CSV", ratings_csv((7, "4.0", TS, "ns1")))
    write(raw, "titles/netflix_titles.CSV", titles_csv({"title": "Other"}))
    m = etl(raw, tmp_path / "lake")
    assert by_key(m)["ratings/1.CSV"]["status"] == by_key(m)["titles/netflix_titles.CSV"]["status"] == "failed"
    assert lake_rows(tmp_path / "lake", "ratings") == by_key(m)["ratings/1.csv"]["rows_written"] + 1


def test_a_header_that_does_not_match_its_rows_fails_and_keeps_the_catalog(raw, tmp_path):
    lake = tmp_path / "lake"
    etl(raw, lake)
    before = (lake / "titles/netflix.parquet").read_bytes()
    text = (raw / "titles/netflix_titles.csv").read_text().splitlines()
    write(raw, "titles/netflix_titles.csv", "\n".join([text[0] + ",extra"] + text[1:]) + "\n")
    m = etl(raw, lake)
    assert by_key(m)["titles/netflix_titles.csv"]["status"] == "failed"
    assert "no usable rows" in by_key(m)["titles/netflix_titles.csv"]["error"]
    assert (lake / "titles/netflix.parquet").read_bytes() == before and m["status"] == "failed"


def test_a_mostly_rejected_ratings_file_fails_instead_of_filling_the_quarantine(raw, tmp_path):
    rows = [(u, "4.0", TS, "ns1" if u % 4 == 0 else "xs1") for u in range(1, 401)]
    write(raw, "ratings/3.csv", ratings_csv(*rows))
    m = etl(raw, tmp_path / "lake")
    entry = by_key(m)["ratings/3.csv"]
    assert entry["status"] == "failed" and "300 of 400 rows rejected (unknown_title_id 300)" in entry["error"]
    assert not (tmp_path / "lake/ratings/3.parquet").exists()


def test_a_stray_quote_costs_one_row_not_the_rows_after_it(raw, tmp_path):
    rows = [(u, "4.0", TS, "ns1") for u in range(1, 200)]
    text = ratings_csv(*rows[:50]) + '999,"4.0,1600000000,ns1\n' + "\n".join(
        ",".join(map(str, r)) for r in rows[50:]) + '\n"7","3.5","1600000000","ns2"\n'
    write(raw, "ratings/3.csv", text)
    m = etl(raw, tmp_path / "lake")
    entry = by_key(m)["ratings/3.csv"]
    assert (entry["rows_read"], entry["rows_written"], entry["quarantine"]) == (201, 200, {"bad_score": 1})
    q = pq.read_table(tmp_path / "lake/quarantine/ratings/3.parquet").to_pylist()
    assert json.loads(q[0]["record"])["rating"] == '"4.0'


def test_a_duplicate_is_loaded_once_its_original_changes(raw, tmp_path):
    lake = tmp_path / "lake"
    write(raw, "ratings/9-resent.csv", (raw / "ratings/1.csv").read_bytes())
    assert by_key(etl(raw, lake))["ratings/9-resent.csv"]["status"] == "duplicate"
    write(raw, "ratings/1.csv", ratings_csv((9, "2.5", TS, "ns2")))
    m = etl(raw, lake)
    assert by_key(m)["ratings/9-resent.csv"]["status"] == by_key(m)["ratings/1.csv"]["status"] == "processed"
    assert lake_rows(lake, "ratings") == 2 + 1 + 1  # the resent copy, the new 1.csv, 2.csv
    again = etl(raw, lake)
    assert again["totals"]["processed"] == 0 and again["totals"]["duplicate"] == 0


def test_of_identical_files_the_first_name_is_loaded(raw, tmp_path):
    write(raw, "ratings/0-early.csv", (raw / "ratings/1.csv").read_bytes())
    m = etl(raw, tmp_path / "lake")
    assert by_key(m)["ratings/0-early.csv"]["status"] == "processed"
    assert by_key(m)["ratings/1.csv"]["note"] == "same content as ratings/0-early.csv; not loaded twice"
    assert by_key(etl(raw, tmp_path / "lake"))["ratings/1.csv"]["status"] == "duplicate"


def test_an_interrupted_publish_is_redone_by_the_next_run(raw, tmp_path, monkeypatch):
    lake = tmp_path / "lake"
    etl(raw, lake)
    original = (raw / "ratings/1.csv").read_bytes()
    write(raw, "ratings/1.csv", ratings_csv((5, "1.0", TS, "ns1")))
    store = open_store(lake)
    real_upload = type(store).upload_file
    calls = []

    def dies_after_first_upload(self, path, key):
        calls.append(key)
        if len(calls) > 1:
            raise KeyboardInterrupt("killed while publishing")
        real_upload(self, path, key)

    monkeypatch.setattr(type(store), "upload_file", dies_after_first_upload)
    with pytest.raises(KeyboardInterrupt):
        etl(raw, lake)
    monkeypatch.undo()
    assert (lake / "_publishing.json").exists()
    write(raw, "ratings/1.csv", original)  # the change is taken back before the next run
    os.utime(raw / "ratings/1.csv", ns=(5, 5))
    m = etl(raw, lake)
    assert by_key(m)["ratings/1.csv"]["status"] == "processed"
    assert pq.read_table(lake / "ratings/1.parquet").column("user_id").to_pylist() == [1, 2]
    assert not (lake / "_publishing.json").exists()
    assert etl(raw, lake)["totals"]["processed"] == 0


def test_full_rebuild_checks_ratings_against_the_catalogs_present_now(raw, tmp_path):
    lake = tmp_path / "lake"
    etl(raw, lake)
    (raw / "titles/hulu_titles.csv").unlink()
    m = etl(raw, lake, full=True)
    assert by_key(m)["ratings/1.csv"]["quarantine"] == {"score_out_of_range": 1, "unknown_title_id": 1}
    assert not (lake / "titles/hulu.parquet").exists()
    ids = set(pq.read_table(lake / "titles/netflix.parquet").column("id").to_pylist())
    assert set(pq.read_table(lake / "ratings/1.parquet").column("title_id").to_pylist()) <= ids


def test_full_rebuild_removes_data_nobody_owns(raw, tmp_path):
    lake = tmp_path / "lake"
    etl(raw, lake)
    write(lake, "ratings/orphan.parquet", (lake / "ratings/2.parquet").read_bytes())
    etl(raw, lake, full=True)
    assert not (lake / "ratings/orphan.parquet").exists()


def test_unreadable_raw_entries_fail_alone(raw, tmp_path):
    (raw / "ratings/dangling.csv").symlink_to(tmp_path / "nowhere.csv")
    os.mkfifo(raw / "ratings/pipe.csv")
    (raw / "ratings/folder.csv").mkdir()
    write(raw, "ratings/utf16.csv", "userId,rating,timestamp,movieId\n".encode("utf-16"))
    m = etl(raw, tmp_path / "lake")
    got = by_key(m)
    assert got["ratings/dangling.csv"]["status"] == got["ratings/pipe.csv"]["status"] == "failed"
    assert "no regular file" in got["ratings/pipe.csv"]["error"]
    assert got["ratings/utf16.csv"]["error"] == "UTF-16 text: save the file as UTF-8"
    assert got["ratings/1.csv"]["status"] == "processed"


def test_a_rewrite_that_keeps_size_and_mtime_is_still_noticed(raw, tmp_path):
    lake = tmp_path / "lake"
    etl(raw, lake)
    path = raw / "ratings/2.csv"
    st = path.stat()
    path.write_text(path.read_text().replace("5.0", "4.0"))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_size == st.st_size
    assert by_key(etl(raw, lake))["ratings/2.csv"]["status"] == "processed"


def test_s3_folder_markers_are_not_inputs(raw, tmp_path, aws):
    for path in raw.rglob("*.csv"):
        aws.upload_file(str(path), "reelrec-test", f"raw/{path.relative_to(raw).as_posix()}")
    aws.put_object(Bucket="reelrec-test", Key="raw/ratings/", Body=b"")
    m = run_etl(open_store("s3://reelrec-test/raw"), open_store("s3://reelrec-test/lake"), progress=Progress())
    assert m["status"] == "ok" and m["totals"]["inputs"] == 4


def test_cli_refuses_a_lake_it_cannot_use(raw, tmp_path, caplog):
    (tmp_path / "file").write_text("x")
    assert main(["--raw", str(raw), "--lake", str(tmp_path / "file")]) == 1
    assert "not a usable folder" in caplog.messages[-1]
    assert main(["--raw", str(raw), "--lake", str(raw)]) == 1
    assert "the same place" in caplog.messages[-1] and caplog.records[-1].levelno == logging.ERROR


def test_a_duplicate_stays_one_while_its_original_data_is_kept(raw, tmp_path):
    lake = tmp_path / "lake"
    write(raw, "ratings/9-resent.csv", (raw / "ratings/1.csv").read_bytes())
    etl(raw, lake)
    before = lake_rows(lake, "ratings")
    (raw / "ratings/1.csv").unlink()  # missing: its data is kept, so the copy must not be loaded too
    m = etl(raw, lake)
    assert by_key(m)["ratings/9-resent.csv"]["status"] == "duplicate" and lake_rows(lake, "ratings") == before
    write(raw, "ratings/1.csv", "not,a,ratings,file\n1,2,3,4\n")  # back, but broken: old data still kept
    m = etl(raw, lake)
    assert by_key(m)["ratings/1.csv"]["status"] == "failed"
    assert by_key(m)["ratings/9-resent.csv"]["status"] == "duplicate" and lake_rows(lake, "ratings") == before


def test_ratings_quarantined_as_unknown_are_checked_again_when_the_catalog_grows(raw, tmp_path):
    lake = tmp_path / "lake"
    write(raw, "ratings/3.csv", ratings_csv((4, "4.5", TS, "as1"), (4, "4.0", TS, "ns1")))
    m = etl(raw, lake)
    assert by_key(m)["ratings/3.csv"]["quarantine"] == {"unknown_title_id": 1}
    write(raw, "titles/amazon_prime_titles.csv", titles_csv({"title": "Arrives late"}))
    m = etl(raw, lake)
    entry = by_key(m)["ratings/3.csv"]
    assert entry["status"] == "processed" and entry["rows_written"] == 2 and entry["quarantine"] == {}
    assert not (lake / "quarantine/ratings/3.parquet").exists()
    assert etl(raw, lake)["totals"]["processed"] == 0


def test_non_ascii_ids_and_bytes_are_handled(raw, tmp_path):
    write(raw, "titles/disney_plus_titles.csv", titles_csv({"show_id": "sé2", "title": "Accent"}))
    write(raw, "ratings/3.csv", ratings_csv((4, "4.5", TS, "dsé2")).encode() + b"7,4.0,1600000000,ns1,\xe9 extra\n")
    m = etl(raw, tmp_path / "lake")
    assert m["status"] == "ok"
    entry = by_key(m)["ratings/3.csv"]
    assert (entry["rows_written"], entry["quarantine"]) == (1, {"malformed": 1})
    snap = CatalogSnapshot.from_bytes(next((tmp_path / "lake/serving/catalog").glob("*.npz")).read_bytes())
    assert snap.record(snap.row_of("dsé2"))["title"] == "Accent" and snap.record(snap.row_of("dsé2"))["score"] == 4.5


def test_a_stale_journal_without_outputs_is_cleared(raw, tmp_path):
    lake = tmp_path / "lake"
    etl(raw, lake)
    (lake / "_publishing.json").write_text('{"run_id": "x", "inputs": [], "outputs": []}')
    etl(raw, lake)
    assert not (lake / "_publishing.json").exists()


# -- found in the final review ----------------------------------------------------------------------


def test_a_raw_file_named_like_the_utf8_copy_is_never_deleted(raw, tmp_path):
    write(raw, "ratings/jan.utf8.csv", ratings_csv((4, "4.5", TS, "ns1")))
    write(raw, "ratings/feb.utf8.csv", ratings_csv((5, "4.5", TS, "ns1")).encode() + b"6,4.0,1600000000,ns\xe91\n")
    m = etl(raw, tmp_path / "lake")
    assert by_key(m)["ratings/jan.utf8.csv"]["status"] == by_key(m)["ratings/feb.utf8.csv"]["status"] == "processed"
    assert (raw / "ratings/jan.utf8.csv").exists() and (raw / "ratings/feb.utf8.csv").exists()


def test_scores_follow_an_input_that_turns_into_a_duplicate(raw, tmp_path):
    lake = tmp_path / "lake"
    etl(raw, lake)
    write(raw, "ratings/2.csv", (raw / "ratings/1.csv").read_bytes())  # 2.csv now repeats 1.csv
    m = etl(raw, lake)
    assert by_key(m)["ratings/2.csv"]["status"] == "duplicate" and m["catalog_snapshot"] == m["run_id"]
    snap = CatalogSnapshot.from_bytes(next(iter(sorted((lake / "serving/catalog").glob("*.npz"))[-1:])).read_bytes())
    assert int(snap.score_count.sum()) == lake_rows(lake, "ratings") == 2


def test_an_input_redone_after_an_interrupted_publish_keeps_its_data_if_it_now_fails(raw, tmp_path):
    lake = tmp_path / "lake"
    etl(raw, lake)
    (lake / "_publishing.json").write_text(json.dumps({"run_id": "x", "inputs": ["ratings/1.csv"], "outputs": []}))
    write(raw, "ratings/1.csv", b"userId,rating,timestamp,movieId\n\x00")
    m = etl(raw, lake)
    assert by_key(m)["ratings/1.csv"]["status"] == "failed" and (lake / "ratings/1.parquet").exists()


def test_a_journal_that_is_not_an_object_does_not_crash(raw, tmp_path):
    lake = tmp_path / "lake"
    etl(raw, lake)
    (lake / "_publishing.json").write_text("[]")
    assert etl(raw, lake)["status"] == "ok" and not (lake / "_publishing.json").exists()
