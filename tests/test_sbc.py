"""Simulation-based calibration: the fast posterior against a long MCMC run, and the summary's statistics
against populations whose calibration is known (a calibrated verdict passes, an overconfident one fails)."""

import json

import numpy as np
import pytest
import yaml

from conftest import ROOT
from entangled_drums.lab import truth as lab_truth
from entangled_drums.studies import sbc

CONFIG = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
REFERENCE = json.loads((ROOT / "tests" / "data" / "previous_sampler_reference.json").read_text())


def test_population_draws_are_reproducible_within_the_stated_ranges_and_stable():
    raw = lab_truth.load(ROOT / "config" / "simulation.yaml")
    population = CONFIG["sbc"]["population"]
    draws = [sbc.draw_truth(raw, seed, population) for seed in range(5000, 5040)]
    assert sbc.draw_truth(raw, 5000, population) == draws[0]  # the seed fixes the draw
    for name, spec in population.items():
        ratio = np.array([d["datasets"][name]["G_plus"] / d["datasets"][name]["G_minus"] for d in draws])
        n_m1 = np.array([d["datasets"][name]["n_m1"] for d in draws])
        assert spec["G_plus_ratio"][0] <= ratio.min() and ratio.max() <= spec["G_plus_ratio"][1]
        assert spec["n_m1"][0] <= n_m1.min() and n_m1.max() <= spec["n_m1"][1]
        assert np.unique(ratio).size == ratio.size  # every replica its own truth
        for d in draws[:5]:  # the population's corners stay stable (the laboratory refuses unstable truths)
            assert lab_truth.Lab(d).growth_rate(name) < 0


def test_rank_histogram_sees_a_biased_and_a_too_narrow_posterior():
    rng = np.random.default_rng(3)
    n, L = 400, 99
    uniform = rng.integers(0, L + 1, size=n)
    assert sbc.rank_histogram(uniform, L, 10)[2] > 0.01
    # truth always in the upper tail of the draws (the posterior biased low)
    biased = np.minimum(L, rng.integers(0, L + 1, size=n) + 30)
    assert sbc.rank_histogram(biased, L, 10)[2] < 1e-6
    # too narrow: the truth often beyond every draw (a U shape)
    narrow = np.where(rng.random(n) < 0.4, rng.choice([0, L], size=n), rng.integers(0, L + 1, size=n))
    assert sbc.rank_histogram(narrow, L, 10)[2] < 1e-6


def _population(stated, entangled, L=99):
    estimates, truths, ranks = [], [], []
    for p, e in zip(stated, entangled, strict=True):
        estimates.append(
            {
                "runtime_s": 1.0,
                "datasets": {
                    "C": {
                        "prob_duan_below_one": float(p),
                        "importance": {"k_hat": 0.3, "ess": 1000.0},
                        "Xplus_BAE": {"value": 0.45, "sigma": 0.02},
                        "Xplus_paper_estimator": {"value": 0.42, "sigma": 0.02},
                    }
                },
            }
        )
        truths.append({"datasets": {"C": {"duan": 0.9 if e else 1.1, "Xplus": 0.45}}})
        ranks.append({"n_rank_draws": L, "datasets": {"C": {q: int(p * L) for q in sbc.RANKED}}})
    return estimates, truths, ranks


def test_summary_passes_a_calibrated_verdict_and_fails_an_overconfident_one():
    rng = np.random.default_rng(5)
    n = 600
    stated = rng.beta(0.5, 0.5, size=n)  # many near 0 and 1, as a real population's
    calibrated = sbc.summarise(*_population(stated, rng.random(n) < stated), level=0.95)["datasets"]["C"]
    inside = [r["band"][0] <= r["mean_stated"] + 0.03 and r["mean_stated"] - 0.03 <= r["band"][1]
              for r in calibrated["reliability"] if r["n"]]  # fmt: skip
    assert sum(inside) >= len(inside) - 1
    assert calibrated["false_discovery_rate"]["band"][0] <= 0.05
    # overconfident: states 0.99 where the state is entangled only 70 % of the time
    over = np.full(n, 0.99)
    bad = sbc.summarise(*_population(over, rng.random(n) < 0.7), level=0.95)["datasets"]["C"]
    assert bad["false_discovery_rate"]["band"][0] > 0.05  # the false-discovery rate is measured far above 5 %
    top = [r for r in bad["reliability"] if r["n"]][-1]
    assert top["band"][1] < top["mean_stated"]  # and the reliability diagram leaves its band


@pytest.mark.workflow
@pytest.mark.parametrize("name", ["C", "D"])
def test_importance_posterior_agrees_with_a_long_mcmc_run(workflow_run, name):
    """The fast posterior of the SBC (importance sampling from the Laplace approximation) against the long
    reference run of the previous sampler (60 000 steps): every parameter's and derived quantity's mean within
    4 combined Monte Carlo errors, its sd within 4 combined relative errors; Pareto k-hat below 0.7."""
    from entangled_drums import calibration, jsonio, rawdata
    from entangled_drums.inference import laplace

    repo, _ = workflow_run
    sideband = jsonio.load(repo / "results" / "calibration" / "sideband.json")
    device = calibration.device_of(CONFIG["device"], sideband)
    ds = rawdata.load(ROOT / "data" / "raw" / f"pump_{name}.nc")
    i = [str(v) for v in ds["label"].values].index(name)
    post = laplace.importance_posterior(
        ds, i, device, sideband, CONFIG["fits"], CONFIG["mcmc"]["bath_prior_max"], np.random.default_rng(17)
    )
    assert post.k_hat < 0.7 and post.ess > 1000
    from entangled_drums.inference import pumpfit

    values = {key: post.params[:, j] for j, key in enumerate(pumpfit.NAMES)}
    values.update({key: post.derived[key] for key in ("Xplus", "Pminus", "duan")})
    for key, ref in REFERENCE["datasets"][name]["quantities"].items():
        v = values[key]
        combined = np.hypot(v.std() / np.sqrt(post.effective_draws), ref["mcse_mean"])
        assert abs(v.mean() - ref["mean"]) < 4 * combined, (name, key, v.mean(), ref["mean"], combined)
        rel = np.hypot(1 / np.sqrt(2 * post.effective_draws), 1 / np.sqrt(2 * ref["ess"]))
        assert abs(v.std() / ref["sd"] - 1) < 4 * rel, (name, key, v.std(), ref["sd"], rel)


def test_sensitivity_scales_one_prior_width_at_a_time():
    from entangled_drums.studies import sensitivity

    for label, path in sensitivity.WIDTHS.items():
        cfg = sensitivity.scaled(CONFIG, path, 2.0)
        assert sensitivity._get(cfg, path) == pytest.approx(2.0 * sensitivity._get(CONFIG, path)), label
        changed = [p for p in sensitivity.WIDTHS.values() if sensitivity._get(cfg, p) != sensitivity._get(CONFIG, p)]
        assert changed == [path]  # nothing else moved, and the config itself is untouched
