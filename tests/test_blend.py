"""The coverage-aware blend (issue 12, item 1): the genre weight follows how much of a request the collaborative side
has seen (the history's titles and what a filter leaves), in the one scorer the evaluation and the API share."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from model_training import registry
from model_training.features import genre_tokens
from reelrec.model_artifact import ModelArtifact
from reelrec.schemas import CONTENT_BLOCKS
from reelrec.storage import open_store

GENRE = CONTENT_BLOCKS.index("genre")


@pytest.fixture(scope="module")
def artifact(api_models) -> ModelArtifact:
    store = open_store(api_models)
    return ModelArtifact.from_bytes(store.read_bytes(registry.current(store)["key"]))


def ratings_of(artifact: ModelArtifact) -> np.ndarray:
    return np.rint(np.expm1(artifact.model.pop_prior.astype(np.float64)))


def one_genre(artifact: ModelArtifact, rows: np.ndarray) -> tuple[int, np.ndarray]:
    """The genre most of ``rows`` carry, and those rows."""
    t = artifact.titles
    per_title = np.repeat(np.arange(len(t)), np.diff(t.genre_indptr))
    chosen = np.isin(per_title, rows)
    genre = int(np.bincount(t.genre_indices[chosen]).argmax())
    return genre, np.intersect1d(per_title[chosen & (t.genre_indices == genre)], rows)


def genre_share(artifact: ModelArtifact, genre: int, picks: np.ndarray) -> float:
    t = artifact.titles
    return float(np.mean([genre in t.genre_indices[t.genre_indptr[p]:t.genre_indptr[p + 1]] for p in picks]))


def test_the_trained_model_uses_the_blend(artifact):
    m = artifact.model
    assert m.known_ratings > 0 and m.unknown_genre > 0


def test_a_history_the_collaborative_side_knows_keeps_the_tuned_blend(artifact):
    m = artifact.model
    known = np.flatnonzero(ratings_of(artifact) >= m.known_ratings)[:6]
    scores = np.array([5, 4, 4.5, 2, 5, 3], np.float32)
    assert m.coverage(known) == 1.0 and m.coverage(known, np.ones(len(artifact), bool)) == pytest.approx(1.0)
    off = dataclasses.replace(m, focus_genre=0.0)
    assert np.array_equal(off.blend_weights(known, scores), m.block_weight)
    x = m.fold_in([(known, scores)])[0]
    weights = m.blend_weights(known, scores)
    plain = x @ m.item_factors.T + np.float32(m.pop_weight) * m.pop_prior + m.content_scores(known, scores, weights)
    assert np.allclose(m.score_new([(known, scores)])[0], plain, atol=1e-4)


def test_coverage_counts_training_ratings_up_to_known_ratings(artifact):
    m = artifact.model
    n = ratings_of(artifact)
    unrated, known, once = (int(np.flatnonzero(c)[i]) for c, i in ((n == 0, 0), (n >= m.known_ratings, 0),
                                                                  (n >= m.known_ratings, 1)))
    prior = m.pop_prior.copy()
    prior[once] = np.log1p(1.0)  # a title rated once
    assert dataclasses.replace(m, pop_prior=prior).coverage(np.array([once])) == pytest.approx(1 / m.known_ratings)
    assert m.coverage(np.array([unrated])) == 0.0
    assert m.coverage(np.array([known, unrated])) == pytest.approx(0.5)
    off = dataclasses.replace(m, focus_genre=0.0)  # the coverage term alone
    both = np.array([known, unrated])
    assert off.blend_weights(both, np.full(2, 5.0))[GENRE] == pytest.approx(m.block_weight[GENRE] + m.unknown_genre / 2)
    assert dataclasses.replace(m, known_ratings=0.0).coverage(np.array([unrated])) == 1.0  # off


def test_an_unseen_history_follows_its_genre(artifact):
    """Five titles nobody rated, of one genre: the collaborative side knows nothing, the genres carry the list."""
    m = artifact.model
    genre, rows = one_genre(artifact, np.flatnonzero(~m.rated))
    items, scores = rows[:5], np.full(5, 5.0, np.float32)
    assert m.coverage(items) == 0.0
    off = dataclasses.replace(m, focus_genre=0.0)
    assert off.blend_weights(items, scores)[GENRE] == pytest.approx(m.block_weight[GENRE] + m.unknown_genre)
    blended = m.rank(m.score_new([(items, scores)])[0], 10, exclude=items)
    off = dataclasses.replace(m, unknown_genre=0.0, focus_genre=0.0)
    before = off.rank(off.score_new([(items, scores)])[0], 10, exclude=items)
    assert genre_share(artifact, genre, blended) >= max(0.8, genre_share(artifact, genre, before))


def test_a_filter_to_titles_it_hardly_knows_leans_on_genres_too(artifact):
    """A history it knows well, listed under a filter that leaves only titles nobody rated (as ``type=tv show`` does
    on the real catalogs): the list follows the history's genre, not the popularity of what is left."""
    m = dataclasses.replace(artifact.model, focus_genre=0.0)  # the coverage term alone
    genre, rows = one_genre(artifact, np.flatnonzero(ratings_of(artifact) >= m.known_ratings))
    items, scores = rows[:5], np.full(5, 5.0, np.float32)
    unrated = ~m.rated
    assert m.coverage(items) == 1.0 and m.coverage(items, unrated) == 0.0
    assert m.blend_weights(items, scores, unrated)[GENRE] == pytest.approx(m.block_weight[GENRE] + m.unknown_genre)
    total = m.score_new([(items, scores)], unrated)[0]
    picks = m.rank(total, 10, exclude=items, mask=unrated)
    off = m.score_new([(items, scores)])[0]
    before = genre_share(artifact, genre, m.rank(off, 10, items, unrated))
    assert genre_share(artifact, genre, picks) >= 0.8 and genre_share(artifact, genre, picks) > before


