"""`make verify`'s parts that need no workflow run: the Monte Carlo errors its tolerances rest on, the macros
of headline.tex and which number each prints, and the comparison's verdicts. The rerun of a deposit and an
altered deposited number are in test_product.py (on the shared quick run)."""

import json

import numpy as np
import pytest
from scipy.signal import lfilter

from entangled_drums.inference.sampling import mode
from entangled_drums.product import montecarlo, records, verify
from entangled_drums.results import verdict


def _ar1(rng, n, rho):
    return lfilter([np.sqrt(1 - rho**2)], [1, -rho], rng.standard_normal(n))


@pytest.mark.parametrize(
    ("kind", "estimate", "extra"),
    [
        ("mode", mode, {}),
        ("sd", lambda x: np.std(x, ddof=1), {}),
        ("quantile", lambda x: np.percentile(x, 2.5), {"quantile": 0.025}),
        ("probability", lambda x: np.mean(x < 1.5), {"p": 0.9332}),
    ],
)
def test_monte_carlo_errors_match_repeated_independent_draws(kind, estimate, extra):
    """Each estimator's MCSE formula against the spread of the estimator over fresh draws (N(0, 1), n = 1000)."""
    rng = np.random.default_rng(5)
    n, reps = 1000, 120
    spread = np.std([estimate(rng.standard_normal(n)) for _ in range(reps)], ddof=1)
    predicted = montecarlo.mcse(kind, n, n=n, sigma=1.0, **extra)
    assert 0.7 * spread < predicted < 1.45 * spread, (kind, predicted, spread)


def test_kde_mode_error_is_conservative_for_correlated_draws():
    """Correlated draws (AR(1), effective sample size n/9): the mode's MCSE from the ESS does not understate."""
    rng = np.random.default_rng(6)
    n, rho = 2000, 0.8
    ess = n * (1 - rho) / (1 + rho)
    spread = np.std([mode(_ar1(rng, n, rho)) for _ in range(60)], ddof=1)
    assert montecarlo.mcse("mode", ess, n=n, sigma=1.0) > spread


def test_every_field_of_the_headline_rows_has_an_estimator():
    """The rules name real rows and fields; a row the rules do not know is compared bit for bit."""
    keys = {key for key, *_ in verdict.ROWS}
    extra = {"entangled", "estimators", "duan_phi_deg", "duan_separate_phases", "probability_resolution"}
    assert set(montecarlo.RULES) - extra <= keys
    # a probability's resolution follows from the chains' ESS: shown, never a failure
    path = ("datasets", "C", "probability_resolution", "prob_duan_below_one", "effective_draws")
    assert montecarlo.rule(path)[0] == "run_length"
    assert montecarlo.rule(("datasets", "C", "duan", "ci95", 0)) == ("quantile", "paired")
    assert montecarlo.rule(("datasets", "C", "Xplus_lsq", "value")) == montecarlo.EXACT
    assert montecarlo.rule(("datasets", "C", "a_new_row", "value")) == montecarlo.EXACT
    assert montecarlo.rule(("datasets", "C", "draw_counts", "prob_duan_below_one", "below"))[0] == "count"
    assert montecarlo.rule(("datasets", "C", "draw_counts", "prob_Pminus_below_half", "draws"))[0] == "run_length"
    assert montecarlo.rule(("paper", "headline_C", "duan", "value")) == montecarlo.EXACT


def _entry(shift=0.0):
    return {
        "Xplus_lsq": {"value": 0.44 + shift, "sigma": 0.016},
        "duan": {"value": 0.864, "sigma": 0.025, "ci95": [0.817, 0.914]},
        "prob_duan_below_one": 0.987,
        "duan_phi_deg": 2.4,
        "entangled": True,
    }


def _headline():
    return {
        "datasets": {"C": _entry(), "run7": _entry(0.01)},
        "provenance": {
            "config": {"figures": {"main_dataset": "C"}},
            "seeds": {"mcmc": [1], "verdict": 11},
            "raw_data_sha256": {"pump_C.nc": "ab12"},
            "config_sha256": "cd34",
        },
    }


