# Simulation-based calibration of the verdict (not part of `all`): `snakemake sbc`. Each replica draws
# its own truth from the population (config sbc.population) and is an independent job, so
# `--workflow-profile profiles/slurm` spreads them over a cluster. A simulation study: it reads the
# laboratory's truth file; the analysis inside each replica does not see the truth.

SBC_SEEDS = [config["sbc"]["first_seed"] + i for i in range(config["sbc"]["n_replicas"])]
# the first n_mcmc_replicas replicas also run the MCMC, to validate the fast (importance-sampled) posterior
SBC_MCMC_SEEDS = set(SBC_SEEDS[: config["sbc"]["n_mcmc_replicas"]])


rule sbc_replica:
    """Draw a truth from the population, simulate it and analyse it blind (fast posterior; with MCMC too)."""
    input:
        truth=config["coverage"]["truth"],
        kernels=results("logs", "kernels_compiled.json"),
    output:
        estimate=results("sbc", "replicas", "seed{seed}", "estimate.json"),
        truth=results("sbc", "replicas", "seed{seed}", "truth.json"),
        ranks=results("sbc", "replicas", "seed{seed}", "ranks.json"),
    log:
        results("logs", "sbc", "seed{seed}.log"),
    wildcard_constraints:
        seed=r"\d+",
    conda:
        ENVIRONMENT
    threads: lambda wildcards: 2 if int(wildcards.seed) in SBC_MCMC_SEEDS else 1
    resources:
        runtime=30,
        mem_mb=2000,
    params:
        config=lambda wildcards: json.dumps(config, sort_keys=True),
        out=lambda wildcards, output: str(Path(output.estimate).parent),
        mcmc=lambda wildcards: "--mcmc" if int(wildcards.seed) in SBC_MCMC_SEEDS else "",
    shell:
        "python -m entangled_drums.studies.sbc --truth {input.truth:q} --seed {wildcards.seed} --config {params.config:q} "
        "--out {params.out:q} --processes {threads} {params.mcmc} > {log:q} 2>&1"


rule sbc:
    """Rank histograms, reliability diagram, false-discovery and false-positive rates, power (Fig. S8)."""
    input:
        notebook="notebooks/14_sbc.py",
        estimates=expand(results("sbc", "replicas", "seed{seed}", "estimate.json"), seed=SBC_SEEDS),
        truths=expand(results("sbc", "replicas", "seed{seed}", "truth.json"), seed=SBC_SEEDS),
        ranks=expand(results("sbc", "replicas", "seed{seed}", "ranks.json"), seed=SBC_SEEDS),
    output:
        notebook=results("notebooks", "14_sbc.ipynb"),
        json=results("sbc", "summary.json"),
        md=report(results("sbc", "summary.md"), caption="../report/sbc.rst", category="Beyond the paper"),
        figure=report(
            multiext(results("figures", "figS8_sbc"), ".pdf", ".png"),
            caption="../report/sbc.rst",
            category="Beyond the paper",
        ),
    log:
        results("logs", "14_sbc.log"),
    conda:
        ENVIRONMENT
    params:
        nb=lambda wildcards, input, output: notebook_params(
            replica_dir=str(Path(input.estimates[0]).parent.parent),
            seeds=SBC_SEEDS,
            level=config["verdict"]["probability"],
            rank_bins=config["sbc"]["rank_bins"],
            output_json=output.json,
            output_md=output.md,
            figure_dir=str(Path(output.figure[0]).parent),
        ),
    shell:
        NOTEBOOK_CMD


rule sensitivity:
    """Duan and both probabilities with each systematic prior width halved and doubled (not in `all`)."""
    input:
        notebook="notebooks/15_sensitivity.py",
        manifest=str(Path(RAW, "MANIFEST.sha256")),
        kernels=results("logs", "kernels_compiled.json"),
    output:
        notebook=results("notebooks", "15_sensitivity.ipynb"),
        json=results("sensitivity", "summary.json"),
        md=report(
            results("sensitivity", "summary.md"), caption="../report/sensitivity.rst", category="Beyond the paper"
        ),
    log:
        results("logs", "15_sensitivity.log"),
    conda:
        ENVIRONMENT
    params:
        nb=lambda wildcards, input, output: notebook_params(
            raw_dir=RAW,
            config_all=config,
            datasets=config["readout"]["datasets"],
            output_json=output.json,
            output_md=output.md,
        ),
    shell:
        NOTEBOOK_CMD
