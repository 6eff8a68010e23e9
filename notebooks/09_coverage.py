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
# goes through the inference as an independent job: calibrations, pump fits and probe readout
# for every replica (about 110 numbers, each with its σ), and for the first few also the MCMC
# and the verdict. This step compares each replica's reported intervals with the truth:
#
# * for every number with a σ: the fraction of replicas whose value ± σ (± 1.96 σ) contains the
#   truth, the mean pull (bias in σ) and the pull width;
# * for the headline distributions (probes' ⟨X+²⟩, MCMC ⟨P−²⟩, Duan): the coverage of their
#   68 % and 95 % intervals and the probability integral transform (PIT) of the truth, i.e. the
#   fraction of a replica's distribution below the true value. The PIT is uniform when the
#   stated probabilities, P(Duan < 1) among them, are calibrated.
#
# **Why.** The paper quotes one confidence number from one data set. A faithful simulator can
# test whether such numbers mean what they say. If coverage is off, the error model is wrong
# (this study found two such faults; see notebook 07 and the sideband calibration).

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
from entangled_drums.product.figures import save, use_style

use_style()
dirs = [Path(replica_dir) / f"seed{s}" for s in seeds] if seeds else sorted(Path(replica_dir).glob("seed*"))
estimates = [jsonio.load(d / "estimate.json") for d in dirs]
truths = [jsonio.load(d / "truth.json") for d in dirs]
summary = coverage.summarise(estimates, truths)
summary["flagged"] = coverage.flagged(summary)
jsonio.dump(summary, output_json)

# %% [markdown]
# ## Tables: headline distributions, then every quantity

