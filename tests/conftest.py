"""Shared fixtures: a throw-away copy of the repository for workflow runs."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def tracked_files(root=ROOT):
    """Files git would ship: tracked plus untracked-but-not-ignored (as a fresh clone sees them)."""
    out = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=root, check=True, capture_output=True,
    ).stdout.decode()
    return [p for p in out.split("\0") if p and (root / p).is_file()]


def copy_repository(dest):
    """Copy the repository's shippable files to ``dest`` (no results/, .snakemake/, .venv/)."""
    for rel in tracked_files():
        target = Path(dest) / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, target)
    return Path(dest)


def snakemake(workdir, *args, check=True, timeout=900):
    """Run Snakemake of the current environment in ``workdir``; return the CompletedProcess."""
    env = dict(os.environ, MPLBACKEND="Agg")
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", *args], cwd=workdir, capture_output=True, text=True,
        timeout=timeout, env=env,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    return proc


#: Files only the simulator and the closure tests may read; the workflow copy has none of them.
TRUTH_FILES = ("config/simulation.yaml", "data/simulation_truth.json")


@pytest.fixture(scope="session")
def workflow_copy(tmp_path_factory):
    """A fresh copy of the repository *without the simulator's truth*, shared by the workflow tests.

    Running the analysis here proves it never needs (reads) the truth.
    """
    repo = copy_repository(tmp_path_factory.mktemp("repo"))
    for rel in TRUTH_FILES:
        (repo / rel).unlink()
    return repo


@pytest.fixture(scope="session")
def workflow_run(workflow_copy):
    """The whole workflow run once in the fresh copy (quick settings)."""
    proc = snakemake(workflow_copy, "--cores", "2", "--configfile", "config/quick.yaml")
    return workflow_copy, proc
