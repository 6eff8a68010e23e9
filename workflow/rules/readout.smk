# Steps 07-08: the back-action-evading probe readout and the entanglement verdict.


rule probe_readout:
    """<(X+^phi)^2> from the probe areas of each readout data set, the probe imbalance and correction (Figs. 3, 4a, 4b)."""
    input:
        notebook="notebooks/07_probe_readout.py",
        raw=raw_files(
            *[f"{kind}_{name}.nc" for name in config["readout"]["datasets"] for kind in ("probe", "background")]
        ),
        sideband=results("calibration", "sideband.json"),
        probe=results("calibration", "probe.json"),
        pump_fits=results("fits", "pump_fits.json"),
    output:
        notebook=results("notebooks", "07_probe_readout.ipynb"),
        json=results("readout", "probes.json"),
        draws=expand(results("readout", "xplus_draws_{dataset}.npy"), dataset=config["readout"]["datasets"]),
        fig3=report(
            multiext(results("figures", "fig3"), ".pdf", ".png"),
            caption="../report/fig3.rst",
            category="Fig. 3-4 probes and verdict",
        ),
        fig4a=report(
            multiext(results("figures", "fig4a"), ".pdf", ".png"),
            caption="../report/fig4ab.rst",
            category="Fig. 3-4 probes and verdict",
        ),
        fig4b=report(
            multiext(results("figures", "fig4b"), ".pdf", ".png"),
            caption="../report/fig4ab.rst",
            category="Fig. 3-4 probes and verdict",
        ),
    log:
        results("logs", "07_probe_readout.log"),
    priority: 1  # on the critical path of `make` (make bench)
    conda:
        ENVIRONMENT
    params:
        nb=lambda wildcards, input, output: notebook_params(
            raw_dir=RAW,
            device=config["device"],
            readout=config["readout"],
            gain_drift_dB=config["fits"]["drift"]["gain_dB"],
            datasets=config["readout"]["datasets"],
            main=main_dataset(config),
            display=config["datasets"],
            sideband_json=input.sideband,
            probe_json=input.probe,
            pump_fits_json=input.pump_fits,
            output_json=output.json,
            draws_dir=str(Path(output.json).parent),
            figure_dir=str(Path(output.fig3[0]).parent),
        ),
    shell:
        NOTEBOOK_CMD


rule entanglement_verdict:
    """Duan = probes <X+^2> + MCMC <P-^2>, P(Duan < 1), headline table with provenance (Figs. 4c, 4d, 1d)."""
    input:
        notebook="notebooks/08_entanglement_verdict.py",
        manifest=str(Path(RAW, "MANIFEST.sha256")),
        paper="data/paper_values.yaml",
        sideband=results("calibration", "sideband.json"),
        pump_fits=results("fits", "pump_fits.json"),
        probes=results("readout", "probes.json"),
        checks=results("checks", "predictive.json"),
        draws=expand(results("readout", "xplus_draws_{dataset}.npy"), dataset=config["readout"]["datasets"]),
        mcmc=expand(
            results("mcmc", "{dataset}{ext}"), dataset=config["readout"]["datasets"], ext=(".json", "_samples.npy")
        ),
    output:
        notebook=results("notebooks", "08_entanglement_verdict.ipynb"),
        json=report(results("headline.json"), caption="../report/headline.rst", category="Headline"),
        md=report(results("headline.md"), caption="../report/headline.rst", category="Headline"),
        tex=results("headline.tex"),
        fig4c=report(
            multiext(results("figures", "fig4c"), ".pdf", ".png"),
            caption="../report/fig4c.rst",
            category="Fig. 3-4 probes and verdict",
        ),
        fig4d=report(
            multiext(results("figures", "fig4d"), ".pdf", ".png"),
            caption="../report/fig4d.rst",
            category="Fig. 3-4 probes and verdict",
        ),
        fig1d=report(
            multiext(results("figures", "fig1d"), ".pdf", ".png"),
            caption="../report/fig1d.rst",
            category="Fig. 1 scheme",
        ),
    log:
        results("logs", "08_entanglement_verdict.log"),
    priority: 1  # on the critical path of `make` (make bench)
    conda:
        ENVIRONMENT
    params:
        nb=lambda wildcards, input, output: notebook_params(
            raw_dir=RAW,
            device=config["device"],
            verdict_cfg=config["verdict"],
            readout=config["readout"],
            config_all=config,
            datasets=config["readout"]["datasets"],
            main=main_dataset(config),
            display=config["datasets"],
            sideband_json=input.sideband,
            pump_fits_json=input.pump_fits,
            probes_json=input.probes,
            checks_json=input.checks,
            draws_dir=str(Path(input.probes).parent),
            mcmc_dir=str(Path(input.mcmc[0]).parent),
            paper_yaml=input.paper,
            headline_stem=str(Path(output.json).with_suffix("")),
            figure_dir=str(Path(output.fig4c[0]).parent),
        ),
    shell:
        NOTEBOOK_CMD


rule error_budget:
    """Each source's share of the variance of <X+^2>, <P-^2>, Duan and P(Duan < 1) (Fig. E1, error_budget.{json,md})."""
    input:
        notebook="notebooks/12_error_budget.py",
        paper="data/paper_values.yaml",
        pump_fits=results("fits", "pump_fits.json"),
        probes=results("readout", "probes.json"),
        headline=results("headline.json"),
        posteriors=expand(results("mcmc", "{dataset}_posterior.nc"), dataset=config["readout"]["datasets"]),
    output:
        notebook=results("notebooks", "12_error_budget.ipynb"),
        json=results("error_budget.json"),
        md=report(results("error_budget.md"), caption="../report/figE1.rst", category="Error budget"),
        figure=report(
            multiext(results("figures", "figE1_error_budget"), ".pdf", ".png"),
            caption="../report/figE1.rst",
            category="Error budget",
        ),
    log:
        results("logs", "12_error_budget.log"),
    priority: 1  # on the critical path of `make` (make bench)
    conda:
        ENVIRONMENT
    params:
        nb=lambda wildcards, input, output: notebook_params(
            datasets=config["readout"]["datasets"],
            pump_fits_json=input.pump_fits,
            probes_json=input.probes,
            headline_json=input.headline,
            mcmc_dir=str(Path(input.posteriors[0]).parent),
            paper_yaml=input.paper,
            output_stem=str(Path(output.json).with_suffix("")),
            figure_dir=str(Path(output.figure[0]).parent),
        ),
    shell:
        NOTEBOOK_CMD
