"""Back-action-evading probe analysis of one data set (docs/model.md §4, §5 step 5).

1. Each probe trace minus its probes-off background, in quanta (same gain and grid): the probe
   signal near ``f_c -+ Omega``, with per-bin sigma from both traces' averaging statistics.
   The traces share one background, so their errors are correlated (:func:`whitener`).
2. Its area over the recorded windows, summed bin by bin (the background is the baseline).
3. The probe imbalance ``r = g-/g+`` and the phase offset (true quadrature angle = setpoint +
   offset) from a joint least-squares fit of the subtracted line shapes with the model at the
   pump fit's parameters, averaged over the phase drift within a trace, residuals whitened
   with the shared background's covariance. ``g-`` is the red probe's calibrated coupling (it
   "stays constant" with the pumps on); ``g+ = g-/r``.
4. ``<(X+^phi)^2> = F(phi) A / (s P_red)``, where ``s P_red`` is the probe calibration's area
   per unit variance and ``F = V_model k_model / A_model`` is the model's factor for what the
   window area misses: the imbalance (the paper's ~18 %) and the tails outside the recorded
   windows. Both parts are reported.
5. ``<(X+^phi)^2>`` vs setpoint is ``a + b cos 2phi + c sin 2phi`` (a quadratic form in
   ``cos phi, sin phi``); a generalised least-squares fit (the points share the background's
   area noise) gives the minimum and the optimal setpoint,
   and Monte Carlo draws of the fit and of the calibration scales give their distribution.

Phase wander within an acquisition averages the variance over the wander: for a Gaussian wander of rms
``w`` the recorded curve is ``a + exp(-2 w^2) (b cos 2phi + c sin 2phi)``, so its minimum lies above the
instantaneous one. With ``readout.wander_correction`` (the default) the minimum is the instantaneous
state's, ``a - exp(2 w^2) sqrt(b^2 + c^2)``, with ``w`` the line-shape fit's and its uncertainty drawn;
without it, the recorded curve's minimum: an upper bound (the paper's conservative reading), which on the
archive reads D's wander (5.3 +- 0.6 deg fitted, 4 deg true) as +0.06 on ``<X+^2>``.
"""

import numpy as np

from ..calibration.drums import quanta_sigma, to_quanta, tone, windows
from ..inference import pumpfit
from ..physics import drive, floquet
from ..physics.model import UnstableSystemError, collective_variances, linear_system, steady_state
from ..physics.spectra import probe_area, probe_signal, pump_spectrum
from ..stats.fitting import FitError, fit, generalised_least_squares
from ..stats.shares import combine, split
from .correction import area_correction, balanced_causes, probe_photon_ratio
from .correction import correction_parts as readout_correction_parts


class ProbeDataError(ValueError):
    """Probe and background traces that cannot be subtracted (different grids, missing tones)."""


def subtracted(probe_ds, background_ds, gain_db, n_add, source="probe data"):
    """Background-subtracted probe traces: list of dicts with ``f`` (Hz), ``signal``, ``sigma``
    (quanta), ``setpoint_deg``."""
    fb = np.asarray(background_ds["frequency"].values[0], dtype=float)
    psd_b = np.asarray(background_ds["psd"].values[0], dtype=float)
    qb = to_quanta(fb, psd_b, gain_db, n_add)
    sb = quanta_sigma(fb, psd_b, background_ds["n_averages"].values[0], gain_db)
    out = []
    for i in range(probe_ds.sizes["trace"]):
        f = np.asarray(probe_ds["frequency"].values[i], dtype=float)
        if f.shape != fb.shape or not np.allclose(f, fb, rtol=0, atol=1e-3):
            raise ProbeDataError(
                f"{source}: trace {i} is not on the background's frequency grid; "
                "a probe trace and its background must share the grid"
            )
        setpoint = float(probe_ds["probe_phase_setpoint"].values[i])
        if not np.isfinite(setpoint):
            raise ProbeDataError(f"{source}: trace {i} has no probe_phase_setpoint")
        psd = np.asarray(probe_ds["psd"].values[i], dtype=float)
        signal = to_quanta(f, psd, gain_db, n_add) - qb
        sigma_probe = quanta_sigma(f, psd, probe_ds["n_averages"].values[i], gain_db)
        out.append(
            {
                "index": i,
                "f": f,
                "signal": signal,
                "sigma": np.hypot(sigma_probe, sb),
                "sigma_probe": sigma_probe,
                "sigma_background": sb,
                "setpoint_deg": setpoint,
            }
        )
    return out


def whitener(traces):
    """Per-bin whitening matrices of the subtracted traces' residuals: shape (n_bins, n_traces, n_traces).

    All traces share one background trace, so in every bin their errors are correlated:
    ``C_ij = delta_ij sigma_probe_i^2 + sigma_background^2``. Treating them as independent
    would count the background's noise once per trace, and the line-shape fit would quote an
    imbalance error ~2.5x too small (the coverage study found it). ``W`` satisfies
    ``W^T W = C^-1``, so ``W e`` are independent unit-normal residuals.
    """
    sp = np.array([t["sigma_probe"] for t in traces]).T  # (bins, traces)
    sb = np.asarray(traces[0]["sigma_background"])
    C = np.einsum("ki,ij->kij", sp**2, np.eye(sp.shape[1])) + (sb**2)[:, None, None]
    return np.linalg.inv(np.linalg.cholesky(C))


def window_area(f, values, sigma=None):
    """Sum of ``values * df`` over the contiguous windows of ``f`` (quanta x Hz), and its sigma."""
    df = np.concatenate([np.gradient(f[a:b]) for a, b in windows(f)])
    area = float(np.sum(values * df))
    return (area, float(np.sqrt(np.sum((sigma * df) ** 2)))) if sigma is not None else area


