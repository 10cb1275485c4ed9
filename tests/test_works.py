"""One work across services (etl_job.works): the grouping rule on hand-made rows and on the real catalogs, whose
counts docs/works.md quotes."""

from __future__ import annotations

import collections

import numpy as np
import pyarrow as pa
import pytest

from etl_job.works import group_works, title_key

COLUMNS = ("id", "platform", "type", "title", "director", "cast", "release_year", "duration_int", "duration_type")


def table(*rows: tuple) -> pa.Table:
    """Rows of (id, platform, type, title, director, cast, year, minutes); duration_type follows the type."""
    full = [r + (("min" if r[2] == "movie" else "season"),) for r in rows]
    return pa.table({c: [r[i] for r in full] for i, c in enumerate(COLUMNS)})


@pytest.mark.parametrize("a, b", [
    ("marvel studios' thor: ragnarok", "thor: ragnarok"), ("disney's the little mermaid", "the little mermaid"),
    ("casablanca (black & white version)", "casablanca"), ("wayne (4k uhd)", "wayne"),
    ("blade runner (director's cut)", "blade runner"), ("halloween (2018)", "halloween"),
    ("pokémon: the first movie", "pokemon the first movie"), ("spider-man", "spider man"),
    ("pretty woman (plus bonus content)", "pretty woman"), ("x (plus bonus features)", "x"),
])
def test_brand_prefixes_edition_suffixes_and_spelling_do_not_matter(a, b):
    assert title_key(a, 2018) == title_key(b, 2018)


@pytest.mark.parametrize("a, b", [("baahubali (tamil)", "baahubali (hindi)"), ("halloween (1978)", "halloween"),
                                  ("cars", "cars 2"), ("the office (uk)", "the office (us)")])
def test_language_versions_other_years_and_sequels_keep_their_own_key(a, b):
    assert title_key(a, 2018) != title_key(b, 2018)


def test_same_work_on_two_services_is_one_work_with_the_smallest_row_as_id():
    t = table(("ds1", "disney", "movie", "marvel studios' thor: ragnarok", "taika waititi", "chris hemsworth", 2017, 130),
              ("hs1", "hulu", "movie", "alone", None, None, 2020, 90),
              ("ns1", "netflix", "movie", "thor: ragnarok", "taika waititi", None, 2017, 131))
    assert group_works(t).tolist() == [0, 1, 0]


@pytest.mark.parametrize("other, merged", [
    (("ns2", "netflix", "movie", "halloween", "david gordon green", None, 2018, 106), True),  # same director
    (("ns2", "netflix", "movie", "halloween", "john carpenter", None, 2018, 106), False),  # directors disagree
    (("ns2", "netflix", "movie", "halloween", "john carpenter", "a, b", 2018, 106), True),  # ... but 2 cast agree
    (("ns2", "netflix", "tv show", "halloween", "david gordon green", None, 2018, 1), False),  # another type
    (("ns2", "netflix", "movie", "halloween", "david gordon green", None, 1978, 91), False),  # a remake's year
    (("ns2", "netflix", "movie", "halloween", None, None, 2018, 106), True),  # nothing to compare, same length
    (("ns2", "netflix", "movie", "halloween", None, None, 2018, 113), False),  # nothing to compare, 7 min apart
    (("ns2", "netflix", "movie", "halloween", None, None, 2019, 105), True),  # a year apart, same length
    (("ns2", "netflix", "movie", "halloween", None, None, 2019, 100), False),  # a year apart, other length
    (("ns2", "netflix", "movie", "halloween", "david gordon green", None, 2019, 90), True),  # a year apart, director
    (("ns2", "netflix", "movie", "halloween", None, None, None, 106), False),  # no year: never
])
def test_confirmation_rules(other, merged):
    t = table(("as1", "amazon", "movie", "halloween", "david gordon green", "a, b, c", 2018, 106), other)
    assert (group_works(t).tolist() == [0, 0]) is merged


