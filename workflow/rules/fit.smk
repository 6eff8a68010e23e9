# Step 05: least-squares fits of the pump spectra A1-A3, B1-B3, C, D.


rule pump_fits:
    """Bath temperatures and <X+^2>, <P-^2>, Duan from the pump spectra (Fig. 2a-d)."""
    input:
        notebook="notebooks/05_pump_fits.py",
        raw=raw_files("pump_A.nc", "pump_B.nc", "pump_C.nc", "pump_D.nc"),
        sideband=results("calibration", "sideband.json"),
    output:
        notebook=results("notebooks", "05_pump_fits.ipynb"),
        html=results("notebooks", "05_pump_fits.html"),
        json=results("fits", "pump_fits.json"),
        fig2a=report(multiext(results("figures", "fig2a"), ".pdf", ".png"), caption="../report/fig2.rst",
                     category="Fig. 2 pump spectra"),
        fig2b=report(multiext(results("figures", "fig2b"), ".pdf", ".png"), caption="../report/fig2.rst",
                     category="Fig. 2 pump spectra"),
        fig2c=report(multiext(results("figures", "fig2c"), ".pdf", ".png"), caption="../report/fig2.rst",
                     category="Fig. 2 pump spectra"),
        fig2d=report(multiext(results("figures", "fig2d"), ".pdf", ".png"), caption="../report/fig2.rst",
                     category="Fig. 2 pump spectra"),
    params:
        nb=lambda wildcards, input, output: notebook_params(
            raw_dir=RAW,
            device=config["device"],
            fits=config["fits"],
            sideband_json=input.sideband,
            output_json=output.json,
            figure_dir=str(Path(output.fig2a[0]).parent),
        ),
    log:
        results("logs", "05_pump_fits.log"),
    conda:
        ENVIRONMENT
    shell:
        NOTEBOOK_CMD
