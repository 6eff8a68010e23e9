# Step 10: design maps beyond the paper (the model at the inferred state).


rule design_maps:
    """Duan at the optimal phase over (G-, G+), over (n_c, n_m) and the optimal detuning vs g1/g2."""
    input:
        notebook="notebooks/10_design_maps.py",
        sideband=results("calibration", "sideband.json"),
        pump_fits=results("fits", "pump_fits.json"),
    output:
        notebook=results("notebooks", "10_design_maps.ipynb"),
        json=results("design", "maps.json"),
        figures=report(
            multiext(
                results("figures", "figD"),
                "1_duan_couplings.pdf",
                "1_duan_couplings.png",
                "2_duan_baths.pdf",
                "2_duan_baths.png",
                "3_detuning_vs_g_ratio.pdf",
                "3_detuning_vs_g_ratio.png",
            ),
            caption="../report/design.rst",
            category="Beyond the paper",
        ),
    log:
        results("logs", "10_design_maps.log"),
    conda:
        ENVIRONMENT
    params:
        nb=lambda wildcards, input, output: notebook_params(
            device=config["device"],
            main=main_dataset(config),
            marked=config["readout"]["datasets"],
            display=config["datasets"],
            sideband_json=input.sideband,
            pump_fits_json=input.pump_fits,
            output_json=output.json,
            figure_dir=str(Path(output.figures[0]).parent),
        ),
    shell:
        NOTEBOOK_CMD
