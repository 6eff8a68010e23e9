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


def users_own_script(raw_dir, src):
    """What an experimenter's converter writes for ``entangled_drums.ingest``: per series a folder
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
                        writer.writerows((repr(float(f)), repr(float(a)), repr(float(b))) for f, a, b in
                                         zip(ds["frequency"].values[i], ds["s_real"].values[i], ds["s_imag"].values[i]))
                    traces.append({"file": name, "port": str(ds["port"].values[i]), "label": str(ds["label"].values[i]),
                                   "if_bandwidth": float(ds["if_bandwidth"].values[i]),
                                   "fridge_temperature": float(ds["fridge_temperature"].values[i])})
                (folder / "series.yaml").write_text(yaml.safe_dump(dict(attrs, traces=traces), sort_keys=False))
                continue
            for i in range(ds.sizes["trace"]):
                name = f"trace_{i:02d}.csv"
                with open(folder / name, "w", newline="") as fh:
                    writer = csv.writer(fh)
                    writer.writerow(["frequency", "psd"])
                    writer.writerows((repr(float(f)), repr(float(p)))
                                     for f, p in zip(ds["frequency"].values[i], ds["psd"].values[i]))
                on = [k for k in range(ds.sizes["tone"]) if ds["tone_power"].values[i, k] > -199]
                tone = [str(t) for t in ds["tone"].values]
                traces.append({"file": name, "label": str(ds["label"].values[i]), "rbw": float(ds["rbw"].values[i]),
                               "n_averages": int(ds["n_averages"].values[i]),
                               "fridge_temperature": float(ds["fridge_temperature"].values[i]),
                               "duration": float(ds["duration"].values[i]),
                               "probe_phase_setpoint": float(ds["probe_phase_setpoint"].values[i]),
                               "tone_frequency": {tone[k]: float(ds["tone_frequency"].values[i, k]) for k in on},
                               "tone_power": {tone[k]: float(ds["tone_power"].values[i, k]) for k in on}})
            (folder / "series.yaml").write_text(yaml.safe_dump(dict(attrs, traces=traces), sort_keys=False))


@pytest.fixture(scope="session")
def code_copy(tmp_path_factory):
    """A fresh copy of the repository without the simulator's truth, for tests that run single steps
    on raw data of their own (``--config raw_dir=... results_dir=...``) or only check the config."""
    repo = copy_repository(tmp_path_factory.mktemp("code"))
    for rel in TRUTH_FILES:
        (repo / rel).unlink()
    return repo


@pytest.fixture(scope="session")
def workflow_copy(tmp_path_factory):
    """A fresh copy of the repository *without the simulator's truth*, shared by the workflow tests.

    Running the analysis here proves it never needs (reads) the truth. Its ``data/raw`` is the
    archive sent the way a user's own measurements come in: exported as analyser CSV files with
    ``series.yaml`` by a script of the user's (:func:`users_own_script`), then converted by
    ``python -m entangled_drums.ingest``. The values are the archive's bit for bit, so every
    comparison with the archive's truth holds; the shared run thus also shows the CSV way in
    working through to the headline.
    """
    repo = copy_repository(tmp_path_factory.mktemp("repo"))
    for rel in TRUTH_FILES:
        (repo / rel).unlink()
    csv_dir = tmp_path_factory.mktemp("analyser_csv")
    users_own_script(repo / "data" / "raw", csv_dir)
    shutil.rmtree(repo / "data" / "raw")
    subprocess.run([sys.executable, "-m", "entangled_drums.ingest", str(csv_dir), "--out", str(repo / "data" / "raw")],
                   check=True, capture_output=True)
    return repo


@pytest.fixture(scope="session")
def workflow_run(workflow_copy):
    """The whole workflow run once in the fresh copy (quick settings)."""
    proc = snakemake(workflow_copy, "--cores", "2", "--configfile", "config/quick.yaml")
    return workflow_copy, proc

