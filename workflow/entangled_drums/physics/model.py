"""The linearised two-drum, two-pump (+ two-probe) optomechanical model (docs/model.md §2-4).

Frame: the pump cavity mode ``a`` rotates at the pumps' midpoint ``wc + Omega + dbar``, the
probe cavity mode ``d`` at the probes' midpoint ``wc + delta_d``, both drums at
``wbar + Delta`` (``wbar = (w1 + w2)/2``, ``Omega = (w2 - w1)/2``,
``dbar = (delta_plus + delta_minus)/2``, ``Delta = (delta_plus - delta_minus)/2``). There::

    H = -(Omega + dbar) a^dag a - (Omega + Delta) b1^dag b1 + (Omega - Delta) b2^dag b2
        + [a^dag (G-1 b1 + G-2 b2 + G+1 b1^dag + G+2 b2^dag) + h.c.]
        - delta_d d^dag d
        + [d^dag (e^{-i phi} (g-1 b1 + g-2 b2) + e^{+i phi} (g+1 b1^dag + g+2 b2^dag)) + h.c.]

with ``G-1 = G_minus``, ``G-2 = G_minus / g_ratio``, ``G+2 = G_plus``, ``G+1 = g_ratio G_plus``
(likewise for the probes), ``g_ratio = g1/g2``.

Probe phase convention (a choice the paper leaves open): ``probe_phase = phi`` is the angle of
the measured quadrature. With ``g- = g+``, ``g_ratio = 1``, ``Delta = 0`` the probe mode couples
to ``X+^phi = X+ cos phi + P+ sin phi`` only (``H_d = 2 sqrt(2) g x_d X+^phi``); the two probe
tones then differ in phase by ``2 phi`` (a phase ``e^{i phi}`` on the blue tone alone
would measure ``X+^{phi/2}``).

With ``counter_rotating`` the far components every tone's off-resonant coupling reaches (``aS, aAS, [dS, dAS,]
b1F, b2F``, docs/model.md §2) follow; ``cavity_shift`` moves every cavity component's detuning from its frame.

Quadrature order: ``(x_a, p_a, [x_d, p_d,] x1, p1, x2, p2[, far components])``; the probe mode ``d`` is present
only when a probe coupling is non-zero. Vacuum variance 1/2 (see :mod:`entangled_drums.physics.units`).
"""

from dataclasses import dataclass, fields, replace

import numpy as np

from . import _kernels
from .linear import LinearSystem, UnstableSystemError
from .units import to_internal

__all__ = [
    "Params",
    "UnstableSystemError",
    "quadrature_index",
    "drift_matrix",
    "linear_system",
    "steady_state",
    "collective_covariances",
    "collective_variances",
    "duan",
    "optimal_phase",
    "phase_curves",
    "single_tone",
]


