"""Posterior sampling of the pump-spectrum model with emcee, with checked convergence.

Posterior of the pump-fit parameters (:data:`entangled_drums.inference.pumpfit.NAMES`) for one trace:

* likelihood: the exact law of an N-times averaged bin, Gamma(N, m/N):
  ``log L = sum_i [-N y_i / m_i - N log m_i] + const``;
* priors: flat and positive for the three baths ``n_c, n_m1, n_m2`` (bounded above by
  generous limits, to be proper); Gaussian from the calibrations for every other parameter
  (the same priors as the least-squares fit, gain and n_add as one correlated block);
* unstable parameter points have zero posterior.

**What shapes this posterior** (measured on the archive's data set C; D alike). One pump
trace (2002 bins, each averaged 9e5 times: 0.1 % per bin) pins a few combinations to ~1e-5
and leaves the rest to the calibration priors, which are ~100x wider:

1. *Levels in output units.* The background ``g (n_add + 1/2)`` and the cavity's Lorentzian
   ``g n_c`` (width kappa across the 1.8 MHz window), with ``g`` the gain. The gain itself is
   known only from the calibration (~2 %), so n_c and n_add move along hyperbolas ``b / g``
   as the gain moves: posterior correlations n_c–gain–n_add of ±0.999.
2. *The Bogoliubov coupling* ``G = sqrt(G-^2 - G+^2)``, which sets the line width
   (~4 G^2 / kappa), and the drums' emission levels ``g n_m``, whose dependence on the
   squeezing ``r = artanh(G+/G-)`` is multiplicative: G- and G+ move along a hyperbola
   (correlation 1.00), n_m1 and n_m2 along exponentials.

Straight moves across such curved ridges leave them at second order, so the log posterior
falls as the fourth power of the distance: along the least-squares covariance's
eigendirections it falls by 0.04, 0.67, 3.4, 10.9, 26 at 0.2 ... 1 sigma (a Gaussian: 0.02 ...
0.5) and by up to 7500 at 4 sigma. With the exact Hessian at the mode, three directions stay
non-Gaussian in physical coordinates (4-sigma falls 75, 180, 28 for C; 105, 510, 38 for D,
against 8). The previous sampler (DE moves in physical coordinates) accepted 9 % of its
proposals and its tau kept growing with the run (120 -> 178 steps from 1500 to 3000 steps).

The walkers therefore move in the coordinates of :mod:`entangled_drums.inference.reparam` (``g n_c``,
``log g n_m1``, ``log g n_m2``, ``G``, ``r``, ``g (n_add + 1/2)``), with the Jacobian in the
density, so the posterior in physical units is the stated one. There every Laplace direction is
Gaussian but one, the gain: its 4-sigma falls are 195 and 290 (C). That is the stated prior's own
shape, kept on purpose: the calibration's Gaussian in (gain_dB, n_add) is a linearisation with
correlation -0.9999, which pins n_add to +-0.007 quanta at given gain along the *tangent* of
the hyperbola the trace pins; beyond ~1 sigma of gain the line and the hyperbola part, and the
posterior falls steeply. This is the flat top of the gain and n_c marginals (excess kurtosis
-0.85); it is one straight direction in the new coordinates, which DE moves cross easily.

The moves are differential evolution (0.8) and the DE snooker move (0.2), the snooker from
:mod:`entangled_drums.stats.moves`: emcee 3.1.6's scales its step by the distance to its anchor walker
and does not sample its target (it made D's n_m1 posterior 13 % too narrow, against importance
sampling; with it the acceptance read 0.35 and tau 30-36, flattering numbers of a wrong chain).
Measured with the corrected move (32 walkers, data set D): acceptance 0.24, max tau ~41 steps,
stable with run length, and the n_m1 sd of importance sampling (4.33 vs 4.30). Since kappa,
kappa_out, gamma1 and gamma2 are parameters too (14, in unchanged coordinates: their calibrated
priors are narrow and the trace moves them little), the acceptance is 0.23-0.24 and max tau
55-62 steps on the archive; the previous method's acceptance fell to 0.075 and its tau rose to
~1200 steps.

Convergence is checked, not assumed. Per run (emcee's guidance): the integrated
autocorrelation time tau of every parameter is estimated every ``check_every`` steps; a run has
converged when it is longer than ``n_tau`` x tau for every parameter and the largest tau of the
whole run differs from that of its first half by less than ``tau_rtol`` (stationarity). Then
``2 max tau`` steps are discarded as burn-in and the chain is thinned by ``max tau / 2``.
Across runs (:mod:`entangled_drums.stats.diagnostics`, ArviZ): the rank-normalised split R-hat of
every quantity across the independent runs (one per seed) and its bulk and tail ESS must pass
``rhat_max`` and ``min_ess``. A run that does not converge within ``max_steps``, or a
posterior that fails the diagnostics, raises :class:`ConvergenceError`, and no numbers are
reported.
"""

