"""The physics of the device: the linearised model of the cavity and two drums and what follows from it.

Units and constants (``units``), the drift and diffusion of the quadratures (``model``), their
eigenmode solution (``linear``, with the compiled kernels in ``_kernels``), output and probe spectra
(``spectra``), the pump–probe cross terms on a truncated Floquet lattice (``floquet``, not yet used by
the readout), tones from generator power to coupling (``drive``), the analyser's measurement model
(``instrument``) and the design maps' evaluation of the model (``design``).

May import: nothing else of the package (the lowest layer).
"""
