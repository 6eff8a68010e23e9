# Reproduces Ockeloen-Korppi et al., "Stabilized entanglement of massive mechanical
# oscillators", Nature 556, 478 (2018): raw spectra -> calibrations -> fits -> MCMC ->
# figures and headline numbers. Each step is a jupytext notebook in notebooks/.
#
#   snakemake --cores all                      the whole analysis (make)
#   snakemake --config results_dir=DIR ...     see config/README.md

from snakemake.utils import min_version, validate

min_version("9.0")


configfile: "config/config.yaml"


# Steps run `python` from PATH (common.smk puts the interpreter running Snakemake first).
envvars:
    "PATH",


validate(config, "workflow/schemas/config.schema.yaml")


include: "workflow/rules/common.smk"
include: "workflow/rules/rawdata.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/simulate.smk"


rule all:
    default_target: True
    input:
        results("raw", "inventory.json"),
        figure_files("raw_traces", "fig1b", "fig1c", "fig1d"),
        notebook_outputs("00_raw_data"),
        notebook_outputs("01_model_overview"),
