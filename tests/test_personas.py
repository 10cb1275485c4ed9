"""The persona suite (model_training.personas): the fit rule, the measurement on renamed generated titles, and the
report's section; the real-data numbers are checked in test_real_data (docs/training.md quotes them)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from model_training import personas, registry
from reelrec.catalog_snapshot import Strings
from reelrec.genres import genre_key
from reelrec.model_artifact import ModelArtifact
from reelrec.storage import open_store


@pytest.fixture(scope="module")
def artifact(api_models) -> ModelArtifact:
    store = open_store(api_models)
    return ModelArtifact.from_bytes(store.read_bytes(registry.current(store)["key"]))


def test_fit_rule_reads_genres_audience_and_year(artifact):
    t = artifact.titles
    horror = next(p for p in personas.PERSONAS if p.name == "horror")
    expected = [any("horror" in genre_key(g) for g in t.card(r)["genres"]) for r in range(len(t))]
    assert personas.fits(artifact, horror).tolist() == expected and any(expected)
    kids = next(p for p in personas.PERSONAS if p.name == "kids")
    assert personas.fits(artifact, kids).tolist() == [0 <= a <= 1 for a in t.audience.tolist()]
    old = personas.Persona("old", (), max_year=2000)
    assert personas.fits(artifact, old).tolist() == [0 < y <= 2000 for y in t.release_year.tolist()]


def test_generated_catalog_has_no_persona_titles_and_says_so(artifact):
    result = personas.evaluate(artifact)
    assert result["personas"] == {} and len(result["missing"]) == len(personas.PERSONAS) >= 8
    assert "not measured" in "\n".join(personas.markdown(result))


def test_a_persona_is_measured_as_the_api_would_answer_it(artifact):
    """Five generated titles renamed to the horror persona's: its share is the fit of the shared ranking's top 10."""
    t, m = artifact.titles, artifact.model
    horror = next(p for p in personas.PERSONAS if p.name == "horror")
    fit = personas.fits(artifact, horror)
    rows = np.flatnonzero(fit & m.rated)[:5]
    names = [t.title[r] for r in range(len(t))]
    for r, name in zip(rows, horror.titles, strict=True):
        names[r] = name
    renamed = dataclasses.replace(artifact, titles=dataclasses.replace(t, title=Strings.of(names)))
    result = personas.evaluate(renamed)
    got = result["personas"]["horror"]
    total = m.score_new([(rows, np.full(5, 5.0, np.float32))])[0]
    picks = m.rank(total, 10, exclude=rows)
    assert got["titles"] == 5 and got["all"] == pytest.approx(fit[picks].mean())
    assert result["mean all"] == got["all"] and "horror" not in result["missing"]
    assert "| horror | 5 |" in "\n".join(personas.markdown(result))
