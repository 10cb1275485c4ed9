"""The training job when things go wrong: two runs at once, a run taken over, a full disk, a damaged lake."""

from __future__ import annotations

import datetime as dt
import shutil
import time

import pytest

from model_training import registry
from model_training.__main__ import EXIT_BUSY, EXIT_FAILED, main
from model_training.job import new_version, run
from reelrec import layout
from reelrec.lease import LEASE_SECONDS, LeaseHeld, LeaseLost, acquire
from reelrec.storage import StoreError, open_store
from tests.test_training_job import QUIET
from tests.test_training_lambda import APP_DIR, BUCKET, training_app  # noqa: F401  (the module fixture)


def versions(models) -> set[str]:
    return {info.key.split("/")[1] for info in models.list(layout.MODEL_VERSIONS)}


def test_a_second_run_while_one_trains_exits_busy_and_writes_nothing(api_lake, tmp_path, capsys):
    models = open_store(tmp_path / "m")
    holder = acquire(models, "training run")
    with pytest.raises(LeaseHeld, match="is in use: training run on"):
        run(open_store(api_lake), models, **QUIET)
    assert main(["--lake", str(api_lake), "--models", str(tmp_path / "m"), "--eval-users", "50"]) == EXIT_BUSY
    err = capsys.readouterr().err
    assert "is in use" in err and "Traceback" not in err
    assert versions(models) == set() and registry.current(models) is None
    holder.release()
    assert main(["--lake", str(api_lake), "--models", str(tmp_path / "m"), "--eval-users", "50"]) == 0
    assert len(versions(models)) == 1


def test_a_run_whose_lease_was_taken_over_writes_nothing(api_lake, tmp_path, monkeypatch):
    import model_training.job as job

    lake, models = open_store(api_lake), open_store(tmp_path / "m")
    first = run(lake, models, **QUIET)
    real_decide = job.decide

    def slow_run(models_store, *args, **kwargs):  # this run outlived its lease; another run took the area over
        acquire(models_store, "the other run", clock=lambda: time.time() + LEASE_SECONDS + 60)
        return real_decide(models_store, *args, **kwargs)

    monkeypatch.setattr(job, "decide", slow_run)
    with pytest.raises(LeaseLost, match="took the area over"):
        run(lake, models, force=True, **QUIET)
    assert versions(models) == {first.version} and registry.current(models)["version"] == first.version


def test_version_names_are_unique_even_in_the_same_second_on_the_same_data():
    now = dt.datetime(2026, 12, 5, 12, 0, 0)
    names = {new_version(now, "abcdef0123") for _ in range(200)}
    assert len(names) == 200 and all(n.startswith("20261205T120000Z-abcdef-") for n in names)
    assert sorted([new_version(now, "ff"), new_version(now + dt.timedelta(seconds=1), "00")])[1].startswith(
        "20261205T120001Z")


@pytest.mark.parametrize("where", ["local", "s3"])
def test_a_version_is_written_once_and_a_failed_write_leaves_no_half_version(where, tmp_path, request, monkeypatch):
    if where == "s3":
        request.getfixturevalue("aws").create_bucket(Bucket="reelrec-test")
        models = open_store("s3://reelrec-test/models")
    else:
        models = open_store(tmp_path / "m")
    registry.write_version(models, "v1", b"model", {"a": 1}, "# v1")
    with pytest.raises(registry.VersionExists, match="v1 exists already"):
        registry.write_version(models, "v1", b"other model", {"a": 2}, "# other")
    assert models.read_bytes(layout.model_key("v1", "model.npz")) == b"model"

    real_write = type(models).write_bytes

    def full_disk(self, key, data):
        if key.endswith("metrics.json"):
            raise StoreError(f"{self.uri}/{key}: [Errno 28] No space left on device")
        return real_write(self, key, data)

    monkeypatch.setattr(type(models), "write_bytes", full_disk)
    with pytest.raises(StoreError, match="No space left"):
        registry.write_version(models, "v2", b"model 2", {"a": 3}, "# v2")
    assert versions(models) == {"v1"}
    if where == "local":  # not even an empty folder is left for a person to mistake for a version
        assert sorted(p.name for p in (tmp_path / "m" / "versions").iterdir()) == ["v1"]


def test_a_full_disk_at_the_first_write_leaves_no_empty_version_folder(tmp_path, monkeypatch):
    models = open_store(tmp_path / "m")
    registry.write_version(models, "v1", b"model", {"a": 1}, "# v1")

    def full_disk(self, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(type(tmp_path), "write_bytes", full_disk)
    with pytest.raises(StoreError, match="No space left on device"):
        registry.write_version(models, "v2", b"model 2", {"a": 3}, "# v2")
    monkeypatch.undo()
    assert sorted(p.name for p in (tmp_path / "m" / "versions").iterdir()) == ["v1"]


@pytest.mark.parametrize("where", ["local", "s3"])
def test_a_promotion_does_not_overwrite_a_pointer_that_moved(where, tmp_path, request):
    if where == "s3":
        request.getfixturevalue("aws").create_bucket(Bucket="reelrec-test")
        models = open_store("s3://reelrec-test/models")
    else:
        models = open_store(tmp_path / "m")
    seen, tag = registry.current_and_tag(models)
    assert seen is None and tag is None
    assert registry.promote(models, "v1", "first", if_tag=None)["version"] == "v1"
    assert registry.promote(models, "v0", "late", if_tag=None) is None  # another run created it first
    seen, tag = registry.current_and_tag(models)
    registry.promote(models, "v2", "the other run")  # moves the pointer after this run read it
    assert registry.promote(models, "v3", "this run", if_tag=tag) is None
    assert registry.current(models)["version"] == "v2"
    _, tag = registry.current_and_tag(models)
    assert registry.promote(models, "v3", "this run", if_tag=tag)["version"] == "v3"


@pytest.mark.parametrize("damage", ["truncated ratings part", "truncated snapshot"])
def test_a_damaged_lake_is_one_line_and_exit_1(damage, api_lake, tmp_path, capsys):
    lake = tmp_path / "lake"
    shutil.copytree(api_lake, lake)
    if damage == "truncated ratings part":
        target = sorted((lake / layout.TRAINING_RATINGS).glob("*.npz"))[0]
    else:
        target = next((lake / layout.CATALOG_SNAPSHOTS).glob("*.npz"))
    target.write_bytes(target.read_bytes()[: target.stat().st_size // 2])
    assert main(["--lake", str(lake), "--models", str(tmp_path / "m"), "--eval-users", "50"]) == EXIT_FAILED
    err = capsys.readouterr().err
    error = [line for line in err.splitlines() if "error:" in line]
    assert len(error) == 1 and "--full" in error[0] and "Traceback" not in err, err
    assert not (tmp_path / "m" / layout.MODEL_VERSIONS).exists()


def test_the_lambda_answers_busy_while_another_run_trains(aws, training_app):  # noqa: F811
    from chalice.test import Client

    aws.create_bucket(Bucket=BUCKET)
    acquire(open_store(f"s3://{BUCKET}/models"), "training run")
    with Client(training_app.app, stage_name="dev", project_dir=str(APP_DIR)) as client:
        result = client.lambda_.invoke("train", {}).payload
    assert result["status"] == "busy" and "is in use" in result["message"], result
    assert "Contents" not in aws.list_objects_v2(Bucket=BUCKET, Prefix="models/versions/")

