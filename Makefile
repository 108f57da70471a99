SHELL := /bin/bash
ENV := source scripts/env.sh &&
PYTEST_ARGS ?=
# Line coverage of the app, including the servers and workers the tests start as subprocesses
# ([tool.coverage.run] patch = subprocess), is reported and enforced on every run. A run of a few
# tests (PYTEST_ARGS=...) needs COVERAGE_MIN=0.
COVERAGE_MIN ?= 85
COVERAGE := --cov=booking_app --cov=jobs --cov-report=term:skip-covered --cov-fail-under=$(COVERAGE_MIN)
PORT ?= 3000

.PHONY: bootstrap run test lint export bench clean

bootstrap:
	bash scripts/bootstrap.sh

## make run: the app with demo data on http://localhost:3000 (API under /api/v1)
run: bootstrap
	$(ENV) booking-app db upgrade
	$(ENV) booking-app seed-demo
	$(ENV) reflex run --env prod --frontend-port $(PORT) --backend-port $(PORT)

## make test: every test (unit, integration on PostgreSQL/SQLite/Redis, browser)
test:
	bash scripts/bootstrap.sh --browser
	$(ENV) pytest $(COVERAGE) $(PYTEST_ARGS)

## make lint: the import-layer contract, ruff and mypy on booking_app/ and jobs/ (.ci/run runs it before the tests)
lint: bootstrap
	$(ENV) lint-imports
	$(ENV) ruff check booking_app jobs
	$(ENV) mypy

export: bootstrap
	$(ENV) reflex export --frontend-only --no-zip

bench: bootstrap
	$(ENV) for b in bench/*_bench.py; do python $$b; done

clean:
	rm -rf .web .states slotwise.db test-artifacts
