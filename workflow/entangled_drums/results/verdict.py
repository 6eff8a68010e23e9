"""The entanglement verdict and the headline table (docs/figures.md, "The headline table").

Duan(phi) = <(X+^phi)^2> (probes, BAE) + <(P-^phi)^2> (pump-spectrum posterior, MCMC), both at the
**same** quadrature angle phi. The two come from independent measurements, so the distribution is
their sum drawn independently (each probe draw paired with a posterior draw chosen at random). The
angle is one for all draws: the minimum of the sum of the two mean curves (:func:`duan_distribution`).
P(Duan < 1) is the fraction of draws below one. A data set is called entangled when that
probability reaches the configured level (``verdict.probability``), never otherwise.

The previous rule added the probes' minimum over phi to each posterior draw's <P-^2> at *that
draw's* Duan-optimal angle: two different angles, and since min X + P(phi*) <= min over phi of
Duan(phi), slightly anti-conservative. It is kept as ``duan_separate_phases`` for comparison.

Each number stands beside the paper's value (``data/paper_values.yaml``) with a named test that can
fail (:mod:`entangled_drums.results.paper`): a z-score with both errors, the paper's σ taken from its own
probability where it gives one; a test whose window contains the bound is reported as uninformative, not
as agreement. Probabilities carry their Monte Carlo resolution (:func:`with_resolution`).
"""

import numpy as np

from ..inference.sampling import summarise
from . import paper as paper_comparison

#: Quantities of the headline table: key, label, paper key in ``headline_<set>``, paper error kind, estimator.
ROWS = [
    (
        "Xplus_BAE",
        "⟨X+²⟩ probes (BAE), optimal φ",
        "Xplus_BAE",
        "ci95",
        "minimum over φ of a GLS fit a + b cos 2φ + c sin 2φ to the probe points; σ, 95 %: Monte Carlo draws",
    ),
    (
        "Xplus_paper_estimator",
        "⟨X+²⟩ the paper's estimator (probe area × its imbalance correction alone)",
        "Xplus_BAE",
        "ci95",
        "as the row above, each point's correction replaced by the paper's factor (readout.paper_area_factor); "
        "σ: linear propagation",
    ),
    ("phi_opt_deg", "optimal probe phase φ (deg)", "optimal_phi_deg", None, "probe setpoint of that minimum"),
    (
        "Xplus_lsq",
        "⟨X+²⟩ pump fit (least squares)",
        "Xplus_pumpfit",
        "sigma",
        "least-squares pump fit, at its Duan-optimal φ; σ: linear propagation",
    ),
    (
        "Pminus_lsq",
        "⟨P−²⟩ pump fit (least squares)",
        "Pminus_pumpfit",
        "sigma",
        "least-squares pump fit, at its Duan-optimal φ; σ: linear propagation",
    ),
    (
        "Pminus_mcmc",
        "⟨P−²⟩ pump fit (MCMC)",
        "Pminus_mcmc",
        "sigma",
        "posterior mode (Gaussian KDE), each draw at its Duan-optimal φ; σ: posterior sd; 95 %: central interval",
    ),
    ("prob_Pminus_below_half", "P(⟨P−²⟩ < ½)", "prob_Pminus_below_half", None, "fraction of posterior draws below ½"),
    (
        "duan",
        "Duan quantity (BAE ⟨X+²⟩ + MCMC ⟨P−²⟩, one φ)",
        "duan",
        "sigma",
        "mode (Gaussian KDE) of paired draws ⟨(X+^φ)²⟩ + ⟨(P−^φ)²⟩ at one φ; σ: sd; 95 %: central interval",
    ),
    ("prob_duan_below_one", "P(Duan < 1)", "prob_duan_below_one", None, "fraction of those paired draws below 1"),
    ("probe_imbalance", "probe imbalance g−/g+", "probe_imbalance", None, "line-shape fit of the probe traces"),
    (
        "probe_correction",
        "probe-area correction factor (balanced × imbalance × lines' windows)",
        "probe_correction",
        None,
        "model factor at the line-shape fit; σ: its posterior draws",
    ),
    (
        "probe_correction_balanced",
        "  its balanced-probe part (g+ = g−, pumps on)",
        None,
        None,
        "model, g+ set to g− at the line-shape fit; σ: its posterior draws",
    ),
    (
        "probe_correction_imbalance",
        "  its imbalance part (the paper's ≈ 18 %)",
        "probe_correction_imbalance",
        None,
        "model, the factor over its balanced part at the line-shape fit; σ: its posterior draws",
    ),
    (
        "probe_correction_lines",
        "  its lines' windows part (with the cross terms: whole two-mode lines / Ω/2 around each line)",
        None,
        None,
        "model areas at the line-shape fit (1 without the cross terms); σ: its posterior draws",
    ),
    (
        "probe_correction_window",
        "window factor (tails outside the recorded spans)",
        None,
        None,
        "model area / model area over the recorded bins",
    ),
    (
        "probe_correction_cross_terms",
        "cross-term factor (recorded window's area without / with the pump–probe cross terms)",
        None,
        None,
        "model areas at the line-shape fit (1 without the cross terms); σ: its posterior draws",
    ),
]
#: The headline's probabilities and the bound each counts draws against.
PROBABILITIES = {"prob_Pminus_below_half": 0.5, "prob_duan_below_one": 1.0}