def probe_couplings(ds, i, device, sideband):
    """Calibrated red-probe coupling ``g-`` (Hz, on drum 1) and the probes' common offset (Hz) of trace ``i``."""
    f_c, kappa = float(device["f_c"]), float(device["kappa"])
    f_red, p_red = tone(ds, i, "probe_red")
    f_blue, _ = tone(ds, i, "probe_blue")
    g_minus = float(drive.coupling(sideband["K1"], p_red, f_red - f_c, kappa, f_c))
    return g_minus, 0.5 * (f_red + f_blue) - f_c


def with_probes(pump_params, g_minus, imbalance, phase_rad, detuning=0.0):
    """``pump_params`` with the probes on: ``g+ = g-/imbalance`` at quadrature angle ``phase_rad``.

    The cavity's shift with the pumps on (``Params.cavity_shift``) is taken to grow with the intracavity photons (a
    Kerr-like shift, docs/model.md §2): the probes add :func:`probe_photon_ratio` of the pumps' photons, and shift it
    that much further."""
    on = pump_params.replace(
        probe_g_minus=g_minus, probe_g_plus=g_minus / imbalance, probe_phase=phase_rad, probe_detuning=detuning
    )
    return on.replace(cavity_shift=pump_params.cavity_shift * (1.0 + probe_photon_ratio(on)))


def model_signal(params_on, f_offset, cross_terms=False, order=floquet.DEFAULT_ORDER):
    """Model of a subtracted trace (quanta): probes-on emission minus the probes-off pump emission (whose cavity
    shift lacks the probes' part, :func:`with_probes`).

    ``cross_terms``: the probes-on emission of the whole field with the pumps acting on the probes' sidebands and
    the probes on the pumps' (:func:`entangled_drums.physics.floquet.output_spectrum` at truncation ``order``);
    False: the two-mode model, in which the pumps and the probes scatter independent fields."""
    shift_off = params_on.cavity_shift / (1.0 + probe_photon_ratio(params_on))
    off = params_on.replace(probe_g_minus=0.0, probe_g_plus=0.0, cavity_shift=shift_off)
    if cross_terms:
        return floquet.output_spectrum(params_on, f_offset, order) - pump_spectrum(off, f_offset)
    system = linear_system(params_on)
    return (
        pump_spectrum(params_on, f_offset, system)
        + probe_signal(params_on, f_offset, system)
        - pump_spectrum(off, f_offset)
    )


def correction_parts(params_on, f_offset, order=0):
    """{"total", "balanced", "imbalance", "window", "cross_terms", "probe", "lines"} at ``params_on``: total =
    balanced x imbalance x window x cross_terms (:func:`entangled_drums.readout.correction.correction_parts`;
    window and cross_terms: :func:`window_parts` at Floquet ``order``); probe: the probe correction proper
    (:func:`probe_correction`) = balanced x imbalance x lines, lines the whole two-mode lines' area over the lines'
    windows' with the cross terms (1 for order 0)."""
    balanced, imbalance = readout_correction_parts(params_on)
    window, cross = window_parts(params_on, f_offset, order)
    probe = balanced * imbalance if order == 0 else probe_correction(params_on, order)
    return {
        "total": balanced * imbalance * window * cross,
        "balanced": balanced,
        "imbalance": imbalance,
        "window": window,
        "cross_terms": cross,
        "probe": probe,
        "lines": probe / (balanced * imbalance),
    }


#: Points per probe line of :func:`probe_correction`'s windows (trapezoid; 325 Hz apart at Omega = 650 kHz).
LINE_WINDOW_POINTS = 2001


def probe_correction(params_on, order):
    """The probe correction proper, ``<(X+^phi)^2> k(g-) / A``, with the pump–probe cross terms (Floquet ``order``)
    and ``A`` the area of :func:`model_signal` over ``Omega/2`` around each probe line (at ``-+Omega`` from f_c):
    with the cross terms the probe lines share the field with the pumps' features (at 0 and ``+-2 Omega``), so a
    whole line's area is no longer defined, and the windows stop halfway to them (as the laboratory's truth
    defines it). Without the cross terms (order 0) it is the whole lines' balanced x imbalance factor."""
    if order == 0:
        return area_correction(params_on)
    omega = params_on.Omega
    f = np.concatenate([c + np.linspace(-0.5 * omega, 0.5 * omega, LINE_WINDOW_POINTS) for c in (-omega, omega)])
    return area_correction(params_on) * probe_area(params_on) / window_area(f, model_signal(params_on, f, True, order))


def correction(params_on, f_offset, order=0):
    """(total factor F, imbalance part, window part) at ``params_on``: ``V = F A_window / k(g-)``.

    Imbalance part: :func:`entangled_drums.readout.correction.area_correction` (full area); window part:
    full model area / model area over the recorded grid ``f_offset`` (Hz from f_c); F also holds the pump–probe
    cross terms' part (:func:`window_parts` at Floquet ``order``; order 0: none, the two-mode model).
    """
    imbalance = area_correction(params_on)
    window, cross = window_parts(params_on, f_offset, order)
    return imbalance * window * cross, imbalance, window


def window_parts(params_on, f_offset, order=0):
    """(window factor, cross-term factor) at ``params_on`` over the recorded grid ``f_offset`` (Hz from f_c), both
    against the two-mode model's area over that grid (:func:`model_signal`), computed once: the window factor is
    the full two-mode area over it, the cross-term factor it over the area with the pump–probe cross terms
    (Floquet ``order``; 1 at order 0, the two-mode model): what turns the two-mode correction into that of a trace
    with them."""
    recorded = window_area(f_offset, model_signal(params_on, f_offset))
    window = probe_area(params_on) / recorded
    if order == 0:
        return window, 1.0
    return window, recorded / window_area(f_offset, model_signal(params_on, f_offset, True, order))


