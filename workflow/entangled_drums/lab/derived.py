"""The true quantities of one replica, from the laboratory's own forward model (simulation_truth.json).

Per data set: the drums' time-averaged state in the frame of the pumps (:func:`.circuit.drum_covariance`,
counter-rotating couplings and all), the collective variances ⟨(X+^φ)²⟩, ⟨(P−^φ)²⟩ and the Duan quantity
at the angle that minimises it; the operating point as the analysis parametrises it (the couplings
g_j|α_k| the device really sees, the tones' offsets from the sidebands of the cavity as it sits with the
tones on, the cavity bath as one occupation including the pumps' phase noise); and, for the data sets
with probe spectra, the probes' true imbalance and the true correction from the probe area to the
variance. Only the studies compare with these; the analysis never reads them.
"""

import dataclasses

import numpy as np

from . import simulate
from .circuit import drum_covariance, output_spectrum


def collective(V, phi):
    """⟨(X+^φ)²⟩ and ⟨(P−^φ)²⟩ from the covariance of (x1, p1, x2, p2) (docs/model.md §3)."""
    s = 1.0 / np.sqrt(2.0)
    c, n = np.cos(phi), np.sin(phi)
    xp = s * np.array([c, n, c, n])
    pm = s * np.array([n, -c, -n, c])
    return float(xp @ V @ xp), float(pm @ V @ pm)


def optimum(V):
    """(angle, Duan) of the smallest Duan(φ) = ⟨(X+^φ)²⟩ + ⟨(P−^φ)²⟩, in closed form.

    Both variances are quadratic forms in (cos φ, sin φ), so Duan(φ) = a + b cos 2φ + c sin 2φ with
    a ± b = Duan(0), Duan(90°) and a + c = Duan(45°); its minimum a − √(b² + c²) lies at 2φ = atan2(−c, −b).
    (A numerical search found a flat Duan(φ), thermal drums, unbracketable on one CPU and not on another, and
    located a minimum only to √ε.) The angle is in (−90°, 90°]; Duan is evaluated there."""
    d0, d45, d90 = (sum(collective(V, p)) for p in (0.0, 0.25 * np.pi, 0.5 * np.pi))
    a = 0.5 * (d0 + d90)
    phi = 0.5 * float(np.arctan2(-(d45 - a), -0.5 * (d0 - d90)))
    return phi, float(sum(collective(V, phi)))


def state(lab, circuit, tones):
    """The drums' covariance at an operating point (frame: half the spacing of the first two tones, the pumps)."""
    frame = 0.5 * (tones[1].offset - tones[0].offset)
    centres = [lab.f_true[1] - frame, lab.f_true[2] - frame]
    V, imag = drum_covariance(
        circuit, tones, frame, centres=centres, max_hops=simulate.HOPS, near=simulate.NEAR, **lab.options()
    )
    assert imag < 1e-9 * np.abs(V).max(), imag
    return V


def probe_area(lab, circuit_on, tones_on, circuit_off, tones_off, omega, half=None, bins=24001):
    """Area (quanta x Hz) of the probes' signal over both probe lines in full.

    Without the cross terms (the analysis' picture) the probes' field is a cavity mode of its own: its emission
    with the probe tones less the same mode's without them, from 3 MHz below the red line to 3 MHz above the blue
    one (the whole lines: the correction this defines is the analysis' balanced x imbalance factor, without its
    window factor). With the cross terms, or with ``half`` given (the pumps-off calibration's narrow lines), the
    probes-on spectrum less the probes-off one over ``half`` around each line (default Omega/2, clear of the
    pumps' features at 0 and 2 Omega)."""
    opts = dict(lab.options(), max_hops=simulate.HOPS, near=simulate.NEAR)
    if not lab.on["cross_terms"] and half is None:
        f = np.linspace(-omega - 3e6, omega + 3e6, 66001)  # both lines and their tails, 100 Hz apart
        on = output_spectrum(circuit_on, tones_on, f, x_ref=0.0, seed_family="probe", **opts)
        return float(np.trapezoid(on - output_spectrum(circuit_on, [], f, **opts), f))
    total = 0.0
    for centre in (-omega, omega):
        h = 0.5 * omega if half is None else half
        f = np.linspace(centre - h, centre + h, bins)
        on = simulate.spectrum(circuit_on, tones_on, f, centre, opts)
        off = simulate.spectrum(circuit_off, tones_off, f, centre, opts)
        total += float(np.trapezoid(on - off, f))
    return total


