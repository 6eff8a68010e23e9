# Step 00: load and validate the raw spectra; inventory and a look at raw traces.


rule raw_overview:
    """Validate every raw file against schema and manifest; inventory and raw-trace figure."""
    input:
        notebook="notebooks/00_raw_data.py",
        raw=raw_files(),
    output:
        notebook=results("notebooks", "00_raw_data.ipynb"),
        inventory=results("raw", "inventory.json"),
        figure=report(
            multiext(results("figures", "raw_traces"), ".pdf", ".png"),
            caption="../report/raw_traces.rst",
            category="Raw data",
        ),
    log:
        results("logs", "00_raw_data.log"),
    conda:
        ENVIRONMENT
    params:
        nb=lambda wildcards, output: notebook_params(
            raw_dir=RAW,
            f_c=config["device"]["f_c"],
            main=main_dataset(config),
            main_series=series_of(config, main_dataset(config)),
            inventory_json=output.inventory,
            figure_dir=str(Path(output.figure[0]).parent),
        ),
    shell:
        NOTEBOOK_CMD
