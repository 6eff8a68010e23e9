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
# # 06 · Bayesian posteriors of the pump-spectrum model (Figs. S4, S5) and the P− confidence
#
# **What this step does.** It samples the posterior of the pump-spectrum model for one data set
# with emcee. The likelihood is the exact law of the averaged traces (Gamma). The three baths
# have flat, positive priors. Every calibrated quantity (G±, detunings, g1/g2, gain, added
# noise) has the same Gaussian prior as in the least-squares fit. The walkers move in the
# coordinates the spectrum pins (`inference/inference/reparam.py`: the output-referred levels g·n_c, log g·n_m1,
# log g·n_m2 and g·(n_add + ½), the Bogoliubov coupling G = √(G−² − G+²) and the squeezing r),
# where the posterior is close to Gaussian; the Jacobian of the map is part of the density, so
# the posterior in physical units is the stated one. Independent ensembles, one per seed in
# `config.yaml` (`mcmc`), start spread like the Laplace approximation of the posterior. Each runs
# until it is longer than n_tau autocorrelation times and its τ agrees with that of its first
# half. Then 2τ are discarded, and ArviZ's rank-normalised split R-hat across the runs and the
# bulk and tail effective sample sizes of every quantity must pass. A run that does not converge
# stops the workflow, and no numbers are written. From the posterior samples the step computes
# ⟨X+²⟩, ⟨P−²⟩ and the Duan quantity at each sample's optimal phase. It reports the most likely
# value, the error, the intervals, and P(⟨P−²⟩ < ½), and writes every draw as ArviZ
# InferenceData (`<dataset>_posterior.nc`, one chain per run).
#
# **Why.** The paper's "Bayesian Monte Carlo" gives ⟨P−²⟩ ≈ 0.42 ± 0.08 with P(⟨P−²⟩ < ½) ≈ 96 %
# for data set C. Together with the probes' ⟨X+²⟩, this is the entanglement verdict.

# %% tags=["parameters"]
raw_dir = "data/raw"
dataset = "C"
series = "C"  # the raw file pump_<series>.nc whose trace labelled `dataset` is analysed
color = "black"
device = None  # default: config/config.yaml
fits = None  # default: config/config.yaml
mcmc = None  # default: config/quick.yaml (short chains for a run by hand)
sideband_json = "results/calibration/sideband.json"
chain_dir = "results/mcmc/chains"
output_json = "results/mcmc/C.json"
samples_npy = "results/mcmc/C_samples.npy"
posterior_nc = "results/mcmc/C_posterior.nc"
figure_dir = "results/figures"
processes = 1

# %%
from pathlib import Path

import corner
import matplotlib.pyplot as plt
import numpy as np

from entangled_drums import calibration, jsonio, posterior, pumpfit, rawdata, sampling
from entangled_drums.product.config import defaults
from entangled_drums.product.figures import COLORS, save, use_style

use_style()
cfg = defaults()
device, fits = device or cfg["device"], fits or cfg["fits"]
mcmc = mcmc or defaults("config/quick.yaml")["mcmc"]
sideband = jsonio.load(sideband_json)
device = calibration.device_of(device, sideband)  # with the calibrated rates (kappa, kappa_out, gamma's)
ds = rawdata.load(Path(raw_dir) / f"pump_{series}.nc")
labels = [str(v) for v in ds["label"].values]
if dataset not in labels:
    raise ValueError(f"{raw_dir}/pump_{series}.nc has no trace labelled {dataset!r} (its labels: {labels})")
i = labels.index(dataset)
runs, lsq, prior = sampling.sample_trace(ds, i, device, sideband, fits, mcmc, chain_dir, int(processes))
summary, pooled, idata = sampling.posterior_summary(runs, device, sideband, attrs={"dataset": dataset})
sampling.check_convergence(summary, mcmc, f"MCMC of data set {dataset}")
summary["settings"] = mcmc
summary["dataset"] = dataset
jsonio.dump(summary, output_json)
jsonio.save_array(pooled, samples_npy)  # named fields (pumpfit.DERIVED) per posterior draw, for step 08
posterior.write(idata, posterior_nc)
for run in summary["runs"]:
    print(
        f"seed {run['seed']}: {run['steps']} steps x {run['walkers']} walkers, acceptance {run['acceptance']:.2f}, "
        f"max tau = {max(run['tau'].values()):.0f} (first half {max(run['tau_first_half'].values()):.0f}), "
        f"effective samples {run['effective_samples']:.0f}"
    )
