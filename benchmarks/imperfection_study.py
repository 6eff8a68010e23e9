"""What each of the laboratory's imperfections does to the analysis (issue 25 item 5; docs/model.md §6).

For the archive's truth (``config/simulation.yaml``, its seed) the laboratory draws the raw data with
every imperfection off but those the analysis models (:data:`MODELLED`: the baseline, the analysis' own
model; without them its closed forms hold to rounding, tests/test_lab.py), with each other imperfection on
alone over that baseline, as the archive has them, and with all of them on; the baseline is also analysed with
a part of the analysis' model switched off (:data:`UNMODELLED`: the pump–probe cross terms), to show what it
would miss without it; each time the analysis of steps 02-05 and 07
(:mod:`entangled_drums.studies.chain`, least squares, no MCMC) runs on the draw and its headline
quantities are compared with the laboratory's truth of the same draw. Printed and written to
``docs/imperfections/`` (JSON and Markdown): per configuration the pump fits' largest χ²/dof and, for the
data sets with probe spectra, ⟨X+²⟩ from the probes, ⟨P−²⟩ from the pump fit and Duan, each as
(estimate − truth)/σ, and its change from the baseline run (what the analysis misses of that imperfection).

With ``--seeds`` every configuration is also drawn at other seeds (other noise, other per-replica systematics),
and a second table gives each Δ pull's mean and standard error over all the seeds.

Run: ``python benchmarks/imperfection_study.py [--out docs/imperfections] [--only NAME ...] [--seeds S ...]
[--processes N]``
(~10 s per configuration on one core: the 12 configurations took ~2 min at commit 4ae0248).
"""

import argparse
import copy
import json
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "workflow"))

from entangled_drums.data.datasets import pump_series  # noqa: E402
from entangled_drums.lab.simulate import simulate  # noqa: E402
from entangled_drums.studies import chain  # noqa: E402

KEYS = {"Xplus_BAE": "Xplus", "Pminus_lsq": "Pminus", "duan_probe_lsq": "duan"}
#: Imperfections the analysis models (the resolution filter and the drums' jitter: a Voigt thermal line, the filter
#: on every pump spectrum; the counter-rotating couplings: the model's far components; the cavity's shift with the
#: tones on: Params.cavity_shift at the tones' frame; the input line's slope: the probe calibration's fitted power
#: ratio): on in the baseline.
MODELLED = (
    "rbw_filter",
    "frequency_noise",
    "counter_rotating",
    "cavity_shift",
    "input_slope",
    "ripple",
    "cross_terms",
)
#: Configurations that draw the baseline and analyse it with a part of the analysis' model switched off: what the
#: analysis would miss without it ({label: readout config changes}).
UNMODELLED = {"cross_terms, two-mode readout": {"cross_terms": {"correct": False, "order": 2}}}


def analyse(raw_dir, truth, config):
    device, fits_cfg, readout = config["device"], config["fits"], config["readout"]
    cal = chain.calibrate(raw_dir, device, fits_cfg)
    fits = chain.fit_pumps(raw_dir, cal["device"], fits_cfg, cal["sideband"], pump_series(config))
    probes = chain.read_out(
        raw_dir,
        cal["device"],
        cal["sideband"],
        cal["probe"],
        fits,
        readout,
        readout["datasets"],
        fits_cfg["drift"]["gain_dB"],
    )
    out = {
        "chi2_max": max(rec["fit"]["chi2_reduced"] for rec in fits.values()),
        "sideband_chi2": cal["sideband"]["fit"]["chi2_reduced"],
        "datasets": {},
    }
    for name, (res, _) in probes.items():
        t = truth["datasets"][name]
        pm = fits[name]["derived"]["Pminus"]
        x = res["Xplus"]
        duan = (x["value"] + pm["value"], (x["sigma"] ** 2 + pm["sigma"] ** 2) ** 0.5)
        values = {
            "Xplus_BAE": (x["value"], x["sigma"]),
            "Pminus_lsq": (pm["value"], pm["sigma"]),
            "duan_probe_lsq": duan,
        }
        out["datasets"][name] = {
            k: {"value": v, "sigma": s, "truth": t[KEYS[k]], "pull": (v - t[KEYS[k]]) / s}
            for k, (v, s) in values.items()
        }
    return out


def run_one(job):
    """Draw one configuration at one seed and analyse it: ``(seed, label, result)``."""
    raw, names, label, on, seed, config = job
    if label in UNMODELLED:
        config = copy.deepcopy(config)
        config["readout"].update(UNMODELLED[label])
    truth = copy.deepcopy(raw)
    truth["imperfections"] = {n: n in on for n in names}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "truth.yaml"
        path.write_text(yaml.safe_dump(truth))
        start = time.time()
        simulate(path, Path(tmp) / "raw", Path(tmp) / "truth.json", seed)
        derived = json.loads((Path(tmp) / "truth.json").read_text())
        try:
            result = analyse(Path(tmp) / "raw", derived, config)
        except Exception as err:  # an analysis that fails on this draw is a finding too
            result = {"error": f"{type(err).__name__}: {err}"}
        result["seconds"] = time.time() - start
        result["seed"] = derived["seed"]
    print(seed, label, json.dumps(result)[:300], flush=True)
    return seed, label, result


