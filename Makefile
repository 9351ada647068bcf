# fsu_dagster — see README.md. Every target installs what it needs first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DIR ?= data
DEMO_START ?= 2025-08
DEMO_END ?= 2026-10
# Three consecutive window months, so the month-over-month views (entrants, leavers) have data.
DEMO_FROM ?= 2026-08
DEMO_SCALE ?= small
DEMO_SEED ?= 42
DEMO_USER ?= demo
# Local demo only: the dashboard runs with FSU_ENV=local on 127.0.0.1.
DEMO_PASSWORD ?= demo-password-local
export DAGSTER_HOME ?= $(abspath $(DEMO_DIR))/dagster_home

.PHONY: install lint test demo demo-data demo-run demo-publish demo-home dashboard ui bench bench-synth bench-linkage bench-pipeline bench-ui bench-dashboard bench-all clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $(STAMP)

# Lint, import order, format check and type check (configuration in pyproject.toml); `make test` runs it first.
lint: install
	$(BIN)/ruff check fsu_dagster fsu_dagster_tests
	$(BIN)/ruff format --check fsu_dagster fsu_dagster_tests
	$(BIN)/mypy

test: install lint
	$(BIN)/python -m pytest -q -p no:cacheprovider -n 2 --dist loadfile --durations=15

demo-data: install
	$(BIN)/fsu synth --out $(DEMO_DIR) --start $(DEMO_START) --end $(DEMO_END) --scale $(DEMO_SCALE) --seed $(DEMO_SEED)

# The shipped dagster.yaml (one run at a time on the warehouse) in the demo's Dagster instance.
demo-home:
	@mkdir -p $(DAGSTER_HOME) && cp dagster.yaml $(DAGSTER_HOME)/dagster.yaml

# Window months DEMO_FROM .. DEMO_END, each built and published; recorded in $(DAGSTER_HOME), so the
# Dagster UI shows them as materialised. Resumable: already published months are skipped.
demo-run: install demo-home
	FSU_DATA_DIR=$(DEMO_DIR) $(BIN)/fsu backfill --from $(DEMO_FROM) --to $(DEMO_END)

# `fsu backfill` has published the snapshots; this adds the demo user.
demo-publish: install
	printf '%s\n' '$(DEMO_PASSWORD)' | FSU_DATA_DIR=$(DEMO_DIR) $(BIN)/fsu user add $(DEMO_USER) --role admin --password-stdin

ui: install demo-home
	FSU_DATA_DIR=$(DEMO_DIR) $(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

dashboard: install
	FSU_ENV=local FSU_DATA_DIR=$(DEMO_DIR) $(BIN)/fsu dashboard --host 127.0.0.1 --port 8000

# Synthetic data (15 months), three window months built and published with `fsu backfill`, a demo
# user, then the dashboard (http://127.0.0.1:8000, user $(DEMO_USER) / $(DEMO_PASSWORD)) and the
# Dagster UI (http://127.0.0.1:3000) with the monthly schedule and the landing sensor, both stopped
# (start them on the UI's Automation page; docs/runbook.md).
demo: demo-data demo-run demo-publish demo-home
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

bench-all: bench bench-synth bench-linkage bench-ui bench-dashboard

bench-synth: install
	$(BIN)/python bench/bench_synth.py

bench-linkage: install
	$(BIN)/python bench/bench_linkage.py --scale force

bench-pipeline: install
	$(BIN)/python bench/bench_pipeline.py --scale $(BENCH_SCALE) --modes exact --repeat 1 $(BENCH_DATA_ARG)

# A month through Dagster as the UI launches it (execute_job, default executor) vs fsu run, tiny scale.
bench-ui: install
	$(BIN)/python bench/bench_ui_run.py --scale tiny

# The dashboard: median server time of the main and details pages for a 300-person cohort (small scale,
# FSU_LIST_SIZE=131), in-process and over loopback, then 50 signed-in clients for 60 s (docs/performance.md).
bench-dashboard: install
	$(BIN)/python bench/bench_dashboard.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
