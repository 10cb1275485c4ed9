"""Vectorised sampling of user ratings with learnable structure (tastes over content, quality, popularity).

Model: every title has a latent quality and themes (from its genres); about half the titles are
"discoverable" and carry a Zipf-like popularity, the rest never get rated. Users have 1-3 favourite
themes, two favourite performers (leads of titles they would pick), a favourite era (a release year),
a bias and a lognormal activity level (at least 5 ratings); KIDS_VIEWERS of them watch for children.
A rating's title comes from the user's favourite themes (popularity-weighted) with probability
FAV_SHARE, from the titles their favourite performers lead with probability STAR_SHARE, else from
global popularity; a drawn title is kept with a chance that falls with its distance from the user's
era (and, for a kids viewer, is small unless it is rated for kids or families); each user rates a
title at most once, and the most recently added titles last (new releases, so a temporal split finds
them in the later ratings, as on the real catalogs). Score = quality + affinities (theme, performer, era, kids) + user bias + noise,
rounded to 0.5 and clipped to [0.5, 5.0]. So, as for real viewers, what a title is (its genres, cast,
audience, year: the content features) predicts who watches it and how they rate it. Timestamps lie
in 2015-2021 and increase strictly per user.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from datagen.vocab import THEMES

FAV_SHARE = 0.5
STAR_SHARE = 0.3  # draws from the titles the user's favourite performers lead
STAR_AFFINITY = 1.0
ERA_WIDTH = 10.0  # years: a title this far from the user's era is kept with chance ERA_FLOOR + (1 - ERA_FLOOR) / e
ERA_FLOOR = 0.1
ERA_AFFINITY = 0.4  # score bonus at the user's era, falling like the keep chance
KIDS_VIEWERS = 0.12  # users watching for children: "family" is a favourite theme
KIDS_KEEP = 0.02  # the chance a kids viewer keeps a title not rated for kids or families
KIDS_AFFINITY = 0.5  # a kids viewer's bonus for a kids/family title, and penalty for any other
NEW_SHARE = 0.05
RECENT_YEAR = 2018  # titles released since are RECENT_RATED times as likely to be rated at all
RECENT_RATED = 3.0
STAR_RATED = 3.0  # a title led by a regular performer is this many times as likely to be rated at all (obscure
# titles without a known face are the ones nobody rates)  # the most recently added rated titles: each user rates them last (new releases)
RATED_SHARE = {True: 0.55, False: 0.42}  # chance a movie / TV show is ever rated
ZIPF_EXPONENT = 1.05
ZIPF_OFFSET = 0.01  # head flattening, as a share of the rated titles
MIN_PER_USER = 5
USER_SIGMA = 1.1
MAX_USER_SHARE = 0.35  # nobody rates more than this share of the rated titles
QUALITY = (2.85, 0.6)
AFFINITY = 0.7
USER_BIAS_SD = 0.35
NOISE_SD = 0.8
WHOLE_STAR_SHARE = 0.45
TS_LO, TS_HI = 1420070400, 1640995199  # 2015-01-01 .. 2021-12-31 (UTC)
ROUNDS = 8


@dataclass
class TitleTraits:
    """What a title is, beyond its themes, that tastes depend on (per catalog entry)."""

    star: np.ndarray  # int lead performer id (-1: none)
    release_year: np.ndarray  # int
    kid_safe: np.ndarray  # bool: rated for kids or families
    added: np.ndarray  # int: when the title came to its service (any increasing day number)


@dataclass
class Ratings:
    """Clean ratings sorted by timestamp: users 1..U, title indices into the catalog, half-stars."""

    user: np.ndarray  # int32, 1-based
    title: np.ndarray  # int32 index into the catalog ids
    half: np.ndarray  # uint8, score * 2 (1..10)
    ts: np.ndarray  # int64 Unix seconds
    rated_titles: int


def _user_counts(users: int, target: int, cap: int, rng: np.random.Generator) -> np.ndarray:
    """Return long-tailed per-user counts (min 5, at most ``cap``) summing to ``target`` when possible."""
    x = rng.lognormal(0.0, USER_SIGMA, users)
    lo_total, hi_total = MIN_PER_USER * users, cap * users
    target = min(max(target, lo_total), hi_total)

    def counts(scale: float) -> np.ndarray:
        """Per-user counts for a given activity scale."""
        return np.clip(MIN_PER_USER + np.floor(scale * x), MIN_PER_USER, cap).astype(np.int64)

    lo, hi = 0.0, 1.0
    while counts(hi).sum() < target:
        hi *= 2
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if counts(mid).sum() < target else (lo, mid)
    k = counts(lo)
    short = int(target - k.sum())
    if short > 0:  # top up users below the cap, in random order, one each
        room = np.flatnonzero(k < cap)
        k[rng.permutation(room)[:short]] += 1
    return k


def _cdf_sample(cdf: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Return n indices drawn with the probabilities encoded by a cumulative weight array."""
    pos = np.searchsorted(cdf, rng.random(n) * cdf[-1], side="right")
    return np.minimum(pos, len(cdf) - 1)


