"""Posterior predictive checks (inference.predictive): a trace from the fitted model passes, the same trace with
a ripple or with too much scatter fails."""

import numpy as np
import pytest
import yaml

from conftest import ROOT
from entangled_drums import calibration, jsonio, rawdata
from entangled_drums.inference import predictive, pumpfit

pytestmark = pytest.mark.workflow
CONFIG = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())


@pytest.fixture(scope="module")
def trace_c(workflow_run):
    repo, _ = workflow_run
    sideband = jsonio.load(repo / "results" / "calibration" / "sideband.json")
    device = calibration.device_of(CONFIG["device"], sideband)
    entry = jsonio.load(repo / "results" / "fits" / "pump_fits.json")["datasets"]["C"]
    ds = rawdata.load(ROOT / "data" / "raw" / "pump_C.nc")
    i = [str(v) for v in ds["label"].values].index("C")
    rng = np.random.default_rng(1)
    draws, source, _ = predictive.posterior_draws(entry, None, device, sideband, 100, rng)
    assert source == "least-squares Gaussian" and len(draws) == 100
    trace = ds["frequency"].values[i], ds["psd"].values[i], float(ds["n_averages"].values[i])
    # the trace's resolution filter and its tones' midpoint, as notebook 13 passes them
    seen = {"rbw": float(ds["rbw"].values[i]), "midpoint": pumpfit.tone_midpoint(ds, i, device)}
    return *trace, draws, device, sideband, seen


def test_the_fitted_trace_passes_and_a_rippled_or_overdispersed_one_fails(trace_c):
    f, psd, n, draws, device, sideband, seen = trace_c
    good = predictive.check_trace(f, psd, n, draws, device, sideband, np.random.default_rng(2), **seen)
    assert good["chi2"]["p_value"] > 0.01 and good["autocorrelation"]["p_value"] > 0.01
    assert not predictive.failing({"C": good}, 0.05)
    mu = np.mean([predictive.model_psd(x, f, device, sideband, **seen) for x in draws[:10]], axis=0)
    # a standing-wave ripple of 0.5 % with a period of ~40 bins: a shape the model does not have
    ripple = psd * (1 + 0.005 * np.sin(2 * np.pi * np.arange(psd.size) / 40))
    bad = predictive.check_trace(f, ripple, n, draws, device, sideband, np.random.default_rng(2), **seen)
    assert bad["autocorrelation"]["p_value"] < 0.01
    # 30 % more scatter than the averages allow
    wide = mu + 1.3 * (psd - mu)
    bad = predictive.check_trace(f, wide, n, draws, device, sideband, np.random.default_rng(2), **seen)
    assert bad["chi2"]["p_value"] < 0.01
    assert predictive.failing({"C": bad}, 0.05)[0][:2] == ("C", "chi2")
