# The two commands: `make dev` runs the whole stack, `make test` runs the whole suite.
# Both create .venv and install everything on first use; only Python 3.11+ is needed.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: dev test bench install lint format typecheck check clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

dev: $(STAMP)
	$(BIN)/python -m devstack.run

test: $(STAMP)
	$(BIN)/python -m pytest

# Orders through the real API beside the bare engine's ceiling; figures, not assertions.
# BENCH_ARGS passes options, e.g. BENCH_ARGS="--clients 50 --orders 600 --json bench.json"
bench: $(STAMP)
	$(BIN)/python -m benchmarks.orders $(BENCH_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: $(STAMP)
	$(BIN)/mypy .

check: lint typecheck test

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
