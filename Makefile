# Exacto: `make run` serves the app with demo data; `make test` runs the tests.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
SEED_ARGS ?=
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | sha256sum | cut -c1-12)

AXE := node_modules/axe-core/axe.min.js

.PHONY: setup setup-test run test lint bench migrate worker beat clean

setup: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

migrate: setup
	$(PY) manage.py migrate --noinput

run: setup
	DEBUG=$${DEBUG:-1} $(PY) manage.py migrate --noinput
	DEBUG=$${DEBUG:-1} $(PY) manage.py seed_demo $(if $(ADMIN_PASSWORD),--admin-password $(ADMIN_PASSWORD),) $(SEED_ARGS)
	@echo "Serving on http://127.0.0.1:$(PORT)/  (admin at /admin/, API docs at /api/v1/docs/)"
	@# The web server, a Celery worker and Celery beat on a filesystem broker; Ctrl-C stops all three.
	DEBUG=$${DEBUG:-1} $(PY) manage.py run_local --port $(PORT)

# Test-only tools beyond Python: axe-core (npm, pinned in package-lock.json) for the browser
# tests' accessibility check. Installed here, never while tests run; `make run` needs no Node.
setup-test: setup $(AXE)

$(AXE): package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "npm is required for the browser tests' axe-core (apt-get install npm)"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	touch $(AXE)

test: setup-test
	$(PY) -m pytest $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check .

bench: setup
	$(PY) benchmarks/run_all.py

worker: setup
	$(VENV)/bin/celery -A exacto_site worker --loglevel=info

beat: setup
	$(VENV)/bin/celery -A exacto_site beat --loglevel=info

clean:
	rm -rf $(VENV) staticfiles exacto.sqlite3* node_modules .queue