#: Pump-fit parameters that shape the probe signal (gain and n_add do not: the data are in quanta).
PUMP_NAMES = [n for n in pumpfit.NAMES if n not in ("gain_dB", "n_add")]


class PumpPrior:
    """The pump fit's parameters as a correlated Gaussian prior, in whitened coordinates ``x = mu + L z``."""

    def __init__(self, pump_fit, device, sideband):
        names = pump_fit["fit"]["names"]
        idx = [names.index(n) for n in PUMP_NAMES]
        self.full = np.array(pump_fit["fit"]["values"], dtype=float)
        cov = np.array(pump_fit["fit"]["covariance"], dtype=float)[np.ix_(idx, idx)]
        self.idx = idx
        self.L = np.linalg.cholesky(cov)
        self.device, self.sideband = device, sideband
        # the pumps' mean offset from their (pumps-off) sidebands as set: with it, the fitted one gives the cavity's
        # shift with the pumps on (Params.cavity_shift), which moves the probes' detuning from the cavity alike
        # while their frame stays where their tones are
        means = pump_fit["priors"].get("delta_minus,delta_plus", [[0.0, 0.0]])[0]
        self.delta_bar_set = 0.5e3 * (float(means[0]) + float(means[1]))
        self.midpoint = 0.5 * (sideband["f2"] - sideband["f1"]) + self.delta_bar_set

    def params(self, z=None):
        """Pump ``Params`` at whitened coordinates ``z`` (None: the pump fit's best values)."""
        x = self.full.copy()
        if z is not None:
            x[self.idx] = x[self.idx] + self.L @ np.asarray(z, dtype=float)
        return pumpfit.params_from(x, self.device, self.sideband, self.midpoint)


#: Gauss-Hermite nodes and weights of a standard-normal average (3 nodes: exact to 5th order in the wander).
_GH_X, _GH_W = np.polynomial.hermite_e.hermegauss(3)
_GH_W = _GH_W / _GH_W.sum()


def wandered_signal(params_on, f_offset, wander_deg, cross_terms=False, order=floquet.DEFAULT_ORDER):
    """:func:`model_signal` averaged over Gaussian probe-phase wander of rms ``wander_deg`` within
    the acquisition (the paper: phi drifts several degrees in ~30 min)."""
    if wander_deg == 0:
        return model_signal(params_on, f_offset, cross_terms, order)
    return sum(
        w
        * model_signal(
            params_on.replace(probe_phase=params_on.probe_phase + np.radians(wander_deg) * u),
            f_offset,
            cross_terms,
            order,
        )
        for u, w in zip(_GH_X, _GH_W, strict=True)
    )


#: The line-shape fit's leading parameters; then one ``z_<name>`` per pump parameter (:data:`PUMP_NAMES`), one
#: ``phase_error_deg_<i>`` per trace, and last ``phase_wander_deg``.
LINESHAPE_HEAD = ["imbalance", "phase_offset_deg", "g_minus_scale", "gain_error_dB"]


def lineshape_names(n_traces):
    """Names of the line-shape fit's parameters, in the order of its vector, for ``n_traces`` traces."""
    return (
        LINESHAPE_HEAD
        + [f"z_{n}" for n in PUMP_NAMES]
        + [f"phase_error_deg_{i}" for i in range(n_traces)]
        + ["phase_wander_deg"]
    )


def _unpack(x):
    """(imbalance, phase_offset_deg, g_minus_scale, gain_error_dB, z (pump), phase errors (deg), wander (deg)) of a
    line-shape fit vector."""
    n_pump, head = len(PUMP_NAMES), len(LINESHAPE_HEAD)
    return (*x[:head], x[head : head + n_pump], x[head + n_pump : -1], x[-1])


