"""Shared fixtures: a throw-away copy of the repository for workflow runs, and the one quick workflow
run that every xdist worker shares (built once per session under a file lock)."""

import fcntl
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import settings

# Property tests draw the same examples on every run and machine (the suite is deterministic, like the
# workflow): a random search that finds a new counterexample once in a while belongs in a test of its own
# (tests/test_model.py has the one it found), not in a CI run that fails by chance.
settings.register_profile("deterministic", derandomize=True)
settings.load_profile("deterministic")

ROOT = Path(__file__).resolve().parents[1]


def tracked_files(root=ROOT):
    """Files git would ship: tracked plus untracked-but-not-ignored (as a fresh clone sees them)."""
    out = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=root,
        check=True,
        capture_output=True,
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
        [sys.executable, "-m", "snakemake", *args],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    return proc


def planned_rules(repo, *args):
    """Rules in the dry-run plan's "Job stats" table (without ``all``)."""
    proc = snakemake(repo, "--cores", "1", "--dry-run", "--configfile", "config/quick.yaml", *args)
    rules, table = set(), False
    for line in proc.stdout.splitlines():
        parts = line.split()
        if parts[:2] == ["job", "count"]:
            table = True
        elif table and parts and parts[0] == "total":
            break
        elif table and len(parts) == 2 and parts[1].isdigit():
            rules.add(parts[0])
    return rules - {"all"}


#: Files only the simulator and the closure tests may read; the workflow copy has none of them.
TRUTH_FILES = ("config/simulation.yaml", "data/simulation_truth.json")


def another_device(truth):
    """Edit the truth file's content (config/simulation.yaml as a dict) in place into another device: drums
    at 7 and 9 MHz with other line widths (80 and 200 Hz) and coupling ratio (0.90), a cavity at 6.2 GHz,
    base occupations above the Bose value at 14 mK for these frequencies (41.2, 31.9), and two data sets of
    its own names in one series 'X': 'run1' (C's couplings, with probe spectra) and 'run2' (A1's, a pump
    spectrum only). Returns the analysis config's ``device`` and ``datasets`` blocks an experimenter with
    this device would write (nominal values only: nothing of the truth beyond what they set)."""
    truth["device"].update(
        f_c=6.2e9,
        f1=7.000015e6,
        f2=8.999990e6,
        gamma1=80.0,
        gamma2=200.0,
        g_ratio=0.90,
        nominal={"f1": 7.0e6, "f2": 9.0e6},
    )
    truth["thermal"].update(n1_base=60.0, n2_base=45.0)
    truth["datasets"] = {
        "run1": dict(truth["datasets"]["C"], series="X"),
        "run2": dict(truth["datasets"]["A1"], series="X"),
    }
    truth["probes"].update(datasets=["run1"], phase_jitter_deg={"run1": 2.0})
    # its output line has the archive's standing wave (the truth's imperfections): the analysis fits out a gain shape
    device = {"f_c": 6.2e9, "f1": 7.0e6, "f2": 9.0e6, "g_ratio": 0.9, "counter_rotating": True, "gain_shape_terms": 3}
    datasets = {
        name: {"series": "X", "G_minus": d["G_minus"], "G_plus": d["G_plus"], "Delta": d["Delta"]}
        for name, d in truth["datasets"].items()
    }
    return device, datasets


def users_own_script(raw_dir, src):
    """What an experimenter's converter writes for ``entangled_drums.data.ingest``: per series a folder
    with series.yaml and one CSV per trace (frequency, psd in W/Hz), here from the archive's
    NetCDF files (written independently of ``ingest.export``)."""
    import csv

    import xarray as xr
    import yaml

    for path in sorted(Path(raw_dir).glob("*.nc")):
        with xr.open_dataset(path, engine="h5netcdf") as ds:
            folder = Path(src) / path.stem
            folder.mkdir(parents=True)
            traces = []
            attrs = {k: (v.item() if hasattr(v, "item") else v) for k, v in ds.attrs.items()}
            if attrs["role"] == "cavity_response":  # a network analyser's export: frequency, real and imaginary part
                for i in range(ds.sizes["trace"]):
                    name = f"sweep_{i:02d}.csv"
                    with open(folder / name, "w", newline="") as fh:
                        writer = csv.writer(fh)
                        writer.writerow(["frequency", "s_real", "s_imag"])
                        writer.writerows(
                            (repr(float(f)), repr(float(a)), repr(float(b)))
                            for f, a, b in zip(
                                ds["frequency"].values[i], ds["s_real"].values[i], ds["s_imag"].values[i], strict=True
                            )
                        )
                    traces.append(
                        {
                            "file": name,
                            "port": str(ds["port"].values[i]),
                            "label": str(ds["label"].values[i]),
                            "if_bandwidth": float(ds["if_bandwidth"].values[i]),
                            "fridge_temperature": float(ds["fridge_temperature"].values[i]),
                        }
                    )
                (folder / "series.yaml").write_text(yaml.safe_dump(dict(attrs, traces=traces), sort_keys=False))
                continue
            for i in range(ds.sizes["trace"]):
                name = f"trace_{i:02d}.csv"
                with open(folder / name, "w", newline="") as fh:
                    writer = csv.writer(fh)
                    writer.writerow(["frequency", "psd"])
                    writer.writerows(
                        (repr(float(f)), repr(float(p)))
                        for f, p in zip(ds["frequency"].values[i], ds["psd"].values[i], strict=True)
                    )
                on = [k for k in range(ds.sizes["tone"]) if ds["tone_power"].values[i, k] > -199]
                tone = [str(t) for t in ds["tone"].values]
                traces.append(
                    {
                        "file": name,
                        "label": str(ds["label"].values[i]),
                        "rbw": float(ds["rbw"].values[i]),
                        "n_averages": int(ds["n_averages"].values[i]),
                        "fridge_temperature": float(ds["fridge_temperature"].values[i]),
                        "duration": float(ds["duration"].values[i]),
                        "probe_phase_setpoint": float(ds["probe_phase_setpoint"].values[i]),
                        "tone_frequency": {tone[k]: float(ds["tone_frequency"].values[i, k]) for k in on},
                        "tone_power": {tone[k]: float(ds["tone_power"].values[i, k]) for k in on},
                    }
                )
            (folder / "series.yaml").write_text(yaml.safe_dump(dict(attrs, traces=traces), sort_keys=False))