@dataclass(frozen=True, slots=True)
class Params:
    """Parameters of the linearised model. Frequencies and rates in Hz (``f = omega/2pi``).

    Defaults: the paper's device and data set C (G-/2pi = 278 kHz, G+/2pi = 166 kHz),
    pumps on their sidebands, probes off. The bath occupations are not given in the paper;
    the defaults are the sanity anchor of docs/model.md §6 (n_c = 0.5, n_m1 = 100, n_m2 = 100 * 30/41).
    """

    f1: float = 10.0e6  #: drum 1 frequency
    f2: float = 11.3e6  #: drum 2 frequency
    gamma1: float = 106.0  #: drum 1 intrinsic damping
    gamma2: float = 144.0  #: drum 2 intrinsic damping
    kappa: float = 1.38e6  #: total cavity linewidth
    kappa_out: float = 1.13e6  #: output-port coupling (the measured port)
    G_minus: float = 278.0e3  #: red-pump effective coupling, quoted on drum 1
    G_plus: float = 166.0e3  #: blue-pump effective coupling, quoted on drum 2
    delta_minus: float = 0.0  #: red pump offset from w_c - w_1
    delta_plus: float = 0.0  #: blue pump offset from w_c + w_2
    g_ratio: float = 0.98  #: single-photon coupling ratio g1/g2
    n_c: float = 0.5  #: effective cavity bath occupation (pump heating)
    n_m1: float = 100.0  #: drum 1 bath occupation under pumping
    n_m2: float = 100.0 * 30.0 / 41.0  #: drum 2 bath occupation under pumping
    probe_g_minus: float = 0.0  #: red probe coupling, quoted on drum 1
    probe_g_plus: float = 0.0  #: blue probe coupling, quoted on drum 2
    probe_phase: float = 0.0  #: measured quadrature angle phi (rad), see module docstring
    probe_detuning: float = 0.0  #: common probe offset delta_d
    counter_rotating: bool = False  #: keep every tone's off-resonant coupling (the far components, docs/model.md §2)
    #: the cavity's frequency with the tones on minus f_c (Hz). The tones' offsets (delta+-, delta_d) are from the
    #: unshifted cavity's sidebands, so the frames (where the emission lands) stay; every cavity component's
    #: detuning from its frame moves by it (docs/model.md §2)
    cavity_shift: float = 0.0

    @property
    def Omega(self):
        """Half the mechanical splitting (Hz)."""
        return 0.5 * (self.f2 - self.f1)

    @property
    def Delta(self):
        """Half the difference of the pump offsets, (delta+ - delta-)/2 (Hz)."""
        return 0.5 * (self.delta_plus - self.delta_minus)

    @property
    def delta_bar(self):
        """Mean pump offset (delta+ + delta-)/2 (Hz)."""
        return 0.5 * (self.delta_plus + self.delta_minus)

    @property
    def has_probes(self):
        """True when the probe mode d is part of the system."""
        return self.probe_g_minus != 0.0 or self.probe_g_plus != 0.0

    @property
    def pump_frame(self):
        """Lab offset from f_c of the pump mode's rotating frame (Hz)."""
        return self.Omega + self.delta_bar

    @property
    def probe_frame(self):
        """Lab offset from f_c of the probe mode's rotating frame (Hz)."""
        return self.probe_detuning

    def replace(self, **changes):
        """A copy with some fields changed."""
        return replace(self, **changes)

    def as_dict(self):
        """Field name -> value."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


_INDEX_PUMPS = {"a": 0, "b1": 2, "b2": 4}
_INDEX_PROBES = {"a": 0, "d": 2, "b1": 4, "b2": 6}
_FAR_PUMPS = ("aS", "aAS", "b1F", "b2F")
_FAR_PROBES = ("aS", "aAS", "dS", "dAS", "b1F", "b2F")


def quadrature_index(params):
    """Index of each mode's ``x`` quadrature in the state vector: ``{'a', ['d',] 'b1', 'b2'}``, then with
    ``counter_rotating`` the far components ``aS, aAS, [dS, dAS,] b1F, b2F``."""
    near = _INDEX_PROBES if params.has_probes else _INDEX_PUMPS
    out = dict(near)
    if params.counter_rotating:
        for k, name in enumerate(_FAR_PROBES if params.has_probes else _FAR_PUMPS):
            out[name] = 2 * (len(near) + k)
    return out


def theta(params):
    """Internal parameter vector for :func:`entangled_drums.physics._kernels.drift` (order ``THETA_FIELDS``)."""
    p = params
    return np.array(
        [
            to_internal(p.Omega),
            to_internal(p.Delta),
            to_internal(p.delta_bar),
            to_internal(p.probe_detuning),
            to_internal(p.G_minus),
            to_internal(p.G_plus),
            p.g_ratio,
            to_internal(p.probe_g_minus),
            to_internal(p.probe_g_plus),
            p.probe_phase,
            to_internal(p.kappa),
            to_internal(p.gamma1),
            to_internal(p.gamma2),
            to_internal(0.5 * (p.f1 + p.f2)),
            to_internal(p.cavity_shift),
        ]
    )


def drift_matrix(params):
    """Drift matrix ``A`` (internal units) and the decay rate of each mode."""
    return _kernels.drift(theta(params), params.has_probes, params.counter_rotating)


def linear_system(params):
    """The :class:`~entangled_drums.physics.linear.LinearSystem` of ``params`` (raises if unstable)."""
    A, rates = drift_matrix(params)
    if params.has_probes:
        occupations = [params.n_c, params.n_c, params.n_m1, params.n_m2]
    else:
        occupations = [params.n_c, params.n_m1, params.n_m2]
    if params.counter_rotating:  # the far cavity components see the cavity's bath, each far drum its drum's
        occupations += [params.n_c] * (4 if params.has_probes else 2) + [params.n_m1, params.n_m2]
    try:
        replica_above = to_internal(0.5 * (params.f1 + params.f2)) if params.counter_rotating else np.inf
        return LinearSystem(A, rates, np.array(occupations), replica_above)
    except UnstableSystemError as err:  # name the parameters that put it there
        raise UnstableSystemError(
            f"{err} at G_minus = {params.G_minus:.6g} Hz, G_plus = {params.G_plus:.6g} Hz, "
            f"Delta = {params.Delta:.6g} Hz, "
            f"delta_bar = {params.delta_bar:.6g} Hz (a steady state needs G_plus < G_minus and Delta inside the "
            "stability window)"
        ) from None


def steady_state(params):
    """Symmetrised steady-state covariance of ``(x_a, p_a, [x_d, p_d,] x1, p1, x2, p2)``.

    Vacuum variance 1/2. Raises :class:`UnstableSystemError` (a ``ValueError``) naming the
    unstable eigenvalue when no steady state exists (e.g. ``G_plus >= G_minus``).
    """
    return linear_system(params).covariance()


def collective_covariances(V, params):
    """2x2 covariances of ``(X+, P+)`` and of ``(P-, -X-)`` from the full covariance ``V``."""
    idx = quadrature_index(params)
    b1, b2 = idx["b1"], idx["b2"]
    s = 1.0 / np.sqrt(2.0)
    # rows: X+, P+, P-, -X-  over (x1, p1, x2, p2)
    T = s * np.array([[1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 0.0, 1.0], [0.0, -1.0, 0.0, 1.0], [1.0, 0.0, -1.0, 0.0]])
    sub = V[np.ix_([b1, b1 + 1, b2, b2 + 1], [b1, b1 + 1, b2, b2 + 1])]
    C = T @ sub @ T.T
    return C[:2, :2], C[2:, 2:]


def _rotated_variance(C, phi):
    c, s = np.cos(phi), np.sin(phi)
    return c * c * C[0, 0] + s * s * C[1, 1] + 2.0 * c * s * C[0, 1]


def collective_variances(params, phi, V=None):
    """``(<(X+^phi)^2>, <(P-^phi)^2>)`` for angle(s) ``phi`` (rad, any shape).

    ``X+^phi = X+ cos phi + P+ sin phi``, ``P-^phi = P- cos phi - X- sin phi``. Pass the
    covariance ``V`` to reuse a steady state already computed.
    """
    V = steady_state(params) if V is None else V
    Cx, Cp = collective_covariances(V, params)
    phi = np.asarray(phi, dtype=float)
    return _rotated_variance(Cx, phi), _rotated_variance(Cp, phi)


def phase_curves(params, V=None):
    """Coefficients ``(a, b, c)`` of ``<(X+^phi)^2>`` and of ``<(P-^phi)^2>``, each ``a + b cos 2phi +
    c sin 2phi`` (phi in rad): a (2, 3) array, rows X+ and P-. The Duan quantity at one phase is the
    sum of the two rows' curves there."""
    V = steady_state(params) if V is None else V
    return np.array(
        [[0.5 * (C[0, 0] + C[1, 1]), 0.5 * (C[0, 0] - C[1, 1]), C[0, 1]] for C in collective_covariances(V, params)]
    )


