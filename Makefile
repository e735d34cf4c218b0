# SPARQ hardware generator.  `make help` lists the targets.
# Every target creates .venv and installs what it needs on first use: the Debian packages of its
# groups (scripts/system-packages.sh; as root they are installed, otherwise one line names them),
# then the Python packages of pyproject.toml.

PYTHON      ?= python3
PY_VERSION  := 3.11
VENV        := .venv
PY          := $(VENV)/bin/python
JOBS        ?= 2
GEN_ARGS    ?= --opts 5 --rows 128

# Extras of pyproject.toml installed into .venv: `pip install -e ".[$(EXTRAS)]"`, again whenever
# pyproject.toml changes (the test extra includes eval).  PyTorch is Debian's python3-torch (the
# accuracy package group), which .venv sees through DEBIAN_PTH: the venv's own packages come
# first on sys.path, Debian's only fill what the venv lacks.
EXTRAS      ?= test
STAMP       := $(VENV)/.installed
DEBIAN_PTH  := $(VENV)/lib/python$(PY_VERSION)/site-packages/debian-dist-packages.pth

export AMARANTH_USE_YOSYS := builtin
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help setup generate test sim sim-large area bench prove accuracy train power networks sweep lint clean

# Targets documented with `## text` are listed by `make help`, with the Debian package groups
# of their `packages-...` prerequisite.
help: ## this list
	@echo "usage: make TARGET [VAR=value ...]"
	@awk -F':' '/^[a-z][a-z-]*:.*## / { \
	    desc = $$0; sub(/^[^#]*## /, "", desc); \
	    groups = ""; if (match($$0, /packages-[a-z+]+/)) \
	      { groups = substr($$0, RSTART + 9, RLENGTH - 9); gsub(/\+/, " ", groups); \
	        groups = "  [Debian: " groups "]" } \
	    printf "  make %-10s %s%s\n", $$1, desc, groups }' $(firstword $(MAKEFILE_LIST))
	@echo "variables: PYTHON=$(PYTHON) (Python $(PY_VERSION), creates $(VENV))  JOBS=$(JOBS)" \
	      " GEN_ARGS='$(GEN_ARGS)'  EXTRAS=$(EXTRAS)"
	@[ -x $(PY) ] || ( $(call check_python,$(PYTHON)) ) || true

# Debian packages of groups g1+g2+...: one check, one line naming every missing package.
packages-%:
	@scripts/system-packages.sh $(subst +, ,$*)

# The interpreter that creates .venv: one line saying what to set when it is missing or wrong.
define check_python
pyver() { "$$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null; }; \
ver=$$(pyver '$(1)') || ver=; \
hint=/path/to/python$(PY_VERSION); [ "$$(pyver python$(PY_VERSION))" = $(PY_VERSION) ] && hint=python$(PY_VERSION); \
if [ -z "$$ver" ]; then \
  echo "Python $(PY_VERSION) not found as '$(1)'; set PYTHON=$$hint" >&2; exit 1; \
elif [ "$$ver" != "$(PY_VERSION)" ]; then \
  echo "Python $(PY_VERSION) is required, '$(1)' is Python $$ver; set PYTHON=$$hint" >&2; exit 1; \
fi
endef

# .venv itself: kept while its interpreter is Python $(PY_VERSION) (pip restored if a first run
# was interrupted before it was in).
define make_venv
if [ -x $(PY) ] && $(PY) -c 'import sys; sys.exit(sys.version_info[:2] != ($(subst .,$(comma) ,$(PY_VERSION))))' 2>/dev/null; then \
  $(PY) -m pip --version >/dev/null 2>&1 || $(PY) -m ensurepip >/dev/null; \
elif [ -e $(VENV) ]; then \
  echo "$(VENV) does not run Python $(PY_VERSION); remove it (rm -rf $(VENV)) and run make again" >&2; exit 1; \
else \
  $(call check_python,$(PYTHON)); \
  $(PYTHON) -m venv $(VENV); \
fi
endef
comma := ,

$(STAMP): pyproject.toml
	@$(make_venv)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[$(EXTRAS)]"
	@echo /usr/lib/python3/dist-packages > $(DEBIAN_PTH)
	@touch $@

setup: packages-sim+area+prove+accuracy+power $(STAMP) ## .venv and the Debian packages of every target

generate: $(STAMP) ## emit the default design (python -m hdl.generate with GEN_ARGS) into build/
	$(PY) -m hdl.generate $(GEN_ARGS)

test: packages-sim+area+prove+accuracy $(STAMP) ## the default test suite (what CI runs: golden model, CLI, lint, TRU/SA/TC regressions)
	$(PY) -m pytest -n $(JOBS) --dist loadgroup

sim: packages-sim $(STAMP) ## the cocotb regressions only (Icarus and Verilator)
	$(PY) -m pytest -n $(JOBS) --dist loadgroup verif

sim-large: packages-sim $(STAMP) ## the slow regressions (128x128 arrays)
	$(PY) -m pytest -m slow verif

area: packages-area $(STAMP) ## synthesis: reports/area.md, CSV, JSON and the breakdown PNG
	$(PY) -m synth.area

bench: packages-sim $(STAMP) ## benchmarks (golden model speed, emission, simulation throughput)
	$(PY) scripts/bench_golden.py
	$(PY) scripts/bench_sa.py

prove: packages-prove $(STAMP) ## formal proofs (python -m formal.prove)
	$(PY) -m formal.prove

accuracy: packages-accuracy+sim $(STAMP) ## accuracy of the three Fashion-MNIST networks and their real layers through the RTL: reports/accuracy.*, reports/layers.* (~80 min)
	$(PY) -m workloads.accuracy --workers $(JOBS)
	$(PY) -m workloads.layers --workers $(JOBS)

train: packages-accuracy $(STAMP) ## retrain the three committed Fashion-MNIST networks and their 2:4-pruned versions (~30 min)
	$(PY) -m workloads.train

power: packages-power+accuracy $(STAMP) ## energy per MAC from gate-level activity: reports/power.* (python -m workloads.power)
	$(PY) -m workloads.power

networks: packages-accuracy+sim $(STAMP) ## the paper's networks on SA/TC/STC arrays, cycles layer by layer, RTL checks: reports/networks.* (python -m workloads.networks)
	$(PY) -m workloads.networks

sweep: packages-power+accuracy $(STAMP) ## design-space sweep on a Dask LocalCluster (area, energy): reports/sweep.* (python -m sweep; SWEEP_ARGS='...')
	$(PY) -m sweep $(SWEEP_ARGS)

lint: $(STAMP) ## ruff and the import contracts (lint-imports); both run, either fails it
	@status=0; \
	echo "ruff check ."; $(VENV)/bin/ruff check . || status=1; \
	echo "lint-imports"; $(VENV)/bin/lint-imports || status=1; \
	exit $$status

clean: ## remove build outputs and caches (build/, .pytest_cache); keeps .venv
	rm -rf build .pytest_cache .ruff_cache .import_linter_cache
