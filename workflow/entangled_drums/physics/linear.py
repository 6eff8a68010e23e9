"""Steady state and spectra of a linear quantum Langevin system, via its eigenmodes.

The system is ``du/dt = A u + xi(t)`` for the quadrature vector ``u`` (length ``2m`` for ``m``
modes, ordered ``x_1, p_1, x_2, p_2, ...``), with white noise of (non-symmetrised) correlation
``<xi(t) xi(t')^T> = N delta(t - t')``, ``N = D + (i/2) K``: ``D`` the symmetrised diffusion
``diag(rate (n + 1/2))`` and ``K = diag(rate J)``, ``J = [[0, 1], [-1, 0]]`` (the commutator).

Diagonalising ``A = R diag(lam) R^-1`` once gives both

* the steady-state covariance, the solution of ``A V + V A^T + D = 0``, as
  ``V = R W R^H`` with ``W_kl = -(R^-1 D R^-H)_kl / (lam_k + conj(lam_l))``, and
* any normal-ordered output spectrum ``S(w) = int dt e^{iwt} <o^dag(0) o(t)>`` of ``o = w.u``
  as a sum of ``2m`` complex Lorentzians, ``S(w) = 2 Re sum_k r_k / (i w - lam_k)``,

so a 2001-point spectrum costs ~2m x 2001 real divisions instead of 2001 matrix inverses.
Near an exceptional point (defective ``A``) the eigenbasis is ill conditioned; then the
direct methods (``scipy.linalg.solve_continuous_lyapunov`` and one solve per frequency) are
used instead. All rates in internal units (see :mod:`entangled_drums.physics.units`).
"""

from dataclasses import dataclass

import numpy as np
import scipy.linalg

from . import _kernels
from .units import HZ_PER_INTERNAL

#: Above this condition number ``c = ||R||_F ||R^-1||_F`` of the eigenvector matrix the direct methods
#: are used. Near an exceptional point the Lorentzian weights of two merging eigenvalues grow and
#: cancel, so the eigenbasis spectrum's relative error grows as ``c**2`` (not ``c``): measured
#: ~(0.003-0.16) c**2 eps on a scan towards one (tests/test_model.py). At c = 1e3 that is <= 4e-11;
#: the pump-spectrum posteriors sit at c < 200, so the fallback costs nothing there.
MAX_EIGENBASIS_CONDITION = 1.0e3


class UnstableSystemError(ValueError):
    """The drift matrix has an eigenvalue with non-negative real part."""


@dataclass(frozen=True)
class Lorentzians:
    """A real spectrum ``S(w) = 2 sum_k (p_k a_k + q_k (w - b_k)) / (a_k^2 + (w - b_k)^2)``.

    Arrays of shape ``(2m,)``: ``a = -Re lam`` (decay rates), ``b = Im lam`` (centres),
    ``p + i q = r`` (complex weights). Internal units.
    """

    a: np.ndarray
    b: np.ndarray
    p: np.ndarray
    q: np.ndarray

    def __call__(self, omega, offset=0.0, scale=1.0):
        """Evaluate at frame frequencies ``(omega - offset) * scale`` (internal units, any shape)."""
        omega = np.asarray(omega, dtype=float)
        flat = _kernels.lorentzian_sum(self.a, self.b, self.p, self.q, omega.ravel(), offset, scale)
        return flat.reshape(omega.shape)

    def integral(self):
        """``int S(w) dw/2pi`` (exact: the dispersive parts integrate to zero)."""
        return float(np.sum(self.p))


