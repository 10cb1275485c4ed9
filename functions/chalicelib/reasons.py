"""Why a title is on a list, saying only what is true (numpy only).

A reason names what the pick really shares with a title the viewer rated well, most specific first: the same
director, a shared cast member, the genres in common ("animation and family like Toy Story"); "viewers who liked X
also liked this" only when the collaborative score drives the pick; "popular on <service>" when the popularity prior
does. A title rated below ``DISLIKE_BELOW`` is never cited. Similar titles follow the same rules against the title.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np

from reelrec.catalog_snapshot import CODES
from reelrec.model_artifact import ModelArtifact
from reelrec.schemas import CONTENT_BLOCKS, PLATFORM_NAMES
from reelrec.scoring import DISLIKE_BELOW, csr_ranges

LIKED_SCORE = 4.0  # "rated highly": the evaluation's target threshold
FEW_OTHERS = 4  # up to this many cited titles, a pick's columns are compared with theirs directly
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
    """What a pick has in common with the titles a reason may cite (``others``, in the order they are tried), from
    the model's feature columns and the titles' genre labels; built once per answer, so each pick costs a few
    lookups (no comparison loop per cited title)."""

    def __init__(self, model: ModelArtifact, others: np.ndarray) -> None:
        self.m, self.t = model.model, model.titles
        self.others = np.asarray(others, np.int64)

    @cached_property
    def _has_key(self) -> np.ndarray:
        """Per compared title (the first ``MAX_COMPARED`` others), which genre keys it carries (built when a pick
        first needs its genres: most picks are explained by the collaborative side)."""
        compared = self.others[:MAX_COMPARED]
        pos, lens = csr_ranges(self.t.genre_indptr, compared)
        has = np.zeros((len(compared), self.t.n_genre_keys), bool)
        has[np.repeat(np.arange(len(compared)), lens), self.t.genre_key_of[self.t.genre_indices[pos]]] = True
        return has

    @cached_property
    def _other_columns(self) -> list[np.ndarray]:
        """The feature columns of each of a few ``others`` (``FEW_OTHERS``)."""
        m = self.m
        return [m.feat_indices[m.feat_indptr[o] : m.feat_indptr[o + 1]] for o in self.others.tolist()]

    @cached_property
    def _position(self) -> np.ndarray:
        """Per title, its position in ``others`` (len(others) for a title not among them)."""
        where = np.full(len(self.t), len(self.others), np.int64)
        np.minimum.at(where, self.others, np.arange(len(self.others)))  # a repeated title keeps its first place
        return where

    def _first_sharing(self, pick: int, block: str) -> int | None:
        """The first of ``others`` sharing a ``block`` column (a director, a cast member in two titles or more) with
        ``pick``, None when none does: the titles holding the pick's columns, looked up in ``_position``."""
        m = self.m
        cols = m.feat_indices[m.feat_indptr[pick] : m.feat_indptr[pick + 1]]
        cols = cols[m.feat_block[cols] == CONTENT_BLOCKS.index(block)]
        if not len(cols) or not len(self.others):
            return None
        if len(self.others) <= FEW_OTHERS:  # similar titles: compare rows, not every title holding the columns
            for other, theirs in zip(self.others.tolist(), self._other_columns, strict=True):
                if (cols[:, None] == theirs[None, :]).any():  # a few dozen columns: cheaper than isin
                    return other
            return None
        first = int(self._position[m.feat_t_rows[csr_ranges(m.feat_t_indptr, cols)[0]]].min())
        return int(self.others[first]) if first < len(self.others) else None

    def content_reason(self, pick: int) -> str | None:
        """The most specific thing the pick shares with one of the others (in their order), said in words: the same
        director, then a cast member, then the most genres in common (two named at most, compared with the first
        ``MAX_COMPARED``); None when nothing is."""
        t = self.t
        for block, words in (("director", "same director as"), ("cast", "shares cast with")):
            other = self._first_sharing(pick, block)
            if other is not None:
                return f"{words} {t.title[other]}"
        codes = t.genre_codes(pick)
        if not len(self._has_key) or not len(codes):
            return None
        common = self._has_key[:, t.genre_key_of[codes]]  # compared title x the pick's genres
        counts = np.minimum(common.sum(axis=1), 2)
        best = int(np.argmax(counts))  # the first with the most (two are enough)
        if not counts[best]:
            return None
        labels = [t.genres[int(g)].lower() for g in codes[common[best]][:2]]
        return f"{' and '.join(labels)} like {t.title[int(self.others[best])]}"


def for_user(model: ModelArtifact, x: np.ndarray, items: np.ndarray, scores: np.ndarray, content: np.ndarray,
             picks: np.ndarray) -> list[str]:
    """One reason per recommended title for a viewer with factors ``x`` and this history."""
    m, t = model.model, model.titles
    names = cited(items, scores)
    shared = Shared(model, names)
    liked = names if (np.asarray(scores) >= LIKED_SCORE).any() else names[:0]  # cited holds the 4+ ones when any
    only_dislikes = m.only_dislikes(scores)
    picks = np.asarray(picks, np.int64)
    factors = (m.item_factors[picks] @ x).tolist()
    pops = (np.float32(m.pop_weight) * m.pop_prior[picks]).tolist()
    closest = (liked[np.argmax(m.item_factors[liked] @ m.item_factors[picks].T, axis=0)].tolist()
               if len(liked) and len(picks) else [])  # per pick, the liked title nearest in the ALS space
    out = []
    for n, j in enumerate(picks.tolist()):
        factor, pop = factors[n], pops[n]
        platform = PLATFORM_NAMES[CODES["platform"][t.platform[j]]]
        if only_dislikes:
            out.append(f"popular on {platform}")
        elif m.rated[j] and factor >= max(float(content[j]), pop):
            if len(liked):
                out.append(f"viewers who liked {t.title[closest[n]]} also liked this")
            else:
                out.append("liked by viewers who rate like you")
        elif m.rated[j] and pop > float(content[j]):
            out.append(f"popular on {platform}")
        else:
            said = shared.content_reason(j)
            out.append(said or ("close in content to titles you liked" if len(liked) else
                                "close in content to titles you rated 3 or more"))
    return out


def for_similar(model: ModelArtifact, row: int, sims: np.ndarray, content: np.ndarray, picks: np.ndarray) -> list[str]:
    """One reason per title similar to ``row``: the ALS cosine when it drives the similarity, else what is shared."""
    m, t = model.model, model.titles
    shared = Shared(model, np.array([row]))
    name = t.title[row]
    out = []
    for j in np.asarray(picks, np.int64).tolist():
        if m.rated[row] and m.rated[j] and sims[j] - content[j] >= content[j]:
            out.append(f"liked by the same people as {name}")
        else:
            out.append(shared.content_reason(j) or f"close in content to {name}")
    return out
