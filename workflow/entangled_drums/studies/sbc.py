"""Simulation-based calibration of the verdict (Talts et al. 2018) over a population of truths.

Each replica draws its own truth: the laboratory's truth file with, for every data set named in
``sbc.population``, the blue pump's coupling as a fraction of the red's, the drum bath and the cavity
bath drawn from the stated distributions (``G_plus_ratio`` and ``n_c`` uniform, ``n_m1`` log-uniform;
``n_m2`` follows from the truth's base occupations), so that the true Duan quantity spans ~0.65-1.3.
Every systematic of the truth file (detuning errors, coupling transfers, drifts, the probe phase
offset) is drawn by the laboratory per replica as well. The replica's raw data are simulated, then
analysed blind like the archive: calibrations, pump fits and probe readout
(:mod:`entangled_drums.studies.chain`), and for each data set the posterior of its pump trace by
importance sampling from the Laplace approximation (:mod:`entangled_drums.inference.laplace`) in
place of the MCMC, paired with the probes' draws by the verdict's rule
(:func:`entangled_drums.results.verdict.duan_distribution`). With ``--mcmc`` the replica also runs
the MCMC of step 06 (the coverage study's settings) on the same data, to validate the fast posterior.

One replica (a Snakemake job each)::

    python -m entangled_drums.studies.sbc --truth config/simulation.yaml --seed 5001 \
        --config '{...the workflow config as JSON...}' --out results/sbc/replicas/seed5001 [--mcmc]

writes ``estimate.json`` (no truth: ranks are computed with the truth but stored apart from it,
see below) and ``truth.json``. The rank of the truth among ``sbc.n_rank_draws`` posterior draws is
what SBC needs; it is computed here (the only place both meet) and stored in ``ranks.json``.
:func:`summarise` turns the replicas into rank histograms, the reliability diagram of P(Duan < 1),
the false-discovery and false-positive rates at the verdict level, and the power against the true
Duan.
"""

import argparse
import copy
import json
import math
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

from ..data import jsonio, rawdata
from ..data.datasets import pump_series, series_of
from ..inference import laplace, sampling
from ..lab import truth as lab_truth
from ..lab.simulate import simulate
from ..results import verdict
from . import chain
from .closure import _PUMP

#: Quantities whose ranks are histogrammed: name -> (where the posterior draws come from, truth key).
RANKED = {
    "duan": ("paired", "duan"),
    "Pminus": ("posterior", "Pminus"),
    "Xplus_BAE": ("probes", "Xplus"),
    "n_c": ("parameter", "n_c"),
    "n_m1": ("parameter", "n_m1"),
    "n_m2": ("parameter", "n_m2"),
    "G_minus": ("parameter", "G_minus"),
    "G_plus": ("parameter", "G_plus"),
}


def draw_truth(raw, seed, population):
    """The truth file ``raw`` (a dict) with each population data set's couplings and baths drawn for ``seed``."""
    out = copy.deepcopy(raw)
    for name, spec in population.items():
        rng = lab_truth.rng(seed, f"population:{name}")
        d = out["datasets"][name]
        lo, hi = (math.log(float(v)) for v in spec["n_m1"])
        d["G_plus"] = float(rng.uniform(*spec["G_plus_ratio"])) * float(d["G_minus"])
        d["n_m1"] = float(math.exp(rng.uniform(lo, hi)))
        d["n_c"] = float(rng.uniform(*spec["n_c"]))
    return out


def _ranks(draws, true_value, n_rank, rng):
    """Rank of ``true_value`` among ``n_rank`` draws picked at random from ``draws`` (0..n_rank)."""
    pick = rng.choice(np.asarray(draws, dtype=float), size=n_rank, replace=False)
    return int(np.sum(pick < true_value))


