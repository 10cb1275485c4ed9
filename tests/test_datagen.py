"""Tests of the seeded raw-data generator: determinism, formats, exact fault counts, ratings structure."""

from __future__ import annotations

import csv
import io
import json
import re
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from datagen import PRESETS, generate
from datagen.__main__ import main
from datagen.ratings import TitleTraits, sample_ratings
from datagen.vocab import THEMES

TITLE_HEADER = "show_id,type,title,director,cast,country,date_added,release_year,rating,duration,listed_in,description"
RATING_HEADER = "userId,rating,timestamp,movieId"
TITLE_KEYS = ("titles/amazon_prime_titles.csv", "titles/disney_plus_titles.csv", "titles/hulu_titles.csv",
              "titles/netflix_titles.csv")
LETTER = {"titles/amazon_prime_titles.csv": "a", "titles/disney_plus_titles.csv": "d",
          "titles/hulu_titles.csv": "h", "titles/netflix_titles.csv": "n"}
DURATION_RE = re.compile(r"^\d+ (min|Seasons?)$")
TS_2015, TS_2022 = 1420070400, 1640995200


def read_records(path: Path) -> list[list[str]]:
    """Parse a CSV file with Python's csv module (header included)."""
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def title_ids(root: Path) -> set[str]:
    """Lake ids of the well-formed, known-type, non-duplicated title rows (independent re-derivation)."""
    ids: set[str] = set()
    for key in TITLE_KEYS:
        rows = read_records(root / key)[1:]
        counts = Counter(r[0] for r in rows)
        for r in rows:
            if len(r) == 12 and r[1] in ("Movie", "TV Show") and counts[r[0]] == 1:
                ids.add(LETTER[key] + r[0])
    return ids


def classify(row: list[str], known: set[str]) -> str | None:
    """Return the fault reason of a ratings row, or None if it is acceptable after normalisation."""
    if len(row) != 4:
        return "malformed"
    user, score, stamp, movie = row
    if not re.fullmatch(r"[1-9]\d*", user):
        return "bad_user_id"
    try:
        value = float(score)
    except ValueError:
        return "bad_score"
    if not (0.5 <= value <= 5.0 and value * 2 == int(value * 2)):
        return "score_out_of_range"
    if not re.fullmatch(r"\d+", stamp):
        return "bad_timestamp"
    if movie.strip().lower() not in known:
        return "unknown_title_id"
    return None


def clean_ratings(root: Path, summary: dict) -> list[tuple[int, str, float, int]]:
    """All acceptable ratings (user, title id, score, timestamp) across the files, in file order."""
    known = title_ids(root)
    out = []
    for key in sorted((k for k in summary["rows"] if k.startswith("ratings/")), key=lambda k: int(k[8:-4])):
        for row in read_records(root / key)[1:]:
            if classify(row, known) is None:
                out.append((int(row[0]), row[3].strip().lower(), float(row[1]), int(row[2])))
    return out


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> tuple[Path, dict]:
    """One tiny raw area shared by the read-only tests."""
    root = tmp_path_factory.mktemp("raw-tiny")
    return root, generate(str(root), "tiny", seed=0)