def _curve(records, prefix):
    return np.column_stack([records[f"{prefix}_{k}"] for k in "abc"])


def paired_terms(xplus_draws, pminus_draws, rng, shared=None):
    """Pairs of draws of ``<(X+^phi)^2>`` and ``<(P-^phi)^2>`` at one quadrature angle phi, that angle, and the
    previous two-angle rule's Duan draws for the same pairs.

    ``xplus_draws``: the probes' Monte Carlo draws (:data:`entangled_drums.readout.probes.DRAW_FIELDS`);
    ``pminus_draws``: posterior draws (fields ``Pminus``, ``Pminus_a/b/c`` of
    :data:`entangled_drums.inference.pumpfit.DERIVED`). Every curve is ``a + b cos 2phi + c sin 2phi`` over the
    model's angle phi; phi minimises the sum of the mean curves. Each probe draw is paired with one posterior draw
    chosen at random. Without ``shared`` the pairs are independent. With it (a probe readout's
    ``shared_with_pminus``: the first-order covariance ``cov`` of ``log <X+^2>`` and ``<P-^2>`` through the pump
    parameters, in the readout's posterior) they are drawn jointly with the correlation
    ``rho = m_x cov / (sd_x sd_p)`` (means and sds of the draws at phi, clipped to +-0.99): the covariance is
    carried over, not the readout's correlation, because the pump posterior's ``<P-^2>`` is wider than the
    readout's (the probe line shapes pin the pump parameters it depends on) and its extra spread owes nothing
    to the probes. Each probe draw ``x`` is moved to ``m_x + sqrt(1 - rho^2) (x - m_x) + rho sd_x (p - m_p) / sd_p``
    with its partner ``p``: both marginals kept (means and sds, to the sampling error of the pairs), correlation
    rho. Returns ``(x, p, phi_rad, duan_separate_phases, rho)``.
    """
    x_curve, p_curve = _curve(xplus_draws, "Xplus"), _curve(pminus_draws, "Pminus")
    pair = rng.integers(0, len(p_curve), size=len(x_curve))
    a, b, c = x_curve.mean(axis=0) + p_curve.mean(axis=0)
    phi = 0.5 * np.arctan2(-c, -b)
    basis = np.array([1.0, np.cos(2 * phi), np.sin(2 * phi)])
    x, p = x_curve @ basis, p_curve[pair] @ basis
    rho = 0.0
    if shared is not None:
        m_x, s_x, m_p, s_p = x.mean(), x.std(), p.mean(), p.std()
        rho = float(np.clip(m_x * shared["cov_log_xplus_pminus"] / (s_x * s_p), -0.99, 0.99))
        x = m_x + np.sqrt(1.0 - rho**2) * (x - m_x) + rho * s_x * (p - m_p) / s_p
    separate = np.asarray(xplus_draws["Xplus"]) + np.asarray(pminus_draws["Pminus"])[pair]
    return x, p, float(phi), separate, rho


