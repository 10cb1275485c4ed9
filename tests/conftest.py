"""Shared fixtures: the real data beside the checkout (skipped when absent) and moto S3."""

from __future__ import annotations

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
    """moto's mock_aws with fake credentials and a region; yields a boto3 S3 client."""
    from moto import mock_aws

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
    run(open_store(api_lake), open_store(models), max_eval_users=300, log=lambda _: None)
    return models


@pytest.fixture(scope="module")
def client(api_lake, api_models):
    """An API test client over ``api_lake`` and the model trained on it (a module may override it with its own)."""
    from tests.api_reference import api_client

    with pytest.MonkeyPatch.context() as mp, api_client(mp, api_lake, models=api_models) as c:
        yield c
