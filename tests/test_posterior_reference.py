"""The posterior of step 06 (quick workflow run) against a long run of the previous sampler,
and its InferenceData file against its JSON summary."""

import json
import warnings

import numpy as np
import pytest

from conftest import ROOT

pytestmark = pytest.mark.workflow

REFERENCE = json.loads((ROOT / "tests" / "data" / "previous_sampler_reference.json").read_text())


@pytest.mark.parametrize("name", ["C", "D"])
def test_posterior_agrees_with_a_long_run_of_the_previous_sampler(workflow_run, name):
    """Every parameter's and derived quantity's posterior mean within 4 combined Monte Carlo errors of the
    reference (60 000 steps of the physical-coordinate sampler), standard deviations within 4 combined
    relative errors (1/sqrt(2 ESS) each: ~9 % for the quick run). (A 15 % tolerance let emcee's biased snooker
    move through: it made D's n_m1 sd 13 % too small; entangled_drums.stats.moves.)"""
    repo, _ = workflow_run
    summary = json.loads((repo / "results" / "mcmc" / f"{name}.json").read_text())
    new = dict(summary["parameters"], **{k: summary[k] for k in ("Xplus", "Pminus", "duan")})
    # the effective sample count, conservatively: ArviZ's bulk ESS comes from ~30 thinned draws per walker in the quick
    # run and can overstate it (a valid chain's pieces reached 3.6 of the 4 errors with it); the runs' own tau-based
    # count bounds it
    tau_ess = sum(run["effective_samples"] for run in summary["runs"])
    for key, ref in REFERENCE["datasets"][name]["quantities"].items():
        mcse = new[key]["sigma"] / np.sqrt(min(summary["diagnostics"][key]["ess_bulk"], tau_ess))
        combined = np.hypot(mcse, ref["mcse_mean"])
        assert abs(new[key]["mean"] - ref["mean"]) < 4 * combined, (name, key, new[key]["mean"], ref["mean"], combined)
        rel = np.hypot(1 / np.sqrt(2 * summary["diagnostics"][key]["ess_bulk"]), 1 / np.sqrt(2 * ref["ess"]))
        assert abs(new[key]["sigma"] / ref["sd"] - 1) < 4 * rel, (name, key, new[key]["sigma"], ref["sd"], rel)


def test_inference_data_agrees_with_the_json_summary(workflow_run):
    """ArviZ reads results/mcmc/C_posterior.nc: one chain per run, every parameter in physical units plus
    the derived quantities and lp; arviz.summary's mean, sd and R-hat equal the JSON summary's."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        import arviz as az

    from entangled_drums import pumpfit

    repo, _ = workflow_run
    summary = json.loads((repo / "results" / "mcmc" / "C.json").read_text())
    idata = az.from_netcdf(str(repo / "results" / "mcmc" / "C_posterior.nc"))
    assert idata.posterior.sizes["chain"] == len(summary["runs"]) >= 2
    assert set(pumpfit.NAMES + ["Xplus", "Pminus", "duan", "phi_opt"]) <= set(idata.posterior.data_vars)
    assert "lp" in idata.sample_stats and np.all(np.isfinite(idata.sample_stats["lp"].values))
    table = az.summary(idata, var_names=pumpfit.NAMES + ["Xplus", "Pminus", "duan"], round_to="none")
    stats = dict(summary["parameters"], **{k: summary[k] for k in ("Xplus", "Pminus", "duan")})
    for key, row in table.iterrows():
        assert row["mean"] == pytest.approx(stats[key]["mean"], rel=1e-9, abs=1e-12), key
        assert row["sd"] == pytest.approx(stats[key]["sigma"], rel=1e-9), key
        assert row["r_hat"] == pytest.approx(summary["diagnostics"][key]["rhat"], abs=1e-9), key
    assert idata.posterior.sizes["chain"] * idata.posterior.sizes["draw"] == summary["n_draws"]
