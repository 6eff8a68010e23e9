# Reproduces Ockeloen-Korppi et al., "Stabilized entanglement of massive mechanical
# oscillators", Nature 556, 478 (2018): raw spectra -> calibrations -> fits -> MCMC ->
# figures and headline numbers. Each step is a jupytext notebook in notebooks/.
#
#   snakemake --cores all                      the whole analysis (make)
#   snakemake --config results_dir=DIR ...     see config/README.md

import sys
from pathlib import Path

from snakemake.utils import min_version, validate

min_version("9.0")


configfile: "config/config.yaml"


# Steps run `python` from PATH (common.smk puts the interpreter running Snakemake first).
envvars:
    "PATH",


validate(config, "workflow/schemas/config.schema.yaml")
# the data-set lists must fit together (mcmc and readout sets among the data sets, panels per series)
sys.path.insert(0, str(Path(workflow.basedir, "workflow")))
from entangled_drums.data.datasets import check as _check_datasets, pump_series, series_of, main_dataset  # noqa: E402

_check_datasets(config)


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/rawdata.smk"
include: "workflow/rules/calibrate.smk"
include: "workflow/rules/fit.smk"
include: "workflow/rules/mcmc.smk"
include: "workflow/rules/readout.smk"
include: "workflow/rules/design.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/simulate.smk"
include: "workflow/rules/coverage.smk"
include: "workflow/rules/sbc.smk"
include: "workflow/rules/render.smk"


rule all:
    default_target: True
    input:
        results("raw", "inventory.json"),
        results("fits", "pump_fits.json"),
        expand(results("mcmc", "{dataset}.json"), dataset=config["mcmc"]["datasets"]),
        expand(
            results("figures", "figS{n}_{dataset}.{ext}"),
            n=("4_corner", "4_chains", "5_posteriors"),
            dataset=config["mcmc"]["datasets"],
            ext=("pdf", "png"),
        ),
        expand(results("notebooks", "06_mcmc_{dataset}.ipynb"), dataset=config["mcmc"]["datasets"]),
        results("headline.json"),
        results("headline.md"),
        results("headline.tex"),
        results("readout", "probes.json"),
        results("error_budget.json"),
        results("error_budget.md"),
        figure_files("figE1_error_budget"),
        notebook_outputs("12_error_budget"),
        figure_files("raw_traces", "fig1b", "fig1c", "fig1d"),
        figure_files("fig3", "fig4a", "fig4b", "fig4c", "fig4d"),
        figure_files("figD1_duan_couplings", "figD2_duan_baths", "figD3_detuning_vs_g_ratio"),
        results("design", "maps.json"),
        figure_files(
            "figS0_cavity_calibration",
            "figS1_thermal_calibration",
            "figS2_sideband_calibration",
            "figS3_probe_calibration",
        ),
        figure_files(*[panel["name"] for panel in config["figures"]["pump_panels"].values()]),
        notebook_outputs("00_raw_data"),
        notebook_outputs("01_model_overview"),
        notebook_outputs("02a_cavity_calibration"),
        notebook_outputs("02_thermal_calibration"),
        notebook_outputs("03_sideband_calibration"),
        notebook_outputs("04_probe_calibration"),
        notebook_outputs("05_pump_fits"),
        notebook_outputs("07_probe_readout"),
        notebook_outputs("08_entanglement_verdict"),
        notebook_outputs("10_design_maps"),