def duan_distribution(xplus_draws, pminus_draws, rng, shared=None):
    """Draws of the Duan quantity at one quadrature angle, that angle, and the previous two-angle rule's draws:
    ``(duan, phi_rad, duan_separate_phases)`` from :func:`paired_terms` (jointly with ``shared``)."""
    x, p, phi, separate, _ = paired_terms(xplus_draws, pminus_draws, rng, shared)
    return x + p, phi, separate


def pairing_effect(x, p, rho, duan_independent, shared):
    """What drawing ``<X+^2>`` and ``<P-^2>`` jointly changes: the correlation ``rho`` they were drawn with (and the
    pairs' ``x, p`` at the verdict's angle), the correlation within the readout's own posterior (``shared``:
    :func:`paired_terms`' argument; its sd of ``<P-^2>``), the Duan sigma and P(Duan < 1) jointly and paired
    independently."""
    joint = x + p
    readout = x.mean() * shared["cov_log_xplus_pminus"] / (x.std() * shared["pminus_sigma"])
    return {
        "correlation": float(rho),
        "correlation_in_readout_posterior": float(readout),
        "pminus_sigma_in_readout_posterior": float(shared["pminus_sigma"]),
        "correlation_of_the_pairs": float(np.corrcoef(x, p)[0, 1]),
        "covariance_of_the_pairs": float(np.cov(x, p)[0, 1]),
        "duan_sigma_joint": float(np.std(joint)),
        "duan_sigma_independent": float(np.std(duan_independent)),
        "prob_duan_below_one_joint": float(np.mean(joint < 1.0)),
        "prob_duan_below_one_independent": float(np.mean(duan_independent < 1.0)),
    }


def paper_entry(paper, dataset, key):
    """The paper's (value, error or None, text) for a headline key of ``dataset``; None if not given."""
    block = paper.get(f"headline_{dataset}", {})
    if key == "probe_imbalance":
        v = paper["datasets"].get(dataset, {}).get("probe_imbalance")
        return None if v is None else (float(v), None, f"{v}")
    if key == "probe_correction_imbalance":  # the paper's "18 %" is the imbalance's part (docs/model.md §4)
        v = block.get("probe_area_underestimate_percent")
        return None if v is None else (1.0 + float(v) / 100.0, None, f"≈ {1 + float(v) / 100:.2f} ({v} %)")
    paper_key = {r[0]: r[2] for r in ROWS}[key]
    if paper_key is None or key == "probe_correction":
        return None
    entry = block.get(paper_key)
    if entry is None:
        return None
    if isinstance(entry, dict):
        return float(entry["value"]), float(entry["error"]), f"{entry['value']} ± {entry['error']}"
    if isinstance(entry, str):  # a bound such as "> 0.99"
        return float(entry.strip("<> =")), None, entry
    return float(entry), None, f"{entry}"


def point_test(ours, paper_value):
    """A paper value printed without an error, against ours: ``|ours − paper| ≤ 2 σ_ours``."""
    z = (ours["value"] - paper_value) / ours["sigma"] if ours.get("sigma") else float("nan")
    outcome = "inconsistent" if abs(z) > paper_comparison.Z_MAX else "consistent"
    return {"test": f"|ours − paper| ≤ {paper_comparison.Z_MAX:g} σ_ours (the paper prints no error)", "z": z,
            "outcome": outcome if z == z else None}  # fmt: skip


