"""Pump-spectrum fits (docs/model.md §5 step 4): the three bath temperatures and the collective variances.

Each pump trace is fitted with ``P(f) = G h f (n_add + 1/2 + S(f; theta))``. The three baths
``n_c, n_m1, n_m2`` are free (>= 0). The couplings ``G+-``, the pump detunings, ``g1/g2``, the
gain and ``n_add``, the cavity's ``kappa`` and ``kappa_out`` and the drums' ``gamma1, gamma2``
are parameters with Gaussian priors from the calibrations (:func:`prior_parts` names the source
of each part). They are never fixed, so the calibration uncertainties propagate into the baths
and from there into ``<X+^2>``, ``<P-^2>`` and the Duan quantity at the fitted state's optimal
phase.
"""

import numpy as np

from ..calibration.drums import calibration_priors, tone
from ..physics import drive, instrument
from ..physics.model import (
    Params,
    UnstableSystemError,
    collective_variances,
    drift_matrix,
    optimal_phase,
    phase_curves,
    steady_state,
)
from ..physics.spectra import pump_spectrum
from ..stats.fitting import MAX_CHI2_REDUCED, FitError, fit, prior_terms, propagate_many

#: Fit parameters: baths (quanta), couplings and detunings (kHz), g1/g2, gain (dB), n_add (quanta), the cavity's
#: total linewidth and output coupling (kHz), the drums' intrinsic dampings (Hz).
NAMES = [
    "n_c",
    "n_m1",
    "n_m2",
    "G_minus",
    "G_plus",
    "delta_minus",
    "delta_plus",
    "g_ratio",
    "gain_dB",
    "n_add",
    "kappa",
    "kappa_out",
    "gamma1",
    "gamma2",
]
UNITS = ["quanta", "quanta", "quanta", "kHz", "kHz", "kHz", "kHz", "1", "dB", "quanta", "kHz", "kHz", "Hz", "Hz"]
#: Position of each parameter in a fit vector: ``x[INDEX["gain_dB"]]``.
INDEX = {name: k for k, name in enumerate(NAMES)}
_SCALE = np.array([0.05, 5.0, 5.0, 1.0, 1.0, 0.05, 0.05, 0.002, 0.01, 0.1, 1.0, 1.0, 1.0, 1.0])


