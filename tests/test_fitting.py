"""Least-squares machinery: correlated priors, generalised least squares, the probe traces' whitening."""

import numpy as np
import pytest

from entangled_drums import fitting, probes


def test_a_correlated_prior_block_is_the_posterior_when_the_data_say_nothing():
    mean, cov = np.array([66.0, 19.0]), np.array([[0.005, -0.02], [-0.02, 0.09]])  # ~ -0.94 correlated
    result = fitting.fit(lambda x: np.zeros(3), [65.0, 20.0], ["gain_dB", "n_add"], {("gain_dB", "n_add"): (mean, cov)})
    np.testing.assert_allclose(result.x, mean, atol=1e-6)
    np.testing.assert_allclose(result.cov, cov, rtol=1e-6)
    # the same variances as independent priors lose the correlation
    loose = fitting.fit(
        lambda x: np.zeros(3),
        [65.0, 20.0],
        ["gain_dB", "n_add"],
        {"gain_dB": (66.0, np.sqrt(0.005)), "n_add": (19.0, 0.3)},
    )
    assert abs(loose.cov[0, 1]) < 1e-9


def test_a_correlated_prior_constrains_a_combination_the_data_measure():
    """Data fix x0 + x1 = 3; the prior's anticorrelation decides how much each may move."""

    def data(x):
        return np.array([(x[0] + x[1] - 3.0) / 1e-3])

    cov = np.array([[1.0, -0.9], [-0.9, 1.0]])
    result = fitting.fit(data, [0.0, 0.0], ["a", "b"], {("a", "b"): ([1.0, 1.0], cov)})
    # a + b and a - b are independent under this prior, so a - b keeps its prior variance 2 (1 + 0.9)
    d = np.array([1.0, -1.0])
    assert d @ result.cov @ d == pytest.approx(2 * 1.9, rel=1e-3)
    assert result.x.sum() == pytest.approx(3.0, abs=1e-5)


@pytest.mark.parametrize("prior", [{"a": (0.0, 0.0)}, {"a": (np.nan, 1.0)}, {("a", "b"): ([0, 0], [[1, 2], [2, 1]])}])
def test_an_invalid_prior_is_refused(prior):
    with pytest.raises(fitting.FitError, match="invalid prior"):
        fitting.prior_terms(prior, ["a", "b"])


def test_generalised_least_squares():
    rng = np.random.default_rng(3)
    x = np.linspace(0, 1, 8)
    sigma = 0.1 + x
    y = 2 * x + 1 + sigma * rng.standard_normal(8)
    p_line, cov_line, chi2_line = fitting.weighted_line(x, y, sigma)
    p, cov, chi2 = fitting.generalised_least_squares(np.column_stack([x, np.ones_like(x)]), y, np.diag(sigma**2))
    np.testing.assert_allclose(p, p_line)
    np.testing.assert_allclose(cov, cov_line)
    # a common offset shared by all points (covariance s^2 11^T) moves the intercept, not the slope
    C = np.diag(sigma**2) + 0.5**2
    p_c, cov_c, _ = fitting.generalised_least_squares(np.column_stack([x, np.ones_like(x)]), y + 0.7, C)
    p_0, _, _ = fitting.generalised_least_squares(np.column_stack([x, np.ones_like(x)]), y, C)
    assert p_c[0] == pytest.approx(p_0[0]) and p_c[1] == pytest.approx(p_0[1] + 0.7)
    assert cov_c[1, 1] > 0.5**2 * 0.99  # the shared offset's variance is in the intercept's error


def test_probe_whitener_undoes_the_shared_background():
    rng = np.random.default_rng(5)
    n_bins, n_traces = 40, 12
    traces = [
        {"sigma_probe": 1 + rng.random(n_bins), "sigma_background": 0.5 + rng.random(n_bins)} for _ in range(n_traces)
    ]
    sb = traces[0]["sigma_background"]
    for t in traces[1:]:
        t["sigma_background"] = sb
    W = probes.whitener(traces)
    for k in (0, 17, 39):
        C = np.diag([t["sigma_probe"][k] ** 2 for t in traces]) + sb[k] ** 2
        np.testing.assert_allclose(W[k] @ C @ W[k].T, np.eye(n_traces), atol=1e-12)


