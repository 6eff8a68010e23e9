"""The comparison with the paper, like for like: which reading of its ± its own numbers support, each
quantity's distance from its bound in σ, and a named test that can fail.

**The paper's ±.** Ockeloen-Korppi et al. print ``value ± error`` and say what the ± is only for the probes'
⟨X+²⟩ ("95 % statistical confidence intervals"). Each ± is therefore read three ways (:func:`readings`):

=====================  ==========================================================================================
``one sigma``          σ = error
``95 % half-width``    σ = error / 1.96
``linear sum``         Duan only ("combining ... with equal-weight error bars"): its ± is the parts' ±
                       added linearly (0.04 + 0.08 ≈ 0.13); the σ of a sum of independent parts is their
                       quadrature sum, with each part read as one σ or as a 95 % half-width
=====================  ==========================================================================================

Where the paper also gives a probability of the bound (P(⟨P−²⟩ < ½) = 0.96, P(Duan < 1) = 0.98), the σ that
probability implies for a Gaussian at the printed value is ``(bound − value) / Φ⁻¹(P)``, and a reading is
*supported* when its Gaussian probability rounds to the paper's at the paper's printed digits.

**The tests** (:func:`value_test`, :func:`probability_test`), each named in the headline:

* a value: ``z = (ours − paper) / √(σ_ours² + σ_paper²)`` with the paper's σ from its own probability where it
  gives one, else from the reading it states, else one σ (the widest). *consistent* when ``|z| ≤ 2``, but
  *uninformative* when the bound lies within the test's window ``paper ± 2 √(σ_ours² + σ_paper²)``: a value on
  the other side of the bound would have passed too. *inconsistent* when ``|z| > 2``.
* a probability: the bound distances ``d = Φ⁻¹(P)`` (the bound's distance from the value in σ) of two
  measurements of one quantity with equal precision differ by N(0, 2), so *consistent* when
  ``|d_ours − d_paper| ≤ 2 √2`` for every d ours allows (some d the paper's allows: "> 0.99" allows any
  d > 2.33), *inconsistent* when no pair comes that close, and *undecided* when our probability is only a bound
  (no draw beyond the bound) that leaves both possible. Our d comes with its Monte Carlo resolution; where
  that leaves the test undecided, the same test on our Gaussian bound distance (bound − mode)/sd is shown
  beside it (no Monte Carlo floor, but a Gaussian reading of the posterior's tail).
"""

import math

from scipy.stats import norm

#: z beyond which a value (or bound distance) counts as inconsistent with the paper's.
Z_MAX = 2.0

#: The headline rows compared: row -> (the bound it is read against, the probability row of that bound or None).
BOUNDS = {
    "Xplus_BAE": (0.5, None),
    "Xplus_paper_estimator": (0.5, None),
    "Xplus_lsq": (0.5, None),
    "Pminus_lsq": (0.5, None),
    "Pminus_mcmc": (0.5, "prob_Pminus_below_half"),
    "duan": (1.0, "prob_duan_below_one"),
}
#: A probability row -> the value row whose bound it counts draws against.
PROBABILITY_OF = {p: row for row, (_, p) in BOUNDS.items() if p}


def _digits(text):
    """Decimal places printed in a number's text ("0.96" -> 2)."""
    mantissa = text.strip("<> =").split("e")[0]
    return len(mantissa.partition(".")[2])


def bound_distance(value, sigma, bound):
    """``(bound − value) / sigma``: how many σ the value lies below the bound (negative: above it)."""
    return (bound - value) / sigma if sigma > 0 else math.copysign(math.inf, bound - value)


def implied_sigma(value, bound, probability):
    """The σ for which a Gaussian at ``value`` has ``probability`` below ``bound``; None if undefined."""
    z = norm.ppf(probability)
    if not math.isfinite(z) or z == 0.0 or (bound - value) / z <= 0:
        return None
    return (bound - value) / z


def readings(value, error, bound, parts=None):
    """The paper's ``value ± error`` read each way (module docstring): a list of
    ``{"reading", "sigma", "bound_distance", "probability"}``, the last the Gaussian probability below
    ``bound``. ``parts``: the errors of the parts a linear sum adds (Duan), else None."""
    sigmas = [("one sigma", error), ("95 % half-width", error / 1.96)]
    if parts:
        quadrature = math.sqrt(sum(e * e for e in parts))
        sigmas += [("linear sum, parts one sigma", quadrature), ("linear sum, parts 95 %", quadrature / 1.96)]
    out = []
    for name, sigma in sigmas:
        d = bound_distance(value, sigma, bound)
        out.append({"reading": name, "sigma": sigma, "bound_distance": d, "probability": float(norm.cdf(d))})
    return out


