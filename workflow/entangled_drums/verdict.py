"""The entanglement verdict and the headline table (docs/figures.md, "The headline table").

Duan = <X+^2> (probes, BAE) + <P-^2> (pump-spectrum posterior, MCMC). The two come from
independent measurements, so the Duan distribution is their sum drawn independently; P(Duan
< 1) is its fraction below one. A data set is called entangled when that probability reaches
the configured level (``verdict.probability``), never otherwise.

Each number stands beside the paper's value (``data/paper_values.yaml``) with an agreement flag:
values agree when they differ by at most twice the combined error (the paper's 95 % half-widths
are turned into sigmas by /1.96); probabilities agree when both lie on the same side of the
verdict level.
"""

import numpy as np

from .sampling import summarise

#: Quantities of the headline table: key, label, paper key in ``headline_<set>``, paper error kind.
ROWS = [
    ("Xplus_BAE", "⟨X+²⟩ probes (BAE), optimal φ", "Xplus_BAE", "ci95"),
    ("phi_opt_deg", "optimal probe phase φ (deg)", "optimal_phi_deg", None),
    ("Xplus_lsq", "⟨X+²⟩ pump fit (least squares)", "Xplus_pumpfit", "sigma"),
    ("Pminus_lsq", "⟨P−²⟩ pump fit (least squares)", "Pminus_pumpfit", "sigma"),
    ("Pminus_mcmc", "⟨P−²⟩ pump fit (MCMC, most likely)", "Pminus_mcmc", "sigma"),
    ("prob_Pminus_below_half", "P(⟨P−²⟩ < ½)", "prob_Pminus_below_half", None),
    ("duan", "Duan quantity (BAE ⟨X+²⟩ + MCMC ⟨P−²⟩)", "duan", "sigma"),
    ("prob_duan_below_one", "P(Duan < 1)", "prob_duan_below_one", None),
    ("probe_imbalance", "probe imbalance g−/g+", "probe_imbalance", None),
    ("probe_correction", "probe-area correction factor", "probe_correction", None),
]


def duan_distribution(xplus_draws, pminus_samples, rng):
    """Draws of Duan = X+ (probe Monte Carlo) + P- (MCMC samples), paired independently."""
    xplus_draws = np.asarray(xplus_draws, dtype=float)
    pminus = rng.choice(np.asarray(pminus_samples, dtype=float), size=xplus_draws.size)
    return xplus_draws + pminus


def paper_entry(paper, dataset, key):
    """The paper's (value, sigma or None, text) for a headline key of ``dataset``; None if not given."""
    block = paper.get(f"headline_{dataset}", {})
    if key == "probe_imbalance":
        v = paper["datasets"].get(dataset, {}).get("probe_imbalance")
        return None if v is None else (float(v), None, f"{v}")
    if key == "probe_correction":
        v = block.get("probe_area_underestimate_percent")
        return None if v is None else (1.0 + float(v) / 100.0, None, f"≈ {1 + float(v) / 100:.2f} ({v} %)")
    paper_key = dict((r[0], r[2]) for r in ROWS)[key]
    entry = block.get(paper_key)
    if entry is None:
        return None
    if isinstance(entry, dict):
        kind = dict((r[0], r[3]) for r in ROWS)[key]
        sigma = float(entry["error"]) / (1.96 if kind == "ci95" else 1.0)
        return float(entry["value"]), sigma, f"{entry['value']} ± {entry['error']}"
    if isinstance(entry, str):  # a bound such as "> 0.99"
        return float(entry.strip("<> =")), None, entry
    return float(entry), None, f"{entry}"


def agrees(key, ours, paper, level):
    """Whether our value and the paper's agree (see module docstring); None if the paper gives none."""
    if paper is None:
        return None
    p_value, p_sigma, text = paper
    if key.startswith("prob_"):
        if text.startswith(">"):
            return bool(ours > p_value)
        return bool((ours >= level) == (p_value >= level))
    value, sigma = ours["value"], ours.get("sigma", 0.0)
    return bool(abs(value - p_value) <= 2.0 * np.hypot(sigma, p_sigma or 0.0))


def dataset_entry(probes, lsq, mcmc, duan_draws, level):
    """The headline record of one data set from its probe readout, least-squares fit and MCMC summaries."""
    duan = summarise(duan_draws, 1.0)
    derived = lsq["derived"]
    entry = {
        "Xplus_BAE": {k: probes["Xplus"][k] for k in ("value", "sigma", "ci95")},
        "phi_opt_deg": {k: probes["phi_opt_deg"][k] for k in ("value", "sigma")},
        "Xplus_lsq": {k: derived["Xplus"][k] for k in ("value", "sigma")},
        "Pminus_lsq": {k: derived["Pminus"][k] for k in ("value", "sigma")},
        "Pminus_mcmc": {k: mcmc["Pminus"][k] for k in ("value", "sigma", "ci95")},
        "prob_Pminus_below_half": mcmc["Pminus"]["prob_below"],
        "duan": {k: duan[k] for k in ("value", "sigma", "ci95")},
        "prob_duan_below_one": duan["prob_below"],
        "probe_imbalance": dict(probes["imbalance"]),
        "probe_correction": dict(probes["probe_correction"]),
    }
    entry["entangled"] = bool(duan["prob_below"] >= level)
    return entry


