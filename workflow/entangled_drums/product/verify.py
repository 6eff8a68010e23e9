"""Does the deposit reproduce? Rerun the whole workflow from its raw data and compare, number by number.

    make verify                                       # in an unpacked deposit, or in the repository
    python -m entangled_drums.product.verify [--results results] [--scratch .verify] [--cores N]
    python -m entangled_drums.product.verify --rerun DIR    # compare with a finished rerun, no new run

The rerun uses the deposited run's own effective configuration (``headline.json`` -> ``provenance`` ->
``config``, written to ``<scratch>/config.yaml``) and its raw data (``raw_dir``), and writes into
``<scratch>/results``. Then every number of ``headline.json`` (but its ``provenance`` and the ``macros``
records, which repeat them) and every macro of ``headline.tex`` is compared with the deposited one:

* **deterministic** numbers (least-squares fits, model factors, counts the config sets, verdicts and the
  paper's values): **bit identity** when the rerun runs on the machine of the deposit (same architecture,
  CPU model and instruction-set flags: ``provenance.machine``); on another machine a relative tolerance
  (``--rtol``, default 1e-6: numpy and numba pick SIMD code per CPU, the raw data's simulation alone differs
  by 1e-11 relative there, and fits can amplify that; an assumption, not a measurement);
* **sampled** numbers (summaries of MCMC or Monte Carlo draws: posterior modes, standard deviations,
  intervals, probabilities): ``Z sqrt(mcse_deposit^2 + mcse_rerun^2)`` with Z = 4 and each run's Monte
  Carlo standard error from its own draws (:mod:`entangled_drums.product.montecarlo` decides the estimator
  of each number and says how). On one machine they come out identical as well (every seed is fixed);
  the tolerance is what another stream of draws would be allowed;
* a macro prints a rounded number: it passes if equal as text, or, for a sampled (or other-machine) number,
  if it differs by at most the number's tolerance plus one unit of its last printed digit (two roundings);
  which number a macro prints is found from ``verdict.tex`` itself (:func:`records.macro_sources`);
* the inputs must be the deposit's: the raw data's SHA-256 and the config's hash equal. Package versions
  and the machine are shown (a difference is "info", not a failure: it decides the tolerances above).

Exit status: 0 if every number passes, 1 if any fails (each failure named at the end), 2 if the rerun
itself fails or a headline is missing.
"""

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from . import montecarlo, records

#: relative tolerance of a deterministic number on another machine (see the module docstring)
RTOL_OTHER_MACHINE = 1e-6
#: not compared number by number: the run's provenance, the macros' records (compared as headline.tex), and the
#: comparison with the paper (z-scores and outcomes computed from the datasets' numbers, which are compared
#: themselves, and the paper's; a z moves with the sampled numbers it is computed from), and the predictive checks'
#: p-values (Monte Carlo fractions of their own 200 draws, standard error ~0.03: shown, not a reproduction target)
_NOT_COMPARED = ("provenance", "macros", "comparison", "predictive_checks")


@dataclass
class Row:
    quantity: str
    deposited: object
    rerun: object
    difference: float | None
    tolerance: float | None
    rule: str
    verdict: str  # "ok", "FAIL" or "info"


def _load(results_dir):
    path = Path(results_dir) / "headline.json"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no headline to compare")
    return json.loads(path.read_text())


def _numbers(headline):
    return {
        path: value for path, value in montecarlo.leaves({k: v for k, v in headline.items() if k not in _NOT_COMPARED})
    }


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _equal(a, b):
    if _is_number(a) and _is_number(b) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


def _inputs(dep, rer):
    """Rows for the rerun's inputs (must be the deposit's) and environment (shown)."""
    pd, pr = dep.get("provenance", {}), rer.get("provenance", {})
    rows = []
    raw_d, raw_r = pd.get("raw_data_sha256"), pr.get("raw_data_sha256")
    same = raw_d == raw_r and raw_d is not None
    rows.append(
        Row(
            f"input: raw data ({len(raw_d or {})} files, SHA-256)",
            pd.get("raw_dir"),
            pr.get("raw_dir"),
            None,
            None,
            "equal",
            "ok" if same else "FAIL",
        )
    )
    rows.append(
        Row(
            "input: configuration (SHA-256)",
            str(pd.get("config_sha256"))[:12],
            str(pr.get("config_sha256"))[:12],
            None,
            None,
            "equal",
            "ok" if pd.get("config_sha256") == pr.get("config_sha256") else "FAIL",
        )
    )
    vd, vr = pd.get("versions", {}), pr.get("versions", {})
    differ = sorted(k for k in set(vd) | set(vr) if vd.get(k) != vr.get(k))
    rows.append(
        Row(
            "environment: package versions",
            f"{len(vd)} packages",
            "same" if not differ else "differ: " + ", ".join(f"{k} {vd.get(k)}->{vr.get(k)}" for k in differ),
            None,
            None,
            "shown",
            "ok" if not differ else "info",
        )
    )
    return rows