def supported(reads, probability_text):
    """The readings whose Gaussian probability rounds to the paper's printed probability, and the nearest one
    (by bound distance) as ``(names, nearest)``; ``([], None)`` when the paper gives no probability."""
    if probability_text is None or probability_text.strip()[0] in "<>":
        return [], None
    p = float(probability_text)
    digits = _digits(probability_text)
    names = [r["reading"] for r in reads if round(r["probability"], digits) == round(p, digits)]
    target = norm.ppf(p)
    nearest = min(reads, key=lambda r: abs(r["bound_distance"] - target))["reading"]
    return names, nearest


def value_test(ours, paper_value, paper_sigma, bound):
    """The named z-test of a value against the paper's (module docstring): ``{"test", "z", "window",
    "outcome"}``."""
    combined = math.hypot(ours["sigma"], paper_sigma)
    z = (ours["value"] - paper_value) / combined
    window = [paper_value - Z_MAX * combined, paper_value + Z_MAX * combined]
    if abs(z) > Z_MAX:
        outcome = "inconsistent"
    elif window[0] <= bound <= window[1]:
        outcome = "uninformative"
    else:
        outcome = "consistent"
    return {
        "test": f"|z| ≤ {Z_MAX:g}, z = (ours − paper)/√(σ² + σ_paper²)",
        "z": z,
        "window": window,
        "outcome": outcome,
    }


def probability_range(below, draws, effective):
    """Our P(below the bound) as ``(low, high, text)`` at its Monte Carlo resolution.

    ``below`` of ``draws`` draws fell below the bound; ``effective``: the effective number of independent
    draws behind the fraction. Where fewer than 3 effective draws lie on one side, the probability is only
    bounded: ``> 1 − 3/e`` (the "rule of three", one-sided 95 %); otherwise ``p ± 2 MCSE``,
    ``MCSE = √(p (1 − p) / e)``.
    """
    p = below / draws
    e = float(effective)
    if (1.0 - p) * e < 3.0:
        low = 1.0 - 3.0 / e
        return low, 1.0, f"> {low:.4f}"
    if p * e < 3.0:
        high = 3.0 / e
        return 0.0, high, f"< {high:.4f}"
    mcse = math.sqrt(p * (1.0 - p) / e)
    digits = max(2, 1 - math.floor(math.log10(mcse)))
    return max(0.0, p - 2 * mcse), min(1.0, p + 2 * mcse), f"{p:.{digits}f} ± {mcse:.{digits}f}"


def _distance_range(low, high):
    return float(norm.ppf(low)), float(norm.ppf(high))


def probability_test(ours_range, paper_text):
    """The named test of our probability against the paper's (module docstring). ``ours_range``: ``(low,
    high)`` of our probability at its resolution; ``paper_text``: the paper's ("0.98", "> 0.99")."""
    ours_d = _distance_range(*ours_range)
    p = float(paper_text.strip("<> ="))
    if paper_text.strip().startswith(">"):
        paper_d = (float(norm.ppf(p)), math.inf)
    elif paper_text.strip().startswith("<"):
        paper_d = (-math.inf, float(norm.ppf(p)))
    else:
        paper_d = (float(norm.ppf(p)),) * 2

    def distance(d):  # from our d to the nearest d the paper's number allows
        if math.isinf(d):
            return 0.0 if paper_d[0] <= d <= paper_d[1] else math.inf
        return max(paper_d[0] - d, d - paper_d[1], 0.0)

    gap = max(ours_d[0] - paper_d[1], paper_d[0] - ours_d[1], 0.0)  # best case over our range
    widest = max(distance(ours_d[0]), distance(ours_d[1]))  # worst case over our range (distance is convex)
    limit = Z_MAX * math.sqrt(2.0)
    if gap > limit:
        outcome = "inconsistent"
    elif widest <= limit:
        outcome = "consistent"
    else:
        outcome = "undecided"
    return {
        "test": f"|d − d_paper| ≤ {limit:.2f}, d = Φ⁻¹(P) (equal precision)",
        "ours_bound_distance": list(ours_d),
        "paper_bound_distance": list(paper_d),
        "outcome": outcome,
    }


#: headline rows whose paper value has another key in ``data/paper_values.yaml``
_PAPER_KEYS = {"Xplus_lsq": "Xplus_pumpfit", "Pminus_lsq": "Pminus_pumpfit", "Xplus_paper_estimator": "Xplus_BAE"}


