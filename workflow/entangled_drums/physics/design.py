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


def duan_map(params, field_x, values_x, field_y, values_y, tie=None):
    """Duan at the optimal phase on a grid: rows ``values_y`` of ``field_y``, columns ``values_x`` of ``field_x``.

    ``tie``: optional function ``(x, y) -> dict`` of further field changes at each point (e.g.
    ``n_m2`` following ``n_m1``).
    """
    out = np.empty((len(values_y), len(values_x)))
    for i, y in enumerate(values_y):
        for j, x in enumerate(values_x):
            extra = tie(x, y) if tie else {}
            out[i, j] = duan_at(params, **{field_x: float(x), field_y: float(y)}, **extra)
    return out


def optimal_detuning(params, g_ratio, bounds=(-40e3, 40e3)):
    """(Delta, Duan) minimising the Duan quantity over the pump detuning Delta at ``g_ratio`` (g1/g2).

    The mean offset is kept at zero; the Duan quantity is at the optimal phase. Unstable points
    count as +inf.
    """
    from scipy.optimize import minimize_scalar

    def objective(delta):
        d = duan_at(params, g_ratio=float(g_ratio), delta_plus=float(delta), delta_minus=-float(delta))
        return d if np.isfinite(d) else 1e3

    grid = np.linspace(*bounds, 81)
    values = np.array([objective(d) for d in grid])
    k = int(np.argmin(values))
    lo, hi = grid[max(k - 1, 0)], grid[min(k + 1, grid.size - 1)]
    res = minimize_scalar(objective, bounds=(lo, hi), method="bounded", options={"xatol": 1.0})
    return float(res.x), float(res.fun)
