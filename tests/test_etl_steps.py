"""The ETL's parts: its steps (planning and fetching, the ledger), the typed records it writes (manifest, state), its
progress lines through logging, and the metrics a CLI run emits."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import io
import json
import logging
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import get_type_hints

import pytest

from etl_job import entry, pipeline
from etl_job.__main__ import main
from etl_job.inputs import InputEntry, Outcome, Task
from etl_job.ledger import Ledger
from etl_job.manifest import Manifest, Totals
from etl_job.planning import Fetcher
from etl_job.progress import Progress
from etl_job.state import LakeState, StateEntry, StateFile
from reelrec import layout, metrics
from reelrec.lease import acquire
from reelrec.logs import configure, request_scope
from reelrec.storage import ObjectInfo, open_store
from tests.rawfiles import ratings_csv, titles_csv, write
from tests.test_pipeline import TS, etl

ROOT = Path(__file__).resolve().parents[1]
ETL_METRICS = {metrics.ETL_ROWS_READ, metrics.ETL_ROWS_WRITTEN, metrics.ETL_ROWS_QUARANTINED,
               metrics.ETL_QUARANTINE_SHARE, metrics.ETL_SUCCEEDED, metrics.ETL_FAILED}


@pytest.fixture
def raw(tmp_path) -> Path:
    folder = tmp_path / "raw"
    write(folder, "titles/netflix_titles.csv", titles_csv({"title": "One"}, {"title": "Two"}))
    write(folder, "ratings/1.csv", ratings_csv((1, "4.0", TS, "ns1"), (1, "9", TS, "ns2"), (2, "3.5", TS, "ns2")))
    return folder


# -- metrics ------------------------------------------------------------------------------------------------------

@pytest.fixture
def emitted(monkeypatch) -> io.StringIO:
    """Where the CLI's metrics go: one EMF line per run (outside Lambda ``emit`` would only log them)."""
    buffer = io.StringIO()
    monkeypatch.setattr(metrics, "emit", functools.partial(metrics.emit, stream=buffer))
    return buffer


def values(doc: dict) -> dict[str, float]:
    assert {m["Name"] for m in doc["_aws"]["CloudWatchMetrics"][0]["Metrics"]} == ETL_METRICS
    assert doc["Stage"] == "local"
    return {k: doc[k] for k in ETL_METRICS}


def test_an_ok_run_a_failed_run_and_an_errored_run_emit_their_metrics(raw, tmp_path, emitted, monkeypatch):
    monkeypatch.delenv("REELREC_STAGE", raising=False)
    lake = tmp_path / "lake"
    assert main(["--raw", str(raw), "--lake", str(lake)]) == 0
    write(raw, "ratings/bad.csv", b"\x00\x01binary")
    write(raw, "ratings/2.csv", ratings_csv((3, "5.0", TS, "ns1"), (3, "x", TS, "ns2")))
    assert main(["--raw", str(raw), "--lake", str(lake)]) == 1
    assert main(["--raw", str(tmp_path / "nothing"), "--lake", str(lake)]) == 1  # errors: no raw inputs
    other = acquire(open_store(lake), "etl run")
    assert main(["--raw", str(raw), "--lake", str(lake)]) == 3  # busy: nothing ran, nothing emitted
    other.release()
    ok, failed, errored = (values(json.loads(line)) for line in emitted.getvalue().splitlines())
    assert ok == {metrics.ETL_ROWS_READ: 5.0, metrics.ETL_ROWS_WRITTEN: 4.0, metrics.ETL_ROWS_QUARANTINED: 1.0,
                  metrics.ETL_QUARANTINE_SHARE: 20.0, metrics.ETL_SUCCEEDED: 1.0, metrics.ETL_FAILED: 0.0}
    assert failed == {metrics.ETL_ROWS_READ: 2.0, metrics.ETL_ROWS_WRITTEN: 1.0, metrics.ETL_ROWS_QUARANTINED: 1.0,
                      metrics.ETL_QUARANTINE_SHARE: 50.0, metrics.ETL_SUCCEEDED: 0.0, metrics.ETL_FAILED: 1.0}
    assert errored == {metrics.ETL_ROWS_READ: 0.0, metrics.ETL_ROWS_WRITTEN: 0.0, metrics.ETL_ROWS_QUARANTINED: 0.0,
                       metrics.ETL_QUARANTINE_SHARE: 0.0, metrics.ETL_SUCCEEDED: 0.0, metrics.ETL_FAILED: 1.0}


