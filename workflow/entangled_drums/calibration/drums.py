"""The calibration chain (docs/model.md §5, steps 1-3): thermal, sideband cooling, probes.

1. Thermal: a weak red tone on each drum's sideband, fridge temperature swept. The sideband
   area (W) is proportional to the drum occupation, which follows the fridge (Bose) above a
   saturation temperature. A weighted line through the hot points gives the area per phonon,
   and the area at base gives the base occupation. The line widths (one per trace, the same
   at every temperature) give the weak tone's linewidth ``gamma_j + 4 G_th^2 / kappa``.
2. Sideband cooling: one red pump per drum, power swept. A joint fit of all traces with the
   full model gives the detection gain, the added noise, the true drum frequencies and the
   intrinsic dampings gamma1, gamma2 (the base occupations enter with their thermal-calibration
   priors; the thermal line widths enter as two data points, ``gamma_j`` plus the thermal
   tone's optical damping, which scales from the fitted G of the weakest pump by the ratio of
   the tones' powers). It also gives the coupling G of every trace, so
   ``K_j = G^2 ((kappa/2)^2 + d^2) / P_mW`` per drum and ``g1/g2 = sqrt(K1/K2)``. kappa and
   kappa_out are the cavity calibration's (:mod:`entangled_drums.calibration.cavity`).
3. Probes: both probes, pumps off. The background-free peak area (quanta x Hz) divided by the
   known collective thermal variance gives the area per unit variance. A line through the
   origin against the red probe's power fixes it per mW.
"""

import numpy as np

from ..physics import drive, instrument
from ..physics.model import Params, UnstableSystemError, collective_variances, single_tone
from ..physics.spectra import SIGMA_PER_FWHM, probe_area, probe_signal, pump_spectrum
from ..physics.units import PLANCK_H, bose_occupation, db_to_linear
from ..stats.fitting import MAX_CHI2_REDUCED, FitError, fit, generalised_least_squares, weighted_line


def _trace(ds, i):
    return np.asarray(ds["frequency"].values[i], dtype=float), np.asarray(ds["psd"].values[i], dtype=float)


def tone(ds, i, slot):
    """(frequency Hz, power dBm) of tone ``slot`` in trace ``i``."""
    from ..data.rawdata import TONES

    k = TONES.index(slot)
    return float(ds["tone_frequency"].values[i, k]), float(ds["tone_power"].values[i, k])


# --- 1. thermal calibration ---------------------------------------------------------------


def line_area(f, psd, n_avg, rbw, jitter_hz, label):
    """Fit ``floor + A V(f - f0)`` (W/Hz) to one thermal line; returns area A (W), its sigma, and the fit.

    ``V`` is a Voigt profile (unit area): the drum's Lorentzian line of full width ``width`` (Hz) seen
    through the analyser's resolution filter, a Gaussian of 3 dB width ``rbw`` (Hz, from the file), and
    broadened by the drum's quasi-static frequency noise over the trace, a Gaussian of variance
    ``jitter_var`` (Hz^2, fitted with the prior 0 +- ``jitter_hz``^2; it may come out below zero within its
    error, which keeps the estimator regular where the jitter is small). Gaussian sigma^2 = (rbw sigma)^2 +
    jitter_var. With both at zero it is the Lorentzian ``(w/2pi) / ((f - f0)^2 + (w/2)^2)``.
    ``centre_offset``: f0 minus the peak bin's frequency (Hz)."""
    from scipy.special import voigt_profile

    floor0 = np.median(np.concatenate([psd[:20], psd[-20:]]))
    peak = psd.max() - floor0
    f0 = f[np.argmax(psd)]
    # starting width: the span above half the peak (at least two bins), from the trace itself
    w0 = max(float(np.ptp(f[psd - floor0 >= 0.5 * peak])), 2.0 * float(np.median(np.diff(f))))
    scale = floor0
    filter_var = (rbw * SIGMA_PER_FWHM) ** 2  # the filter: physics.spectra.filter_shift

    offset = f - f0  # the centre is fitted relative to the peak bin (Hz): no rounding of a 5.5 GHz value

    def residuals(x):
        A, c, w, b, v = x[0] * scale, x[1], abs(x[2]), x[3] * scale, x[4]
        sigma = np.sqrt(max(filter_var + v, 1e-6 * filter_var))
        model = b + A * voigt_profile(offset - c, sigma, 0.5 * w)
        return (psd - model) * np.sqrt(n_avg) / model

    x0 = [peak * np.pi * w0 / 2 / scale, 0.0, w0, 1.0, 0.0]
    result = fit(
        residuals,
        x0,
        ["area", "centre_offset", "width", "floor", "jitter_var"],
        {"jitter_var": (0.0, jitter_hz**2)},
        x_scale=[x0[0], 10.0, 20.0, 1e-3, 10.0],
        label=label,
    )
    return result.value("area") * scale, result.error("area") * scale, result