def test_cast_decides_when_no_director_is_listed():
    base = ("as1", "amazon", "tv show", "merlin", None, "colin morgan, bradley james", 2008, 5)
    assert group_works(table(base, ("ns1", "netflix", "tv show", "merlin", None, "colin morgan", 2008, 5))).tolist() == [0, 0]
    assert group_works(table(base, ("ns1", "netflix", "tv show", "merlin", None, "someone else", 2008, 5))).tolist() == [0, 1]
    assert group_works(table(base, ("hs1", "hulu", "tv show", "merlin", None, None, 2008, 5))).tolist() == [0, 0]


def test_generated_catalog_groups_only_consistent_rows(api_lake):
    import pyarrow.dataset as ds

    t = ds.dataset(api_lake / "titles").to_table().sort_by("id")
    work = group_works(t)
    assert (work <= np.arange(len(work))).all() and (work[work] == work).all()  # ids are the groups' first rows
    rows = t.to_pylist()
    for w in np.unique(work[work != np.arange(len(work))]):
        members = [rows[i] for i in np.flatnonzero(work == w)]
        assert len({(m["type"], title_key(m["title"], m["release_year"])) for m in members}) == 1


# -- the real catalogs ----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def real(tmp_path_factory) -> tuple[list[dict], np.ndarray]:
    from etl_job.titles import read_titles
    from reelrec.schemas import PLATFORM_FILES
    from tests.conftest import SHARED_RAW

    if not (SHARED_RAW / "titles").is_dir():
        pytest.skip(f"real data not found at {SHARED_RAW} (../shared/data is absent beside this checkout)")
    tables = [read_titles(SHARED_RAW / "titles" / f"{stem}.csv", p, f"titles/{stem}.csv").table
              for stem, p in PLATFORM_FILES.items()]
    t = pa.concat_tables(tables).sort_by("id")
    return t.to_pylist(), group_works(t)


def _work_of(real, title_id: str) -> int:
    rows, work = real
    return int(work[next(i for i, r in enumerate(rows) if r["id"] == title_id)])


@pytest.mark.parametrize("a, b", [("ds686", "ns8581"),  # Marvel Studios' Thor: Ragnarok / Thor: Ragnarok
                                  ("as9097", "ns947"),  # Stargate
                                  ("hs1365", "ns8068"),  # Spider-Man 3 (hulu lists no people)
                                  ("as3099", "ns328"),  # Beowulf
                                  ("as366", "as367"),  # Think Like a Dog (4K UHD) / Think Like a Dog
                                  ("as7016", "ns7524")])  # Mud (2013 on amazon, 2012 on netflix; same director)
def test_real_copies_are_one_work(real, a, b):
    assert _work_of(real, a) == _work_of(real, b)


@pytest.mark.parametrize("a, b", [("as1285", "ds1144"),  # Pollyanna 1920 / 1960
                                  ("as1476", "ds1106"),  # Noelle 2007 / 2019
                                  ("as1378", "ns4192"),  # Pari 2018, two films by two directors
                                  ("hs1574", "ns5675"),  # Merlin 2008 (hulu) / Merlin 2012: years 4 apart
                                  ("hs1725", "ns5477"),  # Blame (a drama, 99 min) / BLAME! (an anime, 106 min)
                                  ("as1718", "as1722")])  # Master (Telugu) / Master (Malayalam): language versions
def test_real_different_works_stay_apart(real, a, b):
    assert _work_of(real, a) != _work_of(real, b)


def test_real_catalog_counts_quoted_in_the_docs(real):
    rows, work = real
    groups = collections.defaultdict(list)
    for i, w in enumerate(work.tolist()):
        groups[w].append(i)
    multi = [g for g in groups.values() if len(g) > 1]
    cross = [g for g in multi if len({rows[i]["platform"] for i in g}) > 1]
    assert (len(rows), len(multi), sum(map(len, multi)), len(cross)) == (22998, 557, 1134, 472)