def test_a_run_that_read_nothing_has_no_quarantine_share(raw, tmp_path):
    lake = tmp_path / "lake"
    etl(raw, lake)
    nothing_new = etl(raw, lake)
    assert entry.run_metrics(nothing_new) == {
        metrics.ETL_ROWS_READ: 0.0, metrics.ETL_ROWS_WRITTEN: 0.0, metrics.ETL_ROWS_QUARANTINED: 0.0,
        metrics.ETL_QUARANTINE_SHARE: 0.0, metrics.ETL_SUCCEEDED: 1.0, metrics.ETL_FAILED: 0.0}
    metrics.document(entry.run_metrics(nothing_new))  # every name is one the stack watches


def test_outside_lambda_the_cli_only_logs_its_metrics_at_debug(raw, tmp_path, capsys, caplog, monkeypatch):
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    assert main(["--raw", str(raw), "--lake", str(tmp_path / "lake")]) == 0
    assert capsys.readouterr().out == ""
    (record,) = [r for r in caplog.records if r.name == "reelrec.metrics"]
    doc = json.loads(record.getMessage().split(": ", 1)[1])
    assert values(doc)[metrics.ETL_SUCCEEDED] == 1.0


# -- typed records ------------------------------------------------------------------------------------------------

def test_the_manifest_and_the_state_hold_exactly_their_typed_records(raw, tmp_path):
    lake = tmp_path / "lake"
    write(raw, "ratings/9-copy.csv", (raw / "ratings/1.csv").read_bytes())
    manifest = etl(raw, lake)
    written = json.loads(next((lake / "_manifests").iterdir()).read_text())
    assert written == manifest
    assert list(manifest) == [k for k in get_type_hints(Manifest) if k != "histories"]  # same keys, same order
    assert list(manifest["totals"]) == list(get_type_hints(Totals))
    assert list(get_type_hints(InputEntry)) == [f.name for f in dataclasses.fields(Outcome)]
    assert all(list(i) == list(get_type_hints(InputEntry)) for i in manifest["inputs"])
    state = json.loads((lake / layout.LAKE_STATE).read_text())
    assert set(state) == set(get_type_hints(StateFile))
    keys = set(get_type_hints(StateEntry))
    assert all(set(e) <= keys for e in state["inputs"].values())
    assert state["inputs"]["ratings/9-copy.csv"]["duplicate_of"] == "ratings/1.csv"
    assert {"catalog", "unknown_title_ids", "run_id"} <= set(state["inputs"]["ratings/1.csv"])


def test_the_summary_line_reads_the_typed_manifest(raw, tmp_path):
    manifest = etl(raw, tmp_path / "lake")
    line = entry.summary_line(manifest)
    assert re.fullmatch(r"ok: 2 inputs \(2 processed, 0 unchanged, 0 duplicate, 0 failed, 0 deferred\); 5 rows read, "
                        r"4 written, 1 quarantined in [\d.]+ s \([\d,]+ rows/s\); manifest \S+", line), line
    manifest["histories"] = {"store": "x", "error": "unreachable"}
    assert entry.summary_line(manifest).endswith("; histories FAILED: unreachable")


# -- progress through logging -------------------------------------------------------------------------------------