def all_files(root: Path) -> dict[str, bytes]:
    """Every file below ``root`` by relative path."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_tiny_is_fast_and_deterministic(tiny, tmp_path):
    """Same seed and preset give byte-identical files, and tiny stays under a second."""
    root, _ = tiny
    start = time.perf_counter()
    generate(str(tmp_path), "tiny", seed=0)
    assert time.perf_counter() - start < 1.0
    assert all_files(tmp_path) == all_files(root)


def test_other_seed_gives_other_data(tiny, tmp_path):
    """A different seed changes the data."""
    root, _ = tiny
    generate(str(tmp_path), "tiny", seed=1)
    for key in (*TITLE_KEYS, "ratings/1.csv"):
        assert (tmp_path / key).read_bytes() != (root / key).read_bytes()


def test_files_headers_and_encoding(tiny):
    """Exactly the expected keys, exact headers, UTF-8 without BOM, LF endings."""
    root, summary = tiny
    assert set(all_files(root)) == {*summary["rows"], "_generated.json"}
    for key in summary["rows"]:
        data = (root / key).read_bytes()
        text = data.decode("utf-8")
        assert not text.startswith("\ufeff") and "\r" not in text and text.endswith("\n")
        assert text.split("\n", 1)[0] == (TITLE_HEADER if key.startswith("titles/") else RATING_HEADER)


def test_row_counts_match_summary(tiny):
    """Record counts (csv module) equal the summary, which is also stored as _generated.json."""
    root, summary = tiny
    assert len(summary["rows"]) == 4 + PRESETS["tiny"]["files"]
    for key, n in summary["rows"].items():
        assert len(read_records(root / key)) - 1 == n
    assert sum(n for k, n in summary["rows"].items() if k.startswith("ratings/")) == summary["ratings"]["rows"]
    assert json.loads((root / "_generated.json").read_text(encoding="utf-8")) == summary


def test_title_faults_are_exact(tiny):
    """Each titles file has exactly one malformed, one duplicate-id and one unknown-type row."""
    root, summary = tiny
    for key in TITLE_KEYS:
        rows = read_records(root / key)[1:]
        ids = [r[0] for r in rows]
        found = {
            "malformed": sum(len(r) != 12 for r in rows),
            "duplicate_show_id": len(ids) - len(set(ids)),
            "unknown_type": sum(len(r) == 12 and r[1] not in ("Movie", "TV Show") for r in rows),
        }
        assert found == summary["faults"][key] == {"malformed": 1, "duplicate_show_id": 1, "unknown_type": 1}
        assert set(ids) == {f"s{i}" for i in range(1, len(rows))}  # s1..sN plus one repeat
        platform = {"a": "amazon", "d": "disney", "h": "hulu", "n": "netflix"}[LETTER[key]]
        assert summary["titles_per_platform"][platform] == len(rows) - 3


def test_repairs_are_exact(tiny):
    """Durations sitting in `rating` are counted exactly, so the ETL repairs can be checked."""
    root, summary = tiny
    for key in TITLE_KEYS:
        rows = [r for r in read_records(root / key)[1:] if len(r) == 12]
        shifted = [r for r in rows if r[1] == "Movie" and r[9] == "" and DURATION_RE.match(r[8])]
        seasons = [r for r in shifted if "Season" in r[8]]
        assert summary["repairs_expected"][key] == {"duration_from_rating": len(shifted),
                                                    "movie_with_seasons": len(seasons)}
        for r in rows:  # no other row has a duration in the rating column
            assert r in shifted or not DURATION_RE.match(r[8])
    assert summary["repairs_expected"]["titles/hulu_titles.csv"]["movie_with_seasons"] >= 1
    assert summary["repairs_expected"]["titles/netflix_titles.csv"]["duration_from_rating"] >= 1


def test_title_realism(tiny):
    """The real files' quirks are present: empty hulu people, NBSPs, odd codes, newlines."""
    root, _ = tiny
    hulu = [r for r in read_records(root / "titles/hulu_titles.csv")[1:] if len(r) == 12]
    assert all(r[3] == "" and r[4] == "" for r in hulu)
    netflix = [r for r in read_records(root / "titles/netflix_titles.csv")[1:] if len(r) == 12]
    assert sum(r[2].endswith("\u00a0") for r in netflix) == 1
    assert any(r[6].startswith(" ") for r in netflix)
    amazon = [r for r in read_records(root / "titles/amazon_prime_titles.csv")[1:] if len(r) == 12]
    assert {"AGES_18_", "NOT_RATE", "AGES_16_", "ALL_AGES", "16"} <= {r[8] for r in amazon}
    assert sum(r[5] == "" for r in amazon) > 0.8 * len(amazon)
    assert any("\u2028" in r[4] for r in amazon) and any("  " in r[4] for r in amazon)
    assert any("\n" in r[11] for r in amazon) and any("\u00a0" in r[11] for r in amazon)
    for rows in (hulu, netflix, amazon):
        for r in rows:
            assert 1920 <= int(r[7]) <= 2021
            assert r[9] == "" or DURATION_RE.match(r[9])
            assert 1 <= len(r[10].split(", ")) <= 5


