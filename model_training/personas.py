"""Persona suite (issue 12, item 4): viewers with one obvious taste, made of real catalog titles, and how much of
their top 10 fits that taste, as the API would answer them (fold-in of five 5-star ratings, the shared scorer, the
audience the history implies), unfiltered and with ``type=tv show``. numpy only.

On a catalog without the titles (``make run``'s generated data) the suite reports the personas it could not build.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reelrec.audience import allowed, of_history
from reelrec.genres import genre_key
from reelrec.model_artifact import ModelArtifact
from reelrec.schemas import TITLE_TYPES

K = 10
MIN_FOUND = 4  # a persona is measured when at least this many of its five titles are in the catalog


@dataclass(frozen=True)
class Persona:
    """Five titles of one kind, rated 5, and the rule a recommended title must meet to fit that kind: a genre whose
    key contains one of ``genres``, or a known kids/family audience (``kids_safe``), or a release up to ``max_year``."""

    name: str
    titles: tuple[str, ...]
    genres: tuple[str, ...] = ()
    kids_safe: bool = False
    max_year: int | None = None


PERSONAS = (
    Persona("kids", ("Toy Story", "Finding Nemo", "The Lion King", "Frozen", "Moana"), kids_safe=True),
    Persona("horror", ("The Conjuring", "Insidious", "28 Days Later", "The Ring", "Psycho"), ("horror",)),
    Persona("anime", ("Naruto", "Attack on Titan", "One-Punch Man", "Demon Slayer: Kimetsu no Yaiba",
                      "Neon Genesis Evangelion"), ("anime",)),
    Persona("documentary", ("Our Planet", "Making a Murderer", "Free Solo", "Icarus", "Blackfish"),
            ("documentar", "docuseries")),
    Persona("stand-up", ("Dave Chappelle: Sticks & Stones", "John Mulaney: Kid Gorgeous at Radio City",
                         "Ali Wong: Baby Cobra", "Hannah Gadsby: Nanette", "Bo Burnham: Inside"), ("stand",)),
    Persona("romance", ("While You Were Sleeping", "Sleepless in Seattle", "As Good as It Gets", "50 First Dates",
                        "My Best Friend's Wedding"), ("roman",)),
    Persona("classic film", ("Schindler's List", "GoodFellas", "Dances with Wolves", "Monty Python and the Holy Grail",
                             "Indiana Jones and the Last Crusade"), ("classic",), max_year=1999),
    Persona("sci-fi", ("The Matrix", "Inception", "X-Men", "Minority Report", "Gattaca"), ("sci-fi", "science fiction")),
)


def fits(art: ModelArtifact, persona: Persona) -> np.ndarray:
    """Per title: does it fit the persona's kind."""
    t = art.titles
    keys = [genre_key(t.genres[g]) for g in range(len(t.genres))]
    good = np.array([any(p in k for p in persona.genres) for k in keys], bool)
    out = np.zeros(len(t), bool)
    if good.any():
        per_title = np.repeat(np.arange(len(t)), np.diff(t.genre_indptr))
        np.logical_or.at(out, per_title, good[t.genre_indices])
    if persona.kids_safe:
        out |= allowed(t.audience, "family")
    if persona.max_year is not None:
        out |= (t.release_year > 0) & (t.release_year <= persona.max_year)
    return out


def best_rows(art: ModelArtifact) -> dict[str, int]:
    """Each title name of the catalog -> its copy with most ratings (the row a persona's title stands for)."""
    t, prior = art.titles, art.model.pop_prior
    best: dict[str, int] = {}
    for row in range(len(t)):
        name = t.title[row]
        if name not in best or prior[row] > prior[best[name]]:
            best[name] = row
    return best


def evaluate(art: ModelArtifact) -> dict:
    """Each persona's fit share of the top 10, unfiltered and with type=tv show, and the mean over personas."""
    m = art.model
    out: dict = {"k": K, "personas": {}, "missing": []}
    by_name = best_rows(art)
    for persona in PERSONAS:
        items = np.array(sorted(by_name[n] for n in persona.titles if n in by_name), np.int64)
        if len(items) < MIN_FOUND:
            out["missing"].append(persona.name)
            continue
        scores = np.full(len(items), 5.0, np.float32)
        audience = of_history(art.titles.audience[items], scores)
        base = allowed(art.titles.audience, audience) if audience else np.ones(len(art), bool)
        fit = fits(art, persona)
        row: dict[str, object] = {"titles": len(items), "audience": audience}
        for label, mask in (("all", base), ("tv show", base & (art.titles.kind == TITLE_TYPES.index("tv show")))):
            total = m.score_new([(items, scores)], mask)[0]
            picks = m.rank(total, K, exclude=items, mask=mask)
            row[label] = round(float(fit[picks].mean()), 4) if len(picks) else None
        out["personas"][persona.name] = row
    for label in ("all", "tv show"):
        shares = [r[label] for r in out["personas"].values() if r[label] is not None]
        out[f"mean {label}"] = round(float(np.mean(shares)), 4) if shares else None
        out[f"min {label}"] = round(float(np.min(shares)), 4) if shares else None
    return out


def markdown(result: dict) -> list[str]:
    """The report's persona section."""
    lines = ["", "## Personas (fit share of the top 10)"]
    if not result["personas"]:
        return [*lines, f"- not measured: none of the personas' titles are in this catalog ({len(PERSONAS)} defined)"]
    lines += ["| persona | titles found | audience | unfiltered | type=tv show |", "|---|---|---|---|---|"]
    for name, r in result["personas"].items():
        cells = [f"{r[x]:.0%}" if r[x] is not None else "-" for x in ("all", "tv show")]
        lines.append(f"| {name} | {r['titles']} | {r['audience'] or '-'} | {cells[0]} | {cells[1]} |")
    lines.append(f"- mean {result['mean all']:.0%} unfiltered (lowest {result['min all']:.0%}), "
                 f"{result['mean tv show']:.0%} with type=tv show (lowest {result['min tv show']:.0%}); "
                 "target: mean >= 85%, none below 60%")
    if result["missing"]:
        lines.append(f"- not in this catalog: {', '.join(result['missing'])}")
    return lines
