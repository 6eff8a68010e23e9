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
# # 01 · The scheme: tones, sidebands and the two-mode squeezed state (Fig. 1b–d)
#
# **What this step does.** It draws the spectral picture of the experiment: the cavity
# (linewidth κ) with the red pump on the lower sideband of drum 1 (ω− = ωc − ω1) and the blue
# pump on the upper sideband of drum 2 (ω+ = ωc + ω2) (Fig. 1b). It adds the two weak probe
# tones at ωc ± (ω1 + ω2)/2, whose signal lands at ωc ± Ω between the pump features (Fig. 1c).
# It then solves the Lyapunov equation of the linearised model (PHYSICS.md §3) for data set C and
# draws the fluctuation ellipses in the (X1, X2) and (P1, P2) planes, with the zero-point circle
# (Fig. 1d).
#
# **Why.** This fixes the frames and conventions that every later step uses. Pump and probe
# features do not overlap, and X+ and P− are the squeezed pair. Until the fit of data set C
# exists, Fig. 1d uses the nominal couplings and the illustrative bath occupations in
# `config.yaml` (`illustration`).

# %% tags=["parameters"]
device = None  # default: config/config.yaml
dataset = None  # default: config datasets.C
baths = None  # default: config illustration
figure_dir = "results/figures"
state_json = "results/model/fig1d_state.json"

# %%
import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from entangled_drums import collective_variances, optimal_phase, steady_state
from entangled_drums.config import defaults, nominal_params
from entangled_drums.figures import COLORS, fluctuation_ellipses, save, spectral_picture, use_style
from entangled_drums.model import quadrature_index

use_style()
cfg = defaults()
device, dataset, baths = device or cfg["device"], dataset or cfg["datasets"]["C"], baths or cfg["illustration"]
params = nominal_params(device, dataset, **baths)
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
    {"f": [-f1 + f1, -f1 + f2], "color": COLORS["red_pump"], "label": "red-pump sidebands (drums 1, 2)",
     "height": 0.45, "style": ":"},
    {"f": [f2 - f2, f2 - f1], "color": COLORS["blue_pump"], "label": "blue-pump sidebands (drums 2, 1)",
     "height": 0.3, "style": ":"},
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
    {"f": [-fbar, +fbar], "color": COLORS["probe"], "label": r"probes $\omega_{d\pm}=\omega_c\pm\bar\omega$",
     "height": 0.7},
    {"f": [-Omega, +Omega], "color": COLORS["probe"], "label": r"probe signal at $\omega_c\pm\Omega$",
     "height": 0.35, "style": ":"},
]
fig, ax = plt.subplots(figsize=(6.0, 2.3))
spectral_picture(ax, probes, kappa, 13e6)
ax.legend(loc="upper left", frameon=False, ncol=2)
save(fig, Path(figure_dir) / "fig1c")

# %% [markdown]
# ## Fig. 1d — fluctuation ellipses of the steady state (data set C)
# The steady-state covariance solves A V + V Aᵀ + D = 0. In the (X1, X2) plane the state is
# narrower than the zero-point circle along X+ = (X1 + X2)/√2. In the (P1, P2) plane it is
# narrower along P− = (P2 − P1)/√2.

# %%
V = steady_state(params)
x_plus, p_minus = (float(v) for v in collective_variances(params, 0.0, V))
phi_opt, duan_opt = optimal_phase(params, V)
fig, axes = plt.subplots(1, 2, figsize=(5.6, 2.8))
fluctuation_ellipses(axes, V, quadrature_index(params))
fig.suptitle(rf"data set C (nominal): $\langle X_+^2\rangle$={x_plus:.3f}, $\langle P_-^2\rangle$={p_minus:.3f}",
             fontsize=8)
save(fig, Path(figure_dir) / "fig1d")

state = {
    "source": "nominal couplings of data set C with the illustrative baths of config.yaml",
    "params": params.as_dict(), "Xplus": x_plus, "Pminus": p_minus,
    "duan_phi0": x_plus + p_minus, "phi_opt_deg": float(np.degrees(phi_opt)), "duan_opt": duan_opt,
}
Path(state_json).parent.mkdir(parents=True, exist_ok=True)
Path(state_json).write_text(json.dumps(state, indent=2) + "\n")
state
