"""What the lake already holds: per raw input, the checksum and outputs of its last good run."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from etl_job import TRANSFORM_VERSION
from reelrec.layout import LAKE_STATE
from reelrec.storage import Store, StoreError


@dataclass
class LakeState:
    """Persisted as ``_state.json`` in the lake; written after the outputs it describes."""

    transform_version: str = TRANSFORM_VERSION
    inputs: dict[str, dict] = field(default_factory=dict)

    @classmethod
    def load(cls, lake: Store) -> LakeState:
        """The lake's state, or an empty one for a new lake."""
        if lake.stat(LAKE_STATE) is None:
            return cls()
        try:
            data = json.loads(lake.read_bytes(LAKE_STATE))
        except (StoreError, ValueError) as exc:
            raise StoreError(f"{lake.uri}/{LAKE_STATE} is unreadable ({exc}); run with --full to rebuild") from None
        return cls(data.get("transform_version", ""), data.get("inputs", {}))

    def save(self, lake: Store) -> None:
        body = {"transform_version": self.transform_version, "inputs": dict(sorted(self.inputs.items()))}
        lake.write_bytes(LAKE_STATE, json.dumps(body, indent=1, sort_keys=True).encode())
