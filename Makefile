# `make run` and `make test` do all set-up from a fresh clone (README).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint schema

$(STAMP): pyproject.toml api/assets.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev]"
	$(BIN)/python -m api.assets
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/accord db upgrade
	$(BIN)/accord demo seed
	$(BIN)/accord serve

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest

schema: install
	$(BIN)/accord schema export > schema.graphql
