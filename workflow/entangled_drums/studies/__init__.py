"""Simulation studies: the analysis run against the laboratory's truth.

``chain`` (the analysis of steps 02-07 in one call, the same functions as the notebooks),
``closure`` (recovered against true values in units of the analysis' own errors), ``coverage``
(replicas of the truth through the whole inference, and the coverage of its intervals).

May import: every analysis layer and ``lab`` (the only subpackage that may).
"""
