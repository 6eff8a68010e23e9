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

# %% tags=["parameters"]
raw_dir = "data/raw"
device = None  # default: config/config.yaml
output_json = "results/calibration/cavity.json"
figure_dir = "results/figures"

# %%
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from entangled_drums import cavity, jsonio, rawdata
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
# ## Fig. S0 — the cavity's response
# Each sweep with its line (level, delay, slope) divided out, so the cavity alone remains:
# magnitude (top) and phase (bottom) against the offset from the configured f_c, with the joint
# fit. S21 is normalised to its peak.

# %%
fig, axes = plt.subplots(2, 3, figsize=(7.4, 3.6), sharex=True)
for k, c in enumerate(cavity.curves(ds, device["f_c"], result)):
    norm = np.abs(c["model"]).max() if c["port"] == "S21" else 1.0
    f = c["f"] / 1e6
    axes[0, k].plot(f, np.abs(c["data"]) / norm, ".", ms=1, color="0.5")
    axes[0, k].plot(f, np.abs(c["model"]) / norm, color="black", lw=0.8)
    axes[1, k].plot(f, np.degrees(np.angle(c["data"])), ".", ms=1, color="0.5")
    axes[1, k].plot(f, np.degrees(np.angle(c["model"])), color="black", lw=0.8)
    axes[0, k].set_title(c["port"], fontsize=8)
    axes[1, k].set_xlabel(r"$(f-f_c)$ (MHz)")
axes[0, 0].set_ylabel("|S| (normalised)")
axes[1, 0].set_ylabel("phase (deg)")
fig.suptitle(
    rf"$\kappa/2\pi$ = {result['kappa'] / 1e6:.4f} MHz, $\kappa_{{out}}/\kappa$ = "
    rf"{result['kappa_out'] / result['kappa']:.4f}, $\kappa_{{in}}/2\pi$ = {result['kappa_in'] / 1e3:.1f} kHz",
    fontsize=8,
)
fig.tight_layout()
save(fig, Path(figure_dir) / "figS0_cavity_calibration")
