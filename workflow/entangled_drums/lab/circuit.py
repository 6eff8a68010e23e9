"""The laboratory's forward model: a linear input-output solver in the lab frame, every tone at once.

The analysis (:mod:`entangled_drums.physics`) works in a rotating frame where its Hamiltonian is time
independent: it keeps, for each pump, only the coupling that is resonant with a drum (beam splitter
for a red tone, two-mode squeezing for a blue one) and treats the probes' sidebands as a second
cavity mode. This module writes the same physics the other way round, from the equations of motion
in the laboratory frame, and keeps what the analysis drops.

**Equations** (frequencies f = ω/2π in Hz; ħ = 1). One cavity mode ``a`` (frequency ``f_c + shift``,
ports ``in``, ``out``, ``int`` with rates κ_p, total κ) and two drums ``b_j`` (``f_j``, damping γ_j,
single-photon couplings ``g_j``), driven by coherent tones ``k`` of intracavity amplitude α_k at
``f_c + δ_k``. Linearised about the tones, H_int = −Σ_jk g_j (α_k* e^{+i2πf_k t} a + α_k e^{−i2πf_k t} a†)
(b_j + b_j†). In the frequency domain every product with a tone shifts a component by ±f_k, so
the component of ``a`` at f couples to ``b_j`` and ``b_j†`` at f − f_k, and those to ``a`` at
f − f_k + f_l and to ``a†`` at f − f_k − f_l, and so on: a lattice of components at every
sideband the tones create. Per component (``x[f]``, ``x†[f] = (x[−f])†``), in Hz units:

    a[f_c+δ]:   (κ/2 − i(δ − shift)) a − i Σ g_j α_k (b_j + b_j†)[δ − δ_k]        = Σ_p √κ_p ξ_p
    a†[−f_c−δ]: (κ/2 + i(δ − shift)) a† + i Σ g_j α_k* (b_j + b_j†)[δ_k − δ]      = Σ_p √κ_p ξ_p†
    b_j[ν]:     (γ_j/2 − i(ν − f_j)) b_j − i g_j Σ (α_k* a[ν + f_k] + α_k a†[ν − f_k]) = √γ_j ξ_j
    b_j†[ν]:    (γ_j/2 − i(ν + f_j)) b_j† + i g_j Σ (α_k a†[ν − f_k] + α_k* a[ν + f_k]) = √γ_j ξ_j†

(all rates in Hz, the common factor 2π divided out; ξ unit white noises: ⟨ξ†ξ⟩ = n, ⟨ξξ†⟩ = n + 1
per unit bandwidth, with the occupation n of its bath). The lattice is built breadth first from the
component asked for, up to ``max_hops`` couplings away, and solved as one linear system per
frequency; the normal-ordered output spectrum at the output port (quanta, photons s⁻¹ Hz⁻¹) is
``Σ |T|² n`` over every input with ``a_out = ξ_out − √κ_out a``.

**What it keeps that the analysis drops** (each can be switched off, for the comparison that
checks this module against the analysis where the extra terms vanish, ``tests/test_lab.py``):

* ``counter_rotating``: the squeezing coupling of red tones and the beam-splitter coupling of blue
  ones, off resonance by about twice a drum frequency (the analysis assumes κ ≪ ω_m; here κ/ω_m ≈ 0.14);
* ``cross_terms``: the pumps acting on the probes' sidebands and the probes on the pumps' (the
  analysis' second cavity mode ``d`` sees only the probe tones, its mode ``a`` only the pumps);
* the cavity's ``shift`` with the tones on (the analysis centres the cavity on the f_c it calibrated
  with the pumps off).

The drums' frame moments (:meth:`Lattice.drum_covariance`) are the time averages over the
acquisition of the quadratures in the frame rotating at half the pump spacing, integrated from the
same lattice.
"""

from dataclasses import dataclass, field

import numpy as np

A, B1, B2 = 0, 1, 2
PORTS = ("in", "out", "int")


