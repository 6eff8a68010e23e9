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
# # 07 · Back-action-evading probe readout: ⟨(X+^φ)²⟩ vs probe phase (Figs. 3, 4a, 4b)
#
# **What this step does.** For data sets C and D, each probe spectrum (pumps and probes on) minus
# the probes-off background of the same grid leaves the probe signal near ωc ± Ω. Its area,
# summed bin by bin with the averaging statistics of both traces, divided by the probe
# calibration's area per unit variance at that red-probe power, measures ⟨(X+^φ)²⟩.
#
# Two model factors correct the area (docs/model.md §4). (i) With the pumps on, the blue probe
# reaches the cavity weaker than calibrated (g−/g+ ≈ 1.055 in the paper). The area then
# underestimates the variance (the paper: ≈ 18 %). (ii) The recorded windows miss the peaks' far
# tails. The imbalance comes from the probe spectra themselves: a joint least-squares fit of the
# twelve subtracted line shapes with the model at the pump fit's parameters. The pump parameters,
# the red probe's calibrated coupling, the gain and each trace's phase error float there within
# their calibration priors. The factor F = V·k/A is then computed at the fitted state, and its
# spread over the fit's posterior is the factor's uncertainty.
#
# The pumps and the probes act on one cavity field, so the pumps also scatter the probes' sidebands and the probes
# the pumps' (the pump–probe cross terms, a few % of each line). With `readout.cross_terms` the line-shape fit is
# refined on a Floquet lattice that has them, starting from the two-mode fit (docs/model.md §4), and F gains their
# part; `cross_terms` in the output keeps the two-mode fit's reading beside it.
#
# All twelve traces share one background trace, so their errors are correlated: in every bin,
# the background's noise enters each subtracted trace alike. The line-shape fit whitens its
# residuals with that covariance, and the phase fit below uses the points' full covariance.
# Counting the background once per trace instead made the imbalance's error ~2.5× too small
# (found by the coverage study, `snakemake coverage`).
#
# The variances against setpoint follow a + b cos 2φ + c sin 2φ. A generalised least-squares
# fit gives the minimum and the optimal setpoint. The phase wanders within each ~30 min trace, which damps the
# recorded curve's modulation by e^(−2w²); with `readout.wander_correction` (the default) the minimum is the
# instantaneous state's, the modulation restored with the line-shape fit's wander w (the paper instead reads the
# recorded minimum as an upper bound). Monte Carlo draws of that fit, of the wander, of the calibration constant
# and of the correction give their distribution, which step 08 combines with the MCMC ⟨P−²⟩.
#
# **Why.** This is the paper's direct evidence of squeezing below the zero-point level (⟨X+²⟩ ≈
# 0.41 ± 0.04 at φ ≈ 4°). It relies only on the probes' dynamics and the calibrations.

# %% tags=["parameters"]
raw_dir = "data/raw"
device = None  # default: config/config.yaml
readout = None  # default: config/config.yaml
gain_drift_dB = (
    None  # rms gain drift since the probe calibration (config fits.drift.gain_dB); default: config/config.yaml
)
datasets = ["C", "D"]
main = "C"  # the data set whose traces Fig. 3 shows
display = None  # the config's data sets (display names and colours); default: config/config.yaml
sideband_json = "results/calibration/sideband.json"
probe_json = "results/calibration/probe.json"
pump_fits_json = "results/fits/pump_fits.json"
output_json = "results/readout/probes.json"
draws_dir = "results/readout"
figure_dir = "results/figures"

# %%
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from entangled_drums import calibration, jsonio, probes, rawdata
from entangled_drums.data.datasets import color, label
from entangled_drums.physics.units import VACUUM_VARIANCE
from entangled_drums.product.config import defaults
from entangled_drums.product.figures import COLORS, binned, gapped, save, use_style

use_style()
cfg = defaults()
device, readout, display = device or cfg["device"], readout or cfg["readout"], display or cfg["datasets"]
gain_drift_dB = cfg["fits"]["drift"]["gain_dB"] if gain_drift_dB is None else gain_drift_dB
sideband, probe_cal = jsonio.load(sideband_json), jsonio.load(probe_json)
device = calibration.device_of(device, sideband)  # with the calibrated rates (kappa, kappa_out, gamma's)
pump_fits = jsonio.load(pump_fits_json)["datasets"]
rng = np.random.default_rng(int(readout["seed"]))
results, data = {}, {}
for name in datasets:
    probe_ds = rawdata.load(Path(raw_dir) / f"probe_{name}.nc")
    background_ds = rawdata.load(Path(raw_dir) / f"background_{name}.nc")
    results[name], draws = probes.analyse(
        probe_ds,
        background_ds,
        pump_fits[name],
        device,
        sideband,
        probe_cal,
        readout,
        rng,
        gain_drift_dB,
        source=f"probe_{name}.nc",
    )
    jsonio.save_array(draws, Path(draws_dir) / f"xplus_draws_{name}.npy")
    data[name] = probes.curves(probe_ds, background_ds, results[name], pump_fits[name], device, sideband)
    r = results[name]
    print(
        f"{name}: <X+^2> = {r['Xplus']['value']:.3f} ± {r['Xplus']['sigma']:.3f} "
        f"(95% [{r['Xplus']['ci95'][0]:.3f}, {r['Xplus']['ci95'][1]:.3f}]) at setpoint "
        f"{r['phi_opt_deg']['value']:.1f} ± {r['phi_opt_deg']['sigma']:.1f} deg; imbalance g-/g+ = "
        f"{r['imbalance']['value']:.4f} ± {r['imbalance']['sigma']:.4f}; "
        f"correction {r['probe_correction']['value']:.3f} "
        f"(imbalance) x {r['correction_at_optimum']['window_part']:.3f} (window); line-shape chi2/dof = "
        f"{r['lineshape_fit']['chi2_reduced']:.2f}; phase-curve chi2 = {r['phase_curve']['chi2']:.1f} "
        f"({r['phase_curve']['dof']} dof)"
    )
