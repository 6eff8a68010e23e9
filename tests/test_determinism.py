"""Determinism and interruption: the stochastic steps (the MCMC, the probe readout's draws, the
verdict's pairing) rerun in a copy of the finished quick run, killed during MCMC and run again,
reproduce the first run's numbers exactly (headline.json byte for byte, apart from its creation
time). The steps before them are least-squares fits without random numbers."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import private_copy, snakemake

pytestmark = pytest.mark.workflow

COMPARED = [
    "headline.json",
    "headline.md",
    "headline.tex",
    "mcmc/C.json",
    "mcmc/D.json",
    "readout/probes.json",
    "fits/pump_fits.json",
    "calibration/sideband.json",
    "calibration/probe.json",
]


def _without_time(path):
    data = json.loads(path.read_text())
    data["provenance"].pop("created_utc")
    return json.dumps(data, sort_keys=True)


def test_killed_during_mcmc_then_rerun_gives_identical_results(workflow_run, tmp_path):
    first, _ = workflow_run
    repo = private_copy(first, tmp_path / "second")  # times preserved: only what is removed below reruns
    results = repo / "results"
    shutil.rmtree(results / "mcmc")  # the posteriors and their checkpoints
    shutil.rmtree(results / "readout")
    for path in results.glob("headline.*"):
        path.unlink()
    env = dict(
        os.environ, MPLBACKEND="Agg", PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]])
    )
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "snakemake",
            "--cores",
            "2",
            "--configfile",
            "config/quick.yaml",
            "--",
            "results/headline.json",
        ],
        cwd=repo,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    checkpoint = results / "mcmc" / "chains"
    deadline = time.time() + 600
    while time.time() < deadline and proc.poll() is None and not list(checkpoint.glob("*.h5")):
        time.sleep(0.2)
    assert proc.poll() is None, "the run finished before any MCMC checkpoint: nothing was interrupted"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (results / "mcmc" / "C.json").exists() or not (results / "mcmc" / "D.json").exists()
    snakemake(repo, "--unlock")
    rerun = snakemake(repo, "--cores", "2", "--configfile", "config/quick.yaml", "--", "results/headline.json")
    assert "rule thermal_calibration" not in rerun.stdout + rerun.stderr  # only the removed steps ran
    assert _without_time(results / "headline.json") == _without_time(first / "results" / "headline.json")
    for rel in COMPARED[1:]:
        assert (results / rel).read_bytes() == (first / "results" / rel).read_bytes(), rel
