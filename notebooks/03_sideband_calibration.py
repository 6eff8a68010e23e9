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
# # 03 · Sideband-cooling calibration: detection gain, couplings and drum frequencies (Fig. S2)
#
# **What this step does.** One red pump on each drum's lower sideband, power swept from weak to
# strong coupling. All twelve traces of both drums are fitted jointly with the full model, not
# just the weak-coupling formula γ_eff = γ + 4G²/κ. Free parameters: the line's gain and the
# amplifier's added noise (shared), the true drum frequencies (from the peak positions), and a
# coupling G and cavity occupation n_c per trace. The base occupations enter with their
# thermal-calibration priors. In the cooled regime the emitted area is ≈ (κ_out/κ)·γ·n, whatever
# G is, so the known occupations turn watts into quanta: that is the gain. The fitted G's
# against tone power give K_j = G²((κ/2)² + d²)/P for each drum, and g1/g2 = √(K1/K2).
#
# **Why.** The gain converts every later spectrum to quanta. K1 and K2 predict the pump and
# probe couplings from their powers; these become the priors of the pump fits.

# %% tags=["parameters"]
raw_dir = "data/raw"
device = None  # default: config/config.yaml
thermal_json = "results/calibration/thermal.json"
cavity_json = "results/calibration/cavity.json"
output_json = "results/calibration/sideband.json"
figure_dir = "results/figures"

# %%
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from entangled_drums import calibration, jsonio, rawdata
from entangled_drums.product.config import defaults
from entangled_drums.product.figures import COLORS, save, spectrum_with_residuals, use_style

use_style()
device = device or defaults()["device"]
thermal = jsonio.load(thermal_json)
series = {d: rawdata.load(Path(raw_dir) / f"sideband_cal_drum{d}.nc") for d in (1, 2)}
sideband = calibration.sideband_calibration(series, device, thermal, jsonio.load(cavity_json))
jsonio.dump(sideband, output_json)
device = calibration.device_of(device, sideband)
for key in ("gain_dB", "n_add", "f1", "f2", "gamma1", "gamma2", "K1", "K2", "g_ratio"):
    print(f"{key:8s} = {sideband[key]:.6g} ± {sideband[key + '_sigma']:.2g}")
print(
    f"reduced chi2 = {sideband['fit']['chi2_reduced']:.3f} ({sideband['fit']['n_data']} bins); thermal line widths "
    f"vs the fit: {', '.join(f'{v:+.2f} sigma' for v in sideband['thermal_linewidth_residuals'])}"
)

# %% [markdown]
# ## Fig. S2 — spectra vs power, coupling vs power, linewidth
# (a) The drum-1 spectra in quanta, offset for clarity, with the joint fit.
# (b) The fitted G against pump power, with the √(K·P) law of each drum.
# (c) The weak-coupling linewidth γ + 4G²/κ implied by each fitted G: the cooling.

# %%
fig = plt.figure(figsize=(7.4, 3.2))
gs = fig.add_gridspec(2, 3, height_ratios=[3, 1], hspace=0.05, wspace=0.45)
ax, ax_res = fig.add_subplot(gs[0, 0]), fig.add_subplot(gs[1, 0])
ds = series[1]
gain, n_add = sideband["gain_dB"], sideband["n_add"]
for i in range(ds.sizes["trace"]):
    f = np.asarray(ds["frequency"].values[i])
    psd = np.asarray(ds["psd"].values[i])
    data = calibration.to_quanta(f, psd, gain, n_add)
    model = calibration.sideband_theory(ds, i, device, sideband)
    sigma = calibration.quanta_sigma(f, psd, ds["n_averages"].values[i], gain)
    keep = np.abs(f - device["f_c"]) < 20e3
    spectrum_with_residuals(
        ax,
        ax_res,
        (f[keep] - device["f_c"]) / 1e3,
        data[keep],
        model[keep],
        sigma[keep],
        color=plt.get_cmap("viridis")(i / ds.sizes["trace"]),
        offset=0.0,
    )
ax.set_yscale("symlog", linthresh=0.1)
ax.set_ylabel("emission (quanta)")
ax.set_xticklabels([])
ax.set_title("(a) drum 1, power swept", fontsize=8)
ax_res.set_xlabel(r"$(f-f_c)$ (kHz)")
axg = fig.add_subplot(gs[:, 1])
axw = fig.add_subplot(gs[:, 2])
for drum, color in ((1, COLORS["red_pump"]), (2, COLORS["blue_pump"])):
    rows = [t for t in sideband["traces"] if t["drum"] == drum]
    P = np.array([10 ** (t["power_dBm"] / 10) for t in rows])
    G = np.array([t["G"] for t in rows]) / 1e3
    sG = np.array([t["G_sigma"] for t in rows]) / 1e3
    axg.errorbar(P, G, sG, fmt="o", ms=3, color=color, label=f"drum {drum}")
    Pg = np.geomspace(P.min() * 0.8, P.max() * 1.2, 50)
    f_drum = sideband[f"f{drum}"]
    weight = 1 / (0.25 * device["kappa"] ** 2 + f_drum**2)
    axg.plot(Pg, np.sqrt(sideband[f"K{drum}"] * Pg * weight) / 1e3, color=color, lw=0.8)
    axw.plot(G, np.array([t["weak_coupling_linewidth"] for t in rows]) / 1e3, "o-", ms=3, color=color)
axg.set_xscale("log")
axg.set_yscale("log")
axg.set_xlabel("pump power (mW, generator)")
axg.set_ylabel(r"$G/2\pi$ (kHz)")
axg.set_title(f"(b) gain {gain:.2f}±{sideband['gain_dB_sigma']:.2f} dB, " + r"$n_{add}$" + f"={n_add:.2f}", fontsize=7)
axg.legend(frameon=False)
axw.set_xlabel(r"$G/2\pi$ (kHz)")
axw.set_ylabel(r"$(\gamma + 4G^2/\kappa)/2\pi$ (kHz)")
axw.set_title(f"(c) g1/g2 = {sideband['g_ratio']:.3f}±{sideband['g_ratio_sigma']:.3f}", fontsize=7)
save(fig, Path(figure_dir) / "figS2_sideband_calibration")
