"""Statistics that know no physics: least squares with Gaussian priors, variance shares by source,
the MCMC's moves and its convergence diagnostics.

``fitting`` (least squares, generalised least squares, linear propagation), ``shares`` (a
quantity's variance split by independent prior source), ``moves`` (the corrected DE snooker move),
``diagnostics`` (ArviZ's rank-normalised R-hat and bulk/tail ESS).

May import: ``physics``, ``data``.
"""
