"""The back-action-evading probe readout: ⟨(X+^φ)²⟩ from the probe spectra.

``correction`` (the probe area's correction for the probes' imbalance and the window, from the
model), ``probes`` (the line-shape fit, the phase curve, the Monte Carlo draws of the ⟨X+²⟩
minimum and its error budget).

May import: ``physics``, ``data``, ``stats``, ``calibration``, ``inference``.
"""
