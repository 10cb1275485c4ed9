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
    assert np.array_equal(m.blend_weights(known), m.block_weight)
    x = m.fold_in([(known, scores)])[0]
    plain = x @ m.item_factors.T + np.float32(m.pop_weight) * m.pop_prior + m.content_scores(known, scores)
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
    assert m.blend_weights(np.array([known, unrated]))[GENRE] == pytest.approx(m.block_weight[GENRE] + m.unknown_genre / 2)
    assert dataclasses.replace(m, known_ratings=0.0).coverage(np.array([unrated])) == 1.0  # off


def test_an_unseen_history_follows_its_genre(artifact):
    """Five titles nobody rated, of one genre: the collaborative side knows nothing, the genres carry the list."""
    m = artifact.model
    genre, rows = one_genre(artifact, np.flatnonzero(~m.rated))
    items, scores = rows[:5], np.full(5, 5.0, np.float32)
    assert m.coverage(items) == 0.0
    assert m.blend_weights(items)[GENRE] == pytest.approx(m.block_weight[GENRE] + m.unknown_genre)
    blended = m.rank(m.score_new([(items, scores)])[0], 10, exclude=items)
    off = dataclasses.replace(m, unknown_genre=0.0)
    before = off.rank(off.score_new([(items, scores)])[0], 10, exclude=items)
    assert genre_share(artifact, genre, blended) >= max(0.8, genre_share(artifact, genre, before))


def test_a_filter_to_titles_it_hardly_knows_leans_on_genres_too(artifact):
    """A history it knows well, listed under a filter that leaves only titles nobody rated (as ``type=tv show`` does
    on the real catalogs): the list follows the history's genre, not the popularity of what is left."""
    m = artifact.model
    genre, rows = one_genre(artifact, np.flatnonzero(ratings_of(artifact) >= m.known_ratings))
    items, scores = rows[:5], np.full(5, 5.0, np.float32)
    unrated = ~m.rated
    assert m.coverage(items) == 1.0 and m.coverage(items, unrated) == 0.0
    assert m.blend_weights(items, unrated)[GENRE] == pytest.approx(m.block_weight[GENRE] + m.unknown_genre)
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