def test_progress_lines_are_records_of_the_etl_logger(raw, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="reelrec.etl")
    write(raw, "ratings/bad.csv", b"\x00")
    etl(raw, tmp_path / "lake")
    by_message = {r.getMessage().split(":")[0]: r for r in caplog.records if r.name == "reelrec.etl"}
    assert by_message["ratings/1.csv"].levelno == logging.INFO
    assert by_message["ratings/1.csv"].fields == {"input": "ratings/1.csv", "status": "processed", "rows_read": 3,
                                                  "rows_written": 2, "rows_quarantined": 1,
                                                  "seconds": by_message["ratings/1.csv"].fields["seconds"]}
    assert by_message["ratings/bad.csv"].levelno == logging.WARNING


def test_a_stream_takes_the_lines_instead_of_the_log(caplog):
    caplog.set_level(logging.DEBUG)
    out = io.StringIO()
    progress = Progress(out, every=0)
    progress.say("one")
    progress.warn("two")
    progress.tracker("ratings/x.csv")(1234)
    assert out.getvalue().splitlines()[:2] == ["one", "two"] and "1,234 rows so far" in out.getvalue()
    assert not caplog.records


def test_in_json_mode_a_line_carries_the_request_id_and_its_fields():
    out = io.StringIO()
    configure(json_lines=True, stream=out)
    with request_scope("req-7"):
        Progress().warn("ratings/x.csv: FAILED: empty file", {"input": "ratings/x.csv", "status": "failed"})
    doc = json.loads(out.getvalue())
    assert doc["requestId"] == "req-7" and doc["level"] == "WARNING" and doc["logger"] == "reelrec.etl"
    assert (doc["message"], doc["input"], doc["status"]) == ("ratings/x.csv: FAILED: empty file", "ratings/x.csv",
                                                            "failed")


# -- steps --------------------------------------------------------------------------------------------------------

class CountingStore:
    """A raw store whose local copies are counted: entered, and still open."""

    uri = "counting://raw"

    def __init__(self, folder: Path) -> None:
        self.folder, self.open, self.made = folder, 0, 0
        self.lock = threading.Lock()

    @contextlib.contextmanager
    def local_copy(self, key: str):
        with self.lock:
            self.open += 1
            self.made += 1
        try:
            yield self.folder / key
        finally:
            with self.lock:
                self.open -= 1


def test_local_copies_last_as_long_as_the_run_and_a_rejected_one_is_released_at_once(tmp_path):
    write(tmp_path, "ratings/a.csv", ratings_csv((1, "4.0", TS, "ns1")))
    write(tmp_path, "ratings/b.csv", b"\x00binary")
    store = CountingStore(tmp_path)
    ledger = Ledger("run", LakeState(), LakeState(), Progress(io.StringIO()), full=False, redone=set(),
                    allow_shrink=False)
    tasks = [Task(ObjectInfo(k, 1, "t"), ledger.add(Outcome(k, "ratings"))) for k in ("ratings/a.csv", "ratings/b.csv")]
    with contextlib.ExitStack() as copies, ThreadPoolExecutor(2) as pool:
        fetched = Fetcher(store, ledger, copies, pool).fetch_all(tasks)
        assert [t.info.key for t in fetched] == ["ratings/a.csv"] and fetched[0].out.sha256
        assert tasks[1].out.status == "failed" and "NUL byte" in (tasks[1].out.error or "")
        assert (store.made, store.open) == (2, 1)  # the rejected file's copy is closed already
    assert store.open == 0


def test_no_step_enters_or_exits_a_context_by_hand():
    for path in (ROOT / "etl_job").glob("*.py"):
        text = path.read_text()
        assert ".__enter__(" not in text and ".__exit__" not in text, path.name


def test_a_failed_input_keeps_its_published_data_when_rebuilding(raw, tmp_path):
    lake = tmp_path / "lake"
    etl(raw, lake)
    write(raw, "ratings/1.csv", b"\x00")
    run = pipeline.EtlRun(open_store(raw), open_store(lake), full=True, progress=Progress(io.StringIO()))
    manifest = run.run()
    assert manifest["status"] == "failed" and (lake / "ratings/1.parquet").exists()
    assert run.ledger.state.inputs["ratings/1.csv"] == run.ledger.old_state.inputs["ratings/1.csv"]