def delta_pulls(results):
    """{label: {data set: {key: Δ pull}}} of one seed's runs against its baseline (``none``)."""
    base = results.get("none", {}).get("datasets", {})
    return {
        label: {d: {k: r["datasets"][d][k]["pull"] - base[d][k]["pull"] for k in KEYS} for d in base}
        for label, r in results.items()
        if "error" not in r and base
    }


def seed_table(per_seed):
    """Markdown: each configuration's Δ pull, mean ± its standard error over the seeds (n given per row)."""
    import numpy as np

    deltas = [delta_pulls(r) for r in per_seed.values()]
    labels = list(next(iter(per_seed.values())))
    sets = list(next(d for d in deltas if d)["none"])
    header = " | ".join(f"{d} {k} Δ pull" for d in sets for k in KEYS)
    lines = ["| imperfection on | n | " + header + " |", "|---|---|" + "---|" * (len(sets) * len(KEYS))]
    for label in labels:
        rows = [d[label] for d in deltas if label in d]
        cells = []
        for d in sets:
            for k in KEYS:
                v = np.array([r[d][k] for r in rows])
                err = v.std(ddof=1) / np.sqrt(len(v)) if len(v) > 1 else float("nan")
                cells.append(f"{v.mean():+.2f} ± {err:.2f}")
        lines.append(f"| {label} | {len(rows)} | " + " | ".join(cells) + " |")
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "imperfections"))
    parser.add_argument("--only", nargs="*", help="imperfections to switch on alone (default: every one)")
    parser.add_argument(
        "--gain-shape-terms", type=int, default=None, help="the analysis' device.gain_shape_terms (default: config's)"
    )
    parser.add_argument(
        "--seeds",
        type=int,
        nargs="*",
        default=[],
        help="further seeds (other draws of the noise and of the per-replica systematics) to run every configuration "
        "at; the archive's seed is always run",
    )
    parser.add_argument("--processes", type=int, default=1, help="configurations drawn and analysed side by side")
    args = parser.parse_args()
    raw = yaml.safe_load((ROOT / "config" / "simulation.yaml").read_text())
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    if args.gain_shape_terms is not None:
        config["device"]["gain_shape_terms"] = args.gain_shape_terms
    names = list(raw["imperfections"])
    others = [n for n in (args.only or names) if n not in MODELLED]
    archive = [n for n in names if raw["imperfections"][n]]
    runs = (
        [("none", list(MODELLED))]
        + [(label, list(MODELLED)) for label in UNMODELLED]
        + [(n, [*MODELLED, n]) for n in others]
        + [("archive", archive), ("all", names)]
    )
    seeds = [None, *args.seeds]  # None: the archive's seed (config/simulation.yaml)
    jobs = [(raw, names, label, on, seed, config) for seed in seeds for label, on in runs]
    if args.processes > 1:
        from multiprocessing import get_context

        with get_context("spawn").Pool(args.processes) as pool:
            done = pool.map(run_one, jobs, chunksize=1)
    else:
        done = [run_one(job) for job in jobs]
    per_seed = {}
    for seed, label, result in done:
        per_seed.setdefault("archive" if seed is None else str(seed), {})[label] = result
    results = per_seed["archive"]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "imperfections.json").write_text(
        json.dumps({**results, "other_seeds": {k: v for k, v in per_seed.items() if k != "archive"}}, indent=1) + "\n"
    )
    base = results.get("none", {}).get("datasets", {})
    header = " | ".join(f"{d} {k} pull (Δ pull)" for d in base for k in KEYS)
    lines = [
        "| imperfection on | χ²/dof max | " + header + " |",
        "|---|---|" + "---|" * (len(base) * len(KEYS)),
    ]
    for label, r in results.items():
        if "error" in r:
            lines.append(f"| {label} | {r['error'][:80]} |")
            continue
        cells = []
        for d in base:
            for k in KEYS:
                e = r["datasets"][d][k]
                cells.append(f"{e['pull']:+.2f} ({e['pull'] - base[d][k]['pull']:+.2f})")
        lines.append(f"| {label} | {r['chi2_max']:.3f} | " + " | ".join(cells) + " |")
    note = (
        "\npull: (estimate - truth) / sigma of the same draw; Δ pull: its change from the baseline (`none`), what the "
        "analysis misses of that imperfection (the truth moves with it too)."
    )
    if len(per_seed) > 1:
        lines += [
            "",
            f"Over {len(per_seed)} seeds (the archive's and {', '.join(k for k in per_seed if k != 'archive')}): each "
            "configuration's Δ pull, mean ± its standard error (the spread over the seeds / √n; a failed draw is left "
            "out and the row's n says so).",
            "",
            *seed_table(per_seed),
        ]
        failed = [
            f"{k} {label}: {r['error'][:120]}" for k, rs in per_seed.items() for label, r in rs.items() if "error" in r
        ]
        if failed:
            lines += ["", "Failed draws: " + "; ".join(failed)]
    (out / "imperfections.md").write_text("\n".join(lines) + "\n" + note + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
