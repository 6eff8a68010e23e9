"""Sensitivity of the verdict to the systematic priors: each prior width halved and doubled.

The analysis' beliefs about the systematics are widths in the config (``fits.detuning_sigma``, the coupling
transfers, the drifts, the cavity shift, ``readout.phase_sigma_deg``): an experimenter's estimates, stated with
reasons, but estimates. This study reruns the pump fits, the probe readout and the posterior of each data set
with one width at a time scaled by each factor, and reports the Duan quantity, P(⟨P−²⟩ < ½) and P(Duan < 1)
beside the unchanged analysis. The posterior comes from importance sampling from the Laplace approximation
(:mod:`entangled_drums.inference.laplace`) for every row, the baseline included, so that rows differ only in
the prior.
"""

import copy

import numpy as np

from ..data import rawdata
from ..data.datasets import pump_series, series_of
from ..inference import laplace
from ..results import verdict
from . import chain

#: The prior widths varied: label -> path in the config.
WIDTHS = {
    "detunings": ("fits", "detuning_sigma"),
    "red coupling transfer": ("fits", "coupling_transfer_sigma", "red"),
    "blue coupling transfer": ("fits", "coupling_transfer_sigma", "blue"),
    "gain drift": ("fits", "drift", "gain_dB"),
    "pump power drift": ("fits", "drift", "pump_power"),
    "cavity shift": ("fits", "cavity_shift_sigma"),
    "probe phase": ("readout", "phase_sigma_deg"),
}


def scaled(config, path, factor):
    """A copy of ``config`` with the number at ``path`` multiplied by ``factor``."""
    out = copy.deepcopy(config)
    node = out
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = float(node[path[-1]]) * factor
    return out


def analyse(raw_dir, config, cal, datasets, rng):
    """Pump fits, probe readout and fast posterior of ``datasets`` under ``config``: ``{name: numbers}``."""
    fits, readout = config["fits"], config["readout"]
    series = {s: m for s, m in pump_series(config).items() if set(m) & set(datasets)}
    lsq = chain.fit_pumps(raw_dir, cal["device"], fits, cal["sideband"], series)
    probes = chain.read_out(
        raw_dir, cal["device"], cal["sideband"], cal["probe"], lsq, readout, datasets, fits["drift"]["gain_dB"]
    )
    out = {}
    for name in datasets:
        ds = rawdata.load(raw_dir / f"pump_{series_of(config, name)}.nc")
        i = [str(v) for v in ds["label"].values].index(name)
        post = laplace.importance_posterior(
            ds, i, cal["device"], cal["sideband"], fits, config["mcmc"]["bath_prior_max"], rng
        )
        duan, _, _ = verdict.duan_distribution(
            probes[name][1], post.derived, rng, probes[name][0]["shared_with_pminus"]
        )
        out[name] = {
            "duan": float(np.median(duan)),
            "duan_sigma": float(np.std(duan)),
            "prob_Pminus_below_half": float(np.mean(post.derived["Pminus"] < 0.5)),
            "prob_duan_below_one": float(np.mean(duan < 1.0)),
            "k_hat": post.k_hat,
        }
    return out


def run(raw_dir, config, datasets, factors=(0.5, 2.0), seed=0):
    """The whole study: ``{"baseline": {...}, "rows": [{"prior", "factor", "datasets": {...}}, ...]}``."""
    from pathlib import Path

    raw_dir = Path(raw_dir)
    cal = chain.calibrate(raw_dir, config["device"], config["fits"])
    result = {
        "factors": list(factors),
        "baseline": analyse(raw_dir, config, cal, datasets, np.random.default_rng(seed)),
    }
    rows = []
    for label, path in WIDTHS.items():
        for factor in factors:
            cfg = scaled(config, path, factor)
            rows.append(
                {
                    "prior": label,
                    "config": ".".join(path),
                    "width": float(_get(cfg, path)),
                    "factor": factor,
                    "datasets": analyse(raw_dir, cfg, cal, datasets, np.random.default_rng(seed)),
                }
            )
    result["rows"] = rows
    return result


def _get(config, path):
    for key in path:
        config = config[key]
    return config


def markdown(result):
    """The study as a Markdown table."""
    names = sorted(result["baseline"])
    lines = [
        "# Sensitivity of the verdict to the systematic priors",
        "",
        "Each prior width halved and doubled, one at a time; pump fits, probe readout and the posterior (importance "
        "sampling from the Laplace approximation, for every row alike) rerun. Probabilities are fractions of 20 000 "
        "paired draws (Duan) and 2 000 posterior draws (⟨P−²⟩): a bound of 1 means no draw beyond the bound.",
        "",
        "| prior | width |" + "".join(f" {n}: Duan | {n}: P(⟨P−²⟩ < ½) | {n}: P(Duan < 1) |" for n in names),
        "|---|---|" + "---|---|---|" * len(names),
    ]

    def cells(d):
        return "".join(
            f" {d[n]['duan']:.3f} ± {d[n]['duan_sigma']:.3f} | {d[n]['prob_Pminus_below_half']:.4f} | "
            f"{d[n]['prob_duan_below_one']:.4f} |"
            for n in names
        )

    lines.append("| **as configured** | |" + cells(result["baseline"]))
    for row in result["rows"]:
        lines.append(
            f"| {row['prior']} × {row['factor']:g} | {row['config']} = {row['width']:g} |" + cells(row["datasets"])
        )
    lines.append("")
    return "\n".join(lines)
