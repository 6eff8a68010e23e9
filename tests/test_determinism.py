"""Determinism, interruption and the CSV way in: a second clean run, on the archive sent through
spectrum-analyser CSV files and `entangled_drums.ingest`, killed during MCMC and re-run, reproduces
the first run's numbers exactly (headline.json byte for byte, apart from its creation time and the
raw files' checksums, which name the re-written NetCDF files)."""

import json
import os
import shutil
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
    data["provenance"].pop("raw_data_sha256")
    return json.dumps(data, sort_keys=True)


def _users_own_script(raw_dir, src):
    """What an experimenter's converter writes: per series a folder with series.yaml and one CSV per
    trace (frequency, psd in W/Hz), from whatever they have (here: the archive's NetCDF files)."""
    import csv

    import xarray as xr
    import yaml

    for path in sorted(Path(raw_dir).glob("*.nc")):
        with xr.open_dataset(path, engine="h5netcdf") as ds:
            folder = Path(src) / path.stem
            folder.mkdir(parents=True)
            traces = []
            for i in range(ds.sizes["trace"]):
                name = f"{ds['label'].values[i]}_{i}.csv".replace(" ", "_").replace("=", "")
                with open(folder / name, "w", newline="") as fh:
                    w = csv.writer(fh)
                    w.writerow(["frequency", "psd"])
                    w.writerows((repr(float(f)), repr(float(p))) for f, p in zip(ds["frequency"].values[i], ds["psd"].values[i]))
                on = [k for k, t in enumerate(ds["tone"].values) if ds["tone_power"].values[i, k] > -199]
                traces.append({"file": name, "label": str(ds["label"].values[i]), "rbw": float(ds["rbw"].values[i]),
                               "n_averages": int(ds["n_averages"].values[i]),
                               "fridge_temperature": float(ds["fridge_temperature"].values[i]),
                               "duration": float(ds["duration"].values[i]),
                               "probe_phase_setpoint": float(ds["probe_phase_setpoint"].values[i]),
                               "tone_frequency": {str(ds["tone"].values[k]): float(ds["tone_frequency"].values[i, k]) for k in on},
                               "tone_power": {str(ds["tone"].values[k]): float(ds["tone_power"].values[i, k]) for k in on}})
            attrs = {k: (v.item() if hasattr(v, "item") else v) for k, v in ds.attrs.items()}
            (folder / "series.yaml").write_text(yaml.safe_dump(dict(attrs, traces=traces), sort_keys=False))


def test_killed_during_mcmc_then_rerun_gives_identical_results(workflow_run, tmp_path):
    first, _ = workflow_run
    repo = copy_repository(tmp_path / "second")
    for rel in TRUTH_FILES:
        (repo / rel).unlink()
    _users_own_script(repo / "data" / "raw", tmp_path / "csv")
    shutil.rmtree(repo / "data" / "raw")
    subprocess.run([sys.executable, "-m", "entangled_drums.ingest", str(tmp_path / "csv"), "--out",
                    str(repo / "data" / "raw")], check=True)
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
    assert (repo / "results" / "headline.md").read_text().count("\n") > 10
