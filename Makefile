# SPARQ hardware generator.  `make help` lists the targets.
# Every target creates .venv and installs what it needs on first use.

PYTHON     ?= python3
VENV       := .venv
PY         := $(VENV)/bin/python
STAMP      := $(VENV)/.installed
JOBS       ?= 2
GEN_ARGS   ?= --opts 5 --rows 128

export AMARANTH_USE_YOSYS := builtin
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help setup generate test sim sim-large area bench clean

help:
	@echo "make generate   emit the default design (python -m hdl.generate $(GEN_ARGS)) into build/"
	@echo "make test       the default test suite (golden model, CLI, TRU/SA/TC regressions)"
	@echo "make sim        the cocotb regressions only (Icarus and Verilator)"
	@echo "make sim-large  the slow regressions (128x128 arrays)"
	@echo "make area       synthesis: reports/area.md, CSV, JSON and the breakdown PNG"
	@echo "make bench      benchmarks (golden model speed, emission, simulation throughput)"

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || \
	  { echo "Python 3.11 is required (found $$($(PYTHON) --version 2>&1)); set PYTHON=python3.11"; exit 1; }
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[test]"
	@touch $@

setup: $(STAMP)
	@scripts/system-packages.sh sim
	@scripts/system-packages.sh area

generate: $(STAMP)
	$(PY) -m hdl.generate $(GEN_ARGS)

test: $(STAMP)
	@scripts/system-packages.sh sim
	@scripts/system-packages.sh area
	$(PY) -m pytest -n $(JOBS) --dist loadgroup

sim: $(STAMP)
	@scripts/system-packages.sh sim
	$(PY) -m pytest -n $(JOBS) --dist loadgroup verif

sim-large: $(STAMP)
	@scripts/system-packages.sh sim
	$(PY) -m pytest -m slow verif

area: $(STAMP)
	@scripts/system-packages.sh area
	$(PY) -m synth.area

bench: $(STAMP)
	$(PY) scripts/bench_golden.py
	@scripts/system-packages.sh sim
	$(PY) scripts/bench_sa.py

clean:
	rm -rf build .pytest_cache