def test_the_services_spellings_of_a_genre_meet_in_the_features():
    assert set(genre_tokens("romantic movies")) & set(genre_tokens("romance")) >= {"romance", "w:romance"}
    assert "w:scifi" in set(genre_tokens("sci-fi & fantasy")) & set(genre_tokens("science fiction"))
    assert "comedy" in set(genre_tokens("tv comedies")) & set(genre_tokens("comedy"))
    assert set(genre_tokens("science & technology")).isdisjoint({"sci-fi", "w:scifi"})


def genre_rows(artifact: ModelArtifact, rows: np.ndarray) -> list[tuple[int, ...]]:
    """Each row's genre-block feature columns (what ``genre_focus`` compares)."""
    m = artifact.model
    out = []
    for r in rows.tolist():
        cols = m.feat_indices[m.feat_indptr[r]:m.feat_indptr[r + 1]]
        out.append(tuple(sorted(cols[m.feat_block[cols] == GENRE].tolist())))
    return out


def disjoint_rows(artifact: ModelArtifact, n: int) -> np.ndarray:
    """``n`` titles sharing no genre column with each other."""
    out: list[int] = []
    seen: set[int] = set()
    for r, g in enumerate(genre_rows(artifact, np.arange(len(artifact)))):
        if g and not seen & set(g):
            out.append(r)
            seen |= set(g)
        if len(out) == n:
            break
    assert len(out) == n
    return np.array(out, np.int64)


def test_genre_focus_is_one_for_one_taste_and_lower_for_a_spread(artifact):
    m = artifact.model
    rows = np.arange(len(artifact))
    by_genres: dict[tuple[int, ...], list[int]] = {}
    for r, g in zip(rows.tolist(), genre_rows(artifact, rows), strict=True):
        if g:
            by_genres.setdefault(g, []).append(r)
    same = np.array(max(by_genres.values(), key=len)[:5])  # five titles with exactly the same genres
    assert m.genre_focus(same, np.full(5, 5.0)) == pytest.approx(1.0)
    assert m.genre_focus(same, np.full(5, 2.0)) == 0.0  # nothing liked: no taste to follow
    disjoint = disjoint_rows(artifact, 5).tolist()
    assert m.genre_focus(np.array(disjoint), np.full(5, 5.0)) == pytest.approx(1 / 5)  # each genre: one in five
    # weighted by how much each was liked: 5 (weight 2) and 4 (weight 1) on two disjoint ones -> 2 / 3
    assert m.genre_focus(np.array(disjoint[:2]), np.array([5.0, 4.0])) == pytest.approx(2 / 3)
    # a dislike does not dilute what the liked titles share
    assert m.genre_focus(np.r_[same, disjoint[:1]], np.r_[np.full(5, 5.0), 1.0]) == pytest.approx(1.0)
    # one genre in common is enough, however the others vary: four titles sharing a column plus one without it
    col = genre_rows(artifact, same[:1])[0][0]
    others = [r for g, members in by_genres.items() if col in g and g != genre_rows(artifact, same[:1])[0]
              for r in members[:1]][:4]
    assert len(others) == 4, "fewer than four genre sets share a column: the check cannot run"
    without = next(r for g, members in by_genres.items() if col not in g for r in members[:1])
    assert m.genre_focus(np.array([*others, without]), np.full(5, 5.0)) == pytest.approx(4 / 5)


def test_the_focus_weight_ramps_from_focus_from_and_follows_an_obvious_taste(artifact):
    m = dataclasses.replace(artifact.model, unknown_genre=0.0, focus_genre=0.6, focus_from=0.6)
    genre, rows = one_genre(artifact, np.flatnonzero(ratings_of(artifact) >= m.known_ratings))
    items, scores = rows[:5], np.full(5, 5.0, np.float32)
    focus = m.genre_focus(items, scores)
    assert focus > m.focus_from
    ramp = min((focus - 0.6) / 0.4, 1.0)
    assert m.blend_weights(items, scores)[GENRE] == pytest.approx(m.block_weight[GENRE] + 0.6 * ramp, rel=1e-5)
    spread = disjoint_rows(artifact, 5)  # a spread of tastes (focus 1/5) gets no focus weight
    assert m.genre_focus(spread, scores) < m.focus_from
    assert m.blend_weights(spread, scores)[GENRE] == m.block_weight[GENRE]
    followed = genre_share(artifact, genre, m.rank(m.score_new([(items, scores)])[0], 10, exclude=items))
    off = dataclasses.replace(m, focus_genre=0.0)
    before = genre_share(artifact, genre, off.rank(off.score_new([(items, scores)])[0], 10, exclude=items))
    assert followed >= before


def test_an_artifact_from_before_the_focus_weight_reads_it_as_off(artifact):
    import io
    import json

    data = io.BytesIO(artifact.to_bytes())
    with np.load(data) as npz:
        arrays = {k: npz[k] for k in npz.files}
    meta = json.loads(str(arrays["meta"]))
    del meta["focus_genre"], meta["focus_from"]
    arrays["meta"] = np.array(json.dumps(meta))
    out = io.BytesIO()
    np.savez(out, **arrays)
    old = ModelArtifact.from_bytes(out.getvalue())
    assert old.model.focus_genre == 0.0 and artifact.model.focus_genre == 0.6