def fit_imbalance(
    traces,
    prior,
    couplings,
    f_c,
    settings,
    scale_sigmas,
    start=(1.0, 0.0),
    label="probe line-shape fit",
    cross_terms=None,
):
    """Joint fit of the subtracted traces: imbalance g-/g+, phase offset (deg), and nuisance parameters.

    Nuisance parameters, each with its prior, so the imbalance's error includes them: the pump
    parameters within the pump fit's covariance (``prior``: :class:`PumpPrior`, whitened
    ``z ~ N(0, 1)``); the relative errors of the red probe's calibrated coupling and of the gain
    (``scale_sigmas`` = (rel. sigma of g-, gain sigma in dB)); each trace's phase error
    ``e_i ~ N(0, phase_sigma_deg)`` (true angle = setpoint + offset + e_i); the rms phase wander
    within an acquisition, ``N(phase_wander_deg, phase_wander_sigma_deg)``, >= 0, common to all
    traces (:func:`wandered_signal`). ``settings``: the config's ``readout`` block.
    ``cross_terms``: None for the two-mode model; else a two-mode fit's result, from whose optimum and with whose
    Jacobian (the chord method, :func:`entangled_drums.stats.fitting.fit`) the model with the pump–probe cross
    terms (Floquet order ``settings["cross_terms"]["order"]``) is fitted: it costs ~14x the two-mode model per
    evaluation and changes the line shapes by a few % only.
    ``couplings``: per trace (g-, probe offset) from :func:`probe_couplings`. The residuals are
    whitened with the shared background's correlation (:func:`whitener`); the covariance is
    inflated by the reduced chi^2 when it exceeds 1. All traces must share one grid.
    """
    f_all = [t["f"] - f_c for t in traces]
    n_pump, n_tr = len(PUMP_NAMES), len(traces)
    names = lineshape_names(n_tr)

    W = whitener(traces)
    data = np.array([t["signal"] for t in traces]).T  # (bins, traces)
    order = int(settings["cross_terms"]["order"]) if cross_terms is not None else 0

    def residuals(x):
        r, offset, g_scale, gain_error, z, errors, wander = _unpack(x)
        try:
            pump = prior.params(z)
            model = np.array(
                [
                    wandered_signal(
                        with_probes(
                            pump,
                            g * g_scale,
                            r,
                            np.radians(t["setpoint_deg"] + offset + e),
                            det,
                        ),
                        f,
                        wander,
                        cross_terms is not None,
                        order,
                    )
                    for t, f, (g, det), e in zip(traces, f_all, couplings, errors, strict=True)
                ]
            ).T
        except UnstableSystemError:
            return np.full(data.size, 1e3)
        return np.einsum("kij,kj->ki", W, data - model * 10 ** (gain_error / 10)).ravel()

    wander = (float(settings["phase_wander_deg"]), float(settings["phase_wander_sigma_deg"]))
    x0 = np.concatenate([start, [1.0, 0.0], np.zeros(n_pump + n_tr), [wander[0]]])
    if cross_terms is not None:
        x0 = cross_terms.x
    priors = {
        "g_minus_scale": (1.0, float(scale_sigmas[0])),
        "gain_error_dB": (0.0, float(scale_sigmas[1])),
        "phase_wander_deg": wander,
    }
    priors.update({n: (0.0, 1.0) for n in names[4 : 4 + n_pump]})
    priors.update({n: (0.0, float(settings["phase_sigma_deg"])) for n in names[4 + n_pump : 4 + n_pump + n_tr]})
    bounds = {
        key: tuple(float(v) for v in settings["fit_bounds"][key])
        for key in ("imbalance", "phase_offset_deg", "phase_wander_deg")
    }
    return fit(
        residuals,
        x0,
        names,
        priors,
        label=label,
        bounds=bounds,
        x_scale=np.concatenate([[0.01, 1.0, 0.003, 0.05], np.ones(n_pump), np.full(n_tr, 0.5), [0.5]]),
        jacobian=cross_terms.jac if cross_terms is not None else None,
    )


def phase_curve(setpoints_deg, values, covariance):
    """Generalised least-squares fit of ``a + b cos 2phi + c sin 2phi`` to points with covariance
    ``covariance`` (n x n): (coefficients, covariance inflated by the reduced chi^2 when that
    exceeds 1, chi^2, dof)."""
    phi = np.radians(np.asarray(setpoints_deg, dtype=float))
    A = np.column_stack([np.ones_like(phi), np.cos(2 * phi), np.sin(2 * phi)])
    coef, cov, chi2 = generalised_least_squares(A, values, covariance)
    return coef, cov, chi2, phi.size - 3


def curve_value(coef, phi_deg):
    """``a + b cos 2phi + c sin 2phi`` at ``phi_deg``."""
    phi = np.radians(np.asarray(phi_deg, dtype=float))
    return coef[0] + coef[1] * np.cos(2 * phi) + coef[2] * np.sin(2 * phi)


def curve_minimum(coef):
    """(minimum, setpoint of the minimum in deg) of ``a + b cos 2phi + c sin 2phi``; works on arrays of rows."""
    coef = np.atleast_2d(coef)
    a, b, c = coef[:, 0], coef[:, 1], coef[:, 2]
    minimum = a - np.hypot(b, c)
    phi = np.degrees(0.5 * np.arctan2(-c, -b))
    return minimum.squeeze(), phi.squeeze()


def wander_factor(wander_deg):
    """``exp(2 w^2)``: how much a Gaussian phase wander of rms ``w`` (deg; scalar or array) within a trace damps a
    curve ``a + b cos 2phi + c sin 2phi`` (its ``b, c`` by ``exp(-2 w^2)``): multiply ``b, c`` by it to undo that."""
    return np.exp(2.0 * np.radians(np.asarray(wander_deg, dtype=float)) ** 2)


def model_angle_curve(coef, offset_rad):
    """Coefficients (n, 3) of a curve ``a + b cos 2s + c sin 2s`` over setpoints ``s`` re-expressed over the model's
    quadrature angle ``phi = s + offset`` (``offset_rad``: scalar or (n,))."""
    coef = np.atleast_2d(coef)
    c2, s2 = np.cos(2 * np.asarray(offset_rad)), np.sin(2 * np.asarray(offset_rad))
    a, b, c = coef[:, 0], coef[:, 1], coef[:, 2]
    return np.column_stack([a, b * c2 - c * s2, b * s2 + c * c2])


#: Fields of the probes' Monte Carlo draws: the minimum <X+^2> over phase, and the <(X+^phi)^2> curve
#: ``Xplus_a + Xplus_b cos 2phi + Xplus_c sin 2phi`` over the model's quadrature angle phi.
DRAW_FIELDS = ["Xplus", "Xplus_a", "Xplus_b", "Xplus_c"]


def sampling_records(minimum, curve):
    """The draws as a structured array with the fields of :data:`DRAW_FIELDS`."""
    out = np.empty(len(minimum), dtype=[(f, float) for f in DRAW_FIELDS])
    out["Xplus"] = minimum
    out["Xplus_a"], out["Xplus_b"], out["Xplus_c"] = np.asarray(curve).T
    return out


def log_correction_gradient(lineshape, prior, coupling, phi_opt, f0, F0, order=0):
    """Gradient of ``log F`` (the correction at the optimum, :func:`correction`'s F at Floquet
    ``order``) over the line-shape fit's parameters at its best values (central differences of 1 % of each sigma).
    ``F0``: F there."""
    x, S = lineshape.x, lineshape.cov
    grad = np.zeros(x.size)
    for j in range(x.size):
        step = 1e-2 * np.sqrt(S[j, j])
        e = np.zeros(x.size)
        e[j] = step
        up = correction(_state(prior, x + e, coupling, phi_opt), f0, order)[0]
        down = correction(_state(prior, x - e, coupling, phi_opt), f0, order)[0]
        grad[j] = (up - down) / (2 * step * F0)
    return grad


