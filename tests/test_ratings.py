"""Ratings rules, each with hand-written edge cases, plus streaming and fast/slow path agreement."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from etl_job import ratings as ratings_mod
from etl_job.errors import FileRejected
from etl_job.quarantine import Quarantine
from etl_job.ratings import clean_batch, clean_ratings
from tests.rawfiles import ratings_csv, write

IDS = pa.array(["ns1", "ns2", "hs10"])
TS = 1_600_000_000  # 2020-09-13


def run(tmp_path, text):
    path = write(tmp_path, "r.csv", text)
    out = tmp_path / "out.parquet"
    res = clean_ratings(path, out, IDS, "ratings/r.csv")
    return pq.read_table(out), res


def test_valid_rows_are_typed_and_dated(tmp_path):
    table, res = run(tmp_path, ratings_csv((7, "4.5", TS, "ns1"), (8, "1.0", 0, "hs10")))
    assert table.to_pylist() == [
        {"user_id": 7, "title_id": "ns1", "score": 4.5, "timestamp": TS, "date": dt.date(2020, 9, 13)},
        {"user_id": 8, "title_id": "hs10", "score": 1.0, "timestamp": 0, "date": dt.date(1970, 1, 1)},
    ]
    assert (res.rows_read, res.rows_written, len(res.quarantine)) == (2, 2, 0)


def test_messy_but_valid_values_are_accepted(tmp_path):
    table, _ = run(tmp_path, ratings_csv((" 7 ", "4", f" {TS}", " NS2 "), ("007", " 5.0 ", TS, "Hs10"),
                                         ("+8", "+3.5", f"+{TS}", "ns1")))
    assert table.column("title_id").to_pylist() == ["ns2", "hs10", "ns1"]
    assert table.column("user_id").to_pylist() == [7, 7, 8]
    assert table.column("score").to_pylist() == [4.0, 5.0, 3.5]
    assert table.column("timestamp").to_pylist() == [TS] * 3


@pytest.mark.parametrize(
    "row,reason",
    [
        (("abc", "4", TS, "ns1"), "bad_user_id"),
        (("-4", "4", TS, "ns1"), "bad_user_id"),
        (("0", "4", TS, "ns1"), "bad_user_id"),
        (("", "4", TS, "ns1"), "bad_user_id"),
        (("1", "four", TS, "ns1"), "bad_score"),
        (("1", "", TS, "ns1"), "bad_score"),
        (("1", "nan", TS, "ns1"), "bad_score"),
        (("1", "0", TS, "ns1"), "score_out_of_range"),
        (("1", "0.4", TS, "ns1"), "score_out_of_range"),
        (("1", "5.5", TS, "ns1"), "score_out_of_range"),
        (("1", "-1", TS, "ns1"), "score_out_of_range"),
        (("1", "inf", TS, "ns1"), "score_out_of_range"),
        (("1", "4", "yesterday", "ns1"), "bad_timestamp"),
        (("1", "4", "", "ns1"), "bad_timestamp"),
        (("1", "4", "-5", "ns1"), "timestamp_out_of_range"),
        (("1", "4", 4_000_000_000, "ns1"), "timestamp_out_of_range"),
        (("1", "4", TS, "ns999"), "unknown_title_id"),
        (("1", "4", TS, ""), "unknown_title_id"),
        (("1", "4", TS, "s1"), "unknown_title_id"),
    ],
)
def test_bad_values_are_quarantined_with_their_reason(tmp_path, row, reason):
    table, res = run(tmp_path, ratings_csv((5, "3.5", TS, "ns2"), row))
    assert table.column("title_id").to_pylist() == ["ns2"]
    assert dict(res.quarantine.counts) == {reason: 1}
    record = json.loads(res.quarantine.to_table().column("record")[0].as_py())
    assert record == dict(zip(("userId", "rating", "timestamp", "movieId"), map(str, row), strict=True))


def test_boundaries_are_inclusive(tmp_path):
    table, res = run(tmp_path, ratings_csv((1, "0.5", TS, "ns1"), (1, "5.0", TS, "ns2")))
    assert table.num_rows == 2 and not res.quarantine.counts


def test_malformed_lines_are_quarantined_with_their_line_number(tmp_path):
    text = ratings_csv((1, "4", TS, "ns1")) + "2,4.0,123\n3,4.0,123,ns1,extra\n" + "4,4.0,123,ns2\n"
    table, res = run(tmp_path, text)
    assert table.column("user_id").to_pylist() == [1, 4]
    rows = res.quarantine.to_table().to_pylist()
    assert [(r["reason"], r["line"], r["record"]) for r in rows] == [
        ("malformed", 3, "2,4.0,123"), ("malformed", 4, "3,4.0,123,ns1,extra"),
    ]
    assert res.rows_read == 4 == res.rows_written + len(res.quarantine)


def test_streams_in_batches_with_bounded_memory(tmp_path, monkeypatch):
    monkeypatch.setattr(ratings_mod, "BLOCK_SIZE", 1 << 10)
    rows = [(u, "4.5" if u % 7 else "9", TS + u, "ns1" if u % 2 else "ns2") for u in range(1, 3001)]
    table, res = run(tmp_path, ratings_csv(*rows))
    assert pq.ParquetFile(tmp_path / "out.parquet").num_row_groups > 10
    assert res.rows_read == 3000
    assert res.quarantine.counts == {"score_out_of_range": 428}
    assert table.num_rows == 3000 - 428 and table.column("user_id").to_pylist()[:3] == [1, 2, 3]


@pytest.mark.parametrize("text,message", [
    ("", "empty file"),
    ("userId,rating,timestamp\n1,4,5\n", "missing column.*movieId"),
    ("user,rating,timestamp,movieId\n", "missing column.*userId.*unexpected user"),
    ("userId,rating,timestamp,movieId\n", "no data rows"),
])
def test_whole_file_problems(tmp_path, text, message):
    with pytest.raises(FileRejected, match=message):
        run(tmp_path, text)


VALUE = st.one_of(
    st.sampled_from(["4", "4.5", " 3 ", "-1", "0", "5.0001", "1e0", "nan", "inf", "", "x", "+2", "1e999", ".5"]),
    st.text(alphabet="0123456789.-+e x", max_size=6),
)


@settings(max_examples=300, deadline=None)
@given(user=VALUE, score=VALUE, ts=VALUE)
def test_verdict_of_a_row_does_not_depend_on_its_batch_neighbours(user, score, ts):
    """The fast cast (clean batch) and the slow path (batch with junk) must agree on every row."""
    alone = pa.RecordBatch.from_pydict({"userId": [user], "rating": [score], "timestamp": [ts], "movieId": ["ns1"]})
    with_junk = pa.RecordBatch.from_pydict(
        {"userId": [user, "junk"], "rating": [score, "junk"], "timestamp": [ts, "junk"], "movieId": ["ns1", "ns1"]}
    )
    qa, qb = Quarantine("a"), Quarantine("b")
    a = clean_batch(alone, IDS, 2_000_000_000, qa)
    b = clean_batch(with_junk, IDS, 2_000_000_000, qb)
    assert a.to_pylist() == b.to_pylist()
    assert qa.counts == qb.counts - Counter(bad_user_id=1)


def test_bytes_that_are_not_utf8_cost_their_row_only(tmp_path):
    text = ratings_csv((1, "4.0", TS, "ns1")).encode() + b"2,4.0,1600000000,ns\xe91\n" + b"3,5.0,1600000000,ns2\n"
    table, res = run(tmp_path, text)
    assert table.column("user_id").to_pylist() == [1, 3]
    record = json.loads(res.quarantine.to_table().column("record")[0].as_py())
    assert res.quarantine.counts == {"unknown_title_id": 1} and record["movieId"] == "ns\ufffd1"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".utf8.csv")] == []
