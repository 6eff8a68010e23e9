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
# # 01 · The scheme: tones and sidebands (Fig. 1b, 1c)
#
# **What this step does.** It draws the spectral picture of the experiment: the cavity
# (linewidth κ) with the red pump on the lower sideband of drum 1 (ω− = ωc − ω1) and the blue
# pump on the upper sideband of drum 2 (ω+ = ωc + ω2) (Fig. 1b). It adds the two weak probe
# tones at ωc ± (ω1 + ω2)/2, whose signal lands at ωc ± Ω between the pump features (Fig. 1c).
#
# **Why.** This fixes the frames and conventions that every later step uses. Pump and probe
# features do not overlap. Fig. 1d, the fluctuation ellipses of the inferred state of data set C,
# needs the pump fit and is drawn in step 08.

# %% tags=["parameters"]
device = None  # default: config/config.yaml
sideband_json = "results/calibration/sideband.json"  # the calibrated rates (kappa, kappa_out, gamma's)
dataset = None  # default: config datasets.C
figure_dir = "results/figures"

# %%
from pathlib import Path

import matplotlib.pyplot as plt

from entangled_drums import calibration, jsonio
from entangled_drums.product.config import defaults, nominal_params
from entangled_drums.product.figures import COLORS, save, spectral_picture, use_style

use_style()
cfg = defaults()
device, dataset = device or cfg["device"], dataset or cfg["datasets"][cfg["figures"]["main_dataset"]]
params = nominal_params(calibration.device_of(device, jsonio.load(sideband_json)), dataset)
f1, f2, kappa = params.f1, params.f2, params.kappa
Omega, fbar = params.Omega, 0.5 * (f1 + f2)

# %% [markdown]
# ## Fig. 1b — pumps about the cavity
# The red pump scatters drum 1's anti-Stokes sideband into the cavity at ωc; the blue pump
# scatters drum 2's Stokes sideband into it at ωc. The same pumps also address the other drum,
# off-resonantly by 2Ω; those are the terms that cool the second Bogoliubov mode.

# %%
pumps = [
    {"f": -f1, "color": COLORS["red_pump"], "label": r"red pump $\omega_-=\omega_c-\omega_1$"},
    {"f": +f2, "color": COLORS["blue_pump"], "label": r"blue pump $\omega_+=\omega_c+\omega_2$"},
    {
        "f": [-f1 + f1, -f1 + f2],
        "color": COLORS["red_pump"],
        "label": "red-pump sidebands (drums 1, 2)",
        "height": 0.45,
        "style": ":",
    },
    {
        "f": [f2 - f2, f2 - f1],
        "color": COLORS["blue_pump"],
        "label": "blue-pump sidebands (drums 2, 1)",
        "height": 0.3,
        "style": ":",
    },
]
fig, ax = plt.subplots(figsize=(6.0, 2.3))
spectral_picture(ax, pumps, kappa, 13e6)
ax.legend(loc="upper left", frameon=False, ncol=2)
save(fig, Path(figure_dir) / "fig1b")

# %% [markdown]
# ## Fig. 1c — the back-action-evading probe pair
# The probes sit at ωc ± (ω̄ + Δ) (here Δ = 0), so that ωd+ − ωd− = ω+ − ω−: the same mechanical
# frame as the pumps. Their signal lands at ωc ± Ω, between the pump features at ωc and ωc + 2Ω.

# %%
probes = pumps[:2] + [
    {
        "f": [-fbar, +fbar],
        "color": COLORS["probe"],
        "label": r"probes $\omega_{d\pm}=\omega_c\pm\bar\omega$",
        "height": 0.7,
    },
    {
        "f": [-Omega, +Omega],
        "color": COLORS["probe"],
        "label": r"probe signal at $\omega_c\pm\Omega$",
        "height": 0.35,
        "style": ":",
    },
]
fig, ax = plt.subplots(figsize=(6.0, 2.3))
spectral_picture(ax, probes, kappa, 13e6)
ax.legend(loc="upper left", frameon=False, ncol=2)
save(fig, Path(figure_dir) / "fig1c")
