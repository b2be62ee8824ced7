# Newsarchive: `make run` serves the archive, `make test` runs the whole suite.
# Both work on a fresh clone with only Python 3.11+ and make.

PYTHON ?= python3
PORT ?= 8000
VENV := .venv
BIN := $(VENV)/bin

.DEFAULT_GOAL := help
.PHONY: help run dev test axe messages install install-dev migrate samples lint format typecheck check bench relevance loadtest db-stop clean

help:
	@echo "make run    install, start the database, import the samples, serve http://127.0.0.1:$(PORT)"
	@echo "            (gunicorn, DEBUG off, as in production);  make dev  the same with runserver, DEBUG on"
	@echo "make test   install with dev tools and run the whole test suite"
	@echo "make lint   ruff and mypy;  make bench  the benchmark suite;  make relevance  search quality against peers"
	@echo "make db-stop  stop the embedded PostgreSQL"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

migrate: install
	$(BIN)/python manage.py migrate --no-input

# Into an empty archive only (articles/sample_data.py); `manage.py samples --remove` takes
# them out again.
samples: migrate
	$(BIN)/python manage.py samples

# gunicorn with DEBUG off, collectstatic and WhiteNoise, a secret kept in var/secret_key.
run: samples
	$(BIN)/python -m newsarchive.serve --port $(PORT)

# runserver with autoreload and DEBUG on, for working on the code.
dev: samples
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# One test process per core (pytest-xdist, at most 4): each has its own test database.
test: install-dev axe
	$(BIN)/python -m pytest -n auto --maxprocesses 4 $(PYTEST_ARGS)

# axe-core for the browser accessibility tests, from the npm registry with the machine's npm,
# into var/axe/ (git-ignored); the tests inject that file, and skip where it is missing.
AXE_VERSION := 4.14.1
AXE := var/axe/node_modules/axe-core/axe.min.js
axe: $(AXE)
$(AXE):
	@if command -v npm >/dev/null 2>&1; then \
		npm install --silent --no-audit --no-fund --prefix var/axe axe-core@$(AXE_VERSION); \
	else echo "npm not found: the accessibility tests will skip (apt-get install npm)"; fi

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

check: install-dev
	$(BIN)/python manage.py makemigrations --check --dry-run
	DEBUG=false SECRET_KEY=ci-only-$$(printf '%060d' 0)-not-a-real-secret ALLOWED_HOSTS=archive.example.org \
		USE_EMBEDDED_DATABASE=true \
		$(BIN)/python manage.py check --deploy --fail-level WARNING

bench: migrate
	$(BIN)/python -m bench $(BENCH_ARGS)

# Known-item search quality (MRR@10) of ours and two peers over the real corpora in
# ../shared/corpora; e.g. make relevance RELEVANCE_ARGS="--corpora PATH --no-ours".
relevance: install
	$(BIN)/python -m bench.relevance $(RELEVANCE_ARGS)

# The interface's catalogues (locale/): collect the strings, then compile them after
# translating. Needs GNU gettext (apt-get install gettext); the compiled .mo files are
# committed, so nothing else does. The admin's own strings come with Django.
messages: install
	$(BIN)/python manage.py makemessages -l ar -l fr --no-obsolete --ignore=.venv --ignore=bench \
		--ignore=tests --ignore=var --ignore=build --ignore=docs --ignore=articles/samples \
		--ignore=templates/admin
	$(BIN)/python manage.py compilemessages --ignore=.venv

db-stop:
	@test -x $(BIN)/python && $(BIN)/python -c "from newsarchive import embedded_db; embedded_db.stop()" || true

clean: db-stop
	rm -rf $(VENV) var build *.egg-info .pytest_cache .mypy_cache .ruff_cache test-artifacts
