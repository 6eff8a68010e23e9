"""The data: raw files and their schema, the data sets the configuration names, result files.

``rawdata`` reads, validates and writes the raw NetCDF files and their manifest; ``ingest`` turns
an experimenter's analyser exports into them, reading network-analyser Touchstone files with
``touchstone`` (scikit-rf) and spectrum-analyser trace exports (Rohde & Schwarz ASCII, Keysight
X-series CSV) with ``analyser``; ``datasets`` says which data sets the configuration analyses;
``jsonio`` writes and reads the workflow's JSON and NumPy results.

May import: ``physics``.
"""
