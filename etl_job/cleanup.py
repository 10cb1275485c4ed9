"""What killed runs leave behind: partial lake objects and local staging folders, removed by the next run."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from pathlib import Path

from etl_job.staging import STAGING_PREFIX
from reelrec.lease import LEASE_SECONDS
from reelrec.storage import Store, StoreError


def clean_stale(lake: Store, older_than: float = LEASE_SECONDS, now: float | None = None) -> list[str]:
    """The lake's temporary objects older than a lease, and local staging folders whose process is gone (or is
    this one: a folder left by an earlier run in this process). Removes them and returns what it removed."""
    now = time.time() if now is None else now
    removed = []
    for key, mtime in lake.temporaries():
        if now - mtime > older_than:
            with contextlib.suppress(OSError, StoreError):
                Path(lake.uri, key).unlink()
                removed.append(f"{lake.uri}/{key}")
    for folder in Path(tempfile.gettempdir()).glob(f"{STAGING_PREFIX}*"):
        pid = folder.name[len(STAGING_PREFIX):].split("-", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid() or not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(str(folder))
    return removed


def _alive(pid: int) -> bool:
    """True when process ``pid`` exists (another user's counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True
