"""An MCMC-free check of the pump-spectrum posterior: importance sampling on the archive.

Draws from a Student-t (6 degrees of freedom, covariance 1.5 x the Laplace approximation) in the
sampling coordinates of :mod:`entangled_drums.inference.reparam`, where the posterior is close to Gaussian,
and weights them by the posterior density there (:class:`entangled_drums.inference.sampling.InCoordinates`,
Jacobian included). With an effective sample size of many thousands the weighted moments are the
posterior's, independent of any Markov chain. This is how the bias of emcee 3.1.6's snooker move was
found (entangled_drums.stats.moves): it made D's n_m1 sd 3.7, this gives 4.30.

    python benchmarks/importance_sampling_check.py [--datasets C D] [--draws 200000]

Prints, per data set, the importance sampler's effective sample size and the mean, sd and 95 %
interval of n_m1, n_m2 and n_c, beside those of the reference run in tests/data.
"""

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import yaml
from scipy import stats

from entangled_drums import chain, pumpfit, rawdata, sampling

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "tests" / "data" / "previous_sampler_reference.json"


def weighted_moments(values, w):
    """(mean, sd, 2.5 %, 97.5 %) of ``values`` with normalised weights ``w``."""
    mean = float(np.sum(w * values))
    sd = float(np.sqrt(np.sum(w * (values - mean) ** 2)))
    order = np.argsort(values)
    cum = np.cumsum(w[order])
    return (
        mean,
        sd,
        float(values[order][np.searchsorted(cum, 0.025)]),
        float(values[order][np.searchsorted(cum, 0.975)]),
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["C", "D"])
    parser.add_argument("--draws", type=int, default=200000)
    args = parser.parse_args(argv)
    cfg = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    cal = chain.calibrate(ROOT / "data" / "raw", cfg["device"], cfg["fits"])
    reference = json.loads(REFERENCE.read_text())["datasets"]
    for name in args.datasets:
        ds = rawdata.load(ROOT / "data" / "raw" / f"pump_{cfg['datasets'][name]['series']}.nc")
        i = [str(v) for v in ds["label"].values].index(name)
        result, prior = pumpfit.fit_trace(ds, i, cal["device"], cal["sideband"], cfg["fits"])
        post = sampling.LogPosterior.of_trace(
            ds, i, cal["device"], cal["sideband"], prior, cfg["mcmc"]["bath_prior_max"]
        )
        coords = sampling.coordinates_for(prior, "pinned")
        density = sampling.InCoordinates(post, coords)
        J = coords.jacobian(result.x)
        cov = J @ result.cov @ J.T
        proposal = stats.multivariate_t(
            loc=coords.from_physical(result.x), shape=1.5 * 0.5 * (cov + cov.T), df=6, seed=np.random.default_rng(0)
        )
        Z = proposal.rvs(size=args.draws)
        log_w = np.concatenate([density(Z[k : k + 2000]) for k in range(0, len(Z), 2000)]) - proposal.logpdf(Z)
        w = np.exp(log_w - np.max(log_w[np.isfinite(log_w)]))
        w[~np.isfinite(w)] = 0.0
        w /= w.sum()
        X, _ = coords.to_physical(Z)
        print(
            f"{name}: importance sampling, {args.draws} draws, effective sample size {1 / np.sum(w**2):.0f}, "
            f"largest weight {w.max():.1e}"
        )
        for key in ("n_m1", "n_m2", "n_c"):
            mean, sd, lo, hi = weighted_moments(X[:, pumpfit.INDEX[key]], w)
            ref = reference[name]["quantities"][key]
            print(
                f"  {key:5s} IS {mean:9.4f} ± {sd:7.4f} [{lo:.3f}, {hi:.3f}]   reference run {ref['mean']:9.4f} ± "
                f"{ref['sd']:7.4f} [{ref['q025']:.3f}, {ref['q975']:.3f}]"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
