# Step 05: least-squares fits of every pump spectrum of the configured data sets.


rule pump_fits:
    """Bath temperatures and <X+^2>, <P-^2>, Duan from every pump spectrum (Fig. 2, one figure per series)."""
    input:
        notebook="notebooks/05_pump_fits.py",
        raw=raw_files(*[f"pump_{s}.nc" for s in pump_series(config)]),
        sideband=results("calibration", "sideband.json"),
    output:
        notebook=results("notebooks", "05_pump_fits.ipynb"),
        json=results("fits", "pump_fits.json"),
        figures=[
            report(f, caption="../report/fig2.rst", category="Fig. 2 pump spectra")
            for f in figure_files(*[panel["name"] for panel in config["figures"]["pump_panels"].values()])
        ],
    log:
        results("logs", "05_pump_fits.log"),
    priority: 1  # on the critical path of `make` (make bench)
    conda:
        ENVIRONMENT
    params:
        nb=lambda wildcards, input, output: notebook_params(
            raw_dir=RAW,
            device=config["device"],
            fits=config["fits"],
            datasets=config["datasets"],
            panels=config["figures"]["pump_panels"],
            sideband_json=input.sideband,
            output_json=output.json,
            figure_dir=str(Path(output.figures[0]).parent),
        ),
    shell:
        NOTEBOOK_CMD


# Step 13: posterior predictive checks of every pump fit (the MCMC's draws where it ran, else the fit's Gaussian).


rule predictive_checks:
    """Replicated pump traces from each posterior against the measured ones: chi^2 and residual autocorrelation."""
    input:
        notebook="notebooks/13_predictive_checks.py",
        raw=raw_files(*[f"pump_{s}.nc" for s in pump_series(config)]),
        sideband=results("calibration", "sideband.json"),
        pump_fits=results("fits", "pump_fits.json"),
        posteriors=expand(results("mcmc", "{dataset}_posterior.nc"), dataset=config["mcmc"]["datasets"]),
    output:
        notebook=results("notebooks", "13_predictive_checks.ipynb"),
        json=results("checks", "predictive.json"),
        figure=report(
            multiext(results("figures", "figS9_predictive_checks"), ".pdf", ".png"),
            caption="../report/predictive.rst",
            category="Checks",
        ),
    log:
        results("logs", "13_predictive_checks.log"),
    priority: 1  # between the MCMC and the verdict
    conda:
        ENVIRONMENT
    params:
        nb=lambda wildcards, input, output: notebook_params(
            raw_dir=RAW,
            device=config["device"],
            datasets=config["datasets"],
            mcmc_datasets=config["mcmc"]["datasets"],
            settings=config["checks"],
            sideband_json=input.sideband,
            pump_fits_json=input.pump_fits,
            mcmc_dir=str(Path(input.posteriors[0]).parent) if input.posteriors else "",
            output_json=output.json,
            figure_dir=str(Path(output.figure[0]).parent),
        ),
    shell:
        NOTEBOOK_CMD
