"""MCMC benchmark (``make bench``): time for one data set to reach >= 2000 effective samples, one core.

Runs the real sampler of step 06 on the archived data set C (least-squares start, DE moves,
convergence checks) with 70 tau instead of 50, which gives > 2000 effective samples for the
observed tau ~ 130 steps. Prints the figures; asserts nothing.
"""

import os

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[var] = "1"

import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import yaml  # noqa: E402

from entangled_drums import chain, rawdata, sampling  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def main():
    cfg = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    device, fits = cfg["device"], cfg["fits"]
    cal = chain.calibrate(ROOT / "data" / "raw", device, fits)
    ds = rawdata.load(ROOT / "data" / "raw" / "pump_C.nc")
    settings = dict(cfg["mcmc"], seeds=[101], n_tau=70, max_steps=40000)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        runs, _, _ = sampling.sample_trace(ds, 0, device, cal["sideband"], fits, settings, chain_dir=tmp, processes=1)
        elapsed = time.perf_counter() - t0
    run = runs[0]
    evaluations = run.steps * run.n_walkers
    print("# MCMC benchmark (data set C, 1 core)")
    print(f"{'walkers x steps':<36} {run.n_walkers} x {run.steps}")
    print(f"{'max autocorrelation time':<36} {run.tau.max():.0f} steps")
    print(f"{'effective samples':<36} {run.effective_samples:.0f}   (target >= 2000)")
    print(f"{'wall time':<36} {elapsed:.1f} s   (target <= 120 s: {'ok' if elapsed <= 120 else 'MISSED'})")
    print(f"{'per posterior evaluation':<36} {elapsed / evaluations * 1e6:.0f} us")
    return 0


if __name__ == "__main__":
    sys.exit(main())
