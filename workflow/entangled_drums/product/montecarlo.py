"""The Monte Carlo error of every number of the headline, decided per quantity from its estimator.

A number of ``headline.json`` is either **deterministic** (a least-squares fit, a model factor, a count set
by the config: the same code, inputs and config give it bit for bit on one machine) or **sampled** (a
summary of Monte Carlo or MCMC draws: another stream of draws gives another value, within its Monte Carlo
error). :data:`RULES` names, per headline row and field, the estimator and the draws it is computed from;
:func:`errors` turns that into a Monte Carlo standard error (MCSE) from the run's own outputs:

==============  ==============================================================================================
estimator       MCSE (``sigma``: the row's standard deviation; ``n`` draws; ``e`` effective draws)
==============  ==============================================================================================
``mode``        maximum of a Gaussian KDE with Scott's bandwidth (:func:`entangled_drums.inference.sampling.mode`):
                ``0.6 sigma n^0.3 / sqrt(e)``. For independent draws (``e = n``) this is the asymptotic
                ``0.595 sigma n^-1/5`` of a Gaussian's KDE mode (the bandwidth ``sigma n^-1/5`` sets it, not
                ``1/sqrt(n)``); for correlated draws it is conservative (``tests/test_verify.py`` checks both)
``mean``        ``sigma / sqrt(e)``
``sd``          ``sigma / sqrt(2 e)`` (a Gaussian's sample standard deviation)
``quantile``    ``sigma sqrt(p (1 - p)) / (phi(z_p) sqrt(e))`` at ``p`` = 0.025, 0.975 (ci95) or 0.16, 0.84
                (ci68): the order statistic's error through a Gaussian density at the quantile
``probability`` ``sqrt(q (1 - q) / e)`` with ``q = (p e + 1) / (e + 2)``: a fraction of draws below a bound,
                kept off 0 and 1 so that a probability all draws decide still has a (one-draw) error
``count``       the probability's MCSE times the number of draws (``draw_counts.*.below``)
``angle``       the angle of the minimum of the summed mean curves (``duan_phi_deg``): the delta method on
                the means of the curves' coefficients, whose errors are ``cov / n`` for the probes' draws
                and ``cov / e`` for the posterior's
``run_length``  how many posterior draws the chains gave (``draw_counts.*.draws`` of a posterior): not an
                estimate, it follows from when the convergence checks passed; shown, never a failure
==============  ==============================================================================================

The draws (``e``): **probes**, the probe readout's independent Monte Carlo draws (``readout.n_draws``,
``probes.json``: ``n_draws``); **correction**, its ``readout.n_correction_draws`` draws of the probe-area
correction; **probes+correction**, the probes' draws whose scale factor is resampled from those few
correction draws (``1/e = (1 - w)/n + w/n_F``, ``w`` the correction's share of the variance); **posterior:Q**,
the pooled MCMC draws of quantity Q (``mcmc/<set>.json``: ``n_draws``; ``e`` = ArviZ's bulk ESS of Q for
mode, mean and sd, its tail ESS for quantiles and probabilities); **paired**, the verdict's sum of a probe
draw and a randomly chosen posterior draw (``n`` = the probes' draws; ``1/e = w_x/n + w_p/e_P``, ``w`` the
two terms' shares of the variance at the verdict's angle, ``e_P`` the posterior's ESS of P-).

A row or field that :data:`RULES` does not name is treated as deterministic (bit identity): a new headline
row passes on one machine, and a sampled one needs a line here before it can be compared across machines.
"""

import json
import math
from pathlib import Path

import numpy as np

#: Tolerance of a sampled number: ``Z`` times the combined MCSE of the two runs compared
#: (``Z sqrt(mcse_1^2 + mcse_2^2)``). Z = 4: a false alarm has probability 6e-5 per number if the MCSEs
#: are right, < 1 % over the ~100 sampled numbers of a headline of two data sets.
Z = 4.0

