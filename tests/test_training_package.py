"""The training Lambda's package, built as ``make training-package`` builds it: complete, under the limit, and able
to train with nothing but the zip on the path (no pyarrow, no pandas)."""

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
NETWORK_EXIT = 3
LAMBDA_LIMIT_MIB = 250
# Runs in `python -S` with PYTHONPATH = the unzipped package only: invokes the on-demand function as Lambda would.
CHILD = r"""
import json, sys
import app
result = app.train({}, None)  # the deployed handler is "app.train"
heavy = sorted({m.split(".")[0] for m in sys.modules if m.split(".")[0] in ("pyarrow", "pandas")})
print(json.dumps({"result": result, "heavy": heavy, "scipy": sys.modules["scipy"].__file__}))
"""


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> Path:
    return build_package("training", tmp_path_factory.mktemp("training-package"))


def test_package_holds_the_job_and_its_three_libraries_only(package: Path) -> None:
    top = {p.name for p in package.iterdir()}
    assert {"app.py", "reelrec", "model_training", "numpy", "scipy", "implicit"} <= top
    assert not (package / "model_training" / "lambda_app").exists()  # the app is not vendored into itself
    assert not (package / "model_training" / "research.py").exists()  # research needs pyarrow
    dists = {name.split("-")[0].split(".")[0].lower() for name in top}
    assert not dists & {"pyarrow", "pandas"}, sorted(dists)
    size = sum(p.stat().st_size for p in package.rglob("*") if p.is_file())
    assert size < LAMBDA_LIMIT_MIB * 2**20, f"unzipped package is {size / 2**20:.0f} MiB"


def test_packaged_function_trains_with_only_the_zip_on_the_path(package: Path, api_lake: Path, tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "REELREC_", "AWS_"))}
    env.update(PYTHONPATH=str(package), REELREC_LAKE=str(api_lake), REELREC_MODELS=str(tmp_path / "models"),
               OPENBLAS_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, "-S", "-c", CHILD], cwd=package, env=env, capture_output=True, text=True,
                          timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["heavy"] == [] and Path(out["scipy"]).resolve().is_relative_to(package.resolve())
    assert out["result"]["status"] == "ok" and out["result"]["promoted"], out["result"]
    assert (tmp_path / "models" / "current.json").is_file()


def test_every_packaged_library_finds_what_it_links_on_lambda(package: Path) -> None:
    """implicit links libgomp.so.1 without bundling it; the Lambda image has none (the build adds it under lib/)."""
    assert (package / "lib" / "libgomp.so.1").is_file()
    assert unresolved_libraries(package, skip=("implicit/gpu/",)) == {}