def thermal_calibration(ds, f_drum, T_min, jitter_hz):
    """Area per phonon and base occupation of one drum from its thermal-calibration series.

    ``f_drum``: drum frequency (Hz, nominal is enough: it enters only the Bose function).
    ``T_min``: lowest fridge temperature (K) assumed to be above the drums' saturation.
    ``jitter_hz``: prior scale of the drum's frequency jitter over a trace (:func:`line_area`).
    """
    label = f"thermal calibration ({ds.attrs.get('dataset', '?')})"
    T = np.asarray(ds["fridge_temperature"].values, dtype=float)
    areas, sigmas, widths, width_sigmas, jitters, jitter_sigmas = [], [], [], [], [], []
    for i in range(ds.sizes["trace"]):
        f, psd = _trace(ds, i)
        a, s, res = line_area(
            f, psd, float(ds["n_averages"].values[i]), float(ds["rbw"].values[i]), jitter_hz, f"{label}, trace {i}"
        )
        areas.append(a)
        sigmas.append(s)
        widths.append(abs(res.value("width")))
        width_sigmas.append(res.error("width"))
        jitters.append(res.value("jitter_var"))
        jitter_sigmas.append(res.error("jitter_var"))
    (width,), width_cov, width_chi2 = weighted_line(np.ones(len(widths)), widths, width_sigmas, through_origin=True)
    f_tone, p_tone = tone(ds, 0, "pump_red")
    areas, sigmas = np.array(areas), np.array(sigmas)
    hot = T >= T_min
    if hot.sum() < 2:
        raise FitError(f"{label}: need >= 2 traces with T >= {T_min} K for the linear fit, found {hot.sum()}")
    n_T = bose_occupation(f_drum, T)
    p, cov, chi2 = weighted_line(n_T[hot], areas[hot], sigmas[hot])
    slope, offset = p
    base = int(np.argmin(T))
    n_base = (areas[base] - offset) / slope
    grad = np.array([-(areas[base] - offset) / slope**2, -1.0 / slope])
    var = grad @ cov @ grad + (sigmas[base] / slope) ** 2
    return {
        "temperatures_K": T.tolist(),
        "areas_W": areas.tolist(),
        "area_sigmas_W": sigmas.tolist(),
        "linewidths_Hz": widths,
        "linewidth_sigmas_Hz": width_sigmas,
        "linewidth_Hz": float(width),
        "linewidth_sigma_Hz": float(np.sqrt(width_cov[0, 0])),
        "linewidth_chi2": float(width_chi2),
        "line_shape": "Voigt: Lorentzian (linewidth) x Gaussian resolution filter (RBW) x Gaussian jitter (fitted)",
        "rbw_Hz": [float(v) for v in ds["rbw"].values],
        "jitter_variances_Hz2": jitters,
        "jitter_variance_sigmas_Hz2": jitter_sigmas,
        "tone_frequency_Hz": f_tone,
        "tone_power_dBm": p_tone,
        "occupation_fridge": n_T.tolist(),
        "used_in_fit": hot.tolist(),
        "area_per_phonon_W": float(slope),
        "area_per_phonon_sigma_W": float(np.sqrt(cov[0, 0])),
        "offset_W": float(offset),
        "offset_sigma_W": float(np.sqrt(cov[1, 1])),
        "line_covariance": cov.tolist(),
        "line_chi2": chi2,
        "T_base_K": float(T[base]),
        "n_base": float(n_base),
        "n_base_sigma": float(np.sqrt(var)),
    }


# --- 2. sideband-cooling calibration -------------------------------------------------------