for key in ("Xplus", "Pminus", "duan"):
    s, d = summary[key], summary["diagnostics"][key]
    print(
        f"{key}: most likely {s['value']:.3f} ± {s['sigma']:.3f}, 95% [{s['ci95'][0]:.3f}, {s['ci95'][1]:.3f}], "
        f"P(< {s['bound']}) = {s['prob_below']:.4f} ({s['n_samples']} draws); R-hat {d['rhat']:.4f}, "
        f"ESS bulk {d['ess_bulk']:.0f}, tail {d['ess_tail']:.0f}"
    )

# %% [markdown]
# ## Fig. S4 — corner plot and chains
# The three baths and the main nuisance parameters (pooled over runs): 1-D marginals with the 16/50/84 %
# quantiles, 2-D densities with contours (the individual draws are not drawn: thousands of points
# cost seconds to render and show nothing the contours do not). The walkers' traces of the cavity
# and drum-1 occupations for the first run, burn-in included (physical units; every k-th step, at
# most 600 per walker).

# %%
show = ["n_c", "n_m1", "n_m2", "G_minus", "G_plus", "gain_dB"]
cols = [pumpfit.NAMES.index(n) for n in show]
samples = np.concatenate([r.samples for r in runs])[:, cols]
fig = corner.corner(
    samples,
    labels=show,
    truths=None,
    quantiles=[0.16, 0.5, 0.84],
    show_titles=True,
    plot_datapoints=False,
    title_kwargs={"fontsize": 7},
    label_kwargs={"fontsize": 8},
)
fig.suptitle(f"data set {dataset}: posterior ({len(samples)} samples, {len(runs)} runs)", fontsize=9)
save(fig, Path(figure_dir) / f"figS4_corner_{dataset}")
chain = runs[0].chain
stride = -(-chain.shape[0] // 600)
steps = np.arange(0, chain.shape[0], stride)
fig, axes = plt.subplots(2, 1, figsize=(6.4, 3.2), sharex=True)
for ax, name in zip(axes, ("n_c", "n_m1"), strict=True):
    ax.plot(steps, chain[::stride, :, pumpfit.NAMES.index(name)], lw=0.3, alpha=0.5, color="k")
    ax.axvline(runs[0].burn, color=COLORS["red_pump"], lw=0.8, label="burn-in (2τ)")
    ax.set_ylabel(name)
axes[0].legend(frameon=False)
axes[1].set_xlabel("step")
save(fig, Path(figure_dir) / f"figS4_chains_{dataset}")

# %% [markdown]
# ## Fig. S5 — posteriors of ⟨X+²⟩, ⟨P−²⟩ and the Duan quantity
# Shaded: the region below the bound (zero-point ½ for the variances, 1 for Duan), with the
# posterior probability of lying there.

# %%
fig, axes = plt.subplots(1, 3, figsize=(7.2, 2.4))
quantities = [("Xplus", r"$\langle X_+^2\rangle$"), ("Pminus", r"$\langle P_-^2\rangle$"), ("duan", "Duan")]
for ax, (key, label) in zip(axes, quantities, strict=True):
    s = summary[key]
    ax.hist(pooled[key], bins=60, density=True, color=color, alpha=0.6)
    ax.axvline(s["bound"], color=COLORS["vacuum"], ls="--", lw=1)
    ax.axvspan(min(pooled[key].min(), s["bound"]), s["bound"], color=COLORS["vacuum"], alpha=0.08)
    ax.set_title(f"{s['value']:.3f} ± {s['sigma']:.3f};  P(< {s['bound']:g}) = {s['prob_below']:.3f}", fontsize=7)
    ax.set_xlabel(label)
    ax.set_yticks([])
fig.suptitle(f"data set {dataset}: pump-spectrum posterior (MCMC)", fontsize=8)
fig.tight_layout()
save(fig, Path(figure_dir) / f"figS5_posteriors_{dataset}")
