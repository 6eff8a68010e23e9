"""The sampler's machinery on a posterior we know: convergence, budget, resume, R-hat."""

import numpy as np
import pytest

from entangled_drums import sampling

SETTINGS = {"n_walkers": 16, "max_steps": 4000, "check_every": 200, "n_tau": 30, "tau_rtol": 0.1}
COV = np.array([[1.0, 0.8], [0.8, 1.0]])
PREC = np.linalg.inv(COV)


def gaussian(x):
    return -0.5 * float(x @ PREC @ x)


def test_converges_to_the_right_gaussian(tmp_path):
    result = sampling.run(gaussian, np.zeros(2), COV, SETTINGS, seed=3, backend_path=tmp_path / "c.h5")
    assert result.steps > SETTINGS["n_tau"] * result.tau.max()
    assert result.effective_samples > 500
    np.testing.assert_allclose(result.samples.mean(axis=0), 0, atol=0.15)
    np.testing.assert_allclose(np.cov(result.samples.T), COV, atol=0.15)


def test_budget_exhausted_raises_and_reports_nothing(tmp_path):
    tight = dict(SETTINGS, max_steps=400, n_tau=1000)
    with pytest.raises(sampling.ConvergenceError, match=r"not converged within max_steps = 400.*increase mcmc.max_steps"):
        sampling.run(gaussian, np.zeros(2), COV, tight, seed=3, backend_path=tmp_path / "c.h5")


def test_resumes_an_existing_chain_instead_of_restarting(tmp_path):
    path = tmp_path / "c.h5"
    first = sampling.run(gaussian, np.zeros(2), COV, SETTINGS, seed=5, backend_path=path)
    again = sampling.run(gaussian, np.zeros(2), COV, SETTINGS, seed=5, backend_path=path)
    assert again.steps == first.steps  # judged on the stored chain, no new steps
    np.testing.assert_array_equal(again.samples, first.samples)


def test_same_seed_same_chain(tmp_path):
    a = sampling.run(gaussian, np.zeros(2), COV, SETTINGS, seed=9, backend_path=tmp_path / "a.h5")
    b = sampling.run(gaussian, np.zeros(2), COV, SETTINGS, seed=9, backend_path=tmp_path / "b.h5")
    np.testing.assert_array_equal(a.samples, b.samples)


def test_gelman_rubin():
    rng = np.random.default_rng(0)
    same = [rng.normal(size=5000) for _ in range(3)]
    assert sampling.gelman_rubin(same) == pytest.approx(1.0, abs=0.005)
    shifted = [rng.normal(size=5000), rng.normal(loc=0.5, size=5000)]
    assert sampling.gelman_rubin(shifted) > 1.05


def test_summary_probability_and_mode():
    rng = np.random.default_rng(1)
    values = rng.normal(0.42, 0.05, size=20000)
    s = sampling.summarise(values, 0.5)
    assert s["prob_below"] == pytest.approx(0.945, abs=0.01)
    assert s["value"] == pytest.approx(0.42, abs=0.01)
    assert s["ci95"][0] < 0.42 < s["ci95"][1]


def test_rhat_check_stops_disagreeing_runs():
    with pytest.raises(sampling.ConvergenceError, match="R-hat"):
        sampling.check_rhat({"rhat": {"Pminus": 1.2, "param:n_c": 1.5}}, 1.01, "test")
    sampling.check_rhat({"rhat": {"Pminus": 1.001, "param:n_c": 1.5}}, 1.01, "test")


def test_interrupted_run_resumes_to_the_same_result(tmp_path):
    """A run stopped after a few chunks (budget) and resumed gives exactly the uninterrupted result."""
    full = sampling.run(gaussian, np.zeros(2), COV, SETTINGS, seed=4, backend_path=tmp_path / "full.h5")
    path = tmp_path / "cut.h5"
    with pytest.raises(sampling.ConvergenceError):
        sampling.run(gaussian, np.zeros(2), COV, dict(SETTINGS, max_steps=400), seed=4, backend_path=path)
    resumed = sampling.run(gaussian, np.zeros(2), COV, SETTINGS, seed=4, backend_path=path)
    assert resumed.steps == full.steps
    np.testing.assert_array_equal(resumed.samples, full.samples)
    assert not list(tmp_path.glob("*.partial*"))
    import emcee

    stored = emcee.backends.HDFBackend(str(path), read_only=True)  # emcee's own reader
    assert stored.iteration == full.steps and stored.get_chain().shape == (full.steps, SETTINGS["n_walkers"], 2)


def test_fused_likelihood_equals_the_plain_gamma_expression():
    """The numba kernel of LogPosterior equals -N sum(psd/m + log m) with m from pumpfit.model_psd."""
    from entangled_drums import pumpfit
    from entangled_drums._kernels import gamma_log_likelihood
    from entangled_drums.spectra import pump_spectrum

    device = {"f_c": 5.5e9, "gamma1": 106.0, "gamma2": 144.0, "kappa": 1.38e6, "kappa_out": 1.13e6}
    sideband = {"f1": 10.0e6, "f2": 11.3e6}
    x = np.array([0.5, 100.0, 73.0, 278.0, 166.0, 0.0, 3.0, 0.98, 66.0, 19.0])
    f = 5.5e9 + np.linspace(-2e5, 2e5, 301)
    rng = np.random.default_rng(0)
    m = pumpfit.model_psd(x, f, device, sideband)
    psd = m * rng.gamma(100.0, 1 / 100.0, f.size)
    S = pump_spectrum(pumpfit.params_from(x, device, sideband), f - 5.5e9)
    from entangled_drums.units import PLANCK_H, db_to_linear

    fused = gamma_log_likelihood(psd, S, f, db_to_linear(x[8]) * PLANCK_H, x[9] + 0.5, 100.0)
    assert fused == pytest.approx(-100.0 * np.sum(psd / m + np.log(m)), rel=1e-12)
    assert gamma_log_likelihood(psd, S - 1e6, f, 1.0, 0.5, 100.0) == -np.inf