@pytest.mark.parametrize("centre", [0.0, 5.5e9])
def test_the_minimum_does_not_depend_on_the_start_or_on_a_parameters_size(centre):
    """A Lorentzian on a floor, its centre a free parameter near ``centre`` (Hz): from four starts the fit ends
    at the same minimum (chi^2 within 1e-4, area within 0.01 of its sigma; the finite differences of a 5.5 GHz
    value limit the rest). Before the optimiser worked in scaled offsets, a 5.5 GHz centre made its step
    criterion stop after a few steps: chi^2 0.03 apart, areas 0.1 sigma."""
    rng = np.random.default_rng(3)
    f = centre + np.arange(-1500.0, 1500.0, 10.0)
    n_avg = 2e4
    truth = 1.0 + 3.0 * (115.0 / (2 * np.pi)) / ((f - centre - 7.0) ** 2 + (115.0 / 2) ** 2) * 100
    data = rng.gamma(n_avg, truth / n_avg)

    def residuals(x):
        model = x[3] + x[0] * (abs(x[2]) / (2 * np.pi)) / ((f - x[1]) ** 2 + (x[2] / 2) ** 2)
        return (data - model) * np.sqrt(n_avg) / model

    results = [
        fitting.fit(
            residuals,
            [300.0 * w / 115.0, centre + c0, w, 1.0],
            ["area", "centre", "width", "floor"],
            x_scale=[30.0, 10.0, 20.0, 1e-3],
            label="lorentzian",
        )
        for w, c0 in ((150.0, 0.0), (115.0, 20.0), (60.0, -30.0), (300.0, 5.0))
    ]
    chi2 = [r.chi2 for r in results]
    assert max(chi2) - min(chi2) < 1e-4, chi2
    areas = np.array([r.value("area") for r in results])
    assert np.ptp(areas) < 1e-2 * results[0].error("area"), areas


def _lorentzian_data(skew):
    """A Lorentzian line on a floor, drawn with a skew ``skew`` (a term the plain Lorentzian leaves out)."""
    rng = np.random.default_rng(5)
    f = np.arange(-1500.0, 1500.0, 10.0)
    n_avg = 2e4

    def model(x, skew):
        lorentz = x[0] * (x[2] / (2 * np.pi)) / ((f - x[1]) ** 2 + (x[2] / 2) ** 2)
        return x[3] + lorentz * (1.0 + skew * (f - x[1]) / x[2])

    truth = model([300.0, 7.0, 115.0, 1.0], skew)
    data = rng.gamma(n_avg, truth / n_avg)
    return lambda s: lambda x: (data - model(x, s)) * np.sqrt(n_avg) / model(x, s)


def test_the_chord_method_reaches_the_full_fit_of_a_nearby_model():
    """A fit with a fixed Jacobian (``jacobian=``, the chord method, as the probe line-shape fit with the cross terms
    uses its two-mode fit's) from the optimum of a model without the skew reaches the optimum of the model with it:
    within 1e-3 of each sigma of the full fit's, with its chi^2 to 1e-6; the start (the model without the skew) is
    > 1 sigma away, so the test fails if the chord method stops early or goes nowhere."""
    names, scale = ["area", "centre", "width", "floor"], [30.0, 10.0, 20.0, 1e-3]
    residuals = _lorentzian_data(0.1)
    plain = fitting.fit(residuals(0.0), [300.0, 0.0, 115.0, 1.0], names, x_scale=scale)
    full = fitting.fit(residuals(0.1), plain.x, names, x_scale=scale)
    chord = fitting.fit(residuals(0.1), plain.x, names, x_scale=scale, jacobian=plain.jac)
    assert np.max(np.abs(plain.x - full.x) / full.sigma) > 1.0
    assert np.max(np.abs(chord.x - full.x) / full.sigma) < 1e-3, (chord.x - full.x) / full.sigma
    assert chord.chi2 == pytest.approx(full.chi2, rel=1e-6)


def test_the_chord_method_that_does_not_converge_is_an_error(monkeypatch):
    """Limited to one step and no Jacobian of its own, the chord method from far away has not converged: a
    FitError naming the fit."""
    monkeypatch.setattr(fitting, "MAX_JACOBIANS", 0)
    names, scale = ["area", "centre", "width", "floor"], [30.0, 10.0, 20.0, 1e-3]
    residuals = _lorentzian_data(0.1)
    plain = fitting.fit(residuals(0.0), [300.0, 0.0, 115.0, 1.0], names, x_scale=scale)
    with pytest.raises(fitting.FitError, match="skewed line.*did not converge"):
        fitting.fit(residuals(0.1), plain.x, names, x_scale=scale, jacobian=plain.jac, max_nfev=1, label="skewed line")
