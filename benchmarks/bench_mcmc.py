"""MCMC benchmark (``make bench``): the previous and the current sampler side by side, one core.

For data sets C and D of the archive, both methods sample the same posterior
(:class:`entangled_drums.inference.sampling.LogPosterior`) with the same moves (DE 0.8 + snooker 0.2,
32 walkers) for the same number of steps:

* previous: physical coordinates, walkers from a 0.1-sigma ball, one call per walker;
* current: the pinned coordinates of :mod:`entangled_drums.inference.reparam`, walkers from the
  Laplace posterior (importance resampling), one compiled call per half-ensemble.

Printed per method: acceptance, max tau over the first half and over the whole run, effective
samples (whole run after 2 max tau of burn-in, / max tau) and effective samples per second.
Then the current method as the workflow runs it (convergence checks, one seed): time to reach
its converged chain and its effective samples (goal: >= 2000 of C in <= 20 s). Asserts nothing.
"""

import os

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[var] = "1"

import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import emcee  # noqa: E402
import numpy as np  # noqa: E402
import yaml  # noqa: E402

from entangled_drums import chain, moves, pumpfit, rawdata, sampling  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
#: The flat bath priors of config/config.yaml (the workflow's posterior).
BATH_PRIOR_MAX = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())["mcmc"]["bath_prior_max"]
STEPS = 6000
SEED = 101


def fixed_length(ds, device, sideband, fits, kind):
    """(acceptance, max tau first half, max tau whole, effective samples, seconds) of one run of STEPS steps."""
    result, prior = pumpfit.fit_trace(ds, 0, device, sideband, fits)
    post = sampling.LogPosterior.of_trace(ds, 0, device, sideband, prior, BATH_PRIOR_MAX)
    coords = sampling.coordinates_for(prior, kind)
    J = coords.jacobian(result.x)
    density = sampling.InCoordinates(post, coords)
    previous = kind == "physical"
    rng = np.random.default_rng(SEED)
    t0 = time.perf_counter()
    start = sampling.initial_walkers(
        coords.from_physical(result.x), J @ result.cov @ J.T, 32, rng, density, "ball" if previous else "posterior"
    )
    log_prob = (lambda z: float(density(z[None])[0])) if previous else density
    sampler = emcee.EnsembleSampler(32, len(pumpfit.NAMES), log_prob, vectorize=not previous, moves=moves.default())
    sampler.random_state = np.random.RandomState(SEED).get_state()
    sampler.run_mcmc(start, STEPS)
    elapsed = time.perf_counter() - t0
    chain_ = sampler.get_chain()
    tau = emcee.autocorr.integrated_time(chain_, tol=0).max()
    tau_half = emcee.autocorr.integrated_time(chain_[: STEPS // 2], tol=0).max()
    ess = (STEPS - int(np.ceil(2 * tau))) * 32 / tau
    return float(sampler.acceptance_fraction.mean()), tau_half, tau, ess, elapsed


def main():
    cfg = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    device, fits = cfg["device"], cfg["fits"]
    cal = chain.calibrate(ROOT / "data" / "raw", device, fits)
    sideband, device = cal["sideband"], cal["device"]
    data = {name: rawdata.load(ROOT / "data" / "raw" / f"pump_{name}.nc") for name in ("C", "D")}
    result, prior = pumpfit.fit_trace(data["C"], 0, device, sideband, fits)
    sampling.LogPosterior.of_trace(data["C"], 0, device, sideband, prior, BATH_PRIOR_MAX)(
        result.x[None]
    )  # compiled (or cached) before any timing
    print(f"# MCMC benchmark: {STEPS} steps x 32 walkers per run, one core, archive data")
    print(
        f"{'data set / method':<24} {'acceptance':>10} {'max tau':>9} {'(1st half)':>10} {'ESS':>7} "
        f"{'seconds':>8} {'ESS/s':>7}"
    )
    for name, ds in data.items():
        for kind, label in (("physical", "previous"), ("pinned", "current")):
            acc, tau_half, tau, ess, sec = fixed_length(ds, device, sideband, fits, kind)
            print(
                f"{name + ' / ' + label:<24} {acc:>10.3f} {tau:>9.1f} {tau_half:>10.1f} {ess:>7.0f} {sec:>8.1f} "
                f"{ess / sec:>7.0f}"
            )
    print()
    print("# The current sampler as step 06 runs it: least-squares start, convergence checks, the configured seeds,")
    print("# here one after the other on one core")
    settings = dict(cfg["mcmc"])
    for name, ds in data.items():
        t0 = time.perf_counter()
        runs, _, _ = sampling.sample_trace(ds, 0, device, sideband, fits, settings, chain_dir=None, processes=1)
        elapsed = time.perf_counter() - t0
        ess = sum(run.effective_samples for run in runs)
        goal = (
            ""
            if name != "C"
            else f"   (goal >= 2000 in <= 20 s: {'ok' if ess >= 2000 and elapsed <= 20 else 'MISSED'})"
        )
        for run in runs:
            print(
                f"{name} seed {run.seed}: {run.steps} steps, acceptance {run.acceptance:.3f}, "
                f"max tau {run.tau.max():.1f} (first half {run.tau_half.max():.1f}), "
                f"{run.effective_samples:.0f} effective samples"
            )
        print(f"{name}: {ess:.0f} effective samples in {elapsed:.1f} s{goal}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
