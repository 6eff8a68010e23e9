"""Penalised least squares with Gaussian priors, covariances and error propagation.

A fit minimises ``sum r_data^2 + |L^-1 (x_p - mu)|^2``: the data residuals of the averaged
traces (``(y - m) sqrt(N) / m``, the Gaussian limit of Gamma(N, m/N)) and the Gaussian prior of
the parameters ``x_p`` constrained by calibrations (covariance ``L L^T``: independent priors
on its diagonal, calibrated quantities from one fit, e.g. gain and n_add, as a block). The
covariance is ``(J^T J)^-1`` at the optimum, inflated by the data's reduced chi^2 when that
exceeds 1 (stated in every result).
"""

from dataclasses import dataclass, field

import numpy as np
import scipy.optimize

#: A fit ending above this chi^2/dof has not reached its data, or its model does not describe them (a fitted trace
#: is at ~1): an error, not a result. The pump fits and the probe calibration stop the run beyond it.
MAX_CHI2_REDUCED = 10.0


class FitError(RuntimeError):
    """A fit did not converge or gave a singular covariance."""


@dataclass
class FitResult:
    """Best-fit parameters, covariance and goodness of fit."""

    names: list
    x: np.ndarray
    cov: np.ndarray
    chi2: float  #: data part of the objective
    n_data: int
    n_free: int
    inflation: float  #: factor applied to the covariance (max(1, reduced chi^2))
    residuals: np.ndarray = field(repr=False)
    jac: np.ndarray = field(default=None, repr=False)  #: d (data and prior residuals) / dx at the optimum

    @property
    def dof(self):
        return max(1, self.n_data - self.n_free)

    @property
    def chi2_reduced(self):
        return self.chi2 / self.dof

    @property
    def sigma(self):
        return np.sqrt(np.diag(self.cov))

    def value(self, name):
        return float(self.x[self.names.index(name)])

    def error(self, name):
        return float(self.sigma[self.names.index(name)])

    def as_dict(self):
        """JSON-ready: values, sigmas, covariance, chi^2."""
        return {
            "names": list(self.names),
            "values": self.x.tolist(),
            "sigmas": self.sigma.tolist(),
            "covariance": self.cov.tolist(),
            "chi2": self.chi2,
            "n_data": self.n_data,
            "dof": self.dof,
            "chi2_reduced": self.chi2_reduced,
            "covariance_inflation": self.inflation,
        }


def prior_terms(priors, names):
    """Indices, means and whitening matrix of the Gaussian ``priors`` on parameters ``names``.

    ``priors``: {name: (mean, sigma)} for independent priors, and {(name, name, ...): (means,
    covariance)} for correlated blocks. Returns ``(idx, mu, W)`` with the penalty
    ``z = W (x[idx] - mu)``, ``z.z = (x - mu)^T C^-1 (x - mu)``. Raises :class:`FitError` on a
    non-finite mean or a covariance that is not positive definite.
    """
    keys, mu, blocks = [], [], []
    for key, (mean, spread) in (priors or {}).items():
        if isinstance(key, tuple):
            keys += list(key)
            mu += list(np.atleast_1d(np.asarray(mean, dtype=float)))
            blocks.append(np.asarray(spread, dtype=float).reshape(len(key), len(key)))
        else:
            if not float(spread) > 0:
                raise FitError(f"invalid prior on {key}: sigma = {spread} is not positive")
            keys.append(key)
            mu.append(float(mean))
            blocks.append(np.array([[float(spread) ** 2]]))
    n = len(keys)
    cov = np.zeros((n, n))
    k = 0
    for b in blocks:
        cov[k : k + len(b), k : k + len(b)] = b
        k += len(b)
    mu = np.array(mu, dtype=float)
    try:
        W = np.linalg.inv(np.linalg.cholesky(cov)) if n else np.zeros((0, 0))
    except np.linalg.LinAlgError:
        W = None
    if W is None or not np.all(np.isfinite(mu)) or not np.all(np.isfinite(W)):
        raise FitError("invalid prior (non-finite mean, or a covariance that is not positive definite)")
    return np.array([names.index(n) for n in keys], dtype=int), mu, W


