"""Coverage study: the full inference on independent simulated replicas of one truth.

One replica (a Snakemake job each, so a cluster profile spreads them)::

    python -m entangled_drums.studies.coverage --truth config/simulation.yaml --seed 1001 \
        --config '{...the workflow config as JSON...}' --out results/coverage/replicas/seed1001

simulates raw data from the truth with that seed (into a temporary directory) and runs the
analysis of steps 02-05 and 07 on it through :mod:`entangled_drums.studies.chain`: every calibration
constant, every pump-fit parameter and derived quantity, and the probe readout (~110 numbers,
each with its sigma). Replicas with ``mcmc=True`` also run the MCMC of step 06 and the verdict
of step 08 (Duan from probe and MCMC draws, P(Duan < 1)). It writes ``estimate.json`` (the
analysis' numbers and its runtime; no truth) and, separately, ``truth.json`` (the simulator's
values of the same quantities). :func:`summarise` then compares them: empirical coverage of
the 68 % and 95 % intervals, bias in units of sigma, pull width, and the calibration of the
stated probabilities through the probability integral transform (PIT) of the truth.
"""

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from ..data import jsonio, rawdata
from ..data.datasets import pump_series
from ..inference import sampling
from ..lab.simulate import simulate
from ..results import verdict
from ..stats.fitting import FitError
from . import chain, closure

#: Quantities from posterior draws (MCMC replicas): estimate key -> truth key.
QUANTITIES = {"Xplus_BAE": "Xplus", "Pminus_mcmc": "Pminus", "duan": "duan"}


def _draw_summary(values):
    values = np.asarray(values, dtype=float)
    return {
        "value": float(np.median(values)),
        "sigma": float(values.std(ddof=1)),
        "ci68": np.percentile(values, [16, 84]).tolist(),
        "ci95": np.percentile(values, [2.5, 97.5]).tolist(),
        "quantiles": np.percentile(values, np.arange(0, 101, 1)).tolist(),
    }


def replica(truth_path, seed, config, out_dir, processes=1, mcmc=True):
    """Simulate one replica and analyse it; write ``estimate.json`` and ``truth.json`` to ``out_dir``."""
    start = time.perf_counter()
    out_dir = Path(out_dir)
    device, fits, readout = config["device"], config["fits"], config["readout"]
    names = list(config["coverage"]["datasets"])
    work = Path(tempfile.mkdtemp(prefix=f"replica{seed}-"))
    try:
        simulate(truth_path, work / "raw", work / "truth.json", seed)
        cal = chain.calibrate(work / "raw", device, fits)
        device = cal["device"]  # with the calibrated rates
        refused = {}  # a refused fit (a start trapped near the stability edge, ...) is a finding of the study
        lsq = chain.fit_pumps(work / "raw", device, fits, cal["sideband"], pump_series(config), refused)
        if any(name in refused for name in names):
            raise FitError(f"replica {seed}: " + "; ".join(refused[n] for n in names if n in refused))
        probes = chain.read_out(
            work / "raw", device, cal["sideband"], cal["probe"], lsq, readout, names, fits["drift"]["gain_dB"]
        )
        truth = json.loads((work / "truth.json").read_text())
        # closure rows carry (name, value, sigma, truth, pull): the estimate keeps value and sigma only
        rows = (
            closure.calibration_pulls(cal, truth)
            + closure.pump_pulls(lsq, truth)
            + closure.probe_pulls(probes, truth, lsq)
        )
        estimate = {
            "seed": int(seed),
            "mcmc": bool(mcmc),
            "quantities": {r[0]: [r[1], r[2]] for r in rows},
            "datasets": {},
            "refused": refused,
        }
        true_values = {"quantities": {r[0]: r[3] for r in rows}, "datasets": {}}
        rng = np.random.default_rng([int(config["verdict"]["seed"]), int(seed)])
        for name in names if mcmc else []:
            ds = rawdata.load(work / "raw" / f"pump_{name}.nc")
            i = [str(v) for v in ds["label"].values].index(name)
            label = f"replica {seed}, MCMC of {name}"
            pooled = chain.replica_posterior(ds, i, device, cal["sideband"], fits, config, seed, processes, label)
            result, draws = probes[name]
            duan, _, _ = verdict.duan_distribution(draws, pooled, rng, result["shared_with_pminus"])
            estimate["datasets"][name] = {
                "Xplus_BAE": _draw_summary(draws["Xplus"]),
                "Pminus_mcmc": _draw_summary(pooled["Pminus"]),
                "duan": _draw_summary(duan),
                "prob_duan_below_one": float(np.mean(duan < 1)),
            }
            true_values["datasets"][name] = {k: truth["datasets"][name][k] for k in QUANTITIES.values()}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    estimate["runtime_s"] = time.perf_counter() - start
    estimate["processes"] = int(processes)
    jsonio.dump(true_values, out_dir / "truth.json")
    jsonio.dump(estimate, out_dir / "estimate.json")
    return estimate


