# Gatehouse developer entry points. Every target bootstraps what it needs on a fresh checkout.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: help demo demo-reset test bench lint format package clean system-deps

# Where `make demo` keeps its server, kiosk, video and ticket PNGs (rebuilt at every start).
# The demo refuses to delete a folder it did not make (no .gatehouse-demo mark), so a wrong
# DEMO_DIR is an error, not a wiped folder.
DEMO_DIR ?= demo-data

help:
	@echo "make demo     local server + demo event + paired kiosk window (data in $(DEMO_DIR)/)"
	@echo "make demo-reset  delete the demo's data folder ($(DEMO_DIR)/; only a demo-made one)"
	@echo "make test     the whole test suite"
	@echo "make bench    print the performance budget figures"
	@echo "make lint     ruff format --check and ruff check"
	@echo "make package  PyInstaller build for this OS into dist/"

# System libraries of the kiosk window, its sounds and zbar (table derived from what PySide6's
# plugins link against: packaging/derive_system_deps.py). Quick when all are present, so the
# two commands run it every time, not only when the virtualenv is made.
system-deps:
	@bash packaging/system_deps.sh

$(STAMP): pyproject.toml
	@$(MAKE) --no-print-directory system-deps
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[server,dev]"
	@rm -f $(VENV)/.installed-*
	@touch $@

venv: $(STAMP)

# Tests drive real Qt widgets without a screen; the demo and the kiosk use the real one.
# They run on every core (pytest-xdist): one test file per worker at a time, so a file's
# module fixtures (servers, replicas) start once. TEST_WORKERS=0: one by one, in one process.
# The suite starts several hundred Python processes (the CLI, kiosks, servers): the project's
# modules are compiled once first, so none of them compiles its imports from source when
# PYTHONDONTWRITEBYTECODE is set (0.15-0.3 s per process; tests/app 9 % faster).
TEST_WORKERS ?= auto
SOURCES := app core local_db scanner sync ui server tests bench tools packaging
test: export QT_QPA_PLATFORM = offscreen
test: system-deps $(STAMP)
	@$(BIN)/python -m compileall -q -j 0 $(SOURCES)
	$(BIN)/python -m pytest -q -p no:cacheprovider -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

demo: system-deps $(STAMP)
	$(BIN)/python -m app demo --dir $(DEMO_DIR)

demo-reset: $(STAMP)
	$(BIN)/python -m app demo --reset --dir $(DEMO_DIR)

package: $(STAMP)
	$(BIN)/python packaging/build.py

clean:
	rm -rf build dist .pytest_cache .ruff_cache
