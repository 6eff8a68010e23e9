"""An independent check of the cavity calibration: resonator-tools' circle fit on the reflections.

resonator-tools (S. Probst, ``resonator_tools.circuit.reflection_port``) fits a resonance in
reflection by the circle fit of Probst et al., Rev. Sci. Instrum. 86, 024706 (2015): it removes the
cable delay, fits a circle to the complex data (algebraic fit, Chernov & Lesort 2005), moves it to
its canonical position, and fits the phase around the circle's centre, which gives the loaded
quality factor Q_l and the resonance f_r; the circle's diameter gives Q_l/Q_c. Its model,
``S11 = a e^{iα} e^{-2πifτ} (2 Q_l/Q_c − 1 + 2i Q_l (f_r − f)/f_r) / (1 − 2i Q_l (f_r − f)/f_r)``, is
ours (``calibration.cavity``) times −1 with κ = f_r/Q_l and the port's rate κ_c = f_r/Q_c
(checked on noise-free sweeps: both give the same rates to machine precision). So each reflection
gives κ, its own port's rate and the rest, κ_i = f_r/Q_i = κ − κ_c:

* S22 (the output port, strongly over-coupled: a circle of radius κ_out/κ ≈ 0.82): κ, κ_out;
* S11 (the input port, weakly coupled: radius κ_in/κ ≈ 0.04): κ_in;
* κ_I = κ_i(S22) − κ_in(S11), the two traces' errors added in quadrature (independent sweeps).

The transmission S21 is not used: resonator-tools' ``transmission_port`` fits |S21|² to a
Lorentzian without a baseline, and the line's amplitude slope (which S21, having no off-resonance
plateau, cannot show) moves its κ by up to 1.5 % (four of its own standard errors on the archive).

**What we do around resonator-tools, and why** (each step is resonator-tools' own advice or fixes
a failure measured on these sweeps):

1. *The baseline.* ``reflection_port`` ignores an amplitude slope and says to remove the baseline
   before fitting. We divide each sweep by ``1 + s (f − f_mid)``, with ``s`` from straight-line
   fits of |S| to the outer 30 % of the span on each side (a symmetric dip does not bias a slope).
2. *The electrical delay.* ``autofit()`` finds the delay by making the data as circular as
   possible (``_fit_delay``, started at 0). On these sweeps (50-60 ns, a ±5 MHz span) that search
   lands up to 2.5 ns off on S22, and κ then scatters by ~4 % over fresh draws; resonator-tools'
   examples say to give the delay by hand when in doubt (``autofit(electric_delay=...)``). The
   circle criterion is also blind to the delay far from resonance: there a delay moves the points
   *along* the circle. We therefore give ``autofit`` the delay at which the residual phase, data
   over resonator-tools' fitted model, has no slope across the span (a secant search started from
   the wings' phase slopes): it lands within 0.04 ns of the simulated delays.
3. *The noise bias of the small circle.* An algebraic circle fit overestimates the radius by
   ≈ 2σ²/r (σ the noise per component; Chernov & Lesort 2005). On S11, σ/r ≈ 0.16 and κ_in reads
   5-11 % high (four to six standard errors). We average the sweep in groups of m consecutive
   points (as an m-times narrower IF bandwidth would) until σ/r ≤ 0.05 per averaged point (the
   bias then ≤ 0.5 % of r), keeping each group narrower than κ/10 (averaging over a group of width
   w moves a point by at most (2/3)(w/κ)² ≤ 0.7 % of r, at the resonance, less elsewhere). S22
   needs no averaging (m = 1).

resonator-tools 2.2.0 runs as it is with numpy 2.4 and scipy 1.17: nothing is patched (its own
fit tests pass; the two that fail check the notch photon number that 2.2.0 corrected). Its
``_fit_circle`` solves for the algebraic fit's eigenvalue with ``scipy.optimize.fsolve``, which
warns in some fits ("not making good progress"; 7 times per S22 fit here); the warnings are
counted in each port's result. resonator-tools' errors come from its covariance of (f_r, Q_c, Q_l)
given the normalised data: they leave out the uncertainty of the delay, the baseline and the
normalisation, and on these sweeps they are 1.2-2.2 times the scatter of its estimates over fresh
draws (conservative).
"""

import io
import math
import warnings
from contextlib import redirect_stdout

import numpy as np

#: Outer fraction of the span on each side that serves as the baseline.
WING = 0.3
#: Noise per averaged point relative to the circle's radius at which the points are averaged no further.
MAX_NOISE_PER_RADIUS = 0.05
#: Widest group of averaged points, as a fraction of the linewidth.
MAX_GROUP_PER_LINEWIDTH = 0.1
#: Fewest points the circle fit keeps after averaging.
MIN_POINTS = 50
#: The delay search stops when the residual phase slope corresponds to less than this delay (s).
DELAY_TOL = 1e-14
#: Which port's circle gives which cavity rate.
PORTS = {"S11": "kappa_in", "S22": "kappa_out"}
#: The compared quantities, in the table's order.
QUANTITIES = ("kappa", "kappa_in", "kappa_out", "kappa_I")


