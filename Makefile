# clickgame: two commands do everything. `make run` plays, `make test` checks.
# Needs only Python 3.11+ and make; everything else goes into .venv.

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

.PHONY: run test lint format venv migrate bootstrap clean bench-clicks bench-leaderboard

venv: $(STAMP)

$(STAMP): requirements/base.txt requirements/prod.txt requirements/dev.txt
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is needed (python3.11, python3.12, ...)."; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements/dev.txt
	touch $(STAMP)

migrate: venv
	$(PY) manage.py migrate --noinput

bootstrap: migrate
	$(PY) manage.py bootstrap_dev

run: bootstrap
	@echo ""
	@echo "  clickgame is starting on http://$(HOST):$(PORT)/"
	@echo "    Dev sign-in (start here) http://$(HOST):$(PORT)/dev/signin"
	@echo "    Mini App                http://$(HOST):$(PORT)/   (light client: /play/web/)"
	@echo "    Admin (backoffice)      http://$(HOST):$(PORT)/admin/"
	@echo "    API                     http://$(HOST):$(PORT)/api/"
	@echo "    API docs                http://$(HOST):$(PORT)/docs  and  /redoc"
	@echo ""
	$(PY) manage.py runserver $(HOST):$(PORT)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/gdparse $(GD_SCRIPTS) >/dev/null
	$(BIN)/gdlint $(GD_SCRIPTS)
	$(BIN)/gdformat --check $(GD_SCRIPTS)

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: lint
	$(PY) -m pytest $(PYTEST_ARGS)

bench-leaderboard: venv
	$(PY) benchmarks/leaderboard.py

bench-clicks: venv
	$(PY) benchmarks/clicks_sync.py

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles test-artifacts