def test_rating_faults_are_exact(tiny):
    """An independent validator finds exactly the injected faults and messy-but-valid rows."""
    root, summary = tiny
    known = title_ids(root)
    for key in (k for k in summary["rows"] if k.startswith("ratings/")):
        rows = read_records(root / key)[1:]
        found = Counter(classify(r, known) for r in rows)
        expected = summary["faults"][key]
        assert set(expected) == {"malformed", "bad_user_id", "bad_score", "score_out_of_range", "bad_timestamp",
                                 "unknown_title_id"}
        assert all(v >= 1 for v in expected.values())
        assert {k: found.get(k, 0) for k in expected} == expected
        messy = summary["messy_valid"][key]
        good = [r for r in rows if classify(r, known) is None]
        assert sum(r[3] != r[3].strip() for r in good) == messy["padded_id"]
        assert sum(r[3] == r[3].strip() and r[3] != r[3].lower() for r in good) == messy["upper_case_id"]
        assert sum("." not in r[1] for r in good) == messy["integer_score"]


def test_clean_ratings_structure(tiny):
    """Clean ratings reference real titles, are unique per (user, title) and ordered in time."""
    root, summary = tiny
    ratings = clean_ratings(root, summary)
    assert len(ratings) == summary["ratings"]["clean"]
    known = title_ids(root)
    assert {t for _, t, _, _ in ratings} <= known
    pairs = [(u, t) for u, t, _, _ in ratings]
    assert len(pairs) == len(set(pairs))
    assert all(TS_2015 <= ts < TS_2022 for *_, ts in ratings)
    stamps = [ts for *_, ts in ratings]
    assert stamps == sorted(stamps)  # files are consecutive chunks of one time-sorted feed
    last: dict[int, int] = {}
    for u, _, _, ts in ratings:
        assert ts > last.get(u, 0)
        last[u] = ts
    assert {s for _, _, s, _ in ratings} <= {x / 2 for x in range(1, 11)}


