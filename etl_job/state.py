"""What the lake already holds: per raw input, the checksum and outputs of its last good run (``_state.json``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypedDict

from etl_job import TRANSFORM_VERSION
from reelrec.layout import LAKE_STATE
from reelrec.storage import Store, StoreError


class StateEntry(TypedDict, total=False):
    """One raw input in ``_state.json``. Every key is optional when read (older lakes wrote fewer): a loaded input
    has ``run_id`` and its row counts (ratings also ``catalog`` and ``unknown_title_ids``), a duplicate has
    ``duplicate_of`` and no outputs."""

    kind: str  # titles | ratings
    sha256: str | None
    size: int | None
    tag: str | None  # the raw object's change tag (ETag or mtime) when it was judged
    run_id: str
    outputs: list[str]  # the lake objects this input owns
    rows_read: int
    rows_written: int
    rows_quarantined: int
    duplicate_of: str
    catalog: str  # fingerprint of the title ids the ratings were checked against
    unknown_title_ids: int


class StateFile(TypedDict):
    """The JSON body of ``_state.json``."""

    transform_version: str
    inputs: dict[str, StateEntry]


@dataclass
class LakeState:
    """Persisted as ``_state.json`` in the lake; written after the outputs it describes."""

    transform_version: str = TRANSFORM_VERSION
    inputs: dict[str, StateEntry] = field(default_factory=dict)

    @classmethod
    def load(cls, lake: Store, rebuild: bool = False, say: Callable[[str], None] | None = None) -> LakeState:
        """The lake's state, or an empty one for a new lake. An unreadable or malformed state is an error naming
        the fix (``--full``); with ``rebuild`` (that fix) it is set aside and the lake is rebuilt from the raw area."""
        if lake.stat(LAKE_STATE) is None:
            return cls()
        try:
            data = json.loads(lake.read_bytes(LAKE_STATE))
            problem = _shape_problem(data)
        except (StoreError, ValueError) as exc:
            problem = f"unreadable ({str(exc)[:120]})"
        if problem is None:
            return cls(data.get("transform_version", ""), data["inputs"])
        if rebuild:
            (say or (lambda _: None))(f"etl: {lake.uri}/{LAKE_STATE} is {problem}: ignored, --full rebuilds the lake")
            return cls("")
        raise StoreError(f"{lake.uri}/{LAKE_STATE} is {problem}: run with --full to rebuild the lake from the raw area")

    def owned(self) -> set[str]:
        """Every lake object some input of this state owns."""
        return {k for e in self.inputs.values() for k in e.get("outputs", [])}

    def body(self) -> StateFile:
        """What ``save`` writes (inputs sorted by key)."""
        return {"transform_version": self.transform_version, "inputs": dict(sorted(self.inputs.items()))}

    def save(self, lake: Store) -> None:
        """Write ``_state.json`` (after the outputs it names are in the lake)."""
        lake.write_bytes(LAKE_STATE, json.dumps(self.body(), indent=1, sort_keys=True).encode())


def state_tag(lake: Store) -> str | None:
    """The change tag of the lake's ``_state.json`` (None when there is none): a run compares it before publishing
    to know that no other run published meanwhile."""
    info = lake.stat(LAKE_STATE)
    return info.tag if info else None


def _shape_problem(data: object) -> str | None:
    """Why ``data`` is not a lake state (None when it is): an object with a string version and an object of
    inputs, each an object with a list of string outputs."""
    if not isinstance(data, dict):
        return f"not a lake state (a JSON {type(data).__name__}, expected an object)"
    if not isinstance(data.get("transform_version", ""), str):
        return "not a lake state (transform_version is not a string)"
    inputs = data.get("inputs")
    if not isinstance(inputs, dict):
        return "not a lake state (no object of inputs)"
    for key, entry in inputs.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("outputs", []), list) or not all(
                isinstance(o, str) for o in entry.get("outputs", [])):
            return f"not a lake state (input {str(key)[:80]!r} is malformed)"
    return None
