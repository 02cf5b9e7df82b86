# docintake: `make run` starts the service on the embedded defaults, `make test` runs every check.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint typecheck pytest migrate clean system-deps

install: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "docintake needs Python 3.11 or newer")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@bash scripts/system-deps.sh
	@touch $(STAMP)

system-deps:
	@bash scripts/system-deps.sh

run: install
	$(BIN)/docintake serve

migrate: install
	$(BIN)/docintake migrate

lint: install
	$(BIN)/ruff check src tests benchmarks training
	$(BIN)/ruff format --check src tests benchmarks training

typecheck: install
	$(BIN)/mypy

pytest: install
	$(BIN)/pytest -q -p no:cacheprovider

test: lint typecheck pytest

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .ruff_cache .pytest_cache
