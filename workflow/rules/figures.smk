# Figures that depend on the model only (and, later, on the inferred state).


rule fig1_scheme:
    """Fig. 1b, 1c: the tones about the cavity and the probe pair (Fig. 1d is drawn in step 08)."""
    input:
        notebook="notebooks/01_model_overview.py",
        sideband=results("calibration", "sideband.json"),
    output:
        notebook=results("notebooks", "01_model_overview.ipynb"),
        fig1b=report(
            multiext(results("figures", "fig1b"), ".pdf", ".png"),
            caption="../report/fig1b.rst",
            category="Fig. 1 scheme",
        ),
        fig1c=report(
            multiext(results("figures", "fig1c"), ".pdf", ".png"),
            caption="../report/fig1c.rst",
            category="Fig. 1 scheme",
        ),
    log:
        results("logs", "01_model_overview.log"),
    conda:
        ENVIRONMENT
    params:
        nb=lambda wildcards, input, output: notebook_params(
            device=config["device"],
            sideband_json=input.sideband,
            dataset=config["datasets"][main_dataset(config)],
            figure_dir=str(Path(output.fig1b[0]).parent),
        ),
    shell:
        NOTEBOOK_CMD
