"""Compiled (numba) kernels for the model's hot path: the MCMC calls them ~10^6 times.

Only arithmetic lives here; the meaning of every quantity is documented in
:mod:`entangled_drums.physics.linear` (eigenmode formulas) and :mod:`entangled_drums.physics.model` (drift).
Each kernel has a plain-numpy twin or reference that the tests compare it with.
"""

import numpy as np
from numba import njit

# Layout of the internal parameter vector theta (all rates in internal units, phi in rad).
THETA_FIELDS = (
    "Omega",
    "Delta",
    "delta_bar",
    "probe_detuning",
    "G_minus",
    "G_plus",
    "g_ratio",
    "probe_g_minus",
    "probe_g_plus",
    "probe_phase",
    "kappa",
    "gamma1",
    "gamma2",
    "fbar",
    "cavity_shift",
)


@njit(cache=True, error_model="numpy")
def _couple(H, i, j, bs, sq, phi):
    c = np.cos(phi)
    s = np.sin(phi)
    H[i, j] += (bs + sq) * c
    H[i + 1, j + 1] += (bs - sq) * c
    H[i, j + 1] += (bs + sq) * s
    H[i + 1, j] += (sq - bs) * s


@njit(cache=True, error_model="numpy")
def _set_mode(H, i, h):
    H[i, i] = H[i + 1, i + 1] = h