def paper_value(paper, dataset, row):
    """The paper's ``(value, error, stated reading or None)`` of headline ``row`` of ``dataset``; None if none."""
    key = {"Xplus_lsq": "Xplus_pumpfit", "Pminus_lsq": "Pminus_pumpfit", "Xplus_paper_estimator": "Xplus_BAE"}.get(
        row, row
    )
    entry = paper.get(f"headline_{dataset}", {}).get(key)
    if not isinstance(entry, dict):
        return None
    return float(entry["value"]), float(entry["error"]), entry.get("reading")


def paper_probability(paper, dataset, row):
    """The paper's probability text for probability ``row`` of ``dataset`` ("0.98", "> 0.99"); None if none."""
    v = paper.get(f"headline_{dataset}", {}).get(row)
    return None if v is None else str(v)


def compare(entry, paper, dataset):
    """The whole comparison of one data set's headline ``entry`` with the paper: ``{row: {...}}`` for every
    value and probability row the paper gives. ``entry`` must carry ``probability_resolution`` (the verdict's
    :func:`with_resolution`)."""
    out = {}
    block = paper.get(f"headline_{dataset}", {})
    for row, (bound, prob_row) in BOUNDS.items():
        pv = paper_value(paper, dataset, row)
        ours = entry[row]
        ours_distance = bound_distance(ours["value"], ours["sigma"], bound)
        if pv is None:
            continue
        value, error, stated = pv
        parts = None
        if row == "duan":
            parts = [e[1] for e in (paper_value(paper, dataset, r) for r in block.get("duan_parts", [])) if e]
        reads = readings(value, error, bound, parts or None)
        ptext = paper_probability(paper, dataset, prob_row) if prob_row else None
        names, nearest = supported(reads, ptext)
        implied = implied_sigma(value, bound, float(ptext)) if ptext and ptext[0] not in "<>" else None
        if implied is not None:
            sigma, basis = implied, f"implied by the paper's P = {ptext}"
        elif stated:
            sigma = next(r["sigma"] for r in reads if r["reading"] == stated)
            basis = f"the paper's stated reading ({stated})"
        else:
            sigma, basis = error, "one sigma (the paper states none; the widest reading)"
        out[row] = {
            "paper": f"{value:g} ± {error:g}",
            "bound": bound,
            "readings": reads,
            "paper_probability": ptext,
            "implied_sigma": implied,
            "supported_readings": names,
            "nearest_reading": nearest,
            "paper_sigma_used": sigma,
            "paper_sigma_basis": basis,
            "ours_bound_distance": ours_distance,
            **value_test(ours, value, sigma, bound),
        }
    for prob_row in PROBABILITY_OF:
        ptext = paper_probability(paper, dataset, prob_row)
        resolution = entry.get("probability_resolution", {}).get(prob_row)
        if ptext is None or resolution is None:
            continue
        test = probability_test(tuple(resolution["range"]), ptext)
        value_row = PROBABILITY_OF[prob_row]
        bound = BOUNDS[value_row][0]
        gaussian = bound_distance(entry[value_row]["value"], entry[value_row]["sigma"], bound)
        test["ours_gaussian_bound_distance"] = gaussian  # (bound - value)/sigma of our draws: no MC floor
        test["gaussian_outcome"] = probability_test((norm.cdf(gaussian),) * 2, ptext)["outcome"] if (
            math.isfinite(gaussian)) else None  # fmt: skip
        out[prob_row] = {"paper": ptext, **test}
    return out


def _signed(x):
    return "∞" if x == math.inf else "−∞" if x == -math.inf else f"{x:+.2f}"


def test_cell(c):
    """A comparison's outcome and its statistic, for a table cell."""
    if not c or c.get("outcome") is None:
        return "–"
    word = {"inconsistent": "**inconsistent**"}.get(c["outcome"], c["outcome"])
    if "z" in c:
        return f"{word} (z = {_signed(c['z'])})"
    ours, theirs = c["ours_bound_distance"], c["paper_bound_distance"]
    show = [f"{v[0]:.2f}" if v[0] == v[1] else f"≥ {v[0]:.2f}" if v[1] == math.inf else f"{v[0]:.2f}–{v[1]:.2f}"
            for v in (ours, theirs)]  # fmt: skip
    text = f"{word} (d = {show[0]} vs {show[1]})"
    if c["outcome"] == "undecided" and c.get("gaussian_outcome"):
        text += f"; from our value and σ, d = {c['ours_gaussian_bound_distance']:.2f}: {c['gaussian_outcome']}"
    return text


