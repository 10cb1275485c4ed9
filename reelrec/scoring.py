"""Scoring with a fitted hybrid model: numpy only (the API imports this, never scipy, implicit or pyarrow).

The training job's evaluation and the API call the same methods, so what is measured is what is served.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from reelrec.audience import allowed, of_history
from reelrec.confidence import ConfidenceMap
from reelrec.copies import Copies
from reelrec.foldin import fold_in_many
from reelrec.padded_rows import PaddedRows
from reelrec.schemas import CONTENT_BLOCKS


def top_n(scores: np.ndarray, n: int) -> np.ndarray:
    """Indices of the n best finite scores, highest first, ties by lower index.

    Only the finite scores are partitioned: a filter leaves most of a catalog at -inf, and numpy's introselect
    over thousands of equal values is ~20x slower than over the few titles left (1.8 ms vs 0.1 at course scale)."""
    s = np.asarray(scores, dtype=np.float64)
    if n <= 0 or not len(s):
        return np.zeros(0, np.int64)
    finite = np.isfinite(s)
    cand = None if finite.all() else np.flatnonzero(finite)  # NaN and +inf are never picked either
    vals = s if cand is None else s[cand]
    if not len(vals):
        return np.zeros(0, np.int64)
    part = np.argpartition(vals, len(vals) - n)[len(vals) - n :] if n < len(vals) else np.arange(len(vals))
    top = part if cand is None else cand[part]
    cut = s[top].min()  # the cut may fall inside a tie: those at the cut are taken by lower index
    above = top[s[top] > cut]
    ties = np.flatnonzero(s == cut)[: n - len(above)]
    return np.concatenate([above[np.lexsort((above, -s[above]))], ties]).astype(np.int64)


def _among(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``np.isin`` for the few titles of a list (k x k comparisons beat isin's sort, ~30 us a call)."""
    return (a[:, None] == b[None, :]).any(axis=1) if len(b) else np.zeros(len(a), bool)


DISLIKE_BELOW = 3.0  # a rating under this is a dislike: never followed, never cited as a reason
LIKED = 4.0  # a rating that says "liked"
EXAMPLE_LIKED = 5  # an example viewer liked at least this many titles: enough for a list that shows their taste
WALK_SHARE = 0.25  # content scores walk the profile's columns unless that touches more than this share of the matrix


def spread(count: int, n: int) -> np.ndarray:
    """``n`` positions spread evenly over ``range(count)`` (first and last included), fewer when count < n: how the
    example viewers are sampled (training) and picked (the API)."""
    n = min(n, count)
    return np.round(np.linspace(0, count - 1, n)).astype(np.int64) if n else np.zeros(0, np.int64)


