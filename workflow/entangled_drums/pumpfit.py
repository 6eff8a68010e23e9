"""Pump-spectrum fits (docs/model.md §5 step 4): the three bath temperatures and the collective variances.

Each pump trace is fitted with ``P(f) = G h f (n_add + 1/2 + S(f; theta))``. The three baths
``n_c, n_m1, n_m2`` are free (>= 0). The couplings ``G+-``, the pump detunings, ``g1/g2``, the
gain and ``n_add`` are parameters with Gaussian priors from the calibrations. They are never
fixed, so the calibration uncertainties propagate into the baths and from there into
``<X+^2>``, ``<P-^2>`` and the Duan quantity at the fitted state's optimal phase.
"""

import numpy as np

from . import drive, instrument
from .calibration import tone
from .fitting import fit, prior_terms, propagate_many
from .model import (Params, UnstableSystemError, collective_variances, drift_matrix, optimal_phase, phase_curves,
                    steady_state)
from .spectra import pump_spectrum

#: Fit parameters: baths (quanta), couplings and detunings (kHz), g1/g2, gain (dB), n_add (quanta).
NAMES = ["n_c", "n_m1", "n_m2", "G_minus", "G_plus", "delta_minus", "delta_plus", "g_ratio", "gain_dB", "n_add"]
#: Position of each parameter in a fit vector: ``x[INDEX["gain_dB"]]``.
INDEX = {name: k for k, name in enumerate(NAMES)}
_SCALE = np.array([0.05, 5.0, 5.0, 1.0, 1.0, 0.05, 0.05, 0.002, 0.01, 0.1])


def priors(ds, i, device, sideband, settings):
    """Gaussian priors for trace ``i`` from the calibrations and tone settings (format of
    :func:`entangled_drums.fitting.prior_terms`: ``{name: (mean, sigma)}``, and the correlated
    block ``{("gain_dB", "n_add"): (means, covariance)}``).

    ``settings``: the config's ``fits`` block: ``coupling_transfer_sigma`` (relative, red/blue)
    and ``detuning_sigma`` (Hz).
    """
    f_c, kappa = float(device["f_c"]), float(device["kappa"])
    f_red, p_red = tone(ds, i, "pump_red")
    f_blue, p_blue = tone(ds, i, "pump_blue")
    G_minus = float(drive.coupling(sideband["K1"], p_red, f_red - f_c, kappa))
    G_plus = float(drive.coupling(sideband["K2"], p_blue, f_blue - f_c, kappa))
    transfer = settings["coupling_transfer_sigma"]
    rel_minus = np.hypot(0.5 * sideband["K1_sigma"] / sideband["K1"], transfer["red"])
    rel_plus = np.hypot(0.5 * sideband["K2_sigma"] / sideband["K2"], transfer["blue"])
    d_sigma = float(settings["detuning_sigma"])
    return {
        "G_minus": (G_minus / 1e3, rel_minus * G_minus / 1e3),
        "G_plus": (G_plus / 1e3, rel_plus * G_plus / 1e3),
        "delta_minus": ((f_red - (f_c - sideband["f1"])) / 1e3, np.hypot(sideband["f1_sigma"], d_sigma) / 1e3),
        "delta_plus": ((f_blue - (f_c + sideband["f2"])) / 1e3, np.hypot(sideband["f2_sigma"], d_sigma) / 1e3),
        "g_ratio": (sideband["g_ratio"], sideband["g_ratio_sigma"]),
        # one calibration fit gives both, strongly anticorrelated (only G (n_add + 1/2) is well known)
        ("gain_dB", "n_add"): ([sideband["gain_dB"], sideband["n_add"]], sideband["gain_n_add_covariance"]),
    }


def params_from(x, device, sideband):
    """Model ``Params`` from a fit vector ``x`` (order :data:`NAMES`)."""
    n_c, n_m1, n_m2, Gm, Gp, dm, dp, rho = x[:8]
    return Params(
        f1=sideband["f1"], f2=sideband["f2"], gamma1=float(device["gamma1"]), gamma2=float(device["gamma2"]),
        kappa=float(device["kappa"]), kappa_out=float(device["kappa_out"]), G_minus=Gm * 1e3, G_plus=Gp * 1e3,
        delta_minus=dm * 1e3, delta_plus=dp * 1e3, g_ratio=rho, n_c=n_c, n_m1=n_m1, n_m2=n_m2,
    )


def model_psd(x, f, device, sideband):
    """Expected PSD (W/Hz) at lab frequencies ``f`` for fit vector ``x``."""
    S = pump_spectrum(params_from(x, device, sideband), f - float(device["f_c"]))
    return instrument.psd_from_quanta(S, f, x[INDEX["gain_dB"]], x[INDEX["n_add"]])


