"""Coverage study: the summary statistics, and `snakemake coverage` end to end (quick settings)."""

import json

import numpy as np
import pytest

from conftest import copy_repository, snakemake
from entangled_drums import coverage


def _estimate(rng, truth, sigma, scale=1.0):
    draws = truth + sigma * rng.standard_normal() + scale * sigma * rng.standard_normal(4000)
    return coverage._draw_summary(draws)


def _fake(n, scale, seed=1):
    """Replicas whose reported spread is ``scale`` times the true scatter of their centres."""
    rng = np.random.default_rng(seed)
    truths = [{"C": {"Xplus": 0.44, "Pminus": 0.42, "duan": 0.86}} for _ in range(n)]
    estimates = [{"runtime_s": 1.0, "datasets": {"C": {
        "Xplus_BAE": _estimate(rng, 0.44, 0.01, scale), "Pminus_mcmc": _estimate(rng, 0.42, 0.01, scale),
        "duan": _estimate(rng, 0.86, 0.02, scale), "prob_duan_below_one": 1.0}}} for _ in range(n)]
    return estimates, truths


def test_honest_errors_cover_and_overconfident_errors_do_not():
    honest = coverage.summarise(*_fake(400, 1.0))["C"]
    tight = coverage.summarise(*_fake(400, 0.4))["C"]
    for key in coverage.QUANTITIES:
        assert abs(honest[key]["coverage68"] - 0.68) < 0.08 and abs(honest[key]["coverage95"] - 0.95) < 0.04
        assert tight[key]["coverage95"] < 0.75  # the study detects error bars that are too small
        pit = np.array(honest[key]["pit"])
        assert 0.4 < pit.mean() < 0.6 and np.histogram(pit, bins=5, range=(0, 1))[0].min() > 50


@pytest.mark.workflow
def test_snakemake_coverage_quick(tmp_path):
    """`snakemake coverage closure` with the quick settings: independent replica jobs, then the
    summary; and Fig. S6, the archive's closure against the truth."""
    repo = copy_repository(tmp_path / "repo")  # with the truth: a simulation study needs it
    snakemake(repo, "--cores", "2", "--configfile", "config/quick.yaml", "--", "coverage", "closure", timeout=1800)
    pulls = json.loads((repo / "results" / "closure" / "pulls.json").read_text())["summary"]
    assert pulls["n"] >= 100 and abs(pulls["mean"]) < 0.4 and 0.7 < pulls["std"] < 1.3 and pulls["max_abs"] < 3.5
    assert (repo / "results" / "figures" / "figS6_closure.png").stat().st_size > 1000
    summary = json.loads((repo / "results" / "coverage" / "summary.json").read_text())
    assert summary["n_replicas"] == 3 and summary["runtime_s"]["mean"] > 0
    for key in coverage.QUANTITIES:
        r = summary["C"][key]
        assert 0 <= r["coverage68"] <= r["coverage95"] <= 1 and len(r["pit"]) == 3
        assert r["coverage95"] >= 0.6, (key, r)  # 3 replicas: a 95 % interval missing 2 of 3 means broken errors
    assert (repo / "results" / "figures" / "figS7_coverage.png").stat().st_size > 1000
    assert "| C | duan |" in (repo / "results" / "coverage" / "summary.md").read_text()
