# Coverage study (not part of `all`): `snakemake coverage`. Every replica is an independent job,
# so `--workflow-profile profiles/slurm` spreads them over a cluster. This is a simulation study:
# it reads the simulator's truth (coverage.truth); the analysis inside each replica does not.

COVERAGE_SEEDS = [config["coverage"]["first_seed"] + i for i in range(config["coverage"]["n_replicas"])]
# the first n_mcmc_replicas replicas also run the MCMC and the verdict (the costly part)
MCMC_SEEDS = set(COVERAGE_SEEDS[: config["coverage"]["n_mcmc_replicas"]])


rule coverage_replica:
    """Simulate one replica of the truth and run the inference on it (steps 02-05, 07; with MCMC also 06, 08)."""
    input:
        truth=config["coverage"]["truth"],
        kernels=results("logs", "kernels_compiled.json"),
    output:
        estimate=results("coverage", "replicas", "seed{seed}", "estimate.json"),
        truth=results("coverage", "replicas", "seed{seed}", "truth.json"),
    log:
        results("logs", "coverage", "seed{seed}.log"),
    wildcard_constraints:
        seed=r"\d+",
    conda:
        ENVIRONMENT
    threads: lambda wildcards: 2 if int(wildcards.seed) in MCMC_SEEDS else 1  # the MCMC runs its seeds in parallel
    resources:
        runtime=30,
        mem_mb=2000,
    params:
        config=lambda wildcards: json.dumps(config, sort_keys=True),
        out=lambda wildcards, output: str(Path(output.estimate).parent),
        mcmc=lambda wildcards: "" if int(wildcards.seed) in MCMC_SEEDS else "--no-mcmc",
    shell:
        "python -m entangled_drums.studies.coverage --truth {input.truth:q} --seed {wildcards.seed} --config {params.config:q} "
        "--out {params.out:q} --processes {threads} {params.mcmc} > {log:q} 2>&1"


rule coverage:
    """Coverage of the 68/95 % intervals, bias and PIT over all replicas (Fig. S7, tables)."""
    input:
        notebook="notebooks/09_coverage.py",
        estimates=expand(results("coverage", "replicas", "seed{seed}", "estimate.json"), seed=COVERAGE_SEEDS),
        truths=expand(results("coverage", "replicas", "seed{seed}", "truth.json"), seed=COVERAGE_SEEDS),
    output:
        notebook=results("notebooks", "09_coverage.ipynb"),
        json=results("coverage", "summary.json"),
        md=report(results("coverage", "summary.md"), caption="../report/coverage.rst", category="Beyond the paper"),
        figure=report(
            multiext(results("figures", "figS7_coverage"), ".pdf", ".png"),
            caption="../report/coverage.rst",
            category="Beyond the paper",
        ),
    log:
        results("logs", "09_coverage.log"),
    conda:
        ENVIRONMENT
    params:
        nb=lambda wildcards, input, output: notebook_params(
            replica_dir=str(Path(input.estimates[0]).parent.parent),
            seeds=COVERAGE_SEEDS,
            output_json=output.json,
            output_md=output.md,
            figure_dir=str(Path(output.figure[0]).parent),
        ),
    shell:
        NOTEBOOK_CMD


rule closure:
    """Fig. S6: every inferred quantity of the archived synthetic data against the simulator's truth."""
    input:
        notebook="notebooks/11_closure.py",
        truth=config["coverage"]["truth_json"],
        cavity=results("calibration", "cavity.json"),
        thermal=results("calibration", "thermal.json"),
        sideband=results("calibration", "sideband.json"),
        probe=results("calibration", "probe.json"),
        pump_fits=results("fits", "pump_fits.json"),
        probes=results("readout", "probes.json"),
    output:
        notebook=results("notebooks", "11_closure.ipynb"),
        json=results("closure", "pulls.json"),
        figure=report(
            multiext(results("figures", "figS6_closure"), ".pdf", ".png"),
            caption="../report/closure.rst",
            category="Beyond the paper",
        ),
    log:
        results("logs", "11_closure.log"),
    conda:
        ENVIRONMENT
    params:
        nb=lambda wildcards, input, output: notebook_params(
            truth_json=input.truth,
            thermal_json=input.thermal,
            cavity_json=input.cavity,
            sideband_json=input.sideband,
            probe_json=input.probe,
            pump_fits_json=input.pump_fits,
            probes_json=input.probes,
            output_json=output.json,
            figure_dir=str(Path(output.figure[0]).parent),
        ),
    shell:
        NOTEBOOK_CMD
