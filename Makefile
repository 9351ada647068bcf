# fsu_dagster — see README.md. Every target installs what it needs first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DIR ?= data
DEMO_START ?= 2025-11
DEMO_END ?= 2026-10
DEMO_SCALE ?= small
DEMO_SEED ?= 42
export DAGSTER_HOME ?= $(CURDIR)/$(DEMO_DIR)/dagster_home

.PHONY: install test demo demo-data demo-run ui bench bench-synth bench-linkage clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $(STAMP)

test: install
	$(BIN)/python -m pytest -q -p no:cacheprovider

demo-data: install
	$(BIN)/fsu synth --out $(DEMO_DIR) --start $(DEMO_START) --end $(DEMO_END) --scale $(DEMO_SCALE) --seed $(DEMO_SEED)

demo-run: install
	@mkdir -p $(DAGSTER_HOME) && cp -n dagster.yaml $(DAGSTER_HOME)/dagster.yaml 2>/dev/null || true
	FSU_DATA_DIR=$(DEMO_DIR) $(BIN)/fsu run --month $(DEMO_END)

ui: install
	@mkdir -p $(DAGSTER_HOME) && cp -n dagster.yaml $(DAGSTER_HOME)/dagster.yaml 2>/dev/null || true
	FSU_DATA_DIR=$(DEMO_DIR) $(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

demo: demo-data demo-run ui

bench: bench-synth bench-linkage

bench-synth: install
	$(BIN)/python bench/bench_synth.py

bench-linkage: install
	$(BIN)/python bench/bench_linkage.py --scale force

clean:
	rm -rf $(VENV) .pytest_cache *.egg-info
