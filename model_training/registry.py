"""Versioned models in the models store, and the gate that decides which one the API serves.

Every run writes ``versions/<version>/`` (artifact, metrics as JSON and markdown). The pointer ``current.json``
names the served version; switching is one atomic write of that small object, done last, so an interrupted run
never changes what is served. Training runs hold the models area's lease (``reelrec.lease``), version names carry
random bits and a version's artifact is created exclusively, and the switch is a conditional write (S3
``If-Match``) against the pointer the run read: two runs can never share a version or both believe they promoted.
Every run prunes: the newest few versions, the newest promoted ones and the served one are kept.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Mapping
from typing import Any, Final, cast

from model_training.records import CANDIDATE, MODES, Gate, TrainingMetrics
from reelrec import layout
from reelrec.storage import Store, StoreError

KEEP_VERSIONS = 5  # the newest versions kept, whatever their gate decision
KEEP_PROMOTED = 2  # and the newest promoted ones, however old: refused runs never push out the last good model
GATE_METRIC: Final = "ndcg@10"
GATE_MODEL = CANDIDATE
GATE_MODES = MODES


ANY = object()  # promote() without a condition


class VersionExists(StoreError):
    """A version of that name is stored already (names are unique; this is a collision)."""


def current(models: Store) -> dict[str, Any] | None:
    """The pointer of the served version (None when nothing was promoted yet or it is unreadable)."""
    return current_and_tag(models)[0]


def current_and_tag(models: Store) -> tuple[dict[str, Any] | None, str | None]:
    """The served pointer and the pointer object's change tag (None, None when there is no pointer), for a
    promotion that must not overwrite a pointer changed since."""
    info = models.stat(layout.MODEL_POINTER)
    if info is None:
        return None, None
    try:
        pointer = json.loads(models.read_bytes(layout.MODEL_POINTER))
    except (StoreError, ValueError):
        return None, info.tag
    return (pointer if isinstance(pointer, dict) and "version" in pointer else None), info.tag


def metrics_of(models: Store, version: str) -> TrainingMetrics | None:
    """A version's metrics report, or None when it cannot be read (older reports may lack newer keys)."""
    try:
        report = json.loads(models.read_bytes(layout.model_key(version, "metrics.json")))
    except (StoreError, ValueError):
        return None
    return cast(TrainingMetrics, report) if isinstance(report, dict) else None


def created_at(models: Store, version: str) -> dt.datetime | None:
    """When the stored ``version`` was made (UTC; ``creation_time`` of its report)."""
    return creation_time(metrics_of(models, version), version)


def creation_time(report: Mapping[str, Any] | None, version: str) -> dt.datetime | None:
    """When a version was made (UTC): its report's ``created``, else the time its name starts with (names sort by
    time); None when neither reads."""
    created = report.get("created") if report is not None else None
    when: dt.datetime | None = None
    if isinstance(created, str):
        with contextlib.suppress(ValueError):
            when = dt.datetime.fromisoformat(created)
    if when is None:
        return layout.version_time(version)  # UTC, from the name
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)


def write_version(models: Store, version: str, artifact: bytes, metrics: Mapping[str, Any], report_md: str) -> None:
    """Write a version's files; the artifact first and exclusively (``VersionExists`` when the name is taken), so
    metrics never describe a missing model and two runs never share a folder. A failed write (a full disk) removes
    what it wrote: no half version is left behind."""
    if not models.create(layout.model_key(version, "model.npz"), artifact):
        raise VersionExists(f"{models.uri}: version {version} exists already; nothing was written")
    try:
        models.write_bytes(layout.model_key(version, "metrics.md"), report_md.encode())
        models.write_bytes(layout.model_key(version, "metrics.json"), json.dumps(metrics, indent=1).encode())
    except StoreError:
        for name in ("metrics.json", "metrics.md", "model.npz"):
            with contextlib.suppress(StoreError):
                models.delete(layout.model_key(version, name))
        raise


def gate(candidate: Mapping[str, Any], incumbent: Mapping[str, Any] | None) -> tuple[bool, str]:
    """Promote when there is no incumbent, or when the candidate's hybrid is not worse on every gated mode.

    Both reports must come from the same evaluation (the job evaluates the incumbent's parameters on the
    candidate's split), so the comparison is like for like.
    """
    if incumbent is None:
        return True, "no model is served yet"
    worse = []
    for mode in GATE_MODES:
        new = candidate["evaluation"][mode][GATE_MODEL][GATE_METRIC]
        old = incumbent["evaluation"][mode][GATE_MODEL][GATE_METRIC]
        if new < old - 1e-12:
            worse.append(f"{mode} users {GATE_METRIC} {new:.4f} < {old:.4f}")
    if worse:
        return False, "worse than the served model: " + "; ".join(worse)
    return True, f"not worse than the served model on {GATE_METRIC} for {' and '.join(GATE_MODES)} users"


def promote(models: Store, version: str, reason: str, if_tag: object = ANY) -> dict[str, Any] | None:
    """Point the API at ``version``: one atomic write of the pointer. With ``if_tag`` (a tag from
    ``current_and_tag``, None for "no pointer yet") only if the pointer is still that one; None when it moved."""
    pointer = {
        "version": version,
        "key": layout.model_key(version, "model.npz"),
        "promoted": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "reason": reason,
    }
    body = json.dumps(pointer).encode()
    if if_tag is ANY:
        models.write_bytes(layout.MODEL_POINTER, body)
    elif not models.replace_if(layout.MODEL_POINTER, body, if_tag):  # type: ignore[arg-type]
        return None
    return pointer


def versions(models: Store) -> list[str]:
    """Every stored version, oldest first (version names sort by time)."""
    return sorted({i.key.split("/")[1] for i in models.list(layout.MODEL_VERSIONS) if i.key.count("/") >= 2})


def gate_of(models: Store, version: str) -> Gate | None:
    """The gate's decision in the version's report, None when the report or its decision is missing."""
    report = metrics_of(models, version)
    return report.get("gate") if report is not None else None


def _was_promoted(models: Store, version: str) -> bool:
    """Whether the version's report says its gate promoted it."""
    decision = gate_of(models, version)
    return bool(decision and decision.get("promoted"))


def prune(models: Store, keep: int = KEEP_VERSIONS, protect: tuple[str, ...] = (),
          keep_promoted: int = KEEP_PROMOTED) -> list[str]:
    """Delete old versions: keep the newest ``keep``, the newest ``keep_promoted`` that their run promoted, the
    served one and ``protect``; returns what was deleted (oldest first)."""
    stored = versions(models)
    served = current(models)
    kept = set(stored[-max(keep, 1):]) | set(protect) | ({served["version"]} if served else set())
    promoted = [v for v in reversed(stored) if _was_promoted(models, v)]
    kept |= set(promoted[:keep_promoted])
    doomed = [v for v in stored if v not in kept]
    for version in doomed:
        for info in models.list(f"{layout.MODEL_VERSIONS}{version}/"):
            models.delete(info.key)
    return doomed


def rollback(models: Store, version: str) -> dict[str, Any]:
    """Serve an older stored version again (the README's rollback step)."""
    if models.stat(layout.model_key(version, "model.npz")) is None:
        raise StoreError(f"{models.uri}: no stored model version {version!r}; stored: {', '.join(versions(models))}")
    pointer = promote(models, version, f"rolled back by hand to {version}")
    assert pointer is not None  # an unconditional promotion always switches
    return pointer
