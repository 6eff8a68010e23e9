"""What each of the laboratory's imperfections does to the analysis (issue 25 item 5; docs/model.md §6).

For the archive's truth (``config/simulation.yaml``, its seed) the laboratory draws the raw data with
every imperfection off but those the analysis models (:data:`MODELLED`: the baseline, the analysis' own
model; without them its closed forms hold to rounding, tests/test_lab.py), with each other imperfection on
alone over that baseline, as the archive has them, and with all of them on; each time the analysis of steps 02-05 and 07
(:mod:`entangled_drums.studies.chain`, least squares, no MCMC) runs on the draw and its headline
quantities are compared with the laboratory's truth of the same draw. Printed and written to
``docs/imperfections/`` (JSON and Markdown): per configuration the pump fits' largest χ²/dof and, for the
data sets with probe spectra, ⟨X+²⟩ from the probes, ⟨P−²⟩ from the pump fit and Duan, each as
(estimate − truth)/σ, and its change from the baseline run (what the analysis misses of that imperfection).

Run: ``python benchmarks/imperfection_study.py [--out docs/imperfections] [--only NAME ...]``
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
MODELLED = ("rbw_filter", "frequency_noise", "counter_rotating", "cavity_shift", "input_slope", "ripple")


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


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "imperfections"))
    parser.add_argument("--only", nargs="*", help="imperfections to switch on alone (default: every one)")
    parser.add_argument(
        "--gain-shape-terms", type=int, default=None, help="the analysis' device.gain_shape_terms (default: config's)"
    )
    args = parser.parse_args()
    raw = yaml.safe_load((ROOT / "config" / "simulation.yaml").read_text())
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    if args.gain_shape_terms is not None:
        config["device"]["gain_shape_terms"] = args.gain_shape_terms
    names = list(raw["imperfections"])
    others = [n for n in (args.only or names) if n not in MODELLED]
    archive = [n for n in names if raw["imperfections"][n]]
    runs = [("none", list(MODELLED))] + [(n, [*MODELLED, n]) for n in others] + [("archive", archive), ("all", names)]
    results = {}
    for label, on in runs:
        truth = copy.deepcopy(raw)
        truth["imperfections"] = {n: n in on for n in names}
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "truth.yaml"
            path.write_text(yaml.safe_dump(truth))
            start = time.time()
            simulate(path, Path(tmp) / "raw", Path(tmp) / "truth.json")
            derived = json.loads((Path(tmp) / "truth.json").read_text())
            try:
                results[label] = analyse(Path(tmp) / "raw", derived, config)
            except Exception as err:  # an analysis that fails on this draw is a finding too
                results[label] = {"error": f"{type(err).__name__}: {err}"}
            results[label]["seconds"] = time.time() - start
        print(label, json.dumps(results[label])[:600], flush=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "imperfections.json").write_text(json.dumps(results, indent=1) + "\n")
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
    (out / "imperfections.md").write_text("\n".join(lines) + "\n" + note + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
