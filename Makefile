# The two set-up commands for a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
EXAMPLE := examples/openstack
# -qq: pip prints errors only. The build's notes (setuptools' caveat about editable
# installs) are not the tool's output; tests/test_wheel.py fails on any build warning
# we could act on, so hiding them here hides nothing to fix.
PIP     := $(BIN)/python -m pip -qq --disable-pip-version-check

.PHONY: demo test check lint layers typecheck pytest bench clean install install-dev

$(BIN)/python:
	@$(PYTHON) -m venv $(VENV)
	@$(PIP) install --upgrade pip

install: $(BIN)/python
	@$(PIP) install -e .

install-dev: $(BIN)/python
	@$(PIP) install -e '.[dev]'
	@sh scripts/install-system-deps.sh

## Install into .venv and run the bundled example end to end, offline: two weeks of 2011
## in sequence, the first marked published before the second is drafted. Only the
## tool's own output is printed (tests/test_installed.py checks it).
demo: install
	@sh $(EXAMPLE)/prepare.sh $(BIN)/python
	@# The example's history starts empty every time: its weeks are in 2011.
	@rm -rf $(EXAMPLE)/.newsletter
	@$(BIN)/newsletter -C $(EXAMPLE) draft --week 2011-W25
	@$(BIN)/newsletter -C $(EXAMPLE) render drafts/2011-W25.yaml
	@$(BIN)/newsletter -C $(EXAMPLE) publish --mark drafts/2011-W25.yaml
	@$(BIN)/newsletter -C $(EXAMPLE) draft --week 2011-W26
	@$(BIN)/newsletter -C $(EXAMPLE) render drafts/2011-W26.yaml
	@echo
	@echo "The example issues are in $(EXAMPLE)/out/: 2011-W25 and 2011-W26 (.html, .md, .txt)"

## Install everything and run every check: ruff, ruff format, import layers, mypy, pytest.
test: install-dev check

check: lint layers typecheck pytest

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## The import layers (pyproject's [tool.importlinter]).
layers:
	$(BIN)/lint-imports --no-cache

typecheck:
	$(BIN)/mypy

pytest:
	$(BIN)/pytest -q

## Benchmarks against the alternatives (a few minutes); the README's table comes from it.
bench: install-dev
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
