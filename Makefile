# ckanext-sdm — the commands README.md documents.
.PHONY: help demo test lint screenshots ckan-up ckan-down services-status clean

PYTEST_ARGS ?=

help:
	@echo "make demo       harvest the bundled sample platforms and write feeds to out/feeds/ (no CKAN needed)"
	@echo "make test       install what is missing, lint, start private services, run the whole suite"
	@echo "make lint       ruff: lint and format check (ruff.toml)"
	@echo "make screenshots  run the browser tests and keep their screenshots in docs/screenshots/"
	@echo "make ckan-up    a local CKAN 2.11 with ckanext-sdm on http://127.0.0.1:5000"
	@echo "make ckan-down  stop what ckan-up started"

demo:
	@dev/bootstrap.sh base
	@dev/demo.sh

test:
	@dev/bootstrap.sh apt
	@dev/bootstrap.sh ckan
	@dev/bootstrap.sh solr
	@$(MAKE) --no-print-directory lint
	@dev/run-tests.sh $(PYTEST_ARGS)

# ruff comes with the test extra (dev/bootstrap.sh ckan)
lint:
	@.venv/bin/ruff check .
	@.venv/bin/ruff format --check .

# The browser tests (tests/browser) save what they show when SDM_SCREENSHOTS names a folder.
screenshots:
	@dev/bootstrap.sh apt
	@dev/bootstrap.sh ckan
	@dev/bootstrap.sh solr
	@SDM_SCREENSHOTS=$(CURDIR)/docs/screenshots dev/run-tests.sh tests/browser $(PYTEST_ARGS)

ckan-up:
	@dev/bootstrap.sh apt
	@dev/bootstrap.sh ckan
	@dev/bootstrap.sh solr
	@dev/ckan-up.sh up

ckan-down:
	@dev/ckan-up.sh down

services-status:
	@dev/services.sh status

clean:
	rm -rf .run out test.ini .cache
