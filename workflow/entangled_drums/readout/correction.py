"""Back-action-evading probe readout: probe areas and the imbalance correction (docs/model.md §4).

The background-subtracted probe spectrum integrates to an area ``A`` (quanta x Hz). With
balanced probes (``g- = g+ = g``) and pumps off, ``A = k(g) <(X+^phi)^2>``, where ``k(g)`` is the
area per unit variance the probe calibration measures. With the pumps on and ``g- != g+``,
``A / k(g-)`` underestimates the variance; ``area_correction`` is the factor that undoes it,
computed from the model at given parameters; ``correction_parts`` splits it into the balanced-probe
factor (pumps on, g+ = g-) and the imbalance factor.
"""

import numpy as np

from ..physics.model import UnstableSystemError, collective_variances
from ..physics.spectra import probe_area


def probe_photon_ratio(params):
    """The probes' intracavity photons per the pumps' (``params`` with probes): ``((g-/rho)^2 + g+^2) / ((G-/rho)^2 +
    G+^2)``, each coupling over its drum's single-photon coupling (red ones quoted on drum 1, blue on drum 2)."""
    rho = params.g_ratio
    pumps = (params.G_minus / rho) ** 2 + params.G_plus**2
    return ((params.probe_g_minus / rho) ** 2 + params.probe_g_plus**2) / pumps if pumps > 0 else 0.0


def probes_only_shift(params):
    """The probes' part (Hz) of the cavity's shift of ``params`` (probes on): what remains with the pumps off."""
    r = probe_photon_ratio(params)
    return params.cavity_shift * r / (1.0 + r)


def area_per_variance(params, g):
    """Calibration constant ``k(g)`` (quanta x Hz per unit variance): balanced probes ``g``, pumps off (so the cavity's
    shift is the probes' part of ``params``' alone, :func:`probe_photon_ratio`)."""
    cal = params.replace(
        G_minus=0.0,
        G_plus=0.0,
        probe_g_minus=g,
        probe_g_plus=g,
        probe_phase=0.0,
        cavity_shift=probes_only_shift(params),
    )
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


#: How much the resolved-sideband step of :func:`balanced_causes` widens the drums' splitting (Omega/kappa x it).
OMEGA_SCALE = 10.0


def _idealised(balanced, ideal, omega_scale):
    """``balanced`` with the idealisations named in ``ideal`` applied (see :func:`balanced_causes`)."""
    changes = {}
    if "g_ratio" in ideal:
        changes["g_ratio"] = 1.0
    if "omega_kappa" in ideal:
        fbar, omega = 0.5 * (balanced.f1 + balanced.f2), balanced.Omega
        # resolved sidebands: the splitting wider and no counter-rotating couplings (they vanish as kappa/fbar -> 0;
        # with them, a drum moved to fbar - 10 Omega would be pumped unstable by the far sidebands)
        changes.update(f1=fbar - omega_scale * omega, f2=fbar + omega_scale * omega, counter_rotating=False)
    if "pumps" in ideal:  # and their part of the cavity's shift
        changes.update(G_minus=0.0, G_plus=0.0, cavity_shift=probes_only_shift(balanced))
    return balanced.replace(**changes)


#: The causes of the balanced-probe factor, each an idealisation that removes it.
CAUSES = ("g_ratio", "omega_kappa", "pumps")


def balanced_causes(params, omega_scale=OMEGA_SCALE):
    """The balanced-probe factor of :func:`correction_parts` split into its physical causes:

    ``g_ratio``      g1 != g2 (removed: g1 = g2);
    ``omega_kappa``  finite Omega/kappa and kappa/fbar (removed: the drums' splitting ``omega_scale`` x wider and
                     the rotating-wave model, without the counter-rotating couplings);
    ``pumps``        the pumps' change of the transduction (removed: pumps off);
    ``remainder``    the factor with all three removed (1 when the probe calibration's conditions hold).

    The causes interact, so removing them one after the other gives order-dependent shares; each cause's
    factor here is its Shapley share of the log factor, the average over all orders (8 model evaluations).
    The factors multiply to the balanced factor exactly. Returns ``{name: factor}``; NaN for every factor when
    one of the idealised states is unstable (the detuning that stabilises the real device need not stabilise
    a device with a wider splitting), so that the split is undefined there.
    """
    from itertools import combinations
    from math import factorial

    balanced = params.replace(probe_g_plus=params.probe_g_minus)
    undefined = {name: float("nan") for name in (*CAUSES, "remainder")}
    try:
        values = {
            frozenset(sub): area_correction(_idealised(balanced, sub, omega_scale))
            for k in range(len(CAUSES) + 1)
            for sub in combinations(CAUSES, k)
        }
    except UnstableSystemError:  # an idealised state has no steady state (e.g. Delta outside its window there)
        return undefined
    if not all(np.isfinite(v) and v > 0 for v in values.values()):
        return undefined
    log_f = {sub: float(np.log(v)) for sub, v in values.items()}
    n = len(CAUSES)
    out = {}
    for cause in CAUSES:
        share = 0.0
        for sub, value in log_f.items():
            if cause in sub:
                continue
            weight = factorial(len(sub)) * factorial(n - len(sub) - 1) / factorial(n)
            share += weight * (value - log_f[sub | {cause}])  # what removing the cause takes away
        out[cause] = float(np.exp(share))
    out["remainder"] = float(np.exp(log_f[frozenset(CAUSES)]))
    return out
