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
# # 14 · Simulation-based calibration: does "98 %" mean 98 %? (Fig. S8)
#
# **What this step does.** Each of N replicas draws its own truth: the blue pump's coupling (as a
# fraction of the red's), the drum bath and the cavity bath of each data set from the population
# of `sbc.population`, and every systematic of the laboratory's truth file (detuning errors,
# coupling transfers, drifts, the probe phase offset). The laboratory simulates its raw data, and
# the analysis runs on them blind: calibrations, pump fits, the probe readout, and the pump
# posterior by importance sampling from the Laplace approximation (the MCMC is too slow to repeat
# hundreds of times; the first replicas run the MCMC too, and the two are compared below). The
# verdict's rule then gives P(Duan < 1) for each data set. This step compares all of it with the
# truths:
#
# * **rank histograms** (Talts et al. 2018): the rank of the true value among 99 posterior draws is
#   uniform over 0..99 when the posterior is calibrated; a ∪ shape means too narrow, ∩ too wide, a
#   slope a bias. Each with a χ² test of uniformity;
# * **reliability** of P(Duan < 1): among replicas stating a probability in a bin, the fraction truly
#   entangled (true Duan < 1), with Clopper-Pearson 95 % bands;
# * at the verdict level: the **false-discovery rate** (called entangled, truly separable), the
#   **false-positive rate** (truly separable, called entangled) and the **power**, also against the
#   true Duan.
#
# **Why.** The paper's 98 % is one number from one data set; what it promises is a frequency: of the
# states called entangled at that confidence, how many are. Only a population of truths spanning
# the bound can measure it.

# %% tags=["parameters"]
replica_dir = "results/sbc/replicas"
seeds = None  # default: every replica found in replica_dir
level = 0.95  # the verdict level (config verdict.probability)
rank_bins = 10
output_json = "results/sbc/summary.json"
output_md = "results/sbc/summary.md"
figure_dir = "results/figures"

# %%
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from entangled_drums import jsonio, sbc
from entangled_drums.product.figures import COLORS, save, use_style

use_style()
dirs = [Path(replica_dir) / f"seed{s}" for s in seeds] if seeds else sorted(Path(replica_dir).glob("seed*"))
estimates = [jsonio.load(d / "estimate.json") for d in dirs]
truths = [jsonio.load(d / "truth.json") for d in dirs]
ranks = [jsonio.load(d / "ranks.json") for d in dirs]
summary = sbc.summarise(estimates, truths, ranks, float(level), int(rank_bins))
jsonio.dump(summary, output_json)
table = sbc.markdown(summary)
Path(output_md).write_text(table)
print(table)

# %% [markdown]
# ## Fig. S8 — rank histograms, reliability, rates
# Top: rank histograms per data set (grey: the 99 % band of a uniform histogram's bins). Bottom
# left: the reliability diagram (stated P(Duan < 1) against the fraction truly entangled; the
# diagonal is perfect calibration). Bottom right: the fraction called entangled against the true
# Duan (the power left of 1, the false-positive rate right of it).

# %%
names = sorted(summary["datasets"])
quantities = list(sbc.RANKED)
fig = plt.figure(figsize=(7.2, 2.0 * len(names) + 2.6))
grid = fig.add_gridspec(len(names) + 1, len(quantities))
for row, name in enumerate(names):
    s = summary["datasets"][name]
    for col, q in enumerate(quantities):
        ax = fig.add_subplot(grid[row, col])
        counts = np.array(s["ranks"][q]["counts"])
        low, high = sbc.uniform_band(int(counts.sum()), len(counts))
        ax.axhspan(low, high, color="0.88")
        ax.bar(np.arange(len(counts)), counts, width=0.9, color="0.45")
        ax.set_title(f"{name} {q}\np = {s['ranks'][q]['p_value']:.2g}", fontsize=6)
        ax.set_xticks([])
        ax.tick_params(labelsize=5)
ax_rel = fig.add_subplot(grid[len(names), : len(quantities) // 2])
ax_pow = fig.add_subplot(grid[len(names), len(quantities) // 2 :])
ax_rel.plot([0, 1], [0, 1], color=COLORS["vacuum"], ls="--", lw=1)
for k, name in enumerate(names):
    s = summary["datasets"][name]
    pts = [b for b in s["reliability"] if b["n"]]
    x = [b["mean_stated"] for b in pts]
    y = [b["fraction_entangled"] for b in pts]
    err = np.array([[yy - b["band"][0], b["band"][1] - yy] for yy, b in zip(y, pts, strict=True)]).T
    ax_rel.errorbar(x, y, err, fmt="o", ms=3, color=f"C{k}", label=name)
    centres = [0.5 * sum(b["true_duan"]) for b in s["power_vs_true_duan"] if b["n"]]
    called = [b["value"] for b in s["power_vs_true_duan"] if b["n"]]
    bands = np.array(
        [
            [c - b["band"][0], b["band"][1] - c]
            for c, b in zip(called, [b for b in s["power_vs_true_duan"] if b["n"]], strict=True)
        ]
    ).T
    ax_pow.errorbar(centres, called, bands, fmt="o-", ms=3, color=f"C{k}", label=name)
ax_rel.set_xlabel("stated P(Duan < 1)")
ax_rel.set_ylabel("fraction truly entangled")
ax_rel.legend(fontsize=6)
ax_pow.axvline(1.0, color=COLORS["vacuum"], ls="--", lw=1)
ax_pow.set_xlabel("true Duan quantity")
ax_pow.set_ylabel(f"fraction called entangled (P ≥ {level:g})")
fig.suptitle(f"simulation-based calibration: {summary['n_replicas']} replicas", fontsize=8)
fig.tight_layout()
save(fig, Path(figure_dir) / "figS8_sbc")
