"""Helpers for the API tests: a test client over a lake, and straightforward reference answers from the parquet.

The references read the lake's parquet with pyarrow and compute each answer in plain Python, independently of
the snapshot and of ``chalicelib.queries``; a route's answer must equal the reference's.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

import app as app_module
import numpy as np
import pyarrow.dataset as ds
from chalice.test import Client
from chalicelib.snapshots import MODEL, SnapshotCache
from chalicelib.viewers import Viewers

from reelrec.audience import RATING_AUDIENCE
from reelrec.histories import opened
from reelrec.model_artifact import ModelArtifact
from reelrec.schemas import PLATFORM_NAMES

FUNCTIONS_DIR = Path(__file__).resolve().parents[1] / "functions"


class FakeClock:
    """A clock the tests move by hand (Unix seconds)."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@contextmanager
def api_client(monkeypatch, lake: str | Path, clock: FakeClock | None = None,
               models: str | Path | None = None, users: str | Path | None = None) -> Iterator[Client]:
    """A ``chalice.test.Client`` (stage ``local`` of functions/.chalice/config.json) over ``lake``, ``models``
    (default: an empty models area beside the lake, so no model) and the history store ``users`` (default: the
    ``users`` folder beside the lake), fresh caches."""
    monkeypatch.setenv("REELREC_LAKE", str(lake))
    monkeypatch.setenv("REELREC_MODELS", str(models or Path(lake).parent / "no-models"))
    monkeypatch.setenv("REELREC_USERS", str(users or Path(lake).parent / "users"))
    monkeypatch.delenv("REELREC_SNAPSHOT_CHECK_SECONDS", raising=False)
    monkeypatch.setattr(app_module, "snapshots", SnapshotCache(clock=clock or FakeClock()))
    monkeypatch.setattr(app_module, "models", SnapshotCache(clock=clock or FakeClock(), source=MODEL))
    monkeypatch.setattr(app_module, "viewers", Viewers())
    with Client(app_module.app, stage_name="local", project_dir=str(FUNCTIONS_DIR)) as client:
        yield client


BAD_REQUEST_KEYS = {"error", "message", "parameter", "value", "allowed", "request_id"}  # every 400 body


def get(client: Client, path: str, **query: object) -> tuple[int, dict]:
    """GET ``path`` with ``query`` (None values left out); the status and the JSON body."""
    params = {k: v for k, v in query.items() if v is not None}
    response = client.http.get(path + ("?" + urlencode(params) if params else ""))
    return response.status_code, json.loads(response.body)


def known_users(users: str | Path) -> np.ndarray:
    """Every viewer id in a SQLite history store (sorted)."""
    with opened(str(users)) as store:
        return store.user_ids()


def known_history(artifact: ModelArtifact, users: str | Path, user_id: int) -> tuple[np.ndarray, np.ndarray]:
    """A stored viewer's (item_idx, scores) in ``artifact``'s item order, titles it lacks left out (the route's
    rule)."""
    with opened(str(users)) as store:
        h = store.get(user_id)
    assert h is not None, f"viewer {user_id} is not in {users}"
    rows = artifact.titles.rows_of_keys(h.title_ids)
    return rows[rows >= 0], np.asarray(h.scores[rows >= 0], np.float32)


class Reference:
    """The lake's titles and ratings as Python rows, and each route's answer computed the obvious way."""

    def __init__(self, lake: str | Path) -> None:
        self.titles = ds.dataset(Path(lake) / "titles").to_table().to_pylist()
        self.by_id = {t["id"]: t for t in self.titles}
        sums: dict[str, list[float]] = {}
        for rating in ds.dataset(Path(lake) / "ratings").to_table(columns=["title_id", "score"]).to_pylist():
            sums.setdefault(rating["title_id"], []).append(rating["score"])
        self.scores = {tid: (sum(s) / len(s), len(s)) for tid, s in sums.items()}

    def _rows(self, platform: str | None = None, year: int | None = None) -> list[dict]:
        return [t for t in self.titles if platform in (None, t["platform"]) and year in (None, t["release_year"])]

    def years(self, platform: str | None = None, most_common: int = 5) -> list[int]:
        """The most frequent release years (of ``platform``)."""
        counts = Counter(t["release_year"] for t in self._rows(platform) if t["release_year"])
        return [y for y, _ in counts.most_common(most_common)]

    def max_duration(self, year: int | None = None, platform: str | None = None,
                     duration_type: str = "min") -> dict | None:
        kind = {"min": "movie", "season": "tv show"}[duration_type]
        rows = [t for t in self._rows(platform, year) if t["duration_type"] == duration_type and t["type"] == kind]
        if not rows:
            return None
        best = sorted(rows, key=lambda t: (-t["duration_int"], t["title"], t["id"]))[0]
        return {"title": best["display_title"], "id": best["id"], "platform": best["platform"],
                "release_year": best["release_year"], "duration_int": best["duration_int"],
                "duration_type": duration_type}

    def score_count(self, platform: str, scored: float, year: int) -> dict | None:
        if not any(t["type"] == "movie" for t in self._rows(platform, year)):
            return None
        count = sum(1 for t in self._rows(platform, year)
                    if t["type"] == "movie" and t["id"] in self.scores and self.scores[t["id"]][0] > scored)
        return {"platform": platform, "scored": float(scored), "year": year, "count": count}

    def count_platform(self, platform: str) -> dict:
        kinds = Counter(t["type"] for t in self._rows(platform))
        return {"platform": platform, "count": kinds["movie"], "tv_shows": kinds["tv show"]}

    def actor(self, platform: str, year: int) -> dict | None:
        if not any(t["cast"] for t in self._rows(platform)):
            return None
        counts: Counter[str] = Counter()
        for title in self._rows(platform, year):
            counts.update({name.strip() for name in (title["cast"] or "").split(",") if name.strip()})
        if not counts:
            return None
        name, count = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0]
        return {"platform": platform, "year": year, "actor": self.spelled(name), "count": count}

    def spelled(self, name: str) -> str:
        """A cast member as the catalog first wrote them (titles in id order), from the lower-case name."""
        for title in sorted(self.titles, key=lambda t: t["id"]):
            for shown in (title["display_cast"] or "").split(","):
                if shown.strip().lower() == name:
                    return shown.strip()
        raise AssertionError(f"no display spelling of {name!r}")

    def title(self, title_id: str) -> dict | None:
        row = self.by_id.get(title_id)
        if row is None:
            return None
        mean, count = self.scores.get(title_id, (None, 0))
        shown = {name: row[f"display_{name}"] for name in ("title", "director", "cast", "country", "listed_in",
                                                            "description")}
        lake = {k: v for k, v in row.items() if not k.startswith("display_")}
        return {**lake, **shown, "platform_name": PLATFORM_NAMES[row["platform"]],
                "date_added": row["date_added"].isoformat() if row["date_added"] else None,
                "score": None if mean is None else round(mean, 4), "score_count": count,
                # a rating the null -> "g" rule filled in is not shown, and says nothing of the audience
                "rating": None if row["rating_defaulted"] else row["rating"],
                "audience": None if row["rating_defaulted"] else RATING_AUDIENCE.get(row["rating"])}


def record(answer: tuple[int, dict]) -> tuple[int, dict]:
    """A title answer without ``available_on`` (the works grouping has its own tests), after checking the title
    itself is listed there."""
    status, body = answer
    if status == 200:
        assert body["id"] in [a["id"] for a in body.pop("available_on")]
    return status, body
