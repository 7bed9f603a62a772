# leadkit: `make help` lists the targets. Everything runs in .venv, made on first use.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: help install system-deps report batch test lint format lab hooks sample clean bench bench-load bench-report translations

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

# Debian packages the browser test (chromium), the Spark test (Java) and the warehouse
# test (a PostgreSQL server the tests start themselves) need. Installed with apt-get
# when missing and this is root; otherwise those tests skip and say why.
SYSTEM_PACKAGES := chromium:chromium java:openjdk-17-jre-headless pg_ctlcluster:postgresql

system-deps: ## Install Chromium, Java and PostgreSQL from Debian's packages if missing (root only)
	@missing=""; for pair in $(SYSTEM_PACKAGES); do \
	  command -v $${pair%%:*} >/dev/null 2>&1 || missing="$$missing $${pair#*:}"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing$$missing (Debian packages)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	else echo "note:$$missing missing and not installable here (needs root and apt-get):" \
	  "the browser, Spark or PostgreSQL tests will skip"; fi

batch: $(STAMP) ## Run every client of data/clients.example.yaml (sample, Olist, a broken one)
	$(BIN)/leadkit run data/clients.example.yaml

test: $(STAMP) system-deps ## Run the test suite (unit tests, notebook runs, browser, JupyterLab, Spark, PostgreSQL)
	$(BIN)/python -m pytest

lint: $(STAMP) ## Check style (ruff), the direction of imports (lint-imports) and types (mypy)
	$(BIN)/ruff check analysis tests notebooks benchmarks
	$(BIN)/ruff format --check analysis tests benchmarks notebooks
	$(BIN)/lint-imports
	$(BIN)/mypy

format: $(STAMP) ## Format code with ruff
	$(BIN)/ruff format analysis tests benchmarks notebooks/*.py
	$(BIN)/ruff check --fix analysis tests benchmarks notebooks/*.py
	$(BIN)/jupytext --sync notebooks/*.py  # carry the formatted scripts into the notebooks

lab: $(STAMP) ## Open JupyterLab on the notebooks (paired with notebooks/*.py by jupytext)
	$(BIN)/jupyter lab --ServerApp.root_dir=notebooks

hooks: $(STAMP) ## Install the pre-commit hooks (ruff, nbstripout, jupytext sync)
	$(BIN)/pre-commit install

translations: $(STAMP) ## Extract the kit's sentences (analysis/) and update the catalogues under analysis/base/locale
	$(BIN)/pybabel extract -F analysis/base/locale/babel.cfg -k _ -k n_:1,2 -k N_ --no-location --sort-output \
		--project leadkit --copyright-holder "leadkit authors" \
		-o analysis/base/locale/leadkit.pot analysis notebooks
	$(BIN)/pybabel update -i analysis/base/locale/leadkit.pot -d analysis/base/locale -D leadkit \
		--no-fuzzy-matching --ignore-obsolete

sample: $(STAMP) ## Regenerate the sample company's exports in data/sample
	$(BIN)/leadkit sample

clean: ## Remove generated reports and caches (keeps .venv)
	rm -rf reports/*/ .pytest_cache .ruff_cache test-artifacts
	find . -name __pycache__ -type d -prune -not -path './.venv/*' -exec rm -rf {} +

bench: $(STAMP) ## Benchmark the model step (100k, 1M, 10M leads) against a row-level fit (~7 min; writes benchmarks/RESULTS.md)
	$(BIN)/python benchmarks/model_step.py

bench-load: $(STAMP) ## Benchmark loading and checking canonical Parquet leads, in DuckDB and row by row (1M, 10M; ~3 min; writes benchmarks/RESULTS-load.md)
	$(BIN)/python benchmarks/load_step.py

bench-report: $(STAMP) ## Benchmark the whole report on the sample, 100k, 1M and 10M leads (each 3 times) against a floor (~8 min; writes benchmarks/RESULTS-report.md)
	$(BIN)/python benchmarks/report_step.py
