"""The pump–probe cross terms: the model of :mod:`entangled_drums.physics.model` on a truncated Floquet lattice.

The pump mode ``a`` and the probe mode ``d`` of the two-mode model are one cavity field seen in two frames, the
pumps' (``f_c + Omega + dbar``) and the probes' (``f_c + delta_d``), which differ by the beat
``Omega_b = Omega + dbar - delta_d`` (Hz). With every tone acting on the whole field (the pumps on the probes'
sidebands, the probes on the pumps') the Hamiltonian in those frames keeps phases ``e^{+-i Omega_b t}``; no frame
removes them, and ``Omega_b ~ kappa/2`` forbids a rotating-wave approximation. The field is therefore expanded in
harmonics of ``Omega_b`` (notes: cross_terms_design.md):

* cavity components ``c_m^(n)`` at ``f_c + delta_d + m Omega_b + 2 n w_d`` (``w_d = fbar + Delta``, the drums'
  frame): ``n = 0`` near, ``n = -1, +1`` the Stokes and anti-Stokes sidebands (with ``counter_rotating``), so that
  ``d = c_0^(0)`` and ``a = c_1^(0)``;
* drum components ``b_j^(0, k)`` at ``w_d + k Omega_b`` and, with ``counter_rotating``, ``b_j^(-1, k)`` at
  ``-w_d + k Omega_b`` (``b_j^(0, 0)`` and ``b_j^(-1, 0)`` are the model's ``bj`` and ``bjF``).

A tone links a cavity and a drum component whose frequencies differ by the tone's (beam splitter) or sum to it
(squeezing), with the couplings and phases of the two-mode model. The truncation is balanced,
``m in [-M, M + 1]``, ``k in [-M, M]`` (``M`` the ``order``; unbalanced sets have unstable edge poles): ``14 M + 10``
modes with the far components, ``6 M + 4`` without. The error falls geometrically with ``M`` (order 2: a few
1e-6 relative on the spectra). Order 0, or ``cross_terms=False`` at any order, is the two-mode model.

Every cavity component carries the cavity's bath (``n_c``, rate ``kappa``), every drum component its drum's. The
measured field at lab offset ``f`` is the component ``c_0^(0)`` at frame frequency ``f - delta_d``: the whole
field, with the bath once and the pumps' emission and the probes' back-action included. The drums' state is the
``k = 0`` block of the steady-state covariance, the time average in the drums' frame. Not used by the readout yet.
"""

from dataclasses import dataclass

import numpy as np

from . import _kernels
from .linear import LinearSystem, UnstableSystemError
from .model import theta
from .spectra import filter_shift
from .units import to_internal

__all__ = [
    "DEFAULT_ORDER",
    "FloquetSystem",
    "beat",
    "components",
    "drift_matrix",
    "drum_covariance",
    "linear_system",
    "occupations",
    "output_spectrum",
]

#: Truncation order ``M`` by default: spectra within a few 1e-6 of the converged lattice's (tests/test_floquet.py).
DEFAULT_ORDER = 2


def beat(params):
    """The beat ``Omega_b`` (Hz) between the pumps' and the probes' frames: ``pump_frame - probe_frame``.

    Args:
        params (Params): the model's parameters.

    Returns:
        float: ``Omega + dbar - delta_d`` (Hz).
    """
    return params.pump_frame - params.probe_frame


def components(order, far):
    """The lattice's components in the order of the state vector.

    Args:
        order (int): the truncation ``M >= 0``.
        far (bool): with the far components (``Params.counter_rotating``).

    Returns:
        list: ``("c", n, m)`` for the cavity (``n = 0[, -1, +1]``, each ``m = -M .. M + 1``), then ``("b1", p, k)``
        and ``("b2", p, k)`` for the drums (``p = 0[, -1]``, each ``k = -M .. M``). Mode ``i`` has its ``x``
        quadrature at ``2 i`` and its ``p`` quadrature at ``2 i + 1``.
    """
    if order < 0 or order != int(order):
        raise ValueError(f"the Floquet order must be an integer >= 0, not {order!r}")
    cavity = [("c", n, m) for n in ((0, -1, 1) if far else (0,)) for m in range(-order, order + 2)]
    drums = [(b, p, k) for b in ("b1", "b2") for p in ((0, -1) if far else (0,)) for k in range(-order, order + 1)]
    return cavity + drums


def drift_matrix(params, order=DEFAULT_ORDER, cross_terms=True):
    """Drift matrix and decay rates of the truncated lattice (internal units).

    Args:
        params (Params): the model's parameters; ``counter_rotating`` adds the far components.
        order (int): the truncation ``M >= 0``.
        cross_terms (bool): every tone on every harmonic; if False the pumps act on ``c_1^(n)`` only and the probes
            on ``c_0^(n)`` only (the two-mode model plus uncoupled components).

    Returns:
        tuple: ``A`` of shape ``(2 N, 2 N)`` and the rate of each mode, shape ``(N,)``, for the ``N`` modes of
        :func:`components`.
    """
    components(order, params.counter_rotating)  # validates the order
    return _kernels.drift_floquet(theta(params), params.counter_rotating, cross_terms, int(order))


