SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# dbt reads profiles.yml from the repository root.
export DBT_PROFILES_DIR := $(CURDIR)

.PHONY: help setup build demo run docs docs-build metrics test lint pytest test-reliability test-connectors test-workflow test-spark bench clean

help:
	@echo "make run    build and publish the warehouse, then serve the dashboard on http://localhost:8501"
	@echo "make test   lint + the pytest suite (builds a warehouse in a temp dir); slow suites have their own targets"
	@echo "make test-reliability  bad landings, kills at every phase, concurrent and incremental builds"
	@echo "make test-connectors   builds from Fivetran's Shopify, Stripe and Klaviyo tables (round trip, hand-written)"
	@echo "make test-workflow     exception routes and notify to a loopback webhook, owners' actions, kills mid-notify"
	@echo "make build  build from \$$CART_RECOVERY_RAW_DIR and publish if every test passes (nothing landed: an error)"
	@echo "make demo   generate the demo data set (ending now) in \$$CART_RECOVERY_RAW_DIR, build and publish it"
	@echo "make docs   the dbt docs site of the published warehouse (warehouse/docs/), served on http://127.0.0.1:8080"
	@echo "make metrics  MetricFlow over a copy of the published warehouse: recovery rate by channel by week"
	@echo "make lint   dbt parse, dbt-bouncer, sqlfluff, ruff"
	@echo "make test-spark  build the demo data on Spark and on DuckDB; every public mart must be identical (Java 17)"
	@echo "make bench  benchmarks at SCALE cart events (default 10000000) -> bench/results/<utc-timestamp>.json"
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

# The demo data set, ending now; it replaces only an earlier demo data set, never landed data.
demo: $(STAMP)
	$(BIN)/python -m cart_recovery demo

# Demo data unless real data is landed (then that is built), then the dashboard.
run: $(STAMP)
	$(BIN)/python -m cart_recovery demo --or-build
	$(BIN)/streamlit run dashboard/app.py --server.port 8501 --server.headless true

# The dbt docs site of the published warehouse, generated from a copy of it (docs/operations.md "Make targets").
docs: $(STAMP)
	$(BIN)/python -m cart_recovery docs

docs-build: $(STAMP)
	$(BIN)/python -m cart_recovery docs --no-serve

# MetricFlow over a copy of the published warehouse (docs/metrics.md): recovery rate by channel by cohort week.
metrics: $(STAMP)
	$(BIN)/python -m cart_recovery metrics

lint: $(STAMP)
	$(BIN)/dbt parse --quiet --target lint
	$(BIN)/dbt-bouncer run --config-file dbt-bouncer.yml
	$(BIN)/sqlfluff lint models tests analyses snapshots
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

pytest: $(STAMP)
	$(BIN)/pytest -m "not reliability and not connectors and not workflow"

# Bad landings, clocks, kills at every phase, concurrent builds, incremental equivalence (slow: many builds).
test-reliability: $(STAMP)
	$(BIN)/pytest -m reliability

# One world built from the native landing and from Fivetran's tables; hand-written connector tables (slow: 5 builds).
test-connectors: $(STAMP)
	$(BIN)/pytest -m connectors

# Exception workflow across builds: notify to a loopback webhook, owners' actions, kills mid-notify (slow: builds).
test-workflow: $(STAMP)
	$(BIN)/pytest -m workflow

test: lint pytest

# The Spark extra (dbt-spark, pyspark) on top of the dev install; again whenever pyproject.toml changes.
SPARK_STAMP := $(VENV)/.installed-spark

$(SPARK_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,spark]'
	touch $(SPARK_STAMP)

# Same models on Spark (docs/spark.md): one dbt build per engine in a temp dir, then
# every public mart compared row for row.
test-spark: $(SPARK_STAMP)
	$(BIN)/pytest tests/spark

# Benchmarks (docs/performance.md): SCALE cart events (default 10M); writes bench/results/<utc-timestamp>.json.
SCALE ?= 10000000

bench: $(STAMP)
	$(BIN)/python -m bench.run --scale $(SCALE)

clean:
	rm -rf target logs dbt_packages warehouse test-artifacts .pytest_cache .ruff_cache
