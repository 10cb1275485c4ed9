"""The training job's inputs read with numpy only, as the training Lambda must (it has no room for pyarrow):
the ETL's catalog snapshot (``serving/catalog/``) and its numpy ratings parts (``serving/training/``)."""

from __future__ import annotations

import json
import zipfile

import numpy as np

from model_training.data import TEXT_COLUMNS, Catalog, Ratings
from reelrec import layout
from reelrec.catalog_snapshot import CODES, CatalogSnapshot, TrainingRatings, encode_ids
from reelrec.schemas import DISPLAY_COLUMNS
from reelrec.storage import Store, StoreError


def load_snapshot(lake: Store) -> CatalogSnapshot:
    """The catalog snapshot the lake's pointer names."""
    try:
        pointer = json.loads(lake.read_bytes(layout.CATALOG_POINTER))
        return CatalogSnapshot.from_bytes(lake.read_bytes(pointer["key"]))
    except (StoreError, ValueError, KeyError, TypeError, EOFError, OSError, zipfile.BadZipFile) as exc:
        raise StoreError(f"{lake.uri}: no usable catalog snapshot ({str(exc)[:160]}); run the ETL first "
                         "(with --full if the lake exists already) to publish one") from None


def load_catalog(lake: Store) -> tuple[Catalog, str]:
    """The current catalog snapshot as a ``Catalog`` (rows sorted by id) and the snapshot's version."""
    snap = load_snapshot(lake)
    return catalog_from_snapshot(snap), snap.version


def catalog_from_snapshot(snap: CatalogSnapshot) -> Catalog:
    """A snapshot's rows (sorted by id) as the training job's ``Catalog``."""
    n = len(snap)

    def strings(name: str) -> np.ndarray:
        column = getattr(snap, name)
        return np.array([column[i] or None for i in range(n)], dtype=object)

    def lake_text(name: str) -> np.ndarray:
        """The lake's lower-case form of a text field, from the form as written (the snapshot keeps only that)."""
        column = getattr(snap, DISPLAY_COLUMNS[name])
        return np.array([column[i].lower() or None for i in range(n)], dtype=object)

    text = {name: lake_text(name) if name in DISPLAY_COLUMNS else strings(name)
            for name in TEXT_COLUMNS if name not in ("type", "release_year")}
    text["type"] = np.array([CODES["kind"][k] for k in snap.kind], dtype=object)
    return Catalog(
        ids=np.array([i.decode() for i in snap.ids], dtype=object),
        titles=strings("title"),
        platforms=np.array([CODES["platform"][p] for p in snap.platform], dtype=object),
        release_year=snap.release_year.astype(np.int32),
        text=text,
    )


def load_ratings(lake: Store, catalog: Catalog) -> tuple[Ratings, int]:
    """Every ratings part, with title ids mapped to catalog rows; also how many ratings named no current title."""
    keys = sorted(i.key for i in lake.list(layout.TRAINING_RATINGS) if i.key.endswith(".npz"))
    ids = encode_ids(catalog.ids)
    columns: dict[str, list[np.ndarray]] = {"user_ids": [], "item_idx": [], "scores": [], "timestamps": []}
    dropped = 0
    for key in keys:
        try:
            part = TrainingRatings.from_bytes(lake.read_bytes(key))
        except (ValueError, KeyError, TypeError, EOFError, OSError, zipfile.BadZipFile) as exc:
            raise StoreError(f"{lake.uri}/{key} is unreadable ({str(exc)[:120]}): run the ETL with --full to "
                             "rebuild it") from None
        pos = np.searchsorted(ids, part.title_ids)
        pos = np.clip(pos, 0, max(len(ids) - 1, 0))
        found = (ids[pos] == part.title_ids) if len(ids) else np.zeros(len(part.title_ids), bool)
        item = np.where(found, pos, -1)[part.title_code]
        keep = item >= 0
        dropped += int((~keep).sum())
        columns["user_ids"].append(part.user_id[keep].astype(np.int64))
        columns["item_idx"].append(item[keep].astype(np.int32))
        columns["scores"].append(part.score[keep].astype(np.float32))
        columns["timestamps"].append(part.timestamp[keep].astype(np.int64))
    empty = {"user_ids": np.int64, "item_idx": np.int32, "scores": np.float32, "timestamps": np.int64}
    arrays: dict[str, np.ndarray] = {k: np.concatenate(v) if v else np.zeros(0, empty[k]) for k, v in columns.items()}
    return Ratings(arrays["user_ids"], arrays["item_idx"], arrays["scores"], arrays["timestamps"]), dropped
