"""The lake's catalog after this run (titles staged now, else the published ones still owned), and the API's
catalog snapshot built from it with the ratings parts' score aggregates."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq

from etl_job.serving import build_catalog_snapshot, pointer_format
from etl_job.staging import Staged
from reelrec import layout
from reelrec.catalog_snapshot import FORMAT as SNAPSHOT_FORMAT
from reelrec.schemas import PLATFORMS
from reelrec.storage import Store, StoreError


def read_lake_table(lake: Store, key: str, columns: list[str] | None = None) -> pa.Table:
    """A published parquet object; a corrupt one is a one-line ``StoreError`` saying how to rebuild it."""
    with lake.local_copy(key) as path:
        try:
            return pq.read_table(path, columns=columns)
        except (pa.ArrowException, ValueError, OSError) as exc:
            raise StoreError(f"{lake.uri}/{key} is unreadable ({str(exc).splitlines()[0][:160]}): run with --full to "
                             "rebuild the lake from the raw area") from None


def lake_titles(lake: Store, staged: Staged, owned: set[str], columns: list[str] | None = None) -> list[pa.Table]:
    """Per platform, the lake's titles after this run: staged where reloaded, else the published ones still
    ``owned`` (platforms with neither are left out)."""
    tables = []
    for platform in PLATFORMS:
        key = layout.lake_titles_key(platform)
        if platform in staged.titles:
            tables.append(staged.titles[platform].select(columns) if columns else staged.titles[platform])
        elif key in owned:
            tables.append(read_lake_table(lake, key, columns))
    return tables


def new_snapshot(lake: Store, staged: Staged, owned: set[str], run_id: str, changed: bool) -> bytes | None:
    """A new catalog snapshot (named ``run_id``) when this run ``changed`` the lake or the published one is of an
    older format; None when neither, or when the lake has no catalog."""
    if not changed and pointer_format(lake) == SNAPSHOT_FORMAT:
        return None
    titles = lake_titles(lake, staged, owned)
    if not titles:
        return None
    aggregates = []
    for key in sorted(k for k in owned if k.startswith(layout.RATING_AGGREGATES)):
        local = staged.folder / key
        aggregates.append(pq.read_table(local) if local.exists() else read_lake_table(lake, key))
    return build_catalog_snapshot(pa.concat_tables(titles), aggregates, run_id).to_bytes()