def shared_with_pminus(lineshape, prior, grad, pump_fit, device, sideband):
    """The covariance of ``log <X+^2>`` and ``<P-^2>`` through the pump parameters they share (first order).

    The correction factor depends on the pump parameters, and the line-shape fit holds them as ``z`` (prior
    ``N(0, 1)`` from the pump fit's covariance, ``theta = mu + L z``) beside the probe parameters it determines
    with them. In its posterior ``S``, ``cov(log F, P-) = grad^T S_xz h``, ``h = L^T dP-/dtheta`` (the pump fit's
    ``<P-^2>`` at its optimum, central differences of 1 % of each sigma). Returns ``{"cov_log_xplus_pminus",
    "pminus_sigma"}`` (the latter ``sqrt(h^T S_zz h)``, the same posterior's)."""
    S, names = lineshape.cov, lineshape.names
    iz = [names.index(f"z_{n}") for n in PUMP_NAMES]
    x0 = prior.full
    cov = np.asarray(pump_fit["fit"]["covariance"], dtype=float)
    k_pm = pumpfit.DERIVED.index("Pminus")
    d_theta = np.zeros(len(prior.idx))
    for j, idx in enumerate(prior.idx):
        step = 1e-2 * np.sqrt(cov[idx, idx])
        up, down = x0.copy(), x0.copy()
        up[idx] += step
        down[idx] -= step
        d_theta[j] = (
            pumpfit.draw_quantities(up, device, sideband)[k_pm] - pumpfit.draw_quantities(down, device, sideband)[k_pm]
        ) / (2 * step)
    h = prior.L.T @ d_theta
    return {
        "cov_log_xplus_pminus": float(grad @ S[:, iz] @ h),
        "pminus_sigma": float(np.sqrt(max(h @ S[np.ix_(iz, iz)] @ h, 0.0))),
    }


def interval(samples, level=0.95):
    """Central interval of ``samples`` at ``level``."""
    lo, hi = np.percentile(samples, [50 * (1 - level), 50 * (1 + level)])
    return [float(lo), float(hi)]


def _state(prior, x, couplings, phase_deg):
    """Probes-on ``Params`` at line-shape fit vector ``x`` and setpoint ``phase_deg`` (the trace's
    own phase error left out)."""
    g, det = couplings
    imbalance, offset, g_scale, _, z, _, _ = _unpack(x)
    pump = prior.params(z)
    return with_probes(pump, g * g_scale, imbalance, np.radians(phase_deg + offset), det)


def _points_curve(sp, values, own, common, settings):
    """The phase curve through the points ``values`` at setpoints ``sp`` (deg): ``(phase_curve's (coef, cov, chi2,
    dof), stat_cov, point_cov)``. ``own``, ``common``: each point's own and the shared background's averaging sigma;
    the setpoints' own error (``settings["phase_sigma_deg"]``) enters through the curve's slope (one refinement)."""
    stat_cov = np.diag(own**2) + np.outer(common, common)
    coef = phase_curve(sp, values, stat_cov)[0]
    slope = np.abs(curve_value(coef, sp + 0.5) - curve_value(coef, sp - 0.5))
    point_cov = stat_cov + np.diag((slope * float(settings["phase_sigma_deg"])) ** 2)
    return phase_curve(sp, values, point_cov), stat_cov, point_cov


def _read_minimum(traces, couplings, ks, prior, x, own, common, settings, f_c, order):
    """The readout's minimum ``<X+^2>`` at line-shape fit vector ``x`` with the Floquet ``order`` (0: the two-mode
    model), as :func:`analyse` forms it: each trace's area x correction / ``k`` (``ks``), the phase curve
    (:func:`_points_curve`; weights ``own``, ``common``), its modulation restored by the fitted wander."""
    values = np.array(
        [
            correction(_state(prior, x, c, t["setpoint_deg"]), t["f"] - f_c, order)[0]
            * window_area(t["f"], t["signal"])
            / k
            for t, c, k in zip(traces, couplings, ks, strict=True)
        ]
    )
    sp = np.array([t["setpoint_deg"] for t in traces])
    coef = _points_curve(sp, values, own, common, settings)[0][0]
    undamp = float(wander_factor(_unpack(x)[-1])) if bool(settings.get("wander_correction", True)) else 1.0
    return float(curve_minimum(coef * [1.0, undamp, undamp])[0])