import fcntl
import os
import signal
import sys
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import emcee
import numpy as np

from ..physics import _kernels
from ..physics.instrument import gain_shape_basis
from ..physics.linear import MAX_EIGENBASIS_CONDITION
from ..physics.model import UnstableSystemError
from ..physics.spectra import filter_shift, pump_spectrum
from ..physics.units import HZ_PER_INTERNAL, PLANCK_H, db_to_linear, to_internal
from ..stats import diagnostics
from ..stats.fitting import prior_terms
from ..stats.moves import default as default_moves
from . import posterior, pumpfit, reparam


class ConvergenceError(RuntimeError):
    """An MCMC run did not converge within its budget."""


class LogPosterior:
    """``log p(x | data)`` of one pump trace in the physical fit parameters (picklable).

    Called with one fit vector ``x`` (14,) it returns a float; with ``(k, 14)`` rows it returns
    ``(k,)``, the likelihood of all rows in one compiled loop
    (:func:`entangled_drums.physics._kernels.pump_log_likelihood_batch`): emcee's ``vectorize=True``.
    The expected PSD is ``G h f (n_add + 1/2 + S)`` as in :func:`pumpfit.model_psd`, times the gain shape across
    the trace profiled in every evaluation when ``device["gain_shape_terms"]`` > 0
    (:mod:`entangled_drums.physics.instrument`).
    """

    def __init__(self, f, psd, n_avg, device, sideband, priors, bath_prior_max, rbw=0.0, midpoint=None):
        self.f, self.psd, self.n_avg = np.asarray(f, dtype=float), np.asarray(psd, dtype=float), float(n_avg)
        self.rbw = float(rbw)  # Hz: the trace's resolution filter (physics.spectra.output_spectrum)
        self.midpoint = midpoint  # Hz: the tones' midpoint, the pump mode's frame (pumpfit.params_from)
        self.offset = self.f - float(device["f_c"])
        self.device, self.sideband = device, sideband
        names = pumpfit.NAMES
        self.idx, self.mu, self.W = prior_terms(priors, names)
        self.bath = [names.index(n) for n in ("n_c", "n_m1", "n_m2")]
        self.limit = np.array([float(bath_prior_max[n]) for n in ("n_c", "n_m1", "n_m2")])
        self.omega = to_internal(0.5 * (sideband["f2"] - sideband["f1"]))
        self.fbar = to_internal(0.5 * (sideband["f2"] + sideband["f1"]))
        self.basis = gain_shape_basis(self.f, pumpfit.gain_shape_terms(device))  # profiled (instrument.py)

    @classmethod
    def of_trace(cls, ds, i, device, sideband, priors, bath_prior_max):
        """The posterior of trace ``i`` of a raw pump series ``ds``."""
        return cls(
            ds["frequency"].values[i],
            ds["psd"].values[i],
            ds["n_averages"].values[i],
            device,
            sideband,
            priors,
            bath_prior_max,
            float(ds["rbw"].values[i]),
            pumpfit.tone_midpoint(ds, i, device),
        )

    def log_prior(self, X):
        """Flat priors on the baths in ``[0, limit]`` (config ``mcmc.bath_prior_max``), Gaussian calibration priors:
        shape ``X.shape[:-1]``."""
        X = np.asarray(X, dtype=float)
        baths = X[..., self.bath]
        inside = np.all((baths >= 0.0) & (baths <= self.limit), axis=-1)
        z = (X[..., self.idx] - self.mu) @ self.W.T
        return np.where(inside, -0.5 * np.sum(z * z, axis=-1), -np.inf)

    def __call__(self, X):
        X = np.asarray(X, dtype=float)
        rows = np.atleast_2d(X)
        lp = self.log_prior(rows)
        active = np.isfinite(lp)
        ll, status = _kernels.pump_log_likelihood_batch(
            np.ascontiguousarray(rows),
            active,
            self.f,
            self.offset,
            self.psd,
            self.n_avg,
            self.omega,
            HZ_PER_INTERNAL,
            PLANCK_H,
            MAX_EIGENBASIS_CONDITION,
            filter_shift(self.rbw),
            self.fbar,
            bool(self.device["counter_rotating"]),
            np.nan if self.midpoint is None else float(self.midpoint),
            self.basis,
        )
        for k in np.flatnonzero(status == _kernels.BATCH_ILL_CONDITIONED):
            ll[k] = self._direct(rows[k])  # near an exceptional point: the model's direct method
        out = lp + ll
        return float(out[0]) if X.ndim == 1 else out

    def _direct(self, x):
        """Log-likelihood of one row through :func:`pump_spectrum` (handles ill-conditioned eigenbases)."""
        try:
            params = pumpfit.params_from(x, self.device, self.sideband, self.midpoint)
            S = pump_spectrum(params, self.offset, rbw=self.rbw)
        except UnstableSystemError:
            return -np.inf
        scale = db_to_linear(x[pumpfit.INDEX["gain_dB"]]) * PLANCK_H
        return float(
            _kernels.gamma_log_likelihood(
                self.psd, S, self.f, scale, x[pumpfit.INDEX["n_add"]] + 0.5, self.n_avg, self.basis
            )
        )


