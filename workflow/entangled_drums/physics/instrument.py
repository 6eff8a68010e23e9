"""The measurement chain: from emitted quanta to the power spectral density an analyser records.

``P(f) = G h f [n_add + 1/2 + S(f)]`` (W/Hz): ``G`` the net gain of the output line (power
ratio), ``n_add`` the amplifier's added noise (quanta), ``S`` the normal-ordered emission in
quanta, ``f`` the lab frequency. A trace averaged over ``N`` independent spectra has, per bin,
the law of a mean of ``N`` exponentials: Gamma(N, mean/N), relative scatter ``1/sqrt(N)``.

A standing wave on the output line shapes ``G`` across a span, ``G (1 + a cos(2 pi f tau + theta))``. Over a pump
trace (a few MHz against ``1/tau`` ~ 7 MHz for ~15 m of cable) its shape is smooth: ``1 + sum_j c_j P_j(u)``, the
Legendre polynomials ``P_1..P_k`` of the trace's frequency mapped onto ``[-1, 1]``, less their means over the
bins (:func:`gain_shape_basis`; the constant term is the gain itself). The coefficients are profiled in every fit
and likelihood evaluation (:func:`profile_gain_shape`, :func:`entangled_drums.physics._kernels.gamma_log_likelihood`).
"""

import numpy as np

from .units import PLANCK_H, db_to_linear


def psd_from_quanta(S, f_lab, gain_db, n_add):
    """Expected power spectral density (W/Hz) for emission ``S`` (quanta) at lab frequency ``f_lab`` (Hz)."""
    return db_to_linear(gain_db) * PLANCK_H * np.asarray(f_lab) * (n_add + 0.5 + np.asarray(S))


def quanta_from_psd(psd, f_lab, gain_db, n_add):
    """Inverse of :func:`psd_from_quanta`: emission in quanta above the noise floor."""
    return np.asarray(psd) / (db_to_linear(gain_db) * PLANCK_H * np.asarray(f_lab)) - n_add - 0.5


def averages(duration, rbw):
    """Number of independent spectra averaged in ``duration`` (s) at resolution bandwidth ``rbw`` (Hz)."""
    return max(1, int(np.floor(duration * rbw)))


def draw_averaged_trace(rng, mean_psd, n_averages):
    """One averaged trace: per bin Gamma(N, mean/N) (a mean of N exponential periodogram values)."""
    mean_psd = np.asarray(mean_psd, dtype=float)
    return rng.gamma(shape=float(n_averages), scale=mean_psd / float(n_averages))


def gain_shape_basis(f_lab, terms):
    """``(terms, n)``: the Legendre polynomials ``P_1..P_terms`` at the frequencies ``f_lab`` (Hz, shape ``(n,)``)
    mapped linearly onto ``[-1, 1]``, each less its mean over the bins, so that the shape has no mean and the gain
    stays the trace's mean gain (a trace of two windows samples ``u`` unevenly); ``(0, n)`` for ``terms = 0``."""
    f = np.asarray(f_lab, dtype=float)
    lo, hi = f.min(), f.max()
    u = (2.0 * f - (lo + hi)) / (hi - lo) if hi > lo else np.zeros_like(f)
    basis = np.polynomial.legendre.legvander(u, int(terms))[:, 1:].T
    return np.ascontiguousarray(basis - basis.mean(axis=1, keepdims=True))


def profile_gain_shape(psd, mean_psd, basis):
    """The relative gain shape ``g = 1 + c @ basis`` (shape ``(n,)``) that best fits the ratio ``psd / mean_psd``: the
    least-squares ``c`` of ``psd / mean_psd - 1`` on the basis rows (the Gaussian limit of the profiled Gamma
    likelihood; ones for an empty basis)."""
    basis = np.asarray(basis, dtype=float)
    if basis.shape[0] == 0:
        return np.ones(np.shape(psd))
    ratio = np.asarray(psd, dtype=float) / np.asarray(mean_psd, dtype=float) - 1.0
    c = np.linalg.lstsq(basis.T, ratio, rcond=None)[0]
    return 1.0 + c @ basis
