# Flattr — the two commands are `make run` and `make test`; everything else is a helper.
.DEFAULT_GOAL := help
SHELL := /bin/bash
UV := bin/uv
PY := .venv/bin/python
APPS := flattr accounts payments twitter_claims
export UV_PYTHON_DOWNLOADS := never
export DJANGO_SETTINGS_MODULE := flattr.settings

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' Makefile | sed 's/:.*## /\t/' | expand -t16

venv: .venv/.synced  ## create .venv from uv.lock
.venv/.synced: pyproject.toml uv.lock
	$(UV) sync --frozen
	@touch $@

run: venv  ## serve the site at http://127.0.0.1:8000/ on the embedded defaults, with demo data
	bin/run-dev

test: venv  ## install everything and run the whole suite (DATABASE_URL/REDIS_URL if set, else embedded)
	bin/ensure-chromium
	.venv/bin/lint-imports --no-cache
	$(PY) -m pytest $(PYTEST_ARGS)

bench: venv  ## benchmarks: button view vs a trivial view, payday at scale, the stack under load
	$(PY) manage.py bench_button
	$(PY) manage.py bench_payday --donors $${DONORS:-100000} --flattrs-per-donor $${FLATTRS:-10}
	$(PY) manage.py bench_load --seconds $${LOAD_SECONDS:-8}

# Development helpers run in development mode unless told otherwise (production refuses to
# start without its secrets); `make test` leaves the mode to pytest ("test").
run worker beat bench: export FLATTR_ENV ?= development

worker: venv need-redis  ## a Celery worker (REDIS_URL, else the embedded Redis of make run)
	$(PY) -m celery -A flattr worker -l info

beat: venv need-redis  ## Celery beat with the schedule from settings (REDIS_URL, else embedded)
	$(PY) -m celery -A flattr beat -l info --schedule .data/celerybeat-schedule

need-redis:
	@test -n "$$REDIS_URL" || [ "$${EMBEDDED_REDIS:-true}" != false ] || { echo "EMBEDDED_REDIS=false and no REDIS_URL: tasks run eagerly inside the web process and need no worker. Set REDIS_URL, or leave EMBEDDED_REDIS unset for the embedded Redis."; exit 1; }
	@mkdir -p .data

lint: venv  ## ruff check and format check, and the import contracts between the apps
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	.venv/bin/lint-imports --no-cache

format: venv  ## apply ruff fixes and formatting
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

# Each app has its own catalogue (<app>/locale); templates/ and static/ share the project's
# (locale/, LOCALE_PATHS[0], where makemessages writes when run in a folder without locale/).
messages: export FLATTR_ENV = development
messages: venv  ## refresh the German catalogues, then compile them
	for app in $(APPS); do mkdir -p $$app/locale && (cd $$app && ../$(PY) ../manage.py makemessages -l de --no-obsolete -v0); done
	cd templates && ../$(PY) ../manage.py makemessages -l de --no-obsolete -v0
	cd static && ../$(PY) ../manage.py makemessages -d djangojs -l de --no-obsolete -v0
	$(PY) manage.py compilemessages --ignore=.venv -v0

clean:  ## remove .venv, the embedded database and collected static files
	rm -rf .venv .data staticfiles

.PHONY: help venv run test bench worker beat need-redis lint format messages clean
