"""Long reference run of the previous sampler on the archive (physical coordinates, tiny start ball).

Writes ``tests/data/previous_sampler_reference.json``: for data sets C and D, the posterior
mean, standard deviation, 2.5/97.5 % quantiles and Monte Carlo standard error of every
parameter and of <X+^2>, <P-^2> and Duan, from one ensemble of 32 walkers run for
``--steps`` steps (DE 0.8 + snooker 0.2, as before), the first 20 % discarded. The MC error
uses the integrated autocorrelation time of each quantity (emcee), so the comparison test
(``tests/test_posterior_reference.py``) can ask for agreement within Monte Carlo error.
The density is the same :class:`entangled_drums.inference.sampling.LogPosterior`; only the sampler's
coordinates and start differ. Takes ~5 min per data set on one core at 100 000 steps.

    python benchmarks/reference_previous_sampler.py [--steps 100000] [--datasets C D]
"""

import argparse
import json
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[var] = "1"

import emcee  # noqa: E402
import numpy as np  # noqa: E402
import yaml  # noqa: E402

from entangled_drums import chain, moves, provenance, pumpfit, rawdata, sampling  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
#: The flat bath priors of config/config.yaml (the workflow's posterior).
BATH_PRIOR_MAX = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())["mcmc"]["bath_prior_max"]
OUT = ROOT / "tests" / "data" / "previous_sampler_reference.json"


def reference(name, steps, seed=2024):
    cfg = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    device, fits = cfg["device"], cfg["fits"]
    cal = chain.calibrate(ROOT / "data" / "raw", device, fits)
    sideband, device = cal["sideband"], cal["device"]
    ds = rawdata.load(ROOT / "data" / "raw" / f"pump_{name}.nc")
    result, prior = pumpfit.fit_trace(ds, 0, device, sideband, fits)
    post = sampling.LogPosterior.of_trace(ds, 0, device, sideband, prior, BATH_PRIOR_MAX)
    rng = np.random.default_rng(seed)
    start = sampling.initial_walkers(result.x, result.cov, 32, rng, post, start="ball")
    sampler = emcee.EnsembleSampler(32, len(pumpfit.NAMES), post, moves=moves.default(), vectorize=True)
    sampler.random_state = np.random.RandomState(seed).get_state()
    sampler.run_mcmc(start, steps)
    kept = sampler.get_chain()[steps // 5 :]  # (steps, walkers, 14)
    tau = emcee.autocorr.integrated_time(kept, tol=0)
    thin = max(1, int(tau.max() / 4))
    sub = kept[::thin]
    derived = sampling.derived_samples(sub.reshape(-1, len(pumpfit.NAMES)), device, sideband).reshape(
        *sub.shape[:2], -1
    )
    tau_derived = emcee.autocorr.integrated_time(derived[..., :3], tol=0) * thin
    out = {
        "steps": steps,
        "walkers": 32,
        "burn_in": steps // 5,
        "seed": seed,
        "acceptance": float(sampler.acceptance_fraction.mean()),
        "max_tau": float(tau.max()),
        "quantities": {},
    }
    columns = [(n, kept[..., j], tau[j]) for j, n in enumerate(pumpfit.NAMES)]
    columns += [(n, derived[..., k], tau_derived[k]) for k, n in enumerate(("Xplus", "Pminus", "duan"))]
    for n, values, t in columns:
        ess = kept.shape[0] * kept.shape[1] / t  # t in steps for every column
        v = values.ravel()
        out["quantities"][n] = {
            "mean": float(v.mean()),
            "sd": float(v.std(ddof=1)),
            "q025": float(np.percentile(v, 2.5)),
            "q975": float(np.percentile(v, 97.5)),
            "tau": float(t),
            "ess": float(ess),
            "mcse_mean": float(v.std(ddof=1) / np.sqrt(ess)),
        }
    return name, out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100000)
    parser.add_argument("--datasets", nargs="+", default=["C", "D"])
    args = parser.parse_args()
    with ProcessPoolExecutor(max_workers=len(args.datasets)) as pool:
        results = dict(pool.map(reference, args.datasets, [args.steps] * len(args.datasets)))
    record = {
        "what": __doc__.splitlines()[0],
        "command": f"python benchmarks/reference_previous_sampler.py --steps {args.steps}",
        "git": provenance.git_state(ROOT),
        "datasets": results,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(record, indent=1) + "\n")
    for name, r in results.items():
        print(
            name,
            f"acceptance {r['acceptance']:.3f}, max tau {r['max_tau']:.0f}",
            {k: round(v["mean"], 4) for k, v in r["quantities"].items() if k in ("Xplus", "Pminus", "duan")},
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
