"""Error budget: each source's share of a result's variance (docs/analysis.md, "Error budget").

**Method: variance decomposition by independent source.** A fit with Gaussian priors has the
posterior covariance ``S = (H + sum_k P_k)^-1`` (``H`` the data's information, ``P_k`` the
precision of calibration source ``k``), and the identity

    S = S H S + sum_k S P_k S

splits it exactly into the part the data's averaging noise contributes and one part per
calibration source: each is the covariance of the estimate as that input alone scatters (for a
linear model exactly, otherwise to first order). A derived quantity ``Q`` with ``c = Cov(theta, Q)``
then has the share ``w_B^T S_k w_B`` of source ``k`` acting on parameter block ``B``, with
``w_B = Sigma_B^-1 c_B`` and ``Sigma_B`` the block's whole prior covariance (a block whose prior
sums several sources, as the gain's calibration and its drift, splits between them exactly). The
data's share is the rest of ``c^T S^-1 c``, the part of ``Var(Q)`` linear in the parameters; that
sum is compared with ``Var(Q)`` of the draws themselves, which is the method's check.

For the MCMC, ``S`` and ``c`` are the posterior draws' covariances; for least-squares fits,
``S`` is the fit's covariance and ``c = S grad Q``. Sources that enter a result through another
fit's prior (the pump fit inside the probe line-shape fit) are split further by that fit's own
decomposition (``probes._budget``).
"""

import numpy as np

from ..stats.shares import combine, from_draws, split  # noqa: F401  (the budget's public names)


def probability_without(mean, variance, shares, bound=1.0):
    """P(Q < bound) in the normal approximation, with all sources, and with each source removed (known exactly):
    ``{"all": p, source: p}``, and the distance of ``bound`` from ``mean`` in sigma the same way."""
    from scipy.stats import norm

    z = {"all": float((bound - mean) / np.sqrt(variance))}
    z.update({source: float((bound - mean) / np.sqrt(max(variance - v, 1e-300))) for source, v in shares.items()})
    return {key: float(norm.cdf(value)) for key, value in z.items()}, z


def scale_for(target_sigma, data_variance, calibration_variance):
    """The common factor on every calibration source's width that gives ``target_sigma`` in the linear budget
    (``data + s^2 calibration = target^2``); None if the data alone exceed the target."""
    rest = target_sigma**2 - data_variance
    if rest <= 0 or calibration_variance <= 0:
        return None
    return float(np.sqrt(rest / calibration_variance))


#: Sources in the order the tables list them; the calibration sources are those a better calibration would shrink.
ORDER = [
    "averaging noise (pump spectrum)",
    "averaging noise (probe spectra)",
    "probe calibration",
    "gain and n_add",
    "kappa and kappa_out",
    "gamma1 and gamma2",
    "G+- transfer",
    "detunings",
    "cavity shift",
    "g1/g2",
    "phase drift",
    "drift: gain",
    "drift: pump powers",
    "drift: probe power",
]
CALIBRATION = [
    "probe calibration",
    "gain and n_add",
    "kappa and kappa_out",
    "gamma1 and gamma2",
    "G+- transfer",
    "detunings",
    "g1/g2",
]


