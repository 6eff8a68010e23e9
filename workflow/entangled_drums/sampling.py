"""Posterior sampling of the pump-spectrum model with emcee, with checked convergence.

Posterior of the pump-fit parameters (:data:`entangled_drums.pumpfit.NAMES`) for one trace:

* likelihood: the exact law of an N-times averaged bin, Gamma(N, m/N):
  ``log L = sum_i [-N y_i / m_i - N log m_i] + const``;
* priors: flat and positive for the three baths ``n_c, n_m1, n_m2`` (bounded above by
  generous limits, to be proper); Gaussian from the calibrations for every other parameter
  (the same priors as the least-squares fit);
* unstable parameter points have zero posterior.

Convergence is checked, not assumed (emcee's guidance): the integrated autocorrelation time
tau of every parameter is estimated every ``check_every`` steps; a run has converged when its
length exceeds ``n_tau`` x tau for every parameter and tau changed by less than ``tau_rtol``
since the previous check. Then ``2 max tau`` steps are discarded as burn-in and the chain is thinned by
``max tau / 2``. Walkers of one ensemble are not independent, so R-hat is computed across
independent runs with different seeds. A run that does not converge within ``max_steps``
raises :class:`ConvergenceError`, and no numbers are reported.
"""

import fcntl
import os
import signal
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import emcee
import numpy as np

from . import pumpfit
from ._kernels import gamma_log_likelihood
from .fitting import prior_terms
from .model import UnstableSystemError
from .spectra import pump_spectrum
from .units import PLANCK_H, db_to_linear

#: Upper limits of the flat bath priors (quanta): far above anything physical here.
BATH_LIMITS = {"n_c": 50.0, "n_m1": 5000.0, "n_m2": 5000.0}


class ConvergenceError(RuntimeError):
    """An MCMC run did not converge within its budget."""


class LogPosterior:
    """Callable ``log p(theta | data)`` for one pump trace (picklable, for multiprocessing)."""

    def __init__(self, f, psd, n_avg, device, sideband, priors):
        self.f, self.psd, self.n_avg = np.asarray(f, dtype=float), np.asarray(psd, dtype=float), float(n_avg)
        self.offset = self.f - float(device["f_c"])
        self.device, self.sideband = device, sideband
        names = pumpfit.NAMES
        self.idx, self.mu, self.W = prior_terms(priors, names)
        self.bath = [names.index(n) for n in BATH_LIMITS]
        self.limit = list(BATH_LIMITS.values())

    def log_prior(self, x):
        """Flat positive priors on the baths (below :data:`BATH_LIMITS`), Gaussian calibration priors."""
        for k, limit in zip(self.bath, self.limit):
            if not 0.0 <= x[k] <= limit:
                return -np.inf
        z = self.W @ (x[self.idx] - self.mu)
        return -0.5 * float(z @ z)

    def __call__(self, x):
        """Log posterior at fit vector ``x`` (order :data:`pumpfit.NAMES`); the expected PSD is
        ``G h f (n_add + 1/2 + S)`` as in :func:`pumpfit.model_psd`, fused with the likelihood."""
        lp = self.log_prior(x)
        if not np.isfinite(lp):
            return -np.inf
        try:
            S = pump_spectrum(pumpfit.params_from(x, self.device, self.sideband), self.offset)
        except UnstableSystemError:
            return -np.inf
        scale = db_to_linear(x[8]) * PLANCK_H
        return lp + float(gamma_log_likelihood(self.psd, S, self.f, scale, x[9] + 0.5, self.n_avg))


@dataclass
class RunResult:
    """One converged run: thinned post-burn-in samples and diagnostics."""

    seed: int
    samples: np.ndarray  #: (n_samples, n_params), thinned, burn-in discarded
    tau: np.ndarray  #: integrated autocorrelation time per parameter (steps)
    steps: int
    n_walkers: int
    acceptance: float
    burn: int
    thin: int

    @property
    def effective_samples(self):
        """``steps * walkers / max tau`` after burn-in."""
        return float((self.steps - self.burn) * self.n_walkers / self.tau.max())


def initial_walkers(x_best, cov, n_walkers, rng, log_prob):
    """Walkers in a small Gaussian ball around the best fit, each with finite posterior."""
    scale = np.sqrt(np.diag(cov))
    walkers = []
    while len(walkers) < n_walkers:
        trial = x_best + 0.1 * scale * rng.standard_normal(x_best.size)
        if np.isfinite(log_prob(trial)):
            walkers.append(trial)
    return np.array(walkers)


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
    rng = (str(name.decode() if isinstance(name, bytes) else name), np.asarray(keys, dtype=np.uint32), int(pos),
           int(has_gauss), float(cached))
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


