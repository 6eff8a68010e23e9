"""entangled_drums: reproducible analysis of two-mode squeezed (entangled) micromechanical drums.

Reproduces Ockeloen-Korppi et al., "Stabilized entanglement of massive mechanical
oscillators", Nature 556, 478 (2018). The public API is re-exported here.
"""

from .model import (
    Params,
    UnstableSystemError,
    collective_variances,
    duan,
    linear_system,
    optimal_phase,
    phase_curves,
    steady_state,
)
from .spectra import probe_spectrum, pump_spectrum

__version__ = "0.1.0"

__all__ = [
    "Params",
    "UnstableSystemError",
    "collective_variances",
    "duan",
    "linear_system",
    "optimal_phase",
    "phase_curves",
    "probe_spectrum",
    "pump_spectrum",
    "steady_state",
]
