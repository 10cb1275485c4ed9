"""One work across services (reelrec.copies): available_on, one copy per work in ranked lists, exclusion of every
copy of a rated work, and the same rules through HybridModel.rank (what the API and the evaluation rank with)."""

from __future__ import annotations

import dataclasses

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from reelrec.copies import Copies
from reelrec.schemas import PLATFORMS

# rows: 0 netflix "thor" + 3 disney "thor" (one work), 1 hulu alone, 2 amazon + 4 hulu (one work)
WORK = np.array([0, 1, 2, 0, 2], np.int32)
IDS = np.array([b"ns1", b"hs1", b"as1", b"ds1", b"hs2"])
PLATFORM = np.array([PLATFORMS.index(p) for p in ("netflix", "hulu", "amazon", "disney", "hulu")], np.uint8)
COPIES = Copies(WORK, IDS, PLATFORM)


def test_available_on_lists_every_copy_by_platform_and_only_the_viewers_services():
    assert [a["id"] for a in COPIES.available_on(0)] == ["ds1", "ns1"]  # disney before netflix
    assert COPIES.available_on(3) == COPIES.available_on(0)
    assert COPIES.available_on(0, ("netflix", "hulu")) == [
        {"platform": "netflix", "platform_name": "Netflix", "id": "ns1"}]
    assert COPIES.available_on(1) == [{"platform": "hulu", "platform_name": "Hulu", "id": "hs1"}]
    assert COPIES.available_on(1, ("disney",)) == []


def test_of_many_expands_to_every_copy():
    assert COPIES.of_many(np.array([3])).tolist() == [0, 3]
    assert COPIES.of_many(np.array([1, 4])).tolist() == [1, 2, 4]
    assert COPIES.of_many(np.array([], np.int64)).tolist() == []


def test_one_per_work_scores_a_work_as_its_best_copy_and_shows_an_allowed_one():
    s = np.array([5.0, 1.0, 2.0, 0.5, 3.0])
    out = COPIES.one_per_work(s)
    assert out.tolist() == [5.0, 1.0, -np.inf, -np.inf, 3.0]  # best copy of each work shown
    disney_only = PLATFORMS.index("disney") == PLATFORM
    out = COPIES.one_per_work(s, disney_only)
    assert out.tolist() == [-np.inf, -np.inf, -np.inf, 5.0, -np.inf]  # the disney copy, at the work's score
    out = COPIES.one_per_work(s, np.array([True, True, False, False, False]))
    assert out.tolist() == [5.0, 1.0, -np.inf, -np.inf, -np.inf]


def test_without_shared_works_scores_are_only_masked():
    c = Copies(np.arange(4, dtype=np.int32))
    s = np.array([1.0, 2.0, 3.0, 4.0])
    assert c.one_per_work(s).tolist() == s.tolist()
    assert c.one_per_work(s, np.array([True, False, True, False])).tolist() == [1.0, -np.inf, 3.0, -np.inf]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.floats(-5, 5), st.booleans()), min_size=1, max_size=30))
def test_one_per_work_against_a_plain_python_reference(rows):
    n = len(rows)
    # work ids must be the smallest row of the group: map group labels to their first row
    first: dict[int, int] = {}
    work = np.array([first.setdefault(g, i) for i, (g, _, _) in enumerate(rows)], np.int32)
    s = np.array([r[1] for r in rows])
    allowed = np.array([r[2] for r in rows])
    out = Copies(work).one_per_work(s, allowed)
    for w in set(work.tolist()):
        members = [i for i in range(n) if work[i] == w]
        ok = [i for i in members if allowed[i]]
        shown = [i for i in members if np.isfinite(out[i])]
        if not ok:
            assert not shown
            continue
        pick = max(ok, key=lambda i: (s[i], -i))
        expected = max(s[i] for i in members) if len(members) > 1 else s[pick]
        assert shown == [pick] and out[pick] == expected


def test_hybrid_rank_holds_one_copy_per_work_and_never_a_copy_of_what_was_rated(api_models):
    from reelrec.model_artifact import ModelArtifact
    from reelrec.storage import open_store

    store = open_store(api_models)
    import json

    pointer = json.loads(store.read_bytes("current.json"))
    art = ModelArtifact.from_bytes(store.read_bytes(pointer["key"]))
    m = art.model
    n = len(art.titles)
    # make titles 0 and 1 one work, and 2 and 3 (a test of the rule, whatever the generated catalog holds)
    work = np.arange(n, dtype=np.int32)
    work[1], work[3] = 0, 2
    model = dataclasses.replace(m, work=work)
    scores = np.zeros(n)
    scores[[0, 1, 2, 3]] = [10.0, 9.0, 8.0, 7.0]
    picks = model.rank(scores, 5).tolist()
    assert 0 in picks and 1 not in picks and 2 in picks and 3 not in picks
    picks = model.rank(scores, 5, exclude=np.array([1])).tolist()  # rated the other copy: the work is gone
    assert 0 not in picks and 1 not in picks
    mask = np.ones(n, bool)
    mask[0] = False  # the better copy is on a service the viewer lacks: the other copy is shown, at its rank
    picks = model.rank(scores, 5, mask=mask).tolist()
    assert picks[:2] == [1, 2]


def test_other_copies_and_one_copy_fast_path():
    assert sorted(COPIES.others_of(np.array([3])).tolist()) == [0, 3]
    assert sorted(COPIES.others_of(np.array([1, 4])).tolist()) == [2, 4]  # hulu alone has no other copy
    assert COPIES.others_of(np.array([], np.int64)).tolist() == []
    assert COPIES.of(1).tolist() == [1] and COPIES.of(2).tolist() == [2, 4]


def test_one_per_work_in_place_gives_the_same_scores_in_the_callers_array():
    s = np.array([5.0, 1.0, 2.0, 0.5, 3.0])
    allowed = np.array([True, True, False, True, True])
    expected = COPIES.one_per_work(s, allowed)
    mine = s.copy()
    out = COPIES.one_per_work(mine, allowed, in_place=True)
    assert out is mine and out.tolist() == expected.tolist()
    assert s.tolist() == [5.0, 1.0, 2.0, 0.5, 3.0]  # the default leaves the caller's scores alone


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from([0.0, 1.0, 2.0, -np.inf, np.inf, np.nan]), st.floats(-3, 3)),
                max_size=40), st.integers(0, 45))
def test_top_n_against_a_sorted_reference(values, n):
    from reelrec.scoring import top_n

    s = np.array(values, np.float64)
    expected = sorted((i for i in range(len(s)) if np.isfinite(s[i])), key=lambda i: (-s[i], i))[:n]
    assert top_n(s, n).tolist() == expected
