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
# # 10 · Beyond the paper: where does entanglement survive? (design maps)
#
# **What this step does.** It evaluates the model's Duan quantity at the optimal probe phase
# across parameter space, around the state inferred for data set C (least-squares pump fit).
# Three maps: (a) over the pump couplings (G−, G+) at C's baths and detunings; (b) over the bath
# occupations (n_c, n_m1, with n_m2/n_m1 as fitted) at C's couplings; (c) the pump detuning Δ
# that minimises the Duan quantity as the coupling ratio g1/g2 varies. The data sets' operating
# points are marked.
#
# **Why.** The paper reports one operating point. These maps show how far it sits from the
# entanglement boundary (Duan = 1) and from instability (G+ → G−). They also show the paper's
# remark that a mismatch g1 ≠ g2 of up to ~20 % can be compensated by the pump detunings.

# %% tags=["parameters"]
device = None  # default: config/config.yaml
main = "C"  # the data set whose inferred state the maps vary
marked = ["C", "D"]  # data sets marked in the bath map
display = None  # the config's data sets (display names, colours); default: config/config.yaml
sideband_json = "results/calibration/sideband.json"
pump_fits_json = "results/fits/pump_fits.json"
output_json = "results/design/maps.json"
figure_dir = "results/figures"

# %%
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from entangled_drums import calibration, design, jsonio
from entangled_drums.data.datasets import color, label
from entangled_drums.product.config import defaults
from entangled_drums.product.figures import COLORS, duan_map_panel, save, use_style
from entangled_drums.readout.probes import PumpPrior

use_style()
cfg = defaults()
device, display = device or cfg["device"], display or cfg["datasets"]
sideband = jsonio.load(sideband_json)
device = calibration.device_of(device, sideband)  # with the calibrated rates (kappa, kappa_out, gamma's)
fits = jsonio.load(pump_fits_json)["datasets"]
state = {name: PumpPrior(fit, device, sideband).params() for name, fit in fits.items()}
C = state[main]  # the reference state (the paper's data set C by default)

# %% [markdown]
# ## (a) Duan over the pump couplings
# White: unstable (G+ too close to G− for the damping). The contour marks Duan = 1.

# %%
G_minus = np.linspace(40e3, 450e3, 42)
G_plus = np.linspace(10e3, 420e3, 42)
coupling_map = design.duan_map(C, "G_minus", G_minus, "G_plus", G_plus)
fig, ax = plt.subplots(figsize=(4.4, 3.4))
duan_map_panel(
    fig,
    ax,
    G_minus / 1e3,
    G_plus / 1e3,
    coupling_map,
    {name: (p.G_minus / 1e3, p.G_plus / 1e3) for name, p in state.items()},
)
ax.set_xlabel(r"$G_-/2\pi$ (kHz)")
ax.set_ylabel(r"$G_+/2\pi$ (kHz)")
ax.set_title(f"baths and detunings of {label(display, main)}", fontsize=8)
save(fig, Path(figure_dir) / "figD1_duan_couplings")

# %% [markdown]
# ## (b) Duan over the bath occupations at C's couplings

# %%
n_c = np.linspace(0.0, 2.0, 41)
n_m = np.linspace(0.0, 400.0, 41)
ratio = C.n_m2 / C.n_m1
bath_map = design.duan_map(C, "n_c", n_c, "n_m1", n_m, tie=lambda x, y: {"n_m2": y * ratio})
fig, ax = plt.subplots(figsize=(4.4, 3.4))
duan_map_panel(fig, ax, n_c, n_m, bath_map, {name: (state[name].n_c, state[name].n_m1) for name in marked})
ax.set_xlabel(r"cavity bath $n_c$")
ax.set_ylabel(r"drum-1 bath $n_{m1}$ ($n_{m2}$ in the fitted ratio)")
ax.set_title(f"couplings and detunings of {label(display, main)}", fontsize=8)
save(fig, Path(figure_dir) / "figD2_duan_baths")

# %% [markdown]
# ## (c) Compensating g1 ≠ g2 with the pump detuning

# %%
ratios = np.linspace(0.8, 1.2, 17)
best = np.array([design.optimal_detuning(C, r) for r in ratios])
fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(4.2, 4.0), sharex=True)
ax1.plot(ratios, best[:, 0] / 1e3, "o-", ms=3, color=color(display, main))
ax1.axvline(C.g_ratio, color="0.5", ls=":", lw=0.8)
ax1.set_ylabel(r"optimal $\Delta/2\pi$ (kHz)")
ax2.plot(ratios, best[:, 1], "o-", ms=3, color=color(display, main), label="optimal Δ")
ax2.plot(
    ratios,
    [design.duan_at(C, g_ratio=float(r), delta_plus=0.0, delta_minus=0.0) for r in ratios],
    "s--",
    ms=3,
    color="0.5",
    label="Δ = 0",
)
ax2.axhline(1.0, color=COLORS["vacuum"], ls="--", lw=1)
ax2.axvline(C.g_ratio, color="0.5", ls=":", lw=0.8)
ax2.set_xlabel(r"$g_1/g_2$")
ax2.set_ylabel("Duan at optimal φ")
ax2.legend(frameon=False)
fig.suptitle("C's couplings and baths; dotted: the fitted g1/g2", fontsize=8)
save(fig, Path(figure_dir) / "figD3_detuning_vs_g_ratio")

entangled = np.isfinite(coupling_map) & (coupling_map < 1)
jsonio.dump(
    {
        "state_C": C.as_dict(),
        "couplings": {
            "G_minus": G_minus.tolist(),
            "G_plus": G_plus.tolist(),
            "duan": coupling_map.tolist(),
            "fraction_entangled": float(entangled.mean()),
        },
        "baths": {"n_c": n_c.tolist(), "n_m1": n_m.tolist(), "duan": bath_map.tolist()},
        "g_ratio": {
            "g_ratio": ratios.tolist(),
            "optimal_Delta": best[:, 0].tolist(),
            "duan": best[:, 1].tolist(),
            "compensated_range": [float(ratios[best[:, 1] < 1].min()), float(ratios[best[:, 1] < 1].max())]
            if np.any(best[:, 1] < 1)
            else None,
        },
    },
    output_json,
)
print(
    f"entangled where Duan < 1: {entangled.mean():.0%} of the (G-, G+) grid; with the optimal detuning, "
    f"Duan < 1 for g1/g2 in {ratios[best[:, 1] < 1].min():.2f}-{ratios[best[:, 1] < 1].max():.2f}"
)
