"""The measurement chain: from emitted quanta to the power spectral density an analyser records.

``P(f) = G h f [n_add + 1/2 + S(f)]`` (W/Hz): ``G`` the net gain of the output line (power
ratio), ``n_add`` the amplifier's added noise (quanta), ``S`` the normal-ordered emission in
quanta, ``f`` the lab frequency. A trace averaged over ``N`` independent spectra has, per bin,
the law of a mean of ``N`` exponentials: Gamma(N, mean/N), relative scatter ``1/sqrt(N)``.
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
