# The two commands: `make demo` (the main job) and `make test` (the whole suite).
# Both create the virtual environment they need in .venv on first use.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
ENV    ?= dev
STAMP  := $(VENV)/.installed

.PHONY: demo test lint typecheck unit render bench clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $@

## demo: render every stack of $(ENV) through Sceptre, offline, and summarise it
demo: $(STAMP)
	$(BIN)/python scripts/summary.py --env $(ENV)

## test: lint, type-check and the whole test suite with branch coverage
test: lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest --cov --cov-report=term

## render: write every template of every environment to build/templates/<env>/<stack>.json
render: $(STAMP)
	$(BIN)/python scripts/summary.py --env all --write build/templates

## bench: time rendering every stack of every environment in one process
bench: $(STAMP)
	$(BIN)/python scripts/bench_render.py

clean:
	rm -rf $(VENV) build .pytest_cache .mypy_cache .ruff_cache .coverage
