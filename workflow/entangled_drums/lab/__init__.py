"""The simulated laboratory: raw data drawn from a documented truth, for the archive and the studies.

``simulate`` draws every raw file of the schema from ``config/simulation.yaml``. No analysis layer
imports this subpackage (an import contract in ``pyproject.toml`` checks it); only the studies do.

May import: ``data`` (to write the schema's files), ``physics.units``; today's exceptions, listed in
the import contract until the laboratory has its own forward model: ``physics.model``,
``physics.spectra``, ``physics.drive``, ``physics.instrument`` and ``readout.correction``.
"""
