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
# # 11 · Closure: recovered values against the simulator's truth (Fig. S6)
#
# **What this step does.** It compares every quantity the analysis infers from the archived
# synthetic data with the simulator's truth (`data/simulation_truth.json`), in units of the
# analysis' own uncertainty. It covers the calibration constants, every pump-fit parameter and
# derived variance, and the probe readout. A pull (recovered − true)/σ should scatter like a
# unit normal. Apart from these it measures the bias of the paper's estimator of ⟨X+²⟩ (each
# probe area times its 18 % alone) against the same truth; that one is not expected to close.
#
# **Why.** A simulation study is only convincing if the analysis recovers a known truth blind.
# This step runs after the analysis and is the only one besides the coverage study that reads the
# truth. It is not part of `make`, because real data have no truth: run `snakemake closure`.

# %% tags=["parameters"]
truth_json = "data/simulation_truth.json"
thermal_json = "results/calibration/thermal.json"
cavity_json = "results/calibration/cavity.json"
sideband_json = "results/calibration/sideband.json"
probe_json = "results/calibration/probe.json"
pump_fits_json = "results/fits/pump_fits.json"
probes_json = "results/readout/probes.json"
output_json = "results/closure/pulls.json"
figure_dir = "results/figures"

# %%
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from entangled_drums import closure, jsonio
from entangled_drums.product.figures import COLORS, save, use_style

use_style()
truth = jsonio.load(truth_json)
cal = {
    "cavity": jsonio.load(cavity_json),
    "thermal": jsonio.load(thermal_json),
    "sideband": jsonio.load(sideband_json),
    "probe": jsonio.load(probe_json),
}
fits = jsonio.load(pump_fits_json)["datasets"]
readouts = {name: (res, None) for name, res in jsonio.load(probes_json)["datasets"].items()}
rows = (
    closure.calibration_pulls(cal, truth) + closure.pump_pulls(fits, truth) + closure.probe_pulls(readouts, truth, fits)
)
stats = closure.summary(rows)
paper_rows = closure.paper_estimator_bias(readouts, truth)  # the paper's estimator: a bias, not a closure
fields = ("name", "value", "sigma", "truth", "pull")
jsonio.dump(
    {
        "rows": [dict(zip(fields, r, strict=True)) for r in rows],
        "summary": stats,
        "paper_estimator": [dict(zip(fields, r, strict=True)) for r in paper_rows],
    },
    output_json,
)
for name, value, sigma, true, pull in paper_rows:
    print(f"the paper's estimator {name}: {value:.4f} ± {sigma:.4f} against the truth {true:.4f} ({pull:+.1f} σ)")
print(
    f"{stats['n']} quantities: mean pull {stats['mean']:+.2f}, std {stats['std']:.2f}, "
    f"{stats['beyond_2sigma']:.1%} beyond 2σ, largest |pull| {stats['max_abs']:.2f}"
)

# %% [markdown]
# ## Fig. S6 — pulls of every inferred quantity
# Grey bands: ±1σ and ±2σ. Right: the pull histogram against the unit normal.

# %%
pulls = np.array([r[4] for r in rows])
groups = [r[0].split(".")[0] if "." in r[0] else "calibration" for r in rows]
order = list(dict.fromkeys(groups))
fig, (ax, ax_h) = plt.subplots(1, 2, figsize=(7.2, 3.0), gridspec_kw={"width_ratios": [3, 1]}, sharey=True)
ax.axhspan(-2, 2, color="0.92")
ax.axhspan(-1, 1, color="0.82")
for k, g in enumerate(order):
    idx = [i for i, gg in enumerate(groups) if gg == g]
    ax.plot(np.array(idx), pulls[idx], "o", ms=3, color=COLORS.get(g, f"C{k % 10}"), label=g)
ax.set_xticks([np.mean([i for i, gg in enumerate(groups) if gg == g]) for g in order], order, fontsize=7)
ax.set_ylabel("(recovered − true) / σ")
ax_h.hist(pulls, bins=np.linspace(-4, 4, 17), orientation="horizontal", density=True, color="0.5")
y = np.linspace(-4, 4, 200)
ax_h.plot(np.exp(-0.5 * y**2) / np.sqrt(2 * np.pi), y, color=COLORS["theory"])
ax_h.set_xlabel("density")
fig.suptitle(
    f"closure on the archived synthetic data: {stats['n']} quantities, pull std {stats['std']:.2f}", fontsize=8
)
fig.tight_layout()
save(fig, Path(figure_dir) / "figS6_closure")
