"""Units and conventions: the one place that defines them.

Interfaces (``Params``, function arguments, files) quote every frequency and rate as
``f = omega / 2pi`` in **Hz**. Inside the linear algebra, rates are in units of
**2pi * kHz** (so a coupling of 2pi * 278 kHz is the number 278): couplings ~100,
linewidths ~0.1-1000, which keeps the drift matrix well conditioned.

Quadratures are ``x = (c + c^dag)/sqrt(2)``, ``p = (c - c^dag)/(i sqrt(2))``: the vacuum
(zero-point) variance of one quadrature is ``VACUUM_VARIANCE = 1/2``, a thermal state of
occupation ``n`` has ``n + 1/2``. The Duan bound is ``<X+^2> + <P-^2> < DUAN_BOUND = 1``.

Spectra in **quanta** (photons per second per Hz) are dimensionless, so they do not depend on
the internal time unit.
"""

import numpy as np

#: Variance of one quadrature in the vacuum state.
VACUUM_VARIANCE = 0.5
#: Duan-criterion bound on <X+^2> + <P-^2> for separable states.
DUAN_BOUND = 2 * VACUUM_VARIANCE
#: Hz per internal rate unit (internal rates are in 2pi*kHz, i.e. kHz as f-values).
HZ_PER_INTERNAL = 1.0e3
#: Planck constant (J s), for power spectral densities P = G h f (...).
PLANCK_H = 6.62607015e-34
#: Boltzmann constant (J/K).
BOLTZMANN_K = 1.380649e-23


def to_internal(f_hz):
    """Hz (f-values) -> internal rate units (2pi*kHz)."""
    return f_hz / HZ_PER_INTERNAL


def bose_occupation(f_hz, temperature_k):
    """Bose-Einstein occupation of a mode at frequency ``f_hz`` (Hz) and temperature (K)."""
    return 1.0 / np.expm1(PLANCK_H * np.asarray(f_hz) / (BOLTZMANN_K * np.asarray(temperature_k)))


def db_to_linear(db):
    """Power ratio from decibels."""
    return 10.0 ** (np.asarray(db) / 10.0)