@dataclass(frozen=True)
class Tone:
    """A coherent drive: lab frequency ``f_c + offset`` (Hz), intracavity amplitude ``alpha`` (√photons,
    its phase the tone's), ``family`` ``"pump"`` or ``"probe"`` (only used with ``cross_terms=False``)."""

    offset: float
    alpha: complex
    family: str = "pump"

    @property
    def red(self):
        return self.offset < 0.0


@dataclass(frozen=True)
class Circuit:
    """The device as the laboratory knows it: rates and frequencies in Hz, occupations in quanta."""

    f_c: float
    kappa_in: float
    kappa_out: float
    kappa_int: float
    f1: float
    f2: float
    gamma1: float
    gamma2: float
    g1: float
    g2: float
    shift: float = 0.0  #: cavity frequency with the tones on, minus f_c
    n_port: dict = field(default_factory=lambda: {"in": 0.0, "out": 0.0, "int": 0.0})
    n_m1: float = 0.0
    n_m2: float = 0.0

    @property
    def kappa(self):
        return self.kappa_in + self.kappa_out + self.kappa_int

    @property
    def n_c(self):
        """The cavity bath's occupation as one number: the ports' occupations weighted by their rates."""
        return sum(getattr(self, f"kappa_{p}") * self.n_port[p] for p in PORTS) / self.kappa


