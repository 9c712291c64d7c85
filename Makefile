# The assistant's tasks. `make run` and `make test` build whatever is missing first.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Python 3.10 (Rasa 3.6 needs >=3.8,<3.11): pyenv's on this image, python3.10 elsewhere,
# or PYTHON=/path/to/python3.10.
PYENV_ROOT ?= $(shell pyenv root 2>/dev/null)
PYTHON ?= $(firstword $(wildcard $(PYENV_ROOT)/versions/3.10*/bin/python) $(shell command -v python3.10 2>/dev/null))

RASA_VENV := .venv/rasa
APP_VENV := .venv/app
RASA_READY := $(RASA_VENV)/.installed
APP_READY := $(APP_VENV)/.installed
JRA := $(APP_VENV)/bin/jra
PROCESSES := actions rasa web $(if $(TELEGRAM_BOT_TOKEN),telegram) $(if $(TRAINER_TOKEN),console)

export RASA_TELEMETRY_ENABLED := false
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help run run-production production-servers test test-fast lint setup model db check-content check-nlu evaluate evaluate-dialogue bench clean

help:
	@echo "make run    build what is missing, then run the assistant (web chat at http://127.0.0.1:8080)"
	@echo "make test   build what is missing, then run the whole test suite"
	@echo "make test-fast   only the tests that start no server, browser, model or process (seconds)"
	@echo "make lint   ruff (rules and format) and mypy, as CI runs them"
	@echo "make run-production [WORKERS=2]   N Rasa workers on PostgreSQL and Redis behind nginx (http://127.0.0.1:8000)"
	@echo "make model | db | check-content | check-nlu | evaluate | evaluate-dialogue | bench | clean"

define make_venv
	@test -n "$(PYTHON)" || { echo "Python 3.10 was not found: install it or run make PYTHON=/path/to/python3.10"; exit 1; }
	$(PYTHON) -m venv $(1)
	$(1)/bin/pip install --quiet --upgrade pip setuptools wheel
	$(1)/bin/pip install --quiet -e ".[$(2)]"
	touch $(1)/.installed
endef

# The Rasa environment: rasa 3.6.21 and the custom NLU components' libraries.
$(RASA_READY): pyproject.toml
	$(call make_venv,$(RASA_VENV),rasa)

# The app environment: action server, SQLAlchemy 2, front ends, CLI and tests.
$(APP_READY): pyproject.toml
	$(call make_venv,$(APP_VENV),app)

setup: $(RASA_READY) $(APP_READY)

# Debian's Chromium (and CJK fonts) for the widget tests; Playwright drives it by path and
# never downloads a browser.
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	@command -v apt-get >/dev/null || { echo "Install Chromium (Debian package chromium) for the browser tests."; exit 1; }
	DEBIAN_FRONTEND=noninteractive apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk >/dev/null

# Debian's PostgreSQL, Redis and nginx for the production profile and its tests. The profile runs
# its own instances (data under var/production, ports 5433, 6380, 8000), not the packages' services.
production-servers:
	@if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || ! test -x /usr/bin/redis-server || ! test -x /usr/sbin/nginx; then \
		command -v apt-get >/dev/null || { echo "Install PostgreSQL, Redis and nginx (Debian packages postgresql redis-server nginx)."; exit 1; }; \
		DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql redis-server nginx >/dev/null; \
	fi

# Trains only when config, domain, data, stories or the NLU components changed.
model: setup
	@$(JRA) model

# Creates the procedures database and loads actions/content into it (idempotent).
db: $(APP_READY)
	@$(JRA) db load

check-content: $(APP_READY)
	@$(JRA) content check

run: model db
	@$(JRA) check-ports 5055 5005 8080 $(if $(TRAINER_TOKEN),8090)
	@mkdir -p var
	@test -n "$(TELEGRAM_BOT_TOKEN)" || echo "Telegram is off: set TELEGRAM_BOT_TOKEN=<token from BotFather> to run the Telegram bot too."
	@echo "Web chat: http://127.0.0.1:8080 (ready once rasa says 'Rasa server is up and running')."
	@test -z "$(TRAINER_TOKEN)" || echo "Trainer console: http://127.0.0.1:8090 (log in with TRAINER_TOKEN; docs/trainers.md)."
	@$(JRA) run $(PROCESSES)

# The production profile (docs/deployment.md): PostgreSQL, Redis, WORKERS Rasa servers, the action
# server with several Sanic workers, the web chat and Telegram (webhook) behind nginx, supervised.
WORKERS ?= 2
run-production: model production-servers
	@mkdir -p var
	@$(JRA) serve --production --workers $(WORKERS)

# Trainer's data check: thin or missing intents, examples in the wrong language folder,
# duplicates, one example under two intents, and `rasa data validate`.
check-nlu: setup
	@$(RASA_VENV)/bin/python -m bot.devtools.nlu_check

# Trains on nlu_data/, evaluates on the held-out tests/nlu/ (per language), next to Rasa's
# default pipeline and a TF-IDF + logistic regression baseline; reports in reports/nlu/.
# ARGS="--tuning-split --skip-baselines" evaluates on a quarter of nlu_data/ instead (for tuning).
evaluate: setup
	@$(RASA_VENV)/bin/python -m bot.devtools.nlu_eval $(ARGS)

# Plays the whole conversations of tests/dialogue/conversations.yml against the real servers
# and prints the pass rate per language and per repair pattern (docs/dialogue.md).
evaluate-dialogue: model
	@$(APP_VENV)/bin/python -m bot.devtools.dialogue_eval $(ARGS)

# This assistant next to a bare `rasa init` bot (trained once into .cache/), on the same messages:
# p50, p95, throughput, errors and their ratios, for make run's profile and the production profile
# with 1, 2 and 3 workers; ours per language; RSS. ARGS="--profiles default" for the first only.
bench: model production-servers
	@$(JRA) bench $(ARGS)

# Lint, format and types (settings in pyproject.toml): ruff on the Python code, mypy on actions/
# and bot/ from the app environment, where rasa is not installed (docs/architecture.md).
LINTED := actions bot tests
lint: $(APP_READY)
	$(APP_VENV)/bin/ruff check $(LINTED)
	$(APP_VENV)/bin/ruff format --check $(LINTED)
	$(APP_VENV)/bin/mypy

test: model $(CHROMIUM) production-servers
	$(APP_VENV)/bin/pytest

# The fast tests alone: no server, browser, model or other process is started (the `slow` marker,
# tests/conftest.py), so no training either. `make test` runs them all, as CI does.
test-fast: setup
	$(APP_VENV)/bin/pytest -m "not slow" $(ARGS)

clean:
	rm -rf .venv models var
