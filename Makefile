# The two commands: `make demo` (the main job) and `make test` (the whole suite).
# Both create the virtual environment they need in .venv on first use.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
ENV    ?= dev
STAMP  := $(VENV)/.installed
# checkov, moto server and schemathesis need jsonschema 4 (or its tooling), Sceptre 4.7 pins 3.2:
# each gets its own environment.
CHECKOV  := .venv-checkov
EMULATOR := .venv-emulator
APITEST  := .venv-apitest
LOAD     := .venv-load
# The documentation site's tools (mkdocs-material, mkdocstrings): kept out of the library's environment.
DOCS     := .venv-docs

.PHONY: demo test environments lint typecheck unit consistency report environment bootstrap preflight verify recover destroy scan render bench bench-cdk bench-handlers bench-frontdoor bench-load bench-launch emulator emulator-stop rotate-origin-secret docs clean

$(STAMP): pyproject.toml constraints.txt examples/orders/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	# The example project of another team (examples/orders), tested and launched by make test.
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e examples/orders
	touch $@

$(CHECKOV)/.installed: requirements-checkov.txt
	test -x $(CHECKOV)/bin/python || $(PYTHON) -m venv $(CHECKOV)
	$(CHECKOV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-checkov.txt
	touch $@

$(APITEST)/.installed: requirements-apitest.txt
	test -x $(APITEST)/bin/python || $(PYTHON) -m venv $(APITEST)
	$(APITEST)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-apitest.txt
	touch $@

# locust's own pins (gevent, Flask, requests): only make bench-load needs it.
$(LOAD)/.installed: requirements-load.txt
	test -x $(LOAD)/bin/python || $(PYTHON) -m venv $(LOAD)
	$(LOAD)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-load.txt
	touch $@

$(DOCS)/.installed: requirements-docs.txt
	test -x $(DOCS)/bin/python || $(PYTHON) -m venv $(DOCS)
	$(DOCS)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-docs.txt
	touch $@

$(EMULATOR)/.installed: requirements-emulator.txt
	test -x $(EMULATOR)/bin/python || $(PYTHON) -m venv $(EMULATOR)
	$(EMULATOR)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-emulator.txt
	touch $@

## demo: launch $(ENV) on the local AWS emulator, print its outputs, send sample requests
demo: $(STAMP) $(EMULATOR)/.installed
	$(BIN)/python -m scripts.demo --env $(ENV)

## emulator / emulator-stop: start (or reuse) and stop the local AWS emulator on 127.0.0.1
emulator: $(STAMP) $(EMULATOR)/.installed
	$(BIN)/python -m local_aws.client.control start

emulator-stop:
	test ! -x $(BIN)/python || $(BIN)/python -m local_aws.client.control stop

## test: lint, type-check, unit and integration tests with branch coverage, the security scan and the docs site
# The test suite takes both cores only part of the time (integration tests wait for stacks):
# the other checks run one after another beside it, each target's output printed whole.
# The environments the tests need are made first, side by side; those of checkov and the docs
# site while the tests run (each is a prerequisite of its target).
test:
	$(MAKE) --no-print-directory -j3 $(STAMP) $(EMULATOR)/.installed $(APITEST)/.installed
	$(MAKE) --no-print-directory -j2 --output-sync=target unit lint typecheck consistency scan docs

# The five virtual environments, made side by side (their installs wait on I/O, not on CPU).
environments:
	$(MAKE) --no-print-directory -j5 $(STAMP) $(CHECKOV)/.installed $(EMULATOR)/.installed $(APITEST)/.installed $(DOCS)/.installed

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The library, the emulator and the examples; then each function's code as its package lays it out.
typecheck: $(STAMP)
	$(BIN)/mypy
	$(BIN)/python -m scripts.typecheck_functions

# Unit tests run offline; integration tests start and stop their own emulator. Three processes
# on two cores: an integration test spends much of its time waiting for stacks (6 min 10 s
# against 7 min 20 s with two, measured 2026-12-08).
unit: $(STAMP) $(EMULATOR)/.installed $(APITEST)/.installed
	$(BIN)/pytest -n 3 --dist loadgroup --cov --cov-report=term

## scan: checkov over every rendered template; accepted findings carry a reason in Metadata
scan: $(STAMP) $(CHECKOV)/.installed
	rm -rf build/templates
	$(BIN)/python -m scripts.summary --env all --write build/templates > /dev/null
	$(CHECKOV)/bin/checkov --directory build/templates --framework cloudformation --skip-download --compact --quiet

## consistency: every difference between environments, with the setting that causes it
consistency: $(STAMP)
	$(BIN)/python -m scripts.consistency

## report: rewrite docs/environments.md (stack graphs, settings matrix, differences), docs/openapi.json and its page docs/openapi.md, docs/reference.md, examples/payments_client
report: $(STAMP) $(APITEST)/.installed
	$(BIN)/python -m scripts.report
	$(BIN)/python -m scripts.openapi --write
	$(BIN)/python -m scripts.openapi_page --write
	$(BIN)/python -m scripts.reference --write
	$(BIN)/python -m scripts.client --write

## environment: add environment $(NAME) copied from $(FROM), in its own account $(ACCOUNT) (unique domain and CIDR)
environment: $(STAMP)
	@test -n "$(NAME)" -a -n "$(FROM)" -a -n "$(ACCOUNT)" || { echo "usage: make environment NAME=<new> FROM=<existing> ACCOUNT=<12-digit account id>"; exit 2; }
	$(BIN)/python -m scripts.new_environment --name $(NAME) --from $(FROM) --account $(ACCOUNT)

## bootstrap: make $(ENV)'s account ready for launches (deploy and CloudFormation roles, account settings), as its administrator
bootstrap: $(STAMP)
	$(BIN)/python -m scripts.bootstrap --env $(ENV) $(if $(ROLE),--role-arn $(ROLE))

## preflight: read-only checks of $(ENV)'s account before a launch (LOCAL=1: on the local emulator)
preflight: $(STAMP) $(if $(LOCAL),$(EMULATOR)/.installed)
	$(BIN)/python -m scripts.preflight --env $(ENV) $(if $(LOCAL),--local)

## verify: $(ENV) end to end through its public URL, as its administrator (LOCAL=1: on the local emulator)
verify: $(STAMP)
	$(BIN)/python -m scripts.verify --env $(ENV) $(if $(LOCAL),--local) $(if $(ROLE),--role-arn $(ROLE))

## destroy: delete every stack of $(ENV) with its data, refused where its settings keep data (LOCAL=1: on the local emulator; YES=1: no question)
destroy: $(STAMP) $(if $(LOCAL),$(EMULATOR)/.installed)
	@test "$(origin ENV)" != file || { echo "usage: make destroy ENV=<env> [LOCAL=1] [YES=1]: name the environment to delete"; exit 2; }
	$(BIN)/python -m scripts.destroy --env $(ENV) $(if $(LOCAL),--local) $(if $(YES),--yes)

## recover: get $(ENV)'s stack $(STACK) out of UPDATE_ROLLBACK_FAILED or a stuck update, as its deployer (SKIP=<LogicalId>,...; LOCAL=1)
recover: $(STAMP) $(if $(LOCAL),$(EMULATOR)/.installed)
	@test -n "$(STACK)" || { echo "usage: make recover ENV=<env> STACK=<stack> [SKIP=<LogicalId>,...] [LOCAL=1]"; exit 2; }
	$(BIN)/python -m scripts.recover --env $(ENV) --stack $(STACK) $(if $(SKIP),--skip $(SKIP)) $(if $(LOCAL),--local)

## rotate-origin-secret: new origin secret for $(ENV), rolled out to the stage's web ACL, then CloudFront
rotate-origin-secret: $(STAMP)
	$(BIN)/python -m scripts.rotate_origin_secret --env $(ENV)

## render: write every template of every environment to build/templates/<env>/<stack>.json
render: $(STAMP)
	$(BIN)/python -m scripts.summary --env all --write build/templates

## docs: build the documentation site into build/site, strictly (a broken link or a page missing from nav fails), offline
docs: $(DOCS)/.installed
	NO_MKDOCS_2_WARNING=1 $(DOCS)/bin/mkdocs build --strict --quiet

## bench: time rendering every stack of every environment in one process
bench: $(STAMP)
	$(BIN)/python -m scripts.bench_render

## bench-cdk: the same, with `cdk synth` of the equivalent CDK app (benchmarks/cdk, its npm packages installed first) measured beside it
bench-cdk: $(STAMP)
	cd benchmarks/cdk && npm ci --no-audit --no-fund
	$(BIN)/python -m scripts.bench_render --cdk

## bench-handlers: payment handler cold import and POST /payments against the raw DynamoDB call
bench-handlers: $(STAMP) $(EMULATOR)/.installed
	$(BIN)/python -m scripts.bench_handlers

## bench-frontdoor: an HTTP round trip through the local front door against the in-process handler call
bench-frontdoor: $(STAMP) $(EMULATOR)/.installed
	$(BIN)/python -m scripts.bench_frontdoor

## bench-load: locust through the front door at 1, 8 and 32 clients (payments retried and raced, reads, lists), then the books
bench-load: $(STAMP) $(EMULATOR)/.installed $(LOAD)/.installed
	$(BIN)/python -m scripts.bench_load

## bench-launch: launch dev and prod on fresh emulators; wall time against depth x 4 s
bench-launch: $(STAMP) $(EMULATOR)/.installed
	$(BIN)/python -m scripts.bench_launch

clean:
	rm -rf $(VENV) $(CHECKOV) $(EMULATOR) $(APITEST) $(LOAD) $(DOCS) .emulator build .pytest_cache .mypy_cache .ruff_cache .coverage
