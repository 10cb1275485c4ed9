"""Catalog rules, each with hand-written edge cases (docs/etl.md lists the rules)."""

from __future__ import annotations

import datetime as dt

import pytest

from etl_job.errors import FileRejected
from etl_job.titles import read_titles
from tests.rawfiles import titles_csv, write


def clean(tmp_path, *rows, platform="netflix", text=None):
    path = write(tmp_path, "t.csv", text if text is not None else titles_csv(*rows))
    return read_titles(path, platform, "titles/netflix_titles.csv")


def one(tmp_path, platform="netflix", **fields):
    res = clean(tmp_path, fields, platform=platform)
    assert res.table.num_rows == 1, res.quarantine.to_table().to_pylist()
    return res.table.to_pylist()[0], res


@pytest.mark.parametrize("platform,expected", [("amazon", "as7"), ("disney", "ds7"), ("hulu", "hs7"), ("netflix", "ns7")])
def test_id_is_platform_letter_plus_show_id(tmp_path, platform, expected):
    row, _ = one(tmp_path, platform, show_id=" S7 ")
    assert (row["id"], row["platform"], row["show_id"]) == (expected, platform, "s7")


def test_null_rating_becomes_g(tmp_path):
    row, res = one(tmp_path, rating="")
    assert row["rating"] == "g" and res.repairs["rating_null_to_g"] == 1


def test_duration_in_rating_column_moves_to_duration_and_rating_becomes_g(tmp_path):
    row, res = one(tmp_path, rating="74 min", duration="")
    assert (row["duration_int"], row["duration_type"], row["rating"]) == (74, "min", "g")
    assert res.repairs["duration_from_rating"] == 1


def test_duration_in_rating_is_left_alone_when_duration_is_present(tmp_path):
    row, res = one(tmp_path, rating="74 min", duration="80 min")
    assert (row["duration_int"], row["rating"]) == (80, "74 min")
    assert res.repairs["duration_from_rating"] == 0


def test_movie_measured_in_seasons_becomes_a_tv_show(tmp_path):
    row, res = one(tmp_path, type="Movie", rating="2 Seasons", duration="")
    assert (row["type"], row["duration_int"], row["duration_type"]) == ("tv show", 2, "season")
    assert res.repairs["movie_with_seasons"] == 1


@pytest.mark.parametrize(
    "text,expected",
    [("90 min", (90, "min")), ("1 Season", (1, "season")), ("12 Seasons", (12, "season")),
     (" 5 MIN ", (5, "min")), ("", (None, None)), ("about an hour", (None, None))],
)
def test_duration_split(tmp_path, text, expected):
    row, res = one(tmp_path, duration=text, type="TV Show" if "eason" in text else "Movie")
    assert (row["duration_int"], row["duration_type"]) == expected
    assert res.repairs["duration_unparsed"] == (1 if text == "about an hour" else 0)


@pytest.mark.parametrize(
    "text,expected",
    [("September 25, 2021", dt.date(2021, 9, 25)), ("  August 4, 2017", dt.date(2017, 8, 4)),
     ("", None), ("25/09/2021", None)],
)
def test_date_added_is_parsed_to_a_date(tmp_path, text, expected):
    row, res = one(tmp_path, date_added=text)
    assert row["date_added"] == expected
    assert res.repairs["date_added_unparsed"] == (1 if text == "25/09/2021" else 0)


def test_text_is_lower_case_trimmed_and_single_spaced(tmp_path):
    row, _ = one(
        tmp_path,
        title="  Consequences\u00a0",
        description="\u200bLine one\nline  TWO\u2028end ",
        director=" Jane  DOE ",
        cast="Ann\u00a0Lee ,  Bob  Ray,, ,Cy\u2028Z",
        country="United States, ",
        listed_in="Dramas ,Comedies",
        rating=" TV-MA ",
        type=" MOVIE ",
    )
    assert row["title"] == "consequences"
    assert row["description"] == "line one line two end"
    assert row["director"] == "jane doe"
    assert row["cast"] == "ann lee, bob ray, cy z"
    assert row["country"] == "united states"
    assert row["listed_in"] == "dramas, comedies"
    assert (row["rating"], row["type"]) == ("tv-ma", "movie")