def with_resolution(entry, effective):
    """Add each probability's Monte Carlo resolution to a data set's headline ``entry`` (in place).

    ``effective``: ``{probability row: effective number of independent draws}`` (from
    :mod:`entangled_drums.product.montecarlo`). Stored as ``entry["probability_resolution"][row]``:
    ``effective_draws`` and ``range`` (low, high; :func:`entangled_drums.results.paper.probability_range`).
    """
    out = {}
    for row, e in effective.items():
        counts = entry["draw_counts"][row]
        if not e:
            continue
        low, high, _ = paper_comparison.probability_range(counts["below"], counts["draws"], e)
        out[row] = {"effective_draws": float(e), "range": [low, high]}
    entry["probability_resolution"] = out
    return entry


def dataset_entry(probes, lsq, mcmc, duan, level, pairing=None):
    """The headline record of one data set from its probe readout, least-squares fit and MCMC summaries,
    ``duan``: the output of :func:`duan_distribution`, and ``pairing``: :func:`pairing_effect` (if drawn jointly)."""
    duan_draws, phi, separate = duan
    d, old = summarise(duan_draws, 1.0), summarise(separate, 1.0)
    derived = lsq["derived"]
    pminus = mcmc["Pminus"]
    entry = {
        "Xplus_BAE": {k: probes["Xplus"][k] for k in ("value", "sigma", "ci95")},
        "Xplus_paper_estimator": {k: probes["paper_estimator"][k] for k in ("value", "sigma", "factor")},
        "phi_opt_deg": {k: probes["phi_opt_deg"][k] for k in ("value", "sigma")},
        "Xplus_lsq": {k: derived["Xplus"][k] for k in ("value", "sigma")},
        "Pminus_lsq": {k: derived["Pminus"][k] for k in ("value", "sigma")},
        "Pminus_mcmc": {k: pminus[k] for k in ("value", "sigma", "ci95")},
        "prob_Pminus_below_half": pminus["prob_below"],
        "duan": {k: d[k] for k in ("value", "sigma", "ci95")},
        "prob_duan_below_one": d["prob_below"],
        "probe_imbalance": dict(probes["imbalance"]),
        "probe_correction": dict(probes["probe_correction"]),
        **{
            f"probe_correction_{part}": dict(probes["correction_parts"][part])
            for part in ("balanced", "imbalance", "window", "cross_terms", "lines")
            if part in probes["correction_parts"]
        },
        "probe_correction_balanced_causes": dict(probes.get("balanced_causes", {})),
        "duan_phi_deg": float(np.degrees(phi)),
        "duan_separate_phases": {k: old[k] for k in ("value", "sigma", "ci95")} | {"prob_below_one": old["prob_below"]},
        "draw_counts": {
            "prob_Pminus_below_half": {
                "below": int(round(pminus["prob_below"] * pminus["n_samples"])),
                "draws": int(pminus["n_samples"]),
            },
            "prob_duan_below_one": {"below": int(np.sum(duan_draws < 1.0)), "draws": int(duan_draws.size)},
        },
        "estimators": {key: estimator for key, *_, estimator in ROWS},
    }
    if pairing is not None:
        entry["pairing"] = dict(pairing)
    entry["entangled"] = bool(d["prob_below"] >= level)
    return entry


def probability_text(below, draws, bound):
    """A fraction of draws as text, as a bound with its count where no draw (or every draw) is on one side."""
    if below == draws:
        return f"> {1 - 1 / draws:.6g} (0 of {draws:,} draws ≥ {bound:g})".replace(",", " ")
    if below == 0:
        return f"< {1 / draws:.3g} (0 of {draws:,} draws < {bound:g})".replace(",", " ")
    return f"{below / draws:.4f} ({draws - below:,} of {draws:,} draws ≥ {bound:g})".replace(",", " ")


def compare(datasets, paper, level):
    """``{dataset: {row: {"paper": text or None, "outcome": ..., "test": ..., ...}}}`` for the headline rows: the
    bounded quantities and probabilities by :func:`entangled_drums.results.paper.compare`, values the paper prints
    without an error by :func:`point_test`; ``outcome`` None where the paper has no number. ``level`` is kept
    for the callers (the verdict level is not a test of agreement)."""
    out = {}
    for name, entry in datasets.items():
        detailed = paper_comparison.compare(entry, paper, name)
        rows = {}
        for key, *_ in ROWS:
            p = paper_entry(paper, name, key)
            if key in detailed:
                rows[key] = detailed[key]
            elif p is not None and isinstance(entry.get(key), dict) and p[1] is None:
                rows[key] = {"paper": p[2], **point_test(entry[key], p[0])}
            else:
                rows[key] = {"paper": None if p is None else p[2], "outcome": None}
        out[name] = rows
    return out


