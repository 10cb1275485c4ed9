"""Shared fixtures: the real data beside the checkout (skipped when absent) and moto S3."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest

SHARED_RAW = Path(__file__).resolve().parents[2] / "shared" / "data" / "raw"


@pytest.fixture
def shared_raw() -> Path:
    """The real raw files in ../shared/data/raw; the test is skipped, saying why, when they are absent."""
    if not (SHARED_RAW / "titles").is_dir():
        pytest.skip(f"real data not found at {SHARED_RAW} (../shared/data is absent beside this checkout)")
    return SHARED_RAW


@pytest.fixture
def aws(monkeypatch):
    """moto's mock_aws with fake credentials and a region; yields a boto3 S3 client. moto checks a conditional
    write (``If-None-Match: *``) and then stores it without a lock, so two threads can both win where S3 lets
    exactly one (``reelrec.lease`` relies on it): its PUT is made atomic here, as S3's is."""
    import threading

    import moto.s3.responses
    from moto import mock_aws

    put, lock = moto.s3.responses.S3Response.put_object, threading.Lock()

    def atomic_put(self):  # noqa: ANN001, ANN202 - moto's own signature
        with lock:
            return put(self)

    monkeypatch.setattr(moto.s3.responses.S3Response, "put_object", atomic_put)

    for var in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        import boto3

        client = boto3.client("s3")
        client.create_bucket(Bucket="reelrec-test")
        yield client


# -- API (functions/) ------------------------------------------------------------------------
FUNCTIONS_DIR = Path(__file__).resolve().parents[1] / "functions"
if str(FUNCTIONS_DIR) not in sys.path:
    sys.path.insert(0, str(FUNCTIONS_DIR))  # `import app` and `chalicelib` as Chalice's package lays them out


@pytest.fixture(scope="session")
def api_lake(tmp_path_factory) -> Path:
    """A lake built once by the real ETL from generated data (preset small), for the API tests; the ETL also
    builds the viewers' history store beside it (``api_users``)."""
    from datagen import generate
    from etl_job.pipeline import run_etl
    from etl_job.progress import Progress
    from reelrec.histories import opened
    from reelrec.storage import open_store

    root = tmp_path_factory.mktemp("api")
    generate(str(root / "raw"), "small", seed=11)
    with opened(str(root / "users"), create=True) as users:
        run_etl(open_store(root / "raw"), open_store(root / "lake"), progress=Progress(), users=users)
    return root / "lake"


@pytest.fixture(scope="session")
def api_users(api_lake) -> Path:
    """The history store the ETL built beside ``api_lake`` (a folder holding the SQLite file)."""
    return api_lake.parent / "users"


@pytest.fixture(scope="session")
def api_models(api_lake, tmp_path_factory) -> Path:
    """A models area trained once by the real training job on ``api_lake`` (evaluation sampled small)."""
    from model_training.job import run
    from reelrec.storage import open_store

    models = tmp_path_factory.mktemp("models") / "models"
    run(open_store(api_lake), open_store(models), max_eval_users=300)
    return models


@pytest.fixture(scope="module")
def client(api_lake, api_models):
    """An API test client over ``api_lake`` and the model trained on it (a module may override it with its own)."""
    from tests.api_reference import api_client

    with pytest.MonkeyPatch.context() as mp, api_client(mp, api_lake, models=api_models) as c:
        yield c


# -- test tiers (make test-fast runs the unit tier, make test everything) ------------------------------------------
# integration: builds a lake or trains a model (the shared fixtures below), packages a Lambda, drives a browser or a
# server process, or runs a job end to end. Everything else is the unit tier, which must stay under 30 s.
INTEGRATION_FIXTURES = {"api_lake", "api_models", "api_users", "shared_raw", "real", "real_lake", "real_snapshot", "real_titles"}
INTEGRATION_MODULES = {
    "test_api_imports", "test_api_local", "test_api_package", "test_artifact_validation", "test_cloud_rehearsal",
    "test_eda", "test_etl_generated", "test_etl_lambda", "test_etl_package", "test_etl_reliability", "test_histories",
    "test_infra_templates", "test_real_data", "test_training_job",
    "test_training_lambda", "test_training_package", "test_training_reliability", "test_training_operable",
    "test_web_browser",
}


def pytest_collection_modifyitems(config, items) -> None:
    """Mark the integration tier: by module, and any test that uses a fixture building a lake or a model."""
    for item in items:
        module = Path(str(item.fspath)).stem
        if module in INTEGRATION_MODULES or INTEGRATION_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(autouse=True)
def isolated_logging(monkeypatch):
    """``main`` sets up the root logger (``reelrec.logs.configure``): every test starts and ends without that
    set-up (no stderr handler bound to an earlier test's captured stream, the root's level and formatters as they
    were), with ``LOG_LEVEL`` unset and outside Lambda."""
    monkeypatch.delenv("LOG_LEVEL", raising=False)
    monkeypatch.delenv("AWS_LAMBDA_LOG_LEVEL", raising=False)
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)
    root = logging.getLogger()
    level, formatters = root.level, {h: h.formatter for h in root.handlers}

    def drop_ours() -> None:
        for handler in [h for h in root.handlers if h.get_name() == "reelrec"]:
            root.removeHandler(handler)

    drop_ours()
    yield
    drop_ours()
    for handler, formatter in formatters.items():
        handler.setFormatter(formatter)
    root.setLevel(level)
