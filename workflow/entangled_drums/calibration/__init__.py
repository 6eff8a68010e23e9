"""Calibrations: the cavity's rates from its network-analyser sweeps, and from the drums' spectra the
area per phonon, gain and added noise, drum frequencies and dampings, the couplings' scale and the
probe constant.

``cavity`` (the joint fit of S21, S11, S22), ``circlefit`` (an independent check of it:
resonator-tools' circle fit of the reflections), ``drums`` (thermal, sideband-cooling and probe
calibrations and the calibrated device). The functions of ``drums`` are this subpackage's public
names (``calibration.thermal_calibration``, ``calibration.device_of``, ...).

May import: ``physics``, ``data``, ``stats``.
"""

import importlib

_DRUMS = (
    "CALIBRATED",
    "calibrated_device",
    "calibration_priors",
    "collective_thermal_variance",
    "device_of",
    "line_area",
    "peak_area",
    "probe_calibration",
    "quanta_sigma",
    "sideband_calibration",
    "sideband_theory",
    "thermal_calibration",
    "to_quanta",
    "tone",
    "windows",
)
__all__ = list(_DRUMS)


def __getattr__(name):
    if name in _DRUMS:
        return getattr(importlib.import_module(".drums", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
