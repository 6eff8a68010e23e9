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
# # 09 · Coverage: are the reported uncertainties honest? (Fig. S7)
#
# **What this step does.** N replicas are simulated from the same truth with different seeds. Each
# goes through the whole inference, as an independent job: calibrations, pump fits, probe readout,
# MCMC, verdict. This step compares each replica's reported intervals with the truth. It reports
# three checks: the empirical coverage of the 68 % and 95 % intervals for the probes' ⟨X+²⟩, the
# MCMC ⟨P−²⟩ and the Duan quantity; the bias; and the probability integral transform (PIT) of the
# truth. The PIT is the fraction of a replica's distribution below the true value. It is uniform
# when the stated probabilities, P(Duan < 1) among them, are calibrated.
#
# **Why.** The paper quotes one confidence number from one data set. A faithful simulator can
# test whether such numbers mean what they say. If coverage is off, the error model is wrong.

# %% tags=["parameters"]
replica_dir = "results/coverage/replicas"
seeds = None  # default: every replica found in replica_dir
output_json = "results/coverage/summary.json"
output_md = "results/coverage/summary.md"
figure_dir = "results/figures"

# %%
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from entangled_drums import coverage, jsonio
from entangled_drums.figures import COLORS, save, use_style

use_style()
dirs = [Path(replica_dir) / f"seed{s}" for s in seeds] if seeds else sorted(Path(replica_dir).glob("seed*"))
estimates = [jsonio.load(d / "estimate.json") for d in dirs]
truths = [jsonio.load(d / "truth.json") for d in dirs]
summary = coverage.summarise(estimates, truths)
jsonio.dump(summary, output_json)
names = [k for k in summary if k not in ("n_replicas", "runtime_s")]
lines = [f"# Coverage over {summary['n_replicas']} replicas", "",
         f"Runtime per replica: {summary['runtime_s']['mean']:.0f} s on average (max {summary['runtime_s']['max']:.0f} s).", "",
         "| data set | quantity | 68 % coverage | 95 % coverage | bias | bias / σ | pull std |", "|---|---|---|---|---|---|---|"]
for name in names:
    for key in coverage.QUANTITIES:
        r = summary[name][key]
        lines.append(f"| {name} | {key} | {r['coverage68']:.2f} ± {r['coverage68_sigma']:.2f} | {r['coverage95']:.2f} ± "
                     f"{r['coverage95_sigma']:.2f} | {r['bias']:+.4f} | {r['bias_in_sigma']:+.2f} | {r['pull_std']:.2f} |")
    p = summary[name]["prob_duan_below_one"]
    lines.append(f"\nData set {name}: mean stated P(Duan < 1) = {p['mean_stated']:.3f}; the truth is below one in "
                 f"{p['truth_below_one']:.0%} of replicas (one truth: the PIT columns are the calibration check).\n")
Path(output_md).write_text("\n".join(lines) + "\n")
print("\n".join(lines))

# %% [markdown]
# ## Fig. S7 — coverage and PIT

# %%
fig, axes = plt.subplots(len(names), 2, figsize=(6.6, 2.6 * len(names)), squeeze=False)
for row, name in zip(axes, names):
    keys = list(coverage.QUANTITIES)
    x = np.arange(len(keys))
    for shift, level in ((-0.15, 68), (0.15, 95)):
        vals = [summary[name][k][f"coverage{level}"] for k in keys]
        errs = [summary[name][k][f"coverage{level}_sigma"] for k in keys]
        row[0].errorbar(x + shift, vals, errs, fmt="o", ms=4, label=f"{level} % intervals")
        row[0].axhline(level / 100, color="0.5", ls="--", lw=0.8)
    row[0].set_xticks(x, ["⟨X+²⟩ probes", "⟨P−²⟩ MCMC", "Duan"])
    row[0].set_ylim(0, 1.05)
    row[0].set_ylabel(f"{name}: coverage")
    row[0].legend(frameon=False, fontsize=6)
    for k in keys:
        row[1].hist(summary[name][k]["pit"], bins=np.linspace(0, 1, 11), histtype="step", label=k)
    row[1].axhline(summary["n_replicas"] / 10, color="0.5", ls="--", lw=0.8)
    row[1].set_xlabel("PIT of the truth")
    row[1].legend(frameon=False, fontsize=6)
fig.suptitle(f"coverage study: N = {summary['n_replicas']} replicas", fontsize=8)
fig.tight_layout()
save(fig, Path(figure_dir) / "figS7_coverage")
