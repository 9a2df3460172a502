# The two commands: `make demo` (the main job) and `make test` (the whole suite).
# Both create the virtual environment they need in .venv on first use.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
ENV    ?= dev
STAMP  := $(VENV)/.installed
# checkov needs jsonschema 4, Sceptre 4.7 pins 3.2: the scanner gets its own environment.
CHECKOV := .venv-checkov

.PHONY: demo test lint typecheck unit scan render bench clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $@

$(CHECKOV)/.installed: requirements-checkov.txt
	test -x $(CHECKOV)/bin/python || $(PYTHON) -m venv $(CHECKOV)
	$(CHECKOV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-checkov.txt
	touch $@

## demo: render every stack of $(ENV) through Sceptre, offline, and summarise it
demo: $(STAMP)
	$(BIN)/python scripts/summary.py --env $(ENV)

## test: lint, type-check, the whole test suite with branch coverage, and the security scan
test: lint typecheck unit scan

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest --cov --cov-report=term

## scan: checkov over every rendered template; accepted findings carry a reason in Metadata
scan: $(STAMP) $(CHECKOV)/.installed
	rm -rf build/templates
	$(BIN)/python scripts/summary.py --env all --write build/templates > /dev/null
	$(CHECKOV)/bin/checkov --directory build/templates --framework cloudformation --skip-download --compact --quiet

## render: write every template of every environment to build/templates/<env>/<stack>.json
render: $(STAMP)
	$(BIN)/python scripts/summary.py --env all --write build/templates

## bench: time rendering every stack of every environment in one process
bench: $(STAMP)
	$(BIN)/python scripts/bench_render.py

clean:
	rm -rf $(VENV) $(CHECKOV) build .pytest_cache .mypy_cache .ruff_cache .coverage