class InCoordinates:
    """The same posterior as a density in sampling coordinates ``z`` (:mod:`entangled_drums.inference.reparam`):
    ``log p(x(z)) + log |det dx/dz|``. Rows ``(k, 14)`` in, ``(k,)`` out."""

    def __init__(self, log_posterior, coordinates):
        self.log_posterior, self.coordinates = log_posterior, coordinates

    def __call__(self, Z):
        X, log_jac = self.coordinates.to_physical(Z)
        out = np.full(np.shape(log_jac), -np.inf)
        ok = np.isfinite(log_jac)
        if np.any(ok):
            out[ok] = self.log_posterior(X[ok]) + log_jac[ok]
        return out


class Identity:
    """Sampling in the physical parameters themselves (the previous method, kept for comparison)."""

    names = pumpfit.NAMES

    def to_physical(self, z):
        z = np.asarray(z, dtype=float)
        return z, np.zeros(z.shape[:-1])

    def from_physical(self, x):
        return np.asarray(x, dtype=float)

    def jacobian(self, x):
        return np.eye(np.size(x))


@dataclass
class RunResult:
    """One converged run of one ensemble: the whole chain and its diagnostics."""

    seed: int
    chain: np.ndarray  #: (steps, walkers, n_params), burn-in included
    log_prob: np.ndarray  #: (steps, walkers)
    tau: np.ndarray  #: integrated autocorrelation time per parameter over the whole run (steps)
    tau_half: np.ndarray  #: the same over the first half of the run
    acceptance: float
    burn: int
    thin: int

    @property
    def steps(self):
        return int(self.chain.shape[0])

    @property
    def n_walkers(self):
        return int(self.chain.shape[1])

    @property
    def kept(self):
        """Thinned post-burn-in chain, (n_kept, walkers, n_params)."""
        return self.chain[self.burn :: self.thin]

    @property
    def samples(self):
        """Thinned post-burn-in samples, flattened step-major: (n_kept * walkers, n_params)."""
        return self.kept.reshape(-1, self.chain.shape[2])

    @property
    def effective_samples(self):
        """``(steps - burn) * walkers / max tau``: emcee's estimate of independent samples."""
        return float((self.steps - self.burn) * self.n_walkers / self.tau.max())

    def in_physical(self, coordinates):
        """This run with its chain mapped to physical parameters and its log probability to the
        physical density's (the sampling density less the log Jacobian)."""
        chain, log_jac = coordinates.to_physical(self.chain)
        return replace(self, chain=chain, log_prob=self.log_prob - log_jac)


