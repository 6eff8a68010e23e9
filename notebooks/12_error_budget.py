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
# # 12 · Error budget: what each source contributes to ⟨X+²⟩, ⟨P−²⟩, Duan and P(Duan < 1)
#
# **What this step does.** It splits the variance of each headline result by independent source:
# the averaging noise of the pump and probe spectra, the probe calibration, the gain and added
# noise, the cavity's κ and κ_out, the drums' γ1 and γ2, the transfer of the calibrated pump
# couplings to two-tone driving, the pump detunings, g1/g2, the probe phase's errors and wander, and
# the drifts of the gain and of the pump powers since the calibrations. The method
# (`entangled_drums.results.budget`): for a fit with Gaussian priors the posterior covariance splits exactly
# into a data part and one part per prior source, S = S H S + Σ_k S P_k S; a result's share of
# source k follows from its covariance with the parameters. ⟨P−²⟩ is split from the MCMC draws at
# the verdict's quadrature angle; ⟨X+²⟩ from the probe readout's first-order propagation (step 07),
# its pump-fit part by the pump fit's own sources. Duan adds the two (independent draws), and
# P(Duan < 1) is given, in the normal approximation, with each source known exactly. The sum of the
# shares is the part of the variance linear in the parameters; it is compared with the draws'
# variance, which checks the method.
#
# **Why.** A reviewer's first question of a ±0.015 against the paper's ±0.08: which calibration
# would have to be how much worse. The last line of each table answers it for ⟨P−²⟩.

# %% tags=["parameters"]
datasets = ["C", "D"]
pump_fits_json = "results/fits/pump_fits.json"
probes_json = "results/readout/probes.json"
headline_json = "results/headline.json"
mcmc_dir = "results/mcmc"
paper_yaml = "data/paper_values.yaml"
output_stem = "results/error_budget"
figure_dir = "results/figures"

# %%
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import yaml

from entangled_drums import budget, jsonio, posterior, pumpfit
from entangled_drums.product.figures import save, use_style

use_style()
pump_fits = jsonio.load(pump_fits_json)["datasets"]
readout = jsonio.load(probes_json)["datasets"]
headline = jsonio.load(headline_json)["datasets"]
paper = yaml.safe_load(Path(paper_yaml).read_text())
budgets = {}
for name in datasets:
    post = posterior.read(Path(mcmc_dir) / f"{name}_posterior.nc").posterior
    params = np.column_stack([post[n].values.ravel() for n in pumpfit.NAMES])
    phi = np.radians(headline[name]["duan_phi_deg"])
    pminus_phi = (
        post["Pminus_a"].values + post["Pminus_b"].values * np.cos(2 * phi) + post["Pminus_c"].values * np.sin(2 * phi)
    ).ravel()
    parts = {k: (tuple(v["names"]), v["covariance"]) for k, v in pump_fits[name]["prior_parts"].items()}
    duan = headline[name]["duan"]
    target = paper.get(f"headline_{name}", {}).get("Pminus_mcmc", {}).get("error")
    cross = 2.0 * headline[name]["pairing"]["covariance_of_the_pairs"]  # the joint draw: shared pump parameters
    budgets[name] = budget.dataset_budget(
        params,
        pminus_phi,
        parts,
        pumpfit.NAMES,
        readout[name]["budget"],
        (duan["value"], duan["sigma"] ** 2),
        target,
        cross,
    )
    for key in ("Xplus", "Pminus", "duan"):
        b = budgets[name][key]
        print(
            f"{name} {key}: sum of the shares {np.sqrt(b['linear_total']):.4f} "
            f"vs draws {np.sqrt(b['draws_variance']):.4f} "
            f"(variance ratio {b['ratio_linear_to_draws']:.3f})"
        )
record = {
    "method": "variance decomposition by independent source (entangled_drums.results.budget; docs/analysis.md)",
    "units": "variance shares (square roots in the Markdown table)",
    "datasets": budgets,
}
jsonio.dump(record, f"{output_stem}.json")
text = budget.markdown(budgets)
Path(f"{output_stem}.md").write_text(
    "# Error budget\n\n" + record["method"] + ". Each cell: the standard deviation a "
    "source alone gives (square root of its variance share).\n\n" + text
)
print(text)

# %% [markdown]
# ## Fig. E1 — the error budget
# Each source's standard deviation (square root of its variance share) for ⟨X+²⟩ (probes), ⟨P−²⟩
# (MCMC) and Duan, per data set; the grey bar is the draws' own standard deviation.

# %%
fig, axes = plt.subplots(1, len(datasets), figsize=(3.7 * len(datasets), 3.6), sharey=True, squeeze=False)
y = np.arange(len(budget.ORDER))
for ax, name in zip(axes[0], datasets, strict=True):
    for k, (key, label) in enumerate(
        (("Xplus", r"$\langle X_+^2\rangle$"), ("Pminus", r"$\langle P_-^2\rangle$"), ("duan", "Duan"))
    ):
        b = budgets[name][key]
        v = [np.sqrt(max(b["shares"].get(s, 0.0), 0.0)) for s in budget.ORDER]
        ax.barh(y + 0.27 * (k - 1), v, height=0.27, label=label)
        ax.axvline(np.sqrt(b["draws_variance"]), color=f"C{k}", lw=0.8, ls="--")
    ax.set_yticks(y, budget.ORDER, fontsize=6)
    ax.invert_yaxis()
    ax.set_xlabel("standard deviation")
    ax.set_title(f"data set {name}", fontsize=8)
axes[0, 0].legend(frameon=False, fontsize=6)
fig.tight_layout()
save(fig, Path(figure_dir) / "figE1_error_budget")