def predictive_summary(checks):
    """The headline's record of the pump fits' posterior predictive checks (``results/checks/predictive.json``):
    level, failing traces, and each trace's p-values."""
    return {
        "alpha": checks["alpha"],
        "failing": checks["failing"],
        "p_values": {
            name: {d: c[d]["p_value"] for d in ("chi2", "autocorrelation")} for name, c in checks["checks"].items()
        },
    }


def _predictive_line(pc):
    n = len(pc["p_values"])
    smallest = min((p, name, d) for name, ps in pc["p_values"].items() for d, p in ps.items())
    if pc["failing"]:
        named = ", ".join(f"{name} ({d}, p = {p:.2g})" for name, d, p in pc["failing"])
        return f"- **Posterior predictive checks: FAILED** for {named} (family-wise α = {pc['alpha']:g}; step 13)."
    return (
        f"- Posterior predictive checks: all {n} pump traces pass (χ² and residual autocorrelation; smallest p = "
        f"{smallest[0]:.3f}, {smallest[1]} {smallest[2]}; family-wise α = {pc['alpha']:g}; step 13)."
    )


def _resolved(counts, resolution):
    """A probability at its Monte Carlo resolution, as text."""
    return paper_comparison.probability_range(counts["below"], counts["draws"], resolution["effective_draws"])[2]


def _fmt(value, counts=None, bound=None):
    if isinstance(value, dict):
        text = f"{value['value']:.3f} ± {value['sigma']:.3f}"
        if "ci95" in value:
            text += f" [{value['ci95'][0]:.3f}, {value['ci95'][1]:.3f}]"
        return text
    if counts is not None:
        return probability_text(counts["below"], counts["draws"], bound)
    return f"{value:.3f}"


