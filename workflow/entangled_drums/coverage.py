"""Coverage study: the full inference on independent simulated replicas of one truth.

One replica (a Snakemake job each, so a cluster profile spreads them)::

    python -m entangled_drums.coverage --truth config/simulation.yaml --seed 1001 \
        --config '{...the workflow config as JSON...}' --out results/coverage/replicas/seed1001

simulates raw data from the truth with that seed (into a temporary directory), runs the
analysis of steps 02-08 on it through :mod:`entangled_drums.chain` and the MCMC, and writes
``estimate.json`` (the analysis' numbers and its runtime; no truth) and, separately,
``truth.json`` (the simulator's derived truth). :func:`summarise` then compares them:
empirical coverage of the 68 % and 95 % intervals, bias in units of sigma, and the calibration
of the stated probabilities through the probability integral transform (PIT) of the truth.
"""

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from . import chain, jsonio, rawdata, sampling, verdict
from .simulate import simulate

#: Quantities compared: estimate key -> truth key.
QUANTITIES = {"Xplus_BAE": "Xplus", "Pminus_mcmc": "Pminus", "duan": "duan"}


def _draw_summary(values):
    values = np.asarray(values, dtype=float)
    return {"value": float(np.median(values)), "sigma": float(values.std(ddof=1)),
            "ci68": np.percentile(values, [16, 84]).tolist(), "ci95": np.percentile(values, [2.5, 97.5]).tolist(),
            "quantiles": np.percentile(values, np.arange(0, 101, 1)).tolist()}


def replica(truth_path, seed, config, out_dir, processes=1):
    """Simulate one replica and analyse it; write ``estimate.json`` and ``truth.json`` to ``out_dir``."""
    start = time.perf_counter()
    out_dir = Path(out_dir)
    device, fits, readout = config["device"], config["fits"], config["readout"]
    names = list(config["coverage"]["datasets"])
    work = Path(tempfile.mkdtemp(prefix=f"replica{seed}-"))
    try:
        simulate(truth_path, work / "raw", work / "truth.json", seed)
        cal = chain.calibrate(work / "raw", device, fits)
        lsq = chain.fit_pumps(work / "raw", device, fits, cal["sideband"], series="".join(sorted(set(n[0] for n in names))))
        probes = chain.read_out(work / "raw", device, cal["sideband"], cal["probe"], lsq, readout, names)
        rng = np.random.default_rng([int(config["verdict"]["seed"]), int(seed)])
        estimate = {"seed": int(seed), "datasets": {}}
        for name in names:
            ds = rawdata.load(work / "raw" / f"pump_{name}.nc")
            i = [str(v) for v in ds["label"].values].index(name)
            settings = dict(config["mcmc"], seeds=[int(seed) * 10 + k for k in range(len(config["mcmc"]["seeds"]))])
            runs, _, _ = sampling.sample_trace(ds, i, device, cal["sideband"], fits, settings, None, processes)
            summary, pooled = sampling.posterior_summary(runs, device, cal["sideband"])
            sampling.check_rhat(summary, float(settings["rhat_max"]), f"replica {seed}, MCMC of {name}")
            result, draws = probes[name]
            duan = verdict.duan_distribution(draws, pooled[:, 1], rng)
            estimate["datasets"][name] = {
                "Xplus_BAE": _draw_summary(draws), "Pminus_mcmc": _draw_summary(pooled[:, 1]),
                "duan": _draw_summary(duan), "prob_duan_below_one": float(np.mean(duan < 1)),
            }
        truth = json.loads((work / "truth.json").read_text())
    finally:
        shutil.rmtree(work, ignore_errors=True)
    estimate["runtime_s"] = time.perf_counter() - start
    estimate["processes"] = int(processes)
    jsonio.dump({n: {k: truth["datasets"][n][k] for k in QUANTITIES.values()} for n in names}, out_dir / "truth.json")
    jsonio.dump(estimate, out_dir / "estimate.json")
    return estimate


def _pit(quantiles, value):
    """Fraction of a distribution (given by its percentiles 0..100) below ``value``."""
    q = np.asarray(quantiles)
    return float(np.interp(value, q, np.linspace(0, 1, q.size), left=0.0, right=1.0))


def summarise(estimates, truths):
    """Coverage, bias and PIT per data set and quantity, from lists of replica estimates and truths."""
    out = {"n_replicas": len(estimates), "runtime_s": {"mean": float(np.mean([e["runtime_s"] for e in estimates])),
                                                       "max": float(np.max([e["runtime_s"] for e in estimates]))}}
    for name in estimates[0]["datasets"]:
        rows = {}
        for key, true_key in QUANTITIES.items():
            est = [e["datasets"][name][key] for e in estimates]
            true = np.array([t[name][true_key] for t in truths])
            value = np.array([e["value"] for e in est])
            sigma = np.array([e["sigma"] for e in est])
            in68 = np.array([e["ci68"][0] <= t <= e["ci68"][1] for e, t in zip(est, true)])
            in95 = np.array([e["ci95"][0] <= t <= e["ci95"][1] for e, t in zip(est, true)])
            pit = np.array([_pit(e["quantiles"], t) for e, t in zip(est, true)])
            n = len(est)
            rows[key] = {"coverage68": float(in68.mean()), "coverage95": float(in95.mean()),
                         "coverage68_sigma": float(np.sqrt(0.68 * 0.32 / n)), "coverage95_sigma": float(np.sqrt(0.95 * 0.05 / n)),
                         "bias": float(np.mean(value - true)), "bias_in_sigma": float(np.mean((value - true) / sigma)),
                         "pull_std": float(np.std((value - true) / sigma)), "pit": pit.tolist(),
                         "mean_sigma": float(sigma.mean()), "truth": float(true.mean())}
        stated = np.array([e["datasets"][name]["prob_duan_below_one"] for e in estimates])
        rows["prob_duan_below_one"] = {"mean_stated": float(stated.mean()),
                                       "truth_below_one": float(np.mean([t[name]["duan"] < 1 for t in truths]))}
        out[name] = rows
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description="Simulate and analyse one coverage replica.")
    parser.add_argument("--truth", required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--config", required=True, help="the workflow's config as a JSON string")
    parser.add_argument("--out", required=True)
    parser.add_argument("--processes", type=int, default=1)
    args = parser.parse_args(argv)
    config = json.loads(args.config)
    try:
        est = replica(args.truth, args.seed, config, args.out, args.processes)
    except (sampling.ConvergenceError, rawdata.RawDataError, FileNotFoundError) as err:
        print(f"error: replica {args.seed}: {err}", file=sys.stderr)
        return 1
    print(f"replica {args.seed}: {est['runtime_s']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
