"""Broken artifacts are refused at load, never served: the catalog snapshot and the model, mutated array by array.

The property: a mutated ``.npz`` either fails to load with a clear error, or every answer the API builds from it works
(no exception). The API then keeps serving the previous object and ``/health`` says why it refused the new one.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import zipfile

import numpy as np
import pytest
from chalicelib import queries, recommend, search
from chalicelib.errors import ApiError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from model_training import registry
from reelrec import layout
from reelrec.artifact_checks import InvalidArtifact
from reelrec.catalog_snapshot import CatalogSnapshot, write_npz
from reelrec.histories import History
from reelrec.model_artifact import ModelArtifact
from reelrec.storage import open_store
from tests.api_reference import FakeClock, api_client, get, known_users

MUTATIONS = ("drop last", "append", "swap", "set low", "set high", "set zero", "reverse", "dtype", "2-D", "remove")


def arrays_of(data: bytes) -> dict[str, np.ndarray]:
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        return {name: npz[name] for name in npz.files}


def mutate(arrays: dict[str, np.ndarray], name: str, how: str, at: int) -> dict[str, np.ndarray]:
    """A copy of ``arrays`` with ``name`` changed by ``how`` (``at``: which entry, modulo its length)."""
    out = dict(arrays)
    a = arrays[name].copy()
    i = at % max(len(a), 1) if a.ndim else 0
    if how == "remove":
        del out[name]
        return out
    if a.ndim == 0 or not len(a):
        out[name] = np.zeros(3, np.int64) if how != "dtype" else a.astype("S8")
        return out
    if how == "drop last":
        a = a[:-1]
    elif how == "append":
        a = np.concatenate([a, a[-1:]])
    elif how == "swap":
        j = (i + 1) % len(a)
        a[[i, j]] = a[[j, i]]
    elif how in ("set low", "set high", "set zero") and a.dtype.kind in "iuf":
        info = np.finfo(a.dtype) if a.dtype.kind == "f" else np.iinfo(a.dtype)
        a.flat[i] = {"set low": info.min, "set high": info.max, "set zero": 0}[how]
    elif how in ("set low", "set high", "set zero") and a.dtype.kind == "b":
        a.flat[i] = not a.flat[i]
    elif how in ("set low", "set high", "set zero") and a.dtype.kind == "S":
        a[i] = {"set low": b"", "set high": b"\xff\xfe", "set zero": b"0"}[how]
    elif how == "reverse":
        a = a[::-1].copy()
    elif how == "dtype":
        a = (a.astype("U") if a.dtype.kind == "S" else np.nan_to_num(a).astype(np.int64) if a.dtype.kind == "f"
             else a.astype(np.float64))
    elif how == "2-D":
        a = a.reshape(len(a), -1)[:, :1].repeat(2, axis=1) if a.ndim == 1 else a.ravel()
    out[name] = a
    return out


def strict_json(answer: object) -> None:
    """An answer the route can send: JSON without NaN or infinities."""
    json.dumps(answer, allow_nan=False)


def catalog_answers(snap: CatalogSnapshot) -> None:
    """What the catalog routes compute from a snapshot (NotFound counts as an answer)."""
    for call in (lambda: queries.get_max_duration(snap), lambda: queries.get_max_duration(snap, 2018, "netflix", "season"),
                 lambda: queries.get_score_count(snap, "netflix", 3.5, 2019), lambda: queries.get_count_platform(snap, "hulu"),
                 lambda: queries.get_actor(snap, "netflix", 2018), lambda: queries.get_actor(snap, "amazon", 2020),
                 lambda: search.search_titles(snap, "the", limit=20), lambda: search.search_titles(snap, "a"),
                 lambda: search.search_titles(snap, "lovee stroy"), lambda: search.search_titles(snap, "john")):
        with contextlib.suppress(ApiError):  # a 404 is an answer
            strict_json(call())
    for row in sorted({0, len(snap) // 2, len(snap) - 1}):
        strict_json(queries.get_title(snap, snap.ids[row].decode()))


def model_answers(model: ModelArtifact) -> None:
    """What the recommendation routes compute from a model."""
    ids = [model.titles.ids[r].decode() for r in sorted({0, len(model) // 3, len(model) - 1})]
    calls = [lambda: recommend.for_new_user(model, {ids[0]: 5.0, ids[1]: 1.0}, k=10),
             lambda: recommend.similar(model, ids[-1], k=10), lambda: recommend.examples(model)]
    t = model.titles
    stored = History(np.array([t.ids[0], t.ids[len(model) // 2], b"ns99999999"]), np.array([5.0, 2.0, 4.0], np.float32),
                     np.array([1, 2, 3], np.int64))  # a known viewer's history (one title newer than the model)
    calls += [lambda: recommend.for_user(model, 1, stored, k=10),
              lambda: recommend.for_user(model, 1, stored, k=5, platforms=("netflix", "hulu"), type="movie")]
    for call in calls:
        with contextlib.suppress(ApiError):  # a 404 is an answer
            strict_json(call())


@pytest.fixture(scope="module")
def snapshot_bytes(api_lake) -> bytes:
    lake = open_store(api_lake)
    return lake.read_bytes(json.loads(lake.read_bytes(layout.CATALOG_POINTER))["key"])


@pytest.fixture(scope="module")
def model_bytes(api_models) -> bytes:
    models = open_store(api_models)
    return models.read_bytes(registry.current(models)["key"])


def test_the_published_artifacts_are_valid_and_answer(snapshot_bytes, model_bytes):
    catalog_answers(CatalogSnapshot.from_bytes(snapshot_bytes))
    model_answers(ModelArtifact.from_bytes(model_bytes))


@pytest.mark.parametrize("name, how, expected", [
    ("platform", "drop last", "platform has"),  # lengths disagree
    ("platform", "set high", "platform holds values outside"),  # a code out of range
    ("cast_indices", "set high", "cast indices holds values outside"),
    ("title.offsets", "reverse", "title.offsets runs from"),  # garbage offsets
    ("display_title.offsets", "swap", "display_title.offsets"),
    ("ids", "swap", "ids is not sorted"),  # unsorted ids: searchsorted would give silent wrong 404s
    ("work", "set high", "work holds values outside"),
    ("title_rank", "set zero", "title_rank"),
    ("search.person_rows", "set high", "search.person indices holds values outside"),
    ("search.title_pair_pos", "swap", "search.title_pair_pos does not list each pair's positions"),
    ("score_mean", "dtype", "score_mean has dtype int64"),
    ("kind", "remove", "missing array"),
])
def test_a_broken_snapshot_is_refused_naming_the_array(snapshot_bytes, name, how, expected):
    data = write_npz(mutate(arrays_of(snapshot_bytes), name, how, 5))
    with pytest.raises(InvalidArtifact, match="catalog snapshot") as exc:
        CatalogSnapshot.from_bytes(data)
    assert expected in str(exc.value)


@pytest.mark.parametrize("name, how, expected", [
    ("model.item_factors", "drop last", "model.item_factors has"),
    ("model.feat_t_rows", "set high", "model.feat_t indices holds values outside"),
    ("model.feat_indices", "set low", "model.feat indices holds values outside"),
    ("model.yty", "2-D", "model.yty has 1 dimensions"),
    ("model.yty", "dtype", "model.yty has dtype int64"),
    ("titles.genre_indptr", "reverse", "titles.genre indptr"),
    ("titles.ids", "swap", "titles.ids is not sorted"),
    ("model.pop_prior", "drop last", "model.pop_prior has"),
    ("titles.platform", "remove", "missing or malformed"),
])
def test_a_broken_model_is_refused_naming_the_array(model_bytes, name, how, expected):
    data = write_npz(mutate(arrays_of(model_bytes), name, how, 3), level=None)
    with pytest.raises(InvalidArtifact, match="model") as exc:
        ModelArtifact.from_bytes(data)
    assert expected in str(exc.value)


def refused_or_answers(data: bytes, load, answers) -> str:
    try:
        loaded = load(data)
    except (ValueError, KeyError, zipfile.BadZipFile):  # InvalidArtifact is a ValueError; the cache catches all
        return "refused"
    answers(loaded)
    return "accepted"


SLOW = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                           HealthCheck.too_slow])


@SLOW
@given(data=st.data())
def test_a_mutated_snapshot_is_refused_or_answers_every_query(snapshot_bytes, data):
    arrays = arrays_of(snapshot_bytes)
    name = data.draw(st.sampled_from(sorted(a for a in arrays if a != "format")), label="array")
    how = data.draw(st.sampled_from(MUTATIONS), label="mutation")
    at = data.draw(st.integers(0, 10**6), label="at")
    refused_or_answers(write_npz(mutate(arrays, name, how, at)), CatalogSnapshot.from_bytes, catalog_answers)


@SLOW
@given(data=st.data())
def test_a_mutated_model_is_refused_or_answers_every_request(model_bytes, data):
    arrays = arrays_of(model_bytes)
    name = data.draw(st.sampled_from(sorted(a for a in arrays if a not in ("format", "meta"))), label="array")
    how = data.draw(st.sampled_from(MUTATIONS), label="mutation")
    at = data.draw(st.integers(0, 10**6), label="at")
    refused_or_answers(write_npz(mutate(arrays, name, how, at), level=None), ModelArtifact.from_bytes, model_answers)


def test_the_api_keeps_the_previous_objects_and_health_says_why(api_lake, api_models, tmp_path, monkeypatch):
    lake, models = tmp_path / "lake", tmp_path / "models"
    shutil.copytree(api_lake, lake)
    shutil.copytree(api_models, models)
    lake_store, model_store = open_store(lake), open_store(models)
    snap_arrays = arrays_of(lake_store.read_bytes(json.loads(lake_store.read_bytes(layout.CATALOG_POINTER))["key"]))
    model_arrays = arrays_of(model_store.read_bytes(registry.current(model_store)["key"]))

    clock = FakeClock()
    with api_client(monkeypatch, lake, clock, models=str(models), users=api_lake.parent / "users") as c:
        health = get(c, "/health")[1]
        first, first_model = health["snapshot_version"], health["model"]["snapshot_version"]
        lake_store.write_bytes("serving/catalog/bad.npz", write_npz(mutate(snap_arrays, "ids", "swap", 7)))
        lake_store.write_bytes(layout.CATALOG_POINTER, json.dumps({"version": "bad", "key": "serving/catalog/bad.npz"})
                               .encode())
        model_store.write_bytes("versions/bad/model.npz",
                                write_npz(mutate(model_arrays, "model.feat_indices", "set high", 2), level=None))
        registry.promote(model_store, "bad", "a broken model")
        clock.now += 3600
        status, body = get(c, "/get_count_platform", platform="netflix")
        assert status == 200 and body["count"] > 0
        user = int(known_users(api_lake.parent / "users")[0])
        assert get(c, f"/users/{user}/recommendations", k=3)[0] == 200
        health = get(c, "/health")[1]
        assert health["status"] == "ok" and health["snapshot_version"] == first, health
        assert "refused as invalid" in health["refresh_error"] and "ids is not sorted" in health["refresh_error"]
        assert health["model"]["snapshot_version"] == first_model
        assert "model.feat indices holds values outside" in health["model"]["refresh_error"], health["model"]

    # a fresh container: nothing to fall back on
    with api_client(monkeypatch, lake, clock, models=str(models), users=api_lake.parent / "users") as c:
        status, body = get(c, "/health")
        assert status == 503 and "refused as invalid" in body["message"] and "ids is not sorted" in body["message"]
        status, body = get(c, "/get_count_platform", platform="netflix")
        assert status == 503 and "error" in body and "refused as invalid" in body["message"]


@pytest.mark.parametrize(("name", "value"), [("known_ratings", -1.0), ("unknown_genre", float("nan")),
                                             ("unknown_genre", "2"), ("focus_genre", -0.5),
                                             ("focus_from", float("nan")), ("focus_from", 1.0), ("focus_from", "0.6")])
def test_a_blend_parameter_out_of_range_is_refused_naming_it(model_bytes, name, value):
    arrays = arrays_of(model_bytes)
    meta = json.loads(str(arrays["meta"]))
    meta[name] = value
    arrays["meta"] = np.array(json.dumps(meta))
    with pytest.raises(InvalidArtifact, match=name):
        ModelArtifact.from_bytes(write_npz(arrays, level=None))
