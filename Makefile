# OpenKAM — the two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
KAM    := $(BIN)/kam
HOST   ?= 127.0.0.1
PORT   ?= 8000
SCALE  ?= small

.PHONY: demo test lint test-sqlite test-postgres system serve install install-dev lock bench clean messages

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "OpenKAM needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.lock pyproject.toml | $(BIN)/python
	@echo "Installing OpenKAM's dependencies into $(VENV) (a minute or so the first time)..."
	$(BIN)/python -m pip install --no-color -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-dev: requirements-dev.lock $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -r requirements-dev.lock
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## make demo: install, create the SQLite database, load the demo portfolio, serve it
demo: install
	$(KAM) migrate --noinput
	$(KAM) collectstatic --noinput -v 0
	$(KAM) demo-data --scale $(SCALE) --seed 1 --if-empty
	$(KAM) score
	$(KAM) demo-logins
	$(KAM) serve --host $(HOST) --port $(PORT)

## make test: lint (ruff, format, migrations, import-linter layers, mypy), the suite on SQLite, the suite on PostgreSQL, browser tests in Chromium
test: install-dev system lint test-sqlite test-postgres

system:
	bash scripts/system-parts.sh

lint: install-dev
	$(BIN)/ruff check src bench scripts
	$(BIN)/ruff format --check src bench scripts
	$(KAM) makemigrations --check --dry-run -v 1
	PYTHONPATH=src $(BIN)/lint-imports
	PYTHONPATH=src $(BIN)/mypy

test-sqlite: install-dev
	KAM_DATABASE_URL=sqlite:///$(CURDIR)/var/test.sqlite3 $(BIN)/pytest -n 2 -q

test-postgres: install-dev
	bash scripts/with-postgres.sh $(BIN)/pytest -n 2 -q

messages: install-dev
	cd src/kam && ../../$(KAM) makemessages -l ru --no-obsolete --add-location file
	cd src/kam && ../../$(KAM) makemessages -d djangojs -l ru --no-obsolete --add-location file --ignore 'web/static/vendor/*'
	cd src/kam && ../../$(KAM) compilemessages -v 0

## requirements locks, written with no index or download addresses
lock:
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml -o requirements.lock --no-header --python-version 3.11 --quiet
	$(BIN)/uv pip compile pyproject.toml --extra dev -c requirements.lock -o requirements-dev.lock --no-header --python-version 3.11 --quiet

## make bench: every benchmark of bench/ (small sizes, minutes), then bench/RESULTS.md;
## BENCH_SCALE=large for the issue's sizes (the large demo build takes long the first time)
BENCH_SCALE ?= small
bench: install-dev system
	$(BIN)/python bench/run_all.py --scale $(BENCH_SCALE) --db both

clean:
	rm -rf $(VENV) var build *.egg-info