def prior_parts(ds, i, device, sideband, settings):
    """The Gaussian priors of trace ``i`` split by source: ``{source: (names, means, covariance)}``; the sources
    (the keys, as the error budget names them: :data:`entangled_drums.results.budget.ORDER`) are independent, and a
    parameter's prior covariance is the sum of its parts.

    Means come from the calibrations and the tone settings: G+- from the tones' powers and the
    sideband calibration's coupling constants; the detunings from the tone frequencies and the
    calibrated drum frequencies. ``settings``: the config's ``fits`` block
    (``coupling_transfer_sigma`` relative red/blue, ``detuning_sigma`` Hz, ``cavity_shift_sigma`` Hz: the
    cavity's frequency with the pumps on, a common shift of both pumps' offsets from their sidebands,
    ``drift``: rms ``gain_dB`` and relative ``pump_power`` drifts between the calibrations and the
    measurement).
    """
    f_c, kappa = float(device["f_c"]), float(device["kappa"])
    f_red, p_red = tone(ds, i, "pump_red")
    f_blue, p_blue = tone(ds, i, "pump_blue")
    G = (
        np.array(
            [
                float(drive.coupling(sideband["K1"], p_red, f_red - f_c, kappa, f_c)),
                float(drive.coupling(sideband["K2"], p_blue, f_blue - f_c, kappa, f_c)),
            ]
        )
        / 1e3
    )
    transfer = settings["coupling_transfer_sigma"]
    rel = np.array(
        [
            np.hypot(0.5 * sideband["K1_sigma"] / sideband["K1"], transfer["red"]),
            np.hypot(0.5 * sideband["K2_sigma"] / sideband["K2"], transfer["blue"]),
        ]
    )
    d_sigma = float(settings["detuning_sigma"])
    shift_sigma = float(settings.get("cavity_shift_sigma", 0.0))
    drift = settings["drift"]
    delta = np.array([f_red - (f_c - sideband["f1"]), f_blue - (f_c + sideband["f2"])]) / 1e3
    delta_sigma = np.hypot([sideband["f1_sigma"], sideband["f2_sigma"]], d_sigma) / 1e3
    gain = np.array([sideband["gain_dB"], sideband["n_add"]])
    cal = calibration_priors(sideband["cavity"], sideband)
    G_pair, gain_pair = ("G_minus", "G_plus"), ("gain_dB", "n_add")
    return {
        # one calibration fit gives both, strongly anticorrelated (only G (n_add + 1/2) is well known)
        "gain and n_add": (gain_pair, gain, np.asarray(sideband["gain_n_add_covariance"], dtype=float)),
        "kappa and kappa_out": (("kappa", "kappa_out"), *map(np.asarray, cal[("kappa", "kappa_out")])),
        "gamma1 and gamma2": (("gamma1", "gamma2"), *map(np.asarray, cal[("gamma1", "gamma2")])),
        "G+- transfer": (G_pair, G, np.diag((rel * G) ** 2)),
        "detunings": (("delta_minus", "delta_plus"), delta, np.diag(delta_sigma**2)),
        # the cavity shifts with the pumps on: both offsets from the (pumps-off) sidebands move together
        "cavity shift": (("delta_minus", "delta_plus"), delta, np.full((2, 2), (shift_sigma / 1e3) ** 2)),
        "g1/g2": (("g_ratio",), np.array([sideband["g_ratio"]]), np.array([[sideband["g_ratio_sigma"] ** 2]])),
        "drift: gain": (gain_pair, gain, np.diag([float(drift["gain_dB"]) ** 2, 0.0])),
        # G ~ sqrt(P): a relative power drift p moves G by p/2
        "drift: pump powers": (G_pair, G, np.diag((0.5 * float(drift["pump_power"]) * G) ** 2)),
    }


def priors(ds, i, device, sideband, settings):
    """Gaussian priors for trace ``i`` (format of :func:`entangled_drums.stats.fitting.prior_terms`): the parts of
    :func:`prior_parts` summed per parameter group, ``{name: (mean, sigma)}`` for single parameters and
    ``{(name, ...): (means, covariance)}`` for groups (gain and n_add; G-, G+; the detunings; kappa, kappa_out;
    gamma1, gamma2)."""
    groups = {}
    for names, mean, cov in prior_parts(ds, i, device, sideband, settings).values():
        if names in groups:
            groups[names] = (groups[names][0], groups[names][1] + cov)
        else:
            groups[names] = (np.asarray(mean, dtype=float), np.asarray(cov, dtype=float))
    out = {}
    for names, (mean, cov) in groups.items():
        if len(names) == 1:
            out[names[0]] = (float(mean[0]), float(np.sqrt(cov[0, 0])))
        else:
            out[names] = (mean.tolist(), cov.tolist())
    return out


def tone_midpoint(ds, i, device):
    """Lab offset (Hz) from ``device['f_c']`` of the two pumps' midpoint in trace ``i``: the pump mode's frame,
    where its emission lands, known from the tones' frequencies."""
    f_red, _ = tone(ds, i, "pump_red")
    f_blue, _ = tone(ds, i, "pump_blue")
    return 0.5 * (f_red + f_blue) - float(device["f_c"])


