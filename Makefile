# One command rebuilds everything from the synthetic data: `make reports`. `make help` lists targets.
# Every target names its real inputs and outputs, so only stale steps rerun.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
SYNTH_DIR := data/synthetic
# The extract to evaluate: the synthetic one by default, or yours: make reports DATA=data/raw/x
DATA ?= $(SYNTH_DIR)
SEED ?= 20190930
WORKERS ?= 2
# Extra arguments for `evaluation run`, e.g. make reports RUN_ARGS="iom --set outcomes.window_days=182"
RUN_ARGS ?=

.PHONY: help install data validate reports test test-all lint format multiverse benchmark clean

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  %-12s %s\n", $$1, $$2}'

$(INSTALLED): pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.11 is needed (python3.11 or python3 on PATH)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check --quiet -e ".[dev]"
	@touch $@

install: $(INSTALLED) ## create .venv (if missing) and install the package with its pinned dependencies

$(SYNTH_DIR)/extract.json: $(INSTALLED) $(wildcard src/evaluation/synth/*.py) data/reference/calibration_targets.csv
	$(BIN)/evaluation synth --seed $(SEED) --out $(SYNTH_DIR)

data: $(SYNTH_DIR)/extract.json ## generate the synthetic West Midlands extract into data/synthetic/

# Your own extract is never written to: only the synthetic one is (re)generated.
validate: $(INSTALLED) $(if $(filter $(SYNTH_DIR),$(DATA)),$(SYNTH_DIR)/extract.json) ## check the extract against the data contract
	$(BIN)/evaluation validate --data $(DATA)

# Reports whose inputs did not change are reused (evaluation run's own cache), so a rerun with
# nothing changed takes a few seconds. `evaluation run` checks the extract against the data
# contract itself (the gate), so validation is not run twice.
reports: $(INSTALLED) $(if $(filter $(SYNTH_DIR),$(DATA)),$(SYNTH_DIR)/extract.json) ## environment, data, validation, every evaluation, rendered reports/
	$(BIN)/evaluation run --data $(DATA) --reports reports --workers $(WORKERS) $(RUN_ARGS)

test: $(INSTALLED) ## run the test suite (slow Monte Carlo checks excluded: see test-all)
	$(BIN)/python -m pytest -m "not slow"

test-all: $(INSTALLED) ## run every test, including the slow ones
	$(BIN)/python -m pytest

lint: $(INSTALLED) ## ruff: lint and formatting check on the code and notebooks
	$(BIN)/ruff check src tests benchmarks notebooks


format: $(INSTALLED) ## ruff --fix and ruff format
	$(BIN)/ruff check --fix src tests benchmarks notebooks
	$(BIN)/ruff format src tests benchmarks notebooks

multiverse: $(INSTALLED) $(if $(filter $(SYNTH_DIR),$(DATA)),$(SYNTH_DIR)/extract.json) ## the specification curve of every programme (slow: every declared combination)
	@for p in $$($(BIN)/python -c "from evaluation.config import list_programmes; print(*list_programmes())"); do \
	  $(BIN)/evaluation multiverse $$p --data $(DATA) --reports reports --workers $(WORKERS) || exit 1; done

benchmark: $(INSTALLED) ## the long runs: outcomes, matching, Monte Carlo coverage (results in benchmarks/results/)
	@for script in benchmarks/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean: ## remove generated data and rendered reports (keeps .venv)
	rm -rf $(SYNTH_DIR) .make reports/*/ reports/index.html reports/manifest.json
