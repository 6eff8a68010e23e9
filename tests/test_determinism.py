"""Determinism and interruption: a second clean run, killed during MCMC and re-run, reproduces the
first run's numbers exactly (headline.json byte for byte, apart from its creation time)."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import TRUTH_FILES, copy_repository, snakemake

pytestmark = pytest.mark.workflow

COMPARED = ["headline.json", "headline.md", "headline.tex", "mcmc/C.json", "mcmc/D.json", "readout/probes.json",
            "fits/pump_fits.json", "calibration/sideband.json", "calibration/probe.json"]


def _without_time(path):
    data = json.loads(path.read_text())
    data["provenance"].pop("created_utc")
    return json.dumps(data, sort_keys=True)


def test_killed_during_mcmc_then_rerun_gives_identical_results(workflow_run, tmp_path):
    first, _ = workflow_run
    repo = copy_repository(tmp_path / "second")
    for rel in TRUTH_FILES:
        (repo / rel).unlink()
    env = dict(os.environ, MPLBACKEND="Agg", PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]))
    proc = subprocess.Popen([sys.executable, "-m", "snakemake", "--cores", "2", "--configfile", "config/quick.yaml"],
                            cwd=repo, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    checkpoint = repo / "results" / "mcmc" / "chains"
    deadline = time.time() + 600
    while time.time() < deadline and proc.poll() is None and not list(checkpoint.glob("*.h5")):
        time.sleep(0.5)
    assert proc.poll() is None, "the run finished before any MCMC checkpoint: nothing was interrupted"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (repo / "results" / "mcmc" / "C.json").exists() or not (repo / "results" / "mcmc" / "D.json").exists()
    snakemake(repo, "--unlock")
    snakemake(repo, "--cores", "2", "--configfile", "config/quick.yaml")
    assert _without_time(repo / "results" / "headline.json") == _without_time(first / "results" / "headline.json")
    for rel in COMPARED[1:]:
        assert (repo / "results" / rel).read_bytes() == (first / "results" / rel).read_bytes(), rel
