# Tepat developer commands. `make demo` and `make test` work on a machine with only Python 3.11.
#   make test PYTEST_ARGS='-k store -x'      pass arguments to pytest
#   make venv PYTHON=/opt/py311/bin/python3  choose the interpreter for a new .venv

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PIP := $(BIN)/python -m pip --disable-pip-version-check --quiet
PYTEST_ARGS ?=
PYTHON ?=

.PHONY: help venv install demo test check bench clean

help:
	@echo "make install  create .venv (Python 3.11) and install tepat with dev tools"
	@echo "make demo     run the demo (tepat demo)"
	@echo "make test     run the tests (PYTEST_ARGS='...' to pass options)"
	@echo "make check    ruff lint, ruff format check, mypy"
	@echo "make bench    synthetic 1M-person benchmark"
	@echo "make clean    remove var/ (keeps .venv)"

# The interpreter is chosen only when .venv does not exist yet.
$(BIN)/python:
	@py="$(PYTHON)"; \
	if [ -z "$$py" ]; then \
	  if command -v python3.11 >/dev/null 2>&1 && python3.11 -c '' >/dev/null 2>&1; then \
	    py=python3.11; \
	  else \
	    py=python3; \
	  fi; \
	fi; \
	if ! "$$py" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' >/dev/null 2>&1; then \
	  echo "error: Tepat needs Python 3.11; '$$py' is not it (install python3.11 or set PYTHON=...)" >&2; \
	  exit 1; \
	fi; \
	echo "creating $(VENV) with $$("$$py" -c 'import sys; print(sys.executable)')"; \
	"$$py" -m venv $(VENV)
	$(PIP) install --upgrade pip

venv: $(BIN)/python

# Reinstall only when pyproject.toml changed (or the venv is new); the stamp records success.
$(STAMP): pyproject.toml | $(BIN)/python
	@echo "installing tepat[dev] into $(VENV)"
	$(PIP) install -e '.[dev]'
	@touch $@

install: $(STAMP)

demo: install
	$(BIN)/tepat demo

test: install
	$(BIN)/pytest $(PYTEST_ARGS)

check: install
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/mypy

bench: install
	$(BIN)/python bench/synth_1m.py

clean:
	rm -rf var/