def calibration_tones(lab, balance=True):
    """The probe calibration's tones (pumps off) as the truth takes them: (tones, cavity shift, pump phase noise).

    Balanced at the device (the analysis' k(g) is the balanced one): the blue probe's power corrected for the input
    line's transfer between the probes relative to their drums' red-side calibrations (the slope) and for the photon
    energy (the same power carries f_r / f_b as many photons at the blue probe: 0.39 %, which left the pair 0.2 % off
    balance in g and the constant 0.2 % low before), then exactly (what is left, ~2e-4 in g: the probes' own cavity
    shift, which moves the red probe closer). ``balance=False``: the slope's correction only (the truth before)."""
    settings = lab.probe_settings(None)
    f_r = settings["probe_red"][0]
    f_b, p_b, fam_b, e_b = settings["probe_blue"]
    loss = lab.transmission_db(lab.f_c - lab.f_nom[2]) - lab.transmission_db(f_b)
    loss -= lab.transmission_db(lab.f_c - lab.f_nom[1]) - lab.transmission_db(f_r)
    energy = 10.0 * np.log10(f_b / f_r) if balance else 0.0
    tones, shift, n_pn = lab.tones(
        lab.device_settings(dict(settings, probe_blue=(f_b, p_b + loss + energy, fam_b, e_b)))
    )
    if balance:
        ratio = lab.g1 * abs(tones[0].alpha) / (lab.g2 * abs(tones[1].alpha))
        tones[1] = dataclasses.replace(tones[1], alpha=tones[1].alpha * ratio)
    return tones, shift, n_pn


def area_per_variance(lab, tones, shift, n_pn, omega):
    """Probe calibration constant (quanta x Hz per unit ⟨(X+)²⟩): the area of the probe ``tones``' narrow lines with
    the pumps off (cavity ``shift``, pump phase noise ``n_pn`` of the probes themselves, in both spectra so that it
    cancels), over +-Omega/2 around each at 3.25 Hz bins (the recorded +-15 kHz hold ~99 %), per unit of the variance
    they read (with them on: they also damp the drums, off resonance by Omega)."""
    off = lab.circuit(0.0, shift=shift, n_input_extra=n_pn)
    area = probe_area(lab, off, tones, off, [], omega, half=0.5 * omega, bins=200001)
    return area / collective(state(lab, off, tones), 0.0)[0]


def probe_correction(lab, on, tones_on, circuit_off, tones_off, x_on, omega, calibration):
    """The probe correction proper at a data set's operating point: ``x_on`` = ⟨(X+^φ)²⟩ with the probes on, times the
    calibration constant at the red probe's coupling as it is with the pumps on, over the probe lines' area.

    What the readout's factor is (``readout.probes.probe_correction``): a property of the device at its operating
    point. Two things that move the area the readout records are not part of it, and are measured by ⟨X+²⟩'s
    coverage instead: the red probe's power transfer error (the readout divides by the recorded power; the factor
    is at the coupling the device sees) and the probes' own phase-noise floor (broadband noise on the input port,
    left by the probes-off background subtraction; here taken out of the lines' area by the probes-off input
    noise). The constant is :func:`area_per_variance` of the calibration's balanced tones ``calibration`` = (tones,
    shift, noise) scaled to the red probe's amplitude with the pumps on (the cavity's shift moves it too)."""
    cal_tones, cal_shift, cal_noise = calibration
    scale = abs(tones_on[2].alpha) / abs(cal_tones[0].alpha)
    scaled = [dataclasses.replace(t, alpha=t.alpha * scale) for t in cal_tones]
    k = area_per_variance(lab, scaled, cal_shift * scale**2, cal_noise * scale**2, omega)
    lines = dataclasses.replace(on, n_port=dict(circuit_off.n_port))  # the input noise without the probes' part
    area = probe_area(lab, lines, tones_on, circuit_off, tones_off, omega)
    return x_on * k / area


