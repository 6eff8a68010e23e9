"""The error budget's decomposition (entangled_drums.results.budget) on a linear-Gaussian model, where it is exact."""

import numpy as np
import pytest

from entangled_drums import budget


def _linear_model(rng):
    """y = A theta + noise; priors on theta[2:] from two sources (one of them a block), theta[:2] flat."""
    A = rng.normal(size=(40, 5))
    noise = 0.3
    parts = {
        "calibration a": (("t2", "t3"), np.array([[0.04, 0.01], [0.01, 0.09]])),
        "drift a": (("t2", "t3"), np.diag([0.02, 0.0])),
        "calibration b": (("t4",), np.array([[0.25]])),
    }
    names = ["t0", "t1", "t2", "t3", "t4"]
    P = np.zeros((5, 5))
    P[2:4, 2:4] = np.linalg.inv(parts["calibration a"][1] + parts["drift a"][1])
    P[4, 4] = 1 / 0.25
    H = A.T @ A / noise**2
    return A, noise, parts, names, H, P


def test_shares_are_the_variance_each_source_alone_gives():
    """Each source's share is the variance of the posterior mean of g.theta when only that input scatters
    (Monte Carlo over data and prior means), and the shares sum to the posterior variance."""
    rng = np.random.default_rng(1)
    A, noise, parts, names, H, P = _linear_model(rng)
    S = np.linalg.inv(H + P)
    g = rng.normal(size=5)
    shares, linear = budget.split(S, S @ g, parts, names)
    assert linear == pytest.approx(g @ S @ g, rel=1e-12)
    assert sum(shares.values()) == pytest.approx(linear, rel=1e-12)
    theta = rng.normal(size=5)
    mu = np.zeros(5)
    mu[2:] = theta[2:]
    n = 20000

    def mean_of(y, prior_mean):
        return g @ S @ (A.T @ y / noise**2 + P @ prior_mean)

    scatter = {"averaging noise": lambda: (A @ theta + noise * rng.normal(size=A.shape[0]), mu)}
    for source, (block, cov) in parts.items():
        idx = [names.index(b) for b in block]
        L = np.linalg.cholesky(cov + 1e-300 * np.eye(len(idx))) if np.all(np.diag(cov) > 0) else np.sqrt(cov)

        def draw(idx=idx, L=L):
            m = mu.copy()
            m[idx] += L @ rng.normal(size=len(idx))
            return A @ theta, m

        scatter[source] = draw
    for source, draw in scatter.items():
        values = np.array([mean_of(*draw()) for _ in range(n)])
        assert values.var() == pytest.approx(shares[source], rel=5 / np.sqrt(n / 2)), source


def test_shares_from_draws_and_the_check_against_the_draws_variance():
    """from_draws on exact posterior draws of the linear model: the linear total equals the draws' variance
    (a linear quantity), and a non-linear quantity's shares fall short of its variance (the check can fail)."""
    rng = np.random.default_rng(2)
    A, noise, parts, names, H, P = _linear_model(rng)
    S = np.linalg.inv(H + P)
    draws = rng.multivariate_normal(np.zeros(5), S, size=200000)
    g = np.array([1.0, -2.0, 0.5, 3.0, 1.0])
    shares, linear, var = budget.from_draws(draws, draws @ g, parts, names)
    exact, _ = budget.split(S, S @ g, parts, names)
    assert linear / var == pytest.approx(1.0, abs=1e-9)
    for source, v in exact.items():
        assert shares[source] == pytest.approx(v, rel=0.03, abs=1e-3 * var), source
    q = (draws[:, 0] / np.sqrt(S[0, 0])) ** 2  # a quantity with no linear part
    _, linear, var = budget.from_draws(draws, q, parts, names)
    assert linear / var < 0.1


def test_probability_without_a_source_and_the_target_scale():
    prob, z = budget.probability_without(0.8, 0.01, {"a": 0.0075, "b": 0.0025})
    assert z["all"] == pytest.approx(2.0) and z["a"] == pytest.approx(4.0)
    assert prob["b"] > prob["all"]
    assert budget.scale_for(0.08, 0.0016, 0.0012) == pytest.approx(np.sqrt((0.0064 - 0.0016) / 0.0012))
    assert budget.scale_for(0.01, 0.0016, 0.0012) is None