def markdown(headline):
    """The headline table as Markdown."""
    names = sorted(headline["datasets"])
    lines = [
        "# Headline numbers",
        "",
        "Reproduced values: value ± standard deviation [95 % interval]; probabilities at their Monte Carlo "
        "resolution (± its standard error, or a bound where fewer than 3 effective draws lie beyond the bound); "
        "the last column names each row's estimator. Paper: Ockeloen-Korppi et al., Nature 556, 478 (2018). "
        "*test*: a named test that can fail (sections below): a z-score with both errors, *uninformative* when "
        "its window contains the bound (a value on the other side would have passed too); for probabilities, "
        "the bound distances d = Φ⁻¹(P).",
        "",
    ]
    header = "| quantity |" + "".join(f" {n} reproduced | {n} paper | {n} test |" for n in names) + " estimator |"
    lines += [header, "|---|" + "---|---|---|" * len(names) + "---|"]
    for key, label, *_, estimator in ROWS:
        row = f"| {label} |"
        for n in names:
            c = headline["comparison"][n][key]
            e = headline["datasets"][n]
            counts = e.get("draw_counts", {}).get(key)
            resolution = e.get("probability_resolution", {}).get(key)
            if key not in e:  # a part this run does not have (e.g. a headline written before it existed)
                shown = "–"
            elif resolution:
                shown = _resolved(counts, resolution)
            else:
                shown = _fmt(e[key], counts, PROBABILITIES.get(key))
            row += f" {shown} | {c['paper'] or '–'} | {paper_comparison.test_cell(c)} |"
        lines.append(row + f" {estimator} |")
    lines.append("")
    for n in names:
        e = headline["datasets"][n]
        word = "ENTANGLED" if e["entangled"] else "NOT shown to be entangled"
        counts = e.get("draw_counts", {}).get("prob_duan_below_one")
        prob = _fmt(e["prob_duan_below_one"], counts, 1.0)
        resolution = e.get("probability_resolution", {}).get("prob_duan_below_one")
        if resolution:
            prob = f"{_resolved(counts, resolution)} ({resolution['effective_draws']:.0f} effective draws; {prob})"
        line = (
            f"- **Data set {n}: {word}** — P(Duan < 1) = {prob} (level {headline['verdict_probability']:.2f}); "
            f"Duan = {_fmt(e['duan'])}"
        )
        if "duan_phi_deg" in e:
            old = e["duan_separate_phases"]
            line += (
                f" at one quadrature angle φ = {e['duan_phi_deg']:.1f}° (model frame). The previous rule, "
                f"⟨X+²⟩ and ⟨P−²⟩ each at its own optimal angle, gave {_fmt(old)}: lower by "
                f"{e['duan']['value'] - old['value']:.4f}."
            )
        lines.append(line)
        if "pairing" in e:
            pr = e["pairing"]
            lines.append(
                f"  ⟨X+²⟩ and ⟨P−²⟩ of {n} drawn jointly (the probe correction depends on the pump parameters that "
                f"set ⟨P−²⟩; first order): correlation {pr['correlation']:+.3f}, the readout's covariance carried to "
                f"the pump posterior (within the readout's own posterior, whose probe line shapes pin ⟨P−²⟩ to "
                f"±{pr['pminus_sigma_in_readout_posterior']:.4f}, it is "
                f"{pr['correlation_in_readout_posterior']:+.3f}); "
                f"Duan σ {pr['duan_sigma_joint']:.4f} "
                f"({pr['duan_sigma_independent']:.4f} paired independently), P(Duan < 1) "
                f"{pr['prob_duan_below_one_joint']:.5f} ({pr['prob_duan_below_one_independent']:.5f})."
            )
        if "probe_correction_imbalance" in e:
            parts = {k: e[f"probe_correction_{k}"]["value"] for k in ("balanced", "imbalance", "window")}
            lines.append(
                f"  Probe-area correction of {n}: the imbalance part {parts['imbalance']:.3f} is what the paper's "
                f"≈ 18 % describes; the balanced-probe part {parts['balanced']:.3f} is the readout's departure "
                f"from an ideal back-action evasion with the pumps on (g1 ≠ g2, finite Ω/κ), and the window part "
                f"{parts['window']:.3f} restores the peaks' tails outside the recorded spans."
            )
            cross = e.get("probe_correction_cross_terms")
            if cross and cross["value"] != 1.0:
                lines.append(
                    f"  The pump–probe cross terms (the pumps' sidebands of the probes' scattering and the probes' of "
                    f"the pumps', one field) add {100 * (1 / cross['value'] - 1):+.1f} % to the recorded window's "
                    f"area: their part of the correction is {cross['value']:.4f} (the line-shape fit models them)."
                )
            causes = e.get("probe_correction_balanced_causes")
            if causes and not all(np.isfinite(v) for v in causes.values()):
                lines.append("  Its balanced-probe part's causes: undefined here (an idealised state is unstable).")
            elif causes:
                lines.append(
                    f"  Its balanced-probe part's causes (Shapley shares, docs/analysis.md): g1 ≠ g2 "
                    f"{causes['g_ratio']:.3f}, finite Ω/κ and κ/ω̄ {causes['omega_kappa']:.3f}, the pumps' change of "
                    f"the transduction {causes['pumps']:.3f}, remainder {causes['remainder']:.4f}."
                )
    for n in names:
        e = headline["datasets"][n]
        if "Xplus_paper_estimator" in e:
            ours, theirs = e["Xplus_BAE"], e["Xplus_paper_estimator"]
            lines.append(
                f"- The paper's estimator on {n} (each probe area × {theirs['factor']:g} alone) "
                f"reads {theirs['value']:.3f} ± {theirs['sigma']:.3f}, ours {ours['value']:.3f}: ours is "
                f"{ours['value'] / theirs['value']:.3f} × the paper's; ours − paper's = "
                f"{(ours['value'] - theirs['value']) / theirs['sigma']:+.1f} of its σ."
            )
        balanced = e.get("probe_correction_balanced", {}).get("value")
        paper = headline.get("paper", {}).get(f"headline_{n}", {})
        if balanced and isinstance(paper.get("Xplus_BAE"), dict) and isinstance(paper.get("duan"), dict):
            lines.append("  " + paper_comparison.what_if_balanced(headline["paper"], balanced, n))
    if headline.get("predictive_checks"):
        lines.append(_predictive_line(headline["predictive_checks"]))
    lines += ["", *paper_comparison.markdown(headline["comparison"])]
    prov = headline["provenance"]
    overrides = prov.get("config_overrides", {})
    lines += [
        "",
        f"Provenance: commit `{prov['git']['commit']}` (dirty: {prov['git']['dirty']}), "
        f"config sha256 `{prov['config_sha256'][:12]}`, raw data `{prov['raw_dir']}` "
        f"({len(prov['raw_data_sha256'])} files), seeds {prov['seeds']}.",
        "",
    ]
    if overrides:
        lines += ["Settings that differ from `config/config.yaml` (the full effective config is in headline.json):", ""]
        lines += [
            f"- `{path}`: {v['effective']!r} (config.yaml: {v['default']!r})" for path, v in sorted(overrides.items())
        ]
        lines.append("")
    return "\n".join(lines)


