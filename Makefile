# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
INTAKE_PORT ?= 8000
DOCS_PORT ?= 8001

.DEFAULT_GOAL := help
.PHONY: help install run test lint openapi migrate bench clean

help: ## list every target
	@grep -hE '^[a-z][a-z-]*:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@echo "Setting up .venv and installing the project (the first time takes a few minutes) ..."
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,dev]'
	@touch $(STAMP)

install: $(STAMP) ## create .venv and install the project with its test tools

run: $(STAMP) ## migrate SQLite under var/, mint dev keys, start both services (Ctrl-C stops both)
	@INTAKE_PORT=$(INTAKE_PORT) DOCS_PORT=$(DOCS_PORT) $(BIN)/python -m apicore.devrun

test: $(STAMP) ## run the whole suite (SQLite; PostgreSQL too when TEST_POSTGRES_URL is set)
	$(BIN)/pytest -q

lint: $(STAMP) ## ruff (lint and format) and mypy strict
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy src tests bench

openapi: $(STAMP) ## write openapi/intake_api.json and openapi/docs_service.json from the apps
	$(BIN)/intake-api openapi > openapi/intake_api.json.tmp && mv openapi/intake_api.json.tmp openapi/intake_api.json
	$(BIN)/docs-service openapi > openapi/docs_service.json.tmp && mv openapi/docs_service.json.tmp openapi/docs_service.json

bench: $(STAMP) ## benchmarks (wrk, both databases, ~14 min; BENCH_QUICK=1 to try): bench/results/
	@command -v wrk >/dev/null || { echo "make bench needs wrk: apt-get install wrk"; exit 1; }
	$(BIN)/python -m bench

migrate: $(STAMP) ## migrate both SQLite databases under var/ to head
	$(BIN)/intake-api migrate
	$(BIN)/docs-service migrate

clean: ## remove the virtual environment and local databases
	rm -rf $(VENV) var