def csr_ranges(indptr: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the entries of these rows of a compressed sparse matrix (concatenated), and each row's length."""
    starts = indptr[rows]
    lens = indptr[rows + 1] - starts
    total = int(lens.sum())
    offsets = np.repeat(starts - np.cumsum(lens) + lens, lens)
    return offsets + np.arange(total), lens


def discovery_slots(k: int, every: int) -> int:
    """How many discovery picks (titles nobody has rated, shown apart) go with a list of k: one per ``every``
    started (none below 3 items)."""
    return 0 if every <= 0 or k < 3 else -(-k // every)


@dataclass
class HybridModel:
    """Everything scoring needs, as numpy arrays (serving never needs scipy or implicit). Item-side only: its size
    follows the catalog, not the number of viewers."""

    item_factors: np.ndarray  # float32 (n_items x k): every catalog title
    yty: np.ndarray  # float64 (k x k): Y^T Y of the ALS item factors (rated titles), for fold-in
    pop_prior: np.ndarray  # float32 per title: log1p(training ratings)
    rated: np.ndarray  # bool per title: had training ratings
    feat_indptr: np.ndarray  # CSR (titles x features) of the per-block L2-normalised feature rows
    feat_indices: np.ndarray  # int32
    feat_data: np.ndarray  # float32
    feat_t_indptr: np.ndarray  # the same matrix transposed (features x titles, CSC of the above): int64
    feat_t_rows: np.ndarray  # int32 title index
    feat_t_data: np.ndarray  # float32
    feat_block: np.ndarray  # int8 per feature column: index into the per-block weights
    block_weight: np.ndarray  # float32 per block: content_scale * w_b (0 = block not in the blend)
    similar_weight: np.ndarray  # float32 per block, sum 1: the blocks' weights in title-to-title similarity
    regularization: float
    confidence: ConfidenceMap
    pop_weight: float
    content_center: float
    discovery_every: int = 0  # one discovery pick (a title without ratings, shown apart) per this many listed (0: none)
    known_ratings: float = 0.0  # a history title counts as seen by ALS from this many training ratings (0: off)
    unknown_genre: float = 0.0  # genre weight added in proportion to the unseen share of a history (0: off)
    focus_genre: float = 0.0  # genre weight added as the genres of the liked titles concentrate (0: off)
    focus_from: float = 0.6  # the concentration (``genre_focus``) from which ``focus_genre`` starts to count
    work: np.ndarray | None = None  # int32 per title: copies of one work on several services (reelrec.copies)
    audience: np.ndarray | None = None  # int8 per title: reelrec.audience codes (a history implies a filter)

    @cached_property
    def copies(self) -> Copies | None:
        """The catalog's works, when the model knows them (lists then hold one copy per work)."""
        return None if self.work is None else Copies(self.work)

    @property
    def n_features(self) -> int:
        """Number of feature columns."""
        return len(self.feat_block)

    def rank(self, scores: np.ndarray, k: int, exclude: np.ndarray | None = None,
             mask: np.ndarray | None = None) -> np.ndarray:
        """The k titles of a list (the API and the evaluation both rank with this): the best scores, one copy per
        work. ``exclude`` removes every copy of the excluded titles' works, and a work on several services scores
        as its best copy and is shown as its best copy that ``mask`` allows."""
        return top_n(self._rankable(scores, exclude, mask), k)

    def rank_and_discover(self, scores: np.ndarray, k: int, exclude: np.ndarray | None = None,
                          mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``rank``'s list and, shown apart from it, up to ``discovery_slots`` of the best titles nobody has rated
        (none when the list already holds that many): without them a title without ratings is almost never shown,
        since the ratings favour rated titles; inside the list they would displace picks that fit better."""
        s = self._rankable(scores, exclude, mask)
        best = top_n(s, k)
        missing = discovery_slots(k, self.discovery_every) - int((~self.rated[best]).sum())
        if missing <= 0:
            return best, np.zeros(0, np.int64)
        unrated = self._unrated
        fresh = unrated[top_n(s[unrated], missing + len(best))]
        return best, fresh[~_among(fresh, best)][:missing]

    def _rankable(self, scores: np.ndarray, exclude: np.ndarray | None, mask: np.ndarray | None) -> np.ndarray:
        """A float64 copy of the scores with the excluded works and what ``mask`` filters out at -inf, each work
        scored as its best allowed copy (its other copies at -inf)."""
        copies = self.copies
        s = np.array(scores, dtype=np.float64)
        if exclude is not None and len(exclude):
            gone = np.asarray(exclude, np.int64)
            s[gone] = -np.inf
            if copies is not None:
                s[copies.others_of(gone)] = -np.inf
        if copies is not None:
            return copies.one_per_work(s, mask, in_place=True)
        if mask is not None:
            s[~mask] = -np.inf
        return s

    @cached_property
    def _unrated(self) -> np.ndarray:
        """Titles without training ratings (ascending): where the discovery picks come from."""
        return np.flatnonzero(~self.rated)

    def fold_in(self, histories: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
        """Factors of users given as (item_idx, score) histories (implicit's recalculate_user, in numpy): for a
        training viewer's own history, the factors training gave them (``model_training.als``)."""
        h = [(np.asarray(i), self.confidence.values(s)) for i, s in histories]
        return fold_in_many(self.item_factors, self.yty, h, self.regularization)

    @cached_property
    def item_norms(self) -> np.ndarray:
        """L2 norm of each title's factors (0 for a title with no factors)."""
        return np.linalg.norm(self.item_factors, axis=1).astype(np.float32)

    def similar_content(self, item: int) -> np.ndarray:
        """The content part of ``similar_scores``: per-block cosines to ``item`` weighted by ``similar_weight``."""
        return self.content_scores(np.array([item]), np.array([self.content_center + 1.0]), self.similar_weight)

    def similar_scores(self, item: int, factor_weight: float = 0.5, content: np.ndarray | None = None) -> np.ndarray:
        """Similarity of every title to ``item``: the blended per-block content cosines (weights sum to 1), plus
        ``factor_weight`` times the cosine of the ALS factors when both titles were rated (mapped factors of
        unrated titles all lean the same way, so their cosines say little). ``content``: its content part, if
        already computed."""
        sims = (self.similar_content(item) if content is None else content).copy()
        if self.rated[item]:
            norms = self.item_norms
            dots = self.item_factors @ self.item_factors[item]
            denom = norms * norms[item]
            ok = self.rated & (denom > 0)
            cos = np.divide(dots, denom, out=np.zeros_like(dots), where=ok)  # no boolean-indexed copies
            sims += np.float32(factor_weight) * cos
        return sims

    def content_scores(self, items: np.ndarray, scores: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        """Blended per-block profile cosines of one user against every title (float32, numpy only);
        ``weights`` per block replaces ``block_weight`` (title similarity uses ``similar_weight``).

        The profile is built from the rated titles' rows (CSR); then, when its non-zero feature columns are few
        enough, only those are walked (the transposed copy, CSC), else one pass over every row is cheaper."""
        weights = self.block_weight if weights is None else weights
        n_items = len(self.item_factors)
        items = np.asarray(items, np.int64)
        if items.size == 0 or not weights.any():
            return np.zeros(n_items, np.float32)
        w = np.asarray(scores, np.float64) - self.content_center
        pos, lens = csr_ranges(self.feat_indptr, items)
        profile = np.bincount(self.feat_indices[pos], weights=self.feat_data[pos] * np.repeat(w, lens),
                              minlength=self.n_features)
        norms = np.sqrt(np.bincount(self.feat_block, weights=profile**2, minlength=len(weights)))
        scale = np.divide(weights, norms, out=np.zeros(len(weights)), where=norms > 0)
        q = profile * scale[self.feat_block]
        cols = np.flatnonzero(q)
        walk = int((self.feat_t_indptr[cols + 1] - self.feat_t_indptr[cols]).sum())
        if walk > WALK_SHARE * len(self.feat_data):  # the profile touches most of the matrix: one pass over the rows
            return self._padded_rows.dot(q)
        pos, lens = csr_ranges(self.feat_t_indptr, cols)
        sums = np.bincount(self.feat_t_rows[pos], weights=self.feat_t_data[pos] * np.repeat(q[cols], lens),
                           minlength=n_items)
        return sums.astype(np.float32)

    @cached_property
    def _padded_rows(self) -> PaddedRows:
        """The feature rows laid out for the one-pass product (``reelrec.padded_rows``: ~25% faster than a gather
        and ``np.add.reduceat`` over CSR), built once per loaded model."""
        return PaddedRows.from_csr(self.feat_indptr, self.feat_indices, self.feat_data)

    @cached_property
    def _seen(self) -> np.ndarray:
        """Per title, how well the collaborative side knows it: min(1, training ratings / ``known_ratings``)."""
        enough = max(self.known_ratings, 1e-9)
        prior = np.minimum(np.nan_to_num(self.pop_prior.astype(np.float64)), np.log1p(enough))  # no overflow
        return np.minimum(np.expm1(prior) / enough, 1.0)

    @cached_property
    def _seen_mean(self) -> float:
        """The catalog's mean ``_seen`` (what a filter's titles are compared with)."""
        return max(float(self._seen.mean()), 1e-12)

    def coverage(self, items: np.ndarray, mask: np.ndarray | None = None) -> float:
        """How much the collaborative side knows of this request (1 when the blend does not use it): the mean of
        ``_seen`` over the history, times how well it knows the titles a filter leaves (their mean ``_seen`` relative
        to the whole catalog's, at most 1: a ``type=tv show`` list draws from titles it hardly knows)."""
        items = np.asarray(items, np.int64)
        if self.known_ratings <= 0 or items.size == 0:
            return 1.0
        seen = self._seen
        known = float(seen[items].mean())
        if mask is not None and mask.any():
            known *= min(1.0, float(seen[mask].mean()) / self._seen_mean)
        return known

    def genre_focus(self, items: np.ndarray, scores: np.ndarray) -> float:
        """How much one genre dominates the liked titles (scored above ``content_center``): the share of their
        weight (score - center) carried by titles holding the most shared genre key or word. 1 when they all
        share one (five sci-fi films, however their other genres vary), ~0.6 for the typical real viewer. (The
        length of their summed genre rows, used until 2026-12-07, said 0.73 for those five sci-fi films: their
        other genres spread it.)"""
        w = np.asarray(scores, np.float64) - self.content_center
        liked = w > 0
        if not liked.any():
            return 0.0
        pos, lens = csr_ranges(self.feat_indptr, np.asarray(items, np.int64)[liked])
        cols = self.feat_indices[pos]
        genre = self.feat_block[cols] == CONTENT_BLOCKS.index("genre")
        held = np.bincount(cols[genre], weights=np.repeat(w[liked], lens)[genre], minlength=self.n_features)
        return float(held.max(initial=0.0) / w[liked].sum())

    def blend_weights(self, items: np.ndarray, scores: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        """Per-block content weights for one request: ``block_weight`` plus two genre weights. One grows as the
        collaborative side knows less of the request (TV shows, anime, new titles have few or no ratings, and their
        folded-in factors say little: the list then follows the genres of what was rated); the other as the liked
        titles' genres concentrate past ``focus_from`` (an obvious taste is followed, not the titles its fans
        also watch)."""
        w = self.block_weight.copy()
        genre = CONTENT_BLOCKS.index("genre")
        if self.unknown_genre > 0:
            w[genre] += np.float32(self.unknown_genre * (1.0 - self.coverage(items, mask)))
        if self.focus_genre > 0 and len(items):
            over = (self.genre_focus(items, scores) - self.focus_from) / max(1.0 - self.focus_from, 1e-9)
            w[genre] += np.float32(self.focus_genre * min(max(over, 0.0), 1.0))
        return w

    def implied_mask(self, items: np.ndarray, scores: np.ndarray) -> np.ndarray | None:
        """The titles the audience a history implies allows (``reelrec.audience.of_history``: a history of kids and
        family titles gets kids and family picks, as the API answers), None when it implies none."""
        if self.audience is None or len(items) == 0:
            return None
        implied = of_history(self.audience[np.asarray(items, np.int64)], scores)
        return allowed(self.audience, implied) if implied else None

    def _blend(self, dots: np.ndarray, content: np.ndarray) -> np.ndarray:
        """The hybrid's score from its ALS part (x_u . y_i) and content part: plus the popularity prior."""
        return dots + np.float32(self.pop_weight) * self.pop_prior + content

    def only_dislikes(self, scores: np.ndarray) -> bool:
        """A history with ratings, none of them at least ``DISLIKE_BELOW``: nothing in it to follow."""
        scores = np.asarray(scores)
        return bool(scores.size) and float(scores.max()) < DISLIKE_BELOW

    def unlike(self, items: np.ndarray) -> np.ndarray:
        """The answer to a history of dislikes only: popular titles (the prior) first among those sharing no genre
        with what was disliked, then the rest (float32). Folded-in factors of dislikes point at nothing useful."""
        genre = np.zeros_like(self.block_weight)
        genre[CONTENT_BLOCKS.index("genre")] = 1.0
        shared = self.content_scores(items, np.full(len(items), self.content_center + 1.0), genre) > 0
        prior = self.pop_prior.astype(np.float32)
        return prior - shared * np.float32(float(prior.max(initial=0.0)) + 1.0)

    def score_user(self, x: np.ndarray, items: np.ndarray, scores: np.ndarray,
                   mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """One user's scores over the catalog and their content part (the API's reasons read it); ``mask`` is the
        request's filter (it shifts the blend, see ``coverage``; ranking still applies it)."""
        content = self.content_scores(items, scores, self.blend_weights(items, scores, mask))
        if self.only_dislikes(scores):
            return self.unlike(items), content
        return self._blend(x @ self.item_factors.T, content), content

    def _score(self, x: np.ndarray, histories: list[tuple[np.ndarray, np.ndarray]],
               mask: np.ndarray | list[np.ndarray | None] | None = None) -> np.ndarray:
        """(n x n_items) blended scores for users with factors x and these histories (one matrix product), for lists
        under ``mask`` (one for all, or a list: one per history)."""
        s = x @ self.item_factors.T
        masks = mask if isinstance(mask, list) else [mask] * len(histories)
        for row, ((items, scores), m) in enumerate(zip(histories, masks, strict=True)):
            if self.only_dislikes(scores):
                s[row] = self.unlike(items)
            else:
                s[row] = self._blend(s[row], self.content_scores(items, scores, self.blend_weights(items, scores, m)))
        return s

    def score_new(self, histories: list[tuple[np.ndarray, np.ndarray]],
                  mask: np.ndarray | list[np.ndarray | None] | None = None) -> np.ndarray:
        """Scores over the catalog for users given by their ratings (folded in), for lists under ``mask``: new
        viewers and known ones alike (the model holds nothing per viewer; a known viewer's history comes from
        the history store, ``reelrec.histories``)."""
        return self._score(self.fold_in(histories), histories, mask)
