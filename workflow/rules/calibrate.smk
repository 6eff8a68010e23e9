# Steps 02a-04: the calibration chain (cavity, thermal -> sideband cooling -> probes).


rule compile_kernels:
    """Compile the numba kernels once (or load them from numba's cache) beside the first calibrations."""
    output:
        results("logs", "kernels_compiled.json"),
    log:
        results("logs", "compile_kernels.log"),
    priority: 1
    conda:
        ENVIRONMENT
    shell:
        "python -m entangled_drums.product.warmup {output:q} > {log:q} 2>&1"


rule cavity_calibration:
    """kappa, kappa_in, kappa_out, kappa_I from the cavity's network-analyser sweeps (Fig. S0)."""
    input:
        notebook="notebooks/02a_cavity_calibration.py",
        raw=raw_files("cavity_cal.nc"),
    output:
        notebook=results("notebooks", "02a_cavity_calibration.ipynb"),
        json=results("calibration", "cavity.json"),
        figure=report(
            multiext(results("figures", "figS0_cavity_calibration"), ".pdf", ".png"),
            caption="../report/figS0.rst",
            category="Calibrations",
        ),
    log:
        results("logs", "02a_cavity_calibration.log"),
    priority: 1  # on the critical path of `make` (make bench)
    conda:
        ENVIRONMENT
    params:
        nb=lambda wildcards, output: notebook_params(
            raw_dir=RAW,
            device=config["device"],
            output_json=output.json,
            figure_dir=str(Path(output.figure[0]).parent),
        ),
    shell:
        NOTEBOOK_CMD


rule thermal_calibration:
    """Area per phonon and base occupations of both drums (Fig. S1)."""
    input:
        notebook="notebooks/02_thermal_calibration.py",
        raw=raw_files("thermal_cal_drum1.nc", "thermal_cal_drum2.nc"),
    output:
        notebook=results("notebooks", "02_thermal_calibration.ipynb"),
        json=results("calibration", "thermal.json"),
        figure=report(
            multiext(results("figures", "figS1_thermal_calibration"), ".pdf", ".png"),
            caption="../report/figS1.rst",
            category="Calibrations",
        ),
    log:
        results("logs", "02_thermal_calibration.log"),
    priority: 1  # on the critical path of `make` (make bench)
    conda:
        ENVIRONMENT
    params:
        nb=lambda wildcards, output: notebook_params(
            raw_dir=RAW,
            device=config["device"],
            T_min=config["fits"]["thermal_T_min"],
            jitter_hz=config["fits"]["drum_jitter_hz"],
            output_json=output.json,
            figure_dir=str(Path(output.figure[0]).parent),
        ),
    shell:
        NOTEBOOK_CMD


rule sideband_calibration:
    """Gain, added noise, drum frequencies, G(P) and g1/g2 from a joint full-model fit (Fig. S2)."""
    input:
        notebook="notebooks/03_sideband_calibration.py",
        raw=raw_files("sideband_cal_drum1.nc", "sideband_cal_drum2.nc"),
        thermal=results("calibration", "thermal.json"),
        cavity=results("calibration", "cavity.json"),
        kernels=results("logs", "kernels_compiled.json"),
    output:
        notebook=results("notebooks", "03_sideband_calibration.ipynb"),
        json=results("calibration", "sideband.json"),
        figure=report(
            multiext(results("figures", "figS2_sideband_calibration"), ".pdf", ".png"),
            caption="../report/figS2.rst",
            category="Calibrations",
        ),
    log:
        results("logs", "03_sideband_calibration.log"),
    priority: 1  # on the critical path of `make` (make bench)
    conda:
        ENVIRONMENT
    params:
        nb=lambda wildcards, input, output: notebook_params(
            raw_dir=RAW,
            device=config["device"],
            thermal_json=input.thermal,
            cavity_json=input.cavity,
            output_json=output.json,
            figure_dir=str(Path(output.figure[0]).parent),
        ),
    shell:
        NOTEBOOK_CMD


rule probe_calibration:
    """Area per unit collective variance per mW of probe power (Fig. S3)."""
    input:
        notebook="notebooks/04_probe_calibration.py",
        raw=raw_files("probe_cal.nc"),
        thermal=results("calibration", "thermal.json"),
        sideband=results("calibration", "sideband.json"),
    output:
        notebook=results("notebooks", "04_probe_calibration.ipynb"),
        json=results("calibration", "probe.json"),
        figure=report(
            multiext(results("figures", "figS3_probe_calibration"), ".pdf", ".png"),
            caption="../report/figS3.rst",
            category="Calibrations",
        ),
    log:
        results("logs", "04_probe_calibration.log"),
    priority: 1  # on the critical path of `make` (make bench)
    conda:
        ENVIRONMENT
    params:
        nb=lambda wildcards, input, output: notebook_params(
            raw_dir=RAW,
            device=config["device"],
            thermal_json=input.thermal,
            sideband_json=input.sideband,
            output_json=output.json,
            figure_dir=str(Path(output.figure[0]).parent),
        ),
    shell:
        NOTEBOOK_CMD