class LinearSystem:
    """A stable linear system ``du/dt = A u + xi`` with diffusion ``D`` and rates per mode.

    Parameters
    ----------
    drift : (2m, 2m) real array, internal units.
    rates : (m,) decay rate of each mode, internal units.
    occupations : (m,) bath occupation of each mode.
    """

    def __init__(self, drift, rates, occupations):
        self.A = np.asarray(drift, dtype=float)
        self.rates = np.asarray(rates, dtype=float)
        self.diffusion_diagonal = _kernels.diffusion_diagonal(self.rates, np.asarray(occupations, dtype=float))
        lam, R, Rinv, condition = _kernels.eigensystem(self.A)
        slowest = lam.real.max()
        if not slowest < 0.0:  # also catches NaN
            worst = lam[np.argmax(np.where(np.isfinite(lam.real), lam.real, np.inf))]
            raise UnstableSystemError(
                "unstable drift matrix: eigenvalue lambda/2pi = "
                f"({worst.real * HZ_PER_INTERNAL:+.4g} {worst.imag * HZ_PER_INTERNAL:+.4g}i) Hz "
                "has a non-negative real part (no steady state exists)"
            )
        self.eigenvalues = lam
        self.use_eigenbasis = condition < MAX_EIGENBASIS_CONDITION
        self._R, self._Rinv = R, Rinv
        self._covariance = None

    @property
    def D(self):
        """Symmetrised diffusion matrix ``diag(rate (n + 1/2))``."""
        return np.diag(self.diffusion_diagonal)

    @property
    def K(self):
        """Commutator part of the noise: ``N = D + (i/2) K``, ``K = diag(rate J)``."""
        K = np.zeros_like(self.A)
        x = 2 * np.arange(len(self.rates))
        K[x, x + 1] = self.rates
        K[x + 1, x] = -self.rates
        return K

    def covariance(self):
        """Symmetrised steady-state covariance ``V`` (2m, 2m) solving ``A V + V A^T + D = 0``."""
        if self._covariance is None:
            if self.use_eigenbasis:
                V = _kernels.covariance(self.eigenvalues, self._R, self._Rinv, self.rates, self.diffusion_diagonal)
            else:
                V = scipy.linalg.solve_continuous_lyapunov(self.A, -self.D)
                V = 0.5 * (V + V.T)
            self._covariance = V
        return self._covariance

    def output_lorentzians(self, w):
        """Normal-ordered spectrum of ``o = w . u`` as :class:`Lorentzians` (eigenbasis only)."""
        w = np.asarray(w, dtype=complex)
        r = _kernels.lorentzian_weights(self.eigenvalues, self._R, self._Rinv, self.rates, self.diffusion_diagonal, w)
        return Lorentzians(-self.eigenvalues.real, self.eigenvalues.imag, r.real.copy(), r.imag.copy())

    def output_spectrum(self, w, omega, offset=0.0, scale=1.0, filter_shift=0.0):
        """Normal-ordered spectrum ``int dt e^{i omega t} <o^dag(0) o(t)>`` of ``o = w . u``.

        Evaluated at frame frequencies ``(omega - offset) * scale`` (internal units, any shape).
        Returns the same shape, in units of 1/(internal rate). ``filter_shift`` (units of ``omega``): seen
        through a Gaussian filter of standard deviation ``filter_shift / sqrt(3)`` (3-point Gauss-Hermite rule,
        :func:`entangled_drums.physics._kernels.output_spectrum`).
        """
        if self.use_eigenbasis:
            omega = np.asarray(omega, dtype=float)
            flat = _kernels.output_spectrum(
                self.eigenvalues,
                self._R,
                self._Rinv,
                self.rates,
                self.diffusion_diagonal,
                np.asarray(w, dtype=complex),
                omega.ravel(),
                offset,
                scale,
                float(filter_shift),
            )
            return flat.reshape(omega.shape)
        N = self.D + 0.5j * self.K
        omega = np.asarray(omega, dtype=float) - offset
        S = direct_output_spectrum(self.A, N, w, omega * scale)
        if filter_shift > 0.0:
            up = direct_output_spectrum(self.A, N, w, (omega + filter_shift) * scale)
            down = direct_output_spectrum(self.A, N, w, (omega - filter_shift) * scale)
            S = (4.0 * S + up + down) / 6.0
        return S


def susceptibility(A, omega):
    """``chi(omega) = (-i omega - A)^-1`` for every ``omega``: shape ``omega.shape + A.shape``."""
    omega = np.asarray(omega, dtype=float)
    n = A.shape[0]
    M = -1j * omega[..., None, None] * np.eye(n) - A
    return np.linalg.inv(M)


def direct_output_spectrum(A, N, w, omega):
    """Reference: ``w^* . chi(-omega) N chi(-omega)^H . w`` by one full inverse per frequency."""
    w = np.asarray(w, dtype=complex)
    chi = susceptibility(A, -np.asarray(omega, dtype=float))
    left = np.einsum("i,...ij->...j", w.conj(), chi)
    return np.einsum("...i,ij,...j->...", left, N, left.conj()).real


def direct_quadrature_spectrum(A, D, omega):
    """Reference symmetrised spectral matrix ``chi(omega) D chi(omega)^H`` (shape ``omega.shape + (2m, 2m)``).

    ``int dw/2pi`` of it equals the steady-state covariance.
    """
    chi = susceptibility(A, omega)
    return chi @ D @ np.swapaxes(chi.conj(), -1, -2)
