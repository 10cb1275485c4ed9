"""The API's catalog snapshot: built by the ETL, read with numpy only, versioned behind a pointer."""

from __future__ import annotations

import io
import json
import math

import numpy as np
import pyarrow.dataset as ds
import pytest

from etl_job import pipeline
from etl_job.pipeline import run_etl
from etl_job.progress import Progress
from reelrec.audience import audience_code
from reelrec.audience import name as audience_name
from reelrec.catalog_snapshot import FORMAT as SNAPSHOT_FORMAT
from reelrec.catalog_snapshot import CatalogSnapshot, TrainingRatings
from reelrec.schemas import DISPLAY_COLUMNS, PLATFORM_NAMES
from reelrec.storage import open_store
from tests.rawfiles import ratings_csv, titles_csv, write

TS = 1_600_000_000


def current(lake) -> CatalogSnapshot:
    pointer = json.loads((lake / "serving/catalog/current.json").read_text())
    return CatalogSnapshot.from_bytes((lake / pointer["key"]).read_bytes())


@pytest.fixture
def generated(api_lake):
    """The session's generated lake (tests/conftest.py): built once by the real ETL."""
    return api_lake


def test_snapshot_matches_the_lake(generated):
    snap = current(generated)
    titles = ds.dataset(generated / "titles").to_table().sort_by("id").to_pylist()
    assert [t["id"] for t in titles] == [i.decode() for i in snap.ids]
    ratings = ds.dataset(generated / "ratings").to_table().to_pylist()
    sums: dict[str, list[float]] = {}
    for r in ratings:
        sums.setdefault(r["title_id"], []).append(r["score"])
    for row, title in enumerate(titles):
        rec = snap.record(row)
        shown = {name: title[f"display_{name}"] for name in DISPLAY_COLUMNS}
        lake = {k: v for k, v in title.items() if not k.startswith("display_")}
        assert rec == {**lake, **shown, "platform_name": PLATFORM_NAMES[title["platform"]],
                       "rating": None if title["rating_defaulted"] else title["rating"],
                       "audience": audience_name(audience_code(title["rating"], title["rating_defaulted"])),
                       "date_added": title["date_added"] and title["date_added"].isoformat(),
                       "score": rec["score"], "score_count": rec["score_count"], "available_on": rec["available_on"]}
        assert title["id"] in [a["id"] for a in rec["available_on"]]
        assert snap.title[row] == title["title"] and snap.display_title[row] == title["display_title"]
        scores = sums.get(title["id"], [])
        assert snap.score_count[row] == len(scores) == rec["score_count"]
        if scores:
            assert math.isclose(snap.score_mean[row], sum(scores) / len(scores), rel_tol=1e-12)
        else:
            assert np.isnan(snap.score_mean[row]) and rec["score"] is None
        cast = {a.strip() for a in (title["cast"] or "").split(",") if a.strip()}
        got = {snap.actors[i] for i in snap.cast_indices[snap.cast_indptr[row]:snap.cast_indptr[row + 1]]}
        assert got == cast
        spelled = {snap.actor_names[i] for i in snap.cast_indices[snap.cast_indptr[row]:snap.cast_indptr[row + 1]]}
        assert {a.lower() for a in spelled} == cast
    assert [snap.actors[i] for i in range(len(snap.actors))] == sorted(snap.actors[i] for i in range(len(snap.actors)))
    order = sorted(range(len(titles)), key=lambda i: (titles[i]["title"], titles[i]["id"]))
    assert [int(snap.title_rank[i]) for i in order] == list(range(len(titles)))


def test_snapshot_reads_without_pickle_and_refuses_other_formats(generated):
    snap = current(generated)
    assert snap.row_of(snap.ids[5].decode()) == 5 and snap.row_of("zz0") is None and snap.row_of("") is None
    data = dict(np.load(io.BytesIO(snap.to_bytes()), allow_pickle=False))
    data["format"] = np.array(99)
    out = io.BytesIO()
    np.savez(out, **data)
    with pytest.raises(ValueError, match="format 99"):
        CatalogSnapshot.from_bytes(out.getvalue())


