"""`chalice local` serves every route over a real lake, and the snapshot cache holds up under threads."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from chalicelib.snapshots import SnapshotCache

from tests.api_reference import FUNCTIONS_DIR, FakeClock

CHALICE = Path(sys.executable).with_name("chalice")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


@pytest.mark.skipif(not CHALICE.exists(), reason=f"chalice CLI not installed beside {sys.executable}")
def test_chalice_local_serves_every_route(api_lake):
    port = free_port()
    env = {**os.environ, "REELREC_LAKE": str(api_lake), "PYTHONPATH": str(FUNCTIONS_DIR.parent)}
    server = subprocess.Popen(
        [str(CHALICE), "local", "--stage", "local", "--port", str(port), "--no-autoreload"],
        cwd=FUNCTIONS_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if fetch(f"{base}/health")[0] == 200:
                    break
            except OSError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, server.stderr.read().decode()[-2000:]
            time.sleep(0.2)
        answers = {
            "/get_max_duration?platform=netflix": 200,
            "/get_score_count?platform=netflix&scored=3&year=2019": 200,
            "/get_count_platform?platform=Disney": 200,
            "/get_actor?platform=netflix&year=2019": 200,
            "/get_actor?platform=hulu&year=2019": 404,
            "/titles/ns1": 200,
            "/titles/zz9": 404,
            "/get_max_duration?year=nope": 400,
        }
        for path, status in answers.items():
            got, body = fetch(base + path)
            assert got == status and isinstance(body, dict), (path, got, body)
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_concurrent_requests_during_refreshes_all_get_a_whole_snapshot(api_lake):
    """Check interval 0: every request re-reads the pointer while others answer; no request may fail."""
    cache = SnapshotCache(uri=str(api_lake), check_seconds=0, clock=FakeClock())
    errors: list[BaseException] = []

    def hammer() -> None:
        try:
            for _ in range(200):
                snap = cache.get()
                assert len(snap) > 0 and snap.record(0)["id"]
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=hammer) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and cache.status()["refresh_error"] is None
