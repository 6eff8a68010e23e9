"""The product around the analysis: the step runner, configuration defaults, figures, provenance, deposit.

``notebook`` (runs a jupytext notebook as a workflow step), ``config`` (the configuration's defaults
and nominal parameters), ``figures`` (the figure style and shared drawing helpers), ``provenance``
(commit, versions, checksums of a run), ``archive`` (the deposit with its RO-Crate), ``warmup``
(compiles the numba kernels before the steps that use them).

May import: every analysis layer (not ``lab`` or ``studies``).
"""