def same_machine(dep, rer):
    """True if both runs recorded the same machine (architecture, CPU, instruction-set flags); None if unknown."""
    md, mr = dep.get("provenance", {}).get("machine"), rer.get("provenance", {}).get("machine")
    if not md or not mr:
        return None
    return md == mr


def _main_dataset(headline):
    figures = headline.get("provenance", {}).get("config", {}).get("figures", {})
    if figures.get("main_dataset"):
        return str(figures["main_dataset"])
    return sorted(headline["datasets"])[0]


def compare(deposited_dir, rerun_dir, z=montecarlo.Z, rtol=RTOL_OTHER_MACHINE, tex=True):
    """The comparison table (a list of :class:`Row`) of the run in ``rerun_dir`` against the deposited one."""
    dep, rer = _load(deposited_dir), _load(rerun_dir)
    machine = same_machine(dep, rer)
    rows = _inputs(dep, rer)
    rows.append(
        Row(
            "environment: machine",
            json.dumps(dep.get("provenance", {}).get("machine")),
            "same" if machine else ("unknown: assumed the same" if machine is None else "differs"),
            None,
            None,
            "shown",
            "ok" if machine is not False else "info",
        )
    )
    det_rtol = 0.0 if machine is not False else rtol
    mc_d, mc_r = montecarlo.errors(dep, deposited_dir), montecarlo.errors(rer, rerun_dir)
    nd, nr = _numbers(dep), _numbers(rer)
    tolerances = {}
    for path in list(nd) + [p for p in nr if p not in nd]:
        name = montecarlo.dotted(path)
        if path not in nr or path not in nd:
            where = "rerun" if path not in nr else "deposit"
            rows.append(Row(name, nd.get(path), nr.get(path), None, None, f"missing in the {where}", "FAIL"))
            continue
        d, r = nd[path], nr[path]
        if not (_is_number(d) and _is_number(r)):
            rows.append(Row(name, d, r, None, None, "equal", "ok" if _equal(d, r) else "FAIL"))
            continue
        kind, source = montecarlo.rule(path)
        diff = r - d
        if kind == "run_length":
            rows.append(Row(name, d, r, diff, None, montecarlo.describe(kind, source), "info"))
            continue
        if kind == "exact":
            tol = det_rtol * max(abs(d), abs(r))
            text = "bit identity" if det_rtol == 0 else f"relative {det_rtol:g} (other machine)"
        else:
            ed, er = mc_d.get(path, (None,))[0], mc_r.get(path, (None,))[0]
            if ed is None or er is None:
                tol, text = 0.0, f"bit identity ({montecarlo.describe(kind, source)}: Monte Carlo error unknown)"
            else:
                tol, text = z * math.hypot(ed, er), f"{z:g} MCSE, {montecarlo.describe(kind, source)}"
                if kind == "count":  # draws below a bound, out of as many draws as the chains gave
                    draws = (*path[:-1], "draws")
                    tol += abs(nr.get(draws, 0) - nd.get(draws, 0))
                    text += " + the difference in draws"
        tolerances[path] = tol
        ok = _equal(d, r) or abs(diff) <= tol
        rows.append(Row(name, d, r, diff, tol, text, "ok" if ok else "FAIL"))
    if tex:
        rows += _compare_tex(deposited_dir, rerun_dir, dep, tolerances)
    return rows


def _compare_tex(deposited_dir, rerun_dir, dep, tolerances):
    rows = []
    paths = {name: Path(d) / "headline.tex" for name, d in (("deposit", deposited_dir), ("rerun", rerun_dir))}
    missing = [n for n, p in paths.items() if not p.is_file()]
    if missing:
        return [Row("headline.tex", None, None, None, None, f"missing in the {missing[0]}", "FAIL")]
    md, mr = (records.parse_tex(p.read_text()) for p in paths.values())
    sources = records.macro_sources(dep, _main_dataset(dep))
    for name in list(md) + [m for m in mr if m not in md]:
        label = f"\\{name}"
        if name not in md or name not in mr:
            where = "rerun" if name not in mr else "deposit"
            rows.append(Row(label, md.get(name), mr.get(name), None, None, f"missing in the {where}", "FAIL"))
            continue
        d, r = md[name], mr[name]
        if d == r:
            rows.append(Row(label, d, r, 0.0, None, "equal as printed", "ok"))
            continue
        nd, nr = records.macro_number(d), records.macro_number(r)
        tols = [tolerances.get(p) for p in sources.get(name, [])]
        if nd is None or nr is None or not tols or any(t is None for t in tols):
            rows.append(Row(label, d, r, None, 0.0, "equal as printed", "FAIL"))
            continue
        (vd, unit, scale), (vr, _, _) = nd, nr
        leaf = max(tols) * scale
        tol = leaf + unit if leaf > 0 else 0.0
        text = "equal as printed" if leaf == 0 else "its number's tolerance + one printed digit"
        ok = abs(vr - vd) <= tol * (1 + 1e-9)
        rows.append(Row(label, d, r, vr - vd, tol, text, "ok" if ok else "FAIL"))
    return rows


