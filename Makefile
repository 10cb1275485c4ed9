# reelrec: the two commands that matter are `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOME_DIR ?= .reelrec
RAW ?= $(HOME_DIR)/raw
LAKE ?= $(HOME_DIR)/lake
MODELS ?= $(HOME_DIR)/models
USERS ?= $(HOME_DIR)/users
PRESET ?= small
SEED ?= 0
PORT ?= 8000
API_OUT ?= build/api
STAGE ?= dev

.PHONY: etl-package package deploy

export REELREC_HOME ?= $(HOME_DIR)
export OPENBLAS_NUM_THREADS ?= 1

.PHONY: install run data etl eda train test test-fast check lint bench-etl api-vendor api-package training-package api-local bench-api bench-training clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[etl,training,dev,reports]'
	touch $(STAMP)

install: $(STAMP)

# axe-core for the page's accessibility checks (tests/test_web_browser.py), from the npm registry by its lock file
AXE := tests/web/node_modules/axe-core/axe.min.js
$(AXE): tests/web/package.json tests/web/package-lock.json
	npm ci --prefix tests/web --no-audit --no-fund --silent
	touch $(AXE)

## make run: on a fresh clone, install, generate sample raw data when none is there, run the pipeline, then serve
## the web page on http://127.0.0.1:$(PORT)/ (Ctrl-C stops it)
run: install data etl eda train serve

## make data: seeded sample raw data into $(RAW), unless it already holds titles (give RAW=... to use yours)
data: install
	@if [ -z "$$(ls $(RAW)/titles/*.csv 2>/dev/null)" ]; then \
		$(PY) -m datagen --raw $(RAW) --preset $(PRESET) --seed $(SEED); \
	else echo "data: using the raw files already in $(RAW)"; fi

## make etl: the ETL from $(RAW) into $(LAKE); it also keeps the viewers' history store $(USERS) (SQLite) up to date
etl: install
	$(PY) -m etl_job --raw $(RAW) --lake $(LAKE) --users $(USERS)

## make eda: the EDA report of $(LAKE) (HTML + JSON) into the lake's reports/eda/ and .reelrec/reports/eda/
eda: install
	$(PY) -m reports --lake $(LAKE) --raw $(RAW)

## make train: the training job on $(LAKE): evaluate, publish a model version to $(MODELS), promote it if not worse
train: install
	$(PY) -m model_training --lake $(LAKE) --models $(MODELS)

## make test: lint, the type checker (mypy.ini) and the whole test suite, both tiers
test: check $(AXE)
	$(PY) -m pytest -q

## make test-fast: lint, types and the unit tier only (no lake or model built, no packaging or browser): < 30 s
test-fast: check
	$(PY) -m pytest -q -m "not integration"

## make check: lint and the type checker (what both test targets run first)
check: lint
	$(PY) -m mypy

lint: install
	$(PY) -m ruff check .

bench-etl: install
	$(PY) benchmarks/bench_etl.py

## make api-vendor: copy the shared reelrec package into functions/vendor/ (gitignored), which chalice packages
api-vendor: install
	$(PY) infra/package.py api --vendor-only

## make api-package: api-vendor + `chalice package` (CloudFormation, stage dev) into $(API_OUT), with the sizes
api-package: install
	$(PY) infra/package.py api --out $(API_OUT) --stage dev

## make training-package: the training Lambda's package (numpy, scipy, implicit + reelrec, model_training), sizes
training-package: install
	$(PY) infra/package.py training --out build/training --stage dev

## make etl-package: the ETL Lambda's package (pyarrow, numpy + reelrec, etl_job; sam.json with its EventBridge rule)
etl-package: install
	$(PY) infra/package.py etl --out build/etl --stage dev

## make package: the three functions' packages, each with its zipped and unzipped size
package: api-package training-package etl-package

## make deploy STAGE=prod ARTIFACTS_BUCKET=<bucket>: package the three functions for the stage, assemble one stack
## template (infra/template.yaml + chalice's output), `aws cloudformation package` + `deploy` as stack reelrec-$(STAGE).
## DRY_RUN=1 builds and prints the AWS commands without running them. docs/deploy.md
deploy: install
	$(PY) infra/deploy.py --stage $(STAGE) $(if $(ARTIFACTS_BUCKET),--artifacts-bucket $(ARTIFACTS_BUCKET)) $(if $(DRY_RUN),--dry-run)

## make api-local: serve the API on http://127.0.0.1:$(PORT) over $(LAKE); stage local, as dev would point at S3
api-local: install
	cd functions && REELREC_LAKE=$(abspath $(LAKE)) REELREC_MODELS=$(abspath $(MODELS)) REELREC_USERS=$(abspath $(USERS)) $(abspath $(VENV))/bin/chalice local --stage local --port $(PORT)

## make screenshots: docs/screenshots retaken on the real catalogs (../shared/data; Debian's chromium)
.PHONY: screenshots
screenshots: install
	$(PY) docs/screenshots/take.py

## make serve: the web page and the API (chalice local) on http://127.0.0.1:$(PORT)/ over $(LAKE) and $(MODELS)
.PHONY: serve
serve: install
	@echo "reelrec is serving http://127.0.0.1:$(PORT)/ (Ctrl-C to stop)"
	cd functions && REELREC_LAKE=$(abspath $(LAKE)) REELREC_MODELS=$(abspath $(MODELS)) REELREC_USERS=$(abspath $(USERS)) $(abspath $(VENV))/bin/chalice local --stage local --port $(PORT)

## make bench-api: API latency (in-process vs pandas, chalice local, cold start) at course scale, docs/benchmarks.md
bench-api: install
	$(PY) benchmarks/bench_api.py

## make bench-scale: issue 14's rehearsal at 115k and 1M viewers (model size, cold start, API RSS, known-viewer p99,
## history store build, ETL and training time and RSS), docs/benchmarks.md
.PHONY: bench-scale
bench-scale: install
	$(PY) benchmarks/bench_scale.py

## make bench-training: training time + RSS, artifact size, model cold start, recommendation latency, docs/benchmarks.md
bench-training: install
	$(PY) benchmarks/bench_training.py

clean:
	rm -rf $(HOME_DIR)
