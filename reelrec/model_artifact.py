"""The served model: one ``.npz`` of numpy arrays written by the training job and read by the API (numpy only,
no pickle). It holds the hybrid's arrays (``reelrec.scoring.HybridModel``) and the titles as they were at
training time (ids in the model's item order, display fields, genres), so the API answers without the lake.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Callable, Collection
from dataclasses import dataclass, fields
from functools import cached_property, lru_cache
from typing import Any

import numpy as np

from reelrec.artifact_checks import Checks, InvalidArtifact
from reelrec.audience import AUDIENCES
from reelrec.audience import name as audience_name
from reelrec.catalog_snapshot import CODES, CatalogSnapshot, Strings, write_npz
from reelrec.confidence import ConfidenceMap
from reelrec.copies import Copies
from reelrec.genres import genre_key
from reelrec.schemas import DURATION_TYPES, PLATFORM_NAMES, PLATFORMS, TITLE_TYPES
from reelrec.scoring import HybridModel

CARD_CACHE = 4096  # cards kept per catalog (~1.5 KB each: ~6 MB at most)
FORMAT = 7  # bump when the layout changes: the API refuses other formats (and keeps serving what it has)
_SCALARS = ("regularization", "pop_weight", "content_center", "discovery_every", "known_ratings", "unknown_genre",
            "focus_genre", "focus_from")
# scalars newer than format 7's first artifacts: absent, they take HybridModel's defaults (the focus term off)
_ADDED = {f.name: f.default for f in fields(HybridModel) if f.name in ("focus_genre", "focus_from")}


def split_list(value: str | None) -> list[str]:
    """A comma-separated field (``listed_in``, ``cast``, ...) -> its distinct, trimmed, non-empty values in order."""
    if not value:
        return []
    out: list[str] = []
    for part in value.split(","):
        label = " ".join(part.split())
        if label and label not in out:
            out.append(label)
    return out


def duration_label(amount: int, duration_type: int) -> str | None:
    """A duration as people read it: ``115 min``, ``1 season``, ``3 seasons``; None when unknown
    (``duration_type`` is the code into DURATION_TYPES, -1 = unknown)."""
    if duration_type < 0 or amount < 0:
        return None
    unit = CODES["duration_type"][duration_type]
    return f"{amount} {unit}{'s' if unit == 'season' and amount != 1 else ''}"


@dataclass(frozen=True)
class TitleInfo:
    """Titles in the model's item order (row i = item i): what answers show and what filters need."""

    ids: np.ndarray  # bytes ('S'), sorted: the catalog snapshot's ids at training time
    title: Strings
    platform: np.ndarray  # uint8 index into PLATFORMS
    kind: np.ndarray  # uint8 index into TITLE_TYPES
    release_year: np.ndarray  # int16, 0 = unknown
    duration_int: np.ndarray  # int32, -1 = unknown
    duration_type: np.ndarray  # int8, -1 = unknown
    genre_indptr: np.ndarray  # int32, len n + 1: title i's genres are genre_indices[indptr[i]:indptr[i+1]]
    genre_indices: np.ndarray  # int32 into genres
    genres: Strings  # distinct genre labels as the catalogs write them, sorted case-insensitively
    work: np.ndarray  # int32 per title: the smallest row among the copies of its work (reelrec.copies)
    audience: np.ndarray  # int8 index into reelrec.audience.AUDIENCES, -1 = unknown (never kids-safe)
    score_mean: np.ndarray  # float32 community mean score when the model was trained, NaN = no ratings
    score_count: np.ndarray  # int32 number of ratings behind score_mean

    def __len__(self) -> int:
        return len(self.ids)

    @cached_property
    def copies(self) -> Copies:
        """The catalog's works (where a title can be watched)."""
        return Copies(self.work, self.ids, self.platform)

    @classmethod
    def from_snapshot(cls, snap: CatalogSnapshot) -> TitleInfo:
        """The display and filter fields of a catalog snapshot (titles and genres as written), genres parsed once
        here, not per request. Genres are one code per lower-case label; the first spelling seen is shown."""
        per_title = [split_list(snap.display_listed_in[i]) for i in range(len(snap))]
        spelled: dict[str, str] = {}
        for gs in per_title:
            for g in gs:
                spelled.setdefault(g.lower(), g)
        keys = sorted(spelled)
        code = {g: j for j, g in enumerate(keys)}
        indptr = np.zeros(len(per_title) + 1, np.int32)
        lists = [list(dict.fromkeys(code[g.lower()] for g in gs)) for gs in per_title]
        np.cumsum([len(cs) for cs in lists], out=indptr[1:])
        indices = np.array([c for cs in lists for c in cs], np.int32)
        return cls(snap.ids, snap.display_title, snap.platform, snap.kind, snap.release_year, snap.duration_int,
                   snap.duration_type, indptr, indices, Strings.of(spelled[g] for g in keys), snap.work,
                   snap.audience, snap.score_mean.astype(np.float32), snap.score_count.astype(np.int32))

    def row_of(self, title_id: str) -> int | None:
        """Item index of a (lower-case) title id, or None."""
        key = title_id.encode("utf-8", "replace")
        i = int(np.searchsorted(self.ids, key))
        return i if i < len(self.ids) and self.ids[i] == key else None

    def rows_of(self, title_ids: list[str]) -> np.ndarray:
        """Item indices of several ids (-1 for unknown ones)."""
        keys = np.array([t.encode("utf-8", "replace") for t in title_ids], dtype="S") if title_ids else np.zeros(0, "S1")
        return self.rows_of_keys(keys)

    def rows_of_keys(self, keys: np.ndarray) -> np.ndarray:
        """Item indices of ids given as bytes (a stored history's ``title_ids``), -1 for ids the model lacks."""
        keys = np.asarray(keys)
        if not len(self.ids) or not len(keys):
            return np.full(len(keys), -1, np.int64)
        pos = np.clip(np.searchsorted(self.ids, keys), 0, len(self.ids) - 1)
        return np.where(self.ids[pos] == keys, pos, -1).astype(np.int64)

    @cached_property
    def genre_key_of(self) -> np.ndarray:
        """Per genre code, the index of its key (``reelrec.genres.genre_key``: one key for the catalogs' spellings of a
        genre), so genres are compared across services as integers."""
        keys = [genre_key(g) for g in self.genres]
        index = {k: i for i, k in enumerate(dict.fromkeys(keys))}
        return np.array([index[k] for k in keys], np.int64)

    @property
    def n_genre_keys(self) -> int:
        """Number of distinct genre keys."""
        return int(self.genre_key_of.max(initial=-1)) + 1

    @cached_property
    def _genre_names(self) -> list[str]:
        """The genre labels as Python strings (a card names a title's genres from them)."""
        return list(self.genres)

    def genre_codes(self, row: int) -> np.ndarray:
        """Genre codes of one title."""
        return self.genre_indices[self.genre_indptr[row] : self.genre_indptr[row + 1]]

    def card(self, row: int, platforms: Collection[str] | None = None) -> dict:
        """What an answer shows of a title; ``available_on`` lists the work's copies on ``platforms`` (all when
        None). Cards are cached (a list shows ~15 of them, ~17 us each to build): the dict is shared, so callers copy
        it before adding fields and never change its lists."""
        return self._cards(int(row), None if platforms is None else tuple(sorted(set(platforms))))

    @cached_property
    def _cards(self) -> Callable[[int, tuple[str, ...] | None], dict]:
        """``_card`` behind an LRU cache of this catalog's most shown titles (per set of services)."""
        return lru_cache(maxsize=CARD_CACHE)(self._card)

    def _card(self, row: int, platforms: tuple[str, ...] | None) -> dict:
        """``card`` without the cache."""
        platform = CODES["platform"][self.platform[row]]
        mean = float(self.score_mean[row])
        return {
            "id": self.ids[row].decode(),
            "title": self.title[row],
            "platform": platform,
            "platform_name": PLATFORM_NAMES[platform],
            "type": CODES["kind"][self.kind[row]],
            "release_year": int(self.release_year[row]) or None,
            "duration": duration_label(int(self.duration_int[row]), int(self.duration_type[row])),
            "genres": [self._genre_names[g] for g in self.genre_codes(row).tolist()],
            "audience": audience_name(int(self.audience[row])),
            "available_on": self.copies.available_on(row, platforms),
            # the community's view (the route's own "score" is the recommender's)
            "community_score": None if math.isnan(mean) else round(mean, 2),
            "community_count": int(self.score_count[row]),
        }


