"""entangled_drums: reproducible analysis of two-mode squeezed (entangled) micromechanical drums.

Reproduces Ockeloen-Korppi et al., "Stabilized entanglement of massive mechanical
oscillators", Nature 556, 478 (2018). The public API is re-exported here. It is imported on
first use (PEP 562), so a step that needs only one module (the notebook runner, the ingest)
does not pay for numpy, numba and the model.
"""

import importlib

__version__ = "0.1.0"

#: public name -> the module that defines it
_EXPORTS = {
    "Params": "model",
    "UnstableSystemError": "model",
    "collective_variances": "model",
    "duan": "model",
    "linear_system": "model",
    "optimal_phase": "model",
    "phase_curves": "model",
    "steady_state": "model",
    "probe_spectrum": "spectra",
    "pump_spectrum": "spectra",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
