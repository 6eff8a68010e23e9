"""A fast posterior of one pump trace: importance sampling from its Laplace approximation.

The least-squares fit's optimum and covariance, carried into the sampling coordinates of
:mod:`entangled_drums.inference.reparam` (where the posterior is nearly Gaussian), define a
multivariate Student-t proposal (``dof`` degrees of freedom, the covariance scaled by ``scale**2``:
heavier tails than the posterior's, so the weights stay bounded). Each draw is weighted by the exact
posterior density over the proposal's (:class:`entangled_drums.inference.sampling.LogPosterior` in
those coordinates, Jacobian included); the weights are Pareto-smoothed (PSIS, Vehtari et al. 2024,
ArviZ's ``psislw``) and the draws resampled in proportion to them. Its diagnostics: the Pareto
shape ``k_hat`` (reliable below 0.7) and the importance sampling's effective sample size
``1 / sum(w**2)``.

Used where the MCMC of step 06 is too slow to repeat hundreds of times (the simulation-based
calibration, ``snakemake sbc``); validated against that MCMC on a subset of its replicas.
"""

from dataclasses import dataclass

import numpy as np
from scipy import special

from . import pumpfit
from .sampling import InCoordinates, LogPosterior, coordinates_for, derived_samples, records


@dataclass
class ImportancePosterior:
    """Equally weighted posterior draws from importance sampling (shapes ``(n, 14)`` and named fields)."""

    params: np.ndarray  #: (n, 14) physical parameters (order :data:`pumpfit.NAMES`), resampled
    derived: np.ndarray  #: structured, fields :data:`pumpfit.DERIVED`, one row per draw
    k_hat: float  #: Pareto shape of the weights' tail (PSIS); > 0.7: the estimate is unreliable
    ess: float  #: effective sample size of the weights, ``1 / sum(w**2)``
    n_proposal: int  #: draws from the proposal

    @property
    def effective_draws(self):
        """Effective independent draws behind a mean over the resampled draws: the weights' ESS and the
        resampling's own noise, ``1 / (1/ess + 1/n)``."""
        return 1.0 / (1.0 / self.ess + 1.0 / len(self.params))


def _student_t(mean, cov, dof, n, rng):
    """``n`` draws of a multivariate Student-t and their log density (up to nothing: normalised)."""
    d = mean.size
    L = np.linalg.cholesky(cov)
    u = rng.standard_normal((n, d))
    w = rng.chisquare(dof, size=n) / dof
    z = mean + (u @ L.T) / np.sqrt(w)[:, None]
    r = np.linalg.solve(L, (z - mean).T)
    maha = np.sum(r * r, axis=0)
    log_det = 2.0 * np.sum(np.log(np.diag(L)))
    log_q = (
        special.gammaln(0.5 * (dof + d))
        - special.gammaln(0.5 * dof)
        - 0.5 * d * np.log(dof * np.pi)
        - 0.5 * log_det
        - 0.5 * (dof + d) * np.log1p(maha / dof)
    )
    return z, log_q


def importance_posterior(ds, i, device, sideband, fits, bath_prior_max, rng, n_proposal=4000, n_draws=2000,
                         dof=5.0, scale=1.2):  # fmt: skip
    """The posterior of pump trace ``i`` of series ``ds`` by importance sampling (module docstring).

    ``fits``: the config's ``fits`` block (the priors, as step 05); ``bath_prior_max``: the MCMC's flat bath
    priors (config ``mcmc.bath_prior_max``); ``rng``: numpy Generator. Returns :class:`ImportancePosterior` with
    ``n_draws`` resampled draws.
    """
    from ..stats.diagnostics import arviz

    result, prior = pumpfit.fit_trace(ds, i, device, sideband, fits)
    coordinates = coordinates_for(prior, "pinned")
    target = InCoordinates(LogPosterior.of_trace(ds, i, device, sideband, prior, bath_prior_max), coordinates)
    J = coordinates.jacobian(result.x)
    z0, cov = coordinates.from_physical(result.x), J @ result.cov @ J.T
    z, log_q = _student_t(z0, cov * scale**2, dof, int(n_proposal), rng)
    log_p = target(z)
    log_w = np.where(np.isfinite(log_p), log_p - log_q, -np.inf)
    finite = np.isfinite(log_w)
    smoothed, k_hat = arviz().psislw(log_w[finite] - log_w[finite].max())
    weights = np.zeros(log_w.size)
    weights[finite] = np.exp(smoothed - smoothed.max())
    weights /= weights.sum()
    ess = 1.0 / float(np.sum(weights**2))
    # systematic resampling: each draw appears about n_draws * w times
    positions = (rng.random() + np.arange(int(n_draws))) / int(n_draws)
    index = np.minimum(np.searchsorted(np.cumsum(weights), positions), weights.size - 1)
    unique, inverse = np.unique(index, return_inverse=True)
    params, _ = coordinates.to_physical(z[unique])
    derived = derived_samples(params, device, sideband)[inverse]
    params = params[inverse]
    return ImportancePosterior(params, records(derived, pumpfit.DERIVED), float(k_hat), ess, int(n_proposal))
