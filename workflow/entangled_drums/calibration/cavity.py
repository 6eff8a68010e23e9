"""Cavity calibration from network-analyser sweeps (docs/model.md §5 step 0): kappa, kappa_in, kappa_out, kappa_I.

The cavity's response at offset ``f = f_lab - f_c`` (Hz) with ``chi = 1 / (kappa/2 + i f)``:

* transmission from the input to the output port ``S21 = sqrt(kappa_in kappa_out) chi``: its
  shape gives ``kappa`` and ``f_c`` (its level needs an absolute line calibration: not used);
* reflection at the input port ``S11 = 1 - kappa_in chi`` and at the output port
  ``S22 = 1 - kappa_out chi``: the depth of the dip relative to the off-resonance level gives
  ``kappa_in / kappa`` and ``kappa_out / kappa`` without any absolute calibration.

Each trace passes its own line: an unknown complex level, an electrical delay and a linear
amplitude slope, fitted with the cavity. One joint least-squares fit of the three traces (real
and imaginary parts) gives ``f_c, kappa, kappa_in, kappa_out`` and their covariance; the
internal loss rate is ``kappa_I = kappa - kappa_in - kappa_out``. The noise of each trace is not
recorded by the analyser: it is estimated from the trace itself (first from neighbouring points'
differences, then from the residuals of a first fit), so the covariance is that of the data's own
scatter.
"""

import numpy as np

from ..stats.fitting import FitError, fit

#: Cavity parameters of the fit: the resonance's offset from the configured f_c and the rates (kHz).
CAVITY = ["f_c_offset", "kappa", "kappa_in", "kappa_out"]
#: Per-trace line parameters: complex level (real, imaginary), electrical delay (ns), slope (per MHz).
LINE = ["level_re", "level_im", "delay_ns", "slope_per_MHz"]


def ideal(port, f, kappa, kappa_in, kappa_out):
    """Ideal S-parameter ``port`` (S21, S11, S22) at offsets ``f`` (Hz) from the resonance; rates in Hz."""
    chi = 1.0 / (0.5 * kappa + 1j * np.asarray(f, dtype=float))
    if port == "S21":
        return np.sqrt(kappa_in * kappa_out) * chi
    if port == "S11":
        return 1.0 - kappa_in * chi
    if port == "S22":
        return 1.0 - kappa_out * chi
    raise ValueError(f"unknown port {port!r}")


def model(x, port, f):
    """Measured S-parameter for fit vector ``x`` (:data:`CAVITY` then the trace's :data:`LINE`) at offsets ``f``
    (Hz) from the configured f_c."""
    f0, kappa, k_in, k_out, re, im, delay, slope = x
    f = np.asarray(f, dtype=float)
    line = (re + 1j * im) * np.exp(-2j * np.pi * delay * 1e-9 * f) * (1.0 + slope * f / 1e6)
    return line * ideal(port, f - f0 * 1e3, kappa * 1e3, k_in * 1e3, k_out * 1e3)


def _traces(ds, f_c):
    out = []
    for i in range(ds.sizes["trace"]):
        f = np.asarray(ds["frequency"].values[i], dtype=float) - f_c
        s = np.asarray(ds["s_real"].values[i], dtype=float) + 1j * np.asarray(ds["s_imag"].values[i], dtype=float)
        out.append({"port": str(ds["port"].values[i]), "f": f, "s": s})
    return out


def _start(traces):
    """A starting point from the traces themselves: resonance at the deepest reflection dip (or the transmission
    peak), kappa from the transmission's half-power width, the levels and delays from the outer parts."""
    by_port = {t["port"]: t for t in traces}
    ref = by_port.get("S21")
    if ref is not None:
        power = np.abs(ref["s"]) ** 2
        peak = int(np.argmax(power))
        above = ref["f"][power > 0.5 * power[peak]]
        f0, kappa = ref["f"][peak], max(above.max() - above.min(), 4 * np.diff(ref["f"][:2])[0])
    else:
        t = by_port.get("S22", traces[0])
        f0, kappa = t["f"][int(np.argmin(np.abs(t["s"])))], 0.25 * (t["f"][-1] - t["f"][0])
    lines = []
    for t in traces:
        outer = np.abs(t["f"] - f0) > 0.6 * np.abs(t["f"] - f0).max()
        phase = np.unwrap(np.angle(t["s"]))
        slope = [np.polyfit(t["f"][side], phase[side], 1)[0] for side in (outer & (t["f"] < f0), outer & (t["f"] > f0))]
        delay = -np.mean(slope) / (2 * np.pi) * 1e9
        level = np.mean(t["s"][outer] * np.exp(2j * np.pi * delay * 1e-9 * t["f"][outer]))
        if t["port"] == "S21":  # off resonance S21 ~ sqrt(k_in k_out)/(i f): a level at the peak instead
            level = t["s"][int(np.argmax(np.abs(t["s"])))] * np.exp(2j * np.pi * delay * 1e-9 * f0) * 0.5 * kappa
            level /= np.sqrt(0.05 * 0.8) * kappa
        lines.append([level.real, level.imag, delay, 0.0])
    return f0, kappa, lines


