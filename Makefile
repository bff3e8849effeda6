SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# dbt reads profiles.yml from the repository root.
export DBT_PROFILES_DIR := $(CURDIR)

.PHONY: help setup build run test lint pytest bench clean

help:
	@echo "make run    build and publish the warehouse, then serve the dashboard on http://localhost:8501"
	@echo "make test   lint + the whole pytest suite (builds a warehouse in a temp dir)"
	@echo "make build  build from \$$CART_RECOVERY_RAW_DIR (demo data if absent) and publish if every test passes"
	@echo "make lint   dbt parse, dbt-bouncer, sqlfluff, ruff"
	@echo "make bench  benchmarks (not implemented yet)"
	@echo "make clean  remove dbt/pytest artefacts and the warehouse (keeps .venv and landed data)"

# The virtualenv is (re)installed whenever pyproject.toml changes.
$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

build: $(STAMP)
	$(BIN)/python -m cart_recovery build

run: build
	$(BIN)/streamlit run dashboard/app.py --server.port 8501 --server.headless true

lint: $(STAMP)
	$(BIN)/dbt parse --quiet --target lint
	$(BIN)/dbt-bouncer run --config-file dbt-bouncer.yml
	$(BIN)/sqlfluff lint models tests analyses snapshots
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

pytest: $(STAMP)
	$(BIN)/pytest

test: lint pytest

bench:
	@echo "make bench: not implemented yet" >&2
	@exit 1

clean:
	rm -rf target logs dbt_packages warehouse test-artifacts .pytest_cache .ruff_cache
