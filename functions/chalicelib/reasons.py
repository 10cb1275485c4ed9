"""Why a title is on a list, saying only what is true (numpy only).

A reason names what the pick really shares with a title the viewer rated well, most specific first: the same
director, a shared cast member, the genres in common ("animation and family like Toy Story"); "viewers who liked X
also liked this" only when the collaborative score drives the pick; "popular on <service>" when the popularity prior
does. A title rated below ``DISLIKE_BELOW`` is never cited. Similar titles follow the same rules against the title.
"""

from __future__ import annotations

import numpy as np

from reelrec.catalog_snapshot import CODES
from reelrec.genres import genre_key
from reelrec.model_artifact import ModelArtifact
from reelrec.schemas import CONTENT_BLOCKS, PLATFORM_NAMES
from reelrec.scoring import DISLIKE_BELOW, csr_ranges

LIKED_SCORE = 4.0  # "rated highly": the evaluation's target threshold
MAX_COMPARED = 50  # genres are compared with the best-rated 50 cited titles at most (a reason costs < 1 ms)


def cited(items: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """The history titles a reason may name, best rated first: rated highly (>= 4), else at least liked (>= 3);
    never a dislike."""
    items, scores = np.asarray(items, np.int64), np.asarray(scores)
    best = LIKED_SCORE if (scores >= LIKED_SCORE).any() else DISLIKE_BELOW
    keep = scores >= best
    order = np.argsort(-scores[keep], kind="stable")
    return items[keep][order]


class Shared:
    """What two titles have in common, from the model's feature columns and the titles' genre labels."""

    def __init__(self, model: ModelArtifact) -> None:
        self.m, self.t = model.model, model.titles
        self._keys: dict[int, str] = {}

    def _titles_with(self, row: int, block: str) -> np.ndarray:
        """Titles sharing a ``block`` column (a director, a cast member in two titles or more) with ``row``."""
        m = self.m
        cols = m.feat_indices[m.feat_indptr[row] : m.feat_indptr[row + 1]]
        cols = cols[m.feat_block[cols] == CONTENT_BLOCKS.index(block)]
        return m.feat_t_rows[csr_ranges(m.feat_t_indptr, cols)[0]]

    def _genre_keys(self, row: int) -> list[tuple[str, str]]:
        """(key, label in lower case) of a title's genres."""
        out = []
        for g in self.t.genre_codes(row).tolist():
            if g not in self._keys:
                self._keys[g] = genre_key(self.t.genres[g])
            out.append((self._keys[g], self.t.genres[g].lower()))
        return out

    def genres(self, pick: int, other: int) -> list[str]:
        """The pick's genres (as written, lower case) that ``other`` has too, under any of the catalogs' spellings."""
        theirs = {key for key, _ in self._genre_keys(other)}
        return list(dict.fromkeys(label for key, label in self._genre_keys(pick) if key in theirs))

    def content_reason(self, pick: int, others: np.ndarray) -> str | None:
        """The most specific thing the pick shares with one of ``others`` (in their order), said in words: the same
        director, then a cast member, then the most genres in common (two named at most); None when nothing is."""
        t = self.t
        for block, words in (("director", "same director as"), ("cast", "shares cast with")):
            hit = others[np.isin(others, self._titles_with(pick, block))]
            if len(hit):
                return f"{words} {t.title[int(hit[0])]}"
        best: tuple[int, str] | None = None
        for other in others[:MAX_COMPARED].tolist():
            genres = self.genres(pick, other)[:2]
            if genres and (best is None or best[0] < len(genres)):
                best = (len(genres), f"{' and '.join(genres)} like {t.title[other]}")
        return None if best is None else best[1]


def for_user(model: ModelArtifact, x: np.ndarray, items: np.ndarray, scores: np.ndarray, content: np.ndarray,
             picks: np.ndarray) -> list[str]:
    """One reason per recommended title for a viewer with factors ``x`` and this history."""
    m, t = model.model, model.titles
    shared = Shared(model)
    names = cited(items, scores)
    liked = names if (np.asarray(scores) >= LIKED_SCORE).any() else names[:0]  # cited holds the 4+ ones when any
    only_dislikes = m.only_dislikes(scores)
    out = []
    for j in np.asarray(picks, np.int64).tolist():
        factor = float(x @ m.item_factors[j])
        pop = float(m.pop_weight * m.pop_prior[j])
        platform = PLATFORM_NAMES[CODES["platform"][t.platform[j]]]
        if only_dislikes:
            out.append(f"popular on {platform}")
        elif m.rated[j] and factor >= max(float(content[j]), pop):
            if len(liked):
                best = liked[int(np.argmax(m.item_factors[liked] @ m.item_factors[j]))]
                out.append(f"viewers who liked {t.title[best]} also liked this")
            else:
                out.append("liked by viewers who rate like you")
        elif m.rated[j] and pop > float(content[j]):
            out.append(f"popular on {platform}")
        else:
            said = shared.content_reason(j, names)
            out.append(said or ("close in content to titles you liked" if len(liked) else
                                "close in content to titles you rated 3 or more"))
    return out


def for_similar(model: ModelArtifact, row: int, sims: np.ndarray, content: np.ndarray, picks: np.ndarray) -> list[str]:
    """One reason per title similar to ``row``: the ALS cosine when it drives the similarity, else what is shared."""
    m, t = model.model, model.titles
    shared = Shared(model)
    name = t.title[row]
    out = []
    for j in np.asarray(picks, np.int64).tolist():
        if m.rated[row] and m.rated[j] and sims[j] - content[j] >= content[j]:
            out.append(f"liked by the same people as {name}")
        else:
            out.append(shared.content_reason(j, np.array([row])) or f"close in content to {name}")
    return out
