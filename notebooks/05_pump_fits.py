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
# # 05 · Pump spectra: the three bath temperatures and ⟨P−²⟩, ⟨X+²⟩ (Fig. 2a–d)
#
# **What this step does.** Each pump spectrum (A1–A3, B1–B3, C, D; probes off) is fitted by
# least squares with the full model of the output spectrum. The three bath occupations, cavity
# n_c and drums n_m1, n_m2, are free. The couplings G± (predicted from the pump powers by the
# sideband calibration), the pump detunings (from the tone frequencies and the calibrated drum
# frequencies), g1/g2, the gain and the added noise are parameters with Gaussian priors from
# the calibrations (widths in `config.yaml`, `fits`). The steady state at the fitted parameters
# gives ⟨X+²⟩, ⟨P−²⟩ and the Duan quantity at the optimal phase, with errors propagated from the
# full covariance, so the calibration uncertainties are included.
#
# **Why.** The probes cannot see P−. The pump spectrum, through the inferred bath temperatures,
# is the only handle on it (paper, C: ⟨P−²⟩ ≈ 0.45 ± 0.08, ⟨X+²⟩ ≈ 0.46 ± 0.08). The MCMC of the
# next step samples the same posterior.

# %% tags=["parameters"]
raw_dir = "data/raw"
device = None  # default: config/config.yaml
fits = None  # default: config/config.yaml
datasets = None  # the data sets and their series; default: config/config.yaml
panels = None  # Fig. 2 panel per pump series; default: config/config.yaml
sideband_json = "results/calibration/sideband.json"
output_json = "results/fits/pump_fits.json"
figure_dir = "results/figures"

# %%
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from entangled_drums import calibration, jsonio, pumpfit, rawdata
from entangled_drums.data.datasets import label, pump_series
from entangled_drums.product.config import defaults
from entangled_drums.product.figures import COLORS, save, spectrum_with_residuals, use_style

use_style()
cfg = defaults()
device, fits = device or cfg["device"], fits or cfg["fits"]
datasets, panels = datasets or cfg["datasets"], panels or cfg["figures"]["pump_panels"]
sideband = jsonio.load(sideband_json)
device = calibration.device_of(device, sideband)  # with the calibrated rates (kappa, kappa_out, gamma's)
members = pump_series({"datasets": datasets})
series = {s: rawdata.load(Path(raw_dir) / f"pump_{s}.nc") for s in members}
fitted, records = {}, {}
for s, ds in series.items():
    labels = [str(v) for v in ds["label"].values]
    missing = [name for name in members[s] if name not in labels]
    if missing:
        raise ValueError(
            f"{raw_dir}/pump_{s}.nc has no trace labelled {missing} (its labels: {labels}); "
            "config 'datasets' names them in this series"
        )
    for name in members[s]:
        i = labels.index(name)
        result, prior = pumpfit.fit_trace(ds, i, device, sideband, fits)
        fitted[name] = (s, i, result)
        records[name] = pumpfit.summary(
            result, prior, device, sideband, pumpfit.prior_parts(ds, i, device, sideband, fits)
        )
        d = records[name]["derived"]
        print(
            f"{name}: chi2_red = {result.chi2_reduced:.3f}; n_c = {result.value('n_c'):.3f}±{result.error('n_c'):.3f}, "
            f"n_m1 = {result.value('n_m1'):.1f}±{result.error('n_m1'):.1f}, n_m2 = {result.value('n_m2'):.1f}±"
            f"{result.error('n_m2'):.1f}; <X+^2> = {d['Xplus']['value']:.3f}±{d['Xplus']['sigma']:.3f}, "
            f"<P-^2> = {d['Pminus']['value']:.3f}±{d['Pminus']['sigma']:.3f}, Duan = {d['duan']['value']:.3f}±"
            f"{d['duan']['sigma']:.3f}"
        )
jsonio.dump({"datasets": records, "settings": fits}, output_json)

# %% [markdown]
# ## Fig. 2 — pump output spectra with the fits
# One figure per pump series (`figures.pump_panels` in the config). The spectra near ωc in quanta
# (gain and added noise from each fit), with the theory line and normalised residuals. Layout
# `offset`: the series' traces in one panel, offset by one quantum each, optionally with the
# model's single-tone sideband-cooling spectrum of drum 1 at the same G− for reference (the paper's
# 2a); `side_by_side`: one panel per trace (2b, three detunings). A single trace is titled with
# its ⟨P−²⟩ (2c, 2d).


