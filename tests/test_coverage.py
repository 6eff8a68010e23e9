"""Coverage study: the summary statistics, and `snakemake coverage` end to end (quick settings)."""

import json

import numpy as np
import pytest

from conftest import snakemake
from entangled_drums import coverage


def _estimate(rng, truth, sigma, scale=1.0):
    draws = truth + sigma * rng.standard_normal() + scale * sigma * rng.standard_normal(4000)
    return coverage._draw_summary(draws)


def _fake(n, scale, seed=1):
    """Replicas whose reported spread is ``scale`` times the true scatter of their centres."""
    rng = np.random.default_rng(seed)
    truth = {"Xplus": 0.44, "Pminus": 0.42, "duan": 0.86}
    truths = [{"datasets": {"C": truth}, "quantities": {"gain_dB": 66.0, "C.n_c": 0.5}} for _ in range(n)]
    estimates = [
        {
            "runtime_s": 1.0,
            "mcmc": True,
            "datasets": {
                "C": {
                    "Xplus_BAE": _estimate(rng, 0.44, 0.01, scale),
                    "Pminus_mcmc": _estimate(rng, 0.42, 0.01, scale),
                    "duan": _estimate(rng, 0.86, 0.02, scale),
                    "prob_duan_below_one": 1.0,
                }
            },
            "quantities": {
                "gain_dB": [66.0 + 0.05 * rng.standard_normal(), 0.05 * scale],
                "C.n_c": [0.5 + 0.01 * rng.standard_normal(), 0.01 * scale],
            },
        }
        for _ in range(n)
    ]
    return estimates, truths


def test_honest_errors_cover_and_overconfident_errors_do_not():
    honest, tight = coverage.summarise(*_fake(400, 1.0)), coverage.summarise(*_fake(400, 0.4))
    for key in coverage.QUANTITIES:
        h, t = honest["datasets"]["C"][key], tight["datasets"]["C"][key]
        assert abs(h["coverage68"] - 0.68) < 0.08 and abs(h["coverage95"] - 0.95) < 0.04
        assert t["coverage95"] < 0.75  # the study detects error bars that are too small
        pit = np.array(h["pit"])
        assert 0.4 < pit.mean() < 0.6 and np.histogram(pit, bins=5, range=(0, 1))[0].min() > 50
    for key in ("gain_dB", "C.n_c"):
        h, t = honest["quantities"][key], tight["quantities"][key]
        assert abs(h["coverage95"] - 0.95) < 0.04 and 0.85 < h["pull_std"] < 1.15
        assert t["coverage95"] < 0.75 and t["pull_std"] > 2
    assert coverage.flagged(honest) == [] and coverage.flagged(tight) == ["C.n_c", "gain_dB"]


@pytest.mark.workflow
def test_snakemake_coverage_quick(run_copy):
    """`snakemake coverage closure sbc` with the quick settings (2 replicas each, the first with MCMC):
    independent replica jobs, then the summaries; and Fig. S6, the archive's closure against the truth. Runs in a
    copy of the finished quick workflow (its calibrations and fits are closure's inputs) with the truth added back. A
    machinery check: the statistics are the archived study's (docs/coverage)."""
    import shutil

    from conftest import ROOT, TRUTH_FILES

    repo = run_copy
    for rel in TRUTH_FILES:  # a simulation study needs the truth
        shutil.copy2(ROOT / rel, repo / rel)
    proc = snakemake(
        repo, "--cores", "2", "--configfile", "config/quick.yaml", "--", "coverage", "closure", "sbc", timeout=1800
    )
    assert "rule pump_fits" not in proc.stdout + proc.stderr  # the finished steps were reused
    pulls = json.loads((repo / "results" / "closure" / "pulls.json").read_text())["summary"]
    # max 4: B1's couplings sit at 3.6 sigma on the redrawn archive (tests/test_closure.py, the stability edge)
    assert pulls["n"] >= 100 and abs(pulls["mean"]) < 0.4 and 0.7 < pulls["std"] < 1.3 and pulls["max_abs"] < 4.0
    assert (repo / "results" / "figures" / "figS6_closure.png").stat().st_size > 1000
    summary = json.loads((repo / "results" / "coverage" / "summary.json").read_text())
    assert summary["n_replicas"] == 2 and summary["n_mcmc_replicas"] == 1
    # wall times are recorded, not compared: the replicas of both studies share the cores (no timed asserts)
    assert summary["runtime_s"]["with_mcmc"]["mean"] > 0 and summary["runtime_s"]["without_mcmc"]["mean"] > 0
    sbc = json.loads((repo / "results" / "sbc" / "summary.json").read_text())
    assert sbc["n_replicas"] == 2 and list(sbc["datasets"]) == ["C"]
    c = sbc["datasets"]["C"]
    assert c["validation"]["n"] == 1 and c["importance"]["k_hat_max"] < 0.7
    assert sum(c["ranks"]["duan"]["counts"]) == 2 and (repo / "results" / "figures" / "figS8_sbc.png").is_file()
    for key in coverage.QUANTITIES:
        r = summary["datasets"]["C"][key]
        assert 0 <= r["coverage68"] <= r["coverage95"] <= 1 and len(r["pit"]) == 1
    replica = repo / "results" / "coverage" / "replicas" / "seed1000"
    estimate = json.loads((replica / "estimate.json").read_text())["datasets"]["C"]
    truth = json.loads((replica / "truth.json").read_text())["datasets"]["C"]
    for key, true_key in coverage.QUANTITIES.items():  # a broken error bar shows as a pull of many sigma
        assert abs(estimate[key]["value"] - truth[true_key]) < 4 * estimate[key]["sigma"], (key, estimate[key], truth)
    q = summary["quantities"]
    assert len(q) >= 100 and all(r["n"] == 2 for r in q.values())
    assert {"gain_dB", "C.Xplus_BAE", "C.probe_imbalance", "D.n_c", "B1.G_minus"} <= set(q)
    # 2 replicas x ~110 quantities: the pooled 95 % coverage of honest errors is ~0.95 +- 0.015 (0.85 is far out)
    assert np.mean([r["coverage95"] for r in q.values()]) > 0.85
    assert (repo / "results" / "figures" / "figS7_coverage.png").stat().st_size > 1000
    text = (repo / "results" / "coverage" / "summary.md").read_text()
    assert "| C | duan |" in text and "| C.probe_imbalance |" in text
