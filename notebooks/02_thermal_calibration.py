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
# # 02 · Thermal calibration: area per phonon and the drums' base occupations (Fig. S1)
#
# **What this step does.** A weak red tone on each drum's lower sideband scatters the drum's
# thermal motion into the cavity. The tone is weak (4G²/κ ≪ γ), so it does not cool the drum,
# and the sideband's area (W) is proportional to the drum's occupation. The fridge temperature is
# swept. Above ~20 mK the drums follow the fridge, with the Bose occupation at the drum
# frequency. A weighted straight line through those points (T ≥ `thermal_T_min`, 70 mK: well
# above the saturation, whose tail still lifts the occupation ~0.5 % above the fridge's at
# 50 mK and biased n1 by −0.6σ in the coverage study) gives the area per phonon. The area at
# base temperature, divided by it, is the base occupation (paper: 41 and 30). Each line is fitted as
# a Voigt profile: the drum's Lorentzian seen through the analyser's resolution filter (a Gaussian of
# the file's RBW) and broadened by the drum's frequency jitter over the trace (a fitted Gaussian
# variance, prior 0 ± (`fits.drum_jitter_hz`)²). A Lorentzian would read the ~106 Hz line ~2.5 % wide.
#
# **Why.** The base occupations fix the collective thermal variance ⟨X+²⟩ᵀ = (n1 + n2)/2 + ½
# (≈ 36) that the probe calibration uses. The sideband calibration uses them as priors to turn
# areas into quanta.

# %% tags=["parameters"]
raw_dir = "data/raw"
device = None  # default: config/config.yaml
T_min = None  # default: config/config.yaml
jitter_hz = None  # default: config/config.yaml
output_json = "results/calibration/thermal.json"
figure_dir = "results/figures"

# %%
from pathlib import Path

import matplotlib.pyplot as plt

from entangled_drums import calibration, jsonio, rawdata
from entangled_drums.product.config import defaults
from entangled_drums.product.figures import COLORS, save, thermal_panel, use_style

use_style()
cfg = defaults()
device, T_min = device or cfg["device"], T_min or cfg["fits"]["thermal_T_min"]
jitter_hz = jitter_hz or cfg["fits"]["drum_jitter_hz"]
results = {}
for drum in (1, 2):
    ds = rawdata.load(Path(raw_dir) / f"thermal_cal_drum{drum}.nc")
    results[f"drum{drum}"] = calibration.thermal_calibration(ds, device[f"f{drum}"], T_min, jitter_hz)
    r = results[f"drum{drum}"]
    print(
        f"drum {drum}: area per phonon {r['area_per_phonon_W']:.4g} ± {r['area_per_phonon_sigma_W']:.2g} W, "
        f"n_base = {r['n_base']:.2f} ± {r['n_base_sigma']:.2f}, line chi2 = {r['line_chi2']:.1f}"
    )
results["collective_thermal_variance"] = dict(
    zip(
        ("value", "sigma"),
        calibration.collective_thermal_variance(
            (results["drum1"]["n_base"], results["drum1"]["n_base_sigma"]),
            (results["drum2"]["n_base"], results["drum2"]["n_base_sigma"]),
        ),
        strict=True,
    )
)
jsonio.dump(results, output_json)
results["collective_thermal_variance"]

# %% [markdown]
# ## Fig. S1 — sideband area vs fridge occupation
# Filled points enter the line. Open points (base temperature) lie above it because the drums
# saturate. The dotted line marks each drum's inferred base occupation.

# %%
fig, ax = plt.subplots(figsize=(4.8, 3.4))
thermal_panel(ax, results["drum1"], 1, COLORS["red_pump"])
thermal_panel(ax, results["drum2"], 2, COLORS["blue_pump"])
ax.legend(frameon=False, loc="upper left")
save(fig, Path(figure_dir) / "figS1_thermal_calibration")
