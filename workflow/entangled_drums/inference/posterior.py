"""Posterior draws as ArviZ InferenceData (``results/mcmc/<dataset>_posterior.nc``).

Group ``posterior``: every sampled parameter in physical units (:data:`pumpfit.NAMES`) and the
derived ``Xplus``, ``Pminus``, ``duan`` (at each draw's optimal phase), ``phi_opt`` (rad) and the
coefficients ``Pminus_a, Pminus_b, Pminus_c`` of ``<(P-^phi)^2>`` (:data:`pumpfit.DERIVED`).
Group ``sample_stats``: ``lp``, the log posterior density in physical units (up to a
constant). Dimensions ``chain`` (one per independent run, i.e. per seed) and ``draw`` (the
run's thinned post-burn-in steps, walkers interleaved step-major). Attributes: the seeds,
walkers, burn-in, thinning and tau of each run, and the sampling coordinates.
"""

import numpy as np

from ..stats.diagnostics import arviz as _arviz
from . import pumpfit

DERIVED = pumpfit.DERIVED
UNITS = {
    **dict(zip(pumpfit.NAMES, pumpfit.UNITS, strict=True)),
    "Xplus": "vacuum = 1/2",
    "Pminus": "vacuum = 1/2",
    "duan": "separable >= 1",
    "phi_opt": "rad",
    "Pminus_a": "vacuum = 1/2",
    "Pminus_b": "vacuum = 1/2",
    "Pminus_c": "vacuum = 1/2",
}


def build(params, derived, log_prob, attrs):
    """InferenceData from arrays of shape ``(runs, kept steps, walkers, ...)``.

    ``params``: (..., 14) physical parameters; ``derived``: (..., 7) in the order of
    :data:`DERIVED`; ``log_prob``: (...,) physical log posterior; ``attrs``: JSON-able metadata.
    """
    runs, steps, walkers = log_prob.shape
    flat = lambda a: np.asarray(a).reshape(runs, steps * walkers, *np.shape(a)[3:])  # noqa: E731
    post = {n: flat(params)[..., j] for j, n in enumerate(pumpfit.NAMES)}
    post.update({n: flat(derived)[..., j] for j, n in enumerate(DERIVED)})
    idata = _arviz().from_dict(posterior=post, sample_stats={"lp": flat(log_prob)}, attrs=attrs)
    for name, unit in UNITS.items():
        idata.posterior[name].attrs["units"] = unit
    return idata


def write(idata, path):
    """Write ``idata`` as NetCDF (h5netcdf engine), via a temporary file: no partial file is left."""
    from pathlib import Path

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".partial")
    idata.to_netcdf(str(tmp), engine="h5netcdf")
    tmp.replace(path)


def read(path):
    """InferenceData from a file written by :func:`write`."""
    return _arviz().from_netcdf(str(path), engine="h5netcdf")
