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
DEMO_USER ?= demo
# Local demo only: the dashboard runs with FSU_ENV=local on 127.0.0.1.
DEMO_PASSWORD ?= demo-password-local
export DAGSTER_HOME ?= $(abspath $(DEMO_DIR))/dagster_home

.PHONY: install test demo demo-data demo-run demo-publish dashboard ui bench bench-synth bench-linkage bench-pipeline bench-ui bench-all clean

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

demo-publish: install
	FSU_DATA_DIR=$(DEMO_DIR) $(BIN)/fsu publish --month $(DEMO_END)
	printf '%s\n' '$(DEMO_PASSWORD)' | FSU_DATA_DIR=$(DEMO_DIR) $(BIN)/fsu user add $(DEMO_USER) --role admin --password-stdin

ui: install
	@mkdir -p $(DAGSTER_HOME) && cp -n dagster.yaml $(DAGSTER_HOME)/dagster.yaml 2>/dev/null || true
	FSU_DATA_DIR=$(DEMO_DIR) $(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

dashboard: install
	FSU_ENV=local FSU_DATA_DIR=$(DEMO_DIR) $(BIN)/fsu dashboard --host 127.0.0.1 --port 8000

# Synthetic data, the pipeline for the latest month, a published snapshot, then the dashboard
# (http://127.0.0.1:8000, user $(DEMO_USER) / $(DEMO_PASSWORD)) and the Dagster UI (http://127.0.0.1:3000).
demo: demo-data demo-run demo-publish
	@mkdir -p $(DAGSTER_HOME) && cp -n dagster.yaml $(DAGSTER_HOME)/dagster.yaml 2>/dev/null || true
	@echo "Dashboard: http://127.0.0.1:8000 (sign in as $(DEMO_USER) / $(DEMO_PASSWORD)); Dagster UI: http://127.0.0.1:3000; Ctrl-C stops both."
	@FSU_ENV=local FSU_DATA_DIR=$(DEMO_DIR) $(BIN)/fsu dashboard --host 127.0.0.1 --port 8000 & dash=$$!; \
	  trap "kill $$dash 2>/dev/null" EXIT INT TERM; \
	  FSU_DATA_DIR=$(DEMO_DIR) $(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

# Benchmarks (docs/performance.md, docs/benchmarks.md); results in bench/results/*.json.
BENCH_SCALE ?= force
BENCH_REPEAT ?= 3
# BENCH_DATA=/path/to/synth-output uses existing data instead of data/bench/<scale>-seed7.
BENCH_DATA ?=
BENCH_DATA_ARG := $(if $(BENCH_DATA),--data $(BENCH_DATA),)

# One invocation: cached synthetic data, the SQL baseline, fsu run exact and fuzzy; medians and ratios.
bench: install
	$(BIN)/python bench/bench_pipeline.py --scale $(BENCH_SCALE) --repeat $(BENCH_REPEAT) $(BENCH_DATA_ARG)

bench-all: bench bench-synth bench-linkage bench-ui

bench-synth: install
	$(BIN)/python bench/bench_synth.py

bench-linkage: install
	$(BIN)/python bench/bench_linkage.py --scale force

bench-pipeline: install
	$(BIN)/python bench/bench_pipeline.py --scale $(BENCH_SCALE) --modes exact --repeat 1 $(BENCH_DATA_ARG)

# A month through Dagster as the UI launches it (execute_job, default executor) vs fsu run, tiny scale.
bench-ui: install
	$(BIN)/python bench/bench_ui_run.py --scale tiny

clean:
	rm -rf $(VENV) .pytest_cache *.egg-info