def _traces(ds):
    out = {}
    for i in range(ds.sizes["trace"]):
        f = np.asarray(ds["frequency"].values[i], dtype=float)
        s = np.asarray(ds["s_real"].values[i], dtype=float) + 1j * np.asarray(ds["s_imag"].values[i], dtype=float)
        out[str(ds["port"].values[i])] = (f, s)
    return out


def baseline(f, s):
    """The wings' electrical delay (s) and relative amplitude slope (1/Hz) about the span's middle ``f_mid``."""
    span = f[-1] - f[0]
    lo, hi = f < f[0] + WING * span, f > f[-1] - WING * span
    phase = np.unwrap(np.angle(s))
    delay = -np.mean([np.polyfit(f[m], phase[m], 1)[0] for m in (lo, hi)]) / (2 * np.pi)
    f_mid = 0.5 * (f[0] + f[-1])
    wings = lo | hi
    c = np.polyfit(f[wings] - f_mid, np.abs(s[wings]), 1)
    return float(delay), float(c[0] / c[1]), float(f_mid)


def _noise(z):
    """Noise per real component from neighbouring points (their difference cancels the smooth response)."""
    return float(np.sqrt(np.mean(np.abs(np.diff(z)) ** 2) / 4))


def _autofit(f, z, delay, caught):
    """resonator-tools' reflection fit with the delay given: the port object (``fitresults``, ``z_data_sim``)."""
    from resonator_tools import circuit

    port = circuit.reflection_port(f, z)
    with warnings.catch_warnings(record=True) as seen, redirect_stdout(io.StringIO()):
        warnings.simplefilter("always")
        port.autofit(electric_delay=delay)
    caught.extend(str(w.message).split("\n")[0] for w in seen)
    return port


def _residual_delay(f, z, port, f_mid):
    """The delay (s) that the residual phase (data over the fitted model) still has across the span."""
    phase = np.unwrap(np.angle(z / port.z_data_sim))
    return float(-np.polyfit(f - f_mid, phase, 1)[0] / (2 * np.pi))