def test_empty_text_becomes_null(tmp_path):
    row, _ = one(tmp_path, director="", cast="  ", country=" , ", description="\u200b")
    assert [row[c] for c in ("director", "cast", "country", "description")] == [None] * 4


@pytest.mark.parametrize("raw,expected", [("AGES_18_", "18+"), ("NOT_RATE", "not rated"), ("ALL_AGES", "all"),
                                          ("16", "16+"), ("13+", "13+"), ("PG-13", "pg-13")])
def test_amazon_rating_codes_are_recoded(tmp_path, raw, expected):
    row, _ = one(tmp_path, "amazon", rating=raw)
    assert row["rating"] == expected


def test_release_year_out_of_range_becomes_null(tmp_path):
    res = clean(tmp_path, {"release_year": "1999"}, {"release_year": "20X1"}, {"release_year": "3021"})
    assert res.table.column("release_year").to_pylist() == [1999, None, None]
    assert res.repairs["release_year_invalid"] == 2


def test_embedded_newlines_in_quoted_fields_are_kept_in_one_row(tmp_path):
    res = clean(tmp_path, {"title": "The Memphis Belle: A Story of a\nFlying Fortress"}, {"title": "Next"})
    assert res.table.column("title").to_pylist() == ["the memphis belle: a story of a flying fortress", "next"]


def test_bad_rows_are_quarantined_with_reasons(tmp_path):
    text = titles_csv(
        {"show_id": "s1"},
        {"show_id": "s1", "title": "again"},
        {"show_id": "", "title": "no id"},
        {"show_id": "s4", "type": "Movie Trailer"},
        {"show_id": "s5", "title": "  "},
        {"show_id": "s6"},
    ) + "s7,Movie,too few fields\n"
    res = clean(tmp_path, text=text)
    assert res.table.column("id").to_pylist() == ["ns1", "ns6"]
    assert dict(res.quarantine.counts) == {
        "duplicate_show_id": 1, "missing_show_id": 1, "unknown_type": 1, "missing_title": 1, "malformed": 1,
    }
    assert res.rows_read == 7 == res.table.num_rows + len(res.quarantine)
    records = res.quarantine.to_table().to_pylist()
    assert any('"title": "again"' in r["record"] for r in records)
    assert any(r["record"] == "s7,Movie,too few fields" for r in records)


def test_extra_column_is_ignored_and_reported(tmp_path):
    cols = ("show_id", "type", "title", "director", "cast", "country", "date_added", "release_year", "rating",
            "duration", "listed_in", "description", "score")
    res = clean(tmp_path, text=titles_csv({"score": "9"}, columns=cols))
    assert res.ignored_columns == ["score"] and res.table.num_rows == 1


def test_columns_in_another_order_and_a_bom_are_fine(tmp_path):
    cols = tuple(reversed(titles_csv().strip().split(",")))
    res = clean(tmp_path, text="\ufeff" + titles_csv({"title": "X"}, columns=cols))
    assert res.table.column("title").to_pylist() == ["x"]


@pytest.mark.parametrize(
    "text,message",
    [
        ("", "empty file"),
        ("show_id,type\n", "missing column"),
        (titles_csv({}).replace("listed_in", "genres"), r"missing column\(s\) listed_in; found unexpected genres"),
        (titles_csv(), "no data rows"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "binary"),
        (titles_csv({}).encode().replace(b"A Title", b"A \xff Title"), "UTF-8"),
        (b"\xfeshow_id,type\n", "not UTF-8"),
    ],
)
def test_whole_file_problems_reject_the_file_with_a_message(tmp_path, text, message):
    with pytest.raises(FileRejected, match=message):
        clean(tmp_path, text=text)


@pytest.mark.parametrize("text", ["February 30, 2021", "September 31, 2021", "September 5, 21", "September 5,2021",
                                  "Smarch 5, 2021", "5 September 2021"])
def test_impossible_or_oddly_shaped_dates_are_not_rolled_over(tmp_path, text):
    row, res = one(tmp_path, date_added=text)
    assert row["date_added"] is None and res.repairs["date_added_unparsed"] == 1


def test_every_unicode_white_space_folds(tmp_path):
    row, _ = one(tmp_path, title="a\x0bb\x85c\u3000d\te")
    assert row["title"] == "a b c d e"