def compare(datasets, paper, level):
    """{dataset: {key: {"paper": text, "agree": bool or None}}} for the headline rows."""
    out = {}
    for name, entry in datasets.items():
        rows = {}
        for key, *_ in ROWS:
            p = paper_entry(paper, name, key)
            rows[key] = {"paper": None if p is None else p[2], "agree": agrees(key, entry[key], p, level)}
        out[name] = rows
    return out


def _fmt(value):
    if isinstance(value, dict):
        text = f"{value['value']:.3f} ± {value['sigma']:.3f}"
        if "ci95" in value:
            text += f" [{value['ci95'][0]:.3f}, {value['ci95'][1]:.3f}]"
        return text
    return f"{value:.3f}"


def markdown(headline):
    """The headline table as Markdown."""
    names = sorted(headline["datasets"])
    lines = ["# Headline numbers", "",
             "Reproduced values: most likely ± standard error [95 % interval]. Paper: Ockeloen-Korppi et al., "
             "Nature 556, 478 (2018). *agree*: within twice the combined error (probabilities: same side of the "
             f"{headline['verdict_probability']:.0%} verdict level).", ""]
    header = "| quantity |" + "".join(f" {n} reproduced | {n} paper | agree |" for n in names)
    lines += [header, "|---|" + "---|---|---|" * len(names)]
    for key, label, *_ in ROWS:
        row = f"| {label} |"
        for n in names:
            c = headline["comparison"][n][key]
            agree = {True: "yes", False: "**no**", None: "–"}[c["agree"]]
            row += f" {_fmt(headline['datasets'][n][key])} | {c['paper'] or '–'} | {agree} |"
        lines.append(row)
    lines.append("")
    for n in names:
        e = headline["datasets"][n]
        word = "ENTANGLED" if e["entangled"] else "NOT shown to be entangled"
        lines.append(f"- **Data set {n}: {word}** — P(Duan < 1) = {e['prob_duan_below_one']:.3f} "
                     f"(level {headline['verdict_probability']:.2f}); Duan = {_fmt(e['duan'])}.")
    prov = headline["provenance"]
    lines += ["", f"Provenance: commit `{prov['git']['commit']}` (dirty: {prov['git']['dirty']}), "
              f"config sha256 `{prov['config_sha256'][:12]}`, raw data `{prov['raw_dir']}` "
              f"({len(prov['raw_data_sha256'])} files), seeds {prov['seeds']}.", ""]
    return "\n".join(lines)


_TEX_KEYS = {"Xplus_BAE": "XplusBAE", "phi_opt_deg": "PhiOpt", "Xplus_lsq": "XplusLSQ", "Pminus_lsq": "PminusLSQ",
             "Pminus_mcmc": "PminusMCMC", "duan": "Duan", "probe_imbalance": "ProbeImbalance",
             "probe_correction": "ProbeCorrection", "prob_Pminus_below_half": "ProbPminusBelowHalf",
             "prob_duan_below_one": "ProbDuanBelowOne"}


def tex(headline):
    """LaTeX macros (``\\XplusBAE``, ``\\XplusBAEerr``, ...) for data set C; ``...SetD`` for D, etc."""
    lines = ["% Generated by the workflow (notebooks/08_entanglement_verdict.py). Do not edit.",
             "% Data set C has the plain names; other data sets append Set<name>."]
    for name in sorted(headline["datasets"]):
        suffix = "" if name == "C" else f"Set{name}"
        e = headline["datasets"][name]
        for key, macro in _TEX_KEYS.items():
            v = e[key]
            if isinstance(v, dict):
                lines.append(f"\\newcommand{{\\{macro}{suffix}}}{{{v['value']:.2f}}}")
                lines.append(f"\\newcommand{{\\{macro}err{suffix}}}{{{v['sigma']:.2f}}}")
                if "ci95" in v:
                    lines.append(f"\\newcommand{{\\{macro}low{suffix}}}{{{v['ci95'][0]:.2f}}}")
                    lines.append(f"\\newcommand{{\\{macro}high{suffix}}}{{{v['ci95'][1]:.2f}}}")
            else:
                lines.append(f"\\newcommand{{\\{macro}{suffix}}}{{{100 * v:.0f}\\,\\%}}")
        lines.append(f"\\newcommand{{\\Entangled{suffix}}}{{{'yes' if e['entangled'] else 'no'}}}")
    return "\n".join(lines) + "\n"