class Lattice:
    """The components coupled to one seed component, as affine functions of the seed's frequency.

    A node is ``(mode, conj, slope, const, family)``: mode A, B1, B2; ``conj`` 1 for the creation part; its
    frequency variable is ``slope * x + const`` for the seed frequency variable ``x`` (for ``a`` nodes
    the offset δ from f_c of ``a[f_c+δ]`` or of ``a†[−f_c−δ]``, for drum nodes the lab frequency ν).
    ``family`` is None but with ``cross_terms=False``: then a cavity component belongs to the family of the
    tone that scattered into it (the seed's is ``seed_family``), only that family's tones act on it, and
    components of the two families at one frequency are distinct (the analysis' modes ``a`` and ``d``).
    """

    def __init__(
        self,
        circuit,
        tones,
        seed,
        max_hops=40,
        counter_rotating=True,
        cross_terms=True,
        x_ref=0.0,
        near=3.0e6,
        far_hops=1,
        seed_family="pump",
    ):
        self.c, self.tones = circuit, list(tones)
        self.counter_rotating, self.cross_terms = counter_rotating, cross_terms
        self.x_ref, self.near, self.far_hops = float(x_ref), near, far_hops
        if len(seed) == 4:
            seed = (*seed, seed_family if (not cross_terms and seed[0] == A) else None)
        self.index, self.nodes, self.links = {}, [], []
        self._add(seed)
        # breadth first: a node near its resonance (within `near` Hz at x_ref) is expanded up to max_hops; one
        # far from it (an off-resonant sideband, weight ~ coupling / detuning) only up to far_hops couplings on
        depth = {self._key(seed): 0}
        frontier = [seed]
        for _ in range(max_hops):
            new = []
            for node in frontier:
                if not self._is_near(node) and depth[self._key(node)] >= far_hops:
                    continue
                for other, _coef in self._neighbours(node):
                    key = self._key(other)
                    if key not in self.index:
                        self._add(other)
                        depth[key] = 0 if self._is_near(other) else depth[self._key(node)] + 1
                        new.append(other)
            frontier = new
        # links among the kept nodes only (a truncated lattice drops the couplings that leave it)
        for node in self.nodes:
            for other, coef in self._neighbours(node):
                j = self.index.get(self._key(other))
                if j is not None:
                    self.links.append((self.index[self._key(node)], j, coef))

    def _is_near(self, node):
        """Is this component within ``near`` Hz of its mode's resonance at the seed value ``x_ref``?"""
        mode, conj, s, c, _ = node
        v = s * self.x_ref + c
        if mode == A:
            return abs(v - self.c.shift) < self.near
        f_j = self.c.f1 if mode == B1 else self.c.f2
        return abs(v - (f_j if conj == 0 else -f_j)) < self.near

    @staticmethod
    def _key(node):
        mode, conj, slope, const, family = node
        return (mode, conj, slope, round(const, 6), family)

    def key_of(self, mode, conj, slope, const, family=None):
        """The index of a node (family as in this lattice: None unless ``cross_terms=False``)."""
        return self.index[self._key((mode, conj, slope, const, family))]

    def _add(self, node):
        self.index[self._key(node)] = len(self.nodes)
        self.nodes.append(node)

    def _kept(self, tone, kind):
        """Does the lattice keep ``tone``'s coupling of ``kind`` ("bs" beam splitter, "sq" squeezing)?"""
        return self.counter_rotating or kind == ("bs" if tone.red else "sq")

    def _neighbours(self, node):
        """(neighbour node, matrix coefficient in this node's row) for every coupling of ``node``."""
        mode, conj, s, c, fam = node
        g = {B1: self.c.g1, B2: self.c.g2}
        out = []
        if mode == A:
            tones = [t for t in self.tones if fam is None or t.family == fam]
            for t in tones:
                for j in (B1, B2):
                    if conj == 0:  # a[δ] ← (b_j + b_j†)[δ − δ_k]: coefficient −i g α
                        nu = (s, c - t.offset, None)
                        if self._kept(t, "bs"):
                            out.append(((j, 0, *nu), -1j * g[j] * t.alpha))
                        if self._kept(t, "sq"):
                            out.append(((j, 1, *nu), -1j * g[j] * t.alpha))
                    else:  # a†[−f_c−δ] ← (b_j + b_j†)[δ_k − δ]: coefficient +i g α*
                        nu = (-s, t.offset - c, None)
                        if self._kept(t, "bs"):
                            out.append(((j, 1, *nu), 1j * g[j] * np.conj(t.alpha)))
                        if self._kept(t, "sq"):
                            out.append(((j, 0, *nu), 1j * g[j] * np.conj(t.alpha)))
        else:
            sign = -1j if conj == 0 else 1j
            for t in self.tones:
                fam_t = None if self.cross_terms else t.family
                a_plain = (s, c + t.offset, fam_t)  # a[ν + f_k]: δ = ν + δ_k
                a_dagger = (-s, t.offset - c, fam_t)  # a†[ν − f_k]: δ = δ_k − ν
                # b: α* a (bs), α a† (sq); b†: α a† (bs), α* a (sq)
                if self._kept(t, "bs" if conj == 0 else "sq"):
                    out.append(((A, 0, *a_plain), sign * g[mode] * np.conj(t.alpha)))
                if self._kept(t, "sq" if conj == 0 else "bs"):
                    out.append(((A, 1, *a_dagger), sign * g[mode] * t.alpha))
        return out

    def matrix(self, x):
        """The system matrix at seed frequencies ``x`` (Hz, shape (n,)): shape (n, N, N)."""
        x = np.atleast_1d(np.asarray(x, dtype=float))
        n_nodes = len(self.nodes)
        M = np.zeros((x.size, n_nodes, n_nodes), dtype=complex)
        c = self.c
        for i, (mode, conj, s, k, _) in enumerate(self.nodes):
            v = s * x + k
            if mode == A:
                M[:, i, i] = 0.5 * c.kappa - 1j * (v - c.shift) if conj == 0 else 0.5 * c.kappa + 1j * (v - c.shift)
            else:
                f_j, gamma = (c.f1, c.gamma1) if mode == B1 else (c.f2, c.gamma2)
                M[:, i, i] = 0.5 * gamma - 1j * (v - f_j) if conj == 0 else 0.5 * gamma - 1j * (v + f_j)
        for i, j, coef in self.links:
            M[:, i, j] += coef
        return M

    def inputs(self):
        """Per node its noise inputs: list of (node index, rate, occupation, is_creation, name)."""
        c = self.c
        rows = []
        for i, (mode, conj, *_) in enumerate(self.nodes):
            if mode == A:
                for p in PORTS:
                    rows.append((i, getattr(c, f"kappa_{p}"), c.n_port[p], conj == 1, p))
            else:
                gamma, n = (c.gamma1, c.n_m1) if mode == B1 else (c.gamma2, c.n_m2)
                rows.append((i, gamma, n, conj == 1, f"drum{mode}"))
        return rows

    def seed_row(self, x, check=3, rtol=1e-9):
        """Row 0 of ``M(x)⁻¹`` at every ``x`` (Hz): shape (n, N) (:meth:`rows`)."""
        return self.rows(x, [0], check, rtol)[:, 0, :]

    def rows(self, x, idx, check=3, rtol=1e-9):
        """Rows ``idx`` of ``M(x)⁻¹`` at every ``x`` (Hz): shape (n, len(idx), N).

        ``M(x) = M0 + x C`` with ``C`` diagonal (each node's frequency is affine in x), so
        ``M(x)⁻¹ = V (Λ + x)⁻¹ V⁻¹ C⁻¹`` with ``C⁻¹ M0 = V Λ V⁻¹`` diagonalised once. The result is checked
        against direct solves at ``check`` frequencies; where the eigenbasis is too poorly conditioned
        for ``rtol`` it falls back to direct solves at every frequency."""
        x = np.atleast_1d(np.asarray(x, dtype=float))
        idx = list(idx)
        M0, C = self._affine()
        lam, V = np.linalg.eig(M0 / C[:, None])
        try:
            right = np.linalg.solve(V, np.diag(1.0 / C))  # V⁻¹ C⁻¹
        except np.linalg.LinAlgError:
            right = None
        if right is not None:
            left = V[idx]  # (k, N)
            R = np.einsum("kn,xn,nm->xkm", left, 1.0 / (lam[None, :] + x[:, None]), right, optimize=True)
            probe = np.unique(np.linspace(0, x.size - 1, min(check, x.size)).astype(int))
            direct = self._direct_rows(x[probe], idx)
            if np.max(np.abs(R[probe] - direct)) <= rtol * np.max(np.abs(direct)):
                return R
        return self._direct_rows(x, idx)

    def _direct_rows(self, x, idx):
        """Rows ``idx`` of ``M(x)⁻¹`` by solving ``M(x)ᵀ r = e_i`` at each frequency."""
        M = self.matrix(x)
        e = np.zeros((x.size, len(self.nodes), len(idx)), dtype=complex)
        for k, i in enumerate(idx):
            e[:, i, k] = 1.0
        return np.swapaxes(np.linalg.solve(np.swapaxes(M, 1, 2), e), 1, 2)

    def _affine(self):
        """``(M0, C)`` with ``M(x) = M0 + x diag(C)``: every node's frequency is affine in the seed's."""
        M0 = self.matrix(np.zeros(1))[0]
        return M0, np.diag(self.matrix(np.ones(1))[0] - M0)

    def poles(self):
        """The frequencies x (Hz, complex) where ``M(x)`` is singular: the lattice's modes. A damped mode has its
        pole below the real axis (Im x = -rate/2); a pole above it is a mode that grows: no steady state."""
        M0, C = self._affine()
        return -np.linalg.eigvals(M0 / C[:, None])