def replica(truth_path, seed, config, out_dir, processes=1, mcmc=False):
    """Draw a truth, simulate it and analyse it blind; write ``estimate.json``, ``truth.json`` and ``ranks.json``."""
    start = time.perf_counter()
    out_dir = Path(out_dir)
    sbc = config["sbc"]
    device, fits, readout = config["device"], config["fits"], config["readout"]
    names = list(sbc["datasets"])
    n_rank = int(sbc["n_rank_draws"])
    level = float(config["verdict"]["probability"])
    work = Path(tempfile.mkdtemp(prefix=f"sbc{seed}-"))
    try:
        raw = draw_truth(lab_truth.load(truth_path), seed, sbc["population"])
        (work / "truth.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
        simulate(work / "truth.yaml", work / "raw", work / "truth.json", seed)
        true = json.loads((work / "truth.json").read_text())
        # --- the analysis: blind from here to the ranks ---
        cal = chain.calibrate(work / "raw", device, fits)
        device_cal = cal["device"]
        series = {s: m for s, m in pump_series(config).items() if set(m) & set(names)}
        lsq = chain.fit_pumps(work / "raw", device_cal, fits, cal["sideband"], series)
        probes = chain.read_out(
            work / "raw", device_cal, cal["sideband"], cal["probe"], lsq, readout, names, fits["drift"]["gain_dB"]
        )
        rng = np.random.default_rng([int(config["verdict"]["seed"]), int(seed)])
        estimate = {"seed": int(seed), "mcmc": bool(mcmc), "datasets": {}}
        posteriors = {}
        for name in names:
            ds = rawdata.load(work / "raw" / f"pump_{series_of(config, name)}.nc")
            i = [str(v) for v in ds["label"].values].index(name)
            post = laplace.importance_posterior(
                ds,
                i,
                device_cal,
                cal["sideband"],
                fits,
                config["mcmc"]["bath_prior_max"],
                rng,
                n_proposal=int(sbc["importance"]["n_proposal"]),
                n_draws=int(sbc["importance"]["n_draws"]),
            )
            result, draws = probes[name]
            duan, _, _ = verdict.duan_distribution(draws, post.derived, rng, result["shared_with_pminus"])
            entry = {
                "prob_duan_below_one": float(np.mean(duan < 1.0)),
                "entangled": bool(np.mean(duan < 1.0) >= level),
                "duan": {"value": float(np.median(duan)), "sigma": float(np.std(duan))},
                "Pminus": {
                    "value": float(np.median(post.derived["Pminus"])),
                    "sigma": float(post.derived["Pminus"].std()),
                },
                "Xplus_BAE": {"value": result["Xplus"]["value"], "sigma": result["Xplus"]["sigma"]},
                "Xplus_paper_estimator": {k: result["paper_estimator"][k] for k in ("value", "sigma")},
                "importance": {"k_hat": post.k_hat, "ess": post.ess, "n_proposal": post.n_proposal},
            }
            posteriors[name] = (post, draws, duan)
            if mcmc:
                label = f"SBC replica {seed}, MCMC of {name}"
                pooled = chain.replica_posterior(
                    ds, i, device_cal, cal["sideband"], fits, config, seed, processes, label
                )
                duan_mcmc, _, _ = verdict.duan_distribution(draws, pooled, rng, result["shared_with_pminus"])
                entry["mcmc"] = {
                    "prob_duan_below_one": float(np.mean(duan_mcmc < 1.0)),
                    "duan": {"value": float(np.median(duan_mcmc)), "sigma": float(np.std(duan_mcmc))},
                    "Pminus": {"value": float(np.median(pooled["Pminus"])), "sigma": float(pooled["Pminus"].std())},
                    "Pminus_quantiles": np.percentile(pooled["Pminus"], [2.5, 16, 50, 84, 97.5]).tolist(),
                }
                entry["Pminus_quantiles"] = np.percentile(post.derived["Pminus"], [2.5, 16, 50, 84, 97.5]).tolist()
            estimate["datasets"][name] = entry
        # --- the truth meets the draws only here: SBC ranks ---
        truths, ranks = {"datasets": {}}, {"n_rank_draws": n_rank, "datasets": {}}
        for name in names:
            post, draws, duan = posteriors[name]
            tr = true["datasets"][name]
            truths["datasets"][name] = {key: float(tr[key]) for _, key in RANKED.values()} | {
                "G_plus_ratio": float(tr["G_plus"]) / float(tr["G_minus"]),
            }
            row = {}
            for quantity, (source, key) in RANKED.items():
                if source == "paired":
                    values = duan
                elif source == "posterior":
                    values = post.derived[key]
                elif source == "probes":
                    values = draws["Xplus"]
                else:
                    values = post.params[:, _index(key)] * _PUMP[key]
                row[quantity] = _ranks(values, float(tr[key]), n_rank, rng)
            ranks["datasets"][name] = row
    finally:
        shutil.rmtree(work, ignore_errors=True)
    estimate["runtime_s"] = time.perf_counter() - start
    jsonio.dump(truths, out_dir / "truth.json")
    jsonio.dump(ranks, out_dir / "ranks.json")
    jsonio.dump(estimate, out_dir / "estimate.json")
    return estimate


def _index(key):
    from ..inference import pumpfit

    return pumpfit.NAMES.index(key)


# --- the summary over replicas -------------------------------------------------------------------------


def binomial_interval(k, n, level=0.95):
    """Clopper-Pearson interval of a binomial fraction ``k / n``: ``(low, high)``."""
    from scipy.stats import beta

    if n == 0:
        return (0.0, 1.0)
    a = 1.0 - level
    low = 0.0 if k == 0 else float(beta.ppf(a / 2, k, n - k + 1))
    high = 1.0 if k == n else float(beta.ppf(1 - a / 2, k + 1, n - k))
    return low, high


def rank_histogram(ranks, n_rank, bins):
    """Counts of ``ranks`` (0..n_rank) in ``bins`` equal bins, and the chi^2 test of uniformity (its p-value)."""
    from scipy.stats import chi2

    ranks = np.asarray(ranks)
    edges = np.linspace(-0.5, n_rank + 0.5, bins + 1)
    counts, _ = np.histogram(ranks, edges)
    expected = ranks.size / bins
    stat = float(np.sum((counts - expected) ** 2 / expected)) if ranks.size else float("nan")
    return counts.tolist(), stat, float(chi2.sf(stat, bins - 1)) if ranks.size else float("nan")


def uniform_band(n, bins, level=0.99):
    """The central ``level`` band of one bin's count when ``n`` ranks fall uniformly into ``bins`` bins."""
    from scipy.stats import binom

    return float(binom.ppf((1 - level) / 2, n, 1 / bins)), float(binom.ppf((1 + level) / 2, n, 1 / bins))


def summarise(estimates, truths, ranks, level, bins=10, probability_bins=(0.0, 0.05, 0.2, 0.5, 0.8, 0.95, 0.99, 1.0)):
    """The SBC summary (JSON-ready) from lists of replicas' ``estimate.json``, ``truth.json`` and ``ranks.json``.

    Per data set: rank histograms with their uniformity test; the reliability diagram (stated P(Duan < 1) in
    ``probability_bins`` against the fraction truly entangled, with Clopper-Pearson 95 % bands); at the verdict
    ``level``, the false-discovery rate (called entangled but separable), the false-positive rate (separable but
    called entangled) and the power (entangled and called so), each with its band; the power in bins of the true
    Duan; and, for replicas that also ran the MCMC, the fast posterior against it.
    """
    out = {"n_replicas": len(estimates), "level": level, "datasets": {}}
    names = sorted({n for e in estimates for n in e["datasets"]})
    for name in names:
        rows = [
            (e["datasets"][name], t["datasets"][name], r["datasets"][name], r["n_rank_draws"])
            for e, t, r in zip(estimates, truths, ranks, strict=True)
            if name in e["datasets"]
        ]
        n_rank = rows[0][3]
        hist = {}
        for q in RANKED:
            counts, stat, p = rank_histogram([r[2][q] for r in rows], n_rank, bins)
            hist[q] = {"counts": counts, "chi2": stat, "p_value": p}
        stated = np.array([r[0]["prob_duan_below_one"] for r in rows])
        true_duan = np.array([r[1]["duan"] for r in rows])
        entangled = true_duan < 1.0
        called = stated >= level
        reliability = []
        for lo, hi in zip(probability_bins[:-1], probability_bins[1:], strict=True):
            sel = (stated >= lo) & ((stated < hi) if hi < 1.0 else (stated <= hi))
            k, n = int(np.sum(entangled[sel])), int(np.sum(sel))
            reliability.append(
                {
                    "bin": [lo, hi],
                    "n": n,
                    "mean_stated": float(stated[sel].mean()) if n else None,
                    "fraction_entangled": k / n if n else None,
                    "band": binomial_interval(k, n),
                }
            )

        def rate(k, n):
            return {"k": int(k), "n": int(n), "value": k / n if n else None, "band": binomial_interval(k, n)}

        duan_edges = np.array([0.6, 0.8, 0.9, 0.95, 1.0, 1.05, 1.1, 1.2, 1.5])
        power = []
        for lo, hi in zip(duan_edges[:-1], duan_edges[1:], strict=True):
            sel = (true_duan >= lo) & (true_duan < hi)
            power.append({"true_duan": [float(lo), float(hi)], **rate(np.sum(called[sel]), np.sum(sel))})
        validation = [
            (r[0]["prob_duan_below_one"], r[0]["mcmc"]["prob_duan_below_one"], r[0]["Pminus"], r[0]["mcmc"]["Pminus"])
            for r in rows
            if "mcmc" in r[0]
        ]
        k_hat = np.array([r[0]["importance"]["k_hat"] for r in rows])
        out["datasets"][name] = {
            "n": len(rows),
            "n_rank_draws": n_rank,
            "ranks": hist,
            "reliability": reliability,
            "false_discovery_rate": rate(np.sum(called & ~entangled), np.sum(called)),
            "false_positive_rate": rate(np.sum(called & ~entangled), np.sum(~entangled)),
            "power": rate(np.sum(called & entangled), np.sum(entangled)),
            "power_vs_true_duan": power,
            "true_duan_range": [float(true_duan.min()), float(true_duan.max())],
            "n_separable": int(np.sum(~entangled)),
            "importance": {
                "k_hat_max": float(k_hat.max()),
                "k_hat_above_0p7": int(np.sum(k_hat > 0.7)),
                "ess_min": float(min(r[0]["importance"]["ess"] for r in rows)),
            },
            "validation": {
                "n": len(validation),
                "prob_fast": [v[0] for v in validation],
                "prob_mcmc": [v[1] for v in validation],
                "max_abs_prob_difference": float(max((abs(v[0] - v[1]) for v in validation), default=float("nan"))),
                "Pminus_mean_difference_in_sigma": [
                    (v[2]["value"] - v[3]["value"]) / v[3]["sigma"] for v in validation
                ],
                "Pminus_sigma_ratio": [v[2]["sigma"] / v[3]["sigma"] for v in validation],
            },
            "paper_estimator_bias": {
                "mean_in_sigma": float(
                    np.mean(
                        [
                            (r[0]["Xplus_paper_estimator"]["value"] - r[1]["Xplus"])
                            / r[0]["Xplus_paper_estimator"]["sigma"]
                            for r in rows
                        ]
                    )
                ),
                "mean_relative": float(
                    np.mean([r[0]["Xplus_paper_estimator"]["value"] / r[1]["Xplus"] - 1 for r in rows])
                ),
                "ours_mean_relative": float(np.mean([r[0]["Xplus_BAE"]["value"] / r[1]["Xplus"] - 1 for r in rows])),
            },
        }
    runtimes = [e["runtime_s"] for e in estimates]
    out["runtime_s"] = {
        "total": float(np.sum(runtimes)),
        "mean": float(np.mean(runtimes)),
        "max": float(np.max(runtimes)),
    }
    return out


def _rate_text(r):
    if r["value"] is None:
        return "– (none)"
    return f"{r['value']:.3f} ({r['k']} of {r['n']}; 95 % band {r['band'][0]:.3f}–{r['band'][1]:.3f})"


def markdown(summary):
    """The SBC summary as Markdown."""
    level = summary["level"]
    lines = [
        "# Simulation-based calibration of the verdict",
        "",
        f"{summary['n_replicas']} replicas, each with its own truth drawn from the population (config `sbc`), "
        f"analysed blind; verdict level {level:g}. Wall time of the replicas: {summary['runtime_s']['total'] / 60:.0f} "
        f"CPU minutes (mean {summary['runtime_s']['mean']:.0f} s, longest {summary['runtime_s']['max']:.0f} s).",
        "",
    ]
    for name, s in sorted(summary["datasets"].items()):
        lines += [
            f"## Data set {name} ({s['n']} replicas; true Duan {s['true_duan_range'][0]:.2f}–"
            f"{s['true_duan_range'][1]:.2f}, {s['n_separable']} separable)",
            "",
            f"- false-discovery rate at {level:g} (called entangled, truly separable): "
            + _rate_text(s["false_discovery_rate"]),
            "- false-positive rate (truly separable, called entangled): " + _rate_text(s["false_positive_rate"]),
            "- power (truly entangled, called entangled): " + _rate_text(s["power"]),
            f"- importance sampling: largest Pareto k̂ {s['importance']['k_hat_max']:.2f} "
            f"({s['importance']['k_hat_above_0p7']} above 0.7), smallest ESS {s['importance']['ess_min']:.0f}",
        ]
        v = s["validation"]
        if v["n"]:
            lines.append(
                f"- against the MCMC on {v['n']} replicas: largest |ΔP(Duan < 1)| {v['max_abs_prob_difference']:.3f}; "
                f"⟨P−²⟩ medians differ by {np.mean(v['Pminus_mean_difference_in_sigma']):+.2f} σ on average "
                f"(largest |Δ| {np.max(np.abs(v['Pminus_mean_difference_in_sigma'])):.2f} σ), σ ratio "
                f"{np.mean(v['Pminus_sigma_ratio']):.3f} (range {np.min(v['Pminus_sigma_ratio']):.3f}–"
                f"{np.max(v['Pminus_sigma_ratio']):.3f})"
            )
        b = s["paper_estimator_bias"]
        lines.append(
            f"- ⟨X+²⟩ against the truth, mean relative bias: ours {b['ours_mean_relative']:+.3f}, the paper's "
            f"estimator (area × 1.18) {b['mean_relative']:+.3f} ({b['mean_in_sigma']:+.2f} of its σ)"
        )
        lines += ["", "| rank histogram | counts per bin | χ² | p |", "|---|---|---|---|"]
        for q, h in s["ranks"].items():
            lines.append(f"| {q} | {' '.join(str(c) for c in h['counts'])} | {h['chi2']:.1f} | {h['p_value']:.3g} |")
        lines += [
            "",
            "| stated P(Duan < 1) | replicas | mean stated | fraction entangled | 95 % band |",
            "|---|---|---|---|---|",
        ]
        for r in s["reliability"]:
            if r["n"]:
                lines.append(
                    f"| {r['bin'][0]:g}–{r['bin'][1]:g} | {r['n']} | {r['mean_stated']:.3f} | "
                    f"{r['fraction_entangled']:.3f} | {r['band'][0]:.3f}–{r['band'][1]:.3f} |"
                )
        lines += ["", "| true Duan | replicas | called entangled | 95 % band |", "|---|---|---|---|"]
        for r in s["power_vs_true_duan"]:
            if r["n"]:
                lines.append(
                    f"| {r['true_duan'][0]:g}–{r['true_duan'][1]:g} | {r['n']} | {r['value']:.3f} | "
                    f"{r['band'][0]:.3f}–{r['band'][1]:.3f} |"
                )
        lines.append("")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Draw, simulate and analyse one replica of the SBC population.")
    parser.add_argument("--truth", required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--config", required=True, help="the workflow's config as a JSON string")
    parser.add_argument("--out", required=True)
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--mcmc", action="store_true", help="also run the MCMC (validates the fast posterior)")
    args = parser.parse_args(argv)
    config = json.loads(args.config)
    try:
        est = replica(args.truth, args.seed, config, args.out, args.processes, mcmc=args.mcmc)
    except (sampling.ConvergenceError, rawdata.RawDataError, lab_truth.TruthError, FileNotFoundError) as err:
        print(f"error: SBC replica {args.seed}: {err}", file=sys.stderr)
        return 1
    print(f"SBC replica {args.seed}: {est['runtime_s']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