def initial_walkers(z_best, cov, n_walkers, rng, log_prob, start="posterior"):
    """Starting positions of the walkers, each with finite posterior.

    ``start="posterior"``: sampling-importance resampling of the Gaussian (Laplace)
    approximation ``N(z_best, cov)``: ``40 n_walkers`` draws, weighted by posterior / Gaussian,
    ``n_walkers`` of them kept without replacement. The walkers start spread like the
    posterior, so burn-in is short and the first tau estimates are not those of a shrinking ball.
    ``start="ball"``: the previous method, a ball of 0.1 sigma around ``z_best``.
    ``log_prob`` takes rows ``(k, n)`` (vectorised).
    """
    z_best, cov = np.asarray(z_best, dtype=float), np.asarray(cov, dtype=float)
    if start == "ball":
        scale = np.sqrt(np.diag(cov))
        walkers = []
        while len(walkers) < n_walkers:
            trial = z_best + 0.1 * scale * rng.standard_normal(z_best.size)
            if np.isfinite(log_prob(trial[None])[0]):
                walkers.append(trial)
        return np.array(walkers)
    L = np.linalg.cholesky(cov)
    u = rng.standard_normal((40 * n_walkers, z_best.size))
    draws = z_best + u @ L.T
    log_w = log_prob(draws) + 0.5 * np.sum(u * u, axis=1)
    ok = np.isfinite(log_w)
    if ok.sum() < n_walkers:
        raise ConvergenceError(
            f"only {ok.sum()} of {len(draws)} starting draws have a finite posterior "
            f"(need {n_walkers} walkers): the least-squares start lies outside the posterior"
        )
    w = np.zeros(len(draws))
    w[ok] = np.exp(log_w[ok] - log_w[ok].max())
    w = np.maximum(w, 1e-300 * ok)  # every finite draw stays eligible
    pick = rng.choice(len(draws), size=n_walkers, replace=False, p=w / w.sum())
    return draws[np.sort(pick)]