def output_spectrum(circuit, tones, offsets, **options):
    """Normal-ordered spectrum (quanta) at the output port at lab frequencies ``f_c + offsets`` (Hz).

    ``options``: ``max_hops``, ``counter_rotating``, ``cross_terms``, ``x_ref``, ``near``, ``far_hops``,
    ``seed_family`` (see :class:`Lattice`).
    The lattice's couplings do not depend on the frequency, so one lattice serves every frequency.
    """
    offsets = np.asarray(offsets, dtype=float)
    lattice = Lattice(circuit, tones, (A, 0, 1, 0.0), **options)
    R = lattice.seed_row(offsets)  # the seed's row of M⁻¹: a[f] in terms of every node's input
    S = np.zeros(offsets.size)
    k_out = circuit.kappa_out
    for i, rate, n, creation, name in lattice.inputs():
        T = np.sqrt(k_out * rate) * R[:, i]
        if i == 0 and name == "out":  # a_out = ξ_out − √κ_out a: the direct term of the seed's own port
            T = 1.0 - T
        S += np.abs(T) ** 2 * (n + 1.0 if creation else n)
    return S


def quadrature_grid(centres, span, order=12):
    """Nodes and weights (Hz) of a composite Gauss-Legendre rule on the whole real line: panels that
    shrink geometrically towards each of ``centres`` (down to 1 Hz) inside ``[-span, span]``, and the
    two tails beyond ``span`` mapped to ``(0, 1]`` by ``w = span / t``."""
    x, wts = np.polynomial.legendre.leggauss(order)
    edges = set(np.linspace(-span, span, 201))
    for c in centres:
        for d in np.geomspace(1.0, span, 60):
            edges.update((c - d, c + d))
    edges = np.array(sorted(e for e in edges if -span <= e <= span))
    a, b = edges[:-1], edges[1:]
    nodes = (0.5 * (b - a))[:, None] * x[None, :] + (0.5 * (a + b))[:, None]
    weights = (0.5 * (b - a))[:, None] * wts[None, :]
    t, tw = 0.5 * (x + 1.0), 0.5 * wts  # tails: ∫_span^∞ f(w) dw = ∫_0^1 f(span/t) span/t² dt
    tail = span / t
    return (
        np.concatenate([nodes.ravel(), tail, -tail]),
        np.concatenate([weights.ravel(), tw * span / t**2, tw * span / t**2]),
    )


