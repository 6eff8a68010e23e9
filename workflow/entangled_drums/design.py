"""Entanglement across parameter space from the model (Fig. 4d and the design maps).

Every function evaluates the Duan quantity at the optimal probe phase, on the steady state of
the given ``Params`` with some fields replaced; unstable points are NaN.
"""

import numpy as np

from .model import UnstableSystemError, optimal_phase, steady_state


def duan_at(params, **changes):
    """Duan quantity at the optimal phase of ``params.replace(**changes)``; NaN if unstable."""
    p = params.replace(**changes)
    try:
        return float(optimal_phase(p, steady_state(p))[1])
    except UnstableSystemError:
        return float("nan")


def duan_vs_G_minus(params, G_minus):
    """Duan vs red coupling ``G_minus`` (Hz, array) at the fixed ratio G+/G- of ``params``."""
    ratio = params.G_plus / params.G_minus
    return np.array([duan_at(params, G_minus=float(g), G_plus=float(g) * ratio) for g in np.atleast_1d(G_minus)])