def markdown(comparison):
    """The section of the headline that says how the paper's numbers are read and tested (Markdown lines)."""
    lines = [
        "## The paper's ± read each way",
        "",
        "The paper states its reading only for the probes' ⟨X+²⟩ (95 % intervals). For every value with a ±: "
        "the σ of each reading, the bound's distance (bound − value)/σ, and the Gaussian probability below the "
        "bound; where the paper also gives that probability, the σ it implies and the readings that reproduce it "
        "at its printed digits. *σ used*: the paper's σ in the z-test of the table above.",
        "",
        "| data set | quantity | paper | reading | σ | (bound − value)/σ | P(below bound) |",
        "|---|---|---|---|---|---|---|",
    ]
    notes = []
    for name in sorted(comparison):
        for row, c in comparison[name].items():
            if "readings" not in c:
                continue
            for r in c["readings"]:
                lines.append(
                    f"| {name} | {row} | {c['paper']} | {r['reading']} | {r['sigma']:.3f} | "
                    f"{r['bound_distance']:.2f} | {r['probability']:.4f} |"
                )
            if c["paper_probability"] is not None and c["implied_sigma"] is not None:
                d = (c["bound"] - float(c["paper"].split()[0])) / c["implied_sigma"]
                lines.append(
                    f"| {name} | {row} | {c['paper']} | *the paper's P = {c['paper_probability']}* | "
                    f"{c['implied_sigma']:.3f} | {d:.2f} | {c['paper_probability']} |"
                )
                found = ", ".join(c["supported_readings"]) or f"none (nearest: {c['nearest_reading']})"
                notes.append(f"- {name} {row}: readings that reproduce P = {c['paper_probability']}: {found}.")
            notes.append(f"- {name} {row}: σ used = {c['paper_sigma_used']:.3f}, {c['paper_sigma_basis']}.")
    lines += ["", *notes, "", "## Distance from the bound, ours beside the paper's", ""]
    lines += [
        "(bound − value)/σ of each quantity (the paper's with the σ used above); from a probability, "
        "d = Φ⁻¹(P) at its Monte Carlo resolution.",
        "",
        "| data set | quantity | bound | ours | paper |",
        "|---|---|---|---|---|",
    ]
    for name in sorted(comparison):
        for row, c in comparison[name].items():
            if "readings" in c:
                paper_d = (c["bound"] - float(c["paper"].split()[0])) / c["paper_sigma_used"]
                lines.append(f"| {name} | {row} | {c['bound']:g} | {c['ours_bound_distance']:.2f} | {paper_d:.2f} |")
            elif "ours_bound_distance" in c:
                ours, theirs = c["ours_bound_distance"], c["paper_bound_distance"]
                fmt = [f"{v[0]:.2f}" if v[0] == v[1] else f"≥ {v[0]:.2f}" if v[1] == math.inf else
                       f"{v[0]:.2f} to {v[1]:.2f}" for v in (ours, theirs)]  # fmt: skip
                bound = BOUNDS[PROBABILITY_OF[row]][0]
                lines.append(f"| {name} | {row} (from P) | {bound:g} | {fmt[0]} | {fmt[1]} |")
    lines.append("")
    return lines


def what_if_balanced(paper, balanced, dataset):
    """What the paper's ⟨X+²⟩ and Duan would read with our balanced-probe factor applied (one sentence).

    Assumes that the paper's ⟨X+²⟩ is the probe area × its 18 % alone, that its device had our ``balanced``
    factor and that the whole peak was integrated; the Duan moves by the same amount (⟨P−²⟩ unchanged), and
    its probability uses the σ the paper's own P(Duan < 1) implies.
    """
    block = paper[f"headline_{dataset}"]
    x, d = float(block["Xplus_BAE"]["value"]), float(block["duan"]["value"])
    x_new = x * balanced
    d_new = d + x_new - x
    p = block.get("prob_duan_below_one")
    sigma = implied_sigma(d, 1.0, float(p)) if isinstance(p, (int, float)) else None
    text = (
        f"If the paper's ⟨X+²⟩ = {x:g} is the probe area × its 18 % alone and its device had this balanced factor "
        f"({balanced:.3f}), our estimator would read {x_new:.3f} on its data, and Duan {d_new:.3f}"
    )
    if sigma:
        text += f"; with the σ its P = {p:g} implies ({sigma:.3f}), P(Duan < 1) = {norm.cdf((1 - d_new) / sigma):.3f}"
    return text + " (assumptions: docs/analysis.md)."