def fit(
    residuals,
    x0,
    names,
    priors=None,
    x_scale=None,
    label="fit",
    max_nfev=2000,
    bounds=None,
    n_profiled=0,
    jacobian=None,
):
    """Penalised least squares. ``residuals(x)`` -> data residual vector; ``priors``: see :func:`prior_terms`.

    ``bounds``: {name: (low, high)} for parameters with a physical range (e.g. occupations >= 0).
    ``n_profiled``: parameters that ``residuals`` fits internally (profiles) for every ``x``; they count in the
    degrees of freedom. ``jacobian``: a ``d total / dx`` (rows: data residuals, then priors; a :class:`FitResult`'s
    ``jac``) of a nearby model, for a model too costly to difference at every step: the chord method (Gauss–Newton
    steps with that Jacobian held fixed, :data:`CHORD_FIRST_STEPS` of them from ``x0``), then the same with the
    model's own Jacobian, differenced where the previous run ended (at most :data:`MAX_JACOBIANS` times), until a
    run converges or a fresh Jacobian moves the point by less than :data:`CHORD_STALL`; its Jacobian gives the
    covariance. If none does (a parameter that enters as its square near 0 makes slow steps), the trust-region fit with
    differenced Jacobians takes over from where the last run ended. On the probe line-shape fit with the cross
    terms (archive, D) it ends on the optimum of that trust-region fit from the start (chi^2 within 1e-3, imbalance
    within 1e-3 sigma) in ~1/10 of its time.

    Raises :class:`FitError` naming ``label`` if the optimiser fails or the covariance is singular.
    """
    try:
        idx, mu, W = prior_terms(priors, names)
    except FitError as err:
        raise FitError(f"{label}: {err}") from err

    def total(x):
        r = residuals(x)
        return np.concatenate([r, W @ (x[idx] - mu)]) if len(idx) else r

    lower = np.full(len(names), -np.inf)
    upper = np.full(len(names), np.inf)
    for name, (lo, hi) in (bounds or {}).items():
        lower[names.index(name)], upper[names.index(name)] = lo, hi
    x0 = np.clip(np.asarray(x0, dtype=float), lower, upper)
    # The optimiser works in u = (x - x0) / scale: its step criterion (|du| < xtol |u|) then means the
    # same for every parameter, however large its value (a line centre at 5.5 GHz made the criterion in
    # x stop fits after a few steps, short of the minimum by ~0.1 sigma, at a point that depended on x0).
    # Finite-difference steps: 1e-6 of each parameter's scale, but at least 1e-10 of its value (a 1e-6 Hz step
    # on a 10 MHz drum frequency is lost in the rounding of the tone offsets: a zero Jacobian column).
    scale = np.broadcast_to(np.asarray(x_scale if x_scale is not None else 1.0, dtype=float), x0.shape).copy()
    diff_step = np.maximum(1e-6, 1e-10 * np.abs(x0) / scale)
    to_x = lambda u: x0 + scale * u  # noqa: E731
    fun = _Cached(lambda u: total(to_x(u)))
    lo_u, hi_u = (lower - x0) / scale, (upper - x0) / scale
    try:
        sol, u_start = None, np.zeros_like(x0)
        if jacobian is not None:
            # the chord method with the given Jacobian, then with the model's own, differenced where each run ends,
            # until a run converges or a fresh Jacobian no longer moves the point (the objective's rounding)
            sol = _chord(fun, np.asarray(jacobian, dtype=float) * scale, lo_u, hi_u, min(max_nfev, CHORD_FIRST_STEPS))
            for _ in range(MAX_JACOBIANS):
                start = sol.x
                J_own = _jacobian(fun, start, diff_step, lo_u, hi_u)
                sol = _chord(fun, J_own, lo_u, hi_u, min(max_nfev, CHORD_STEPS), u0=start)
                if sol.success or (sol.stalled and np.max(np.abs(sol.x - start)) < CHORD_STALL):
                    sol.success = True
                    break
            if not sol.success:  # too slow to converge (e.g. the phase wander near 0): the trust region from there
                sol, u_start = None, sol.x
        if sol is None:
            sol = scipy.optimize.least_squares(
                fun,
                u_start,
                jac=lambda u: _jacobian(fun, u, diff_step, lo_u, hi_u),
                bounds=(lo_u, hi_u),
                method="trf",
                max_nfev=max_nfev,
                xtol=1e-10,
                ftol=1e-10,
                gtol=1e-10,
            )
    except (ValueError, np.linalg.LinAlgError) as err:
        raise FitError(f"{label}: least squares failed: {err}") from err
    if not sol.success or not np.all(np.isfinite(sol.x)):
        raise FitError(f"{label}: least squares did not converge ({sol.message})")
    x_best = to_x(sol.x)
    r_data = residuals(x_best)
    chi2 = float(r_data @ r_data)
    J = sol.jac  # d total / du: inverted in u, where it is well conditioned, then scaled to x
    try:
        cov = scale[:, None] * np.linalg.inv(J.T @ J) * scale[None, :]
    except np.linalg.LinAlgError as err:
        raise FitError(f"{label}: singular covariance (a parameter is not constrained)") from err
    if not np.all(np.isfinite(cov)) or np.any(np.diag(cov) <= 0):
        bad = [f"{n} = {v:.6g}" for n, v, c in zip(names, x_best, np.diag(cov), strict=True) if not c > 0]
        raise FitError(
            f"{label}: covariance is not positive definite (a parameter is not constrained: "
            f"{', '.join(bad) or 'non-finite entries'})"
        )
    n_free = len(names) + int(n_profiled)
    inflation = max(1.0, chi2 / max(1, r_data.size - n_free))
    return FitResult(
        list(names), x_best, cov * inflation, chi2, int(r_data.size), n_free, inflation, r_data, J / scale[None, :]
    )