EXACT = ("exact", None)
_ROW_PROBES_BAE = {
    "value": EXACT,
    "sigma": ("sd", "probes+correction"),
    "ci95": ("quantile", "probes+correction"),
    "ci68": ("quantile", "probes+correction"),
}
_POSTERIOR_PMINUS = {
    "value": ("mode", "posterior:Pminus"),
    "mean": ("mean", "posterior:Pminus"),
    "sigma": ("sd", "posterior:Pminus"),
    "ci95": ("quantile", "posterior:Pminus"),
    "ci68": ("quantile", "posterior:Pminus"),
}
_PAIRED = {
    "value": ("mode", "paired"),
    "mean": ("mean", "paired"),
    "sigma": ("sd", "paired"),
    "ci95": ("quantile", "paired"),
    "ci68": ("quantile", "paired"),
    "prob_below_one": ("probability", "paired"),
}
_CORRECTION = {"value": EXACT, "sigma": ("sd", "correction")}

#: headline row (``datasets.<set>.<row>``) -> its estimator and draws: one ``(kind, source)`` for a number,
#: ``{field: (kind, source)}`` for a row with value, sigma, intervals. See the module docstring.
RULES = {
    "Xplus_BAE": _ROW_PROBES_BAE,  # value: the GLS curve's minimum (no draws); sigma, ci95: its draws
    "phi_opt_deg": {"value": EXACT, "sigma": ("sd", "probes"), "ci95": ("quantile", "probes")},
    "Xplus_lsq": EXACT,  # least squares, linear propagation
    "Pminus_lsq": EXACT,
    "Pminus_mcmc": _POSTERIOR_PMINUS,
    "prob_Pminus_below_half": ("probability", "posterior:Pminus"),
    "duan": _PAIRED,
    "prob_duan_below_one": ("probability", "paired"),
    "duan_separate_phases": _PAIRED,
    "duan_phi_deg": ("angle", "paired"),
    "probe_imbalance": EXACT,  # the line-shape fit
    "probe_correction": _CORRECTION,  # value: the model at the fit; sigma: over the correction draws
    "probe_correction_balanced": _CORRECTION,
    "probe_correction_imbalance": _CORRECTION,
    "probe_correction_window": _CORRECTION,
    "Xplus_paper_estimator": EXACT,  # the paper's estimator: a GLS fit, linear propagation
    # a probability's resolution follows from the chains' ESS: shown, never a failure (like a run's length)
    "probability_resolution": {
        "prob_duan_below_one": ("run_length", "paired"),
        "prob_Pminus_below_half": ("run_length", "posterior:Pminus"),
    },
    "entangled": EXACT,  # a verdict: must come out the same
    "estimators": EXACT,
}
#: the bound of each probability row whose draws ``draw_counts.<row>`` counts
_QUANTILE_P = {("ci95", 0): 0.025, ("ci95", 1): 0.975, ("ci68", 0): 0.16, ("ci68", 1): 0.84}
_DESCRIPTION = {
    "exact": "deterministic",
    "mode": "KDE mode of draws",
    "mean": "mean of draws",
    "sd": "sd of draws",
    "quantile": "quantile of draws",
    "probability": "fraction of draws",
    "count": "count of draws",
    "angle": "angle of mean curves",
    "run_length": "chain length",
}


def rule(path):
    """``(kind, source)`` of the headline number at ``path`` (a tuple of keys and list indices)."""
    if len(path) < 3 or path[0] != "datasets":
        return EXACT  # the paper's values, the comparison's flags, the verdict level: inputs and verdicts
    row = path[2]
    if row == "draw_counts" and len(path) >= 5:
        base = rule(("datasets", path[1], path[3]))
        if base == EXACT:
            return EXACT
        if path[4] == "below":
            return ("count", base[1])
        return ("run_length", base[1]) if base[1].startswith("posterior") else EXACT
    spec = RULES.get(row, EXACT)
    if isinstance(spec, dict):
        return spec.get(path[3], EXACT) if len(path) > 3 else EXACT
    return spec


def describe(kind, source):
    """A short text for the table: the estimator and its draws."""
    return _DESCRIPTION[kind] + (f" ({source})" if source else "")


def _load_json(path):
    path = Path(path)
    return json.loads(path.read_text()) if path.is_file() else None