def derived_truth(lab):
    """True quantities of the replica ``lab``: JSON-ready dict."""
    raw = lab.raw
    d = raw["device"]
    omega = 0.5 * (lab.f_nom[2] - lab.f_nom[1])
    base = lab.occupation(1, lab.T_base), lab.occupation(2, lab.T_base)
    # the probe constant: area per unit <X+^2> per mW of red-probe power, pumps off, at the working g
    settings = lab.probe_settings(None)
    calibration = calibration_tones(lab)
    k_probe = area_per_variance(lab, *calibration, omega) / 10 ** (settings["probe_red"][1] / 10)
    x_thermal = 0.5 * (base[0] + base[1]) + 0.5
    out = {
        "datasets": {},
        "cavity": {
            "f_c": lab.f_c,
            "kappa": lab.kappa,
            "kappa_in": float(d["kappa_in"]),
            "kappa_out": float(d["kappa_out"]),
            "kappa_I": float(d["kappa_int"]),
            "gamma1": float(d["gamma1"]),
            "gamma2": float(d["gamma2"]),
        },
        "calibration": {
            "gain_dB": lab.gain_dB(),
            "n_add": float(raw["instrument"]["n_add"]),
            "K1": lab.calibrated_K(1),
            "K2": lab.calibrated_K(2),
            "f1": lab.f_true[1],
            "f2": lab.f_true[2],
            "n1_base": base[0],
            "n2_base": base[1],
            "g_ratio": float(d["g_ratio"]),
            "collective_thermal_variance": x_thermal,
            "probe_phase_offset_deg": lab.phase_offset_deg,
            "probe_area_per_variance_per_mW": k_probe,
            "input_slope_dB_per_MHz": lab.slope,
        },
    }
    for name in raw["datasets"]:
        circuit, tones, shift, settings = simulate.operating_point(lab, name)
        V = state(lab, circuit, tones)
        phi, duan = optimum(V)
        x, pm = collective(V, phi)
        red, blue = tones[0], tones[1]
        f_red, f_blue = lab.f_c + red.offset, lab.f_c + blue.offset
        n_c, n_m1, n_m2 = lab.baths(name)
        entry = {
            "Xplus": x,
            "Pminus": pm,
            "duan": duan,
            "phi_opt_quadrature_deg": float(np.degrees(phi)),
            "phi_opt_deg": float(np.degrees(phi)) - lab.phase_offset_deg,
            # the operating point as the analysis parametrises it
            "G_minus": lab.g1 * abs(red.alpha),
            "G_plus": lab.g2 * abs(blue.alpha),
            "delta_minus": f_red - (lab.f_c + shift - circuit.f1),  # the drums as they are (drifted)
            "delta_plus": f_blue - (lab.f_c + shift + circuit.f2),
            "g_ratio": float(d["g_ratio"]),
            "n_c": circuit.n_c,
            "n_c_heated": n_c,
            "n_m1": n_m1,
            "n_m2": n_m2,
            "kappa": lab.kappa,
            "kappa_out": float(d["kappa_out"]),
            "gamma1": float(d["gamma1"]),
            "gamma2": float(d["gamma2"]),
            "cavity_shift": shift,
            "drift": lab.drift(name),
        }
        if name in raw["probes"]["datasets"]:
            on, tones_on, _, _ = simulate.operating_point(lab, name, True, phi)
            pr_red, pr_blue = tones_on[2], tones_on[3]
            entry["probe_imbalance"] = (lab.g1 * abs(pr_red.alpha)) / (lab.g2 * abs(pr_blue.alpha))
            V_on = state(lab, on, tones_on)
            entry["Xplus_with_probes"] = collective(V_on, phi)[0]
            entry["probe_correction"] = probe_correction(
                lab, on, tones_on, circuit, tones, entry["Xplus_with_probes"], omega, calibration
            )
        out["datasets"][name] = entry
    return out
