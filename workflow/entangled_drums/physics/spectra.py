"""Normal-ordered output spectra in quanta at lab-frequency offsets ``f - f_c`` (Hz).

The measured port's own input is vacuum (cold attenuators), so the normal-ordered output
spectrum is ``S_out(f) = kappa_out * S_cc(f)`` with ``S_cc(w) = int dt e^{iwt} <c^dag(0) c(t)>``
for the pump mode ``c = a`` or the probe mode ``c = d``; its integral over ``f`` is the photon
flux ``kappa_out <c^dag c>``. Units: quanta (photons s^-1 Hz^-1, dimensionless).

A frame frequency ``w`` of the pump mode is emitted at ``f - f_c = Omega + dbar + w``; of the
probe mode at ``f - f_c = delta_d + w``. The fast functions use the eigenmode expansion of
:mod:`entangled_drums.physics.linear`; ``reference_*`` do one full matrix inverse per frequency.
"""

import functools

import numpy as np

from . import linear
from .model import linear_system, quadrature_index
from .units import to_internal

__all__ = [
    "mode_vector",
    "pump_spectrum",
    "probe_spectrum",
    "probe_signal",
    "bare_cavity_spectrum",
    "output_spectrum",
    "quadrature_spectrum",
    "reference_output_spectrum",
]


@functools.cache
def _mode_vector(n_modes, index):
    w = np.zeros(2 * n_modes, dtype=complex)
    w[index] = 1.0 / np.sqrt(2.0)
    w[index + 1] = 1.0j / np.sqrt(2.0)
    w.flags.writeable = False
    return w


def mode_vector(params, mode):
    """Complex vector ``w`` with ``c = w . u`` for the annihilation operator of ``mode`` ('a' or 'd')."""
    idx = quadrature_index(params)
    if mode not in idx:
        raise ValueError(f"mode {mode!r} is not in the system (modes: {sorted(idx)})")
    return _mode_vector(len(idx), idx[mode])


def _frame(params, mode):
    return params.pump_frame if mode == "a" else params.probe_frame


#: Standard deviation of a Gaussian per its 3 dB width.
SIGMA_PER_FWHM = 1.0 / (2.0 * np.sqrt(2.0 * np.log(2.0)))


def filter_shift(rbw):
    """The 3-point Gauss-Hermite node (Hz) of a Gaussian resolution filter of 3 dB width ``rbw`` (Hz): sqrt(3) sigma.

    The filter is taken as a Gaussian of 3 dB width RBW (a swept analyser's; for an FFT analyser it stands in for
    the window's kernel of the same width)."""
    return float(np.sqrt(3.0) * SIGMA_PER_FWHM * rbw)


def output_spectrum(params, f, mode="a", system=None, rbw=0.0):
    """Normal-ordered output spectrum (quanta) of ``mode`` at lab offsets ``f`` (Hz, any shape).

    Pass ``system`` (from :func:`entangled_drums.physics.model.linear_system`) to reuse a diagonalisation.
    ``rbw`` (Hz): as recorded through the analyser's resolution filter of that 3 dB width (0: the emitted spectrum).
    """
    system = linear_system(params) if system is None else system
    scale = to_internal(1.0)
    S = system.output_spectrum(mode_vector(params, mode), f, _frame(params, mode), scale, filter_shift(rbw))
    return to_internal(params.kappa_out) * S


def pump_spectrum(params, f, system=None, rbw=0.0):
    """Output spectrum (quanta) of the pump mode at lab offsets ``f - f_c`` (Hz); ``rbw``: :func:`output_spectrum`."""
    return output_spectrum(params, f, "a", system, rbw)


def probe_spectrum(params, f, system=None):
    """Output spectrum (quanta) of the probe mode at lab offsets ``f - f_c`` (Hz)."""
    return output_spectrum(params, f, "d", system)


def bare_cavity_spectrum(params, f, mode="a"):
    """Emission (quanta) of ``mode`` with no coupling: the cavity-bath Lorentzian
    ``kappa_out kappa n_c / (w^2 + kappa^2/4)``, ``w`` from the cavity's frequency.

    Centred on the cavity (``f = f_c + cavity_shift``) whatever the mode's frame.
    """
    f = np.asarray(f, dtype=float) - params.cavity_shift
    half = 0.5 * params.kappa
    return params.kappa_out * params.kappa * params.n_c / (f * f + half * half)


def probe_signal(params, f, system=None):
    """Probe-induced emission (quanta): the probe mode's spectrum minus its bare cavity noise.

    The pump mode ``a`` and the probe mode ``d`` stand for frequency components of *one*
    cavity, whose bath noise (``n_c``) is emitted once; in the two-mode model each mode carries
    it. The physical output with probes on is therefore ``pump_spectrum + probe_signal``,
    and ``probe_signal`` is what subtracting a probes-off background reveals (up to the
    probes' small back-action on the pump emission). Its integral over ``f`` is
    ``kappa_out (<d^dag d> - n_c)``.
    """
    return probe_spectrum(params, f, system) - bare_cavity_spectrum(params, f, "d")


def probe_area(params, system=None):
    """Exact area ``int probe_signal df`` (quanta x Hz): the photon flux ``2 pi kappa_out (<d^dag d> - n_c)``.

    (``kappa_out`` is quoted as ``f = omega/2pi``; the flux needs the angular rate.)
    """
    system = linear_system(params) if system is None else system
    occupation = system.occupation(mode_vector(params, "d"))
    return 2.0 * np.pi * params.kappa_out * (occupation - params.n_c)


def quadrature_spectrum(params, omega):
    """Symmetrised quadrature spectral matrix at frame frequencies ``omega`` (internal units).

    Shape ``omega.shape + (2m, 2m)``; ``int d omega / 2pi`` of it is the steady-state
    covariance. Direct evaluation: meant for checks, not for speed.
    """
    system = linear_system(params)
    return linear.direct_quadrature_spectrum(system.A, system.D, omega)


def reference_output_spectrum(params, f, mode="a"):
    """Slow, obviously correct :func:`output_spectrum`: one full inverse per frequency."""
    system = linear_system(params)
    omega = to_internal(np.asarray(f, dtype=float) - _frame(params, mode))
    N = system.D + 0.5j * system.K
    return to_internal(params.kappa_out) * linear.direct_output_spectrum(system.A, N, mode_vector(params, mode), omega)