def _curves(records, prefix):
    return np.column_stack([np.asarray(records[f"{prefix}_{k}"], dtype=float) for k in "abc"])


class Draws:
    """What the Monte Carlo errors of one data set need, read from a run's results directory."""

    def __init__(self, results_dir, dataset, entry, config):
        results_dir = Path(results_dir)
        readout = (config or {}).get("readout", {})
        probes = (_load_json(results_dir / "readout" / "probes.json") or {}).get("datasets", {}).get(dataset, {})
        mcmc = _load_json(results_dir / "mcmc" / f"{dataset}.json") or {}
        self.n_probes = int(probes.get("n_draws") or readout.get("n_draws") or 0) or None
        self.n_correction = int(readout.get("n_correction_draws") or 0) or None
        corr = probes.get("correction_at_optimum", {})
        xplus = entry.get("Xplus_BAE", {}) if isinstance(entry.get("Xplus_BAE"), dict) else {}
        self.correction_share = None
        if corr.get("value") and xplus.get("sigma"):
            rel = corr["sigma"] / corr["value"]
            self.correction_share = min(1.0, (rel * xplus["value"] / xplus["sigma"]) ** 2)
        self.n_posterior = int(mcmc["n_draws"]) if "n_draws" in mcmc else None
        self.ess = mcmc.get("diagnostics", {})
        self.paired_share = self.angle_sigma_deg = None
        x_path = results_dir / "readout" / f"xplus_draws_{dataset}.npy"
        p_path = results_dir / "mcmc" / f"{dataset}_samples.npy"
        phi = entry.get("duan_phi_deg")
        if x_path.is_file() and p_path.is_file() and isinstance(phi, (int, float)):
            self._paired(np.load(x_path), np.load(p_path), math.radians(phi))

    def _paired(self, xplus, posterior, phi):
        x, p = _curves(xplus, "Xplus"), _curves(posterior, "Pminus")
        basis = np.array([1.0, math.cos(2 * phi), math.sin(2 * phi)])
        var_x, var_p = float(np.var(x @ basis)), float(np.var(p @ basis))
        self.paired_share = var_p / (var_x + var_p) if var_x + var_p > 0 else 0.5
        e_p = self.effective("posterior:Pminus", "mean")
        if not e_p:
            return
        # the angle of the summed mean curve: 0.5 atan2(-c, -b), its gradient in (b, c) is 0.5 (-c, b) / (b^2 + c^2)
        b, c = x[:, 1].mean() + p[:, 1].mean(), x[:, 2].mean() + p[:, 2].mean()
        cov = np.cov(x[:, 1:].T) / len(x) + np.cov(p[:, 1:].T) / e_p
        grad = 0.5 * np.array([-c, b]) / (b * b + c * c)
        self.angle_sigma_deg = float(np.degrees(np.sqrt(grad @ cov @ grad)))

    def effective(self, source, kind):
        """``(n, e)``: draws and effective draws of ``source`` for an estimator of ``kind``; None if unknown."""
        tail = kind in ("quantile", "probability", "count")
        if source == "probes":
            return self.n_probes
        if source == "correction":
            return self.n_correction
        if source == "probes+correction":
            if not self.n_probes:
                return None
            if not self.n_correction or self.correction_share is None:
                return self.n_probes
            w = self.correction_share
            return 1.0 / ((1 - w) / self.n_probes + w / self.n_correction)
        if source.startswith("posterior:"):
            diag = self.ess.get(source.split(":", 1)[1], {})
            e = diag.get("ess_tail" if tail else "ess_bulk")
            return min(float(e), self.n_posterior) if e and self.n_posterior else None
        if source == "paired":
            e_p = self.effective("posterior:Pminus", kind)
            if not self.n_probes or not e_p or self.paired_share is None:
                return None
            w = self.paired_share
            return 1.0 / ((1 - w) / self.n_probes + w / e_p)
        return None

    def count(self, source):
        """How many draws the estimator averages over (``n``)."""
        if source in ("probes", "probes+correction", "paired"):
            return self.n_probes
        if source == "correction":
            return self.n_correction
        if source.startswith("posterior:"):
            return self.n_posterior
        return None


