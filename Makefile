# The two commands: `make dev` runs the whole stack, `make test` runs the whole suite.
# Both create .venv and install everything on first use; only Python 3.11+ is needed.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: bench-million bench-shape bench-traits dev test bench bench-streams client install lint format typecheck check clean

$(STAMP): pyproject.toml
	@echo "==> creating the virtualenv $(VENV) with $$($(PYTHON) --version)"
	$(PYTHON) -m venv $(VENV)
	@echo "==> upgrading pip"
	$(BIN)/pip install --quiet --upgrade pip
	@echo "==> installing the service, the embedded servers and the dev tools (about a minute the first time)"
	$(BIN)/pip install --quiet --progress-bar off -e '.[dev]'
	@echo "==> installing the generated Python client (clients/python)"
	$(BIN)/pip install --quiet --progress-bar off -e clients/python
	@echo "==> installed; this step reruns only when pyproject.toml changes"
	touch $(STAMP)

install: $(STAMP)

dev: $(STAMP)
	$(BIN)/python -m devstack.run

# Two xdist workers: one runs the tests that start a stack of their own (make dev's, the
# bench's, the chaos run's), the other every test on the session's stack (tests/conftest.py).
test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadgroup

# Orders through the real API beside the bare engine's ceiling; figures, not assertions.
# BENCH_ARGS passes options, e.g. BENCH_ARGS="--clients 50 --orders 600 --json bench.json"
bench: $(STAMP)
	$(BIN)/python -m benchmarks.orders $(BENCH_ARGS)

# The four main requests on an empty database and on a million seeded orders, with plans.
bench-million: $(STAMP)
	$(BIN)/python -m benchmarks.million $(BENCH_ARGS)

# Temporal's cost of five steps as activities, local activities or one batched activity.
bench-shape: $(STAMP)
	$(BIN)/python -m benchmarks.activity_shape $(BENCH_ARGS)

# What each trait of an order's workflow costs the Temporal server, one at a time.
bench-traits: $(STAMP)
	$(BIN)/python -m benchmarks.server_traits $(BENCH_ARGS)

# 2000 live order streams on one API process: database load and commit-to-client latency.
bench-streams: $(STAMP)
	$(BIN)/python -m benchmarks.streams $(BENCH_ARGS)

# The Python client in clients/python, generated from the API's OpenAPI document.
client: $(STAMP)
	$(BIN)/python clients/regenerate.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: $(STAMP)
	$(BIN)/mypy .

check: lint typecheck test

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
