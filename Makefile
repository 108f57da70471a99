SHELL := /bin/bash
ENV := source scripts/env.sh &&
PYTEST_ARGS ?=
PORT ?= 3000

.PHONY: bootstrap run test export bench clean

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
	$(ENV) pytest $(PYTEST_ARGS)

export: bootstrap
	$(ENV) reflex export --frontend-only --no-zip

bench: bootstrap
	$(ENV) for b in bench/*_bench.py; do python $$b; done

clean:
	rm -rf .web .states slotwise.db test-artifacts