@njit(cache=True, error_model="numpy")
def drift(theta, probes, far):
    """Drift matrix ``A = J H - Gamma/2`` and rate per mode, for the quadratures of the modes
    ``(a, [d,] b1, b2[, aS, aAS, [dS, dAS,] b1F, b2F])`` (``far``: the off-resonant components). See model.py."""
    Om, Dl, db, dd, Gm, Gp, rho, gm, gp, phi, kappa, g1, g2, fbar, sh = theta
    n_near = 4 if probes else 3
    n_modes = n_near + ((6 if probes else 4) if far else 0)
    n = 2 * n_modes
    b1 = 2 * n_near - 4
    b2 = b1 + 2
    H = np.zeros((n, n))
    _set_mode(H, 0, -(Om + db) + sh)
    _set_mode(H, b1, -(Om + Dl))
    _set_mode(H, b2, Om - Dl)
    _couple(H, 0, b1, Gm, rho * Gp, 0.0)
    _couple(H, 0, b2, Gm / rho, Gp, 0.0)
    if probes:
        _set_mode(H, 2, -dd + sh)
        _couple(H, 2, b1, gm, rho * gp, phi)
        _couple(H, 2, b2, gm / rho, gp, phi)
    if far:
        # The components each tone's off-resonant coupling reaches (docs/model.md §2): the red pump's Stokes
        # sideband aS and the blue pump's anti-Stokes aAS of the cavity (near f_c -+ 2 fbar), and each drum's
        # component at minus its frame frequency (bF, driven by the blue pump's beam splitter and the red pump's
        # squeezing); likewise the probes' sidebands dS, dAS. Each pair whose frames differ by a tone couples.
        wd = fbar + Dl  # the drums' frame
        aS = 2 * n_near
        aAS = aS + 2
        dS = aAS + 2
        dAS = dS + 2
        b1F = n - 4
        b2F = n - 2
        _set_mode(H, aS, 2.0 * wd - Om - db + sh)
        _set_mode(H, aAS, -2.0 * wd - Om - db + sh)
        _set_mode(H, b1F, wd + fbar - Om)
        _set_mode(H, b2F, wd + fbar + Om)
        _couple(H, b1, aS, 0.0, Gm, 0.0)
        _couple(H, b2, aS, 0.0, Gm / rho, 0.0)
        _couple(H, b1, aAS, rho * Gp, 0.0, 0.0)
        _couple(H, b2, aAS, Gp, 0.0, 0.0)
        _couple(H, 0, b1F, rho * Gp, Gm, 0.0)
        _couple(H, 0, b2F, Gp, Gm / rho, 0.0)
        _couple(H, aS, b1F, Gm, 0.0, 0.0)
        _couple(H, aS, b2F, Gm / rho, 0.0, 0.0)
        _couple(H, aAS, b1F, 0.0, rho * Gp, 0.0)
        _couple(H, aAS, b2F, 0.0, Gp, 0.0)
        if probes:  # the red probe's amplitude carries e^{-i phi}, the blue one's e^{+i phi}
            _set_mode(H, dS, 2.0 * wd - dd + sh)
            _set_mode(H, dAS, -2.0 * wd - dd + sh)
            _couple(H, b1, dS, 0.0, gm, -phi)
            _couple(H, b2, dS, 0.0, gm / rho, -phi)
            _couple(H, b1, dAS, rho * gp, 0.0, phi)
            _couple(H, b2, dAS, gp, 0.0, phi)
            _couple(H, 2, b1F, rho * gp, gm, -phi)
            _couple(H, 2, b2F, gp, gm / rho, -phi)
            _couple(H, dS, b1F, gm, 0.0, phi)
            _couple(H, dS, b2F, gm / rho, 0.0, phi)
            _couple(H, dAS, b1F, 0.0, rho * gp, phi)
            _couple(H, dAS, b2F, 0.0, gp, phi)
    for i in range(n):  # mirror the upper triangle
        for j in range(i + 1, n):
            H[j, i] = H[i, j]
    A = np.empty((n, n))
    for i in range(0, n, 2):  # J H: row x <- row p of H, row p <- -(row x of H)
        for j in range(n):
            A[i, j] = H[i + 1, j]
            A[i + 1, j] = -H[i, j]
    rates = np.empty(n_modes)
    for k in range(n_modes):
        rates[k] = kappa
    rates[b1 // 2] = g1
    rates[b2 // 2] = g2
    if far:
        rates[-2] = g1
        rates[-1] = g2
    for k in range(n_modes):
        A[2 * k, 2 * k] -= 0.5 * rates[k]
        A[2 * k + 1, 2 * k + 1] -= 0.5 * rates[k]
    return A, rates


@njit(cache=True, error_model="numpy")
def drift_floquet(theta, far, cross, order):
    """Drift matrix ``A = J H - Gamma/2`` and rate per mode of the truncated Floquet lattice in the beat
    ``Omega_b = Omega + dbar - delta_d`` between the pumps' and the probes' frames (physics/floquet.py).

    Modes, in this order: the cavity components ``c_m^(n)`` (``n = 0[, -1, +1]``, each ``m = -order .. order + 1``),
    then the drum components ``b_j^(p, k)`` (``j = 1, 2``, each ``p = 0[, -1]``, each ``k = -order .. order``); the
    bracketed ones with ``far``. ``cross``: every tone acts on every harmonic; otherwise the pumps act on ``c_1`` and
    the probes on ``c_0`` only, and the components ``c_0, c_1, b_j^(p, 0)`` are the modes of :func:`drift`.
    """
    Om, Dl, db, dd, Gm, Gp, rho, gm, gp, phi, kappa, g1, g2, fbar, sh = theta
    M = order
    n_m = 2 * M + 2
    n_k = 2 * M + 1
    n_fam = 3 if far else 1
    n_side = 2 if far else 1
    n_cav = n_fam * n_m
    n_modes = n_cav + 2 * n_side * n_k
    n = 2 * n_modes
    wd = fbar + Dl  # the drums' frame
    Ob = Om + db - dd  # the beat: pump frame minus probe frame
    # tones in units of (wd, Ob) above the probe frame: red pump, blue pump, red probe, blue probe; their
    # couplings on drum 1 and drum 2 and the phase of their amplitude
    sw = np.array([-1, 1, -1, 1])
    so = np.array([1, 1, 0, 0])
    on1 = np.array([Gm, rho * Gp, gm, rho * gp])
    on2 = np.array([Gm / rho, Gp, gm / rho, gp])
    th = np.array([0.0, 0.0, -phi, phi])
    H = np.zeros((n, n))
    rates = np.empty(n_modes)
    for f in range(n_fam):
        nn = 0 if f == 0 else 2 * f - 3  # 0, -1 (Stokes), +1 (anti-Stokes)
        for m in range(-M, M + 2):
            ci = 2 * (f * n_m + m + M)
            _set_mode(H, ci, -(dd + m * Ob + 2.0 * nn * wd) + sh)
            rates[ci // 2] = kappa
    for j in range(2):
        fj = fbar - Om if j == 0 else fbar + Om
        for side in range(n_side):
            p = -side  # 0: the drum's component at +wd, -1: at -wd (far)
            for k in range(-M, M + 1):
                di = 2 * (n_cav + (j * n_side + side) * n_k + k + M)
                _set_mode(H, di, fj - ((2 * p + 1) * wd + k * Ob))
                rates[di // 2] = g1 if j == 0 else g2
    # Tone T = (sw, so) links cavity (2n, m) and drum (2p + 1, k) as a beam splitter if (2p + 1, k) = (2n, m) - T,
    # as a squeezer if (2p + 1, k) = T - (2n, m).
    for f in range(n_fam):
        nn = 0 if f == 0 else 2 * f - 3
        for m in range(-M, M + 2):
            ci = 2 * (f * n_m + m + M)
            for t in range(4):
                if not cross and m != so[t]:  # each family on its own harmonic: pumps on c_1, probes on c_0
                    continue
                for kind in range(2):
                    if kind == 0:
                        a = 2 * nn - sw[t]
                        k = m - so[t]
                    else:
                        a = sw[t] - 2 * nn
                        k = so[t] - m
                    if a == 1:
                        side = 0
                    elif a == -1 and far:
                        side = 1
                    else:
                        continue
                    if k < -M or k > M:
                        continue
                    for j in range(2):
                        g = on1[t] if j == 0 else on2[t]
                        di = 2 * (n_cav + (j * n_side + side) * n_k + k + M)
                        if kind == 0:
                            _couple(H, ci, di, g, 0.0, -th[t])
                        else:
                            _couple(H, ci, di, 0.0, g, th[t])
    for i in range(n):  # mirror the upper triangle (every link has its cavity index first)
        for j in range(i + 1, n):
            H[j, i] = H[i, j]
    A = np.empty((n, n))
    for i in range(0, n, 2):
        for j in range(n):
            A[i, j] = H[i + 1, j]
            A[i + 1, j] = -H[i, j]
    for k in range(n_modes):
        A[2 * k, 2 * k] -= 0.5 * rates[k]
        A[2 * k + 1, 2 * k + 1] -= 0.5 * rates[k]
    return A, rates


_EPS = 2.220446049250313e-16


@njit(cache=True, error_model="numpy", fastmath=True)
def _schur(A):
    """Complex Schur form ``A = Q T Q^H`` (T upper triangular) of a small matrix.

    Householder reduction to Hessenberg form, then single-shift (Wilkinson) QR sweeps with
    Givens rotations and deflation. For 6x6 / 8x8 this is ~5x faster than LAPACK's geev
    through numpy, whose per-call overhead dominates at this size. Returns ``(T, Q, ok)``;
    ``ok`` is False if the iteration did not converge (the caller then uses LAPACK).
    """
    n = A.shape[0]
    H = A.astype(np.complex128)
    Q = np.eye(n, dtype=np.complex128)
    v = np.empty(n, dtype=np.complex128)
    for k in range(n - 2):  # Householder: zero H[k+2:, k]
        norm_x = 0.0
        for i in range(k + 1, n):
            norm_x += abs(H[i, k]) ** 2
        norm_x = np.sqrt(norm_x)
        if norm_x == 0.0:
            continue
        x0 = H[k + 1, k]
        phase = x0 / abs(x0) if abs(x0) > 0.0 else 1.0 + 0j
        for i in range(k + 1, n):
            v[i] = H[i, k]
        v[k + 1] += phase * norm_x
        norm_v = 0.0
        for i in range(k + 1, n):
            norm_v += abs(v[i]) ** 2
        norm_v = np.sqrt(norm_v)
        for i in range(k + 1, n):
            v[i] /= norm_v
        for j in range(n):  # H <- (I - 2 v v^H) H
            acc = 0j
            for i in range(k + 1, n):
                acc += np.conj(v[i]) * H[i, j]
            for i in range(k + 1, n):
                H[i, j] -= 2.0 * v[i] * acc
        for i in range(n):  # H <- H (I - 2 v v^H), Q <- Q (I - 2 v v^H)
            acc = 0j
            accq = 0j
            for j in range(k + 1, n):
                acc += H[i, j] * v[j]
                accq += Q[i, j] * v[j]
            for j in range(k + 1, n):
                H[i, j] -= 2.0 * acc * np.conj(v[j])
                Q[i, j] -= 2.0 * accq * np.conj(v[j])
        for i in range(k + 2, n):
            H[i, k] = 0.0
    hi = n - 1
    iterations = 0
    total = 0
    while hi > 0:
        lo = hi
        while lo > 0:
            if abs(H[lo, lo - 1]) <= _EPS * (abs(H[lo - 1, lo - 1]) + abs(H[lo, lo])):
                H[lo, lo - 1] = 0.0
                break
            lo -= 1
        if lo == hi:
            hi -= 1
            iterations = 0
            continue
        iterations += 1
        total += 1
        if total > 60 * n:
            return H, Q, False
        a = H[hi - 1, hi - 1]
        b = H[hi - 1, hi]
        c = H[hi, hi - 1]
        d = H[hi, hi]
        if iterations % 11 == 10:  # exceptional shift against cycling
            mu = d + abs(c)
        else:
            half = 0.5 * (a - d)
            root = np.sqrt(half * half + b * c)
            mu1 = d - half + root
            mu2 = d - half - root
            mu = mu1 if abs(mu1 - d) < abs(mu2 - d) else mu2
        for k in range(lo, hi):  # implicit QR sweep (bulge chase) on the active block
            if k == lo:
                x = H[lo, lo] - mu
                y = H[lo + 1, lo]
            else:
                x = H[k, k - 1]
                y = H[k + 1, k - 1]
            r = np.sqrt(abs(x) ** 2 + abs(y) ** 2)
            if r == 0.0:
                continue
            if abs(x) == 0.0:
                cr = 0.0
                sn = np.conj(y) / abs(y)
            else:
                cr = abs(x) / r
                sn = (x / abs(x)) * np.conj(y) / r
            for j in range(max(k - 1, 0), n):  # rows k, k+1
                h1 = H[k, j]
                h2 = H[k + 1, j]
                H[k, j] = cr * h1 + sn * h2
                H[k + 1, j] = -np.conj(sn) * h1 + cr * h2
            for i in range(min(k + 3, hi + 1)):  # columns k, k+1
                h1 = H[i, k]
                h2 = H[i, k + 1]
                H[i, k] = cr * h1 + np.conj(sn) * h2
                H[i, k + 1] = -sn * h1 + cr * h2
            for i in range(n):
                q1 = Q[i, k]
                q2 = Q[i, k + 1]
                Q[i, k] = cr * q1 + np.conj(sn) * q2
                Q[i, k + 1] = -sn * q1 + cr * q2
            if k > lo:
                H[k + 1, k - 1] = 0.0
    return H, Q, True


@njit(cache=True, error_model="numpy", fastmath=True)
def _reflect(H, Q, k, nr, x, y, z, col_from, row_to):
    """Apply the Householder reflector that maps ``(x, y[, z])`` onto the first axis to rows ``k..k+nr-1`` of
    ``H`` (columns ``col_from..n-1``), the same columns of ``H`` (rows ``0..row_to``) and of ``Q``."""
    n = H.shape[0]
    alpha = np.sqrt(x * x + y * y + z * z)
    if alpha == 0.0:
        return
    v0 = x + alpha if x >= 0.0 else x - alpha
    v1 = y
    v2 = z if nr == 3 else 0.0
    beta = 2.0 / (v0 * v0 + v1 * v1 + v2 * v2)
    for j in range(col_from, n):
        s = v0 * H[k, j] + v1 * H[k + 1, j]
        if nr == 3:
            s += v2 * H[k + 2, j]
        s *= beta
        H[k, j] -= s * v0
        H[k + 1, j] -= s * v1
        if nr == 3:
            H[k + 2, j] -= s * v2
    for i in range(row_to + 1):
        s = H[i, k] * v0 + H[i, k + 1] * v1
        if nr == 3:
            s += H[i, k + 2] * v2
        s *= beta
        H[i, k] -= s * v0
        H[i, k + 1] -= s * v1
        if nr == 3:
            H[i, k + 2] -= s * v2
    for i in range(n):
        s = Q[i, k] * v0 + Q[i, k + 1] * v1
        if nr == 3:
            s += Q[i, k + 2] * v2
        s *= beta
        Q[i, k] -= s * v0
        Q[i, k + 1] -= s * v1
        if nr == 3:
            Q[i, k + 2] -= s * v2


@njit(cache=True, error_model="numpy", fastmath=True)
def _real_schur(A):
    """Complex Schur form ``A = Q T Q^H`` of a real matrix by way of its real Schur form.

    Householder reduction to Hessenberg form, Francis double-shift QR sweeps in real arithmetic (Golub & Van
    Loan, Algorithms 7.5.1-7.5.2) to a quasi-triangular ``T`` whose 2x2 blocks hold the complex-conjugate pairs,
    then one complex rotation per 2x2 block to triangular form (as scipy's ``rsf2csf``). For the 14x14 drift of
    the counter-rotating model ~3x faster than :func:`_schur`, which works in complex arithmetic throughout.
    Returns ``(T, Q, ok)``; ``ok`` is False if the iteration did not converge (the caller then uses
    :func:`_schur`).
    """
    n = A.shape[0]
    H = A.astype(np.float64).copy()
    Q = np.eye(n)
    for k in range(n - 2):  # Householder: zero H[k+2:, k]
        x = H[k + 1, k]
        rest = 0.0
        for i in range(k + 2, n):
            rest += H[i, k] * H[i, k]
        if rest == 0.0:
            continue
        alpha = np.sqrt(x * x + rest)
        v = np.zeros(n)
        v[k + 1] = x + alpha if x >= 0.0 else x - alpha
        for i in range(k + 2, n):
            v[i] = H[i, k]
        beta = 2.0 / (v[k + 1] * v[k + 1] + rest)
        for j in range(n):  # H <- (I - beta v v^T) H
            s = 0.0
            for i in range(k + 1, n):
                s += v[i] * H[i, j]
            s *= beta
            for i in range(k + 1, n):
                H[i, j] -= s * v[i]
        for i in range(n):  # H <- H (I - beta v v^T), Q <- Q (I - beta v v^T)
            s = 0.0
            sq = 0.0
            for j in range(k + 1, n):
                s += H[i, j] * v[j]
                sq += Q[i, j] * v[j]
            s *= beta
            sq *= beta
            for j in range(k + 1, n):
                H[i, j] -= s * v[j]
                Q[i, j] -= sq * v[j]
        for i in range(k + 2, n):
            H[i, k] = 0.0
    hi = n - 1
    iterations = 0
    total = 0
    while hi > 0:
        lo = hi
        while lo > 0:
            if abs(H[lo, lo - 1]) <= _EPS * (abs(H[lo - 1, lo - 1]) + abs(H[lo, lo])):
                H[lo, lo - 1] = 0.0
                break
            lo -= 1
        if lo == hi:  # a real eigenvalue
            hi -= 1
            iterations = 0
            continue
        if lo == hi - 1:  # a 2x2 block: split in the complex stage below
            hi -= 2
            iterations = 0
            continue
        iterations += 1
        total += 1
        if total > 60 * n:
            return H.astype(np.complex128), Q.astype(np.complex128), False
        if iterations % 11 == 10:  # exceptional shift against cycling: a double real shift
            mu = H[hi, hi] + abs(H[hi, hi - 1]) + abs(H[hi - 1, hi - 2])
            s = 2.0 * mu
            t = mu * mu
        else:  # the eigenvalues of the trailing 2x2 block
            s = H[hi - 1, hi - 1] + H[hi, hi]
            t = H[hi - 1, hi - 1] * H[hi, hi] - H[hi - 1, hi] * H[hi, hi - 1]
        x = H[lo, lo] * H[lo, lo] + H[lo, lo + 1] * H[lo + 1, lo] - s * H[lo, lo] + t
        y = H[lo + 1, lo] * (H[lo, lo] + H[lo + 1, lo + 1] - s)
        z = H[lo + 1, lo] * H[lo + 2, lo + 1]
        for k in range(lo, hi - 1):  # the bulge chase: a 3-row reflector at rows k..k+2
            _reflect(H, Q, k, 3, x, y, z, max(lo, k - 1), min(k + 3, hi))
            if k > lo:
                H[k + 1, k - 1] = 0.0
                H[k + 2, k - 1] = 0.0
            x = H[k + 1, k]
            y = H[k + 2, k]
            if k < hi - 2:
                z = H[k + 3, k]
        _reflect(H, Q, hi - 1, 2, x, y, 0.0, max(lo, hi - 2), hi)
        if hi - 2 >= lo:
            H[hi, hi - 2] = 0.0
    T = H.astype(np.complex128)
    U = Q.astype(np.complex128)
    for i in range(n):  # below the subdiagonal: exact zeros
        for j in range(i - 1):
            T[i, j] = 0.0
    k = 0
    while k < n - 1:  # one unitary rotation per 2x2 block: G^H B G upper triangular, G's first column B's eigenvector
        if T[k + 1, k] == 0.0:
            k += 1
            continue
        a = T[k, k]
        b = T[k, k + 1]
        c = T[k + 1, k]
        d = T[k + 1, k + 1]
        mu = 0.5 * (a + d) + np.sqrt(0.25 * (a - d) * (a - d) + b * c)
        v0, v1 = b, mu - a
        w0, w1 = mu - d, c
        if abs(w0) ** 2 + abs(w1) ** 2 > abs(v0) ** 2 + abs(v1) ** 2:
            v0, v1 = w0, w1
        norm = np.sqrt(abs(v0) ** 2 + abs(v1) ** 2)
        v0 /= norm
        v1 /= norm
        for i in range(k + 2):  # columns k, k+1: T G
            t0 = T[i, k]
            t1 = T[i, k + 1]
            T[i, k] = t0 * v0 + t1 * v1
            T[i, k + 1] = -t0 * np.conj(v1) + t1 * np.conj(v0)
        for j in range(k, n):  # rows k, k+1: G^H T
            t0 = T[k, j]
            t1 = T[k + 1, j]
            T[k, j] = np.conj(v0) * t0 + np.conj(v1) * t1
            T[k + 1, j] = -v1 * t0 + v0 * t1
        for i in range(n):
            u0 = U[i, k]
            u1 = U[i, k + 1]
            U[i, k] = u0 * v0 + u1 * v1
            U[i, k + 1] = -u0 * np.conj(v1) + u1 * np.conj(v0)
        T[k + 1, k] = 0.0
        k += 2
    return T, U, True


@njit(cache=True, error_model="numpy", fastmath=True)
def eigensystem(A):
    """Eigenvalues, eigenvectors R (unit columns), R^-1 and the condition ``||R||_F ||R^-1||_F``."""
    n = A.shape[0]
    T, Q, ok = _real_schur(A)
    if not ok:
        T, Q, ok = _schur(A)
    if not ok:
        lam, R = np.linalg.eig(A.astype(np.complex128))
        Rinv = np.linalg.inv(R)
        return lam, R, Rinv, np.linalg.norm(R) * np.linalg.norm(Rinv)
    lam = np.empty(n, dtype=np.complex128)
    for k in range(n):
        lam[k] = T[k, k]
    scale = 0.0
    for k in range(n):
        scale = max(scale, abs(lam[k]))
    tiny = max(_EPS * scale, 1e-300)  # a normal number: fastmath flushes subnormals to zero
    Y = np.zeros((n, n), dtype=np.complex128)  # eigenvectors of T (upper triangular)
    for k in range(n):
        Y[k, k] = 1.0
        for j in range(k - 1, -1, -1):
            acc = 0j
            for m in range(j + 1, k + 1):
                acc += T[j, m] * Y[m, k]
            den = T[j, j] - lam[k]
            if abs(den) < tiny:
                den = tiny
            Y[j, k] = -acc / den
    Z = np.zeros((n, n), dtype=np.complex128)  # Y^-1 (upper triangular, unit diagonal)
    for k in range(n):
        Z[k, k] = 1.0
        for j in range(k - 1, -1, -1):
            acc = 0j
            for m in range(j + 1, k + 1):
                acc += Y[j, m] * Z[m, k]
            Z[j, k] = -acc
    R = Q @ Y
    Rinv = Z @ np.conj(Q.T)
    norm_r = 0.0
    norm_rinv = 0.0
    for k in range(n):  # unit columns of R, matching rows of R^-1
        col = 0.0
        for i in range(n):
            col += abs(R[i, k]) ** 2
        col = np.sqrt(col)
        for i in range(n):
            R[i, k] /= col
            Rinv[k, i] *= col
            norm_rinv += abs(Rinv[k, i]) ** 2
        norm_r += 1.0
    return lam, R, Rinv, np.sqrt(norm_r) * np.sqrt(norm_rinv)


@njit(cache=True, error_model="numpy")
def diffusion_diagonal(rates, occupations):
    """``rate (n + 1/2)`` for the x and p quadrature of every mode."""
    out = np.empty(2 * rates.shape[0])
    for k in range(rates.shape[0]):
        out[2 * k] = out[2 * k + 1] = rates[k] * (occupations[k] + 0.5)
    return out


@njit(cache=True, error_model="numpy")
def _sandwich(Rinv, rates, diag_d, with_commutator):
    """``Rinv (D + i K/2) Rinv^H`` (or without ``K``) using the block-diagonal structure."""
    n = Rinv.shape[0]
    M = np.zeros((n, n), dtype=np.complex128)
    for k in range(n):
        for j in range(n):
            acc = 0j
            for m in range(0, n, 2):
                x = m
                p = m + 1
                acc += Rinv[k, x] * diag_d[x] * np.conj(Rinv[j, x]) + Rinv[k, p] * diag_d[p] * np.conj(Rinv[j, p])
                if with_commutator:
                    r = 0.5j * rates[m // 2]
                    acc += Rinv[k, x] * r * np.conj(Rinv[j, p]) - Rinv[k, p] * r * np.conj(Rinv[j, x])
            M[k, j] = acc
    return M


@njit(cache=True, error_model="numpy")
def covariance(lam, R, Rinv, rates, diag_d):
    """Symmetrised ``V = R W R^H``, ``W_kl = -(R^-1 D R^-H)_kl / (lam_k + conj lam_l)`` for two stable poles, its
    negative for two unstable (replica) ones and 0 for one of each (linear.py, replica poles)."""
    n = lam.shape[0]
    W = _sandwich(Rinv, rates, diag_d, False)
    for k in range(n):
        for j in range(n):
            sk = lam[k].real < 0.0
            if sk != (lam[j].real < 0.0):
                W[k, j] = 0.0
            elif sk:
                W[k, j] = -W[k, j] / (lam[k] + np.conj(lam[j]))
            else:
                W[k, j] = W[k, j] / (lam[k] + np.conj(lam[j]))
    V = (R @ W @ np.conj(R.T)).real
    return 0.5 * (V + V.T)


@njit(cache=True, error_model="numpy")
def lorentzian_weights(lam, R, Rinv, rates, diag_d, w):
    """Complex weights ``r_k`` with ``S(omega) = 2 Re sum_k r_k / (i omega - lam_k)``."""
    n = lam.shape[0]
    L = np.conj(w) @ R
    M = _sandwich(Rinv, rates, diag_d, True)
    r = np.zeros(n, dtype=np.complex128)
    for k in range(n):
        for j in range(n):
            r[k] += L[k] * M[k, j] * np.conj(L[j]) / (-(lam[k] + np.conj(lam[j])))
    return r


#: A term whose centre lies this many grid spans (or more) from every grid point is summed by quadratic
#: interpolation through the grid's ends and middle (:func:`lorentzian_sum`).
FAR_SPANS = 8.0


@njit(cache=True, error_model="numpy", fastmath=True)
def lorentzian_sum(a, b, p, q, f, offset, scale):
    """``2 sum_k (p_k a_k + q_k (w - b_k)) / (a_k^2 + (w - b_k)^2)`` at ``w = (f - offset) scale``.

    ``f`` flat. Loop order (terms outer, frequencies inner) lets the compiler vectorise the
    inner loop (fastmath: the inputs are finite and ``a_k^2 + t^2 > 0``). Terms centred at least
    :data:`FAR_SPANS` grid spans away from the grid (the replica poles of the counter-rotating model, ~2 fbar away)
    are smooth across it: their sum is interpolated quadratically through the grid's ends and middle, with a
    relative error of that sum below ~(1/FAR_SPANS)^3 / 10 (tests/test_model.py).
    """
    n = f.shape[0]
    out = np.zeros(n)
    w = np.empty(n)
    lo = np.inf
    hi = -np.inf
    for i in range(n):
        w[i] = (f[i] - offset) * scale
        lo = min(lo, w[i])
        hi = max(hi, w[i])
    span = hi - lo
    mid = 0.5 * (lo + hi)
    far_lo = 0.0
    far_mid = 0.0
    far_hi = 0.0
    n_far = 0
    for k in range(a.shape[0]):
        bk = b[k]
        pak = p[k] * a[k]
        qk = q[k]
        a2 = a[k] * a[k]
        if span > 0.0 and min(abs(lo - bk), abs(hi - bk)) > FAR_SPANS * span and not (lo <= bk <= hi):
            t = lo - bk
            far_lo += (pak + qk * t) / (a2 + t * t)
            t = mid - bk
            far_mid += (pak + qk * t) / (a2 + t * t)
            t = hi - bk
            far_hi += (pak + qk * t) / (a2 + t * t)
            n_far += 1
            continue
        for i in range(n):
            t = w[i] - bk
            out[i] += (pak + qk * t) / (a2 + t * t)
    if n_far > 0:  # Lagrange through (lo, mid, hi) in u = (w - mid) / (span / 2)
        c0 = far_mid
        c1 = 0.5 * (far_hi - far_lo)
        c2 = 0.5 * (far_hi + far_lo) - far_mid
        h = 2.0 / span
        for i in range(n):
            u = (w[i] - mid) * h
            out[i] += c0 + u * (c1 + u * c2)
    for i in range(n):
        out[i] *= 2.0
    return out


@njit(cache=True, error_model="numpy")
def output_spectrum(lam, R, Rinv, rates, diag_d, w, f, offset, scale, filter_shift):
    """:func:`lorentzian_weights` and :func:`lorentzian_sum` in one call (the MCMC hot path).

    ``filter_shift`` > 0 (units of ``f``): the spectrum as seen through a Gaussian resolution filter of standard
    deviation ``filter_shift / sqrt(3)``, by the 3-point Gauss-Hermite rule ``2/3 S(f) + 1/6 (S(f + h) + S(f - h))``
    with ``h = filter_shift`` (exact for the filter's moments up to the fifth)."""
    r = lorentzian_weights(lam, R, Rinv, rates, diag_d, w)
    a = -lam.real
    S = lorentzian_sum(a, lam.imag, r.real, r.imag, f, offset, scale)
    if filter_shift > 0.0:
        up = lorentzian_sum(a, lam.imag, r.real, r.imag, f, offset - filter_shift, scale)
        down = lorentzian_sum(a, lam.imag, r.real, r.imag, f, offset + filter_shift, scale)
        for i in range(S.shape[0]):
            S[i] = (4.0 * S[i] + up[i] + down[i]) / 6.0
    return S


#: Newton steps of the gain shape's profile in :func:`gamma_log_likelihood`, from c = 0. Convergence is quadratic and
#: the first step lands within ~c^2 of the maximum (c ~ 1e-3 for a standing wave of a few 0.1 %): the second leaves
#: the log-likelihood within rounding of its maximum (tests/test_sampling.py checks it against scipy's optimiser).
GAIN_SHAPE_NEWTON_STEPS = 2


@njit(cache=True, error_model="numpy")
def gamma_log_likelihood(psd, S, f_lab, scale, noise, n_avg, basis):
    """``-N sum(psd/m + log m)`` with ``m = scale f (noise + S) g``: the Gamma(N, m/N) log-likelihood of an
    averaged trace up to a constant; ``-inf`` if any ``m <= 0``.

    ``basis`` ``(k, n)``: the gain shape ``g = 1 + c @ basis`` (:func:`entangled_drums.physics.instrument.
    gain_shape_basis`), its ``c`` profiled (maximised, :func:`_profiled_gain_shape`); ``k = 0``: ``g = 1``, one pass,
    no temporaries. The profile's curvature, ``N basis basis^T`` to first order, does not depend on the other
    parameters: under a flat prior on ``c`` the profile is the marginal likelihood up to a constant."""
    if basis.shape[0] == 0:
        total = 0.0
        for i in range(psd.size):
            m = scale * f_lab[i] * (noise + S[i])
            if not m > 0.0:
                return -np.inf
            total += psd[i] / m + np.log(m)
        return -n_avg * total
    m = np.empty(psd.size)
    for i in range(psd.size):
        m[i] = scale * f_lab[i] * (noise + S[i])
        if not m[i] > 0.0:
            return -np.inf
    return -n_avg * _profiled_gain_shape(psd, m, basis)


@njit(cache=True, error_model="numpy", fastmath=True)
def _profiled_gain_shape(psd, m, basis):
    """``min_c sum(psd/(m g) + log(m g))``, ``g = 1 + c @ basis``, by :data:`GAIN_SHAPE_NEWTON_STEPS` Newton steps
    from ``c = 0`` (``m > 0`` finite; ``inf`` if a step leaves ``g <= 0`` or the curvature is not positive). The loops
    over bins are innermost so that they vectorise."""
    k, n = basis.shape
    r = np.empty(n)
    g = np.ones(n)
    u = np.empty(n)
    w = np.empty(n)
    for i in range(n):
        r[i] = psd[i] / m[i]
    c = np.zeros(k)
    a = np.empty(k)
    H = np.empty((k, k))
    for _ in range(GAIN_SHAPE_NEWTON_STEPS):
        for i in range(n):  # per bin: d/dg and d2/dg2 of -(psd/(m g) + log g), at q = psd/(m g)
            q = r[i] / g[i]
            u[i] = (q - 1.0) / g[i]
            w[i] = (2.0 * q - 1.0) / (g[i] * g[i])
        for j in range(k):
            acc = 0.0
            for i in range(n):
                acc += basis[j, i] * u[i]
            a[j] = acc
            for p in range(j + 1):
                acc = 0.0
                for i in range(n):
                    acc += basis[j, i] * basis[p, i] * w[i]
                H[j, p] = acc
        for j in range(k):  # Cholesky H = L L^T in place (lower triangle), then c += H^-1 a
            for p in range(j + 1):
                acc = H[j, p]
                for q in range(p):
                    acc -= H[j, q] * H[p, q]
                if p == j:
                    if not acc > 0.0:
                        return np.inf
                    H[j, j] = np.sqrt(acc)
                else:
                    H[j, p] = acc / H[p, p]
        for j in range(k):
            acc = a[j]
            for q in range(j):
                acc -= H[j, q] * a[q]
            a[j] = acc / H[j, j]
        for j in range(k - 1, -1, -1):
            acc = a[j]
            for q in range(j + 1, k):
                acc -= H[q, j] * a[q]
            a[j] = acc / H[j, j]
        for j in range(k):
            c[j] += a[j]
        for i in range(n):
            g[i] = 1.0
        for j in range(k):
            cj = c[j]
            for i in range(n):
                g[i] += cj * basis[j, i]
    total = 0.0
    for i in range(n):
        if not g[i] > 0.0:
            return np.inf
        total += r[i] / g[i] + np.log(m[i] * g[i])
    return total


#: Status codes of :func:`pump_log_likelihood_batch`, per row.
BATCH_OK, BATCH_UNSTABLE, BATCH_ILL_CONDITIONED = 0, 1, 2


@njit(cache=True, error_model="numpy")
def pump_log_likelihood_batch(
    X,
    active,
    f_lab,
    offset,
    psd,
    n_avg,
    omega,
    hz_per_internal,
    h_planck,
    max_condition,
    filter_shift,
    fbar,
    far,
    frame,
    basis,
):
    """Gamma log-likelihood of one pump trace for many parameter vectors in one compiled loop.

    ``X``: (k, 14) fit vectors in the order of ``pumpfit.NAMES`` (baths in quanta, couplings
    and detunings in kHz, g1/g2, gain in dB, n_add in quanta, kappa and kappa_out in kHz,
    gamma1 and gamma2 in Hz). ``active``: (k,) bool, rows to evaluate (the others get -inf).
    ``f_lab``: lab frequencies (Hz); ``offset = f_lab - f_c``. ``omega`` in internal units,
    ``hz_per_internal`` their size in Hz (``units.HZ_PER_INTERNAL``). Returns ``(log L, status)``:
    status :data:`BATCH_OK`, :data:`BATCH_UNSTABLE` (no steady state: -inf) or
    :data:`BATCH_ILL_CONDITIONED` (eigenbasis condition above ``max_condition``: the caller
    evaluates that row by the direct method). ``filter_shift`` (Hz): the analyser's resolution filter
    (:func:`output_spectrum`; 0: none). ``fbar``: the drums' mean frequency (internal units); ``far``: with the
    off-resonant components (:func:`drift`). ``frame`` (Hz): lab offset from f_c of the pump mode's frame, the
    tones' midpoint (NaN: ``Omega + delta_bar`` of each row, the tones at their fitted offsets; otherwise the row's
    ``delta_bar`` is the pumps' mean offset from the shifted cavity's sidebands). ``basis`` ``(k, n)``: the gain shape
    profiled in :func:`gamma_log_likelihood` (``k = 0``: a flat gain). The same kernels as the scalar path
    (:func:`drift`, :func:`eigensystem`, :func:`output_spectrum`, :func:`gamma_log_likelihood`).
    """
    k = X.shape[0]
    out = np.full(k, -np.inf)
    status = np.zeros(k, dtype=np.int64)
    theta = np.zeros(15)
    theta[13] = fbar
    n_modes = 7 if far else 3
    w = np.zeros(2 * n_modes, dtype=np.complex128)  # the pump mode a = (x_a + i p_a)/sqrt(2)
    w[0] = 1.0 / np.sqrt(2.0)
    w[1] = 1.0j / np.sqrt(2.0)
    occupations = np.empty(n_modes)
    for row in range(k):
        if not active[row]:
            continue
        x = X[row]
        theta[0] = omega
        theta[1] = 0.5 * (x[6] - x[5])  # Delta (kHz = internal units)
        theta[2] = 0.5 * (x[6] + x[5])  # delta_bar
        theta[4] = x[3]
        theta[5] = x[4]
        theta[6] = x[7]
        theta[10] = x[10] * 1.0e3 / hz_per_internal  # kappa
        theta[11] = x[12] / hz_per_internal  # gamma1
        theta[12] = x[13] / hz_per_internal  # gamma2
        kappa_out = x[11] * 1.0e3 / hz_per_internal
        A, rates = drift(theta, False, far)
        lam, R, Rinv, condition = eigensystem(A)
        slowest = -np.inf
        for i in range(lam.shape[0]):
            if abs(lam[i].imag) > fbar:  # a replica pole (linear.py): exempt
                continue
            re = lam[i].real
            if not re < slowest:  # NaN counts as unstable
                slowest = re if re == re else np.inf
        if not slowest < 0.0:
            status[row] = BATCH_UNSTABLE
            continue
        if not condition < max_condition:
            status[row] = BATCH_ILL_CONDITIONED
            continue
        occupations[0] = x[0]
        occupations[1] = x[1]
        occupations[2] = x[2]
        if far:  # aS, aAS see the cavity's bath, b1F, b2F their drum's
            occupations[3] = occupations[4] = x[0]
            occupations[5] = x[1]
            occupations[6] = x[2]
        diag_d = diffusion_diagonal(rates, occupations)
        at = frame if frame == frame else 1.0e3 * (omega + theta[2])  # Hz: the pump mode's frame
        S = output_spectrum(lam, np.ascontiguousarray(R), Rinv, rates, diag_d, w, offset, at, 1.0e-3, filter_shift)
        for i in range(S.shape[0]):
            S[i] *= kappa_out
        scale = 10.0 ** (x[8] / 10.0) * h_planck
        out[row] = gamma_log_likelihood(psd, S, f_lab, scale, x[9] + 0.5, n_avg, basis)
    return out, status
