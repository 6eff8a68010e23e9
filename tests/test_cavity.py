"""The cavity calibration (entangled_drums.calibration.cavity): closure on the archive and on fresh
sweeps, bad sweeps."""

import json

import numpy as np
import pytest

from conftest import ROOT
from entangled_drums import calibration, cavity, rawdata, simulate
from entangled_drums.lab import truth as truth_file
from entangled_drums.product.config import defaults
from entangled_drums.stats.fitting import FitError

RAW = ROOT / "data" / "raw"
KEYS = ("f_c", "kappa", "kappa_in", "kappa_out", "kappa_I")


def test_archive_cavity_calibration_recovers_the_truth():
    truth = json.loads((ROOT / "data" / "simulation_truth.json").read_text())["cavity"]
    cal = cavity.calibrate(rawdata.load(RAW / "cavity_cal.nc"), 5.5e9)
    for key in KEYS:
        assert abs(cal[key] - truth[key]) < 3 * cal[f"{key}_sigma"], (key, cal[key], truth[key], cal[f"{key}_sigma"])
    assert cal["kappa_out_sigma"] / cal["kappa_out"] < 0.002  # the accuracy simulation.yaml states
    for t in cal["traces"]:
        assert t["chi2_reduced"] == pytest.approx(1.0, abs=0.1)


def test_fresh_sweeps_pull_distribution():
    """20 fresh draws of the sweeps: the pulls of the five cavity quantities have mean ~0 and width ~1."""
    raw = truth_file.load(ROOT / "config" / "simulation.yaml")
    true = {"f_c": 5.5e9, "kappa": 1.38e6, "kappa_in": 60e3, "kappa_out": 1.13e6, "kappa_I": 190e3}
    pulls = []
    for seed in range(100, 120):
        cal = cavity.calibrate(simulate.cavity_cal(truth_file.Lab(raw, seed)), 5.5e9)
        pulls.append([(cal[k] - true[k]) / cal[f"{k}_sigma"] for k in KEYS])
    pulls = np.array(pulls)
    assert np.all(np.abs(pulls.mean(axis=0)) < 3 / np.sqrt(len(pulls))), pulls.mean(axis=0)
    assert np.all((pulls.std(axis=0) > 0.6) & (pulls.std(axis=0) < 1.4)), pulls.std(axis=0)


def test_missing_reflection_and_unknown_port_are_clear_errors(tmp_path):
    ds = rawdata.load(RAW / "cavity_cal.nc")
    only_s21 = ds.isel(trace=[0])
    with pytest.raises(FitError, match="no S11 sweep"):
        cavity.calibrate(only_s21, 5.5e9)
    bad = ds.copy(deep=True)
    bad["port"].values[0] = "S12"
    with pytest.raises(rawdata.RawDataError, match="unknown port"):
        rawdata.validate(bad, "cavity_cal.nc")
    bad = ds.copy(deep=True)
    bad["s_real"].values[1, 5] = np.nan
    with pytest.raises(rawdata.RawDataError, match="s_real.*non-finite"):
        rawdata.validate(bad, "cavity_cal.nc")


def test_config_may_not_set_a_calibrated_rate():
    device = dict(defaults()["device"], kappa=1.38e6)
    with pytest.raises(ValueError, match="kappa.*come from the calibrations"):
        calibration.calibrated_device(device, {"kappa": 1.0, "kappa_in": 1.0, "kappa_out": 1.0})