#: A chord run with a freshly differenced Jacobian that stalls within this (in units of each ``x_scale``, of the
#: order of its sigma) of where it started has converged as far as the objective's rounding lets it.
CHORD_STALL = 0.02
#: Steps the chord method takes with the given Jacobian before it differences the model's own.
CHORD_FIRST_STEPS = 4
#: Steps of each chord run with a differenced Jacobian (a run that needs more is not converging fast: the next
#: Jacobian, or the trust region, takes over).
CHORD_STEPS = 12
#: Jacobians the chord method differences at most (:func:`fit` with ``jacobian``).
MAX_JACOBIANS = 2
#: The chord method stops when no parameter would move by this (in units of its ``x_scale``, of the order of its
#: sigma) in a step.
CHORD_TOL = 1e-4


def _bounded_step(J, r, u, lower, upper):
    """The Gauss–Newton step ``-J^+ r`` from ``u`` with the parameters on a bound that it would push outward held
    there (the step solved again without them, until none does), clipped into ``[lower, upper]``."""
    free = np.ones(u.size, dtype=bool)
    for _ in range(u.size):
        step = np.zeros(u.size)
        step[free] = -np.linalg.lstsq(J[:, free], r, rcond=None)[0]
        out = free & (((u <= lower) & (step < 0)) | ((u >= upper) & (step > 0)))
        if not out.any():
            break
        free &= ~out
    return np.clip(u + step, lower, upper) - u


def _chord(fun, J, lower, upper, max_nfev, u0=None):
    """Gauss–Newton steps with the fixed Jacobian ``J`` from ``u0`` (default 0) within ``[lower, upper]``, damped
    as Levenberg–Marquardt's (``J^T J + lambda diag(J^T J)``, lambda raised tenfold, at most 8 times, until the sum
    of squares falls, and lowered tenfold after each step), until no parameter would move by :data:`CHORD_TOL`;
    converges linearly at the rate at which ``J`` misses the true Jacobian, to where ``J``'s gradient of the
    objective vanishes. Returns an object with ``x``, ``jac``, ``success`` (converged), ``message`` as scipy's
    ``least_squares``: a run that stalls (no damped step lowers the objective) or exhausts ``max_nfev`` ends where
    it got, unsuccessful (``stalled`` tells which)."""
    from types import SimpleNamespace

    u = np.zeros(J.shape[1]) if u0 is None else np.array(u0, dtype=float)
    r = fun(u)
    cost = float(r @ r)
    scale = np.sqrt(np.maximum(np.sum(J**2, axis=0), 1e-300))
    lam = 0.0
    for nfev in range(1, max_nfev + 1):
        full = _bounded_step(J, r, u, lower, upper)
        size = float(np.max(np.abs(full)))
        if size < CHORD_TOL:
            return SimpleNamespace(x=u, jac=J, success=True, stalled=False, message=f"converged in {nfev} steps")
        for _ in range(9):
            if lam:
                damped = np.vstack([J, np.sqrt(lam) * np.diag(scale)])
                trial = u + _bounded_step(damped, np.concatenate([r, np.zeros(u.size)]), u, lower, upper)
            else:
                trial = u + full
            r_trial = fun(trial)
            if float(r_trial @ r_trial) <= cost:
                break
            lam = max(1e-3, 10.0 * lam)
        else:
            msg = f"no damped step lowers the objective (undamped step {size:.3g})"
            return SimpleNamespace(x=u, jac=J, success=False, stalled=True, message=msg)
        u, r, cost, lam = trial, r_trial, float(r_trial @ r_trial), lam / 10.0 if lam > 1e-3 else 0.0
    msg = f"the chord method did not converge in {max_nfev} steps"
    return SimpleNamespace(x=u, jac=J, success=False, stalled=False, message=msg)


