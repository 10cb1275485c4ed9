"""The API stays lean: importing it reads nothing, and answering a request never imports the jobs' heavy packages."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.api_reference import FUNCTIONS_DIR

ROOT = FUNCTIONS_DIR.parent
# Imports the app as Lambda does, then answers one request through the app's Lambda entry point (an API Gateway
# proxy event, as `chalice local` builds it), which loads the snapshot from the lake.
SCRIPT = r"""
import json, sys
import app
HEAVY = ("pyarrow", "pandas", "scipy", "implicit")
loaded_at_import = app.snapshots.status()["snapshot_version"]
ROUTES = [("/get_actor", {"platform": ["netflix"], "year": ["2019"]}),
          ("/get_max_duration", {"platform": ["netflix"]}),
          ("/get_score_count", {"platform": ["netflix"], "scored": ["3"], "year": ["2019"]}),
          ("/get_count_platform", {"platform": ["hulu"]}),
          ("/titles/{id}", {}),
          ("/health", {}),
          ("/get_actor", {"platform": ["hulu"], "year": ["2019"]}),
          ("/get_actor", {"platform": ["mars"], "year": ["2019"]})]
statuses = []
for resource, query in ROUTES:
    path = resource.replace("{id}", "ns1")
    event = {
        "requestContext": {"httpMethod": "GET", "resourcePath": resource, "path": path,
                           "identity": {"sourceIp": "127.0.0.1"}},
        "headers": {}, "pathParameters": {"id": "ns1"} if "{id}" in resource else {}, "stageVariables": {},
        "body": None, "isBase64Encoded": False, "multiValueQueryStringParameters": query or None,
    }
    response = app.app(event, None)
    statuses.append(response["statusCode"])
heavy = sorted(m for m in sys.modules if m.split(".")[0] in HEAVY)
print(json.dumps({"at_import": loaded_at_import, "statuses": statuses,
                  "version": app.snapshots.status()["snapshot_version"], "heavy": heavy}))
"""


def test_app_answers_without_heavy_packages_in_a_fresh_interpreter(api_lake):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(FUNCTIONS_DIR), str(ROOT)]), "REELREC_LAKE": str(api_lake)}
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=FUNCTIONS_DIR, env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["at_import"] is None  # nothing loaded at import time
    assert out["statuses"] == [200, 200, 200, 200, 200, 200, 404, 400], out  # every route, and the error paths
    assert out["version"] == json.loads((api_lake / "serving/catalog/current.json").read_text())["version"]
    assert out["heavy"] == [], f"the API imported {out['heavy']}"