def _pit(quantiles, value):
    """Fraction of a distribution (given by its percentiles 0..100) below ``value``."""
    q = np.asarray(quantiles)
    return float(np.interp(value, q, np.linspace(0, 1, q.size), left=0.0, right=1.0))


def _interval_rows(estimates, truths, name):
    """Coverage of the draw-based intervals of data set ``name`` (MCMC replicas only)."""
    rows = {}
    for key, true_key in QUANTITIES.items():
        est = [e["datasets"][name][key] for e in estimates]
        true = np.array([t["datasets"][name][true_key] for t in truths])
        value = np.array([e["value"] for e in est])
        sigma = np.array([e["sigma"] for e in est])
        in68 = np.array([e["ci68"][0] <= t <= e["ci68"][1] for e, t in zip(est, true, strict=True)])
        in95 = np.array([e["ci95"][0] <= t <= e["ci95"][1] for e, t in zip(est, true, strict=True)])
        pit = np.array([_pit(e["quantiles"], t) for e, t in zip(est, true, strict=True)])
        rows[key] = _coverage_row(in68, in95, (value - true) / sigma)
        rows[key].update(
            {
                "pit": pit.tolist(),
                "bias": float(np.mean(value - true)),
                "mean_sigma": float(sigma.mean()),
                "truth": float(true.mean()),
            }
        )
    stated = np.array([e["datasets"][name]["prob_duan_below_one"] for e in estimates])
    rows["prob_duan_below_one"] = {
        "mean_stated": float(stated.mean()),
        "truth_below_one": float(np.mean([t["datasets"][name]["duan"] < 1 for t in truths])),
    }
    return rows


def _coverage_row(in68, in95, pulls):
    n = len(pulls)
    return {
        "n": n,
        "coverage68": float(np.mean(in68)),
        "coverage95": float(np.mean(in95)),
        "coverage68_sigma": float(np.sqrt(0.68 * 0.32 / n)),
        "coverage95_sigma": float(np.sqrt(0.95 * 0.05 / n)),
        "bias_in_sigma": float(np.mean(pulls)),
        "pull_std": float(np.std(pulls, ddof=1)) if n > 1 else float("nan"),
    }


def summarise(estimates, truths):
    """Coverage, bias and PIT from lists of replica estimates and truths (dicts as :func:`replica` writes).

    ``quantities``: every number with a sigma, over all replicas (interval value +- 1 and
    +- 1.96 sigma). ``datasets``: the draw-based headline quantities over the MCMC replicas.
    """
    runtimes = {kind: [e["runtime_s"] for e in estimates if e.get("mcmc", True) == kind] for kind in (True, False)}
    out = {
        "n_replicas": len(estimates),
        "runtime_s": {
            ("with_mcmc" if kind else "without_mcmc"): {"n": len(r), "mean": float(np.mean(r)), "max": float(np.max(r))}
            for kind, r in runtimes.items()
            if r
        },
    }
    # a data set whose fit a replica refused is missing there: each quantity over the replicas that have it
    names = sorted(set.union(*[set(e["quantities"]) for e in estimates]))
    out["refused"] = [
        {"seed": e["seed"], "trace": label, "error": message}
        for e in estimates
        for label, message in e.get("refused", {}).items()
    ]
    out["quantities"] = {}
    for q in names:
        v = np.array(
            [
                [e["quantities"][q][0], e["quantities"][q][1], t["quantities"][q]]
                for e, t in zip(estimates, truths, strict=True)
                if q in e["quantities"]
            ]
        )
        pulls = (v[:, 0] - v[:, 2]) / v[:, 1]
        out["quantities"][q] = _coverage_row(np.abs(pulls) <= 1.0, np.abs(pulls) <= 1.96, pulls)
    mc = [(e, t) for e, t in zip(estimates, truths, strict=True) if e["datasets"]]
    out["n_mcmc_replicas"] = len(mc)
    out["datasets"] = {
        name: _interval_rows([e for e, _ in mc], [t for _, t in mc], name)
        for name in (mc[0][0]["datasets"] if mc else [])
    }
    return out


def flagged(summary, level=3.0):
    """Quantities whose 95 % coverage is more than ``level`` binomial sigmas from 0.95 (too low or too high)."""
    return sorted(
        q for q, r in summary["quantities"].items() if abs(r["coverage95"] - 0.95) > level * r["coverage95_sigma"]
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description="Simulate and analyse one coverage replica.")
    parser.add_argument("--truth", required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--config", required=True, help="the workflow's config as a JSON string")
    parser.add_argument("--out", required=True)
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument(
        "--no-mcmc", action="store_true", help="calibrations, fits and probes only (no MCMC, no verdict)"
    )
    args = parser.parse_args(argv)
    config = json.loads(args.config)
    try:
        est = replica(args.truth, args.seed, config, args.out, args.processes, mcmc=not args.no_mcmc)
    except (sampling.ConvergenceError, rawdata.RawDataError, FileNotFoundError) as err:
        print(f"error: replica {args.seed}: {err}", file=sys.stderr)
        return 1
    print(f"replica {args.seed}: {est['runtime_s']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
