"""Tones: from generator power to the effective (many-photon) optomechanical coupling.

A tone of generator power ``P`` at ``f = f_c + d`` (``d`` its detuning, Hz) puts
``n = kappa_in L P / (2 pi h f ((kappa/2)^2 + d^2))`` photons in the cavity (``L`` the line
transmission), and couples drum ``j`` at ``G_j = g0_j sqrt(n)``. All of it folds into one
constant per drum,

    G_j^2 = K_j * P_mW * w(d),     w(d) = (f_c / (f_c + d)) / ((kappa/2)^2 + d^2),
    K_j = g0_j^2 kappa_in L 1e-3 / (2 pi h f_c)

(``K`` in Hz^4 per mW), which the sideband-cooling calibration measures. ``K_1/K_2 = (g1/g2)^2``.
The factor ``f_c / f`` is the photon energy: a tone 10.65 MHz below a 5.5 GHz cavity carries 0.39 %
more photons per mW than one as far above it. It is small, but a probe pair's cooling of the drums
is set by the difference of its two couplings' squares, and there it moves the probes' calibration
variance by 4.3 % at 40 kHz (docs/model.md §5).
"""

import numpy as np

from .units import PLANCK_H


def lorentzian_weight(detuning, kappa):
    """``1 / ((kappa/2)^2 + detuning^2)`` (Hz^-2): photons per unit drive at a detuning."""
    return 1.0 / (0.25 * kappa * kappa + np.asarray(detuning) ** 2)


def coupling_constant(g0, kappa_in, attenuation_db, f_c):
    """``K`` (Hz^4/mW) of a drum with single-photon coupling ``g0`` (Hz) through a line of ``attenuation_db`` (< 0)."""
    transmission = 10.0 ** (attenuation_db / 10.0)
    return g0 * g0 * kappa_in * transmission * 1e-3 / (2.0 * np.pi * PLANCK_H * f_c)


def drive_weight(detuning, kappa, f_c):
    """``w(d)`` (Hz^-2): intracavity photons per unit drive of a tone at ``f_c + detuning``, relative to
    ``K``'s reference (a photon of energy ``h f_c``): :func:`lorentzian_weight` times ``f_c / (f_c + d)``."""
    detuning = np.asarray(detuning, dtype=float)
    return lorentzian_weight(detuning, kappa) * f_c / (f_c + detuning)


def coupling(K, power_dbm, detuning, kappa, f_c):
    """Effective coupling (Hz) of a tone of ``power_dbm`` at ``detuning`` (Hz) from the cavity at ``f_c`` (Hz)."""
    return np.sqrt(K * 10.0 ** (np.asarray(power_dbm) / 10.0) * drive_weight(detuning, kappa, f_c))


def power_for_coupling(K, G, detuning, kappa, f_c):
    """Generator power (dBm) that gives coupling ``G`` (Hz): the inverse of :func:`coupling`."""
    return 10.0 * np.log10(np.asarray(G) ** 2 / (K * drive_weight(detuning, kappa, f_c)))
