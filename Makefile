# reelrec: the two commands that matter are `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOME_DIR ?= .reelrec
RAW ?= $(HOME_DIR)/raw
LAKE ?= $(HOME_DIR)/lake
PRESET ?= small
SEED ?= 0

export REELREC_HOME ?= $(HOME_DIR)
export OPENBLAS_NUM_THREADS ?= 1

.PHONY: install run data etl test lint bench-etl clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[etl,training,dev]'
	touch $(STAMP)

install: $(STAMP)

## make run: on a fresh clone, install, generate sample raw data when none is there, run the pipeline
run: install data etl

## make data: seeded sample raw data into $(RAW), unless it already holds titles (give RAW=... to use yours)
data: install
	@if [ -z "$$(ls $(RAW)/titles/*.csv 2>/dev/null)" ]; then \
		$(PY) -m datagen --raw $(RAW) --preset $(PRESET) --seed $(SEED); \
	else echo "data: using the raw files already in $(RAW)"; fi

etl: install
	$(PY) -m etl_job --raw $(RAW) --lake $(LAKE)

## make test: lint and the whole test suite
test: install
	$(PY) -m ruff check .
	$(PY) -m pytest -q

lint: install
	$(PY) -m ruff check .

bench-etl: install
	$(PY) benchmarks/bench_etl.py

clean:
	rm -rf $(HOME_DIR)