def _save_checkpoint(path, chain, log_prob, accepted, state):
    """Write the chain so far as an emcee HDF5 backend file, atomically (temporary file + rename).

    The layout is emcee's own (:class:`emcee.backends.HDFBackend`, group ``mcmc``, random state
    in the ``random_state_*`` attributes), so ``HDFBackend(path, read_only=True).get_chain()``
    reads it. It is written in one go at each check: emcee's backend reopens the file at every
    step, which here cost more than the model.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.partial")  # per process: writers never share a temporary file
    tmp.unlink(missing_ok=True)
    backend = emcee.backends.HDFBackend(str(tmp))
    backend.reset(*chain.shape[1:])
    with backend.open("a") as f:
        g = f[backend.name]
        g["chain"].resize(chain.shape[0], axis=0)
        g["log_prob"].resize(chain.shape[0], axis=0)
        g["chain"][...] = chain
        g["log_prob"][...] = log_prob
        g["accepted"][...] = accepted
        g.attrs["iteration"] = chain.shape[0]
        for i, value in enumerate(state.random_state):
            g.attrs[f"random_state_{i}"] = value
    tmp.replace(path)


def load_chain(path):
    """(chain, log_prob, accepted, random state tuple) of a checkpoint file (emcee HDF5 backend)."""
    backend = emcee.backends.HDFBackend(str(path), read_only=True)
    name, keys, pos, has_gauss, cached = backend.random_state
    rng = (
        str(name.decode() if isinstance(name, bytes) else name),
        np.asarray(keys, dtype=np.uint32),
        int(pos),
        int(has_gauss),
        float(cached),
    )
    return backend.get_chain(), backend.get_log_prob(), backend.accepted, rng


def _load_checkpoint(path, n_walkers, ndim):
    """(chain, log_prob, accepted, State) from a checkpoint of the same shape, or None."""
    path = Path(path)
    if not path.is_file():
        return None
    try:
        chain, log_prob, accepted, rng = load_chain(path)
    except (OSError, KeyError, ValueError, AttributeError, TypeError):
        return None  # unreadable checkpoint: start cleanly
    if chain.shape[1:] != (n_walkers, ndim) or log_prob.shape != chain.shape[:2]:
        return None  # another shape, or inconsistent: start cleanly (the same seed gives the same chain)
    return chain, log_prob, accepted, emcee.State(chain[-1], log_prob=log_prob[-1], random_state=rng)


def run(
    log_prob,
    z_best,
    cov,
    settings,
    seed,
    backend_path=None,
    label="mcmc",
    progress=False,
    start="posterior",
    vectorize=True,
):
    """Run (or resume) one ensemble until converged; returns :class:`RunResult`.

    ``log_prob``: log density of rows ``(k, n)`` (``vectorize=True``, emcee evaluates each
    half-ensemble in one call) or of one vector. ``z_best``, ``cov``: the Laplace approximation
    the walkers start from (:func:`initial_walkers`, ``start``).
    ``settings``: ``n_walkers``, ``max_steps``, ``check_every``, ``n_tau``, ``tau_rtol``.
    ``backend_path``: checkpoint file (emcee HDF5 backend layout, ``.h5``) written atomically
    after every ``check_every`` steps; an existing checkpoint of the same shape *and the same density*
    is resumed, and the continuation is bit-identical to an uninterrupted run (the random state is part
    of the checkpoint). The density is checked by evaluating ``log_prob`` at the checkpoint's last
    positions against the values stored there (:func:`_same_density`): a checkpoint of other data, other
    calibrations or another model is not resumed but started afresh. Sampling itself runs in memory (see
    :func:`_save_checkpoint`). One process at a time works on a checkpoint (:func:`_exclusive`).
    """
    args = (log_prob, z_best, cov, settings, seed, backend_path, label, progress, start, vectorize)
    if backend_path is None:
        return _run(*args, None)
    with _exclusive(backend_path, label, seed):
        loaded = _load_checkpoint(backend_path, int(settings["n_walkers"]), np.asarray(z_best).size)
        if loaded is not None and not _same_density(log_prob, loaded[3], vectorize):
            print(
                f"{label} seed {seed}: checkpoint {backend_path} was sampled from another density (the data, a "
                "calibration or the model changed): starting afresh",
                flush=True,
            )
            loaded = None
        return _run(*args, loaded)


def _same_density(log_prob, state, vectorize, rtol=1e-9):
    """Does ``log_prob`` give, at a checkpoint's last positions, the log densities stored with them?

    Equal within ``rtol`` (relative, and the same for -inf): a density of other data, calibrations or model
    differs there by far more, while the same density on another CPU agrees to its last bits."""
    coords = np.asarray(state.coords, dtype=float)
    stored = np.asarray(state.log_prob, dtype=float)
    now = np.asarray(log_prob(coords) if vectorize else [log_prob(c) for c in coords], dtype=float)
    finite = np.isfinite(stored) & np.isfinite(now)
    same_inf = np.array_equal(np.isfinite(stored), np.isfinite(now)) and np.array_equal(stored[~finite], now[~finite])
    scale = np.maximum(1.0, np.abs(stored[finite]))
    return bool(same_inf and np.all(np.abs(now[finite] - stored[finite]) <= rtol * scale))


@contextmanager
def _exclusive(backend_path, label, seed):
    """Hold an exclusive lock on ``<checkpoint>.lock`` while the block runs (closing the file, or the
    process ending however it ends, releases it).

    A run killed hard (SIGKILL) can leave its worker processes sampling on; a second run of the
    same chain waits for them instead of writing the same checkpoint, then resumes from theirs.
    """
    lock_path = Path(backend_path).with_name(Path(backend_path).name + ".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(
                f"{label} seed {seed}: checkpoint {backend_path} is in use by another process "
                "(a killed run's sampler?); waiting for it",
                flush=True,
            )
            fcntl.flock(handle, fcntl.LOCK_EX)
        except OSError:  # a file system without locks: go on unlocked
            pass
        yield


def _run(log_prob, z_best, cov, settings, seed, backend_path, label, progress, start, vectorize, loaded):
    """:func:`run` after the checkpoint (if any) has been locked and read."""
    n_walkers, max_steps = int(settings["n_walkers"]), int(settings["max_steps"])
    check_every, n_tau = int(settings["check_every"]), float(settings["n_tau"])
    tau_rtol = float(settings["tau_rtol"])
    ndim = np.asarray(z_best).size
    # differential evolution with the corrected snooker move (emcee 3.1.6's is biased: stats/moves.py)
    moves = default_moves()
    if loaded is None:
        rng = np.random.default_rng(seed)
        batch = log_prob if vectorize else (lambda rows: np.array([log_prob(r) for r in rows]))
        coords = initial_walkers(z_best, cov, n_walkers, rng, batch, start)
        state = emcee.State(coords, random_state=np.random.RandomState(seed).get_state())
        chain = np.empty((0, n_walkers, ndim))
        logp = np.empty((0, n_walkers))
        accepted = np.zeros(n_walkers)
    else:
        chain, logp, accepted, state = loaded
    while True:
        done = chain.shape[0]
        if done >= 2 * check_every:
            tau = emcee.autocorr.integrated_time(chain, tol=0)
            tau_half = emcee.autocorr.integrated_time(chain[: done // 2], tol=0)  # stationarity: first half vs all
            long_enough = bool(np.all(np.isfinite(tau)) and np.all(done > n_tau * tau))
            change = float(abs(tau_half.max() - tau.max()) / tau.max())  # of the slowest parameter's tau
            stable = change < tau_rtol
            if long_enough and stable:
                burn = int(np.ceil(2 * tau.max()))
                thin = max(1, int(tau.max() / 2))
                return RunResult(seed, chain, logp, tau, tau_half, float(np.mean(accepted / done)), burn, thin)
            print(
                f"{label} seed {seed}: {done} steps, max tau = {np.nanmax(tau):.0f} steps, tau changed by "
                f"{change:.1%} from the first half (need > {n_tau:g} tau and < {tau_rtol:.0%} change)",
                flush=True,
            )
            if done >= max_steps:
                length = "ok" if long_enough else f"needs {n_tau * np.nanmax(tau):.0f} steps"
                drift = (
                    "stable"
                    if stable
                    else f"of the whole run differs from its first half by {change:.1%} > {tau_rtol:.0%}"
                )
                raise ConvergenceError(
                    f"{label} (seed {seed}): not converged within max_steps = {max_steps}: max tau = "
                    f"{np.nanmax(tau):.0f} steps (length {length}, tau {drift}); "
                    "increase mcmc.max_steps"
                )
        elif done >= max_steps:
            raise ConvergenceError(
                f"{label} (seed {seed}): max_steps = {max_steps} is below two checks "
                f"({2 * check_every} steps); increase mcmc.max_steps"
            )
        steps = min(check_every - done % check_every, max_steps - done)
        sampler = emcee.EnsembleSampler(n_walkers, ndim, log_prob, moves=moves, vectorize=vectorize)
        state = sampler.run_mcmc(state, steps, progress=progress)
        chain = np.concatenate([chain, sampler.get_chain()])
        logp = np.concatenate([logp, sampler.get_log_prob()])
        accepted = accepted + sampler.backend.accepted
        if backend_path is not None:
            _save_checkpoint(backend_path, chain, logp, accepted, state)


def records(array, names):
    """A structured array with one named float field per column of ``array`` (n, len(names))."""
    from numpy.lib.recfunctions import unstructured_to_structured

    return unstructured_to_structured(np.asarray(array, dtype=float), dtype=np.dtype([(n, float) for n in names]))


def derived_samples(samples, device, sideband):
    """The :data:`pumpfit.DERIVED` quantities of each sample: shape (n, 7)."""
    return np.array([pumpfit.draw_quantities(x, device, sideband) for x in samples])


def mode(values):
    """Most likely value: the maximum of a Gaussian kernel density estimate."""
    from scipy.stats import gaussian_kde

    values = np.asarray(values)
    grid = np.linspace(np.percentile(values, 0.5), np.percentile(values, 99.5), 512)
    return float(grid[np.argmax(gaussian_kde(values)(grid))])


def summarise(values, bound=None):
    """Mode, mean, std, 68 % and 95 % central intervals and, with ``bound``, P(value < bound)."""
    values = np.asarray(values)
    out = {
        "value": mode(values),
        "mean": float(values.mean()),
        "sigma": float(values.std(ddof=1)),
        "ci68": np.percentile(values, [16, 84]).tolist(),
        "ci95": np.percentile(values, [2.5, 97.5]).tolist(),
        "n_samples": int(values.size),
    }
    if bound is not None:
        out["prob_below"] = float(np.mean(values < bound))
        out["bound"] = bound
    return out


def _die_with_parent(parent_pid):
    """Pool initializer: end this worker when its parent dies (Linux ``prctl(PR_SET_PDEATHSIG)``).

    A notebook kernel killed hard would otherwise leave its MCMC workers sampling on as orphans.
    """
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
        if os.getppid() != parent_pid:  # the parent died before the call
            os._exit(1)


def _run_one(args):
    return run(*args)


def coordinates_for(prior, kind):
    """Sampling coordinates: ``"pinned"`` (:class:`reparam.PumpCoordinates`, gain relative to the
    calibration's) or ``"physical"`` (:class:`Identity`, the previous method)."""
    if kind == "pinned":
        return reparam.PumpCoordinates(prior[("gain_dB", "n_add")][0][0])
    if kind == "physical":
        return Identity()
    raise ValueError(f"unknown mcmc.coordinates {kind!r} (pinned or physical)")


def sample_trace(ds, i, device, sideband, fits, settings, chain_dir=None, processes=1):
    """Least-squares start, then independent emcee runs (one per seed in ``settings['seeds']``).

    Returns ``(runs, fit_result, priors)``; the runs' chains are in physical parameters.
    ``settings['coordinates']`` (default ``"pinned"``) chooses where the walkers move
    (:func:`coordinates_for`); ``"physical"`` is the previous method as a whole: physical
    coordinates, a tiny starting ball and one evaluation per walker. Runs execute in
    ``processes`` worker processes. Chains are checkpointed in
    ``chain_dir/<label>_seed<seed>.h5`` (emcee's HDF5 layout, sampling coordinates), so an
    interrupted run resumes.
    """
    from concurrent.futures import ProcessPoolExecutor

    label = str(ds["label"].values[i])
    result, prior = pumpfit.fit_trace(ds, i, device, sideband, fits)
    kind = settings.get("coordinates", "pinned")
    coordinates = coordinates_for(prior, kind)
    log_post = LogPosterior.of_trace(ds, i, device, sideband, prior, settings["bath_prior_max"])
    J = coordinates.jacobian(result.x)
    z_best, cov = coordinates.from_physical(result.x), J @ result.cov @ J.T
    previous = kind == "physical"
    jobs = []
    for seed in settings["seeds"]:
        path = None if chain_dir is None else Path(chain_dir) / f"{label}_seed{seed}.h5"
        jobs.append(
            (
                InCoordinates(log_post, coordinates),
                z_best,
                cov,
                settings,
                int(seed),
                path,
                f"MCMC {label}",
                False,
                "ball" if previous else "posterior",
                not previous,
            )
        )
    if processes > 1:
        with ProcessPoolExecutor(max_workers=processes, initializer=_die_with_parent, initargs=(os.getpid(),)) as pool:
            runs = list(pool.map(_run_one, jobs))
    else:
        runs = [_run_one(job) for job in jobs]
    return [r.in_physical(coordinates) for r in runs], result, prior


def posterior_summary(runs, device, sideband, attrs=None):
    """Posterior of a set of independent runs: ``(summary, derived, idata)``.

    The runs' thinned post-burn-in draws (truncated to the shortest run) give the derived
    quantities of :data:`pumpfit.DERIVED` at every draw; ``derived`` is their pooled draws as a
    structured array with those names as fields (``derived["Pminus"]``). ``summary`` holds their
    distributions, every parameter's, the ArviZ diagnostics of every quantity
    (:mod:`entangled_drums.stats.diagnostics`) and per-run figures (acceptance, tau of the whole
    run and of its first half, effective samples).
    ``idata``: :mod:`entangled_drums.inference.posterior`'s InferenceData.
    """
    n = min(r.kept.shape[0] for r in runs)
    params = np.stack([r.kept[:n] for r in runs])  # (runs, n, walkers, 14)
    lp = np.stack([r.log_prob[r.burn :: r.thin][:n] for r in runs])
    derived = derived_samples(params.reshape(-1, params.shape[-1]), device, sideband).reshape(
        *params.shape[:3], len(pumpfit.DERIVED)
    )
    keys, bounds = ("Xplus", "Pminus", "duan"), (0.5, 0.5, 1.0)
    out = {
        key: summarise(derived[..., k].ravel(), bound) for k, (key, bound) in enumerate(zip(keys, bounds, strict=True))
    }
    out["diagnostics"] = {key: diagnostics.diagnose(derived[..., k]) for k, key in enumerate(keys)}
    out["diagnostics"].update({name: diagnostics.diagnose(params[..., j]) for j, name in enumerate(pumpfit.NAMES)})
    out["runs"] = [
        {
            "seed": r.seed,
            "steps": r.steps,
            "walkers": r.n_walkers,
            "burn_in": r.burn,
            "thin": r.thin,
            "acceptance": r.acceptance,
            "tau": dict(zip(pumpfit.NAMES, r.tau.tolist(), strict=True)),
            "tau_first_half": dict(zip(pumpfit.NAMES, r.tau_half.tolist(), strict=True)),
            "effective_samples": r.effective_samples,
        }
        for r in runs
    ]
    out["parameters"] = {name: summarise(params[..., j].ravel()) for j, name in enumerate(pumpfit.NAMES)}
    out["n_draws"] = int(derived[..., 0].size)
    meta = dict(
        attrs or {},
        seeds=[r.seed for r in runs],
        walkers=runs[0].n_walkers,
        burn_in=[r.burn for r in runs],
        thin=[r.thin for r in runs],
        max_tau=[float(r.tau.max()) for r in runs],
    )
    idata = posterior.build(params, derived, lp, meta)
    return out, records(derived.reshape(-1, len(pumpfit.DERIVED)), pumpfit.DERIVED), idata


def check_convergence(summary, settings, label):
    """Raise :class:`ConvergenceError` unless every quantity has R-hat below ``settings['rhat_max']``
    (both layouts) and bulk and tail ESS of at least ``settings['min_ess']``."""
    bad = diagnostics.failures(summary["diagnostics"], float(settings["rhat_max"]), float(settings["min_ess"]))
    if bad:
        raise ConvergenceError(
            f"{label}: not converged by ArviZ's diagnostics: "
            + "; ".join(bad)
            + " (increase mcmc.n_tau, or mcmc.max_steps)"
        )