# %%
rt = summary["runtime_s"]
lines = [
    f"# Coverage over {summary['n_replicas']} replicas ({summary['n_mcmc_replicas']} with MCMC)",
    "",
    "Runtime per replica: "
    + "; ".join(
        f"{k.replace('_', ' ')}: {v['mean']:.0f} s on average (max {v['max']:.0f} s, {v['n']} replicas)"
        for k, v in rt.items()
    )
    + ".",
    "",
]
if summary["datasets"]:
    lines += [
        f"## Headline distributions ({summary['n_mcmc_replicas']} replicas)",
        "",
        "| data set | quantity | 68 % coverage | 95 % coverage | bias | bias / σ | pull std |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, rows in summary["datasets"].items():
        for key in coverage.QUANTITIES:
            r = rows[key]
            lines.append(
                f"| {name} | {key} | {r['coverage68']:.2f} ± {r['coverage68_sigma']:.2f} | {r['coverage95']:.2f} ± "
                f"{r['coverage95_sigma']:.2f} | {r['bias']:+.4f} | {r['bias_in_sigma']:+.2f} | {r['pull_std']:.2f} |"
            )
    for name, rows in summary["datasets"].items():
        p = rows["prob_duan_below_one"]
        lines.append(
            f"\nData set {name}: mean stated P(Duan < 1) = {p['mean_stated']:.3f}; the truth is below one in "
            f"{p['truth_below_one']:.0%} of replicas (one truth: the PIT is the calibration check)."
        )
q = summary["quantities"]
pulls_std = np.array([r["pull_std"] for r in q.values()])
lines += [
    "",
    f"## Every quantity with a σ ({summary['n_replicas']} replicas, {len(q)} quantities)",
    "",
    f"Median pull width {np.median(pulls_std):.2f}; 95 % coverage more than 3 binomial σ from 0.95: "
    + (", ".join(summary["flagged"]) if summary["flagged"] else "none")
    + ".",
    "",
    "Fits refused by a replica (the study records them; the quantities of that data set are counted over the "
    "replicas that have them, column n): "
    + ("; ".join(f"seed {r['seed']}, {r['trace']}: {r['error'][:160]}" for r in summary.get("refused", [])) or "none")
    + ".",
    "",
    "| quantity | n | 68 % coverage | 95 % coverage | bias / σ | pull std |",
    "|---|---|---|---|---|---|",
]
for name, r in q.items():
    lines.append(
        f"| {name} | {r['n']} | {r['coverage68']:.2f} | {r['coverage95']:.2f} ± {r['coverage95_sigma']:.2f} | "
        f"{r['bias_in_sigma']:+.2f} | {r['pull_std']:.2f} |"
    )
Path(output_md).write_text("\n".join(lines) + "\n")
print("\n".join(lines))

# %% [markdown]
# ## Fig. S7 — coverage, PIT and pull widths
#
# Top rows: per data set, the coverage of the headline distributions' intervals (dashed: the
# nominal level) and the PIT histograms (dashed: the uniform expectation). Bottom: the 95 %
# coverage and the pull width of every quantity with a σ, grouped (calibration, each data set's
# pump fit, probes); the band is the binomial ±2σ around 0.95 for N replicas.

# %%
names = list(summary["datasets"])
fig = plt.figure(figsize=(6.6, 2.4 * len(names) + 2.6))
grid = fig.add_gridspec(len(names) + 1, 2)
for k, name in enumerate(names):
    ax0, ax1 = fig.add_subplot(grid[k, 0]), fig.add_subplot(grid[k, 1])
    keys = list(coverage.QUANTITIES)
    x = np.arange(len(keys))
    for shift, level in ((-0.15, 68), (0.15, 95)):
        vals = [summary["datasets"][name][key][f"coverage{level}"] for key in keys]
        errs = [summary["datasets"][name][key][f"coverage{level}_sigma"] for key in keys]
        ax0.errorbar(x + shift, vals, errs, fmt="o", ms=4, label=f"{level} % intervals")
        ax0.axhline(level / 100, color="0.5", ls="--", lw=0.8)
    ax0.set_xticks(x, ["⟨X+²⟩ probes", "⟨P−²⟩ MCMC", "Duan"])
    ax0.set_ylim(0, 1.05)
    ax0.set_ylabel(f"{name}: coverage")
    ax0.legend(frameon=False, fontsize=6)
    for key in keys:
        ax1.hist(summary["datasets"][name][key]["pit"], bins=np.linspace(0, 1, 11), histtype="step", label=key)
    ax1.axhline(summary["n_mcmc_replicas"] / 10, color="0.5", ls="--", lw=0.8)
    ax1.set_xlabel("PIT of the truth")
    ax1.legend(frameon=False, fontsize=6)
ax = fig.add_subplot(grid[len(names), :])
labels = list(q)
x = np.arange(len(labels))
cov95 = np.array([q[n]["coverage95"] for n in labels])
band = 2 * np.sqrt(0.95 * 0.05 / summary["n_replicas"])
ax.fill_between([-1, len(labels)], 0.95 - band, min(1.0, 0.95 + band), color="0.85", lw=0)
ax.plot(x, cov95, "o", ms=2.5, color="C0", label="95 % coverage (left axis)")
ax.set_xlim(-1, len(labels))
ax.set_ylim(max(0.0, cov95.min() - 0.1), 1.02)
ax.set_ylabel("95 % coverage")
groups = [n.split(".")[0] if "." in n else "cal." for n in labels]
starts = [i for i in range(len(labels)) if i == 0 or groups[i] != groups[i - 1]]
ax.set_xticks(starts, [groups[i] for i in starts], fontsize=6)
twin = ax.twinx()
twin.plot(x, pulls_std, "_", ms=5, color="C3", label="pull std (right axis)")
twin.axhline(1.0, color="C3", lw=0.6, ls=":")
twin.set_ylabel("pull std", color="C3")
ax.legend(frameon=False, fontsize=6, loc="lower left")
twin.legend(frameon=False, fontsize=6, loc="lower right")
fig.suptitle(
    f"coverage study: N = {summary['n_replicas']} replicas ({summary['n_mcmc_replicas']} with MCMC)", fontsize=8
)
fig.tight_layout()
save(fig, Path(figure_dir) / "figS7_coverage")
