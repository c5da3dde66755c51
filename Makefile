# ENRS — the two commands of the README are `make run` and `make test`.
# `make install` does the set-up alone (both use it): .venv, locked Python
# dependencies, front-end assets from package-lock.json, database migrations.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_WORKERS ?= auto

.PHONY: install run test test-sqlite test-postgres demo lock messages clean help

help:
	@echo "make run     installe, prépare la base, charge la région de démonstration et démarre http://$(HOST):$(PORT)"
	@echo "make test    installe puis lance toute la suite de tests"
	@echo "make install installe seulement (.venv, dépendances, migrations)"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "ENRS demande Python 3.11 ou plus récent")'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.deps: requirements.lock pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $@

node_modules/.package-lock.json: package-lock.json package.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

install: $(VENV)/.deps node_modules/.package-lock.json
	$(BIN)/enrs migrate --no-input -v 0

demo: install
	$(BIN)/enrs demo

# `enrs demo` ends by printing the demo accounts table. The local demo server
# does not force TOTP enrolment on the demo professionals (production does).
run: demo
	ENRS_DEBUG=$${ENRS_DEBUG:-1} ENRS_REQUIRE_MFA_FOR_PROFESSIONALS=$${ENRS_REQUIRE_MFA_FOR_PROFESSIONALS:-0} \
		$(BIN)/enrs runserver $(HOST):$(PORT)

# The suite runs on SQLite; when ENRS_TEST_DATABASE_URL is set it runs again on
# that database (PostgreSQL), browser journeys excepted (they are DB-agnostic).
test: install test-sqlite test-postgres

test-sqlite:
	ENRS_DATABASE_URL= $(BIN)/pytest -n $(PYTEST_WORKERS) -m "not postgres"

test-postgres:
	@if [ -n "$$ENRS_TEST_DATABASE_URL" ]; then \
		ENRS_DATABASE_URL="$$ENRS_TEST_DATABASE_URL" $(BIN)/pytest -n $(PYTEST_WORKERS) -m "not browser"; \
	elif [ "$$ENRS_REQUIRE_ALL" = "1" ]; then \
		echo "ENRS_REQUIRE_ALL=1 mais ENRS_TEST_DATABASE_URL n'est pas défini : la suite PostgreSQL ne peut pas tourner." >&2; exit 1; \
	else \
		echo "ENRS_TEST_DATABASE_URL non défini : suite PostgreSQL non lancée."; \
	fi

# Regenerate the lock file after changing pyproject.toml (developers only).
lock:
	$(BIN)/pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra test --python-version 3.11 --generate-hashes -o requirements.lock

messages:
	cd src/enrs && ../../$(BIN)/enrs makemessages -l fr --ignore=static

clean:
	rm -rf $(VENV) node_modules var/static