# %%
def draw(ax, ax_res, name, offset=0.0, color="black"):
    s, i, result = fitted[name]
    ds = series[s]
    f = np.asarray(ds["frequency"].values[i])
    psd = np.asarray(ds["psd"].values[i]) / pumpfit.gain_shape(result.x, ds, i, device, sideband)  # flat if no shape
    keep = np.abs(f - device["f_c"]) < 250e3
    gain, n_add = result.value("gain_dB"), result.value("n_add")
    data = calibration.to_quanta(f, psd, gain, n_add)
    model = pumpfit.model_quanta(
        result.x, f, device, sideband, float(ds["rbw"].values[i]), pumpfit.tone_midpoint(ds, i, device)
    )
    sigma = calibration.quanta_sigma(f, psd, ds["n_averages"].values[i], gain)
    spectrum_with_residuals(
        ax,
        ax_res,
        (f[keep] - device["f_c"]) / 1e3,
        data[keep],
        model[keep],
        sigma[keep],
        color=color,
        offset=offset,
        label=label(datasets, name),
        bin_to=250,
    )
    return f[keep], result


def panel(fig, spec, names, title, offsets=None, reference=False):
    gs = spec.subgridspec(2, 1, height_ratios=[3, 1], hspace=0.05)
    ax, ax_res = fig.add_subplot(gs[0]), fig.add_subplot(gs[1])
    for k, name in enumerate(names):
        f, result = draw(
            ax,
            ax_res,
            name,
            offset=(offsets or [0] * len(names))[k],
            color=plt.get_cmap("copper")(k / max(1, len(names))),
        )
    if reference:
        from entangled_drums.physics.model import single_tone

        p = pumpfit.params_from(result.x, device, sideband)
        S = pumpfit.pump_spectrum(single_tone(p, 1, p.G_minus), f - device["f_c"])
        ax.plot((f - device["f_c"]) / 1e3, S, color=COLORS["blue_pump"], lw=0.8, label="sideband cooling, drum 1")
    ax.set_title(title, fontsize=8)
    ax.set_xticklabels([])
    ax.set_ylabel(r"$S_{out}$ (quanta)")
    ax.legend(frameon=False, fontsize=6)
    ax_res.set_xlabel(r"$(\omega-\omega_c)/2\pi$ (kHz)")
    return ax


def nominal(names, key):
    return ", ".join(f"{datasets[n][key] / 1e3:.0f}" for n in names)


for s, settings in panels.items():
    names, tag = members[s], settings["name"][-1]
    if settings.get("layout", "offset") == "side_by_side":
        fig = plt.figure(figsize=(3.0 * len(names), 3.4))
        grid = fig.add_gridspec(1, len(names), wspace=0.35)
        for k, name in enumerate(names):
            d_minus, d_plus = records[name]["priors"]["delta_minus,delta_plus"][0]  # the tones' nominal detunings
            delta = 0.5 * (d_plus - d_minus)
            panel(
                fig,
                grid[k],
                [name],
                f"({tag}) {label(datasets, name)}: G−/2π ≈ {nominal([name], 'G_minus')} kHz, Δ/2π ≈ {delta:.1f} kHz",
            )
    elif len(names) == 1:
        fig = plt.figure(figsize=(4.2, 3.4))
        d = records[names[0]]["derived"]
        panel(
            fig,
            fig.add_gridspec(1, 1)[0],
            names,
            f"({tag}) data set {label(datasets, names[0])}: "
            + rf"$\langle P_-^2\rangle$ = {d['Pminus']['value']:.2f}±{d['Pminus']['sigma']:.2f}",
        )
    else:
        fig = plt.figure(figsize=(4.2, 3.6))
        panel(
            fig,
            fig.add_gridspec(1, 1)[0],
            names,
            f"({tag}) G−/2π ≈ {nominal(names[:1], 'G_minus')} kHz, G+/2π ≈ {nominal(names, 'G_plus')} kHz",
            offsets=[float(len(names) - 1 - k) for k in range(len(names))],
            reference=settings.get("reference", False),
        )
    save(fig, Path(figure_dir) / settings["name"])
