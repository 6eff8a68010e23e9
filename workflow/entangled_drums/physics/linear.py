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

**Replica poles.** With the counter-rotating couplings the state vector also holds the far
components of the cavity and the drums (:mod:`entangled_drums.physics.model`): a truncated Floquet
lattice, whose poles near ``|Im lam| ~ 2 fbar`` are replicas of the physical ones and may lie on the
wrong side of the axis (the far drum component sees the red pump as a squeezer). The spectra and the
state are then the frequency-domain integrals the laboratory's lattice computes: the partial fractions
above hold for any ``lam``, and the covariance's term ``(k, l)`` is ``-M_kl / (lam_k + conj lam_l)``
when both poles are stable, its negative when both are not, and zero otherwise (the two poles on one
side of the real axis). Stability is required of the physical poles only, ``|Im lam| < replica_above``.
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
        """``int S(w) dw/2pi`` (exact: the dispersive parts integrate to zero; a term of a replica pole with
        ``a < 0`` integrates to ``-p``)."""
        return float(np.sum(np.where(self.a > 0.0, self.p, -self.p)))


class LinearSystem:
    """A stable linear system ``du/dt = A u + xi`` with diffusion ``D`` and rates per mode.

    Parameters
    ----------
    drift : (2m, 2m) real array, internal units.
    rates : (m,) decay rate of each mode, internal units.
    occupations : (m,) bath occupation of each mode.
    replica_above : poles with ``|Im lam|`` above this (internal units) are replicas, exempt from the
        stability requirement (see the module docstring).
    """

    def __init__(self, drift, rates, occupations, replica_above=np.inf):
        self.A = np.asarray(drift, dtype=float)
        self.rates = np.asarray(rates, dtype=float)
        self.diffusion_diagonal = _kernels.diffusion_diagonal(self.rates, np.asarray(occupations, dtype=float))
        lam, R, Rinv, condition = _kernels.eigensystem(self.A)
        physical = lam[~(np.abs(lam.imag) > replica_above)]
        slowest = physical.real.max()
        if not slowest < 0.0:  # also catches NaN
            worst = physical[np.argmax(np.where(np.isfinite(physical.real), physical.real, np.inf))]
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
                V = direct_covariance(self.A, self.D)
            self._covariance = V
        return self._covariance

    def output_lorentzians(self, w):
        """Normal-ordered spectrum of ``o = w . u`` as :class:`Lorentzians` (eigenbasis only)."""
        w = np.asarray(w, dtype=complex)
        r = _kernels.lorentzian_weights(self.eigenvalues, self._R, self._Rinv, self.rates, self.diffusion_diagonal, w)
        return Lorentzians(-self.eigenvalues.real, self.eigenvalues.imag, r.real.copy(), r.imag.copy())

    def occupation(self, w):
        """``<o^dag o> = int S(w) dw/2pi`` of ``o = w . u`` (quanta): the Lorentzians' exact integral, or where the
        eigenbasis is ill conditioned (``use_eigenbasis`` false) ``w^H X w``, ``X = int chi N chi^H dw/2pi`` by
        Lyapunov equations.

        Near an exceptional point the eigenbasis' weights cancel to no digit: at g1 = g2 with matched probes (an
        ideal back-action evasion, a defective drift matrix) they gave a probe area of -2e14 on one CPU and a
        plausible number on another."""
        if self.use_eigenbasis:
            return self.output_lorentzians(w).integral()
        w = np.asarray(w, dtype=complex)
        # int chi N chi^H dw/2pi with N = D + (i/2) K: the covariance and the commutator's part, which is i J only
        # where the dynamics preserve the commutators (not on the counter-rotating lattice: 1e-6 there)
        commutator = direct_integral(self.A, self.K)
        return float(np.real(np.conj(w) @ (self.covariance() + 0.5j * commutator) @ w))

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


def direct_covariance(A, D):
    """Reference covariance ``int dw/2pi chi(w) D chi(w)^H`` by Lyapunov equations (:func:`direct_integral`),
    symmetrised."""
    V = direct_integral(A, D)
    return 0.5 * (V + V.T)


def direct_integral(A, D):
    """``int dw/2pi chi(w) D chi(w)^H`` for any (2m, 2m) ``D`` (the diffusion, or the commutator's ``K``).

    Stable ``A``: the solution of ``A V + V A^T + D = 0``. With unstable (replica) poles, ``A`` is first
    split into its stable and unstable invariant subspaces (ordered real Schur form and a Sylvester
    equation); the stable block solves the equation above, the unstable one ``A V - ... = 0`` with ``-D``,
    and the cross terms vanish (module docstring).
    """
    T, Z, n_stable = scipy.linalg.schur(A, output="real", sort="lhp")
    if n_stable == A.shape[0]:
        return scipy.linalg.solve_continuous_lyapunov(A, -D)
    k = n_stable
    X = scipy.linalg.solve_sylvester(T[:k, :k], -T[k:, k:], -T[:k, k:])  # T11 X - X T22 = -T12
    S = Z.copy()
    S[:, k:] += Z[:, :k] @ X  # A = S blockdiag(T11, T22) S^-1
    Sinv = np.linalg.inv(S)
    Dp = Sinv @ D @ Sinv.T
    W = np.zeros_like(A)
    W[:k, :k] = scipy.linalg.solve_continuous_lyapunov(T[:k, :k], -Dp[:k, :k])
    W[k:, k:] = scipy.linalg.solve_continuous_lyapunov(T[k:, k:], Dp[k:, k:])
    return S @ W @ S.T


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
