"""Compile every numba kernel once, or load it from numba's on-disk cache, before the steps that use them.

The kernels (:mod:`entangled_drums.physics._kernels`) are compiled on first use and cached next to the
source (``__pycache__``). In a fresh clone the first step that needs them would spend ~15 s
compiling on the workflow's critical path; the rule ``compile_kernels`` does it beside the first
calibrations instead. Every call below goes through the same public functions the steps call, so
every kernel signature they use is compiled.

Command line::

    python -m entangled_drums.product.warmup OUT.json
"""

import json
import sys
import time
from pathlib import Path


def warm_up():
    """Call the model's and the likelihood's compiled paths once; return seconds spent per stage."""
    import numpy as np

    from ..inference import pumpfit, sampling
    from ..physics.model import Params, optimal_phase, steady_state
    from ..physics.spectra import probe_spectrum, pump_spectrum

    seconds = {}
    start = time.perf_counter()
    params = Params()
    f = np.linspace(-2e5, 2e5, 11)
    steady_state(params)
    optimal_phase(params)
    pump_spectrum(params, f)
    probes = params.replace(probe_g_minus=5e3, probe_g_plus=4e3, probe_phase=0.1)
    steady_state(probes)
    probe_spectrum(probes, f)
    seconds["model"] = time.perf_counter() - start
    start = time.perf_counter()
    device = {
        "f_c": 5.5e9,
        "gamma1": params.gamma1,
        "gamma2": params.gamma2,
        "kappa": params.kappa,
        "kappa_out": params.kappa_out,
        "counter_rotating": True,
    }
    sideband = {"f1": params.f1, "f2": params.f2}
    x = np.array([0.5, 100.0, 73.0, 278.0, 166.0, 0.0, 0.0, 0.98, 66.0, 19.0, 1380.0, 1130.0, 106.0, 144.0])
    f_lab = device["f_c"] + f
    psd = pumpfit.model_psd(x, f_lab, device, sideband)
    post = sampling.LogPosterior(f_lab, psd, 100.0, device, sideband, {}, {"n_c": 50.0, "n_m1": 5e3, "n_m2": 5e3})
    post(np.array([x, x]))
    post._direct(x)
    seconds["likelihood"] = time.perf_counter() - start
    return seconds


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m entangled_drums.product.warmup OUT.json", file=sys.stderr)
        return 2
    import numba

    seconds = warm_up()
    out = Path(argv[0])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"numba": numba.__version__, "seconds": seconds}, indent=1) + "\n")
    print(", ".join(f"{k} {v:.1f} s" for k, v in seconds.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