def sideband_calibration(series, device, thermal, cavity, gain_guess_db=65.0, n_add_guess=20.0):
    """Joint fit of both drums' sideband-cooling series with the full model.

    ``series``: {1: Dataset, 2: Dataset}; ``device``: the config's device (Hz); ``thermal``: the
    thermal calibration ({"drum1": ..., "drum2": ...}: base occupations and line widths);
    ``cavity``: the cavity calibration (:func:`entangled_drums.calibration.cavity.calibrate`). Returns a
    dict with gain (dB), n_add, drum frequencies, gamma1, gamma2, G per trace, K per drum and
    g1/g2, all with uncertainties, and the cavity calibration's rates (``cavity``), so that
    :func:`device_of` gives every later step the calibrated device.
    """
    device = calibrated_device(device, cavity)
    f_c, kappa = float(device["f_c"]), float(device["kappa"])
    n_base = {d: (thermal[f"drum{d}"]["n_base"], thermal[f"drum{d}"]["n_base_sigma"]) for d in (1, 2)}
    names = ["gain_dB", "n_add", "f1", "f2", "n1", "n2", "gamma1", "gamma2"]
    traces = []
    for drum in (1, 2):
        ds = series[drum]
        for i in range(ds.sizes["trace"]):
            f, psd = _trace(ds, i)
            f_tone, p_dbm = tone(ds, i, "pump_red")
            traces.append(
                dict(
                    drum=drum,
                    index=i,
                    f=f,
                    psd=psd,
                    n_avg=float(ds["n_averages"].values[i]),
                    rbw=float(ds["rbw"].values[i]),
                    f_tone=f_tone,
                    power_dbm=p_dbm,
                )
            )
            names += [f"G_{drum}_{i}", f"nc_{drum}_{i}"]
    gamma0 = {d: thermal[f"drum{d}"]["linewidth_Hz"] for d in (1, 2)}
    base = Params(
        f1=float(device["f1"]),
        f2=float(device["f2"]),
        gamma1=gamma0[1],
        gamma2=gamma0[2],
        kappa=kappa,
        kappa_out=float(device["kappa_out"]),
        g_ratio=float(device["g_ratio"]),
        counter_rotating=bool(device["counter_rotating"]),
    )

    index = {name: j for j, name in enumerate(names)}
    # the thermal tone's optical damping 4 G_th^2 / kappa, G_th^2 = G_k^2 (P_th w_th) / (P_k w_k) from each drum's
    # weakest sideband pump k (the same coupling constant K)
    weakest = {d: min((t for t in traces if t["drum"] == d), key=lambda t: t["power_dbm"]) for d in (1, 2)}
    power_ratio = {
        d: 10 ** ((thermal[f"drum{d}"]["tone_power_dBm"] - weakest[d]["power_dbm"]) / 10)
        * drive.drive_weight(thermal[f"drum{d}"]["tone_frequency_Hz"] - f_c, kappa, f_c)
        / drive.drive_weight(weakest[d]["f_tone"] - f_c, kappa, f_c)
        for d in (1, 2)
    }

    def thermal_width(x, d):
        G = x[index[f"G_{d}_{weakest[d]['index']}"]] * 1e3
        return x[index[f"gamma{d}"]] + 4 * G * G * power_ratio[d] / kappa

    def spectrum(x, t, k):
        gain_db, n_add, f1, f2, n1, n2, g1, g2 = (x[index[n]] for n in names[:8])
        G, n_c = x[index[f"G_{t['drum']}_{t['index']}"]] * 1e3, x[index[f"nc_{t['drum']}_{t['index']}"]]
        p = base.replace(f1=f1, f2=f2, n_m1=n1, n_m2=n2, n_c=n_c, gamma1=g1, gamma2=g2)
        f_drum = f1 if t["drum"] == 1 else f2
        detuning = t["f_tone"] - (f_c - f_drum)
        S = pump_spectrum(single_tone(p, t["drum"], G, detuning), t["f"] - f_c, rbw=t["rbw"])
        return instrument.psd_from_quanta(S, t["f"], gain_db, n_add)

    def residuals(x):
        out = []
        for k, t in enumerate(traces):
            try:
                m = spectrum(x, t, k)
            except ValueError:
                return np.full(sum(tt["f"].size for tt in traces), 1e6)
            out.append((t["psd"] - m) * np.sqrt(t["n_avg"]) / m)
        widths = [
            (thermal[f"drum{d}"]["linewidth_Hz"] - thermal_width(x, d)) / thermal[f"drum{d}"]["linewidth_sigma_Hz"]
            for d in (1, 2)
        ]
        return np.concatenate(out + [widths])

    # starting point: floor level for gain*(n_add+1/2), linewidth-free guess of G from the power
    floor = np.median(np.concatenate([t["psd"][:30] for t in traces]) / (PLANCK_H * f_c))
    n_add0 = n_add_guess
    gain0 = 10 * np.log10(floor / (n_add0 + 0.5))
    x0 = [gain0, n_add0, float(device["f1"]), float(device["f2"]), n_base[1][0], n_base[2][0], gamma0[1], gamma0[2]]
    for t in traces:
        x0 += [_coarse_G(t, gamma0[t["drum"]], kappa) / 1e3, 0.01]
    priors = {"n1": n_base[1], "n2": n_base[2]}
    scale = [0.01, 0.1, 1.0, 1.0, 0.5, 0.5, 1.0, 1.0] + [0.1, 0.01] * len(traces)
    bounds = {n: (0.0, np.inf) for n in names if n.startswith("nc_")}
    result = fit(residuals, x0, names, priors, x_scale=scale, label="sideband calibration", bounds=bounds)
    out = {
        "fit": result.as_dict(),
        "gain_dB": result.value("gain_dB"),
        "gain_dB_sigma": result.error("gain_dB"),
        "n_add": result.value("n_add"),
        "n_add_sigma": result.error("n_add"),
        "gain_n_add_covariance": result.cov[
            np.ix_([index["gain_dB"], index["n_add"]], [index["gain_dB"], index["n_add"]])
        ].tolist(),
        "f1": result.value("f1"),
        "f1_sigma": result.error("f1"),
        "f2": result.value("f2"),
        "f2_sigma": result.error("f2"),
        "gamma1": result.value("gamma1"),
        "gamma1_sigma": result.error("gamma1"),
        "gamma2": result.value("gamma2"),
        "gamma2_sigma": result.error("gamma2"),
        "gamma_covariance": result.cov[
            np.ix_([index["gamma1"], index["gamma2"]], [index["gamma1"], index["gamma2"]])
        ].tolist(),
        "thermal_linewidth_residuals": [float(v) for v in residuals(result.x)[-2:]],
        "traces": [],
    }
    # K = G^2 / (P w) per trace; the G's share gain, n_add and the drum parameters, so K1 and K2
    # come from one generalised least-squares fit with the G's full covariance (not as independent points)
    iG = np.array([index[f"G_{t['drum']}_{t['index']}"] for t in traces])
    G, covG = result.x[iG] * 1e3, result.cov[np.ix_(iG, iG)] * 1e6
    K = np.array(
        [
            G[k] ** 2 / (10 ** (t["power_dbm"] / 10) * drive.drive_weight(t["f_tone"] - f_c, kappa, f_c))
            for k, t in enumerate(traces)
        ]
    )
    covK = (2 * K / G)[:, None] * covG * (2 * K / G)[None, :]
    drums = np.array([t["drum"] for t in traces])
    (K1, K2), covK12, _ = generalised_least_squares(np.column_stack([drums == 1, drums == 2]).astype(float), K, covK)
    for k, t in enumerate(traces):
        drum = t["drum"]
        out["traces"].append(
            {
                "drum": drum,
                "power_dBm": t["power_dbm"],
                "G": float(G[k]),
                "G_sigma": float(np.sqrt(covG[k, k])),
                "K": float(K[k]),
                "n_c": result.value(f"nc_{drum}_{t['index']}"),
                "n_c_sigma": result.error(f"nc_{drum}_{t['index']}"),
                "weak_coupling_linewidth": out[f"gamma{drum}"] + 4 * G[k] ** 2 / kappa,
                "index": k,
            }
        )
    out["K1"], out["K2"] = float(K1), float(K2)
    out["K1_sigma"], out["K2_sigma"] = (float(v) for v in np.sqrt(np.diag(covK12)))
    out["K_covariance"] = covK12.tolist()
    r = np.sqrt(K1 / K2)
    grad = 0.5 * r * np.array([1 / K1, -1 / K2])
    out["g_ratio"] = float(r)
    out["g_ratio_sigma"] = float(np.sqrt(grad @ covK12 @ grad))
    out["n_base"] = {str(d): list(n_base[d]) for d in (1, 2)}
    out["cavity"] = {
        key: cavity[key]
        for key in (
            "f_c",
            "f_c_sigma",
            "kappa",
            "kappa_sigma",
            "kappa_in",
            "kappa_in_sigma",
            "kappa_out",
            "kappa_out_sigma",
            "kappa_I",
            "kappa_I_sigma",
            "kappa_kappa_out_covariance",
        )
    }
    return out