def probability_effective_draws(results_dir, dataset, entry, config):
    """``{probability row: effective draws}`` of a data set's headline ``entry`` (before it is written: the verdict
    step calls this with its own results directory), by :data:`RULES`; rows whose draws are unknown are left out."""
    draws = Draws(results_dir, dataset, entry, config)
    out = {}
    for row, spec in RULES.items():
        if isinstance(spec, tuple) and spec[0] == "probability" and row in entry:
            e = draws.effective(spec[1], "probability")
            if e:
                out[row] = float(e)
    return out


def mcse(kind, e, n=None, sigma=None, p=None, quantile=None):
    """The Monte Carlo standard error of an estimator of ``kind`` (see the module docstring); None if unknown."""
    if kind == "exact":
        return 0.0
    if not e:
        return None
    if kind == "probability":
        q = (p * e + 1.0) / (e + 2.0)
        return math.sqrt(q * (1.0 - q) / e)
    if sigma is None:
        return None
    if kind == "mode":
        return 0.6 * sigma * (n or e) ** 0.3 / math.sqrt(e)
    if kind == "mean":
        return sigma / math.sqrt(e)
    if kind == "sd":
        return sigma / math.sqrt(2.0 * e)
    if kind == "quantile":
        z = _normal_quantile(quantile)
        density = math.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)
        return sigma * math.sqrt(quantile * (1 - quantile)) / (density * math.sqrt(e))
    return None


def _normal_quantile(p):
    from scipy.stats import norm

    return float(norm.ppf(p))


def _get(tree, path):
    for key in path:
        tree = tree[key]
    return tree


def error(headline, path, draws):
    """MCSE of the number at ``path`` of ``headline`` (0 for a deterministic one, None where it cannot be
    computed), with ``draws`` the :class:`Draws` of its data set."""
    kind, source = rule(path)
    if kind == "exact":
        return 0.0
    if kind == "run_length" or draws is None:
        return None
    if kind == "angle":
        return draws.angle_sigma_deg
    e, n = draws.effective(source, kind), draws.count(source)
    if kind in ("probability", "count"):
        if kind == "count":
            row = path[3]
            counts = _get(headline, path[:-1])
            p = counts["below"] / counts["draws"] if counts.get("draws") else None
            e = draws.effective(rule(("datasets", path[1], row))[1], "probability")
            if p is None or e is None:
                return None
            return mcse("probability", e, p=p) * counts["draws"]
        return mcse("probability", e, p=float(_get(headline, path)))
    row = _get(headline, path[:3])
    sigma = row.get("sigma") if isinstance(row, dict) else None
    quantile = _QUANTILE_P.get((path[3], path[4])) if len(path) > 4 else None
    if kind == "quantile" and quantile is None:
        return None
    return mcse(kind, e, n=n, sigma=sigma, quantile=quantile)


def errors(headline, results_dir):
    """``{path: (mcse or None, kind, source)}`` for every number under ``datasets`` of ``headline``, from the run
    whose outputs are in ``results_dir`` (probes.json, mcmc/<set>.json, the draws' .npy files)."""
    config = headline.get("provenance", {}).get("config", {})
    out = {}
    for name, entry in headline.get("datasets", {}).items():
        draws = Draws(results_dir, name, entry, config)
        for path, value in leaves(entry, ("datasets", name)):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                continue
            kind, source = rule(path)
            out[path] = (error(headline, path, draws), kind, source)
    return out


def leaves(tree, prefix=()):
    """``(path, value)`` of every leaf (number, bool, string, None) under ``tree``."""
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield from leaves(value, (*prefix, key))
    elif isinstance(tree, list):
        for i, value in enumerate(tree):
            yield from leaves(value, (*prefix, i))
    else:
        yield prefix, tree


def dotted(path):
    """``("datasets", "C", "duan", "ci95", 0)`` -> ``datasets.C.duan.ci95[0]``."""
    text = ""
    for key in path:
        text += f"[{key}]" if isinstance(key, int) else (f".{key}" if text else str(key))
    return text