def group_size(f, z, delay, caught):
    """Points per averaged group for the circle fit (1: none): σ/r ≤ :data:`MAX_NOISE_PER_RADIUS` per group,
    groups narrower than :data:`MAX_GROUP_PER_LINEWIDTH` of the linewidth, at least :data:`MIN_POINTS` left."""
    first = _autofit(f, z, delay, caught)
    r = first.fitresults["Ql"] / first.fitresults["Qc"]  # the normalised circle's radius
    sigma = _noise(first.z_data)  # noise per component of the normalised data
    linewidth = abs(first.fitresults["fr"] / first.fitresults["Ql"])
    wanted = math.ceil((sigma / (MAX_NOISE_PER_RADIUS * abs(r))) ** 2)
    widest = int(MAX_GROUP_PER_LINEWIDTH * linewidth / np.min(np.diff(f)))
    return max(1, min(wanted, widest, f.size // MIN_POINTS))


def fit_port(f, s, max_iter=20):
    """resonator-tools' circle fit of one reflection sweep, with the baseline, delay and averaging above.

    Returns rates in Hz with resonator-tools' standard errors: ``kappa`` (f_r/Q_l), ``kappa_c``
    (f_r/Q_c, this port's rate), ``kappa_i`` (f_r/Q_i, the rest), ``f_r``; and how it got there:
    ``delay`` (s), ``slope`` (1/Hz), ``group`` (points averaged), ``iterations``, ``warnings`` and
    resonator-tools' own ``fitresults``.
    """
    f, s = np.asarray(f, dtype=float), np.asarray(s, dtype=complex)
    delay, slope, f_mid = baseline(f, s)
    z = s / (1.0 + slope * (f - f_mid))
    caught = []
    m = group_size(f, z, delay, caught)
    if m > 1:
        n = f.size // m * m
        f, z = f[:n].reshape(-1, m).mean(axis=1), z[:n].reshape(-1, m).mean(axis=1)
    # secant search for the delay at which the residual phase has no slope; a step onto a delay where
    # resonator-tools' phase fit runs away (a linewidth outside the sweep) is halved back towards the last good one
    span, step = f[-1] - f[0], float(np.min(np.diff(f)))

    def attempt(t):
        port = _autofit(f, z, t, caught)
        r = port.fitresults
        ok = r["Ql"] > 0 and r["Qc"] > 0 and 2 * step < r["fr"] / r["Ql"] < span
        return port, (_residual_delay(f, z, port, f_mid) if ok else None)

    t0 = delay
    port, g0 = attempt(t0)
    if g0 is None:
        raise RuntimeError("circle fit: resonator-tools' fit fails at the wings' delay; is this a resonance?")
    t1, iterations = t0 + g0, 1
    while True:
        for _ in range(6):
            port, g1 = attempt(t1)
            iterations += 1
            if g1 is not None:
                break
            t1 = 0.5 * (t0 + t1)
        if g1 is None:
            raise RuntimeError(f"circle fit: resonator-tools' fit fails near the delay {t1 * 1e9:.3f} ns")
        if abs(g1) <= DELAY_TOL or g1 == g0 or iterations >= max_iter:
            break
        t0, t1, g0 = t1, t1 - g1 * (t1 - t0) / (g1 - g0), g1
    if abs(g1) > 1e-12:
        raise RuntimeError(f"circle fit: the delay search did not settle (residual delay {g1:.3g} s)")
    r = port.fitresults
    fr = float(r["fr"])

    def rate(q):
        return fr / float(r[q]), fr * float(r[f"{q}_err"]) / float(r[q]) ** 2

    out = {"f_r": fr, "f_r_sigma": float(r["fr_err"])}
    for name, q in (("kappa", "Ql"), ("kappa_c", "Qc"), ("kappa_i", "Qi")):
        out[name], out[f"{name}_sigma"] = rate(q)
    out.update(
        delay=t1,
        slope=slope,
        group=m,
        iterations=iterations,
        warnings=len(caught),
        fitresults={k: float(v) for k, v in r.items()},
    )
    return out


def circle_rates(ports):
    """The cavity's rates (Hz) and standard errors from the two reflections' circle fits (``fit_port`` results)."""
    s11, s22 = ports["S11"], ports["S22"]
    return {
        "kappa": s22["kappa"],
        "kappa_sigma": s22["kappa_sigma"],
        "kappa_out": s22["kappa_c"],
        "kappa_out_sigma": s22["kappa_c_sigma"],
        "kappa_in": s11["kappa_c"],
        "kappa_in_sigma": s11["kappa_c_sigma"],
        "kappa_I": s22["kappa_i"] - s11["kappa_c"],
        "kappa_I_sigma": math.hypot(s22["kappa_i_sigma"], s11["kappa_c_sigma"]),
    }


def check(ds, cal):
    """resonator-tools beside the joint fit ``cal`` (``cavity.calibrate``'s result) on one ``cavity_response``
    series: per quantity both values, their difference and its ratio ``z`` to the combined standard error."""
    traces = _traces(ds)
    missing = [p for p in PORTS if p not in traces]
    if missing:
        raise ValueError(f"circle fit: no {' or '.join(missing)} sweep (ports found: {sorted(traces)})")
    ports = {p: fit_port(*traces[p]) for p in PORTS}
    rt = circle_rates(ports)
    rows = []
    for q in QUANTITIES:
        sigma = math.hypot(cal[f"{q}_sigma"], rt[f"{q}_sigma"])
        diff = rt[q] - cal[q]
        rows.append(
            {
                "quantity": q,
                "joint": cal[q],
                "joint_sigma": cal[f"{q}_sigma"],
                "circle": rt[q],
                "circle_sigma": rt[f"{q}_sigma"],
                "difference": diff,
                "combined_sigma": sigma,
                "z": diff / sigma,
            }
        )
    return {"rows": rows, "ports": ports, "rates": rt}


def curve(port_result, port, f_offset, f_c):
    """The circle fit's cavity response (line removed) at offsets ``f_offset`` (Hz) from ``f_c``, in the
    convention of ``calibration.cavity.ideal``: ``1 − κ_c / (κ/2 + i (f − f_r))``."""
    kappa, kappa_c = port_result["kappa"], port_result["kappa_c"]
    detuning = np.asarray(f_offset, dtype=float) + float(f_c) - port_result["f_r"]
    return 1.0 - kappa_c / (0.5 * kappa + 1j * detuning)


def markdown(result):
    """The comparison as a Markdown table (kHz)."""
    names = {"kappa": "κ", "kappa_in": "κ_in", "kappa_out": "κ_out (κ_ext at the output)", "kappa_I": "κ_I"}
    lines = [
        "| quantity | joint fit (kHz) | circle fit (kHz) | difference (kHz) | combined σ (kHz) | difference / σ |",
        "|---|---|---|---|---|---|",
    ]
    for r in result["rows"]:
        lines.append(
            f"| {names[r['quantity']]} | {r['joint'] / 1e3:.2f} ± {r['joint_sigma'] / 1e3:.2f} | "
            f"{r['circle'] / 1e3:.2f} ± {r['circle_sigma'] / 1e3:.2f} | {r['difference'] / 1e3:+.2f} | "
            f"{r['combined_sigma'] / 1e3:.2f} | {r['z']:+.2f} |"
        )
    return "\n".join(lines)