def params_from(x, device, sideband, midpoint=None):
    """Model ``Params`` from a fit vector ``x`` (order :data:`NAMES`).

    The fitted offsets are the pumps' offsets from the sidebands of the cavity as it is with the pumps on. With the
    tones' ``midpoint`` (Hz, :func:`tone_midpoint`) the frame stays where the tones put it and the fitted mean offset's
    departure from the set one is the cavity's shift (``Params.cavity_shift``); without it (None) the frame moves
    with the fitted mean offset (a shift of the tones, not of the cavity).
    """
    n_c, n_m1, n_m2, Gm, Gp, dm, dp, rho = x[:8]
    kappa, kappa_out, gamma1, gamma2 = x[10:14]
    shift = 0.0
    if midpoint is not None:  # Omega + delta_bar_set = midpoint: the set mean offset less the fitted one
        shift = (float(midpoint) - 0.5 * (sideband["f2"] - sideband["f1"])) - 0.5e3 * (dm + dp)
    return Params(
        f1=sideband["f1"],
        f2=sideband["f2"],
        gamma1=gamma1,
        gamma2=gamma2,
        kappa=kappa * 1e3,
        kappa_out=kappa_out * 1e3,
        G_minus=Gm * 1e3,
        G_plus=Gp * 1e3,
        delta_minus=dm * 1e3 + shift,
        delta_plus=dp * 1e3 + shift,
        cavity_shift=shift,
        g_ratio=rho,
        n_c=n_c,
        n_m1=n_m1,
        n_m2=n_m2,
        counter_rotating=bool(device["counter_rotating"]),
    )


def gain_shape_terms(device):
    """Legendre terms of the gain shape profiled across each pump trace (config ``device.gain_shape_terms``; 0: a
    flat gain): :mod:`entangled_drums.physics.instrument`."""
    return int(device.get("gain_shape_terms", 0))


def model_psd(x, f, device, sideband, rbw=0.0, midpoint=None, psd=None):
    """Expected PSD (W/Hz) at lab frequencies ``f`` for fit vector ``x``, through the analyser's resolution filter of
    3 dB width ``rbw`` (Hz; the trace's, :func:`entangled_drums.physics.spectra.output_spectrum`); ``midpoint``: the
    tones' (:func:`params_from`). With :func:`gain_shape_terms` > 0 and the recorded trace ``psd`` given, times the
    gain shape profiled against it (:func:`entangled_drums.physics.instrument.profile_gain_shape`)."""
    S = pump_spectrum(params_from(x, device, sideband, midpoint), f - float(device["f_c"]), rbw=rbw)
    mean = instrument.psd_from_quanta(S, f, x[INDEX["gain_dB"]], x[INDEX["n_add"]])
    return mean if psd is None else mean * _profiled_shape(psd, mean, f, device)


def _profiled_shape(psd, mean, f, device):
    """The gain shape of trace ``psd`` against the flat-gain model ``mean`` (ones for no terms)."""
    terms = gain_shape_terms(device)
    if terms == 0:
        return np.ones(np.shape(psd))
    return instrument.profile_gain_shape(psd, mean, instrument.gain_shape_basis(f, terms))


def gain_shape(x, ds, i, device, sideband):
    """The gain shape across pump trace ``i`` of series ``ds`` profiled at fit vector ``x`` (shape ``(n,)``; ones for
    :func:`gain_shape_terms` = 0): the recorded trace divided by it is what the flat-gain model describes."""
    f = np.asarray(ds["frequency"].values[i], dtype=float)
    psd = np.asarray(ds["psd"].values[i], dtype=float)
    if gain_shape_terms(device) == 0:
        return np.ones_like(psd)
    mean = model_psd(x, f, device, sideband, float(ds["rbw"].values[i]), tone_midpoint(ds, i, device))
    return _profiled_shape(psd, mean, f, device)


def model_quanta(x, f, device, sideband, rbw=0.0, midpoint=None):
    """Model emission (quanta) at lab frequencies ``f`` for fit vector ``x`` (``rbw``, ``midpoint``: as
    :func:`model_psd`)."""
    return pump_spectrum(params_from(x, device, sideband, midpoint), np.asarray(f) - float(device["f_c"]), rbw=rbw)


