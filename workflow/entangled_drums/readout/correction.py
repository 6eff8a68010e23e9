"""Back-action-evading probe readout: probe areas and the imbalance correction (docs/model.md §4).

The background-subtracted probe spectrum integrates to an area ``A`` (quanta x Hz). With
balanced probes (``g- = g+ = g``) and pumps off, ``A = k(g) <(X+^phi)^2>``, where ``k(g)`` is the
area per unit variance the probe calibration measures. With the pumps on and ``g- != g+``,
``A / k(g-)`` underestimates the variance; ``area_correction`` is the factor that undoes it,
computed from the model at given parameters; ``correction_parts`` splits it into the balanced-probe
factor (pumps on, g+ = g-) and the imbalance factor.
"""

import numpy as np

from ..physics.model import collective_variances, linear_system
from ..physics.spectra import mode_vector


def probe_area(params, system=None):
    """Exact area ``int probe_signal df`` (quanta x Hz): the photon flux ``2 pi kappa_out (<d^dag d> - n_c)``.

    (``kappa_out`` is quoted as ``f = omega/2pi``; the flux needs the angular rate.)
    """
    system = linear_system(params) if system is None else system
    occupation = system.output_lorentzians(mode_vector(params, "d")).integral()
    return 2.0 * np.pi * params.kappa_out * (occupation - params.n_c)


def area_per_variance(params, g):
    """Calibration constant ``k(g)`` (quanta x Hz per unit variance): balanced probes ``g``, pumps off."""
    cal = params.replace(G_minus=0.0, G_plus=0.0, probe_g_minus=g, probe_g_plus=g, probe_phase=0.0)
    return probe_area(cal) / float(collective_variances(cal, 0.0)[0])


def area_correction(params):
    """``<(X+^phi)^2> / (A / k(g-))`` at ``params`` (probes on): multiply the area estimate by it.

    The probe calibration fixes the red probe's coupling ``g-``; the imbalance shows up as a
    smaller ``g+``. The paper finds ~1.18 for g-/g+ ~ 1.055.
    """
    variance = float(collective_variances(params, params.probe_phase)[0])
    k = area_per_variance(params, params.probe_g_minus)
    return variance * k / probe_area(params)


def correction_parts(params):
    """(balanced, imbalance) factors of :func:`area_correction` at ``params``: their product is it.

    ``balanced``: the correction with the blue probe as strong as the red (``g+ = g-``), pumps on: the
    readout's departure from an ideal back-action evasion (g1 != g2, finite Omega/kappa).
    ``imbalance``: what ``g- != g+`` adds on top (the paper's ~18 % at g-/g+ ~ 1.055).
    """
    balanced = area_correction(params.replace(probe_g_plus=params.probe_g_minus))
    return balanced, area_correction(params) / balanced