#: Device quantities that come from the calibrations, not from the config (docs/model.md §5).
CALIBRATED = ("kappa", "kappa_in", "kappa_out", "gamma1", "gamma2")


def calibrated_device(device, cavity, sideband=None):
    """The config's ``device`` (what is known without measuring: f_c, nominal f1, f2, design g1/g2) with the
    calibrated rates (Hz): ``kappa, kappa_in, kappa_out`` from the cavity calibration and, given the sideband
    calibration, ``gamma1, gamma2``. A config that still sets one of them is an error (the value would be
    silently replaced)."""
    typed = [key for key in CALIBRATED if key in device]
    if typed:
        raise ValueError(
            f"config 'device' sets {typed}: these come from the calibrations now (cavity sweeps, "
            "thermal line widths); remove them from the config (docs/model.md §5)"
        )
    out = dict(device, kappa=cavity["kappa"], kappa_in=cavity["kappa_in"], kappa_out=cavity["kappa_out"])
    if sideband is not None:
        out.update(gamma1=sideband["gamma1"], gamma2=sideband["gamma2"])
    return out


def device_of(device, sideband):
    """The calibrated device of every step after the sideband calibration: :func:`calibrated_device` with the
    cavity rates the sideband calibration carries."""
    return calibrated_device(device, sideband["cavity"], sideband)


