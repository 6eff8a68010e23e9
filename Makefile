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
# One BLAS thread per process: parallelism comes from processes side by side (Snakemake jobs, which get
# their rule's threads anyway; pytest-xdist workers). OpenBLAS's own threads on top oversubscribe 2 cores:
# a 226 x 226 eigen-decomposition took 1.07 s with 2 threads and 0.10 s with 1 while another process ran.
export OPENBLAS_NUM_THREADS ?= 1
export OMP_NUM_THREADS ?= 1

.PHONY: all workflow test test-slurm test-offline bench convergence simulate report archive verify lock clean-results help

all: workflow

help:
	@echo "make            install (if needed) and run the whole workflow (snakemake --cores all)"
	@echo "make test       install (if needed) and run the test suite"
	@echo "make test-slurm start a one-node SLURM cluster here (root, apt) and run the quick coverage study through it"
	@echo "make bench      benchmarks: each step's wall time, fixed overhead and the critical path (previous and current way of running the steps), the model, the MCMC (previous and current sampler), an MCMC-free check of the posterior (printed tables)"
	@echo "make convergence  the MCMC on 10 other seed pairs and 5 fresh replicas: docs/convergence/ (~10 min)"
	@echo "make report     the Snakemake report of the run (results/report.html): figures, captions, headline, provenance"
	@echo "make archive    deposit archive dist/entangled-drums.tar.gz: code, config, raw data, environment with hashes, results, RO-Crate"
	@echo "                (WHEELS=1: with a wheelhouse of every locked package, for an install with no network)"
	@echo "make verify     rerun the whole workflow into $(VERIFY_DIR)/ and compare every headline number and macro with results/"
	@echo "                (in an unpacked deposit: its results; also validates its RO-Crate, offline)"
	@echo "make test-offline  the deposit's install with the network cut off, from a wheelhouse (~3 min, downloads ~220 MB)"
	@echo "make simulate   regenerate the archived synthetic raw data (data/raw) from config/simulation.yaml"
	@echo "make lock       re-resolve requirements.lock from pyproject.toml"

# The locked environment: exact versions of every package (requirements.lock), the
# project itself installed editable without touching them. Byte code is compiled at install
# (--compile-bytecode, compileall): where PYTHONDONTWRITEBYTECODE is set (as on this project's
# machines) Python would otherwise compile every imported module from source in every step,
# ~3 s of a step's fixed cost (make bench's step table).
#
# In a deposit (`make archive`) the install takes its hashed lock, requirements-hashes.lock (every file's
# SHA-256 checked), and with a wheelhouse (`make archive WHEELS=1`) needs no network at all: pip installs
# from wheelhouse/ only (--no-index; --isolated: no pip configuration of the machine adds other sources).
HASHED_LOCK := $(wildcard requirements-hashes.lock)
WHEELHOUSE  := $(if $(HASHED_LOCK),$(wildcard wheelhouse))
VERIFY_DIR  ?= .verify

$(STAMP): pyproject.toml requirements.lock $(HASHED_LOCK)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
ifneq ($(WHEELHOUSE),)
	$(BIN)/python -m pip --isolated install --quiet --no-index --find-links wheelhouse --require-hashes \
		-r requirements-hashes.lock
	$(BIN)/python -m pip --isolated install --quiet --no-index --no-deps --no-build-isolation -e .
else
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==0.13.8
	$(UV) pip install --python $(BIN)/python --quiet --compile-bytecode -r $(or $(HASHED_LOCK),requirements.lock)
	$(UV) pip install --python $(BIN)/python --quiet --no-deps -e .
endif
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

# The lock with hashes needs PyPI's index (or uv's cache); WHEELS=1 downloads every locked file for this
# machine's Python and platform (~220 MB, kept in build/deposit/wheelhouse for the next archive).
archive: report
	$(BIN)/python -m entangled_drums.product.archive --out dist/entangled-drums.tar.gz --lock \
		$(if $(WHEELS),--wheels) --work build/deposit

# Does it reproduce? The deposit's RO-Crate against the Workflow Run Crate profile (offline, local contexts;
# in a deposit), then the whole workflow rerun from the raw data into $(VERIFY_DIR)/results and every number
# of results/headline.json and every macro of results/headline.tex compared (entangled_drums.product.verify).
verify: $(STAMP)
	$(if $(wildcard ro-crate-metadata.json),$(BIN)/python -m entangled_drums.product.crate_validation .)
	$(BIN)/python -m entangled_drums.product.verify --cores $(CORES) --scratch $(VERIFY_DIR)

# The deposit's install with the network cut off (needs `unshare -n`: root or user namespaces): not in `make test`.
test-offline: $(STAMP)
	OFFLINE_INSTALL_TEST=1 $(BIN)/python -m pytest -n 0 -p no:cacheprovider tests/test_offline_install.py

# The archived raw data are simulated from the documented truth; byte-identical for its seed on one machine (last-bit
# differences across CPUs: numpy and numba choose SIMD code per CPU).
simulate: $(STAMP)
	$(BIN)/python -m entangled_drums.lab.simulate --truth config/simulation.yaml --out data/raw \
		--truth-json data/simulation_truth.json

lock: $(STAMP)
	$(UV) pip compile pyproject.toml --extra test --python-version 3.11 -o requirements.lock

clean-results:
	rm -rf results .snakemake
