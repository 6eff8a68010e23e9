"""Convergence diagnostics of MCMC runs, computed with ArviZ (Vehtari et al. 2021).

For every quantity, from the thinned post-burn-in draws ``(runs, kept steps, walkers)``:

* ``rhat``: the rank-normalised split R-hat with one chain per independent run (walkers
  pooled, step-major), the split halves being each run's first and second half. Independent
  runs that found different posteriors, or a run that drifted, show here. (The walkers of one
  ensemble are not independent chains, and each walker's thinned chain is short: their
  per-walker R-hat is biased upwards by ~1/(2 x draws per walker), which is why it is not used.)
* ``ess_bulk``, ``ess_tail``: bulk and tail effective sample sizes with every walker of every run
  as a chain (the layout of ``arviz.from_emcee``), so the autocorrelation is taken along the steps.
"""

import warnings

import numpy as np


def arviz():
    """ArviZ, imported on first use (it costs seconds; most steps never need it)."""
    with warnings.catch_warnings():  # ArviZ 0.23 announces its 1.0 refactor on import
        warnings.simplefilter("ignore", FutureWarning)
        import arviz

    return arviz


def diagnose(draws):
    """Diagnostics of one quantity: ``draws`` of shape ``(runs, kept steps, walkers)``.

    Returns ``{"rhat", "ess_bulk", "ess_tail"}`` (floats).
    """
    draws = np.asarray(draws, dtype=float)
    runs, steps, walkers = draws.shape
    per_walker = draws.transpose(0, 2, 1).reshape(runs * walkers, steps)
    per_run = draws.reshape(runs, steps * walkers)
    return {
        "rhat": float(arviz().rhat(per_run, method="rank")),
        "ess_bulk": float(arviz().ess(per_walker, method="bulk")),
        "ess_tail": float(arviz().ess(per_walker, method="tail")),
    }


def failures(diagnostics, rhat_max, min_ess):
    """Human-readable list of the quantities that miss ``rhat_max`` or ``min_ess`` (empty: all fine)."""
    bad = []
    for name, d in diagnostics.items():
        if not d["rhat"] < rhat_max:
            bad.append(f"{name}: R-hat {d['rhat']:.4f} >= {rhat_max}")
        if not min(d["ess_bulk"], d["ess_tail"]) >= min_ess:
            bad.append(f"{name}: ESS bulk {d['ess_bulk']:.0f}, tail {d['ess_tail']:.0f} < {min_ess}")
    return bad