def calibration_priors(cavity, sideband):
    """Gaussian priors of the calibrated device rates for the pump fits (format of
    :func:`entangled_drums.stats.fitting.prior_terms`; kappa, kappa_out in kHz, gamma's in Hz):
    (kappa, kappa_out) as one correlated block from the cavity fit, (gamma1, gamma2) as one from
    the sideband calibration."""
    k = np.asarray(cavity["kappa_kappa_out_covariance"], dtype=float) / 1e6
    return {
        ("kappa", "kappa_out"): ([cavity["kappa"] / 1e3, cavity["kappa_out"] / 1e3], k),
        ("gamma1", "gamma2"): ([sideband["gamma1"], sideband["gamma2"]], sideband["gamma_covariance"]),
    }


def sideband_theory(ds, i, device, sideband):
    """Model emission (quanta) of sideband-calibration trace ``i`` at the calibrated parameters."""
    f_c = float(device["f_c"])
    drum = int(ds.attrs["drum"])
    k = [t["index"] for t in sideband["traces"] if t["drum"] == drum][i]
    row = sideband["traces"][k]
    n = sideband["n_base"]
    p = Params(
        f1=sideband["f1"],
        f2=sideband["f2"],
        gamma1=sideband["gamma1"],
        gamma2=sideband["gamma2"],
        kappa=float(device["kappa"]),
        kappa_out=float(device["kappa_out"]),
        g_ratio=float(device["g_ratio"]),
        n_m1=n["1"][0],
        n_m2=n["2"][0],
        n_c=row["n_c"],
        counter_rotating=bool(device["counter_rotating"]),
    )
    f = np.asarray(ds["frequency"].values[i], dtype=float)
    f_tone, _ = tone(ds, i, "pump_red")
    detuning = f_tone - (f_c - (sideband["f1"] if drum == 1 else sideband["f2"]))
    return pump_spectrum(single_tone(p, drum, row["G"], detuning), f - f_c, rbw=float(ds["rbw"].values[i]))


def _coarse_G(t, gamma, kappa):
    """Rough G from the half-power width of the peak (weak-coupling formula), for a starting point."""
    y = t["psd"] - np.median(t["psd"])
    half = y.max() / 2
    above = t["f"][y > half]
    width = max(above.max() - above.min(), gamma) if above.size else 4 * gamma
    return float(np.sqrt(max(width - gamma, 1.0) * kappa / 4))


# --- 3. probe calibration ---------------------------------------------------------------------