jsonio.dump({"datasets": results, "settings": readout}, output_json)

# %% [markdown]
# ## Fig. 3 — probe spectra of the main data set after background subtraction
# Four squeezed phases (smallest variance) and two hot ones (largest variance, own vertical
# scale). Data re-binned for display; lines: the model at the fitted imbalance and phases.

# %%
points = results[main]["points"]
order = np.argsort([q["value"] for q in points])
chosen = sorted(order[:4], key=lambda i: points[i]["setpoint_deg"]) + list(order[-2:])
fig, axes = plt.subplots(3, 2, figsize=(6.8, 6.0), sharex=True)
# strict=False: with fewer than four probe traces `chosen` has fewer than six entries and the
# remaining panels stay empty.
for ax, i in zip(axes.T.ravel(), chosen, strict=False):
    t = data[main][i]
    fb, sb = binned(t["f"], t["signal"], k=6)
    f, m = gapped((t["f"] - float(device["f_c"])) / 1e3, t["model"])
    ax.plot((fb - float(device["f_c"])) / 1e3, sb, ".", ms=2, color=color(display, main))
    ax.plot(f, m, color=COLORS["theory"], lw=1)
    ax.set_title(
        rf"$\varphi$ = {t['setpoint_deg']:g}°:  $\langle (X_+^\varphi)^2\rangle$ = {points[i]['value']:.2f}", fontsize=8
    )
for ax in axes[-1]:
    ax.set_xlabel("$(f-f_c)/$kHz")
for ax in axes[:, 0]:
    ax.set_ylabel("$S^d_{out}$ (quanta)")
fig.suptitle(
    f"data set {label(display, main)}: probe spectra minus background (top: squeezed; bottom right: hot)", fontsize=8
)
fig.tight_layout()
save(fig, Path(figure_dir) / "fig3")

# %% [markdown]
# ## Fig. 4a, 4b — ⟨(X+^φ)²⟩ against the probe phase
# Points with 95 % intervals (statistics, calibration and correction). Solid lines: the model at
# the pump fit's state (phase = setpoint + the fitted offset). Dashed: the fitted a + b cos 2φ + c sin 2φ, as
# recorded (averaged over the wander within a trace); dotted: its modulation restored for that wander, whose
# minimum is the headline value. Blue: the zero-point level ½.

# %%
grid = np.linspace(-95, 50, 400)
fig4a, ax_a = plt.subplots(figsize=(4.2, 3.0))
fig4b, ax_b = plt.subplots(figsize=(4.2, 3.0))
for name, r in results.items():
    sp = np.array([q["setpoint_deg"] for q in r["points"]])
    v = np.array([q["value"] for q in r["points"]])
    err = 1.96 * np.array([q["sigma"] for q in r["points"]])
    theory = probes.theory_variance(pump_fits[name], device, sideband, grid, r["phase_offset_deg"]["value"])[:, 0]
    fitted = probes.curve_value(np.array(r["phase_curve"]["coefficients"]), grid)
    u = r["wander_correction"]["factor"]
    instantaneous = probes.curve_value(np.array(r["phase_curve"]["coefficients"]) * [1.0, u, u], grid)
    for ax in (ax_a, ax_b):
        ax.errorbar(sp, v, err, fmt="o", ms=3, color=color(display, name), label=f"data set {label(display, name)}")
        ax.plot(grid, theory, color=color(display, name), lw=1)
        ax.plot(grid, fitted, color=color(display, name), lw=0.8, ls="--")
        ax.plot(grid, instantaneous, color=color(display, name), lw=0.8, ls=":")
    ax_b.errorbar(
        r["phi_opt_deg"]["value"],
        r["Xplus"]["value"],
        np.abs(np.subtract(r["Xplus"]["ci95"], r["Xplus"]["value"]))[:, None],
        xerr=r["phi_opt_deg"]["sigma"],
        fmt="*",
        ms=8,
        color=color(display, name),
        mfc="white",
        label=f"{name}: fitted minimum",
    )
for ax in (ax_a, ax_b):
    ax.axhline(VACUUM_VARIANCE, color=COLORS["vacuum"], lw=1, label="zero-point ½")
    ax.set_xlabel("probe phase setpoint φ (deg)")
    ax.set_ylabel(r"$\langle (X_+^\varphi)^2\rangle$")
ax_a.set_yscale("log")
ax_a.legend(frameon=False)
ax_b.set_xlim(-25, 25)
ax_b.set_ylim(0.3, 1.0)
ax_b.legend(frameon=False, fontsize=6)
save(fig4a, Path(figure_dir) / "fig4a")
save(fig4b, Path(figure_dir) / "fig4b")
