"""entangled_drums: reproducible analysis of two-mode squeezed (entangled) micromechanical drums.

Reproduces Ockeloen-Korppi et al., "Stabilized entanglement of massive mechanical
oscillators", Nature 556, 478 (2018). Subpackages by concern, each importing only the layers
below it (``docs/README.md`` has the map; ``pyproject.toml``'s import contracts keep it)::

    product     step runner, config defaults, figures, provenance, deposit
    studies     closure, coverage and SBC against the laboratory's truth (may import lab)
    lab         the simulated laboratory                                  (no analysis layer imports it)
    results     verdict and headline, error budget
    readout     the back-action-evading probe readout
    inference   pump-spectrum fits and their MCMC posterior
    calibration cavity and drum calibrations
    stats       least squares, variance shares, MCMC moves and diagnostics
    data        raw files, ingest, data sets, result files
    physics     the model of the device and its spectra

The public API is re-exported here and imported on first use (PEP 562): the model's functions
(``Params``, ``steady_state``, ...) and, by their short names, the modules the notebooks use
(``from entangled_drums import calibration, jsonio, rawdata``). A step that needs one module does
not pay for the others.
"""

import importlib

__version__ = "0.1.0"

#: public function or class -> the module that defines it
_FUNCTIONS = {
    "Params": "physics.model",
    "UnstableSystemError": "physics.model",
    "collective_variances": "physics.model",
    "duan": "physics.model",
    "linear_system": "physics.model",
    "optimal_phase": "physics.model",
    "phase_curves": "physics.model",
    "steady_state": "physics.model",
    "probe_spectrum": "physics.spectra",
    "pump_spectrum": "physics.spectra",
}

#: a module's short name -> where it lives (``calibration`` and ``readout`` are subpackages themselves)
_MODULES = {
    "units": "physics.units",
    "linear": "physics.linear",
    "model": "physics.model",
    "spectra": "physics.spectra",
    "drive": "physics.drive",
    "instrument": "physics.instrument",
    "design": "physics.design",
    "rawdata": "data.rawdata",
    "ingest": "data.ingest",
    "touchstone": "data.touchstone",
    "datasets": "data.datasets",
    "jsonio": "data.jsonio",
    "fitting": "stats.fitting",
    "shares": "stats.shares",
    "moves": "stats.moves",
    "diagnostics": "stats.diagnostics",
    "cavity": "calibration.cavity",
    "circlefit": "calibration.circlefit",
    "pumpfit": "inference.pumpfit",
    "reparam": "inference.reparam",
    "sampling": "inference.sampling",
    "posterior": "inference.posterior",
    "probes": "readout.probes",
    "verdict": "results.verdict",
    "budget": "results.budget",
    "simulate": "lab.simulate",
    "chain": "studies.chain",
    "closure": "studies.closure",
    "coverage": "studies.coverage",
    "sbc": "studies.sbc",
    "sensitivity": "studies.sensitivity",
    "laplace": "inference.laplace",
    "archive": "product.archive",
    "provenance": "product.provenance",
    "figures": "product.figures",
    "notebook": "product.notebook",
    "config": "product.config",
    "warmup": "product.warmup",
}

__all__ = sorted(_FUNCTIONS)


def __getattr__(name):
    if name in _FUNCTIONS:
        value = getattr(importlib.import_module(f".{_FUNCTIONS[name]}", __name__), name)
    elif name in _MODULES:
        value = importlib.import_module(f".{_MODULES[name]}", __name__)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_FUNCTIONS) | set(_MODULES))