class _Cached:
    """A residual function that remembers its last evaluation (the optimiser asks for the Jacobian where it has
    just evaluated the residuals)."""

    def __init__(self, fn):
        self.fn, self.u, self.f = fn, None, None

    def __call__(self, u):
        if self.u is None or not np.array_equal(u, self.u):
            self.u, self.f = np.array(u, dtype=float), np.asarray(self.fn(u), dtype=float)
        return self.f


#: A finite-difference step whose residuals' sum of squares grows by more than this factor crossed a wall (the
#: unstable region's penalty): the column is taken from the other side.
_WALL = 1e3


def _jacobian(fun, u, rel_step, lower, upper):
    """Forward differences as scipy's ``2-point`` scheme takes them (step ``rel_step max(1, |u|)``, reversed at an
    upper bound), but a column whose step crosses into a penalised region (an unstable system near the stability
    edge: the residuals jump by orders of magnitude) is taken backward instead. A fit whose optimum lies near the
    edge then gets the slope of the model, not of the wall."""
    f0 = fun(u).copy()
    cost0 = max(float(f0 @ f0), float(f0.size))
    J = np.empty((f0.size, u.size))
    sign = np.where(u >= 0, 1.0, -1.0)
    h = rel_step * sign * np.maximum(1.0, np.abs(u))
    h = np.where((u + h > upper) & (u - h >= lower), -h, h)
    for j in range(u.size):
        for step in (h[j], -h[j]):
            x = u.copy()
            x[j] += step
            if not lower[j] <= x[j] <= upper[j]:
                continue
            f1 = fun(x)
            if float(f1 @ f1) <= _WALL * cost0:
                break
        J[:, j] = (f1 - f0) / (x[j] - u[j])
    return J


def propagate_many(fns, x, cov):
    """Values, sigmas and covariance of several scalar functions of the same parameters."""
    x = np.asarray(x, dtype=float)
    step = np.sqrt(np.diag(cov)) * 1e-3
    values = np.array([float(f(x)) for f in fns])
    grads = np.empty((len(fns), x.size))
    for i in range(x.size):
        h = np.zeros_like(x)
        h[i] = step[i] if step[i] > 0 else 1e-8
        up = np.array([f(x + h) for f in fns])
        down = np.array([f(x - h) for f in fns])
        grads[:, i] = (up - down) / (2 * h[i])
    C = grads @ cov @ grads.T
    return values, np.sqrt(np.clip(np.diag(C), 0, None)), C


def generalised_least_squares(A, y, cov):
    """Linear model ``y = A p`` with correlated errors ``cov``: parameters, their covariance, chi^2.

    The covariance is inflated by the reduced chi^2 when that exceeds 1 (as in :func:`fit`).
    """
    A, y, cov = np.atleast_2d(np.asarray(A, dtype=float)), np.asarray(y, dtype=float), np.asarray(cov, dtype=float)
    Ci = np.linalg.inv(cov)
    pcov = np.linalg.inv(A.T @ Ci @ A)
    p = pcov @ (A.T @ Ci @ y)
    r = y - A @ p
    chi2 = float(r @ Ci @ r)
    inflation = max(1.0, chi2 / max(1, y.size - p.size))
    return p, pcov * inflation, chi2


def weighted_line(x, y, sigma, through_origin=False):
    """Weighted linear fit ``y = a x (+ b)``: returns parameters, covariance and chi^2."""
    x, sigma = np.asarray(x, dtype=float), np.asarray(sigma, dtype=float)
    A = x[:, None] if through_origin else np.column_stack([x, np.ones_like(x)])
    return generalised_least_squares(A, y, np.diag(sigma**2))
