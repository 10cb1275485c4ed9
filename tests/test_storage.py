"""The storage seam: the same behaviour on a local folder and on S3 (moto)."""

from __future__ import annotations

import pytest

from reelrec.config import area_uri
from reelrec.storage import LocalStore, S3Store, StoreError, open_store


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path):
    if request.param == "local":
        yield open_store(tmp_path / "store")
    else:
        request.getfixturevalue("aws")
        yield open_store("s3://reelrec-test/some/prefix")


def test_round_trip_list_stat_delete(store, tmp_path):
    store.write_bytes("a/b.json", b"{}")
    src = tmp_path / "src.bin"
    src.write_bytes(b"x" * 10)
    store.upload_file(src, "a/c.bin")
    assert store.read_bytes("a/b.json") == b"{}"
    assert [i.key for i in store.list("a/")] == ["a/b.json", "a/c.bin"]
    assert store.stat("a/c.bin").size == 10
    assert store.stat("a/missing") is None
    with store.local_copy("a/c.bin") as path:
        assert path.read_bytes() == b"x" * 10
    store.delete("a/b.json")
    assert [i.key for i in store.list()] == ["a/c.bin"]


def test_missing_object_is_a_clear_error(store):
    with pytest.raises(StoreError, match="no object 'nope.json'"):
        store.read_bytes("nope.json")
    with pytest.raises(StoreError, match="no (object|regular file)"), store.local_copy("nope.json"):
        pass


def test_tag_changes_when_content_changes(store):
    store.write_bytes("k", b"one")
    first = store.stat("k").tag
    store.write_bytes("k", b"two!")
    assert store.stat("k").tag != first


def test_local_writes_leave_no_temporary_files(tmp_path):
    store = LocalStore(tmp_path)

    def boom(tmp):
        tmp.write_bytes(b"half")
        raise RuntimeError("crash while writing")

    with pytest.raises(RuntimeError):
        store._publish("x.bin", boom)
    assert list(tmp_path.iterdir()) == []
    store.write_bytes("x.bin", b"whole")
    assert [p.name for p in tmp_path.iterdir()] == ["x.bin"]


def test_local_keys_cannot_escape_the_root(tmp_path):
    with pytest.raises(StoreError, match="escapes"):
        LocalStore(tmp_path / "root").read_bytes("../secret")


def test_open_store_uris(tmp_path):
    assert isinstance(open_store(tmp_path), LocalStore)
    assert isinstance(open_store(f"file://{tmp_path}"), LocalStore)
    s3 = open_store("s3://bucket/a/b/")
    assert isinstance(s3, S3Store) and (s3.bucket, s3.prefix) == ("bucket", "a/b")
    for bad in ("", "gs://bucket/x", "s3://"):
        with pytest.raises(StoreError):
            open_store(bad)


def test_area_uris_follow_flags_then_environment_then_home():
    assert area_uri("lake", "s3://b/l", {}) == "s3://b/l"
    assert area_uri("lake", None, {"REELREC_LAKE": "/x"}) == "/x"
    assert area_uri("raw", None, {"REELREC_HOME": "s3://bucket/env"}) == "s3://bucket/env/raw"
    assert area_uri("models", None, {}) == "./.reelrec/models"


def test_a_failed_local_write_leaves_the_old_object_whole(tmp_path, monkeypatch):
    store = LocalStore(tmp_path)
    store.write_bytes("k.json", b"old")

    def no_rename(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("reelrec.storage.os.replace", no_rename)
    with pytest.raises(StoreError, match="cannot write 'k.json': No space left on device"):
        store.write_bytes("k.json", b"new")
    monkeypatch.undo()
    assert store.read_bytes("k.json") == b"old" and [i.key for i in store.list()] == ["k.json"]
