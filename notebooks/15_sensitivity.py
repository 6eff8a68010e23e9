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
# # 15 · Sensitivity of the verdict to the systematic priors
#
# **What this step does.** The analysis' priors on the systematics (detuning errors, the pumps'
# coupling transfers, the gain and pump-power drifts, the cavity's shift with the pumps on, the probe
# phase error) are widths an experimenter states. This step halves and doubles each, one at a time,
# and reruns the pump fits, the probe readout and the pump posterior, to show how much the Duan
# quantity and both probabilities rest on each. The posterior here is importance sampling from the
# Laplace approximation for every row (the baseline included), so rows differ only in the prior.
#
# **Why.** A reader who doubts one of the stated widths can see at once whether the conclusion
# depends on it.

# %% tags=["parameters"]
raw_dir = "data/raw"
config_all = None  # the whole effective config; default: config/config.yaml
datasets = ["C", "D"]
seed = 0
output_json = "results/sensitivity/summary.json"
output_md = "results/sensitivity/summary.md"

# %%
from pathlib import Path

from entangled_drums import jsonio
from entangled_drums.product.config import defaults
from entangled_drums.studies import sensitivity

config_all = config_all or defaults()
result = sensitivity.run(raw_dir, config_all, datasets, seed=int(seed))
jsonio.dump(result, output_json)
table = sensitivity.markdown(result)
Path(output_md).write_text(table)
print(table)
