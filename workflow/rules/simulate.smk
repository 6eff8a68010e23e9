# Simulated replicas of the raw data (closure and coverage studies). Not part of `all`:
# the analysis never reads the truth. The archived data/raw is made by `make simulate`.


rule simulate_replica:
    """Draw a fresh raw-data set from config/simulation.yaml with another seed."""
    input:
        truth="config/simulation.yaml",
    output:
        manifest=results("replicas", "seed{seed}", "raw", "MANIFEST.sha256"),
        truth=results("replicas", "seed{seed}", "simulation_truth.json"),
    log:
        results("logs", "simulate_seed{seed}.log"),
    conda:
        ENVIRONMENT
    params:
        out=lambda wildcards, output: str(Path(output.manifest).parent),
    shell:
        "python -m entangled_drums.lab.simulate --truth {input.truth:q} --out {params.out:q} "
        "--truth-json {output.truth:q} --seed {wildcards.seed} > {log:q} 2>&1"