def windows(f, factor=5.0):
    """Index ranges of the contiguous frequency windows of a trace."""
    steps = np.diff(f)
    cuts = np.flatnonzero(steps > factor * np.median(steps)) + 1
    bounds = np.concatenate([[0], cuts, [f.size]])
    return [(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def peak_area(f, quanta, sigma, edge_fraction=0.1):
    """Area (quanta x Hz) above a linear baseline fitted to the outer ``edge_fraction`` of each window.

    ``sigma``: per-bin standard deviation (quanta). Returns (area, sigma) summed over windows;
    the baseline's uncertainty is included.
    """
    total, var = 0.0, 0.0
    for a, b in windows(f):
        x, y, s = f[a:b], quanta[a:b], sigma[a:b]
        n_edge = max(3, int(edge_fraction * (b - a) / 2))
        edge = np.r_[0:n_edge, (b - a) - n_edge : (b - a)]
        p, cov, _ = weighted_line(x[edge] - x.mean(), y[edge], s[edge])
        df = np.gradient(x)
        baseline = p[0] * (x - x.mean()) + p[1]
        total += float(np.sum((y - baseline) * df))
        design = np.array([np.sum((x - x.mean()) * df), np.sum(df)])
        var += float(np.sum((s * df) ** 2) + design @ cov @ design)
    return total, float(np.sqrt(var))


def to_quanta(f, psd, gain_db, n_add):
    """Emission in quanta from a PSD trace given the calibrated gain and added noise."""
    return instrument.quanta_from_psd(psd, f, gain_db, n_add)


def quanta_sigma(f, psd, n_averages, gain_db):
    """Per-bin standard deviation (quanta) of an averaged trace: ``psd / sqrt(N)`` in quanta."""
    return np.asarray(psd) / np.sqrt(float(n_averages)) / (db_to_linear(gain_db) * PLANCK_H * np.asarray(f))


#: The calibrated quantities whose uncertainty the probe calibration's model variance carries: the sideband
#: calibration's coupling constants and line widths (each pair with its covariance) and the base occupations.
PROBE_CAL_SOURCES = ("K1", "K2", "gamma1", "gamma2", "n1", "n2")
#: Step (dB) of the central difference in the probes' power ratio, and the Gauss-Newton iterations allowed.
RATIO_STEP_DB, MAX_RATIO_ITERATIONS = 0.01, 10
#: Halvings allowed of a one-sigma central-difference step in the calibrated inputs whose far side has no steady state.
MAX_STEP_HALVINGS = 12


def _probe_cal_inputs(sideband, n_base):
    """(values, covariance) of :data:`PROBE_CAL_SOURCES` from the sideband calibration and ``n_base``."""
    values = np.array(
        [sideband["K1"], sideband["K2"], sideband["gamma1"], sideband["gamma2"], n_base[1][0], n_base[2][0]], float
    )
    cov = np.zeros((6, 6))
    cov[:2, :2] = np.asarray(sideband["K_covariance"], float)
    cov[2:4, 2:4] = np.asarray(sideband["gamma_covariance"], float)
    cov[4, 4], cov[5, 5] = n_base[1][1] ** 2, n_base[2][1] ** 2
    return values, cov


def _central_difference(func, x, j, step):
    """d func / d x[j] by a central difference at ``step``, halved (at most :data:`MAX_STEP_HALVINGS` times) while a
    side has no steady state (:class:`UnstableSystemError`): near the stability edge the derivative is local."""
    for halving in range(MAX_STEP_HALVINGS + 1):
        h = step * 0.5**halving
        up, down = x.copy(), x.copy()
        up[j] += h
        down[j] -= h
        try:
            return (func(up) - func(down)) / (2 * h)
        except UnstableSystemError:
            continue
    raise FitError(
        f"probe calibration: no steady state on both sides of input {j} ({PROBE_CAL_SOURCES[j]}) = {x[j]:.6g} even "
        f"{h:.3g} away (the step {step:.3g} halved {MAX_STEP_HALVINGS} times)"
    )


def probe_calibration(ds, gain_db, n_add, device, sideband, n_base):
    """Area per unit variance per mW of red-probe power, from the pumps-off probe power sweep.

    With g1 != g2 the "balanced" probes are slightly red-heavy on each drum and cool X+ (by
    ~45 % at g = 40 kHz for g1/g2 = 0.98), so the variance at each power is the model's
    ``<X+^2>`` with the probes on, computed from calibrated quantities only: base occupations
    ``n_base`` ({1: (n, s), 2: (n, s)}), couplings from ``sideband`` (K1, K2, g1/g2, drum
    frequencies, line widths) and the device values. Each trace gives ``s_i = area_i / (P_red var_i)``, where
    ``area_i`` is the whole line's: the recorded windows (+-15 kHz) with their edge baseline hold 99.0-99.4 % of
    it, less at high power where the probes broaden the lines, so the recorded area is divided by the same
    operation's fraction of the model line (``window_fraction``). The readout's correction counts the whole line
    too (its window factor), so ``s`` is the whole line's area per unit variance per mW.

    The cooling is set by the difference of the two probes' couplings' squares on each drum, so at 40 kHz the
    model variance moves ~11 % per 1 % of the ratio of the two probes' powers at the device (4.3 % for the
    photon energy's 0.39 %, :mod:`entangled_drums.physics.drive`), and 0.3-0.5 % per 1 % of K1, K2, n1, n2:
    more than the area's noise (0.1 %). ``s`` is the generalised least-squares mean of ``log s_i`` with the
    covariance of both: the areas' noise (independent) and the model variance's, propagated from
    :data:`PROBE_CAL_SOURCES` (correlated between traces; central differences at one sigma, halved while a side has
    no steady state, :func:`_central_difference`; each pair's
    covariance as its calibration gives it, the pairs taken as independent). The weights follow from those
    correlations (on the archive 0.07, 0.24, 0.61, 0.77, -0.68 from the weakest power up: the estimate leans
    on the middle powers). The two probes' power ratio at the device is fitted with ``s`` (``probe_power_ratio_dB``:
    the blue probe's power at the device less the red-side calibration's prediction; Gauss-Newton, flat prior): an
    input line whose transfer falls across the ~21 MHz between the probes (a filter edge, a sloped cable) makes the
    blue probe weaker than set, and at 40 kHz 1 % of that ratio moves the model variance ~11 %, so the power
    dependence pins it (the five powers leave 3 dof).
    The comparison needs the balanced probes' reference state at each power; a power where it has no steady state
    at the calibrated inputs (its slowest damping falls with the probe power, so near 40 kHz the edge can lie within
    the inputs' sigma) is left out and listed under ``excluded_traces``; fewer than three powers
    left is an error.
    The common gain cancels in the readout (same gain for calibration and data), so ``s``'s sigma excludes
    it. ``line_chi2`` tests the traces' consistency; above :data:`entangled_drums.stats.fitting.MAX_CHI2_REDUCED`
    per degree of freedom the calibration is refused (:class:`FitError`): an inflated sigma would hide a model
    that does not describe the traces (e.g. two probes whose transfers differ, as with a sloped input line).
    """
    f_c, kappa = float(device["f_c"]), float(device["kappa"])
    base = Params(
        f1=sideband["f1"],
        f2=sideband["f2"],
        gamma1=sideband["gamma1"],
        gamma2=sideband["gamma2"],
        kappa=kappa,
        kappa_out=float(device["kappa_out"]),
        g_ratio=sideband["g_ratio"],
        G_minus=0.0,
        G_plus=0.0,
        n_c=0.0,
        counter_rotating=bool(device["counter_rotating"]),
    )
    theta, theta_cov = _probe_cal_inputs(sideband, n_base)
    theta_sigma = np.sqrt(np.diag(theta_cov))

    def variance(tones, th, ratio_db=0.0):
        """The model's <X+^2> of a trace with probe ``tones`` ((f, dBm) red, then blue) at calibrated inputs ``th``
        (:data:`PROBE_CAL_SOURCES`), the blue probe's power at the device ``ratio_db`` off the red-side calibration's:
        ``(variance, g_red, g_blue, params, balanced-equivalent variance)``."""
        K1, K2, g1, g2, n1, n2 = th
        (f_red, p_red), (f_blue, p_blue) = tones
        g_red = float(drive.coupling(K1, p_red, f_red - f_c, kappa, f_c))
        g_blue = float(drive.coupling(K2, p_blue + ratio_db, f_blue - f_c, kappa, f_c))
        # the probe pair defines the mechanical frame: Delta = its half-spacing minus the mean drum frequency
        Delta = 0.5 * (f_blue - f_red) - 0.5 * (sideband["f1"] + sideband["f2"])
        params = base.replace(
            g_ratio=float(np.sqrt(K1 / K2)),
            gamma1=g1,
            gamma2=g2,
            n_m1=n1,
            n_m2=n2,
            probe_g_minus=g_red,
            probe_g_plus=g_blue,
            delta_plus=Delta,
            delta_minus=-Delta,
        )
        var = float(collective_variances(params, 0.0)[0])
        # the readout's k(g) is the area per unit variance of *balanced* probes g (readout.correction); with the blue
        # probe off balance the line's area per variance differs, so the trace is compared with the variance that
        # balanced probes would read for the same area: var x k_actual / k_balanced
        balanced = params.replace(probe_g_plus=g_red)
        k_ratio = (probe_area(params) / var) / (probe_area(balanced) / float(collective_variances(balanced, 0.0)[0]))
        return var, g_red, g_blue, params, var * k_ratio

    recorded_areas, tones_all, sigmas, excluded = [], [], [], []
    for i in range(ds.sizes["trace"]):
        tones = (tone(ds, i, "probe_red"), tone(ds, i, "probe_blue"))
        try:
            variance(tones, theta)
        except UnstableSystemError as err:  # the balanced reference has no steady state: v_eff is undefined here
            excluded.append({"index": i, "power_red_dBm": tones[0][1], "reason": f"balanced probes unstable: {err}"})
            continue
        f, psd = _trace(ds, i)
        quanta = to_quanta(f, psd, gain_db, n_add)
        sigma = quanta_sigma(f, psd, ds["n_averages"].values[i], gain_db)
        recorded_areas.append(peak_area(f, quanta, sigma))
        tones_all.append(tones)
        sigmas.append((f, sigma))
    if len(tones_all) < 3:
        raise FitError(
            f"probe calibration: {len(tones_all)} of its {ds.sizes['trace']} powers have a steady state with balanced "
            "probes at the calibrated inputs; the constant and the power ratio need three ("
            + "; ".join(f"{e['power_red_dBm']:+.2f} dBm: {e['reason']}" for e in excluded)
            + ")"
        )
    P = np.array([10 ** (t[0][1] / 10) for t in tones_all])

    def at_ratio(ratio_db):
        """Per trace at the blue probe's power offset ``ratio_db``: rows, d log var / d theta, d log var / d ratio."""
        rows, jac, d_ratio = [], [], []
        for (recorded, s_recorded), tones, (f, sigma) in zip(recorded_areas, tones_all, sigmas, strict=True):
            var, g_red, g_blue, params, v_eff = variance(tones, theta, ratio_db)
            fraction = peak_area(f, probe_signal(params, f - f_c), sigma)[0] / probe_area(params)
            area, s_area = recorded / fraction, s_recorded / fraction
            grad = [
                _central_difference(lambda th, t=tones: np.log(variance(t, th, ratio_db)[4]), theta, j, step)
                for j, step in enumerate(theta_sigma)
            ]
            jac.append(grad)
            h = RATIO_STEP_DB
            d_ratio.append(
                (np.log(variance(tones, theta, ratio_db + h)[4]) - np.log(variance(tones, theta, ratio_db - h)[4]))
                / (2 * h)
            )
            g = np.asarray(grad)
            rows.append(
                {
                    "power_red_dBm": tones[0][1],
                    "power_blue_dBm": tones[1][1],
                    "g_red": g_red,
                    "g_blue": g_blue,
                    "area": area,
                    "area_sigma": s_area,
                    "recorded_area": recorded,
                    "window_fraction": fraction,
                    "variance_model": var,
                    "variance_balanced_equivalent": v_eff,
                    "variance_sigma": v_eff * float(np.sqrt(g @ theta_cov @ g)),
                    "area_per_variance": area / v_eff,
                }
            )
        return rows, np.array(jac), np.array(d_ratio)

    # Gauss-Newton in the blue probe's power offset r (dB): log(area / P) = log s + log var(r), linearised at r
    ratio = 0.0
    for _ in range(MAX_RATIO_ITERATIONS):
        rows, J, d_ratio = at_ratio(ratio)
        var = np.array([r["variance_balanced_equivalent"] for r in rows])
        area = np.array([r["area"] for r in rows])
        rel_area = np.array([r["area_sigma"] for r in rows]) / area
        cov_model = J @ theta_cov @ J.T
        cov = np.diag(rel_area**2) + cov_model
        design = np.column_stack([np.ones(len(rows)), d_ratio])
        y = np.log(area / (P * var)) + d_ratio * ratio
        (log_s, new_ratio), log_cov, chi2 = generalised_least_squares(design, y, cov)
        step, ratio = new_ratio - ratio, float(new_ratio)
        if abs(step) < 1e-5:
            break
    else:
        raise FitError(f"probe calibration: the probes' power ratio did not converge (last step {step:.3g} dB)")
    rows, J, d_ratio = at_ratio(ratio)
    slope = float(np.exp(log_s))
    dof = len(rows) - 2
    if chi2 > MAX_CHI2_REDUCED * dof:
        per_trace = ", ".join(f"{r['area_per_variance'] / p:.4g}" for r, p in zip(rows, P, strict=True))
        raise FitError(
            f"probe calibration: its {len(rows)} probe powers disagree on the area per unit variance per mW "
            f"(chi2 = {chi2:.4g} for {dof} dof, above {MAX_CHI2_REDUCED:g} per dof, with the probes' power ratio "
            f"fitted at {ratio:+.3f} dB; per power, weakest first: {per_trace}). The model's variance under the "
            "probes does not describe the traces: check g1/g2, the drums' base occupations and the gain's stability"
        )
    # the GLS weights of log s split its sigma into the areas' noise and the model variance's (before inflation)
    Ci = np.linalg.inv(cov)
    weights = (np.linalg.inv(design.T @ Ci @ design) @ design.T @ Ci)[0]
    stat = float(np.sqrt(weights @ np.diag(rel_area**2) @ weights))
    model = float(np.sqrt(weights @ cov_model @ weights))
    for r, w in zip(rows, weights, strict=True):
        r["weight"] = float(w)
    return {
        "traces": rows,
        "line_chi2": chi2,
        "line_dof": dof,
        "area_per_variance_per_mW": slope,
        "area_per_variance_per_mW_sigma": slope * float(np.sqrt(log_cov[0, 0])),
        "probe_power_ratio_dB": ratio,
        "probe_power_ratio_dB_sigma": float(np.sqrt(log_cov[1, 1])),
        "area_per_variance_per_mW_stat_sigma": slope * stat,
        "area_per_variance_per_mW_model_sigma": slope * model,
        "model_sources": list(PROBE_CAL_SOURCES),
        "excluded_traces": excluded,
        "collective_variance_thermal": 0.5 * (n_base[1][0] + n_base[2][0]) + 0.5,
    }


def collective_thermal_variance(n1, n2):
    """<X+^2> = <P+^2> of thermal drums, (n1 + n2)/2 + 1/2, with sigma from (value, sigma) pairs."""
    return 0.5 * (n1[0] + n2[0]) + 0.5, 0.5 * float(np.hypot(n1[1], n2[1]))
