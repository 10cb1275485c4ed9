"""The API's Lambda package, built the way ``make api-package`` builds it: lean, complete, importable on its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.packaging import build_package, unresolved_libraries

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "infra" / "package.py"
NETWORK_EXIT = 3  # infra/package.py: the package index is unreachable
FORBIDDEN = ("pyarrow", "pandas", "scipy", "implicit")
LAMBDA_LIMIT_MIB = 250
# Runs in `python -S` with PYTHONPATH = the unzipped package only: imports the app and calls its Lambda handler.
CHILD = r"""
import json, sys
import app

def event(path, query):
    return {"resource": path, "path": path, "httpMethod": "GET", "headers": {}, "multiValueHeaders": {},
            "queryStringParameters": query, "multiValueQueryStringParameters": {k: [v] for k, v in query.items()},
            "pathParameters": None, "stageVariables": None, "body": None, "isBase64Encoded": False,
            "requestContext": {"resourcePath": path, "httpMethod": "GET", "path": "/api" + path, "stage": "api"}}

import numpy
answers = {p: app.app(event(p, q), None) for p, q in (("/health", {}), ("/get_count_platform", {"platform": " Netflix"}))}
print(json.dumps({"answers": answers, "numpy": numpy.__file__, "path": sys.path, "modules": sorted(sys.modules)}))
"""


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> Path:
    """The unzipped deployment.zip of a fresh ``infra/package.py api`` build (chalice's zip cache reused)."""
    return build_package("api", tmp_path_factory.mktemp("api-package"))


def test_package_holds_the_app_reelrec_and_numpy_only(package: Path) -> None:
    top = {p.name for p in package.iterdir()}
    assert {"app.py", "chalicelib", "reelrec", "numpy", "chalice"} <= top
    assert {p.name for p in (package / "chalice").iterdir()} == {"app.py", "__init__.py"}  # chalice's runtime only
    assert (package / "reelrec" / "catalog_snapshot.py").is_file()
    assert not list((package / "reelrec").rglob("__pycache__"))  # vendored without caches
    dists = {name.split("-")[0].split(".")[0].lower() for name in top}  # pyarrow/, pyarrow-26.0.dist-info ...
    assert not dists & set(FORBIDDEN), f"forbidden packages in the API package: {sorted(dists & set(FORBIDDEN))}"


def test_package_is_under_the_lambda_limit(package: Path) -> None:
    size = sum(p.stat().st_size for p in package.rglob("*") if p.is_file())
    assert size < LAMBDA_LIMIT_MIB * 2**20, f"unzipped package is {size / 2**20:.0f} MiB"


def test_packaged_app_imports_and_answers_on_its_own(package: Path, api_lake: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "REELREC_", "AWS_"))}
    env.update(PYTHONPATH=str(package), REELREC_LAKE=str(api_lake))
    proc = subprocess.run([sys.executable, "-S", "-c", CHILD], cwd=package, env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    stdlib = Path(sys.base_prefix).resolve()
    for entry in out["path"]:  # '' (the cwd, which is the package), the package, the standard library
        resolved = Path(entry or package).resolve()
        assert resolved == package.resolve() or resolved.is_relative_to(stdlib), entry
        assert "site-packages" not in entry
    assert Path(out["numpy"]).resolve().is_relative_to(package.resolve())
    assert not [m for m in out["modules"] if m.split(".")[0] in FORBIDDEN]
    health, count = out["answers"]["/health"], out["answers"]["/get_count_platform"]
    assert health["statusCode"] == 200 and json.loads(health["body"])["status"] == "ok"
    assert count["statusCode"] == 200
    body = json.loads(count["body"])
    assert body["platform"] == "netflix" and body["count"] > 0


def test_every_packaged_library_finds_what_it_links_on_lambda(package: Path) -> None:
    assert unresolved_libraries(package) == {}