def drum_covariance(circuit, tones, frame, centres=(), span=None, order=12, **options):
    """Time-averaged covariance of (x1, p1, x2, p2), the drums' quadratures in the frame rotating at
    ``frame`` (Hz), with vacuum ½: the spectral correlations of the four components at one frame
    frequency w, integrated over w on the whole line (:func:`quadrature_grid`, refined towards the
    frame frequencies ``centres`` where the spectra are narrow; ``span`` default 20 κ). Returns
    ``(V, largest imaginary part)``: V (4, 4) real symmetric; the imaginary part is a check (~1e-15).

    With the matrices in Hz (the factor 2π divided out) a component is ``M⁻¹ √(rate/2π) ξ`` per unit
    angular bandwidth; the second moments are ``∫ df (M⁻¹ rate M⁻¹†)/(2π)`` with the bath factors."""
    # seed b1[ν] with ν = frame + w; the other components sit at fixed offsets in the same lattice
    options.setdefault("x_ref", frame)
    lattice = Lattice(circuit, tones, (B1, 0, 1, 0.0), **options)
    want = [(B1, 0, 1, 0.0), (B2, 0, 1, 0.0), (B1, 1, 1, -2 * frame), (B2, 1, 1, -2 * frame)]
    idx = [lattice.key_of(*n) for n in want]
    inputs = lattice.inputs()
    cols = np.array([i for i, *_ in inputs])
    weight = np.array([rate * (n if creation else n + 1.0) for _, rate, n, creation, _ in inputs]) / (2 * np.pi)
    span = 20.0 * circuit.kappa if span is None else span
    w, dw = quadrature_grid(centres, span, order)
    C = np.zeros((4, 4), dtype=complex)
    for chunk in np.array_split(np.arange(w.size), max(1, w.size // 4000)):
        v = lattice.rows(frame + w[chunk], idx)[:, :, cols]  # (n, 4, inputs)
        C += np.einsum("k,kmi,i,kni->mn", dw[chunk], v, weight, np.conj(v))
    P = np.array([[0, 0, 1, 0], [0, 0, 0, 1], [1, 0, 0, 0], [0, 1, 0, 0]])
    W = C @ P.T  # <v_m v_n> with v = (b1, b2, b1†, b2†) in the frame
    W = 0.5 * (W + W.T)  # symmetrised
    s = 1 / np.sqrt(2)
    L = np.array([[s, 0, s, 0], [-1j * s, 0, 1j * s, 0], [0, s, 0, s], [0, -1j * s, 0, 1j * s]])
    V = L @ W @ L.T
    return V.real, float(np.abs(V.imag).max())