class _Sampler:
    """Draws candidate titles for users from the favourite-theme / favourite-performer / global popularity mixture."""

    def __init__(self, rated: np.ndarray, weight: np.ndarray, theme_mask: np.ndarray, star: np.ndarray) -> None:
        """Precompute the global and per-theme cumulative popularity of the rated titles, and each performer's."""
        self.rated = rated
        self.global_cdf = np.cumsum(weight)
        self.members, self.cdfs = [], []
        for g in range(len(THEMES)):
            has = (theme_mask[rated] >> g) & 1 == 1
            self.members.append(rated[has])
            self.cdfs.append(np.cumsum(weight[has]))
        self.theme_mass = np.array([c[-1] if len(c) else 0.0 for c in self.cdfs])
        by_star = np.argsort(star[rated], kind="stable")
        self.led = rated[by_star]  # rated titles grouped by lead performer (-1: none, first)
        self.led_star = star[rated][by_star]

    def _themed(self, users: np.ndarray, favs: np.ndarray, nfav: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One title per entry of ``users`` from one of that user's favourite themes (popularity-weighted)."""
        out = np.empty(len(users), dtype=np.int64)
        slot = (rng.random(len(users)) * nfav[users]).astype(np.int64)
        theme = favs[users, slot].astype(np.int8)
        order = np.argsort(theme, kind="stable")
        bounds = np.concatenate([[0], np.cumsum(np.bincount(theme, minlength=len(THEMES)))])
        for g in range(len(THEMES)):
            a, b = bounds[g], bounds[g + 1]
            if b > a:
                out[order[a:b]] = self.members[g][_cdf_sample(self.cdfs[g], b - a, rng)]
        return out

    def favourite_stars(self, favs: np.ndarray, nfav: np.ndarray, star: np.ndarray,
                        rng: np.random.Generator) -> np.ndarray:
        """Two favourite performers per user: the leads of the first two of six titles drawn from their favourite
        themes that have one (-1 where none has)."""
        users = np.repeat(np.arange(len(favs)), 6)
        leads = star[self._themed(users, favs, nfav, rng)].reshape(-1, 6)
        first = np.argsort(leads < 0, axis=1, kind="stable")[:, :2]  # led titles first, in draw order
        return np.take_along_axis(leads, first, axis=1)

    def draw(self, users: np.ndarray, favs: np.ndarray, nfav: np.ndarray, stars: np.ndarray,
             rng: np.random.Generator) -> np.ndarray:
        """Return one title index per entry of ``users`` (repeated user ids)."""
        n = len(users)
        u = rng.random(n)
        out = self.rated[_cdf_sample(self.global_cdf, n, rng)]
        fav = np.flatnonzero(u < FAV_SHARE)
        out[fav] = self._themed(users[fav], favs, nfav, rng)
        by_star = np.flatnonzero((u >= FAV_SHARE) & (u < FAV_SHARE + STAR_SHARE))
        chosen = stars[users[by_star], rng.integers(0, 2, len(by_star))]
        lo, hi = np.searchsorted(self.led_star, chosen, "left"), np.searchsorted(self.led_star, chosen, "right")
        some = (chosen >= 0) & (hi > lo)  # no favourite, or one without rated titles: the global draw stays
        pick = lo[some] + (rng.random(int(some.sum())) * (hi[some] - lo[some])).astype(np.int64)
        out[by_star[some]] = self.led[pick]
        return out


def _in_sorted(chunks: list[np.ndarray], keys: np.ndarray) -> np.ndarray:
    """Return a mask of ``keys`` present in any of the sorted ``chunks``."""
    found = np.zeros(len(keys), dtype=bool)
    for chunk in chunks:
        if len(chunk):
            pos = np.minimum(np.searchsorted(chunk, keys), len(chunk) - 1)
            found |= chunk[pos] == keys
    return found


def _sample_pairs(sampler: _Sampler, k: np.ndarray, favs: np.ndarray, nfav: np.ndarray, stars: np.ndarray,
                  keep_chance: Callable[[np.ndarray, np.ndarray], np.ndarray], n_titles: int,
                  rng: np.random.Generator) -> np.ndarray:
    """Return sorted unique keys user * n_titles + title, about k[u] per user, by rounds of redraws;
    ``keep_chance`` gives the chance that a user keeps a drawn title (era, audience)."""
    users = len(k)
    need = k.copy()
    accepted: list[np.ndarray] = []
    for rnd in range(ROUNDS):
        active = np.flatnonzero(need > 0)
        if not len(active):
            break
        factor = 3.0 + rnd
        draws = np.ceil(need[active] * factor).astype(np.int64) + 2
        rep = np.repeat(active, draws)
        if rnd < ROUNDS - 1:
            titles = sampler.draw(rep, favs, nfav, stars, rng)
        else:  # last resort for users with very narrow tastes: uniform over the rated titles
            titles = sampler.rated[rng.integers(0, len(sampler.rated), len(rep))]
        kept = rng.random(len(rep)) < keep_chance(rep, titles)  # a user may end a few ratings short
        rep, titles = rep[kept], titles[kept]
        keys = rep * n_titles + titles
        is_first = np.zeros(len(keys), dtype=bool)
        is_first[np.unique(keys, return_index=True)[1]] = True
        pos = np.flatnonzero(is_first)  # first occurrence of each distinct key, in draw order
        uniq = keys[pos]
        fresh = ~_in_sorted(accepted, uniq)
        uniq, pos = uniq[fresh], pos[fresh]
        u = rep[pos]
        rank = np.arange(len(u)) - np.searchsorted(u, u, side="left")
        keep = rank < need[u]
        accepted.append(np.sort(uniq[keep]))
        need -= np.bincount(u[keep], minlength=users)
    return np.sort(np.concatenate(accepted)) if accepted else np.zeros(0, dtype=np.int64)


def _favourites(users: int, theme_weight: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Return each user's 1-3 favourite themes (Gumbel top-k by theme weight) and how many they have."""
    available = int((theme_weight > 0).sum())
    with np.errstate(divide="ignore"):
        logw = np.log(theme_weight)
    keys = logw + rng.gumbel(size=(users, len(THEMES)))
    favs = np.argsort(-keys, axis=1, kind="stable")[:, :3].astype(np.int64)
    nfav = np.minimum(rng.integers(1, 4, users), max(available, 1))
    return favs, nfav


def sample_ratings(theme_mask: np.ndarray, is_movie: np.ndarray, traits: TitleTraits, users: int, n_ratings: int,
                   rng: np.random.Generator) -> Ratings:
    """Sample about ``n_ratings`` clean ratings for ``users`` users over the catalog described by the arrays."""
    n_titles = len(theme_mask)
    star = np.asarray(traits.star, np.int64)
    year = np.asarray(traits.release_year, np.float64)
    kid_safe = np.asarray(traits.kid_safe, bool)
    quality = rng.normal(*QUALITY, n_titles)
    base = np.where(is_movie, RATED_SHARE[True], RATED_SHARE[False])
    known = np.where(star >= 0, STAR_RATED, 1.0) * np.where(year >= RECENT_YEAR, RECENT_RATED, 1.0)
    p_rated = np.minimum(base * known * base.sum() / (base * known).sum(), 1.0)  # the same share rated overall
    rated = np.flatnonzero(rng.random(n_titles) < p_rated)
    if len(rated) < 2:
        rated = np.arange(n_titles)
    # popularity rank: better titles tend to be more popular; Zipf-like weights with a flattened head
    z = (quality[rated] - QUALITY[0]) / QUALITY[1]
    order = np.argsort(-(0.8 * z + rng.gumbel(size=len(rated))), kind="stable")
    rated = rated[order]
    weight = (np.arange(len(rated)) + 1.0 + ZIPF_OFFSET * len(rated)) ** -ZIPF_EXPONENT
    sampler = _Sampler(rated, weight, theme_mask, star)

    cap = max(MIN_PER_USER, int(MAX_USER_SHARE * len(rated)))
    k = _user_counts(users, n_ratings, cap, rng)
    favs, nfav = _favourites(users, sampler.theme_mass ** 0.7, rng)
    kids = rng.random(users) < KIDS_VIEWERS
    family = THEMES.index("family")
    mine = favs[kids]  # a kids viewer's first favourite theme is family (it moves there if it was later)
    mine = np.where(mine == family, mine[:, :1], mine)
    mine[:, 0] = family
    favs[kids] = mine
    stars = sampler.favourite_stars(favs, nfav, star, rng)
    era = year[sampler.rated[_cdf_sample(sampler.global_cdf, users, rng)]] + rng.normal(0.0, 4.0, users)

    def closeness(u: np.ndarray, t: np.ndarray) -> np.ndarray:
        """1 at the user's era, 1/e at ERA_WIDTH years from it."""
        return np.exp(-(((year[t] - era[u]) / ERA_WIDTH) ** 2))

    def keep(u: np.ndarray, t: np.ndarray) -> np.ndarray:
        chance = ERA_FLOOR + (1.0 - ERA_FLOOR) * closeness(u, t)
        return np.where(kids[u] & ~kid_safe[t], KIDS_KEEP * chance, chance)

    umask = np.zeros(users, dtype=np.int32)
    for slot in range(3):
        umask |= np.where(slot < nfav, 1 << favs[:, slot], 0).astype(np.int32)
    bias = rng.normal(0.0, USER_BIAS_SD, users)

    keys = _sample_pairs(sampler, k, favs, nfav, stars, keep, n_titles, rng)
    uidx = keys // n_titles
    title = keys % n_titles
    n = len(keys)

    # timestamps: a per-user active window; random title order within the user, strictly increasing times
    span = (TS_HI - TS_LO) * rng.beta(0.9, 2.2, users)
    counts = np.bincount(uidx, minlength=users)
    start = TS_LO + rng.random(users) * np.maximum(TS_HI - TS_LO - span - counts, 0)
    added = np.asarray(traits.added, np.int64)
    recent = added >= np.quantile(added[sampler.rated], 1.0 - NEW_SHARE)
    shuffle = np.argsort(uidx + 0.5 * rng.random(n) + 0.49 * recent[title], kind="stable")
    uidx, title = uidx[shuffle], title[shuffle]
    frac = np.sort(uidx + rng.random(n)) - uidx
    rank = np.arange(n) - np.searchsorted(uidx, uidx, side="left")
    ts = (np.floor(start[uidx] + span[uidx] * frac) + rank).astype(np.int64)

    affinity = (theme_mask[title] & umask[uidx]) != 0
    star_fan = (star[title] >= 0) & ((star[title] == stars[uidx, 0]) | (star[title] == stars[uidx, 1]))
    kids_fit = np.where(kids[uidx], np.where(kid_safe[title], KIDS_AFFINITY, -KIDS_AFFINITY), 0.0)
    score = (quality[title] + AFFINITY * affinity + STAR_AFFINITY * star_fan
             + ERA_AFFINITY * (closeness(uidx, title) - 0.5) + kids_fit + bias[uidx] + rng.normal(0.0, NOISE_SD, n))
    whole = rng.random(n) < WHOLE_STAR_SHARE  # people favour whole stars, as in MovieLens
    half = np.where(whole, 2 * np.rint(score), np.rint(score * 2))
    half = np.clip(half, 1, 10).astype(np.uint8)

    by_time = np.argsort(ts, kind="stable")
    return Ratings(
        user=(uidx[by_time] + 1).astype(np.int32),
        title=title[by_time].astype(np.int32),
        half=half[by_time],
        ts=ts[by_time],
        rated_titles=int(len(np.unique(title))),
    )
