# Cairn: `make run` for a first look, `make test` for the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-fast e2e lint format install migrate seed worker beat clean bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed

run: install
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py migrate --no-input
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py seed_demo
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py runserver $(HOST):$(PORT)

test: install
	$(BIN)/pytest

# Everything but the browser journeys.
test-fast: install
	$(BIN)/pytest -m "not e2e"

e2e: install
	$(BIN)/pytest tests/e2e

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

worker: install
	$(BIN)/celery -A config worker --loglevel=info

beat: install
	$(BIN)/celery -A config beat --loglevel=info

clean:
	rm -rf $(VENV) staticfiles db.sqlite3 .pytest_cache

# The benchmark harness (README, "Performance"): PostgreSQL only, in BENCH_DATABASE_URL (default
# postgres://postgres@127.0.0.1:5432/cairn_bench); BENCH_ARGS="--sf 0.1 --quick" for a first look.
bench: install
	$(BIN)/python -m bench.run $(BENCH_ARGS)
