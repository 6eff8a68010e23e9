"""Shares of a quantity's variance by independent source, for a posterior with Gaussian priors.

The posterior covariance ``S = (H + sum_k P_k)^-1`` (``H`` the data's information, ``P_k`` the
precision of prior source ``k``) obeys ``S = S H S + sum_k S P_k S``: one part per source plus the
data's averaging noise, each the covariance of the estimate as that input alone scatters (exact for
a linear model, first order otherwise). A derived quantity ``Q`` with ``c = Cov(theta, Q)`` has the
share ``w_B^T S_k w_B`` of source ``k`` acting on parameter block ``B`` (``w_B = Sigma_B^-1 c_B``).
The statistics only: :mod:`entangled_drums.results.budget` applies it to the headline.
"""

import numpy as np


def split(cov, c, parts, names):
    """Shares of ``Var(Q)`` by source: ``({source: variance}, linear total c^T S^-1 c)``.

    ``cov``: (n, n) posterior covariance of the parameters ``names``; ``c``: (n,) ``Cov(theta, Q)``;
    ``parts``: ``{source: (block names, prior covariance part)}``. The shares of the sources plus
    ``"averaging noise"`` (the rest) sum to the linear total.
    """
    cov, c = np.asarray(cov, dtype=float), np.asarray(c, dtype=float)
    index = {n: k for k, n in enumerate(names)}
    blocks = {}
    for source, (block, part) in parts.items():
        blocks.setdefault(tuple(block), []).append((source, np.atleast_2d(np.asarray(part, dtype=float))))
    out = {}
    for block, members in blocks.items():
        idx = [index[n] for n in block]
        total = sum(part for _, part in members)
        w = np.linalg.solve(total, c[idx])
        for source, part in members:
            out[source] = out.get(source, 0.0) + float(w @ part @ w)
    linear = float(c @ np.linalg.solve(cov, c))
    out["averaging noise"] = linear - sum(out.values())
    return out, linear


def from_draws(params, quantity, parts, names):
    """:func:`split` from posterior draws: ``params`` (n_draws, n) in the order ``names``, ``quantity`` (n_draws,).
    Returns ``(shares, linear total, variance of the draws)``."""
    params, quantity = np.asarray(params, dtype=float), np.asarray(quantity, dtype=float)
    full = np.cov(np.column_stack([params, quantity]), rowvar=False)
    shares, linear = split(full[:-1, :-1], full[:-1, -1], parts, names)
    return shares, linear, float(full[-1, -1])


def combine(*budgets):
    """Shares of a sum of independent quantities: the per-source sum of their shares."""
    out = {}
    for b in budgets:
        for source, v in b.items():
            out[source] = out.get(source, 0.0) + float(v)
    return out