def test_small_preset_once(tmp_path):
    """The small preset is fast and has the long-tailed structure a recommender can learn."""
    start = time.perf_counter()
    summary = generate(str(tmp_path), "small", seed=3)
    assert time.perf_counter() - start < 5.0
    assert 140_000 <= summary["ratings"]["rows"] <= 150_000
    ratings = clean_ratings(tmp_path, summary)
    per_title = Counter(t for _, t, _, _ in ratings)
    n_titles = sum(summary["titles_per_platform"].values())
    assert 0.35 < 1 - len(per_title) / n_titles < 0.65  # about half the titles are never rated
    top = sum(c for _, c in per_title.most_common(n_titles // 100))
    assert top > 0.05 * len(ratings)  # long tail: the top 1% of titles get a big share
    per_user = Counter(u for u, _, _, _ in ratings)
    assert len(per_user) == 3000 and max(per_user.values()) > 5 * sorted(per_user.values())[1500]
    mean = sum(s for _, _, s, _ in ratings) / len(ratings)
    assert 3.2 < mean < 4.0


def test_without_faults_everything_is_valid(tmp_path):
    """faults=False writes only valid rows (the realism quirks stay)."""
    summary = generate(str(tmp_path), "tiny", seed=5, faults=False, files=3, users=30, ratings=900)
    assert all(v == 0 for counts in summary["faults"].values() for v in counts.values())
    assert summary["ratings"]["clean"] == summary["ratings"]["rows"]
    assert len(clean_ratings(tmp_path, summary)) == summary["ratings"]["rows"]
    for key in TITLE_KEYS:
        rows = read_records(tmp_path / key)[1:]
        assert all(len(r) == 12 for r in rows) and len({r[0] for r in rows}) == len(rows)


def test_bad_overrides_are_rejected(tmp_path):
    """Unknown presets, overrides and bad values raise ValueError."""
    with pytest.raises(ValueError, match="unknown preset"):
        generate(str(tmp_path), "huge")
    with pytest.raises(ValueError, match="unknown override"):
        generate(str(tmp_path), "tiny", colour="red")
    with pytest.raises(ValueError, match="users"):
        generate(str(tmp_path), "tiny", users=0)
    with pytest.raises(ValueError, match="titles_fraction"):
        generate(str(tmp_path), "tiny", titles_fraction=0)
    with pytest.raises(ValueError, match="seed"):
        generate(str(tmp_path), "tiny", seed=-1)


def test_cli(tmp_path, capsys):
    """The CLI logs one line (stderr, stdout stays empty) on success and exits 2 on bad arguments."""
    assert main(["--raw", str(tmp_path), "--preset", "tiny", "--seed", "2"]) == 0
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and "preset=tiny" in captured.err and not captured.out
    assert (tmp_path / "ratings" / "2.csv").is_file()
    for bad in (["--preset", "huge"], ["--seed", "x"], ["--seed", "-1"], ["--users", "0", "--raw", str(tmp_path)]):
        with pytest.raises(SystemExit) as exc:
            main(bad)
        assert exc.value.code == 2


def test_cli_default_raw_uses_config(tmp_path, monkeypatch, capsys):
    """Without --raw the CLI writes to reelrec.config's raw area."""
    monkeypatch.setenv("REELREC_RAW", str(tmp_path / "raw"))
    assert main(["--preset", "tiny"]) == 0
    assert (tmp_path / "raw" / "titles" / "hulu_titles.csv").is_file()
    capsys.readouterr()


def test_writes_through_s3_store(tiny, monkeypatch):
    """Generating into s3:// (moto) writes the same bytes and keys as locally."""
    from moto import mock_aws

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    root, summary = tiny
    with mock_aws():
        import boto3

        s3 = boto3.client("s3")
        s3.create_bucket(Bucket="raw-bucket")
        assert generate("s3://raw-bucket/area", "tiny", seed=0) == summary
        keys = {o["Key"] for o in s3.list_objects_v2(Bucket="raw-bucket")["Contents"]}
        assert keys == {f"area/{k}" for k in (*summary["rows"], "_generated.json")}
        body = s3.get_object(Bucket="raw-bucket", Key="area/ratings/1.csv")["Body"].read()
        assert body == (root / "ratings" / "1.csv").read_bytes()
        assert next(csv.reader(io.StringIO(body.decode()))) == RATING_HEADER.split(",")


def _same_user_share(users: np.ndarray, values: np.ndarray) -> tuple[float, float]:
    """How often two ratings of one user share ``values`` (e.g. the lead performer; the mean over users with 10
    such ratings or more), and two random ratings do."""
    shares = []
    for u in np.unique(users):
        _, c = np.unique(values[users == u], return_counts=True)
        if c.sum() >= 10:
            shares.append(float((c * (c - 1)).sum()) / float(c.sum() * (c.sum() - 1)))
    _, c = np.unique(values, return_counts=True)
    p = c / c.sum()
    return float(np.mean(shares)), float((p**2).sum())


def test_generated_tastes_depend_on_content():
    """Issue 12 item 5: who rates a title, and how, follows its performers, era and audience (as for real viewers),
    and the titles added last are rated last (new releases)."""
    rng = np.random.default_rng(0)
    n = 2000
    theme_mask = (1 << rng.integers(0, len(THEMES), n)).astype(np.int32)
    star = np.where(rng.random(n) < 0.7, rng.integers(0, 200, n), -1)
    year = rng.integers(1960, 2022, n)
    kid_safe = rng.random(n) < 0.3
    added = rng.permutation(n)
    r = sample_ratings(theme_mask, np.ones(n, bool), TitleTraits(star, year, kid_safe, added), 1500, 45_000, rng)
    users, titles, score = r.user, r.title.astype(np.int64), r.half / 2
    led = star[titles] >= 0
    same, chance = _same_user_share(users[led], star[titles][led])
    assert same > 2 * chance, (same, chance)  # a viewer keeps to their performers
    by_user_year = {u: year[titles[users == u]] for u in np.unique(users)[:400]}
    spread = np.median([y.std() for y in by_user_year.values() if len(y) >= 10])
    assert spread < 0.9 * year[np.unique(titles)].std(), spread  # and, less, to an era (hits are watched anyway)
    kid_share = np.array([kid_safe[titles[users == u]].mean() for u in np.unique(users)])
    assert 0.06 < (kid_share >= 0.9).mean() < 0.25  # about KIDS_VIEWERS watch for children only
    assert score[kid_safe[titles] & np.isin(users, np.flatnonzero(kid_share >= 0.9) + 1)].mean() > score.mean()
    recent = added >= np.quantile(added[np.unique(titles)], 0.95)
    position = np.concatenate([np.linspace(0, 1, int((users == u).sum())) for u in np.unique(users)])
    order = np.lexsort((r.ts, users))  # each user's ratings in time order
    assert position[recent[titles[order]]].mean() > 0.85  # new titles come last in a viewer's history