def analyse(
    probe_ds, background_ds, pump_fit, device, sideband, probe_cal, settings, rng, gain_drift_dB, source="probe data"
):
    """The whole probe readout of one data set; returns (JSON-ready dict, Monte Carlo draws: a structured array with
    the fields of :data:`DRAW_FIELDS`).

    ``pump_fit``: the data set's entry of the pump fits (``fit`` with values and covariance,
    ``prior_parts``). ``probe_cal``: the probe calibration's dict. ``settings``: the config's
    ``readout`` block (``phase_sigma_deg``, ``phase_wander_deg``, ``phase_wander_sigma_deg``, ``probe_power_drift``,
    ``n_draws``, ``n_correction_draws``). ``rng``: numpy Generator. ``gain_drift_dB``: rms drift
    of the line gain between the probe calibration and this data set (config ``fits.drift``): the
    probe areas scale with it, and the calibration's gain does not cancel it.
    """
    gain_db, n_add, f_c = sideband["gain_dB"], sideband["n_add"], float(device["f_c"])
    traces = subtracted(probe_ds, background_ds, gain_db, n_add, source)
    couplings = [probe_couplings(probe_ds, t["index"], device, sideband) for t in traces]
    prior = PumpPrior(pump_fit, device, sideband)
    try:
        scale_sigmas = (
            0.5 * sideband["K1_sigma"] / sideband["K1"],
            float(np.hypot(sideband["gain_dB_sigma"], gain_drift_dB)),
        )
        lineshape = fit_imbalance(
            traces, prior, couplings, f_c, settings, scale_sigmas, label=f"probe line-shape fit ({source})"
        )
        # the pump-probe cross terms (one field for pumps and probes): the fit refined with them (the chord method)
        two_mode, order = lineshape, 0
        if settings["cross_terms"]["correct"]:
            order = int(settings["cross_terms"]["order"])
            lineshape = fit_imbalance(
                traces,
                prior,
                couplings,
                f_c,
                settings,
                scale_sigmas,
                label=f"probe line-shape fit with the cross terms ({source})",
                cross_terms=two_mode,
            )
    except (FitError, UnstableSystemError) as err:
        raise FitError(f"{source}: {err}") from err
    x = lineshape.x
    fitted = dict(zip(lineshape_names(len(traces)), x, strict=True))
    s, s_sigma = probe_cal["area_per_variance_per_mW"], probe_cal["area_per_variance_per_mW_sigma"]
    # the shared background's area noise is common to every point
    background_area_sigma = window_area(traces[0]["f"], 0.0 * traces[0]["f"], traces[0]["sigma_background"])[1]
    points = []
    ks = [s * 10 ** (tone(probe_ds, t["index"], "probe_red")[1] / 10) for t in traces]
    for t, c, k in zip(traces, couplings, ks, strict=True):
        f = t["f"] - f_c
        p_on = _state(prior, x, c, t["setpoint_deg"])
        F, F_imb, F_win = correction(p_on, f, order)
        area, area_sigma = window_area(t["f"], t["signal"], t["sigma_probe"])
        points.append(
            {
                "setpoint_deg": t["setpoint_deg"],
                "area": area,
                "area_sigma": area_sigma,
                "k": k,
                "correction": F,
                "correction_imbalance": F_imb,
                "correction_window": F_win,
                "value": F * area / k,
                "stat_sigma": F * np.hypot(area_sigma, background_area_sigma) / k,
                "probe_sigma": F * area_sigma / k,
                "background_sigma": F * background_area_sigma / k,
                "model_variance": float(collective_variances(p_on, p_on.probe_phase)[0]),
                "chi2_reduced": float(
                    np.mean(
                        (
                            (
                                t["signal"]
                                - wandered_signal(p_on, f, fitted["phase_wander_deg"], order > 0, order)
                                * 10 ** (fitted["gain_error_dB"] / 10)
                            )
                            / t["sigma"]
                        )
                        ** 2
                    )
                ),
            }
        )
    sp = np.array([q["setpoint_deg"] for q in points])
    values = np.array([q["value"] for q in points])
    common = np.array([q["background_sigma"] for q in points])
    own = np.array([q["probe_sigma"] for q in points])
    (coef, cov, chi2, dof), stat_cov, point_cov = _points_curve(sp, values, own, common, settings)
    inflation = max(1.0, chi2 / max(dof, 1))
    # the wander within a trace damps the curve's modulation by exp(-2 w^2): restore it (module docstring)
    correct_wander = bool(settings.get("wander_correction", True))
    w_deg, w_sigma = float(fitted["phase_wander_deg"]), lineshape.error("phase_wander_deg")
    undamp = float(wander_factor(w_deg)) if correct_wander else 1.0
    recorded_min = float(curve_minimum(coef)[0])
    v_min, phi_opt = (float(v) for v in curve_minimum(coef * [1.0, undamp, undamp]))
    # what the cross terms moved: the minimum read with the two-mode model throughout
    cross = {"applied": order > 0, "order": order}
    if order:
        cross["two_mode_minimum"] = _read_minimum(
            traces, couplings, ks, prior, two_mode.x, own, common, settings, f_c, 0
        )
        cross["two_mode_imbalance"] = {"value": two_mode.value("imbalance"), "sigma": two_mode.error("imbalance")}
        cross["chi2_two_mode"], cross["chi2"] = two_mode.chi2, lineshape.chi2
    # the correction at the optimum over the line-shape fit's posterior (imbalance and pump parameters)
    f0 = traces[0]["f"] - f_c
    x_draws = rng.multivariate_normal(x, lineshape.cov, size=int(settings["n_correction_draws"]))
    part_draws = [correction_parts(_state(prior, xd, couplings[0], phi_opt), f0, order) for xd in x_draws]
    # the probe correction proper (balanced x imbalance, or with the cross terms over the lines' windows)
    F_draws = np.array([[d["total"], d["probe"]] for d in part_draws])
    parts = correction_parts(_state(prior, x, couplings[0], phi_opt), f0, order)
    F_opt = (parts["total"], parts["probe"], parts["window"])
    rel_F = float(np.std(F_draws[:, 0]) / F_opt[0])
    rel_s = s_sigma / s
    rel_drift = np.log(10) / 10 * float(gain_drift_dB)
    # the red probe's power at the device, calibration to data set (the area scales with it; the factor does not)
    rel_power = float(settings["probe_power_drift"])
    # Monte Carlo: curve coefficients x calibration scale x gain drift x probe power x correction factor
    n = int(settings["n_draws"])
    coef_draws = rng.multivariate_normal(coef, cov, size=n)
    if correct_wander:
        coef_draws[:, 1:] *= wander_factor(np.maximum(0.0, w_deg + w_sigma * rng.standard_normal(n)))[:, None]
    mins, phis = curve_minimum(coef_draws)
    scale = (
        rng.choice(F_draws[:, 0], size=n)
        / F_opt[0]
        / (1.0 + rel_s * rng.standard_normal(n))
        * (1.0 + rel_drift * rng.standard_normal(n))
        * (1.0 + rel_power * rng.standard_normal(n))
    )
    mins = mins * scale
    # the same draws as curves over the model's quadrature angle phi = setpoint + offset (for Duan at one phase)
    offset = np.radians(fitted["phase_offset_deg"] + lineshape.error("phase_offset_deg") * rng.standard_normal(n))
    curve = model_angle_curve(coef_draws * scale[:, None], offset)
    grad = log_correction_gradient(lineshape, prior, couplings[0], phi_opt, f0, F_opt[0], order)
    for q in points:
        q["sigma"] = float(
            np.sqrt(
                q["stat_sigma"] ** 2
                + (q["value"] * rel_s) ** 2
                + (q["value"] * rel_F) ** 2
                + (q["value"] * rel_drift) ** 2
                + (q["value"] * rel_power) ** 2
            )
        )
    shares = _budget(
        sp,
        point_cov,
        stat_cov,
        inflation,
        coef,
        v_min,
        lineshape,
        prior,
        pump_fit,
        rel_s,
        (rel_drift, rel_power),
        scale_sigmas,
        sideband["gain_dB_sigma"],
        gain_drift_dB,
        settings,
        (undamp, np.radians(w_deg), np.radians(w_sigma)),
        grad,
    )
    paper = paper_estimator(
        sp, points, point_cov, float(settings["paper_area_factor"]), rel_s, float(np.hypot(rel_drift, rel_power)), v_min
    )
    result = {
        "paper_estimator": paper,
        "points": points,
        **{
            key: {"value": float(fitted[key]), "sigma": lineshape.error(key)}
            for key in ("imbalance", "phase_offset_deg", "phase_wander_deg")
        },
        "lineshape_fit": lineshape.as_dict(),
        "wander_correction": {
            "applied": correct_wander,
            "factor": undamp,
            "recorded_minimum": recorded_min,
            "shift": v_min - recorded_min,
        },
        "cross_terms": cross,
        "phase_curve": {
            "coefficients": coef.tolist(),
            "covariance": cov.tolist(),
            "chi2": chi2,
            "dof": dof,
            "covariance_inflation": inflation,
            "phase_sigma_deg": float(settings["phase_sigma_deg"]),
        },
        "correction_at_optimum": {
            "value": float(F_opt[0]),
            "sigma": float(F_opt[0] * rel_F),
            "window_part": float(F_opt[2]),
        },
        # what <X+^2> shares with the pump fit's <P-^2> (first order): the verdict draws the two jointly with it
        "shared_with_pminus": shared_with_pminus(lineshape, prior, grad, pump_fit, device, sideband),
        "probe_correction": {"value": float(F_opt[1]), "sigma": float(np.std(F_draws[:, 1]))},
        "correction_parts": {
            key: {"value": float(parts[key]), "sigma": float(np.std([d[key] for d in part_draws]))}
            for key in ("balanced", "imbalance", "window", "cross_terms", "lines")
        },
        # the balanced part's physical causes at the optimum (Shapley shares; readout.correction.balanced_causes)
        "balanced_causes": balanced_causes(_state(prior, x, couplings[0], phi_opt)),
        "calibration_relative_sigma": float(rel_s),
        "gain_drift_relative_sigma": float(rel_drift),
        "probe_power_relative_sigma": rel_power,
        "budget": {
            "method": "variance decomposition by independent source, first order (entangled_drums.stats.shares)",
            "shares": shares,
            "linear_total": float(sum(shares.values())),
            "draws_variance": float(np.var(mins)),
        },
        "Xplus": {
            "value": v_min,
            "sigma": float(np.std(mins)),
            "ci95": interval(mins),
            "ci68": interval(mins, 0.68),
            "prob_below_half": float(np.mean(mins < 0.5)),
        },
        "phi_opt_deg": {"value": phi_opt, "sigma": float(np.std(phis)), "ci95": interval(phis)},
        "n_draws": n,
    }
    return result, sampling_records(mins, curve)