@dataclass
class ModelArtifact:
    """A trained version: the scorer's arrays, the titles it knows, and a JSON summary (parameters, data)."""

    version: str
    model: HybridModel
    titles: TitleInfo
    info: dict  # JSON-able: catalog version, parameters, training data counts, ``examples`` (a sample of viewers)

    def __len__(self) -> int:
        """Number of titles the model ranks."""
        return len(self.titles)

    def to_bytes(self) -> bytes:
        """Serialise as an uncompressed ``.npz``: the API loads it with a copy, no inflate (cold start)."""
        m = self.model
        meta = {"format": FORMAT, "version": self.version, "info": self.info,
                "confidence": {"alpha": m.confidence.alpha, "neutral": m.confidence.neutral,
                               "neg_alpha": m.confidence.neg_alpha},
                **{name: getattr(m, name) for name in _SCALARS}}
        arrays: dict[str, np.ndarray] = {"format": np.array(FORMAT), "meta": np.array(json.dumps(meta))}
        for f in fields(HybridModel):
            value = getattr(m, f.name)
            if isinstance(value, np.ndarray):
                arrays[f"model.{f.name}"] = value
        for f in fields(TitleInfo):
            value = getattr(self.titles, f.name)
            if isinstance(value, Strings):
                arrays[f"titles.{f.name}.blob"], arrays[f"titles.{f.name}.offsets"] = value.blob, value.offsets
            else:
                arrays[f"titles.{f.name}"] = value
        return write_npz(arrays, level=None)

    @classmethod
    def from_bytes(cls, data: bytes) -> ModelArtifact:
        """Load what ``to_bytes`` wrote and ``validate`` it; refuses other format versions with a clear error."""
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            if int(npz["format"]) != FORMAT:
                raise ValueError(f"model artifact format {int(npz['format'])}, expected {FORMAT}")
            try:
                meta = json.loads(str(npz["meta"]))
                scalars = {**_ADDED, **meta}
                model_values: dict = {name: scalars[name] for name in _SCALARS}
                model_values["confidence"] = ConfidenceMap(**meta["confidence"])
                for f in fields(HybridModel):
                    if f.name not in model_values and f"model.{f.name}" in npz.files:  # optional arrays may be absent
                        model_values[f.name] = npz[f"model.{f.name}"]
                title_values: dict[str, Any] = {}
                for f in fields(TitleInfo):
                    if f.type == "Strings":
                        title_values[f.name] = Strings(npz[f"titles.{f.name}.blob"], npz[f"titles.{f.name}.offsets"])
                    else:
                        title_values[f.name] = npz[f"titles.{f.name}"]
                artifact = cls(meta["version"], HybridModel(**model_values), TitleInfo(**title_values), meta["info"])
            except (KeyError, TypeError, ValueError) as exc:
                raise InvalidArtifact(f"model artifact: missing or malformed entry ({type(exc).__name__}: "
                                      f"{str(exc)[:120]})") from None
        artifact.validate()
        return artifact

    def validate(self) -> None:
        """Raise ``InvalidArtifact`` unless the model's arrays and its titles agree (shapes, dtypes, index ranges,
        sorted ids, finite numbers): a broken model is refused at load, not request by request."""
        c = Checks(f"model {self.version}")
        t, m = self.titles, self.model
        n = len(c.array("titles.ids", t.ids, "S"))
        c.ascending("titles.ids", t.ids)
        for name, dtype, low, high in (("platform", "uint8", 0, len(PLATFORMS)), ("kind", "uint8", 0, len(TITLE_TYPES)),
                                       ("release_year", "int16", 0, 10_000), ("duration_int", "int32", -1, 2**31 - 1),
                                       ("duration_type", "int8", -1, len(DURATION_TYPES))):
            c.within(f"titles.{name}", c.array(f"titles.{name}", getattr(t, name), dtype, n), low, high)
        c.text("titles.title", t.title.blob, t.title.offsets, n)
        genres = c.text("titles.genres", t.genres.blob, t.genres.offsets, None)
        c.csr("titles.genre", t.genre_indptr, t.genre_indices, n, genres, "int32", "int32")
        c.works("titles.work", t.work, n)
        c.within("titles.audience", c.array("titles.audience", t.audience, "int8", n), -1, len(AUDIENCES))
        means = c.array("titles.score_mean", t.score_mean, "float32", n)
        c.within("titles.score_mean", means[~np.isnan(means)], 0.0, 5.0 + 1e-6)
        c.within("titles.score_count", c.array("titles.score_count", t.score_count, "int32", n), 0, 2**31 - 1)
        k = c.array("model.item_factors", m.item_factors, "float32", n, ndim=2).shape[1]
        if c.array("model.yty", m.yty, "float64", k, ndim=2).shape[1] != k:
            c.fail("model.yty", f"is not {k} x {k}")
        for name in ("item_factors", "yty"):
            c.finite(f"model.{name}", getattr(m, name))
        c.finite("model.pop_prior", c.array("model.pop_prior", m.pop_prior, "float32", n))
        c.array("model.rated", m.rated, "bool", n)
        blocks = len(c.array("model.block_weight", m.block_weight, "float32"))
        c.array("model.similar_weight", m.similar_weight, "float32", blocks)
        features = len(c.array("model.feat_block", m.feat_block, "int8"))
        c.within("model.feat_block", m.feat_block, 0, blocks)
        c.csr("model.feat", m.feat_indptr, m.feat_indices, n, features, "int64", "int32")
        c.array("model.feat_data", m.feat_data, "float32", len(m.feat_indices))
        c.csr("model.feat_t", m.feat_t_indptr, m.feat_t_rows, features, n, "int64", "int32")
        c.array("model.feat_t_data", m.feat_t_data, "float32", len(m.feat_t_rows))
        if len(m.feat_t_rows) != len(m.feat_indices):
            c.fail("model.feat_t_rows", "does not hold the same entries as model.feat_indices")
        for name in ("feat_data", "feat_t_data", "block_weight", "similar_weight"):
            c.finite(f"model.{name}", getattr(m, name))
        if m.work is not None:
            c.works("model.work", m.work, n)
        if m.audience is not None:
            c.within("model.audience", c.array("model.audience", m.audience, "int8", n), -1, len(AUDIENCES))
        scalars = [m.regularization, m.pop_weight, m.content_center, m.confidence.alpha, m.confidence.neutral,
                   m.confidence.neg_alpha]
        if not all(isinstance(x, int | float) and np.isfinite(x) for x in scalars):
            c.fail("meta", f"holds a parameter that is not a finite number ({scalars})")
        for name in ("known_ratings", "unknown_genre", "focus_genre"):
            value = getattr(m, name)
            if not isinstance(value, int | float) or not np.isfinite(value) or value < 0:
                c.fail(f"meta.{name}", f"is {value!r}, expected a finite number >= 0")
        if not isinstance(m.focus_from, int | float) or not 0 <= m.focus_from < 1:  # NaN fails too
            c.fail("meta.focus_from", f"is {m.focus_from!r}, expected a number in [0, 1)")
        if not isinstance(m.discovery_every, int) or m.discovery_every < 0:
            c.fail("meta.discovery_every", f"is {m.discovery_every!r}, expected an integer >= 0")
        sample = self.info.get("examples", [])
        if not (isinstance(sample, list) and all(isinstance(e, dict) and isinstance(e.get("user_id"), int)
                                                 and isinstance(e.get("ratings"), int) for e in sample)):
            c.fail("info.examples", "is not a list of {user_id, ratings} integers")