def calibrate(ds, f_c):
    """Joint fit of a ``cavity_response`` series; returns a JSON-ready dict (rates and f_c in Hz, with sigmas,
    the covariance of (kappa, kappa_out) and of all four cavity parameters, the per-trace noise and chi^2).

    ``f_c``: the configured cavity frequency (Hz): the fit reports the resonance's offset from it.
    """
    traces = _traces(ds, float(f_c))
    ports = [t["port"] for t in traces]
    for needed in ("S11", "S22"):
        if needed not in ports:
            raise FitError(
                f"cavity calibration: no {needed} sweep (ports found: {ports}); kappa_in and kappa_out need "
                "the reflection at both ports"
            )
    f0, kappa, lines = _start(traces)
    names = list(CAVITY) + [f"{p}.{n}" for p in ports for n in LINE]
    x0 = np.array([f0 / 1e3, kappa / 1e3, 0.05 * kappa / 1e3, 0.8 * kappa / 1e3] + [v for line in lines for v in line])
    scale = np.array(
        [0.01, 1.0, 1.0, 1.0] + [v for line in lines for v in (1e-3 * np.hypot(line[0], line[1]),) * 2 + (0.1, 1e-3)]
    )

    def vector(x, k):
        return np.concatenate([x[:4], x[4 + 4 * k : 8 + 4 * k]])

    def residuals(x, sigma):
        out = []
        for k, t in enumerate(traces):
            r = (t["s"] - model(vector(x, k), t["port"], t["f"])) / sigma[k]
            out += [r.real, r.imag]
        return np.concatenate(out)

    bounds = {"kappa": (1e-3, np.inf), "kappa_in": (0.0, np.inf), "kappa_out": (0.0, np.inf)}
    # a first noise estimate from neighbouring points (their difference cancels the smooth response)
    rough = np.array([np.sqrt(np.mean(np.abs(np.diff(t["s"])) ** 2) / 4) for t in traces])
    first = fit(
        lambda x: residuals(x, rough), x0, names, x_scale=scale, bounds=bounds, label="cavity calibration (first pass)"
    )
    sigma = []
    for k, t in enumerate(traces):
        r = t["s"] - model(vector(first.x, k), t["port"], t["f"])
        sigma.append(float(np.sqrt(np.mean(np.abs(r) ** 2) / 2)))  # per real component
    result = fit(
        lambda x: residuals(x, np.array(sigma)),
        first.x,
        names,
        x_scale=scale,
        bounds=bounds,
        label="cavity calibration",
    )
    idx = [names.index(n) for n in CAVITY]
    cov = result.cov[np.ix_(idx, idx)] * 1e6  # Hz^2
    v = result.x[idx] * 1e3
    grad_I = np.array([0.0, 1.0, -1.0, -1.0])
    out = {"f_c": float(f_c) + v[0], "f_c_sigma": float(np.sqrt(cov[0, 0]))}
    for k, name in enumerate(CAVITY[1:], start=1):
        out[name], out[f"{name}_sigma"] = float(v[k]), float(np.sqrt(cov[k, k]))
    out["kappa_I"] = float(grad_I @ v)
    out["kappa_I_sigma"] = float(np.sqrt(grad_I @ cov @ grad_I))
    out["covariance"] = {"names": ["f_c", "kappa", "kappa_in", "kappa_out"], "matrix_Hz2": cov.tolist()}
    k2 = [CAVITY.index("kappa"), CAVITY.index("kappa_out")]
    out["kappa_kappa_out_covariance"] = cov[np.ix_(k2, k2)].tolist()
    out["traces"] = [
        {
            "port": t["port"],
            "noise": sigma[k],
            "chi2_reduced": float(
                np.mean(
                    residuals(result.x, np.array(sigma))[
                        2 * sum(tt["f"].size for tt in traces[:k]) : 2 * sum(tt["f"].size for tt in traces[: k + 1])
                    ]
                    ** 2
                )
            ),
        }
        for k, t in enumerate(traces)
    ]
    out["fit"] = result.as_dict()
    return out


def curves(ds, f_c, cal):
    """Per trace: offsets (Hz), measured and fitted S-parameter with the line divided out (the cavity alone)."""
    result = cal["fit"]
    x = np.asarray(result["values"], dtype=float)
    out = []
    for k, t in enumerate(_traces(ds, float(f_c))):
        v = np.concatenate([x[:4], x[4 + 4 * k : 8 + 4 * k]])
        line = model(v, t["port"], t["f"]) / ideal(t["port"], t["f"] - v[0] * 1e3, *(v[1:4] * 1e3))
        out.append(
            {
                "port": t["port"],
                "f": t["f"],
                "data": t["s"] / line,
                "model": ideal(t["port"], t["f"] - v[0] * 1e3, *(v[1:4] * 1e3)),
            }
        )
    return out
