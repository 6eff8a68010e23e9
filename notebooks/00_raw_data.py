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
# # 00 · Raw data: what the instrument recorded
#
# **What this step does.** It loads every raw series listed in the raw-data directory's
# `MANIFEST.sha256`. Each file is checked against its checksum and validated against the schema
# (`data/raw/README.md`). The step then writes an inventory (role, data set, traces, resolution
# bandwidth, averages, tones) and plots a few traces as the spectrum analyser saw them: power
# spectral density in W/Hz, with the amplifier's noise floor and the averaging noise still in.
#
# **Why.** Every later step starts from these files, so a reviewer should see them first. The
# step also fails early and clearly on bad input. If the files are the archived synthetic data
# (`source: simulated`), the analysis does not know the truth behind them: it reads only this
# directory and `config/config.yaml`.

# %% tags=["parameters"]
raw_dir = "data/raw"
f_c = 5.5e9
main = "C"  # the data set whose pump and probe traces are shown (figures.main_dataset)
main_series = "C"  # its pump series (file pump_<series>.nc)
inventory_json = "results/raw/inventory.json"
figure_dir = "results/figures"

# %%
import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from entangled_drums import rawdata
from entangled_drums.product.figures import raw_traces, save, use_style

use_style()
series = rawdata.load_directory(raw_dir)
rows = rawdata.inventory(series)
manifest = rawdata.read_manifest(Path(raw_dir) / rawdata.MANIFEST)
for row in rows:
    row["sha256"] = manifest[row["file"]]
Path(inventory_json).parent.mkdir(parents=True, exist_ok=True)
Path(inventory_json).write_text(json.dumps(rows, indent=2) + "\n")
for row in rows:
    print(
        f"{row['file']:<24} {row['role']:<12} {row['dataset']:<6} {row['source']:<9} traces={row['traces']:<3} "
        f"bins={row['bins']:<5} rbw={row['rbw_Hz']} N={row['n_averages'][:3]} tones={row['tones']}"
    )

# %% [markdown]
# ## A few raw traces
# Top left: the thermal calibration of drum 1 (the sideband area grows with the fridge
# temperature). Top right: the sideband-cooling calibration (the peak broadens with pump power).
# Bottom left: the pump spectrum of the main data set (`figures.main_dataset`), both windows.
# Bottom right: its probe spectra at the phase setpoints nearest 0° and farthest from it, with the
# probes-off background.

# %%
fig, axes = plt.subplots(2, 2, figsize=(7.2, 5.2))
thermal = series["thermal_cal_drum1"]
raw_traces(axes[0, 0], thermal, [0, 3, thermal.sizes["trace"] - 1], f_c, "thermal calibration, drum 1")
sideband = series["sideband_cal_drum1"]
raw_traces(axes[0, 1], sideband, list(range(0, sideband.sizes["trace"], 2)), f_c, "sideband cooling, drum 1")
pump = series[f"pump_{main_series}"]
trace = [str(v) for v in pump["label"].values].index(main)
raw_traces(axes[1, 0], pump, [trace], f_c, f"pump spectrum, data set {main}", scale=1e6, unit="MHz", colors=["black"])
probe = series[f"probe_{main}"]
setpoints = np.abs(np.asarray(probe["probe_phase_setpoint"].values, dtype=float))
picks = [int(np.argmin(setpoints)), int(np.argmax(setpoints))]
raw_traces(
    axes[1, 1],
    probe,
    picks,
    f_c,
    f"probe spectra, data set {main}",
    scale=1e6,
    unit="MHz",
    colors=["#d62728", "#2155a3"],
)
raw_traces(
    axes[1, 1],
    series[f"background_{main}"],
    [0],
    f_c,
    f"probe spectra, data set {main}",
    scale=1e6,
    unit="MHz",
    colors=["0.6"],
)
fig.tight_layout()
save(fig, Path(figure_dir) / "raw_traces")