def model_quanta(x, f, device, sideband):
    """Model emission (quanta) at lab frequencies ``f`` for fit vector ``x``."""
    return pump_spectrum(params_from(x, device, sideband), np.asarray(f) - float(device["f_c"]))


def fit_trace(ds, i, device, sideband, settings, start=None, label=None):
    """Fit pump trace ``i`` of series ``ds``; returns (FitResult, priors)."""
    label = label or f"pump fit of {ds['label'].values[i]}"
    f = np.asarray(ds["frequency"].values[i], dtype=float)
    psd = np.asarray(ds["psd"].values[i], dtype=float)
    root_n = np.sqrt(float(ds["n_averages"].values[i]))
    prior = priors(ds, i, device, sideband, settings)
    start = dict(start or {})
    x0 = np.array([start.get("n_c", 0.3), start.get("n_m1", 80.0), start.get("n_m2", 60.0)] + [0.0] * (len(NAMES) - 3))
    idx, means, _ = prior_terms(prior, NAMES)  # every parameter but the baths starts at its prior mean
    x0[idx] = means

    def residuals(x):
        try:
            m = model_psd(x, f, device, sideband)
        except UnstableSystemError:  # a penalty that grows with the instability steers the optimiser back
            growth = np.linalg.eigvals(drift_matrix(params_from(x, device, sideband))[0]).real.max()
            return np.full(f.size, 1e3 * (1.0 + growth))
        return (psd - m) * root_n / m

    x0 = _stable_start(x0, device, sideband)

    bounds = {"n_c": (0.0, np.inf), "n_m1": (0.0, np.inf), "n_m2": (0.0, np.inf)}
    result = fit(residuals, x0, NAMES, prior, x_scale=_SCALE, label=label, bounds=bounds)
    return result, prior


def _stable_start(x0, device, sideband, factor=0.98, tries=40):
    """Lower the starting G+ until the system is stable (a nominal point may lie beyond the edge)."""
    x = np.array(x0, dtype=float)
    for _ in range(tries):
        try:
            steady_state(params_from(x, device, sideband))
            return x
        except UnstableSystemError:
            x[INDEX["G_plus"]] *= factor
    return x


def collective(x, device, sideband):
    """(<X+^2>, <P-^2>, Duan, phi_opt rad) of the steady state at fit vector ``x``, at its optimal phase."""
    p = params_from(x, device, sideband)
    V = steady_state(p)
    phi, duan = optimal_phase(p, V)
    xp, pm = collective_variances(p, phi, V)
    return float(xp), float(pm), float(duan), float(phi)


#: Derived quantities of a posterior draw (:func:`draw_quantities`): <X+^2>, <P-^2>, Duan and phi_opt (rad) at
#: the draw's optimal phase, and the coefficients of <(P-^phi)^2> = a + b cos 2phi + c sin 2phi (phi the model's
#: quadrature angle), which the verdict adds to the probes' <(X+^phi)^2> at one phase.
DERIVED = ["Xplus", "Pminus", "duan", "phi_opt", "Pminus_a", "Pminus_b", "Pminus_c"]


def draw_quantities(x, device, sideband):
    """The :data:`DERIVED` quantities of the steady state at fit vector ``x`` (one tuple)."""
    p = params_from(x, device, sideband)
    V = steady_state(p)
    phi, duan = optimal_phase(p, V)
    xp, pm = collective_variances(p, phi, V)
    return (float(xp), float(pm), float(duan), float(phi), *(float(v) for v in phase_curves(p, V)[1]))


def derived(result, device, sideband):
    """Derived quantities with propagated uncertainties and their covariance."""
    fns = [lambda x, k=k: collective(x, device, sideband)[k] for k in range(4)]
    values, sigmas, cov = propagate_many(fns, result.x, result.cov)
    keys = ["Xplus", "Pminus", "duan", "phi_opt"]
    out = {k: {"value": float(v), "sigma": float(s)} for k, v, s in zip(keys, values, sigmas)}
    out["phi_opt_deg"] = {"value": float(np.degrees(values[3])), "sigma": float(np.degrees(sigmas[3]))}
    out["covariance"] = {"names": keys, "matrix": cov.tolist()}
    return out


def summary(result, prior, device, sideband):
    """JSON-ready record of one fit: parameters, priors, chi^2 and derived quantities."""
    params = {n: {"value": float(v), "sigma": float(s), "unit": u}
              for n, v, s, u in zip(NAMES, result.x, result.sigma,
                                    ["quanta", "quanta", "quanta", "kHz", "kHz", "kHz", "kHz", "1", "dB", "quanta"])}
    return {"parameters": params, "priors": {",".join(k) if isinstance(k, tuple) else k: [np.asarray(m).tolist(), np.asarray(v).tolist()]
                                          for k, (m, v) in prior.items()}, "fit": result.as_dict(),
            "derived": derived(result, device, sideband)}