def run(log_prob, x_best, cov, settings, seed, backend_path=None, label="mcmc", progress=False):
    """Run (or resume) one ensemble until converged; returns :class:`RunResult`.

    ``settings``: ``n_walkers``, ``max_steps``, ``check_every``, ``n_tau``, ``tau_rtol``.
    ``backend_path``: checkpoint file (emcee HDF5 backend layout, ``.h5``) written atomically
    after every ``check_every`` steps; an existing checkpoint of the same shape is resumed, and
    the continuation is bit-identical to an uninterrupted run (the random state is part of the
    checkpoint). Sampling itself runs in memory (see :func:`_save_checkpoint`). One process at a
    time works on a checkpoint (:func:`_exclusive`).
    """
    if backend_path is None:
        return _run(log_prob, x_best, cov, settings, seed, None, label, progress, None)
    with _exclusive(backend_path, label, seed):
        loaded = _load_checkpoint(backend_path, int(settings["n_walkers"]), np.asarray(x_best).size)
        return _run(log_prob, x_best, cov, settings, seed, backend_path, label, progress, loaded)


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
            print(f"{label} seed {seed}: checkpoint {backend_path} is in use by another process "
                  "(a killed run's sampler?); waiting for it", flush=True)
            fcntl.flock(handle, fcntl.LOCK_EX)
        except OSError:  # a file system without locks: go on unlocked
            pass
        yield


def _run(log_prob, x_best, cov, settings, seed, backend_path, label, progress, loaded):
    """:func:`run` after the checkpoint (if any) has been locked and read."""
    n_walkers, max_steps = int(settings["n_walkers"]), int(settings["max_steps"])
    check_every, n_tau = int(settings["check_every"]), float(settings["n_tau"])
    tau_rtol = float(settings["tau_rtol"])
    ndim = np.asarray(x_best).size
    # differential-evolution moves mix far better here than the default stretch move
    # (measured on data set C: max tau ~130 vs ~520 steps)
    moves = [(emcee.moves.DEMove(), 0.8), (emcee.moves.DESnookerMove(), 0.2)]
    if loaded is None:
        rng = np.random.default_rng(seed)
        coords = initial_walkers(np.asarray(x_best), np.asarray(cov), n_walkers, rng, log_prob)
        state = emcee.State(coords, random_state=np.random.RandomState(seed).get_state())
        chain = np.empty((0, n_walkers, ndim))
        logp = np.empty((0, n_walkers))
        accepted = np.zeros(n_walkers)
    else:
        chain, logp, accepted, state = loaded
    taus = {}  # integrated autocorrelation time at each check, by chain length
    while True:
        done = chain.shape[0]
        if done >= 2 * check_every:
            tau = emcee.autocorr.integrated_time(chain, tol=0)
            previous = taus.pop(done - check_every, None)  # the previous check's tau (same chain prefix)
            if previous is None:  # first check after a start or a resume
                previous = emcee.autocorr.integrated_time(chain[: done - check_every], tol=0)
            taus[done] = tau
            long_enough = bool(np.all(np.isfinite(tau)) and np.all(done > n_tau * tau))
            change = float(np.max(np.abs(previous - tau) / tau))
            stable = change < tau_rtol
            if long_enough and stable:
                burn = int(np.ceil(2 * tau.max()))
                thin = max(1, int(tau.max() / 2))
                samples = chain[burn::thin].reshape(-1, ndim)
                return RunResult(seed, samples, tau, done, n_walkers, float(np.mean(accepted / done)), burn, thin)
            print(f"{label} seed {seed}: {done} steps, max tau = {np.nanmax(tau):.0f} steps, tau changed by "
                  f"{change:.1%} (need > {n_tau:g} tau and < {tau_rtol:.0%} change)", flush=True)
            if done >= max_steps:
                raise ConvergenceError(
                    f"{label} (seed {seed}): not converged within max_steps = {max_steps}: max tau = "
                    f"{np.nanmax(tau):.0f} steps (length {'ok' if long_enough else f'needs {n_tau * np.nanmax(tau):.0f} steps'}"
                    f", tau estimate {'stable' if stable else f'still changing by {change:.1%} > {tau_rtol:.0%}'}); "
                    "increase mcmc.max_steps")
        elif done >= max_steps:
            raise ConvergenceError(f"{label} (seed {seed}): max_steps = {max_steps} is below two checks "
                                   f"({2 * check_every} steps); increase mcmc.max_steps")
        steps = min(check_every - done % check_every, max_steps - done)
        sampler = emcee.EnsembleSampler(n_walkers, ndim, log_prob, moves=moves)
        state = sampler.run_mcmc(state, steps, progress=progress)
        chain = np.concatenate([chain, sampler.get_chain()])
        logp = np.concatenate([logp, sampler.get_log_prob()])
        accepted = accepted + sampler.backend.accepted
        if backend_path is not None:
            _save_checkpoint(backend_path, chain, logp, accepted, state)