def paper_estimator(setpoints_deg, points, point_cov, factor, rel_s, rel_drift, ours_min):
    """The paper's estimator of ``<X+^2>``: each recorded probe area times ``factor`` (the paper's 18 % imbalance
    correction) and nothing else, through the same phase-curve fit and minimum as ours.

    ``points``: :func:`analyse`'s points (``area``, ``k``, ``correction``); ``point_cov``: their covariance with
    our correction (rescaled here by ``factor / correction`` per point). Errors: the fit's covariance, the probe
    calibration's relative error ``rel_s`` and the drifts' ``rel_drift`` (gain and probe power), to first order
    (the minimum's gradient by central differences). ``ours_min``: our minimum. Returns ``{"value", "sigma", "factor",
    "ratio_to_ours"}``, the last the ratio of the two minima (ours / the paper's).
    """
    ours = np.array([q["value"] for q in points])
    rescale = np.array([factor / q["correction"] for q in points])
    values = ours * rescale
    cov = point_cov * np.outer(rescale, rescale)
    coef, coef_cov, _, _ = phase_curve(setpoints_deg, values, cov)
    v_min = float(curve_minimum(coef)[0])
    step = 1e-6 * max(1.0, float(np.abs(coef).max()))
    grad = np.array(
        [(curve_minimum(coef + step * e)[0] - curve_minimum(coef - step * e)[0]) / (2 * step) for e in np.eye(3)]
    )
    variance = float(grad @ coef_cov @ grad) + v_min**2 * (rel_s**2 + rel_drift**2)
    return {"value": v_min, "sigma": float(np.sqrt(variance)), "factor": factor, "ratio_to_ours": ours_min / v_min}


