"""The product around the analysis: the step runner, configuration defaults, figures, provenance, deposit.

``notebook`` (runs a jupytext notebook as a workflow step), ``config`` (the configuration's defaults
and nominal parameters), ``figures`` (the figure style and shared drawing helpers), ``provenance``
(commit, versions, checksums of a run), ``archive`` (the deposit with its RO-Crate, hashed lock and
wheelhouse), ``records`` (a provenance record per macro of headline.tex), ``montecarlo`` (the Monte Carlo
error of each headline number, by its estimator), ``verify`` (``make verify``: rerun and compare),
``crate_validation`` (roc-validator on the deposit's crate, offline), ``warmup`` (compiles the numba
kernels before the steps that use them).

May import: every analysis layer (not ``lab`` or ``studies``).
"""
