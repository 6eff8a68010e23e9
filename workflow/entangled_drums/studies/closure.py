"""Closure: recovered vs true values, in units of the analysis' own uncertainties.

Only tests, coverage studies and the closure figure import this module; the analysis never
does. ``pulls`` maps analysis results onto the simulator's truth and returns
``(name, value, sigma, truth, pull)`` rows.
"""

import numpy as np

#: Pump-fit parameters compared with the truth, and their unit conversion to the truth's units.
_PUMP = {
    "n_c": 1.0,
    "n_m1": 1.0,
    "n_m2": 1.0,
    "G_minus": 1e3,
    "G_plus": 1e3,
    "delta_minus": 1e3,
    "delta_plus": 1e3,
    "g_ratio": 1.0,
    "kappa": 1e3,
    "kappa_out": 1e3,
    "gamma1": 1.0,
    "gamma2": 1.0,
}


def calibration_pulls(cal, truth):
    """Rows for the calibration constants."""
    t = truth["calibration"]
    sb = cal["sideband"]
    rows = [
        (
            f"n{d}_base",
            cal["thermal"][f"drum{d}"]["n_base"],
            cal["thermal"][f"drum{d}"]["n_base_sigma"],
            t[f"n{d}_base"],
        )
        for d in (1, 2)
    ]
    rows += [(k, sb[k], sb[f"{k}_sigma"], t[k]) for k in ("gain_dB", "n_add", "f1", "f2", "K1", "K2")]
    rows += [(k, sb[k], sb[f"{k}_sigma"], truth["cavity"][k]) for k in ("gamma1", "gamma2")]
    if "cavity" in cal:  # the cavity sweeps' fit
        rows += [
            (k, cal["cavity"][k], cal["cavity"][f"{k}_sigma"], truth["cavity"][k])
            for k in ("f_c", "kappa", "kappa_in", "kappa_out", "kappa_I")
        ]
    rows.append(("g_ratio", sb["g_ratio"], sb["g_ratio_sigma"], truth["calibration"]["g_ratio"]))
    # the probe constant is in quanta, so it carries the gain's error (which cancels in the readout)
    pr = cal["probe"]
    k, sk = pr["area_per_variance_per_mW"], pr["area_per_variance_per_mW_sigma"]
    sk_total = np.hypot(sk, k * np.log(10) / 10 * sb["gain_dB_sigma"])
    rows.append(("probe_area_per_variance_per_mW", k, sk_total, t["probe_area_per_variance_per_mW"]))
    return [(n, float(v), float(s), float(tv), float((v - tv) / s)) for n, v, s, tv in rows]


def pump_pulls(fits, truth):
    """Rows for every pump-fit parameter and derived quantity, named ``<dataset>.<quantity>``."""
    rows = []
    for name, rec in fits.items():
        tr = truth["datasets"][name]
        for key, scale in _PUMP.items():
            p = rec["parameters"][key]
            rows.append((f"{name}.{key}", p["value"] * scale, p["sigma"] * scale, tr[key]))
        for key in ("Xplus", "Pminus", "duan"):
            d = rec["derived"][key]
            rows.append((f"{name}.{key}", d["value"], d["sigma"], tr[key]))
    return [(n, float(v), float(s), float(tv), float((v - tv) / s)) for n, v, s, tv in rows]


def probe_pulls(readouts, truth, pump_fits=None):
    """Rows for the probe readout of each data set: <X+^2> (probes), optimal setpoint, imbalance,
    correction; with ``pump_fits``, also Duan = probes' <X+^2> + least-squares <P-^2>.

    The truth's ``Xplus`` is the instantaneous minimum; phase wander raises what the probes see
    by ~0.006 for 2 deg rms (documented in :mod:`entangled_drums.readout.probes`), well inside the errors.
    """
    rows = []
    for name, (res, _) in readouts.items():
        tr = truth["datasets"][name]
        rows.append((f"{name}.Xplus_BAE", res["Xplus"]["value"], res["Xplus"]["sigma"], tr["Xplus"]))
        rows.append(
            (f"{name}.phi_opt_deg", res["phi_opt_deg"]["value"], res["phi_opt_deg"]["sigma"], tr["phi_opt_deg"])
        )
        rows.append(
            (f"{name}.probe_imbalance", res["imbalance"]["value"], res["imbalance"]["sigma"], tr["probe_imbalance"])
        )
        rows.append(
            (
                f"{name}.probe_correction",
                res["probe_correction"]["value"],
                res["probe_correction"]["sigma"],
                tr["probe_correction"],
            )
        )
        if pump_fits is not None:
            pm = pump_fits[name]["derived"]["Pminus"]
            rows.append(
                (
                    f"{name}.duan_probe_lsq",
                    res["Xplus"]["value"] + pm["value"],
                    float(np.hypot(res["Xplus"]["sigma"], pm["sigma"])),
                    tr["duan"],
                )
            )
    return [(n, float(v), float(s), float(tv), float((v - tv) / s)) for n, v, s, tv in rows]


def paper_estimator_bias(readouts, truth):
    """Rows (name, value, sigma, truth, pull) of the paper's estimator of <X+^2> (each probe area times its 18 %
    alone, :func:`entangled_drums.readout.probes.paper_estimator`) against the truth: its bias, not a closure
    (kept out of the pull statistics)."""
    rows = []
    for name, (res, _) in readouts.items():
        if "paper_estimator" in res:
            v, s, t = res["paper_estimator"]["value"], res["paper_estimator"]["sigma"], truth["datasets"][name]["Xplus"]
            rows.append((f"{name}.Xplus_paper_estimator", float(v), float(s), float(t), float((v - t) / s)))
    return rows


def summary(rows):
    """Pull statistics: count, mean, standard deviation, fraction beyond 2 sigma, largest |pull|."""
    p = np.array([r[4] for r in rows])
    return {
        "n": int(p.size),
        "mean": float(p.mean()),
        "std": float(p.std()),
        "beyond_2sigma": float(np.mean(np.abs(p) > 2)),
        "max_abs": float(np.abs(p).max()),
    }
