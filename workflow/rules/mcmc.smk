# Step 06: emcee posteriors of the pump-spectrum model of each data set in mcmc.datasets.


rule mcmc:
    """Posterior of the pump-spectrum model of one data set; <P-^2>, <X+^2>, Duan (Figs. S4, S5)."""
    input:
        notebook="notebooks/06_mcmc.py",
        raw=lambda wildcards: raw_files(f"pump_{series_of(config, wildcards.dataset)}.nc"),
        sideband=results("calibration", "sideband.json"),
    output:
        notebook=results("notebooks", "06_mcmc_{dataset}.ipynb"),
        json=results("mcmc", "{dataset}.json"),
        samples=results("mcmc", "{dataset}_samples.npy"),
        posterior=results("mcmc", "{dataset}_posterior.nc"),
        corner=report(
            multiext(results("figures", "figS4_corner_{dataset}"), ".pdf", ".png"),
            caption="../report/figS4.rst",
            category="MCMC",
        ),
        chains=report(
            multiext(results("figures", "figS4_chains_{dataset}"), ".pdf", ".png"),
            caption="../report/figS4.rst",
            category="MCMC",
        ),
        posteriors=report(
            multiext(results("figures", "figS5_posteriors_{dataset}"), ".pdf", ".png"),
            caption="../report/figS5.rst",
            category="MCMC",
        ),
    log:
        results("logs", "06_mcmc_{dataset}.log"),
    wildcard_constraints:
        dataset="|".join(re.escape(name) for name in config["mcmc"]["datasets"]),
    priority: 1  # on the critical path of `make` (make bench)
    conda:
        ENVIRONMENT
    # one process per data set; its seeds' runs share the threads it gets. On 2 cores the data sets'
    # posteriors run side by side (1 thread each) instead of one after the other with 2.
    threads: mcmc_threads()
    resources:
        runtime=60,
        mem_mb=2000,
    params:
        nb=lambda wildcards, input, output, threads: notebook_params(
            raw_dir=RAW,
            dataset=wildcards.dataset,
            series=series_of(config, wildcards.dataset),
            color=dataset_color(wildcards.dataset),
            device=config["device"],
            fits=config["fits"],
            mcmc=config["mcmc"],
            sideband_json=input.sideband,
            chain_dir=results("mcmc", "chains"),
            output_json=output.json,
            samples_npy=output.samples,
            posterior_nc=output.posterior,
            figure_dir=str(Path(output.corner[0]).parent),
            processes=threads,
        ),
    shell:
        NOTEBOOK_CMD
