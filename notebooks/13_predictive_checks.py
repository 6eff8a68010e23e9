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
# # 13 · Posterior predictive checks of the pump fits (Fig. S9)
#
# **What this step does.** For every pump trace it draws parameters from the fit's posterior (the
# MCMC's draws for the data sets it ran on, the least-squares fit's Gaussian for the others), makes
# one replicated trace per draw with the analyser's noise (Gamma-distributed averages, as in the
# likelihood), and sets the measured trace against the replicated ones through two discrepancies of
# the standardised residuals: their mean square (reduced χ²) and their lag-1 autocorrelation (a
# ripple, a missing line or a wrong line shape leaves neighbouring residuals alike). Each has a
# posterior predictive p-value: the fraction of draws whose replicated discrepancy reaches the
# measured one.
#
# **Why.** A posterior is only as good as the model under it. A small χ² p-value says the data
# scatter more than the model allows; a small autocorrelation p-value says the misfit has a shape.
# A trace fails when a p-value is below α / (number of tests) (`checks.alpha`, Bonferroni: a
# correct model fails any of them with probability ≤ α); the headline names it.

# %% tags=["parameters"]
raw_dir = "data/raw"
device = None  # default: config/config.yaml
datasets = None  # the config's data sets (series of each); default: config/config.yaml
mcmc_datasets = None  # data sets with an MCMC posterior; default: config/config.yaml
settings = None  # config `checks`; default: config/config.yaml
sideband_json = "results/calibration/sideband.json"
pump_fits_json = "results/fits/pump_fits.json"
mcmc_dir = "results/mcmc"
output_json = "results/checks/predictive.json"
figure_dir = "results/figures"

# %%
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from entangled_drums import calibration, jsonio, rawdata
from entangled_drums.inference import predictive, pumpfit
from entangled_drums.product.config import defaults
from entangled_drums.product.figures import COLORS, save, use_style

use_style()
cfg = defaults()
device, datasets = device or cfg["device"], datasets or cfg["datasets"]
mcmc_datasets = cfg["mcmc"]["datasets"] if mcmc_datasets is None else mcmc_datasets
settings = settings or cfg["checks"]
sideband = jsonio.load(sideband_json)
device = calibration.device_of(device, sideband)
fits = jsonio.load(pump_fits_json)["datasets"]
rng = np.random.default_rng(int(settings["seed"]))
checks = {}
for name, entry in fits.items():
    ds = rawdata.load(Path(raw_dir) / f"pump_{datasets[name]['series']}.nc")
    i = [str(v) for v in ds["label"].values].index(name)
    path = Path(mcmc_dir) / f"{name}_posterior.nc" if name in mcmc_datasets else None
    draws, source, rejected = predictive.posterior_draws(entry, path, device, sideband, int(settings["n_draws"]), rng)
    f, psd, n, rbw = (ds[key].values[i] for key in ("frequency", "psd", "n_averages", "rbw"))
    midpoint = pumpfit.tone_midpoint(ds, i, device)
    checks[name] = predictive.check_trace(f, psd, n, draws, device, sideband, rng, float(rbw), midpoint)
    checks[name].update(source=source, rejected=rejected)
failed = predictive.failing(checks, float(settings["alpha"]))
jsonio.dump(
    {"checks": checks, "alpha": float(settings["alpha"]), "failing": [list(x) for x in failed]},
    output_json,
)
for name, c in checks.items():
    print(
        f"{name}: χ²/dof {c['chi2']['observed']:.3f} (p = {c['chi2']['p_value']:.3f}), lag-1 autocorrelation "
        f"{c['autocorrelation']['observed']:+.3f} (p = {c['autocorrelation']['p_value']:.3f}); {c['source']}"
    )
print("failing:", failed or "none")

# %% [markdown]
# ## Fig. S9 — measured discrepancies against replicated ones
# Each trace: its measured χ²/dof and residual autocorrelation (dots) with the p-values; the
# residuals of the posterior-mean model below.

# %%
names = list(checks)
fig, axes = plt.subplots(2, 1, figsize=(7.2, 4.6))
x = np.arange(len(names))
for k, (d, ax) in enumerate(zip(predictive.DISCREPANCIES, axes[:1].tolist() * 2, strict=True)):
    obs = [checks[n][d]["observed"] for n in names]
    rep = [checks[n][d]["replicated"] for n in names]
    ax.plot(x + 0.15 * (2 * k - 1), obs, "o", color=f"C{k}", label=f"{d}: measured")
    ax.plot(x + 0.15 * (2 * k - 1), rep, "_", ms=12, color=f"C{k}", label=f"{d}: replicated (mean)")
    for xi, n in zip(x, names, strict=True):
        ax.annotate(f"{checks[n][d]['p_value']:.2f}", (xi + 0.15 * (2 * k - 1), obs[names.index(n)]), fontsize=5)
axes[0].axhline(1.0, color=COLORS["vacuum"], lw=0.8, ls=":")
axes[0].axhline(0.0, color=COLORS["vacuum"], lw=0.8, ls=":")
axes[0].set_xticks(x, names)
axes[0].set_ylabel("discrepancy (numbers: p-values)")
axes[0].legend(fontsize=6, ncol=2)
for k, n in enumerate(names):
    r = np.asarray(checks[n]["residuals"])
    axes[1].plot(np.linspace(k, k + 0.9, r.size), r, lw=0.3, color="0.4")
axes[1].set_xticks(x + 0.45, names)
axes[1].set_ylabel("standardised residual")
fig.tight_layout()
save(fig, Path(figure_dir) / "figS9_predictive_checks")
