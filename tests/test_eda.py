"""The EDA report: every section present, self-contained HTML, and its numbers checked against the lake."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from datagen import generate
from etl_job.pipeline import run_etl
from etl_job.progress import Progress
from reelrec.storage import open_store
from reports import SECTIONS
from reports.__main__ import main
from reports.publish import PREFIX
from tests.rawfiles import titles_csv, write

ROOT = Path(__file__).resolve().parents[1]
SECTION_IDS = [sid for sid, _ in SECTIONS]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict:
    """A small lake built by the real ETL from generated data, and the report run once over it by the CLI."""
    root = tmp_path_factory.mktemp("eda")
    raw, lake, out = root / "raw", root / "lake", root / "out"
    generate(str(raw), "small", seed=1)
    run_etl(open_store(raw), open_store(lake), progress=Progress(every=0))
    assert main(["--lake", str(lake), "--raw", str(raw), "--out", str(out)]) == 0
    return {"raw": raw, "lake": lake, "out": out, "html": (out / "report.html").read_text(encoding="utf-8"),
            "report": json.loads((out / "report.json").read_text(encoding="utf-8"))}


def sections(built) -> dict:
    return built["report"]["sections"]


def lake_titles(lake: Path) -> pd.DataFrame:
    return pd.concat([pd.read_parquet(p) for p in sorted((lake / "titles").glob("*.parquet"))], ignore_index=True)


def lake_ratings(lake: Path) -> pd.DataFrame:
    return pd.concat([pd.read_parquet(p) for p in sorted((lake / "ratings").glob("*.parquet"))], ignore_index=True)


# -- structure ----------------------------------------------------------------------------------
def test_every_section_is_in_the_html_and_the_json(built):
    for sid in SECTION_IDS:
        assert f'<section id="{sid}">' in built["html"], sid
    assert list(sections(built)) == SECTION_IDS
    assert len(sections(built)["summary"]["findings"]) >= 6
    assert built["report"]["figures"] and {f["section"] for f in built["report"]["figures"]} >= {
        "catalog", "durations", "missing", "faults", "ratings", "content", "taste"}


def test_the_html_is_self_contained(built):
    html = built["html"]
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html, re.I)
    assert "<script" not in html.lower() and "<link" not in html.lower()
    images = re.findall(r'<img [^>]*src="([^"]*)"', html)
    assert len(images) == len(built["report"]["figures"])
    assert all(src.startswith("data:image/png;base64,") for src in images)


def test_report_is_written_to_the_lake_and_the_local_folder(built):
    run = built["report"]["run"]
    lake = built["lake"]
    for key in (f"{PREFIX}{run}/report.html", f"{PREFIX}{run}/report.json", f"{PREFIX}latest.html",
                f"{PREFIX}latest.json"):
        assert (lake / key).is_file(), key
    assert (lake / PREFIX / "latest.json").read_bytes() == (built["out"] / "report.json").read_bytes()
    assert (lake / PREFIX / run / "report.html").read_bytes() == (built["out"] / "report.html").read_bytes()


# -- numbers, computed independently over the lake ----------------------------------------------
def test_titles_per_platform_and_type(built):
    titles = lake_titles(built["lake"])
    expected = {p: {t: int(n) for t, n in g.groupby("type").size().items()} for p, g in titles.groupby("platform")}
    assert sections(built)["catalog"]["titles_by_type"] == expected
    assert sections(built)["catalog"]["total"] == len(titles)


def test_ratings_per_score_value(built):
    ratings = lake_ratings(built["lake"])
    expected = {str(float(s)): int(n) for s, n in ratings["score"].value_counts().items()}
    got = sections(built)["ratings"]
    assert got["score_counts"] == expected
    assert got["count"] == len(ratings) and got["users"] == ratings["user_id"].nunique()
    assert got["titles_rated"] == ratings["title_id"].nunique()
    per_user = ratings.groupby("user_id").size()
    assert got["per_user"]["median"] == float(per_user.median()) and got["per_user"]["max"] == per_user.max()


def test_top_genre_of_netflix(built):
    titles = lake_titles(built["lake"])
    netflix = titles[titles["platform"] == "netflix"][["id", "listed_in"]].dropna()
    pairs = netflix.assign(genre=netflix["listed_in"].str.split(", ")).explode("genre").drop_duplicates(["id", "genre"])
    counts = pairs["genre"].value_counts()
    top = sections(built)["content"]["genres"]["by_platform"]["netflix"][0]
    assert top["titles"] == counts.max()
    assert top["name"] == min(counts[counts == counts.max()].index)


def test_mean_score_by_release_decade(built):
    titles, ratings = lake_titles(built["lake"]), lake_ratings(built["lake"])
    joined = ratings.merge(titles[["id", "release_year"]], left_on="title_id", right_on="id")
    joined["decade"] = joined["release_year"] // 10 * 10
    by = joined.groupby("decade")["score"].agg(["mean", "size"])
    decade = int(by["size"].idxmax())
    got = {r["decade"]: r for r in sections(built)["taste"]["by_decade"]}
    assert got[decade]["ratings"] == by.loc[decade, "size"]
    assert got[decade]["mean_score"] == pytest.approx(by.loc[decade, "mean"], abs=1e-4)
    assert set(got) == {int(d) for d, n in by["size"].items() if n >= 20}


def test_quarantined_rows_per_reason_match_the_quarantine_files(built):
    faults = sections(built)["faults"]
    for kind in ("titles", "ratings"):
        files = sorted((built["lake"] / "quarantine" / kind).glob("*.parquet"))
        reasons = pd.concat([pd.read_parquet(p, columns=["reason"]) for p in files])["reason"].value_counts()
        expected = {r: int(n) for r, n in reasons.items()}
        assert faults["quarantine_by_reason"][kind] == expected
        assert faults["quarantine_files"][kind] == expected
    assert faults["manifests_match_files"] is True
    assert faults["rows_quarantined"] == sum(sum(v.values()) for v in faults["quarantine_by_reason"].values())


def test_duration_outliers_follow_the_stated_rule(built):
    titles = lake_titles(built["lake"])
    movies = titles[(titles["platform"] == "amazon") & (titles["type"] == "movie") & (titles["duration_type"] == "min")]
    v = movies["duration_int"].dropna().to_numpy()
    q1, q3 = np.percentile(v, [25, 75])
    iqr = max(q3 - q1, 1.0)
    flagged = int(((v < q1 - 3 * iqr) | (v > q3 + 3 * iqr)).sum())
    group = next(g for g in sections(built)["durations"]["groups"]
                 if (g["platform"], g["type"], g["unit"]) == ("amazon", "movie", "min"))
    assert (group["count"], group["outliers"], group["high_fence"]) == (len(v), flagged, q3 + 3 * iqr)
    assert "Q3 + 3 x IQR" in sections(built)["durations"]["rule"]


def test_missing_values_in_the_raw_csv_and_the_lake(built):
    with open(built["raw"] / "titles" / "netflix_titles.csv", newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.reader(fh)][1:]
    well_formed = [r for r in rows if len(r) == 12]
    raw = sections(built)["missing"]["raw"]["titles"]["netflix"]
    assert raw["rows"] == len(well_formed) and raw["malformed"] == len(rows) - len(well_formed)
    assert raw["columns"]["director"] == sum(not r[3].strip() for r in well_formed)
    titles = lake_titles(built["lake"])
    lake = sections(built)["missing"]["lake"]["titles"]["netflix"]["columns"]
    assert lake["director"] == titles[titles["platform"] == "netflix"]["director"].isna().sum()


# -- bad input, S3 and the real data ------------------------------------------------------------
def test_missing_or_empty_lake_exits_1_with_a_message(tmp_path, capsys):
    assert main(["--lake", str(tmp_path / "nothing"), "--raw", str(tmp_path / "raw"), "--out", str(tmp_path / "o")]) == 1
    assert "eda: error: no lake at" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "_state.json").write_text("{}")
    assert main(["--lake", str(tmp_path / "empty"), "--out", str(tmp_path / "o")]) == 1
    assert "eda: error: an empty lake" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
    done = subprocess.run([sys.executable, "-m", "reports", "--lake", str(tmp_path / "nothing")], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("eda: error: no lake at")


def test_a_lake_without_ratings_still_gives_a_report(tmp_path):
    raw, lake = tmp_path / "raw", tmp_path / "lake"
    write(raw, "titles/netflix_titles.csv", titles_csv({"title": "One"}, {"title": "Two", "type": "TV Show",
                                                                          "duration": "2 Seasons"}))
    run_etl(open_store(raw), open_store(lake), progress=Progress(every=0))
    assert main(["--lake", str(lake), "--raw", str(raw), "--out", str(tmp_path / "out")]) == 0
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["sections"]["ratings"]["count"] == 0
    assert report["sections"]["catalog"]["titles_by_type"] == {"netflix": {"movie": 1, "tv show": 1}}
    assert "The lake holds no ratings yet." in report["sections"]["summary"]["findings"]
    run_etl(open_store(raw), open_store(lake), full=True, progress=Progress(every=0))
    assert (lake / PREFIX / "latest.html").is_file()  # a full rebuild leaves the reports alone


def test_report_on_an_s3_lake(built, aws, tmp_path):
    for path in sorted(built["lake"].rglob("*")):
        key = path.relative_to(built["lake"]).as_posix()
        if path.is_file() and not key.startswith("reports/"):
            aws.put_object(Bucket="reelrec-test", Key=f"lake/{key}", Body=path.read_bytes())
    assert main(["--lake", "s3://reelrec-test/lake", "--raw", str(built["raw"]), "--out", str(tmp_path)]) == 0
    body = aws.get_object(Bucket="reelrec-test", Key=f"lake/{PREFIX}latest.json")["Body"].read()
    report = json.loads(body)
    assert report["lake"] == "s3://reelrec-test/lake"
    for sid in ("catalog", "ratings", "content", "taste", "missing"):
        assert report["sections"][sid] == sections(built)[sid], sid
    keys = {o["Key"] for o in aws.list_objects_v2(Bucket="reelrec-test", Prefix=f"lake/{PREFIX}")["Contents"]}
    assert f"lake/{PREFIX}{report['run']}/report.html" in keys and f"lake/{PREFIX}latest.html" in keys


def test_report_on_the_real_data(shared_raw, tmp_path, capsys):
    lake = tmp_path / "lake"
    run_etl(open_store(shared_raw), open_store(lake), progress=Progress(every=0))
    assert main(["--lake", str(lake), "--raw", str(shared_raw), "--out", str(tmp_path / "out")]) == 0
    assert capsys.readouterr().err.strip().splitlines()[-1].startswith("eda: 8 sections")
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    s = report["sections"]
    assert s["catalog"]["total"] == 22_998 and s["ratings"]["count"] == 23_439
    # empty values per column as PROVENANCE.md counts them in the raw catalogs
    amazon = s["missing"]["raw"]["titles"]["amazon"]["columns"]
    assert (amazon["director"], amazon["cast"], amazon["country"], amazon["date_added"], amazon["rating"]) == (
        2082, 1233, 8996, 9513, 337)
    assert s["missing"]["raw"]["titles"]["hulu"]["columns"]["cast"] == 3073
    assert s["faults"]["repairs"]["duration_from_rating"] == {"titles/hulu_titles.csv": 292,
                                                              "titles/netflix_titles.csv": 3}
    assert s["faults"]["rows_quarantined"] == 0
    assert report["seconds"] < 30
