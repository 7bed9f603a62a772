# leadkit: `make help` lists the targets. Everything runs in .venv, made on first use.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: help install report test lint format lab sample clean bench

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-10s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "leadkit needs Python 3.11 or newer; set PYTHON=/path/to/python3.11")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP) ## Create .venv and install the kit with its dev tools

report: $(STAMP) ## Run the audit on the built-in sample and print where the report is
	$(BIN)/leadkit report --profile sample

test: $(STAMP) ## Run the test suite (unit tests, notebook runs, nbval)
	$(BIN)/python -m pytest

lint: $(STAMP) ## Check code style with ruff
	$(BIN)/ruff check analysis tests notebooks benchmarks
	$(BIN)/ruff format --check analysis tests benchmarks

format: $(STAMP) ## Format code with ruff
	$(BIN)/ruff format analysis tests benchmarks
	$(BIN)/ruff check --fix analysis tests benchmarks

lab: $(STAMP) ## Open JupyterLab on the notebooks
	$(BIN)/jupyter lab --notebook-dir=notebooks

sample: $(STAMP) ## Regenerate the sample company's exports in data/sample
	$(BIN)/leadkit sample

clean: ## Remove generated reports and caches (keeps .venv)
	rm -rf reports/*/ .pytest_cache .ruff_cache test-artifacts
	find . -name __pycache__ -type d -prune -not -path './.venv/*' -exec rm -rf {} +

bench: $(STAMP) ## Benchmark the model step against a row-level fit (writes benchmarks/RESULTS.md)
	$(BIN)/python benchmarks/model_step.py