def fit_trace(ds, i, device, sideband, settings, start=None, label=None):
    """Fit pump trace ``i`` of series ``ds``; returns (FitResult, priors) (:func:`priors`)."""
    label = label or f"pump fit of {ds['label'].values[i]}"
    f = np.asarray(ds["frequency"].values[i], dtype=float)
    psd = np.asarray(ds["psd"].values[i], dtype=float)
    root_n = np.sqrt(float(ds["n_averages"].values[i]))
    rbw = float(ds["rbw"].values[i])
    midpoint = tone_midpoint(ds, i, device)
    prior = priors(ds, i, device, sideband, settings)
    start = dict(start or {})
    x0 = np.array([start.get("n_c", 0.3), start.get("n_m1", 80.0), start.get("n_m2", 60.0)] + [0.0] * (len(NAMES) - 3))
    idx, means, _ = prior_terms(prior, NAMES)  # every parameter but the baths starts at its prior mean
    x0[idx] = means

    def residuals(x):
        try:
            m = model_psd(x, f, device, sideband, rbw, midpoint, psd)
        except UnstableSystemError:  # a penalty that grows with the instability steers the optimiser back
            growth = np.linalg.eigvals(drift_matrix(params_from(x, device, sideband))[0]).real.max()
            return np.full(f.size, 1e3 * (1.0 + growth))
        return (psd - m) * root_n / m

    x0 = _stable_start(x0, device, sideband)

    bounds = {"n_c": (0.0, np.inf), "n_m1": (0.0, np.inf), "n_m2": (0.0, np.inf)}
    result = fit(
        residuals, x0, NAMES, prior, x_scale=_SCALE, label=label, bounds=bounds, n_profiled=gain_shape_terms(device)
    )
    if result.chi2_reduced > MAX_CHI2_REDUCED:
        raise FitError(
            f"{label}: the fit did not reach the data (chi^2/dof = {result.chi2_reduced:.4g} > "
            f"{MAX_CHI2_REDUCED:g}) at G- = {result.value('G_minus'):.4g} kHz, G+ = {result.value('G_plus'):.4g} kHz: "
            "a start trapped at the stability edge, or a trace the model does not describe"
        )
    return result, prior


def _stable_start(x0, device, sideband, factor=0.98, tries=40, margin=2):
    """Lower the starting G+ until the system is stable (a nominal point may lie beyond the edge), and then
    ``margin`` steps more if it had to move: a start right at the edge can trap the optimiser against it (found
    by the coverage study: B1 of one replica stopped at the edge with chi^2/dof 2e4, its optimum 3 % inside)."""
    x = np.array(x0, dtype=float)
    for k in range(tries):
        try:
            steady_state(params_from(x, device, sideband))
            if k:
                x[INDEX["G_plus"]] *= factor**margin
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
    out = {k: {"value": float(v), "sigma": float(s)} for k, v, s in zip(keys, values, sigmas, strict=True)}
    out["phi_opt_deg"] = {"value": float(np.degrees(values[3])), "sigma": float(np.degrees(sigmas[3]))}
    out["covariance"] = {"names": keys, "matrix": cov.tolist()}
    return out


def summary(result, prior, device, sideband, parts):
    """JSON-ready record of one fit: parameters, priors and their parts by source (``parts``: :func:`prior_parts`),
    chi^2 and derived quantities."""
    params = {
        n: {"value": float(v), "sigma": float(s), "unit": u}
        for n, v, s, u in zip(NAMES, result.x, result.sigma, UNITS, strict=True)
    }
    return {
        "parameters": params,
        "priors": {
            ",".join(k) if isinstance(k, tuple) else k: [np.asarray(m).tolist(), np.asarray(v).tolist()]
            for k, (m, v) in prior.items()
        },
        "fit": result.as_dict(),
        "prior_parts": {
            source: {"names": list(names), "covariance": np.asarray(cov).tolist()}
            for source, (names, _, cov) in parts.items()
        },
        "derived": derived(result, device, sideband),
    }