def occupations(params, order=DEFAULT_ORDER):
    """Bath occupation of each mode: ``n_c`` for every cavity component, ``n_m1``, ``n_m2`` for each drum's.

    Args:
        params (Params): the model's parameters.
        order (int): the truncation ``M >= 0``.

    Returns:
        ndarray: shape ``(N,)``, in the order of :func:`components`.
    """
    baths = {"c": params.n_c, "b1": params.n_m1, "b2": params.n_m2}
    return np.array([baths[name] for name, *_ in components(order, params.counter_rotating)])


@dataclass(frozen=True)
class FloquetSystem:
    """A truncated Floquet lattice's linear system, with the position of each component.

    Attributes:
        system (LinearSystem): drift, noise and eigenmodes (internal units).
        index (dict): component label (:func:`components`) -> index of its ``x`` quadrature in the state vector.
        params (Params): the parameters it was built from.
        order (int): the truncation ``M``.
        cross_terms (bool): whether every tone acts on every harmonic.
    """

    system: LinearSystem
    index: dict
    params: object
    order: int
    cross_terms: bool

    def output_spectrum(self, f, m=0, rbw=0.0):
        """Normal-ordered output spectrum (quanta) of the cavity component ``c_m^(0)`` at lab offsets ``f`` (Hz).

        Args:
            f (array_like): offsets ``f - f_c`` (Hz), any shape.
            m (int): the harmonic; 0 (default) is the measured field, the best converged with ``m = 1``.
            rbw (float): 3 dB width (Hz) of the analyser's resolution filter (0: the emitted spectrum), as
                :func:`entangled_drums.physics.spectra.output_spectrum`.

        Returns:
            ndarray: ``kappa_out S_cc(f)``, the shape of ``f``.
        """
        p = self.params
        i = self.index[("c", 0, m)]
        w = np.zeros(self.system.A.shape[0], dtype=complex)
        w[i], w[i + 1] = 1.0 / np.sqrt(2.0), 1.0j / np.sqrt(2.0)
        frame = p.probe_frame + m * beat(p)
        S = self.system.output_spectrum(w, f, frame, to_internal(1.0), filter_shift(rbw))
        return to_internal(p.kappa_out) * S

    def drum_covariance(self, k=0):
        """Symmetrised covariance of ``(x1, p1, x2, p2)`` of the drums' components ``b_j^(0, k)`` (vacuum 1/2).

        Args:
            k (int): the harmonic; 0 (default) is the drums' state, time averaged, in their frame ``w_d``.

        Returns:
            ndarray: shape ``(4, 4)``, comparable with ``steady_state(params)`` at the indices of ``b1, b2``.
        """
        i1, i2 = self.index[("b1", 0, k)], self.index[("b2", 0, k)]
        sel = [i1, i1 + 1, i2, i2 + 1]
        return self.system.covariance()[np.ix_(sel, sel)]


def linear_system(params, order=DEFAULT_ORDER, cross_terms=True):
    """The lattice's :class:`FloquetSystem` (raises :class:`UnstableSystemError` if a physical pole is unstable).

    Args:
        params (Params): the model's parameters.
        order (int): the truncation ``M >= 0``.
        cross_terms (bool): see :func:`drift_matrix`.

    Returns:
        FloquetSystem: ``2 N`` quadratures; with ``counter_rotating`` the poles with ``|Im lam| > fbar`` are
        replicas, exempt from the stability requirement (:mod:`entangled_drums.physics.linear`).
    """
    A, rates = drift_matrix(params, order, cross_terms)
    labels = components(order, params.counter_rotating)
    replica_above = to_internal(0.5 * (params.f1 + params.f2)) if params.counter_rotating else np.inf
    try:
        system = LinearSystem(A, rates, occupations(params, order), replica_above)
    except UnstableSystemError as err:
        raise UnstableSystemError(
            f"{err} in the Floquet lattice of order {order} (cross_terms={cross_terms}) at "
            f"G_minus = {params.G_minus:.6g} Hz, G_plus = {params.G_plus:.6g} Hz, Delta = {params.Delta:.6g} Hz, "
            f"delta_bar = {params.delta_bar:.6g} Hz"
        ) from None
    index = {label: 2 * i for i, label in enumerate(labels)}
    return FloquetSystem(system, index, params, int(order), bool(cross_terms))


def output_spectrum(params, f, order=DEFAULT_ORDER, cross_terms=True, rbw=0.0):
    """The measured output spectrum (quanta) at lab offsets ``f`` (Hz): :meth:`FloquetSystem.output_spectrum` of
    ``c_0^(0)``, the whole cavity field (bath once, pump and probe emission, their cross terms).

    Args:
        params (Params): the model's parameters (pumps and probes on).
        f (array_like): offsets ``f - f_c`` (Hz), any shape.
        order (int): the truncation ``M >= 0``.
        cross_terms (bool): see :func:`drift_matrix`.
        rbw (float): resolution filter's 3 dB width (Hz); 0 for the emitted spectrum.

    Returns:
        ndarray: the spectrum, the shape of ``f``.
    """
    return linear_system(params, order, cross_terms).output_spectrum(f, 0, rbw)


def drum_covariance(params, order=DEFAULT_ORDER, cross_terms=True):
    """The drums' time-averaged covariance of ``(x1, p1, x2, p2)`` in their frame (the ``k = 0`` block), vacuum 1/2.

    Args:
        params (Params): the model's parameters.
        order (int): the truncation ``M >= 0``.
        cross_terms (bool): see :func:`drift_matrix`.

    Returns:
        ndarray: shape ``(4, 4)``.
    """
    return linear_system(params, order, cross_terms).drum_covariance(0)
