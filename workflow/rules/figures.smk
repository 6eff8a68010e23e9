# Figures that depend on the model only (and, later, on the inferred state).


rule fig1_scheme:
    """Fig. 1b-d: tones about the cavity, probe pair, fluctuation ellipses of data set C."""
    input:
        notebook="notebooks/01_model_overview.py",
    output:
        notebook=results("notebooks", "01_model_overview.ipynb"),
        html=results("notebooks", "01_model_overview.html"),
        state=results("model", "fig1d_state.json"),
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
        fig1d=report(
            multiext(results("figures", "fig1d"), ".pdf", ".png"),
            caption="../report/fig1d.rst",
            category="Fig. 1 scheme",
        ),
    params:
        nb=lambda wildcards, output: notebook_params(
            device=config["device"],
            dataset=config["datasets"]["C"],
            baths=config["illustration"],
            figure_dir=str(Path(output.fig1b[0]).parent),
            state_json=output.state,
        ),
    log:
        results("logs", "01_model_overview.log"),
    conda:
        ENVIRONMENT
    shell:
        NOTEBOOK_CMD
