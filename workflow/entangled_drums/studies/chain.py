"""The calibration chain and pump fits in one call (what steps 02-05 do, without figures).

Used by the closure tests and coverage studies, so they run exactly the analysis of the
notebooks: the same functions, in the same order, with the same settings.
"""

from pathlib import Path

import numpy as np

from ..calibration import cavity
from ..calibration import drums as calibration
from ..data import rawdata
from ..inference import pumpfit, sampling
from ..readout import probes
from ..stats.fitting import FitError


def calibrate(raw_dir, device, fits):
    """Cavity, thermal, sideband and probe calibrations from a raw-data directory: dict of results (the calibrated
    device, :func:`calibration.device_of`, under ``device``)."""
    raw_dir = Path(raw_dir)
    cav = cavity.calibrate(rawdata.load(raw_dir / "cavity_cal.nc"), float(device["f_c"]))
    thermal = {
        f"drum{d}": calibration.thermal_calibration(
            rawdata.load(raw_dir / f"thermal_cal_drum{d}.nc"),
            float(device[f"f{d}"]),
            float(fits["thermal_T_min"]),
            float(fits["drum_jitter_hz"]),
        )
        for d in (1, 2)
    }
    n_base = {d: (thermal[f"drum{d}"]["n_base"], thermal[f"drum{d}"]["n_base_sigma"]) for d in (1, 2)}
    sideband = calibration.sideband_calibration(
        {d: rawdata.load(raw_dir / f"sideband_cal_drum{d}.nc") for d in (1, 2)}, device, thermal, cav
    )
    calibrated = calibration.device_of(device, sideband)
    probe = calibration.probe_calibration(
        rawdata.load(raw_dir / "probe_cal.nc"), sideband["gain_dB"], sideband["n_add"], calibrated, sideband, n_base
    )
    return {"cavity": cav, "thermal": thermal, "sideband": sideband, "probe": probe, "device": calibrated}


def fit_pumps(raw_dir, device, fits, sideband, series, refused=None):
    """Least-squares fit of every trace of the pump series ``series`` (names: files ``pump_<name>.nc``):
    {trace label: summary dict}. ``refused``: a dict to collect the traces whose fit is refused
    (:class:`FitError`: label -> message) instead of raising (the simulation studies record them)."""
    out = {}
    for s in series:
        ds = rawdata.load(Path(raw_dir) / f"pump_{s}.nc")
        for i in range(ds.sizes["trace"]):
            label = str(ds["label"].values[i])
            try:
                result, prior = pumpfit.fit_trace(ds, i, device, sideband, fits)
            except FitError as err:
                if refused is None:
                    raise
                refused[label] = str(err)
                continue
            parts = pumpfit.prior_parts(ds, i, device, sideband, fits)
            out[label] = pumpfit.summary(result, prior, device, sideband, parts)
    return out


def read_out(raw_dir, device, sideband, probe_cal, pump_fits, readout, datasets, gain_drift_dB):
    """Probe readout of each data set (what step 07 does): {name: (result dict, draws of the minimum)}.
    ``gain_drift_dB``: the config's ``fits.drift.gain_dB``."""
    rng = np.random.default_rng(int(readout["seed"]))
    out = {}
    for name in datasets:
        out[name] = probes.analyse(
            rawdata.load(Path(raw_dir) / f"probe_{name}.nc"),
            rawdata.load(Path(raw_dir) / f"background_{name}.nc"),
            pump_fits[name],
            device,
            sideband,
            probe_cal,
            readout,
            rng,
            gain_drift_dB,
            source=f"probe_{name}.nc",
        )
    return out


def replica_posterior(ds, i, device, sideband, fits, config, seed, processes, label):
    """The MCMC posterior of trace ``i`` of ``ds`` as a study replica runs it: the ``mcmc`` settings with the
    ``coverage.mcmc`` overrides, one seed per run derived from the replica's (``10 seed + k``), the convergence
    checks enforced (:class:`entangled_drums.inference.sampling.ConvergenceError` names ``label``). Returns the
    pooled derived draws (:func:`entangled_drums.inference.sampling.posterior_summary`)."""
    settings = dict(config["mcmc"], **config["coverage"].get("mcmc", {}))
    settings["seeds"] = [int(seed) * 10 + k for k in range(len(settings["seeds"]))]
    runs, _, _ = sampling.sample_trace(ds, i, device, sideband, fits, settings, None, processes)
    summary, pooled, _ = sampling.posterior_summary(runs, device, sideband)
    sampling.check_convergence(summary, settings, label)
    return pooled
