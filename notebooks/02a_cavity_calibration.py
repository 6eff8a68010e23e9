# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
#   language_info:
#     name: python
# ---

# %% [markdown]
# # 02a · Cavity calibration: κ, κ_in, κ_out and κ_I from network-analyser sweeps (Fig. S0)
#
# **What this step does.** Three sweeps of the cavity with the pumps off (`cavity_cal.nc`): the
# transmission from the input to the output port (S21) and the reflection at each port (S11,
# S22). Each passes its own line, with an unknown complex level, electrical delay and a small
# amplitude slope, fitted together with the cavity. S21's line shape gives the total linewidth
# κ and the resonance; the depth of each reflection dip relative to its off-resonance level gives
# κ_in/κ and κ_out/κ without an absolute power calibration. The internal loss rate is
# κ_I = κ − κ_in − κ_out. The noise of each sweep is estimated from the sweep itself.
#
# **Why.** κ sets the drums' optical damping (4G²/κ) and the scale of every spectrum, and κ_out the
# fraction of the cavity's emission that reaches the amplifier. They enter the pump fits and the
# MCMC as parameters whose priors are this fit's result (κ and κ_out correlated as fitted), so
# their uncertainty reaches ⟨P−²⟩ and the error budget (step 12).
#
# **An independent check.** The same sweeps go through the field's standard tool as well:
# resonator-tools' circle fit of a resonance in reflection (Probst et al., Rev. Sci. Instrum. 86,
# 024706 (2015)), on S11 and S22 separately. It fits a circle to each reflection, then the phase
# around the circle's centre; the phase gives κ, the circle's diameter the port's share of it. The
# strongly over-coupled output port (S22) gives κ and κ_out; the weakly coupled input port (S11)
# gives κ_in; κ_I = κ − κ_out (from S22) − κ_in (from S11). Around the library: each sweep's
# amplitude slope is divided out first (resonator-tools leaves the baseline to the user), its
# electrical delay is given to the fit (its own delay search misses by nanoseconds on these sweeps),
# and S11, whose circle is only ~4 % of the line level across, is averaged over a few neighbouring
# points so that the circle fit's noise bias stays below 0.5 % (`calibration/circlefit.py` says why
# each step is needed).

# %% tags=["parameters"]
raw_dir = "data/raw"
device = None  # default: config/config.yaml
output_json = "results/calibration/cavity.json"
figure_dir = "results/figures"

# %%
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from entangled_drums import cavity, circlefit, jsonio, rawdata
from entangled_drums.product.config import defaults
from entangled_drums.product.figures import save, use_style

use_style()
device = device or defaults()["device"]
ds = rawdata.load(Path(raw_dir) / "cavity_cal.nc")
result = cavity.calibrate(ds, device["f_c"])
jsonio.dump(result, output_json)
print(f"f_c - configured = {result['f_c'] - device['f_c']:+.0f} ± {result['f_c_sigma']:.0f} Hz")
for key in ("kappa", "kappa_in", "kappa_out", "kappa_I"):
    print(
        f"{key:9s} = {result[key] / 1e3:8.2f} ± {result[key + '_sigma'] / 1e3:.2f} kHz "
        f"({result[key + '_sigma'] / result[key]:.2%})"
    )
for t in result["traces"]:
    print(f"{t['port']}: noise {t['noise']:.3g} (relative to the line level), reduced chi2 {t['chi2_reduced']:.3f}")

# %% [markdown]
# ## The joint fit beside resonator-tools' circle fit
# Each value with its own standard error; the last column is the difference in units of the two
# errors combined in quadrature. Both read the same sweeps, so their difference scatters less than
# that; resonator-tools' errors come from its covariance given the normalised data (they leave out
# the delay and the normalisation).

# %%
check = circlefit.check(ds, result)
print(circlefit.markdown(check))
for port, fit in check["ports"].items():
    print(
        f"{port}: circle fit with delay {fit['delay'] * 1e9:.3f} ns, amplitude slope {fit['slope'] * 1e6:+.4f}/MHz, "
        f"{fit['group']} point(s) averaged per group; "
        f"kappa {fit['kappa'] / 1e3:.1f} ± {fit['kappa_sigma'] / 1e3:.1f} kHz"
    )

# %% [markdown]
# ## Fig. S0 — the cavity's response
# Each sweep with its line (level, delay, slope) divided out, so the cavity alone remains:
# magnitude (top) and phase (bottom) against the offset from the configured f_c, with the joint
# fit (black) and, for the reflections, the cavity response of resonator-tools' circle fit
# (dashed). S21 is normalised to its peak.

# %%
fig, axes = plt.subplots(2, 3, figsize=(7.4, 3.6), sharex=True)
for k, c in enumerate(cavity.curves(ds, device["f_c"], result)):
    norm = np.abs(c["model"]).max() if c["port"] == "S21" else 1.0
    f = c["f"] / 1e6
    axes[0, k].plot(f, np.abs(c["data"]) / norm, ".", ms=1, color="0.5")
    axes[0, k].plot(f, np.abs(c["model"]) / norm, color="black", lw=0.8)
    axes[1, k].plot(f, np.degrees(np.angle(c["data"])), ".", ms=1, color="0.5")
    axes[1, k].plot(f, np.degrees(np.angle(c["model"])), color="black", lw=0.8, label="joint fit")
    if c["port"] in check["ports"]:
        circle = circlefit.curve(check["ports"][c["port"]], c["port"], c["f"], device["f_c"])
        axes[0, k].plot(f, np.abs(circle), "--", color="tab:red", lw=0.8)
        axes[1, k].plot(f, np.degrees(np.angle(circle)), "--", color="tab:red", lw=0.8, label="circle fit")
    axes[0, k].set_title(c["port"], fontsize=8)
    axes[1, k].set_xlabel(r"$(f-f_c)$ (MHz)")
axes[0, 0].set_ylabel("|S| (normalised)")
axes[1, 0].set_ylabel("phase (deg)")
axes[1, 2].legend(fontsize=6, frameon=False)
fig.suptitle(
    rf"$\kappa/2\pi$ = {result['kappa'] / 1e6:.4f} MHz, $\kappa_{{out}}/\kappa$ = "
    rf"{result['kappa_out'] / result['kappa']:.4f}, $\kappa_{{in}}/2\pi$ = {result['kappa_in'] / 1e3:.1f} kHz",
    fontsize=8,
)
fig.tight_layout()
save(fig, Path(figure_dir) / "figS0_cavity_calibration")