_TEX_KEYS = {
    "Xplus_BAE": "XplusBAE",
    "phi_opt_deg": "PhiOpt",
    "Xplus_lsq": "XplusLSQ",
    "Pminus_lsq": "PminusLSQ",
    "Pminus_mcmc": "PminusMCMC",
    "duan": "Duan",
    "probe_imbalance": "ProbeImbalance",
    "probe_correction": "ProbeCorrection",
    "prob_Pminus_below_half": "ProbPminusBelowHalf",
    "prob_duan_below_one": "ProbDuanBelowOne",
    "duan_phi_deg": "DuanPhi",
}


_DIGITS = ("Zero", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine")


def _tex_letters(name):
    """``name`` spelled in letters only (digits as words, other characters dropped)."""
    return "".join(_DIGITS[int(ch)] if ch.isdigit() else ch for ch in name if ch.isalnum() and ch.isascii())


def tex(headline, main):
    """LaTeX macros (``\\XplusBAE``, ``\\XplusBAEerr``, ...) for data set ``main``; ``...Set<name>`` for the others
    (``<name>`` in letters: TeX macro names have no digits, so ``run7`` becomes ``runSeven``)."""
    lines = [
        "% Generated by the workflow (notebooks/08_entanglement_verdict.py). Do not edit.",
        f"% Data set {main} has the plain names; other data sets append Set<name>.",
    ]
    for name in sorted(headline["datasets"]):
        suffix = "" if name == main else "Set" + _tex_letters(name)
        e = headline["datasets"][name]
        for key, macro in _TEX_KEYS.items():
            if key not in e:
                continue
            v = e[key]
            if key == "duan_phi_deg":
                lines.append(f"\\newcommand{{\\{macro}{suffix}}}{{{v:.1f}}}")
            elif isinstance(v, dict):
                lines.append(f"\\newcommand{{\\{macro}{suffix}}}{{{v['value']:.2f}}}")
                lines.append(f"\\newcommand{{\\{macro}err{suffix}}}{{{v['sigma']:.2f}}}")
                if "ci95" in v:
                    lines.append(f"\\newcommand{{\\{macro}low{suffix}}}{{{v['ci95'][0]:.2f}}}")
                    lines.append(f"\\newcommand{{\\{macro}high{suffix}}}{{{v['ci95'][1]:.2f}}}")
            else:
                lines.append(f"\\newcommand{{\\{macro}{suffix}}}{{{100 * v:.0f}\\,\\%}}")
        lines.append(f"\\newcommand{{\\Entangled{suffix}}}{{{'yes' if e['entangled'] else 'no'}}}")
    return "\n".join(lines) + "\n"
