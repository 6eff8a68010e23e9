# Helpers shared by all .smk files (output paths, the notebook-as-step command).

import json
import os
import re
import sys
from pathlib import Path

from snakemake.exceptions import WorkflowError

# Steps run `python`: make it the interpreter running Snakemake (e.g. .venv/bin/snakemake
# without activating the venv). With --sdm conda the job's environment comes first anyway.
_search_path = os.environ["PATH"]
os.environ["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), _search_path])

RESULTS = config["results_dir"]
RAW = config["raw_dir"]
FIGURE_FORMATS = ("pdf", "png")

# numba's on-disk cache of the compiled kernels: one per results directory, filled first by compile_kernels
# (the steps that call the kernels run after it). The same step on the same inputs gave numbers differing in
# the 8th digit (the headline's up to 1e-5 relative) depending on the history of the cache it loaded the
# kernels from (which had been compiled before, in which process: a notebook run by hand, a test); with
# numba's default cache next to the package, shared by everything that ever ran in the checkout, two runs
# did not agree bit for bit (`make verify` found it). Jobs inherit the variable (on a cluster each job
# parses this file again).
os.environ.update(NUMBA_CACHE_DIR=str(Path(RESULTS, ".numba-cache")))


def results(*parts):
    """A path under the configured results directory."""
    return str(Path(RESULTS, *parts))


def figure_files(*names):
    """Every format of each named figure under results/figures/."""
    return [results("figures", f"{name}.{fmt}") for name in names for fmt in FIGURE_FORMATS]


def notebook_outputs(name):
    """The executed notebook of one step (render.smk makes its HTML render, in ``make report``)."""
    return [results("notebooks", f"{name}.ipynb")]


def raw_files(*names):
    """The manifest and the named raw files (default: every file it lists)."""
    manifest = Path(RAW, "MANIFEST.sha256")
    if not names:
        if not manifest.is_file():
            return [str(manifest)]  # Snakemake reports it as a missing input
        names = [line.split()[1] for line in manifest.read_text().splitlines() if line.strip()]
    return [str(manifest)] + [str(Path(RAW, name)) for name in names]


def dataset_color(name):
    """The configured (or default) colour of data set ``name``."""
    from entangled_drums.data.datasets import color

    return color(config["datasets"], name)


def mcmc_threads():
    """Threads of one data set's MCMC step: its seeds' runs in parallel where the cores allow all data
    sets' steps at once (``cores // data sets``, at least 1, at most one per seed). A cluster run sets
    no total of cores: there every run gets its own thread (the profile may set others)."""
    seeds = len(config["mcmc"]["seeds"])
    try:
        cores = workflow.cores
    except WorkflowError:  # no --cores: a cluster executor
        return seeds
    return max(1, min(seeds, cores // max(1, len(config["mcmc"]["datasets"]))))


def notebook_params(**values):
    """Parameters for a notebook, as the JSON its runner injects (papermill)."""
    return json.dumps(values, sort_keys=True)


# Execute notebooks/<name>.py with papermill; the executed .ipynb is the output. Its HTML render is
# made by render.smk off the critical path (`make report` asks for it).
# `python` is the environment's interpreter (make puts .venv/bin first on PATH; with
# --sdm conda it is the environment of environment.yml).
NOTEBOOK_CMD = (
    "python -m entangled_drums.product.notebook {input.notebook:q} {output.notebook:q} "
    "--params {params.nb:q} > {log:q} 2>&1"
)


ENVIRONMENT = "../../environment.yml"