def test_a_new_snapshot_only_when_the_lake_changed_and_three_are_kept(tmp_path, monkeypatch):
    raw, lake = tmp_path / "raw", tmp_path / "lake"
    write(raw, "titles/netflix_titles.csv", titles_csv({"title": "One", "cast": "B, A"}, {"title": "Two"}))
    write(raw, "ratings/1.csv", ratings_csv((1, "4.0", TS, "ns1"), (2, "3.0", TS, "ns1")))

    def etl():
        return run_etl(open_store(raw), open_store(lake), progress=Progress())

    first = etl()
    assert first["catalog_snapshot"] == first["run_id"]
    assert current(lake).record(0)["score"] == 3.5
    assert etl()["catalog_snapshot"] is None
    versions = [first["run_id"]]
    for i in range(2, 6):
        write(raw, f"ratings/{i}.csv", ratings_csv((i + 10, "5.0", TS, "ns2")))
        versions.append(etl()["catalog_snapshot"])
    kept = sorted(p.stem for p in (lake / "serving/catalog").glob("*.npz"))
    assert kept == sorted(versions)[-3:]
    snap = current(lake)
    assert snap.version == versions[-1] and int(snap.score_count[1]) == 4


def test_a_crash_while_publishing_data_keeps_the_old_pointer(tmp_path, monkeypatch):
    raw, lake = tmp_path / "raw", tmp_path / "lake"
    write(raw, "titles/netflix_titles.csv", titles_csv({"title": "One"}))
    write(raw, "ratings/1.csv", ratings_csv((1, "4.0", TS, "ns1")))
    first = run_etl(open_store(raw), open_store(lake), progress=Progress())
    write(raw, "ratings/2.csv", ratings_csv((2, "2.0", TS, "ns1")))

    def crash(lake, version, data):
        raise OSError("network gone")

    monkeypatch.setattr(pipeline, "publish_snapshot", crash)
    with pytest.raises(OSError):
        run_etl(open_store(raw), open_store(lake), progress=Progress())
    assert current(lake).version == first["run_id"]
    monkeypatch.undo()
    second = run_etl(open_store(raw), open_store(lake), progress=Progress())
    assert second["totals"]["processed"] == 1 and current(lake).record(0)["score"] == 3.0


def test_a_snapshot_of_an_older_format_is_republished(tmp_path):
    raw, lake = tmp_path / "raw", tmp_path / "lake"
    write(raw, "titles/netflix_titles.csv", titles_csv({"title": "One"}))
    run_etl(open_store(raw), open_store(lake), progress=Progress())
    pointer = json.loads((lake / "serving/catalog/current.json").read_text())
    (lake / "serving/catalog/current.json").write_text(json.dumps({**pointer, "format": 1}))
    m = run_etl(open_store(raw), open_store(lake), progress=Progress())
    assert m["totals"]["processed"] == 0 and m["catalog_snapshot"] == m["run_id"]
    assert json.loads((lake / "serving/catalog/current.json").read_text())["format"] == SNAPSHOT_FORMAT
    assert run_etl(open_store(raw), open_store(lake), progress=Progress())["catalog_snapshot"] is None


def test_training_input_is_the_lake_ratings_as_numpy(generated):
    lake_ratings = ds.dataset(generated / "ratings").to_table()
    parts = [TrainingRatings.from_bytes(p.read_bytes()) for p in sorted((generated / "serving/training").glob("*.npz"))]
    got = sorted(
        (int(u), t.decode(), float(s), int(ts))
        for part in parts
        for u, t, s, ts in zip(part.user_id, part.title_id(), part.score, part.timestamp, strict=True)
    )
    want = sorted((r["user_id"], r["title_id"], r["score"], r["timestamp"]) for r in lake_ratings.to_pylist())
    assert got == want