def dataset_budget(params, pminus_phi, parts, names, probe_budget, duan, target_sigma=None, cross=0.0):
    """The error budget of one data set: ``<X+^2>`` (probes), ``<P-^2>`` (MCMC, at the verdict's angle), Duan and
    P(Duan < 1).

    ``params`` (n, p) posterior draws in the order ``names`` with ``pminus_phi`` (n,) their ``<(P-^phi)^2>``;
    ``parts``: the pump fit's prior parts (``{source: (names, covariance)}``); ``probe_budget``: the probe
    readout's ``budget`` record; ``duan``: (mean, variance of the verdict's draws); ``target_sigma``: a
    ``<P-^2>`` error to reach by scaling every calibration's width (the paper's), or None; ``cross``: twice the
    covariance of ``<X+^2>`` and ``<P-^2>`` in the verdict's joint draw (their shared pump parameters), a signed
    term of Duan's variance that no single source owns (kept apart, in the sum of the shares).
    """
    p_shares, p_linear, p_var = from_draws(params, pminus_phi, parts, names)
    p_shares["averaging noise (pump spectrum)"] = p_shares.pop("averaging noise")
    x_shares = dict(probe_budget["shares"])
    d_shares = combine(x_shares, p_shares)
    prob, z = probability_without(duan[0], duan[1], d_shares)
    out = {
        "Xplus": {
            "shares": x_shares,
            "linear_total": float(sum(x_shares.values())),
            "draws_variance": float(probe_budget["draws_variance"]),
        },
        "Pminus": {"shares": p_shares, "linear_total": p_linear, "draws_variance": p_var},
        "duan": {
            "shares": d_shares,
            "cross_term": float(cross),
            "linear_total": float(sum(d_shares.values()) + cross),
            "draws_variance": float(duan[1]),
            "mean": float(duan[0]),
        },
        "prob_duan_below_one": {"normal_approximation": prob, "distance_in_sigma": z},
    }
    for key in ("Xplus", "Pminus", "duan"):
        rec = out[key]
        rec["ratio_linear_to_draws"] = rec["linear_total"] / rec["draws_variance"]
    if target_sigma is not None:
        data = sum(v for k, v in p_shares.items() if k not in CALIBRATION)
        calib = sum(v for k, v in p_shares.items() if k in CALIBRATION)
        out["Pminus"]["calibration_scale_for_target"] = {
            "target_sigma": float(target_sigma),
            "scale": scale_for(target_sigma, data, calib),
        }
    return out


def markdown(budgets):
    """A Markdown table per data set: each source's standard deviation (the square root of its variance share)
    for <X+^2>, <P-^2>, Duan, and P(Duan < 1) with that source known exactly."""
    lines = []
    for name, b in budgets.items():
        lines += [
            f"### Data set {name}",
            "",
            "| source | <X+^2> (probes) | <P-^2> (MCMC) | Duan | P(Duan < 1) without it (sigma from 1) |",
            "|---|---|---|---|---|",
        ]
        prob, z = b["prob_duan_below_one"]["normal_approximation"], b["prob_duan_below_one"]["distance_in_sigma"]
        for source in ORDER:
            cells = [
                f"{np.sqrt(max(b[q]['shares'].get(source, 0.0), 0.0)):.4f}" if source in b[q]["shares"] else "–"
                for q in ("Xplus", "Pminus", "duan")
            ]
            lines.append(
                f"| {source} | "
                + " | ".join(cells)
                + f" | {prob.get(source, prob['all']):.6f} ({z.get(source, z['all']):.2f}) |"
            )
        cross = b["duan"].get("cross_term", 0.0)
        lines.append(f"| X+ and P- covariance x 2 (shared pump parameters; signed variance) | – | – | {cross:+.2e} | |")
        cells = [f"{np.sqrt(b[q]['linear_total']):.4f}" for q in ("Xplus", "Pminus", "duan")]
        lines.append("| **sum of the shares** | " + " | ".join(cells) + f" | {prob['all']:.6f} ({z['all']:.2f}) |")
        cells = [
            f"{np.sqrt(b[q]['draws_variance']):.4f} ({b[q]['ratio_linear_to_draws']:.3f})"
            for q in ("Xplus", "Pminus", "duan")
        ]
        lines.append("| **draws' sd (sum/draws variance)** | " + " | ".join(cells) + " | |")
        scale = b["Pminus"].get("calibration_scale_for_target")
        lines.append("")
        if scale is not None:
            s = scale["scale"]
            lines.append(
                f"<P-^2> ± {scale['target_sigma']:g} (the paper's) would need every calibration source "
                + (
                    f"{s:.1f} times as wide as ours (linear budget)."
                    if s is not None
                    else "narrower than zero: the averaging noise alone exceeds it."
                )
            )
            lines.append("")
    return "\n".join(lines) + "\n"
