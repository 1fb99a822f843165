# Two commands for a newcomer: `make run` and `make test`. See README.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-fast lint format install node-tools migrate demo serve bench bench-photos bench-wire bench-lighthouse clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

# axe-core and vnu.jar (package.json) for the accessibility and HTML validity tests.
# --ignore-scripts: vnu-jar's install script would download a Java runtime; Debian's is used.
NODE_STAMP := node_modules/.installed

$(NODE_STAMP): package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

node-tools:
	@if command -v npm >/dev/null 2>&1; then $(MAKE) --no-print-directory $(NODE_STAMP); \
	else echo "npm not found: the accessibility and HTML validity tests will skip (CI fails them)."; fi

# A local secret for `make run`, made once and kept out of git (var/ is ignored).
var/secret_key:
	mkdir -p var
	$(BIN)/python -c "import secrets; print(secrets.token_urlsafe(50))" > $@
	chmod 600 $@

LOCAL_ENV = DJANGO_SECRET_KEY="$$(cat var/secret_key)"

migrate: install var/secret_key
	$(LOCAL_ENV) $(BIN)/python manage.py migrate --no-input
	$(LOCAL_ENV) $(BIN)/python manage.py collectstatic --no-input --verbosity 0

demo: migrate
	$(LOCAL_ENV) $(BIN)/python manage.py load_demo

# gunicorn in the foreground; beside it the background worker (articles/tasks.py) and
# the wire's folder watcher (articles/wire/). Ctrl-C stops all three.
run: demo
	$(LOCAL_ENV) $(BIN)/python manage.py worker & worker=$$!; \
	$(LOCAL_ENV) $(BIN)/python manage.py wire_ingest & wire=$$!; \
	trap 'kill $$worker $$wire 2>/dev/null' EXIT INT TERM; \
	$(LOCAL_ENV) $(BIN)/gunicorn -c gunicorn.conf.py newsroom.wsgi

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Parallel test workers: one more than the machine's cores (TEST_WORKERS=4 …). The
# process tests spend much of their time waiting on what they started (Chromium,
# gunicorn, wrk, a clock), a core idle meanwhile; the extra worker fills it. On two
# cores: 229 s against 274 s with one worker per core (docs/development.md).
TEST_WORKERS ?= $(shell $(PYTHON) -c "import os; print((os.cpu_count() or 1) + 1)")

# Every test, in one run over parallel workers (tests/tiers.py). The tests that start a
# browser, gunicorn, Java or wrk keep their module together on one worker (loadgroup);
# the sites they start are built once per run from shared templates (bench/server.py).
test: install node-tools lint
	DJANGO_SECRET_KEY=makemigrations-check $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

# The inner loop: lint, the migrations check, and the tests that start no browser and no
# other process (no gunicorn, Java, wrk: tests/tiers.py), in parallel workers.
test-fast: install lint
	DJANGO_SECRET_KEY=makemigrations-check $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python -m pytest --fast -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

# Every public page against a constant view and a static file, cache off and on, under
# wrk: see bench/run.py and docs/performance.md (BENCH_ARGS="--stories 10000 …").
bench: install
	@command -v wrk >/dev/null 2>&1 || { echo "wrk is not installed: apt-get install wrk (Debian/Ubuntu)"; exit 2; }
	$(BIN)/python -m bench.run $(BENCH_ARGS)

# 30 × 24-megapixel photos in one bulk upload (request and worker times), a story save
# while renditions are made, and one photo's renditions and bytes saved (bench/photos.py).
bench-photos: install
	$(BIN)/python -m bench.photos $(BENCH_ARGS)

# Wire ingest rate: 10,000 ninjs items (1,000 of them corrections) and 1,000 NewsML-G2
# items received and processed, items per second and peak memory (bench/wire.py).
bench-wire: install
	$(BIN)/python -m bench.wire $(BENCH_ARGS)

# Lighthouse performance (mobile, default throttling) of the home and a story page on
# the demo served by gunicorn, in Debian's Chromium; fails below 98 (bench/lighthouse.py).
bench-lighthouse: install node-tools
	@test -x "$${CHROME_PATH:-/usr/bin/chromium}" || { echo "Chromium not found: apt-get install chromium (or set CHROME_PATH)"; exit 2; }
	CHROME_PATH="$${CHROME_PATH:-/usr/bin/chromium}" $(BIN)/python -m bench.lighthouse $(BENCH_ARGS)

clean:
	rm -rf $(VENV) staticfiles .test-media .pytest_cache .ruff_cache .hypothesis node_modules artifacts