@pytest.fixture(scope="session")
def code_copy(tmp_path_factory):
    """A fresh copy of the repository without the simulator's truth, for tests that run single steps
    on raw data of their own (``--config raw_dir=... results_dir=...``) or only check the config."""
    repo = copy_repository(tmp_path_factory.mktemp("code"))
    for rel in TRUTH_FILES:
        (repo / rel).unlink()
    return repo


def session_dir(tmp_path_factory):
    """A directory every pytest-xdist worker of this session shares (each worker's base temporary
    directory lies in it; without xdist, the base temporary directory itself)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def build_once(tmp_path_factory, name, build):
    """``build(path)`` once per test session, whichever worker asks first; the others wait for it under a
    file lock and get the same ``path``. A failed build is recorded, so the other workers fail at once with
    its message instead of building again."""
    root = session_dir(tmp_path_factory)
    path, done, failed = root / name, root / f"{name}.done", root / f"{name}.failed"
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if failed.exists():
            raise AssertionError(f"the shared {name} failed in another worker:\n{failed.read_text()}")
        if not done.exists():
            start = time.time()
            try:
                build(path)
            except BaseException as err:
                failed.write_text(f"{type(err).__name__}: {err}")
                raise
            done.write_text(f"{time.time() - start:.1f} s\n")
    return path


def private_copy(shared, dest):
    """A copy of a shared run that a test may change or run Snakemake in (file times preserved, so that
    Snakemake sees the finished steps as finished)."""
    shutil.copytree(shared, dest, symlinks=True)
    return Path(dest)


def _build_workflow_run(repo):
    """A fresh copy of the repository *without the simulator's truth*, its raw data sent in the way a user's
    own measurements come (:func:`users_own_script`, then ``python -m entangled_drums.data.ingest``), and the
    quick workflow run in it."""
    copy_repository(repo)
    for rel in TRUTH_FILES:
        (repo / rel).unlink()
    csv_dir = repo.parent / "analyser_csv"
    shutil.rmtree(csv_dir, ignore_errors=True)
    users_own_script(repo / "data" / "raw", csv_dir)
    shutil.rmtree(repo / "data" / "raw")
    subprocess.run(
        [sys.executable, "-m", "entangled_drums.data.ingest", str(csv_dir), "--out", str(repo / "data" / "raw")],
        check=True,
        capture_output=True,
    )
    proc = snakemake(repo, "--cores", "2", "--configfile", "config/quick.yaml")
    (repo.parent / "workflow_run.log").write_text(proc.stdout + proc.stderr)


@pytest.fixture(scope="session")
def workflow_run(tmp_path_factory):
    """The whole quick workflow, run once per test session in a copy of the repository without the
    simulator's truth, shared by every worker: ``(repo, log)``. Read it; to change anything or run
    Snakemake in it, take :func:`private_copy` first.

    Running the analysis there proves it never needs (reads) the truth. Its ``data/raw`` is the archive
    sent the way a user's own measurements come in: exported as analyser CSV files with ``series.yaml``
    by a script of the user's (:func:`users_own_script`), then converted by ``python -m
    entangled_drums.data.ingest``. The values are the archive's bit for bit, so every comparison with the
    archive's truth holds; the shared run thus also shows the CSV way in working through to the headline.
    """
    repo = build_once(tmp_path_factory, "workflow_run", _build_workflow_run)
    return repo, (repo.parent / "workflow_run.log").read_text()


@pytest.fixture
def run_copy(workflow_run, tmp_path):
    """A private copy of the shared quick run (see :func:`private_copy`)."""
    return private_copy(workflow_run[0], tmp_path / "run")


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Say how long the shared quick workflow run took (it is built inside one test's setup)."""
    base = getattr(config, "_tmp_path_factory", None)
    if base is None or os.environ.get("PYTEST_XDIST_WORKER"):
        return
    for done in sorted(base.getbasetemp().glob("*.done")):
        terminalreporter.write_line(f"shared {done.stem}: built once in {done.read_text().strip()}")
