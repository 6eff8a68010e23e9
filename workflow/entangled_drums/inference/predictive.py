"""Posterior predictive checks of the pump fits: does the measured trace look like data the fitted model makes?

For each posterior draw ``theta`` of a trace's parameters the model gives the expected PSD ``mu(theta)``;
the analyser's averaged power in a bin is Gamma-distributed with shape ``n`` (the averages) and mean ``mu``
(the likelihood the fits use). Replicated traces ``y_rep ~ Gamma(n, mu / n)`` are set against the measured
``y`` through two discrepancies of the standardised residuals ``r = (y - mu) / (mu / sqrt(n))``:

* ``chi2``: the mean of ``r**2`` (the reduced chi^2; ~1 for a model that fits);
* ``autocorrelation``: the lag-1 autocorrelation of ``r`` (a smooth misfit, a ripple or a missing line
  leaves neighbouring residuals alike; white noise leaves ~0).

Each discrepancy's posterior predictive p-value is the fraction of draws whose replicated discrepancy is at
least the measured one at the same draw (for the autocorrelation, in absolute value). A small p says the
model misses something the data show.
"""

from pathlib import Path

import numpy as np

from ..physics.model import UnstableSystemError, linear_system
from . import pumpfit
from .pumpfit import model_psd

#: The discrepancies, in the order reported.
DISCREPANCIES = ("chi2", "autocorrelation")


def _discrepancies(y, mu, n):
    r = (y - mu) / (mu / np.sqrt(n))
    r0 = r - r.mean(axis=-1, keepdims=True)
    ac = np.sum(r0[..., 1:] * r0[..., :-1], axis=-1) / np.sum(r0 * r0, axis=-1)
    return np.mean(r * r, axis=-1), ac


def check_trace(f, psd, n_averages, x_draws, device, sideband, rng, rbw=0.0, midpoint=None):
    """Posterior predictive check of one trace.

    ``f``, ``psd``: the trace (Hz, W/Hz), ``n_averages`` its averages per bin, ``rbw`` its resolution bandwidth
    (Hz), ``midpoint`` its tones' midpoint (Hz, :func:`entangled_drums.inference.pumpfit.params_from`); ``x_draws``:
    (k, 14) posterior draws
    of its fit vector (:data:`entangled_drums.inference.pumpfit.NAMES`); ``rng``: numpy Generator. Returns
    ``{"chi2": {"observed", "p_value"}, "autocorrelation": {...}, "n_draws", "mean_residual"}``, the observed
    values averaged over the draws, and the standardised residuals at the draws' mean model (for a figure).
    """
    f, y, n = np.asarray(f, dtype=float), np.asarray(psd, dtype=float), float(n_averages)
    mus = np.array([model_psd(x, f, device, sideband, rbw, midpoint, psd) for x in np.atleast_2d(x_draws)])
    y_rep = rng.gamma(n, mus / n)
    obs = _discrepancies(y[None, :], mus, n)
    rep = _discrepancies(y_rep, mus, n)
    out = {"n_draws": int(len(mus))}
    for name, o, r in zip(DISCREPANCIES, obs, rep, strict=True):
        exceed = np.abs(r) >= np.abs(o) if name == "autocorrelation" else r >= o
        out[name] = {"observed": float(np.mean(o)), "replicated": float(np.mean(r)), "p_value": float(np.mean(exceed))}
    mean_mu = mus.mean(axis=0)
    out["residuals"] = ((y - mean_mu) / (mean_mu / np.sqrt(n))).tolist()
    return out


def gaussian_draws(values, covariance, k, rng, valid):
    """``k`` draws of a fit vector from the least-squares fit's Gaussian (the Laplace approximation), keeping those
    ``valid(x)`` accepts (the model's domain: stable, non-negative baths); returns (draws, fraction rejected)."""
    values, covariance = np.asarray(values, dtype=float), np.asarray(covariance, dtype=float)
    kept, tried = [], 0
    while len(kept) < k and tried < 20 * k:
        x = rng.multivariate_normal(values, covariance)
        tried += 1
        if valid(x):
            kept.append(x)
    return np.array(kept), 1.0 - len(kept) / max(tried, 1)


def failing(checks, alpha):
    """Traces whose predictive p-value is below ``alpha`` divided by the number of tests (Bonferroni: the chance
    that a correct model fails any of them is at most ``alpha``): ``[(trace, discrepancy, p), ...]``."""
    threshold = alpha / max(len(checks) * len(DISCREPANCIES), 1)
    return [
        (name, d, c[d]["p_value"])
        for name, c in sorted(checks.items())
        for d in DISCREPANCIES
        if c[d]["p_value"] < threshold
    ]


def posterior_draws(fit_entry, posterior_path, device, sideband, k, rng):
    """``(draws, source, rejected)``: ``k`` posterior draws (k, 14) of a trace's fit vector. From the MCMC's
    InferenceData at ``posterior_path`` where it exists, else from the least-squares fit's Gaussian
    (``fit_entry``: the trace's entry of ``pump_fits.json``), keeping draws with non-negative baths and a
    stable operating point; ``rejected``: the fraction of Gaussian draws that were not."""
    if posterior_path is not None and Path(posterior_path).is_file():
        from .posterior import read

        post = read(posterior_path).posterior
        X = np.stack([post[name].values.ravel() for name in pumpfit.NAMES], axis=1)
        return X[rng.choice(len(X), size=min(k, len(X)), replace=False)], "MCMC posterior", 0.0

    def valid(x):
        if np.any(x[:3] < 0):
            return False
        try:
            linear_system(pumpfit.params_from(x, device, sideband))
        except UnstableSystemError:
            return False
        return True

    X, rejected = gaussian_draws(fit_entry["fit"]["values"], fit_entry["fit"]["covariance"], k, rng, valid)
    return X, "least-squares Gaussian", rejected