def gelman_rubin(chains):
    """Potential scale reduction R-hat of a scalar across independent runs (list of 1-d arrays)."""
    n = min(len(c) for c in chains)
    x = np.array([np.asarray(c)[:n] for c in chains])
    means = x.mean(axis=1)
    W = x.var(axis=1, ddof=1).mean()
    B = n * means.var(ddof=1)
    var = (n - 1) / n * W + B / n
    return float(np.sqrt(var / W))


def derived_samples(samples, device, sideband):
    """(<X+^2>, <P-^2>, Duan, phi_opt) at each sample's optimal phase: shape (n, 4)."""
    return np.array([pumpfit.collective(x, device, sideband) for x in samples])


def mode(values):
    """Most likely value: the maximum of a Gaussian kernel density estimate."""
    from scipy.stats import gaussian_kde

    values = np.asarray(values)
    grid = np.linspace(np.percentile(values, 0.5), np.percentile(values, 99.5), 512)
    return float(grid[np.argmax(gaussian_kde(values)(grid))])


def summarise(values, bound=None):
    """Mode, mean, std, 68 % and 95 % central intervals and, with ``bound``, P(value < bound)."""
    values = np.asarray(values)
    out = {"value": mode(values), "mean": float(values.mean()), "sigma": float(values.std(ddof=1)),
           "ci68": np.percentile(values, [16, 84]).tolist(), "ci95": np.percentile(values, [2.5, 97.5]).tolist(),
           "n_samples": int(values.size)}
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
    log_prob, x_best, cov, settings, seed, backend_path, label = args
    return run(log_prob, x_best, cov, settings, seed, backend_path, label)


def sample_trace(ds, i, device, sideband, fits, settings, chain_dir=None, processes=1):
    """Least-squares start, then independent emcee runs (one per seed in ``settings['seeds']``).

    Returns ``(runs, fit_result, priors)``. Runs execute in ``processes`` worker processes.
    Chains are checkpointed in ``chain_dir/<label>_seed<seed>.h5`` (emcee's HDF5 layout) so an interrupted run resumes.
    """
    from concurrent.futures import ProcessPoolExecutor

    label = str(ds["label"].values[i])
    result, prior = pumpfit.fit_trace(ds, i, device, sideband, fits)
    log_prob = LogPosterior(ds["frequency"].values[i], ds["psd"].values[i], ds["n_averages"].values[i],
                            device, sideband, prior)
    jobs = []
    for seed in settings["seeds"]:
        path = None if chain_dir is None else Path(chain_dir) / f"{label}_seed{seed}.h5"
        jobs.append((log_prob, result.x, result.cov, settings, int(seed), path, f"MCMC {label}"))
    if processes > 1:
        with ProcessPoolExecutor(max_workers=processes, initializer=_die_with_parent, initargs=(os.getpid(),)) as pool:
            runs = list(pool.map(_run_one, jobs))
    else:
        runs = [_run_one(job) for job in jobs]
    return runs, result, prior


def posterior_summary(runs, device, sideband, max_derived=4000):
    """Derived posteriors (pooled over runs), per-run diagnostics and R-hat across runs."""
    per_run = []
    for r in runs:
        step = max(1, len(r.samples) // max_derived)
        per_run.append(derived_samples(r.samples[::step], device, sideband))
    pooled = np.concatenate(per_run)
    keys = ("Xplus", "Pminus", "duan")
    bounds = (0.5, 0.5, 1.0)
    out = {key: summarise(pooled[:, k], bound) for k, (key, bound) in enumerate(zip(keys, bounds))}
    out["rhat"] = {key: gelman_rubin([d[:, k] for d in per_run]) for k, key in enumerate(keys)}
    out["rhat"].update({f"param:{n}": gelman_rubin([r.samples[:, j] for r in runs]) for j, n in enumerate(pumpfit.NAMES)})
    out["runs"] = [{"seed": r.seed, "steps": r.steps, "walkers": r.n_walkers, "burn_in": r.burn, "thin": r.thin,
                    "acceptance": r.acceptance, "tau": dict(zip(pumpfit.NAMES, r.tau.tolist())),
                    "effective_samples": r.effective_samples} for r in runs]
    out["parameters"] = {n: summarise(np.concatenate([r.samples[:, j] for r in runs])) for j, n in enumerate(pumpfit.NAMES)}
    return out, pooled


def check_rhat(summary, rhat_max, label):
    """Raise :class:`ConvergenceError` if R-hat of a derived quantity exceeds ``rhat_max``."""
    bad = {k: v for k, v in summary["rhat"].items() if not k.startswith("param:") and not v < rhat_max}
    if bad:
        raise ConvergenceError(f"{label}: runs disagree, R-hat {bad} >= {rhat_max}; increase mcmc.max_steps or n_tau")
