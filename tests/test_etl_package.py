"""The ETL Lambda's package, built as ``make etl-package`` builds it: complete, under Lambda's limit, without the
training job's or the benchmarks' libraries, with its EventBridge trigger in sam.json, and able to run the ETL with
nothing but the zip on the path (the Lambda wheels: pyarrow 20 and numpy 2.2, not the dev environment's)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from datagen import generate
from etl_job.pipeline import run_etl
from etl_job.progress import Progress
from reelrec.storage import open_store
from tests.packaging import build_package, unresolved_libraries

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "infra" / "package.py"
NETWORK_EXIT = 3
LAMBDA_LIMIT_MIB = 250
FORBIDDEN = ("scipy", "implicit", "pandas")
# Runs in `python -S` with PYTHONPATH = the unzipped package only: invokes the function as Lambda would.
CHILD = r"""
import json, sys
import app
result = app.etl({}, None)  # the deployed handler is "app.etl"; {} = an on-demand run
import numpy, pyarrow
heavy = sorted({m.split(".")[0] for m in sys.modules if m.split(".")[0] in ("scipy", "implicit", "pandas")})
print(json.dumps({"result": result, "heavy": heavy, "pyarrow": [pyarrow.__version__, pyarrow.__file__],
                  "numpy": [numpy.__version__, numpy.__file__]}))
"""


@pytest.fixture(scope="module")
def build(tmp_path_factory) -> Path:
    """The build folder: ``build/`` (zip, sam.json) and ``unzipped/``."""
    return build_package("etl", tmp_path_factory.mktemp("etl-package")).parent


def test_package_holds_the_etl_and_its_two_libraries_only(build: Path) -> None:
    package = build / "unzipped"
    top = {p.name for p in package.iterdir()}
    assert {"app.py", "reelrec", "etl_job", "pyarrow", "numpy"} <= top
    assert not (package / "etl_job" / "lambda_app").exists()  # the app is not vendored into itself
    dists = {name.split("-")[0].split(".")[0].lower() for name in top}
    assert not dists & set(FORBIDDEN), sorted(dists)
    size = sum(p.stat().st_size for p in package.rglob("*") if p.is_file())
    assert size < LAMBDA_LIMIT_MIB * 2**20, f"unzipped package is {size / 2**20:.0f} MiB"


def test_sam_json_has_one_function_its_role_and_the_raw_trigger(build: Path) -> None:
    sam = json.loads((build / "build" / "sam.json").read_text())
    types = {k: r["Type"] for k, r in sam["Resources"].items()}
    assert types == {"Etl": "AWS::Serverless::Function", "EtlRole": "AWS::IAM::Role"}
    props = sam["Resources"]["Etl"]["Properties"]
    assert props["Handler"] == "app.etl" and props["Role"] == {"Fn::GetAtt": ["EtlRole", "Arn"]}
    assert props["ReservedConcurrentExecutions"] == 1 and props["EphemeralStorage"]["Size"] >= 2048
    (event,) = props["Events"].values()
    assert event["Type"] == "EventBridgeRule"
    assert event["Properties"]["Pattern"]["detail"]["bucket"]["name"] == [{"Ref": "DataBucket"}]


def test_packaged_function_runs_the_etl_with_only_the_zip_on_the_path(build: Path, tmp_path) -> None:
    package = build / "unzipped"
    raw = tmp_path / "raw"
    generate(str(raw), "tiny", seed=4)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "REELREC_", "AWS_"))}
    env.update(PYTHONPATH=str(package), REELREC_RAW=str(raw), REELREC_LAKE=str(tmp_path / "lake"))
    proc = subprocess.run([sys.executable, "-S", "-c", CHILD], cwd=package, env=env, capture_output=True, text=True,
                          timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["heavy"] == []
    for name in ("pyarrow", "numpy"):
        assert Path(out[name][1]).resolve().is_relative_to(package.resolve()), out[name]
    result = out["result"]
    assert result["status"] == "ok" and result["totals"]["processed"] == 6 and not result["problems"], result
    # the Lambda's pyarrow and numpy write the same data as the dev environment's
    reference = open_store(tmp_path / "reference-lake")
    run_etl(open_store(raw), reference, progress=Progress(io.StringIO()))
    for key in ("titles/netflix.parquet", "titles/hulu.parquet", "ratings/1.parquet", "quarantine/ratings/1.parquet"):
        assert pq.read_table(tmp_path / "lake" / key).equals(pq.read_table(reference.root / key)), key
    assert (tmp_path / "lake" / "serving" / "catalog" / "current.json").is_file()


def test_every_packaged_library_finds_what_it_links_on_lambda(build: Path) -> None:
    assert unresolved_libraries(build / "unzipped") == {}
