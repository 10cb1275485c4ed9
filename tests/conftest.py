"""Shared fixtures: the real data beside the checkout (skipped when absent) and moto S3."""

from __future__ import annotations

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