def test_macros_parse_and_each_finds_the_number_it_prints():
    headline = _headline()
    tex = verdict.tex(headline, "C")
    macros = records.parse_tex(tex)
    assert macros["Duan"] == "0.86" and macros["ProbDuanBelowOne"] == "99\\,\\%" and macros["Entangled"] == "yes"
    assert "DuanlowSetrunSeven" in macros
    assert records.macro_number("0.86") == (0.86, pytest.approx(0.01), 1.0)
    assert records.macro_number("99\\,\\%") == (99.0, 1.0, 100.0)
    assert records.macro_number("2.4") == (2.4, pytest.approx(0.1), 1.0)
    assert records.macro_number("yes") is None
    sources = records.macro_sources(headline, "C")
    assert sources["Duan"] == [("datasets", "C", "duan", "value")]
    assert sources["Duanhigh"] == [("datasets", "C", "duan", "ci95", 1)]
    assert sources["XplusLSQerrSetrunSeven"] == [("datasets", "run7", "Xplus_lsq", "sigma")]
    assert sources["Entangled"] == [("datasets", "C", "entangled")]
    assert all(sources.values()), sources


def test_a_new_headline_row_gets_its_macro_record_without_a_change_in_product(monkeypatch, tmp_path):
    """A row the verdict adds (and its macro) is found by the macro records as they are: bit identity, no seeds."""
    monkeypatch.setitem(verdict._TEX_KEYS, "kappa_ratio", "KappaRatio")
    headline = _headline()
    headline["datasets"]["C"]["kappa_ratio"] = {"value": 1.2345, "sigma": 0.01}
    out = records.macro_records(headline, "C", tmp_path)
    assert out["KappaRatio"]["quantity"] == "datasets.C.kappa_ratio.value"
    assert out["KappaRatio"]["mc_error"] == 0.0 and out["KappaRatio"]["seeds"] == {}
    assert out["KappaRatio"]["written_by"]["notebook"] == "notebooks/08_entanglement_verdict.py"
    assert out["Duan"]["interval"] == {"low": 0.817, "high": 0.914, "kind": "95 % central interval of the draws"}
    assert out["ProbDuanBelowOne"]["seeds"] == {"mcmc": [1], "readout": None, "verdict": 11}


def test_the_rules_file_names_each_steps_notebook_and_outputs():
    steps = {s["rule"]: s for s in records.steps()}
    assert steps["mcmc"]["notebook"] == "notebooks/06_mcmc.py" and "mcmc/{dataset}.json" in steps["mcmc"]["outputs"]
    assert records.producer("readout/probes.json", steps.values())["rule"] == "probe_readout"
    assert records.producer("mcmc/D.json", steps.values())["notebook"] == "notebooks/06_mcmc.py"
    assert records.producer("headline.json", steps.values())["rule"] == "entanglement_verdict"


def _write(directory, headline):
    directory.mkdir()
    (directory / "headline.json").write_text(json.dumps(headline))
    (directory / "headline.tex").write_text(verdict.tex(headline, "C"))
    return directory


def test_compare_without_draws_holds_sampled_numbers_to_bit_identity_and_names_what_differs(tmp_path):
    """Where a run's draws are missing no Monte Carlo error can be computed: the number must then be identical."""
    dep = _write(tmp_path / "dep", _headline())
    same = _write(tmp_path / "same", _headline())
    rows = verify.compare(dep, same)
    assert all(r.verdict != "FAIL" for r in rows), verify.table(rows)
    changed = _headline()
    changed["datasets"]["C"]["duan"]["value"] += 1e-9
    other = _write(tmp_path / "other", changed)
    failed = [r.quantity for r in verify.compare(dep, other) if r.verdict == "FAIL"]
    assert failed == ["datasets.C.duan.value"], failed