def _fmt(value):
    if value is None:
        return "–"
    if _is_number(value):
        return f"{value:.10g}"
    text = str(value)
    return text if len(text) <= 32 else text[:29] + "..."


def table(rows):
    """The comparison as a fixed-width text table."""
    head = ("quantity", "deposited", "rerun", "difference", "tolerance", "verdict")
    body = [
        (
            r.quantity,
            _fmt(r.deposited),
            _fmt(r.rerun),
            "–" if r.difference is None else ("0" if r.difference == 0 else f"{r.difference:+.3g}"),
            (r.rule if r.tolerance is None else f"{r.tolerance:.3g} ({r.rule})"),
            r.verdict,
        )
        for r in rows
    ]
    widths = [max(len(line[i]) for line in [head, *body]) for i in range(len(head))]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    lines = [fmt.format(*head), fmt.format(*("-" * w for w in widths))]
    lines += [fmt.format(*line) for line in body]
    return "\n".join(lines)


def _exact(value):
    return repr(value) if _is_number(value) else _fmt(value)


def summary(rows):
    """The last lines: counts, and every failure named."""
    failed = [r for r in rows if r.verdict == "FAIL"]
    info = sum(r.verdict == "info" for r in rows)
    lines = [f"verify: {len(rows)} compared, {len(rows) - len(failed) - info} ok, {len(failed)} failed, {info} shown"]
    for r in failed:
        lines.append(
            f"FAILED {r.quantity}: deposited {_exact(r.deposited)}, rerun {_exact(r.rerun)}"
            + ("" if r.difference is None else f", difference {r.difference:+.3g}")
            + ("" if r.tolerance is None else f", tolerance {r.tolerance:.3g}")
            + f" ({r.rule})"
        )
    return "\n".join(lines)


def rerun(results_dir, scratch, cores="all", root="."):
    """Run the whole workflow in ``root`` with the deposited run's configuration and raw data into
    ``scratch/results`` (removed first); return that directory. Raises RuntimeError if Snakemake fails."""
    import yaml

    config = dict(_load(results_dir)["provenance"]["config"])
    config.pop("results_dir", None)
    scratch = Path(scratch).resolve()
    out = scratch / "results"
    shutil.rmtree(out, ignore_errors=True)
    scratch.mkdir(parents=True, exist_ok=True)
    configfile = scratch / "config.yaml"
    configfile.write_text(
        "# The deposited run's effective configuration (headline.json -> provenance -> config), for the rerun\n"
        + yaml.safe_dump(config, sort_keys=False)
    )
    log = scratch / "rerun.log"
    cmd = [
        sys.executable,
        "-m",
        "snakemake",
        "--cores",
        str(cores),
        "--configfile",
        str(configfile),
        "--config",
        f"results_dir={out}",
    ]
    env = dict(os.environ, MPLBACKEND="Agg")
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    print(f"verify: rerunning the workflow into {out} (log: {log}) ...", flush=True)
    start = time.time()
    with open(log, "w") as fh:
        proc = subprocess.run(cmd, cwd=root, stdout=fh, stderr=subprocess.STDOUT, env=env)
    if proc.returncode != 0:
        tail = "\n".join(log.read_text().splitlines()[-30:])
        raise RuntimeError(f"the rerun failed (snakemake exit {proc.returncode}); end of {log}:\n{tail}")
    print(f"verify: rerun done in {time.time() - start:.0f} s", flush=True)
    return out


LEGEND = """\
Tolerances: "bit identity" for deterministic numbers on the deposit's machine; "relative r (other machine)"
for them elsewhere; "Z MCSE" for sampled numbers: Z times the two runs' combined Monte Carlo standard error
of that estimator (entangled_drums.product.montecarlo); macros: equal as printed, or for a sampled number
within its tolerance plus one printed digit. "info" rows are shown, not judged."""


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", default="results", help="the deposited results (default: results)")
    parser.add_argument("--scratch", default=".verify", help="where the rerun goes (default: .verify)")
    parser.add_argument("--rerun", help="compare with this finished rerun's results directory instead of rerunning")
    parser.add_argument("--cores", default="all", help="snakemake --cores of the rerun (default: all)")
    parser.add_argument("--z", type=float, default=montecarlo.Z, help="Monte Carlo errors per tolerance (4)")
    parser.add_argument(
        "--rtol", type=float, default=RTOL_OTHER_MACHINE, help="deterministic numbers on another machine (1e-6)"
    )
    args = parser.parse_args(argv)
    try:
        rerun_dir = Path(args.rerun) if args.rerun else rerun(args.results, args.scratch, args.cores)
        rows = compare(args.results, rerun_dir, z=args.z, rtol=args.rtol)
    except (FileNotFoundError, RuntimeError) as err:
        print(f"verify: error: {err}", file=sys.stderr)
        return 2
    print(table(rows))
    print()
    print(LEGEND)
    print()
    print(summary(rows))
    return 1 if any(r.verdict == "FAIL" for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
