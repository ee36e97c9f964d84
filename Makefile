# XeroFlow: `make run` starts the demo, `make test` runs every check.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501
SANDBOX_PORT ?= 8765

.PHONY: run test venv dev-deps lint format chromium migration bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed

dev-deps: $(VENV)/.dev-installed chromium

## make run: the demo on SQLite + the local Xero sandbox, with the worker (Ctrl-C stops all)
run: venv
	@PORT=$(PORT) SANDBOX_PORT=$(SANDBOX_PORT) BIN=$(BIN) ./scripts/run.sh

## make test: lint, format check, path check, and the whole pytest suite (browser tests included)
test: dev-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python scripts/check_paths.py
	$(BIN)/pytest $(PYTEST_ARGS)

chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests..."; \
	  (apt-get update -qq && apt-get install -y -qq chromium) >/dev/null; }

## make lint: ruff, and no tracked file pointing outside the repository
lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python scripts/check_paths.py

format:
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## make migration MSG="what changed": a new Alembic revision from the models
migration: venv
	@rm -f /tmp/xeroflow-autogen.db
	DATABASE_URL=sqlite:////tmp/xeroflow-autogen.db $(BIN)/alembic upgrade head
	DATABASE_URL=sqlite:////tmp/xeroflow-autogen.db $(BIN)/alembic revision --autogenerate -m "$(MSG)"

bench: venv
	$(BIN)/python -m xeroflow_core bench sync --invoices 50000 --contacts 5000
	$(BIN)/python -m xeroflow_core bench queue
	$(BIN)/python -m xeroflow_core bench profitability
	$(BIN)/python -m xeroflow_core bench pages

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