def duan(params, phi, V=None):
    """Duan quantity ``<(X+^phi)^2> + <(P-^phi)^2>`` (entangled if < 1)."""
    x, p = collective_variances(params, phi, V)
    return x + p


def optimal_phase(params, V=None):
    """Angle ``phi`` (rad, in (-pi/2, pi/2]) minimising the Duan quantity, and its minimum.

    The Duan quantity is ``c0 + c1 cos 2phi + c2 sin 2phi``; its minimum is closed form.
    """
    V = steady_state(params) if V is None else V
    Cx, Cp = collective_covariances(V, params)
    C = Cx + Cp
    c0 = 0.5 * (C[0, 0] + C[1, 1])
    c1 = 0.5 * (C[0, 0] - C[1, 1])
    c2 = C[0, 1]
    phi = 0.5 * np.arctan2(-c2, -c1)
    return float(phi), float(c0 - np.hypot(c1, c2))


def single_tone(params, drum, G, detuning=0.0):
    """``Params`` for one red tone on the lower sideband of ``drum`` (1 or 2), no other tone.

    ``detuning``: offset (Hz) of the tone from that drum's true sideband ``f_c - f_drum``.
    For drum 2 the drums are relabelled (f1 <-> f2, gamma, baths swapped, g_ratio -> 1/g_ratio)
    so that ``G_minus`` addresses it; the other drum still couples off-resonantly. Spectra
    computed from the result are at the usual lab offsets ``f - f_c``.
    """
    probes_off = dict(probe_g_minus=0.0, probe_g_plus=0.0)
    if drum == 1:
        return params.replace(G_minus=G, G_plus=0.0, delta_minus=detuning, delta_plus=0.0, **probes_off)
    if drum == 2:
        p = params
        return p.replace(
            f1=p.f2,
            f2=p.f1,
            gamma1=p.gamma2,
            gamma2=p.gamma1,
            n_m1=p.n_m2,
            n_m2=p.n_m1,
            g_ratio=1.0 / p.g_ratio,
            G_minus=G,
            G_plus=0.0,
            delta_minus=detuning,
            delta_plus=0.0,
            **probes_off,
        )
    raise ValueError(f"drum must be 1 or 2, not {drum!r}")
