"""The ETL against the generator: it must quarantine exactly the faults the generator injected."""

from __future__ import annotations

import pyarrow.dataset as ds
import pytest

from datagen import generate
from etl_job.pipeline import run_etl
from etl_job.progress import Progress
from reelrec.storage import open_store


@pytest.mark.parametrize("preset", ["tiny", "small"])
def test_quarantine_and_repairs_match_what_the_generator_injected(tmp_path, preset):
    summary = generate(str(tmp_path / "raw"), preset, seed=3)
    manifest = run_etl(open_store(tmp_path / "raw"), open_store(tmp_path / "lake"), progress=Progress())
    assert manifest["status"] == "ok"
    for entry in manifest["inputs"]:
        key = entry["key"]
        assert entry["rows_read"] == summary["rows"][key] == entry["rows_written"] + entry["rows_quarantined"]
        assert entry["quarantine"] == {k: v for k, v in summary["faults"][key].items() if v}, key
        for repair, count in summary.get("repairs_expected", {}).get(key, {}).items():
            assert entry["repairs"].get(repair, 0) == count, (key, repair)
    titles = ds.dataset(tmp_path / "lake/titles").to_table()
    assert titles.num_rows == sum(summary["titles_per_platform"].values())


def test_generated_course_of_deliveries_loads_incrementally_on_s3(tmp_path, aws):
    summary = generate("s3://reelrec-test/raw", "tiny", seed=1)
    raw, lake = open_store("s3://reelrec-test/raw"), open_store("s3://reelrec-test/lake")
    newest = sorted(k for k in summary["rows"] if k.startswith("ratings/"))[-1]
    body = raw.read_bytes(newest)
    raw.delete(newest)
    first = run_etl(raw, lake, progress=Progress())
    assert first["status"] == "ok" and newest not in {i["key"] for i in first["inputs"]}
    raw.write_bytes(newest, body)
    second = run_etl(raw, lake, progress=Progress())
    assert [i["key"] for i in second["inputs"] if i["status"] == "processed"] == [newest]
    assert run_etl(raw, lake, progress=Progress())["totals"]["processed"] == 0
