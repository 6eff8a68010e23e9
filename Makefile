# One command each: `make` runs the whole workflow, `make test` the test suite,
# `make bench` the benchmarks. Each first creates .venv and installs the locked
# environment if needed (only Python >= 3.11 and make are required).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
UV     := $(BIN)/uv
CORES  ?= all
# Workflow steps call `python`: make it the locked environment's.
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: all workflow test test-slurm bench convergence simulate report archive lock clean-results help

all: workflow

help:
	@echo "make            install (if needed) and run the whole workflow (snakemake --cores all)"
	@echo "make test       install (if needed) and run the test suite"
	@echo "make test-slurm start a one-node SLURM cluster here (root, apt) and run the quick coverage study through it"
	@echo "make bench      benchmarks: each step's wall time, fixed overhead and the critical path (previous and current way of running the steps), the model, the MCMC (previous and current sampler), an MCMC-free check of the posterior (printed tables)"
	@echo "make convergence  the MCMC on 10 other seed pairs and 5 fresh replicas: docs/convergence/ (~10 min)"
	@echo "make report     the Snakemake report of the run (results/report.html): figures, captions, headline, provenance"
	@echo "make archive    deposit archive dist/entangled-drums.tar.gz: code, config, raw data, environment, results, RO-Crate"
	@echo "make simulate   regenerate the archived synthetic raw data (data/raw) from config/simulation.yaml"
	@echo "make lock       re-resolve requirements.lock from pyproject.toml"

# The locked environment: exact versions of every package (requirements.lock), the
# project itself installed editable without touching them. Byte code is compiled at install
# (--compile-bytecode, compileall): where PYTHONDONTWRITEBYTECODE is set (as on this project's
# machines) Python would otherwise compile every imported module from source in every step,
# ~3 s of a step's fixed cost (make bench's step table).
$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==0.13.8
	$(UV) pip install --python $(BIN)/python --quiet --compile-bytecode -r requirements.lock
	$(UV) pip install --python $(BIN)/python --quiet --no-deps -e .
	$(BIN)/python -m compileall -q workflow/entangled_drums
	touch $@

workflow: $(STAMP)
	$(BIN)/snakemake --cores $(CORES)

test: $(STAMP)
	$(BIN)/python -m pytest

# The cluster path for real: a one-node SLURM cluster on this machine (profiles/slurm/local-cluster),
# the quick coverage study through it (tests/test_slurm.py), the daemons stopped afterwards.
test-slurm: $(STAMP)
	bash profiles/slurm/local-cluster/run-tests.sh $(abspath $(BIN)/python)

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_workflow.py
	$(BIN)/python benchmarks/bench_model.py
	$(BIN)/python benchmarks/bench_mcmc.py
	$(BIN)/python benchmarks/importance_sampling_check.py

# Does the sampler converge on seeds and data it was not tuned on? Writes docs/convergence/.
convergence: $(STAMP)
	$(BIN)/python benchmarks/convergence_study.py

# The simulation studies (`snakemake coverage`, `snakemake closure`) are not part of `make`;
# the report includes them when their outputs exist.
REPORT_TARGETS = all $(if $(wildcard results/coverage/summary.json),coverage) $(if $(wildcard results/closure/pulls.json),closure)

report: workflow
	$(BIN)/snakemake --report results/report.html -- $(REPORT_TARGETS)

archive: report
	$(BIN)/python -m entangled_drums.product.archive --out dist/entangled-drums.tar.gz

# The archived raw data are simulated from the documented truth; byte-identical for its seed on one machine (last-bit
# differences across CPUs: numpy and numba choose SIMD code per CPU).
simulate: $(STAMP)
	$(BIN)/python -m entangled_drums.lab.simulate --truth config/simulation.yaml --out data/raw \
		--truth-json data/simulation_truth.json

lock: $(STAMP)
	$(UV) pip compile pyproject.toml --extra test --python-version 3.11 -o requirements.lock

clean-results:
	rm -rf results .snakemake
