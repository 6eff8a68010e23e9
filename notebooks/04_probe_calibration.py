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
# # 04 · Probe calibration: area per unit collective variance (Fig. S3)
#
# **What this step does.** Both probe tones are on, the pumps are off, the fridge is at base.
# The background-free peak areas at ωc ± Ω, in quanta (with the sideband calibration's gain),
# measure k·⟨X+²⟩. The probe power is swept. One subtlety: with g1/g2 ≠ 1 the "balanced" probes
# are slightly red-heavy on each drum, so they cool X+ (by almost half at g = 40 kHz). The
# variance at each power is therefore the model's ⟨X+²⟩ with the probes on. The model takes
# calibrated quantities only: the base occupations, K1, K2 (hence g1/g2), γ1, γ2 and the drum
# frequencies, and each tone's coupling counts its photon energy. Each power gives s_i = area /
# (P·⟨X+²⟩), the area being the whole line's (the recorded ±15 kHz windows hold 99.0–99.4 % of it,
# the rest from the model's line shape). Their generalised least-squares mean, with the model
# variance's errors correlated across powers (it moves with K1, K2, γ's and the occupations) beside
# the areas' noise, is s, the area per unit variance per mW of red-probe power. Powers that disagree
# beyond χ²/dof 10 stop the run with an error naming them.
#
# **Why.** With the pumps on, the probe area at each phase divided by s·P gives ⟨(X+^φ)²⟩: the
# back-action-evading measurement of the squeezed quadrature.

# %% tags=["parameters"]
raw_dir = "data/raw"
device = None  # default: config/config.yaml
thermal_json = "results/calibration/thermal.json"
sideband_json = "results/calibration/sideband.json"
output_json = "results/calibration/probe.json"
figure_dir = "results/figures"

# %%
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from entangled_drums import calibration, jsonio, rawdata
from entangled_drums.product.config import defaults
from entangled_drums.product.figures import COLORS, save, use_style

use_style()
device = device or defaults()["device"]
thermal, sideband = jsonio.load(thermal_json), jsonio.load(sideband_json)
device = calibration.device_of(device, sideband)  # with the calibrated rates (kappa, kappa_out, gamma's)
n_base = {d: (thermal[f"drum{d}"]["n_base"], thermal[f"drum{d}"]["n_base_sigma"]) for d in (1, 2)}
probe = calibration.probe_calibration(
    rawdata.load(Path(raw_dir) / "probe_cal.nc"), sideband["gain_dB"], sideband["n_add"], device, sideband, n_base
)
jsonio.dump(probe, output_json)
print(
    f"s = {probe['area_per_variance_per_mW']:.5g} ± {probe['area_per_variance_per_mW_sigma']:.2g} "
    f"quanta·Hz per unit variance per mW; line chi2 = {probe['line_chi2']:.1f} ({probe['line_dof']} dof)"
)

# %% [markdown]
# ## Fig. S3 — probe areas vs power
# (a) Area per unit (model) variance per mW at each red-probe power (error bars: the area's noise and the model
# variance's), with the calibration constant s and its ±1σ band.
# (b) The collective variance during the calibration: thermal (⟨X+²⟩ᵀ from Fig. S1) at low power,
# cooled by the probes at high power.

# %%
rows = probe["traces"]
P = np.array([10 ** (r["power_red_dBm"] / 10) for r in rows])
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(6.6, 2.8))
k = np.array([r["area_per_variance"] for r in rows]) / P
sk = k * np.hypot(
    [r["area_sigma"] / r["area"] for r in rows], [r["variance_sigma"] / r["variance_model"] for r in rows]
)
ax1.errorbar(P, k, sk, fmt="o", ms=3, color=COLORS["probe"], label="each power")
s_cal, s_err = probe["area_per_variance_per_mW"], probe["area_per_variance_per_mW_sigma"]
ax1.axhline(s_cal, color=COLORS["theory"], lw=1, label="s (GLS mean)")
ax1.axhspan(s_cal - s_err, s_cal + s_err, color=COLORS["theory"], alpha=0.15, lw=0)
ax1.set_xscale("log")
ax1.set_xlabel("red probe power (mW, generator)")
ax1.set_ylabel("area / (P ⟨X+²⟩) (quanta·Hz/mW)")
ax1.legend(frameon=False)
ax2.errorbar(
    P, [r["variance_model"] for r in rows], [r["variance_sigma"] for r in rows], fmt="s-", ms=3, color=COLORS["probe"]
)
ax2.axhline(probe["collective_variance_thermal"], color="0.5", ls=":", lw=0.8, label="thermal, probes off")
ax2.set_xlabel("red probe power (mW, generator)")
ax2.set_ylabel("model ⟨X+²⟩ during calibration")
ax2.legend(frameon=False)
fig.tight_layout()
save(fig, Path(figure_dir) / "figS3_probe_calibration")
