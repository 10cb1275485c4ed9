"""End to end over the real files in ../shared/data/raw (skipped, saying so, when they are absent)."""

from __future__ import annotations

import csv
import datetime as dt

import pyarrow.compute as pc
import pyarrow.dataset as ds
import pytest

from etl_job.pipeline import run_etl
from etl_job.progress import Progress
from reelrec.schemas import PLATFORM_FILES
from reelrec.storage import open_store


@pytest.fixture(scope="module")
def real_lake(tmp_path_factory):
    from tests.conftest import SHARED_RAW

    if not (SHARED_RAW / "titles").is_dir():
        pytest.skip(f"real data not found at {SHARED_RAW} (../shared/data is absent beside this checkout)")
    lake = tmp_path_factory.mktemp("real") / "lake"
    manifest = run_etl(open_store(SHARED_RAW), open_store(lake), progress=Progress())
    return SHARED_RAW, lake, manifest


def raw_rows(path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_every_real_row_is_accounted_for(real_lake):
    raw, lake, manifest = real_lake
    assert manifest["status"] == "ok"
    for entry in manifest["inputs"]:
        assert entry["rows_read"] == len(raw_rows(raw / entry["key"]))
        assert entry["rows_read"] == entry["rows_written"] + entry["rows_quarantined"]
    titles = ds.dataset(lake / "titles").to_table()
    assert titles.num_rows == 22_998  # the real catalogs have no malformed rows (PROVENANCE.md)
    assert ds.dataset(lake / "ratings").count_rows() == 23_439


def test_known_faults_of_the_real_files_are_repaired(real_lake):
    _, lake, manifest = real_lake
    repairs = {e["key"]: e["repairs"] for e in manifest["inputs"]}
    assert repairs["titles/hulu_titles.csv"]["duration_from_rating"] == 292
    assert repairs["titles/hulu_titles.csv"]["movie_with_seasons"] == 62
    assert repairs["titles/netflix_titles.csv"]["duration_from_rating"] == 3
    titles = ds.dataset(lake / "titles").to_table()
    by_id = {r["id"]: r for r in titles.select(["id", "duration_int", "duration_type", "rating", "title",
                                                 "date_added", "cast", "type"]).to_pylist()}
    assert (by_id["ns5542"]["duration_int"], by_id["ns5542"]["duration_type"], by_id["ns5542"]["rating"]) == (
        74, "min", "g")
    assert by_id["ns6530"]["title"] == "consequences"  # trailing NBSP
    assert by_id["ns8420"]["title"] == "the memphis belle: a story of a flying fortress"
    assert by_id["as5903"]["title"] == "true"
    assert pc.count(titles.filter(pc.equal(titles["platform"], "hulu"))["cast"]).as_py() == 0
    movies_in_seasons = titles.filter(pc.and_(pc.equal(titles["type"], "movie"),
                                              pc.equal(titles["duration_type"], "season")))
    assert movies_in_seasons.num_rows == 0


def test_contract_columns_and_values(real_lake):
    raw, lake, _ = real_lake
    titles = ds.dataset(lake / "titles").to_table()
    assert len(set(titles["id"].to_pylist())) == titles.num_rows
    assert set(titles["platform"].to_pylist()) == set(PLATFORM_FILES.values())
    assert set(titles["type"].to_pylist()) == {"movie", "tv show"}
    assert set(titles["duration_type"].drop_null().to_pylist()) == {"min", "season"}
    assert pc.count(titles["rating"]).as_py() == titles.num_rows  # no null ratings left
    for name in ("title", "director", "cast", "country", "listed_in", "description", "rating", "type"):
        values = [v for v in titles[name].to_pylist() if v is not None]
        assert all(v == v.lower() == v.strip() and "  " not in v and "\u200b" not in v for v in values), name
    # dates: every non-empty raw date_added parses, and to the same day
    raw_dates = {("n" + r["show_id"]): r["date_added"].strip()
                 for r in raw_rows(raw / "titles/netflix_titles.csv") if r["date_added"].strip()}
    got = dict(zip(titles["id"].to_pylist(), titles["date_added"].to_pylist(), strict=True))
    assert all(got[i] == dt.datetime.strptime(t, "%B %d, %Y").date() for i, t in raw_dates.items())
    ratings = ds.dataset(lake / "ratings").to_table()
    assert pc.min(ratings["score"]).as_py() == 0.5 and pc.max(ratings["score"]).as_py() == 5.0
    assert ratings.schema.names == ["user_id", "title_id", "score", "timestamp", "date"]
    assert set(ratings["title_id"].to_pylist()) <= set(titles["id"].to_pylist())


def test_training_on_the_real_data_reports_what_docs_training_md_says(real_lake, tmp_path):
    """The job on the real ratings: the numbers docs/training.md quotes, and the verdict on the issue's target
    stated as measured (not met: see the docs)."""
    from model_training.evaluation import DISCOVERY
    from model_training.job import run

    _, lake, _ = real_lake
    result = run(open_store(lake), open_store(tmp_path / "models"))
    ev, comparison = result.metrics["evaluation"], result.metrics["comparison"]
    assert ev["known"]["hybrid"]["users"] == 436 and ev["new"]["hybrid"]["users"] == 88
    for mode, served, als in (("known", 0.1954, 0.1795), ("new", 0.1621, 0.1407)):
        assert ev[mode]["hybrid"]["ndcg@10"] == pytest.approx(served, abs=2e-4)
        assert ev[mode]["pure ALS"]["ndcg@10"] == pytest.approx(als, abs=2e-4)
        # every viewer is shown a title nobody rated, apart from the list (which seldom holds one)
        assert ev[mode][DISCOVERY]["users"] == ev[mode]["hybrid"]["users"]
        assert ev[mode][DISCOVERY]["unrated_share"] == 1.0 and ev[mode]["hybrid"]["unrated_share"] < 0.01
        assert ev[mode]["hybrid"]["ndcg@10"] > 1.2 * ev[mode]["popularity"]["ndcg@10"]
        assert comparison[mode]["best_baseline"] == "pure ALS"
        assert comparison[mode]["target_met"] == (comparison[mode]["gain"] >= 0.10)
    # the persona suite (issue 12, item 4): every persona is built from the real titles; the shares docs/training.md
    # quotes (item 1's coverage-aware blend and the genre-focus term, the dominant genre share: the targets, mean
    # >= 85% and none below 60%, are met unfiltered and with type=tv show)
    suite = result.metrics["personas"]
    assert suite["missing"] == [] and len(suite["personas"]) == 8
    assert all(r["titles"] == 5 for r in suite["personas"].values())
    assert suite["personas"]["kids"] == {"titles": 5, "audience": "family", "all": 1.0, "tv show": 1.0}
    assert all(suite["personas"][p]["all"] >= 0.9 for p in ("horror", "anime", "documentary", "stand-up"))
    assert suite["personas"]["romance"]["all"] == 0.8 and suite["personas"]["sci-fi"]["all"] == 0.7
    assert (suite["mean all"], suite["mean tv show"]) == (0.9375, 0.975)
    assert (suite["min all"], suite["min tv show"]) == (0.7, 0.8)