def _budget(
    sp,
    point_cov,
    stat_cov,
    inflation,
    coef,
    v_min,
    lineshape,
    prior,
    pump_fit,
    rel_s,
    rel_drifts,
    scale_sigmas,
    gain_sigma,
    gain_drift_dB,
    settings,
    wander,
    grad,
):
    """Shares of the probe minimum's variance by source (:mod:`entangled_drums.stats.shares`), to first order.

    The minimum is ``m(coef) F(x) / F(x_hat)`` over the probe calibration's scale and the drifts ``rel_drifts`` =
    (gain, the red probe's power at the device; relative), with
    ``m = a - u sqrt(b^2 + c^2)``; ``wander`` = (u, w, sigma_w): the wander correction ``u = exp(2 w^2)``
    (1 when it is not applied) and the wander's rms and sigma (rad), whose share joins the phase drift's;
    ``grad``: :func:`log_correction_gradient`.
    The curve's coefficients scatter with the points' averaging noise and their phase errors
    (``M C M^T`` for each part of the points' covariance, ``M`` the GLS estimator); the
    correction ``F`` with the line-shape fit's posterior, split by its priors (the pump fit's
    part further by the pump fit's own sources); the calibration scale and each drift are one
    source each.
    """
    phi = np.radians(sp)
    A = np.column_stack([np.ones_like(phi), np.cos(2 * phi), np.sin(2 * phi)])
    Ci = np.linalg.inv(point_cov)
    M = np.linalg.solve(A.T @ Ci @ A, A.T @ Ci)
    h = np.hypot(coef[1], coef[2])
    undamp, w, w_sigma = wander
    g = np.array([1.0, -undamp * coef[1] / h, -undamp * coef[2] / h]) / v_min  # relative
    wander_share = (4.0 * w * undamp * h * w_sigma / v_min) ** 2 if undamp != 1.0 else 0.0
    rel = {
        "averaging noise (probe spectra)": float(g @ M @ stat_cov @ M.T @ g) * inflation,
        "phase drift": float(g @ M @ (point_cov - stat_cov) @ M.T @ g) * inflation + wander_share,
        "probe calibration": float(rel_s**2),
        "drift: gain": float(rel_drifts[0] ** 2),
        "drift: probe power": float(rel_drifts[1] ** 2),
    }
    # the correction: its gradient over the line-shape fit's parameters (relative)
    S = lineshape.cov
    names = lineshape.names
    z_names = [f"z_{n}" for n in PUMP_NAMES]
    phase_names = [n for n in names if n.startswith("phase_error_deg_")] + ["phase_wander_deg"]
    parts = {
        "G+- transfer": (("g_minus_scale",), [[scale_sigmas[0] ** 2]]),
        "gain and n_add": (("gain_error_dB",), [[gain_sigma**2]]),
        "drift: gain": (("gain_error_dB",), [[float(gain_drift_dB) ** 2]]),
        "phase drift": (
            tuple(phase_names),
            np.diag(
                [float(settings["phase_sigma_deg"]) ** 2] * (len(phase_names) - 1)
                + [float(settings["phase_wander_sigma_deg"]) ** 2]
            ),
        ),
        "pump fit": (tuple(z_names), np.eye(len(z_names))),
    }
    c = S @ grad
    shares, _ = split(S, c, parts, names)
    shares["averaging noise (probe spectra)"] = shares.pop("averaging noise")
    # the pump fit's share, by the pump fit's own sources
    pump_share = shares.pop("pump fit")
    c_z = c[[names.index(n) for n in z_names]]
    fit_names = pump_fit["fit"]["names"]
    cov_p = np.asarray(pump_fit["fit"]["covariance"], dtype=float)
    w = np.linalg.solve(prior.L.T, c_z)  # c_z = L^T w: the sensitivity in the pump parameters
    c_p = cov_p[:, prior.idx] @ w
    pump_parts = {k: (tuple(v["names"]), v["covariance"]) for k, v in pump_fit["prior_parts"].items()}
    pump_shares, pump_linear = split(cov_p, c_p, pump_parts, fit_names)
    pump_shares["averaging noise (pump spectrum)"] = pump_shares.pop("averaging noise")
    assert np.isclose(pump_linear, pump_share, rtol=1e-6, atol=1e-12), (pump_linear, pump_share)
    for source, v in combine(shares, pump_shares).items():
        rel[source] = rel.get(source, 0.0) + v
    return {source: float(v * v_min**2) for source, v in rel.items()}


def curves(probe_ds, background_ds, result, pump_fit, device, sideband):
    """Data and fitted model of every subtracted trace (for Fig. 3): list of dicts with ``f``,
    ``signal``, ``sigma``, ``model`` (quanta) and ``setpoint_deg``."""
    f_c = float(device["f_c"])
    traces = subtracted(probe_ds, background_ds, sideband["gain_dB"], sideband["n_add"])
    prior = PumpPrior(pump_fit, device, sideband)
    x = np.array(result["lineshape_fit"]["values"])
    _, _, _, gain_error, _, _, wander = _unpack(x)
    order = int(result.get("cross_terms", {}).get("order", 0))
    for t in traces:
        c = probe_couplings(probe_ds, t["index"], device, sideband)
        t["model"] = wandered_signal(
            _state(prior, x, c, t["setpoint_deg"]), t["f"] - f_c, wander, order > 0, order
        ) * 10 ** (gain_error / 10)
    return traces


def theory_variance(pump_fit, device, sideband, setpoints_deg, offset_deg):
    """Model ``<(X+^phi)^2>`` and ``<(P-^phi)^2>`` of the pump fit's state (probes off) at setpoints (deg)."""
    p = PumpPrior(pump_fit, device, sideband).params()
    V = steady_state(p)
    return np.array([collective_variances(p, np.radians(s + offset_deg), V) for s in np.atleast_1d(setpoints_deg)])
