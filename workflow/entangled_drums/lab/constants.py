"""The laboratory's own physical constants and thermal occupation (CODATA 2018 exact values).

The laboratory shares no code with the analysis (docs/README.md): these are written out here again.
"""

import numpy as np

#: Planck constant (J s), exact (SI 2019).
H = 6.62607015e-34
#: Boltzmann constant (J/K), exact (SI 2019).
K_B = 1.380649e-23


def bose(f_hz, temperature):
    """Bose-Einstein occupation of a mode at ``f_hz`` (Hz) in equilibrium at ``temperature`` (K)."""
    return 1.0 / np.expm1(H * np.asarray(f_hz, dtype=float) / (K_B * np.asarray(temperature, dtype=float)))


def db(x):
    """Power ratio of ``x`` decibels."""
    return 10.0 ** (np.asarray(x, dtype=float) / 10.0)
