# Cairn: `make run` for a first look, `make test` for the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-fast e2e lint audit format install migrate seed worker beat clean bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip setuptools

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

# Security audit. bandit: medium and high severity findings fail (reviewed exceptions carry
# `# nosec BXXX` beside the reason). pip-audit: every installed distribution but the editable
# cairn itself, against PyPI's vulnerability feed; --strict fails on any package the feed cannot
# answer for, so a broken feed never reads as "no known vulnerabilities". FEED_PROBE asks the feed
# for pip-audit's own release first: it exits 3 only when the feed cannot be reached (no route,
# refused, timed out, or a 404 from a network that serves the package index only), and then the
# audit fails too, unless AUDIT_FEED_OPTIONAL=1, which prints a warning that the dependencies were
# NOT audited and goes on. Any other failure of the probe (pip-audit not installed, a TLS
# certificate that does not verify, another HTTP error) fails the audit whatever the setting.
define FEED_PROBE
import importlib.metadata, ssl, sys, urllib.error, urllib.request

url = f"https://pypi.org/pypi/pip-audit/{importlib.metadata.version('pip-audit')}/json"
try:
    urllib.request.urlopen(url, timeout=30).close()
except (urllib.error.URLError, OSError) as error:
    cause = error.reason if isinstance(error, urllib.error.URLError) else error
    if isinstance(error, urllib.error.HTTPError) and error.code != 404 or isinstance(cause, ssl.SSLError):
        raise
    print(f"{url}: {error}", file=sys.stderr)
    sys.exit(3)
endef
export FEED_PROBE

audit: install
	@echo "$(BIN)/bandit -r apps config --severity-level medium"
	@# bandit warns "nosec encountered, but no failed test" for every other node on a reviewed
	@# line (an f-string's parts); only those lines are dropped from its messages.
	@$(BIN)/bandit -r apps config --severity-level medium --quiet 2>$(VENV)/bandit.log; \
		status=$$?; grep -v "nosec encountered" $(VENV)/bandit.log >&2; exit $$status
	$(BIN)/pip freeze --all --exclude-editable > $(VENV)/audit-requirements.txt
	@probe=0; $(BIN)/python -c "$$FEED_PROBE" || probe=$$?; \
	if [ $$probe -eq 0 ]; then \
		echo "$(BIN)/pip-audit --strict -r $(VENV)/audit-requirements.txt"; \
		$(BIN)/pip-audit --strict --no-deps --disable-pip --progress-spinner off \
			-r $(VENV)/audit-requirements.txt; \
	elif [ $$probe -ne 3 ]; then \
		echo "The probe of PyPI's vulnerability feed failed (exit status $$probe, see above)." >&2; \
		exit 1; \
	elif [ "$(AUDIT_FEED_OPTIONAL)" = 1 ]; then \
		echo "WARNING: PyPI's vulnerability feed (pypi.org/pypi/<name>/<version>/json) cannot be" >&2; \
		echo "WARNING: reached from here: the dependencies were NOT audited by pip-audit." >&2; \
	else \
		echo "PyPI's vulnerability feed (pypi.org/pypi/<name>/<version>/json) cannot be reached," >&2; \
		echo "so pip-audit cannot check the dependencies. AUDIT_FEED_OPTIONAL=1 skips it." >&2; \
		exit 1; \
	fi

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
