"""Sampling coordinates of the pump-spectrum posterior: where it is close to Gaussian.

The posterior is stated, and reported, in the physical fit parameters of
:data:`entangled_drums.inference.pumpfit.NAMES`. The sampler moves in the coordinates :data:`NAMES`
below, which follow what one pump spectrum measures (the evidence is in
:mod:`entangled_drums.inference.sampling` and the README's posterior section):

=============  =================================  ==========================================
coordinate     definition                         why
=============  =================================  ==========================================
``y_c``        ``g n_c``                          the cavity's Lorentzian in output units
``log_y1``     ``log(g n_m1)``                    drum 1's emission level; multiplicative in
``log_y2``     ``log(g n_m2)``                    r and the gain, so logarithmic
``G``          ``sqrt(G-^2 - G+^2)`` (kHz)        the Bogoliubov coupling: sets the linewidth
``r``          ``artanh(G+ / G-)``                the squeezing parameter
``b_add``      ``g (n_add + 1/2)``                the background level the trace pins
``delta_minus``, ``delta_plus``, ``g_ratio``, ``gain_dB``, ``kappa``, ``kappa_out``,
``gamma1``, ``gamma2``: unchanged
=============  =================================  ==========================================

``g = 10^((gain_dB - gain_ref)/10)`` is the gain relative to a fixed reference
(``gain_ref``, the calibration's value: any constant gives the same posterior). The map
covers ``G+ < G-``, where the two-mode squeezing steady state exists (beyond it the ideal
system is unstable and the posterior is zero).

A density in ``z`` is ``log p(x(z)) + log |det dx/dz|``, so the posterior in physical units
is exactly the stated one (flat bath priors, calibration Gaussians). The Jacobian is
``log |det dx/dz| = log G + log_y1 + log_y2 - 4 log g``: ``(G-, G+) = G (cosh r, sinh r)``
has determinant ``G``; ``n_c, n_m1, n_m2, n_add`` each carry ``1/g`` (the two drums also
``e^log_y``); the matrix is triangular in ``gain_dB``.
"""

import numpy as np

from . import pumpfit

#: Sampling coordinates, in order (see the module docstring).
NAMES = [
    "y_c",
    "log_y1",
    "log_y2",
    "G",
    "r",
    "delta_minus",
    "delta_plus",
    "g_ratio",
    "gain_dB",
    "b_add",
    "kappa",
    "kappa_out",
    "gamma1",
    "gamma2",
]

_P = {n: i for i, n in enumerate(pumpfit.NAMES)}
_Z = {n: i for i, n in enumerate(NAMES)}
_UNCHANGED = ["delta_minus", "delta_plus", "g_ratio", "gain_dB", "kappa", "kappa_out", "gamma1", "gamma2"]


class PumpCoordinates:
    """The map between physical fit vectors ``x`` and sampling coordinates ``z``.

    ``gain_ref``: reference gain (dB) of the relative gain ``g``. Arrays of shape ``(..., 14)``.
    """

    def __init__(self, gain_ref):
        self.gain_ref = float(gain_ref)

    def _g(self, gain_db):
        return 10.0 ** ((np.asarray(gain_db) - self.gain_ref) / 10.0)

    def to_physical(self, z):
        """``(x, log |det dx/dz|)`` for coordinates ``z``; rows outside the map's domain
        (``G <= 0``) get NaN in ``x`` and ``-inf`` in the log Jacobian."""
        z = np.asarray(z, dtype=float)
        x = np.empty_like(z)
        g = self._g(z[..., _Z["gain_dB"]])
        G, r = z[..., _Z["G"]], z[..., _Z["r"]]
        valid = G > 0.0
        x[..., _P["n_c"]] = z[..., _Z["y_c"]] / g
        x[..., _P["n_m1"]] = np.exp(z[..., _Z["log_y1"]]) / g
        x[..., _P["n_m2"]] = np.exp(z[..., _Z["log_y2"]]) / g
        x[..., _P["G_minus"]] = G * np.cosh(r)
        x[..., _P["G_plus"]] = G * np.sinh(r)
        x[..., _P["n_add"]] = z[..., _Z["b_add"]] / g - 0.5
        for name in _UNCHANGED:
            x[..., _P[name]] = z[..., _Z[name]]
        with np.errstate(divide="ignore", invalid="ignore"):
            log_jac = np.log(G) + z[..., _Z["log_y1"]] + z[..., _Z["log_y2"]] - 4.0 * np.log(g)
        x[~valid] = np.nan
        return x, np.where(valid, log_jac, -np.inf)

    def from_physical(self, x):
        """Coordinates ``z`` of physical fit vectors ``x`` (needs ``0 <= G+ < G-`` and positive drum baths)."""
        x = np.asarray(x, dtype=float)
        z = np.empty_like(x)
        g = self._g(x[..., _P["gain_dB"]])
        Gm, Gp = x[..., _P["G_minus"]], x[..., _P["G_plus"]]
        z[..., _Z["y_c"]] = g * x[..., _P["n_c"]]
        z[..., _Z["log_y1"]] = np.log(g * x[..., _P["n_m1"]])
        z[..., _Z["log_y2"]] = np.log(g * x[..., _P["n_m2"]])
        z[..., _Z["G"]] = np.sqrt(Gm * Gm - Gp * Gp)
        z[..., _Z["r"]] = np.arctanh(Gp / Gm)
        z[..., _Z["b_add"]] = g * (x[..., _P["n_add"]] + 0.5)
        for name in _UNCHANGED:
            z[..., _Z[name]] = x[..., _P[name]]
        return z

    def jacobian(self, x, step=1e-6):
        """``dz/dx`` at ``x`` (14, 14), by central differences (relative step): to carry a
        physical covariance into the sampling coordinates, ``J C J^T``."""
        x = np.asarray(x, dtype=float)
        J = np.empty((x.size, x.size))
        for j in range(x.size):
            h = step * max(abs(x[j]), 1e-3)
            e = np.zeros(x.size)
            e[j] = h
            J[:, j] = (self.from_physical(x + e) - self.from_physical(x - e)) / (2 * h)
        return J
