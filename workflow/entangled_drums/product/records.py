"""A provenance record for every macro of ``headline.tex``, built from the finished headline.

    headline["macros"] = records.macro_records(headline, main, results_dir)

(notebook 08, just before ``headline.json`` is written). Nothing here names a headline row: the macros
come from :func:`entangled_drums.results.verdict.tex` itself, and which number each macro prints is found by
changing one number of the headline at a time and seeing which macro changes (:func:`macro_sources`). A
row added or renamed in the verdict gets its record without a change here.

A record (``headline.json`` -> ``macros`` -> ``<name>``; the RO-Crate has each as a ``PropertyValue``)::

    text            the macro as printed ("0.43", "98\\,\\%", "yes")
    quantity        the headline number it prints (``datasets.C.Pminus_mcmc.value``)
    value, sigma    that number at full precision, and its row's standard deviation
    interval        the row's 95 % interval (of the draws, or value +- 1.96 sigma), None for a probability
    estimator       the row's estimator, as the headline states it
    mc_error        its Monte Carlo standard error (0: deterministic), ``mc_method`` how it is computed
                    (:mod:`entangled_drums.product.montecarlo`)
    computed_by     the step (Snakemake rule), its notebook and the output and key where the number first
                    appears (found by exact value among the verdict step's inputs; else the verdict step)
    written_by      the step and notebook that write headline.tex
    commit, dirty   the git state of the run
    seeds           the seeds the number depends on (none for a deterministic one)
    inputs_sha256   raw data (the manifest, which holds every raw file's SHA-256), config, and the step
                    output the number comes from
"""

import copy
import hashlib
import json
import re
from pathlib import Path

from ..results import verdict
from . import montecarlo

#: ``\newcommand{\Name}{text}`` as verdict.tex writes it, one per line
MACRO = re.compile(r"^\\newcommand\{\\([A-Za-z]+)\}\{(.*)\}\s*$")
_PERCENT = re.compile(r"^(-?\d+(?:\.\d+)?)\\,\\%$")
_NUMBER = re.compile(r"^-?\d+(?:\.(\d+))?$")


def parse_tex(text):
    """``{macro name: text}`` of every ``\\newcommand`` line of a headline.tex."""
    out = {}
    for line in text.splitlines():
        m = MACRO.match(line.strip())
        if m:
            out[m.group(1)] = m.group(2)
    return out


def macro_number(text):
    """``(value, unit, scale)`` of a macro's text: its number, one unit of its last printed digit, and what the
    headline number is multiplied by to print it (100 for a percentage); None for a word."""
    m = _PERCENT.match(text)
    if m:
        digits = m.group(1).partition(".")[2]
        return float(m.group(1)), 10.0 ** -len(digits), 100.0
    m = _NUMBER.match(text)
    if m:
        return float(text), 10.0 ** -len(m.group(1) or ""), 1.0
    return None


def _perturbed(value):
    if isinstance(value, bool):
        return not value
    return value + 10.0 * (abs(value) + 1.0) + 0.123


def macro_sources(headline, main):
    """``{macro: [path, ...]}``: the headline numbers (paths under ``datasets``) each macro of
    ``verdict.tex(headline, main)`` prints, found by changing one number at a time."""
    base = parse_tex(verdict.tex(headline, main))
    sources = {name: [] for name in base}
    datasets = headline["datasets"]
    for path, value in montecarlo.leaves(datasets, ("datasets",)):
        if not isinstance(value, (int, float)) or value is None:
            continue
        changed = dict(headline, datasets=copy.deepcopy(datasets))
        tree = changed
        for key in path[:-1]:
            tree = tree[key]
        tree[path[-1]] = _perturbed(value)
        try:
            after = parse_tex(verdict.tex(changed, main))
        except Exception:  # noqa: BLE001 - a number tex cannot print is not a macro's
            continue
        for name, text in base.items():
            if after.get(name) != text:
                sources[name].append(path)
    return sources


def _sha256(path):
    path = Path(path)
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def repository_root():
    """The repository (or unpacked deposit) the package runs from: ``workflow/entangled_drums/..``."""
    return Path(__file__).resolve().parents[3]


_RULE = re.compile(r"^rule (\w+):", re.MULTILINE)
_SECTION = re.compile(r"^    (\w+):")
_RESULTS = re.compile(r"results\(([^()]*)\)")
_NOTEBOOK = re.compile(r'notebook="(notebooks/[^"]+)"')


def steps(root=None):
    """``[{"rule", "notebook", "inputs", "outputs"}]`` of the workflow's rules (``workflow/rules/*.smk``): the
    result files each reads and writes, as patterns relative to the results directory ({wildcards} kept)."""
    out = []
    for smk in sorted(Path(root or repository_root(), "workflow", "rules").glob("*.smk")):
        text = smk.read_text()
        starts = [m.start() for m in _RULE.finditer(text)] + [len(text)]
        for start, end in zip(starts, starts[1:], strict=False):
            block = text[start:end]
            files, section = {"input": [], "output": []}, None
            for line in block.splitlines()[1:]:
                m = _SECTION.match(line)
                if m:
                    section = m.group(1)
                if section in files:
                    for args in _RESULTS.findall(line):
                        parts = [a.strip().strip("\"'") for a in args.split(",")]
                        files[section].append("/".join(parts))
            notebook = _NOTEBOOK.search(block)
            out.append(
                {
                    "rule": _RULE.match(block).group(1),
                    "notebook": notebook.group(1) if notebook else None,
                    "inputs": files["input"],
                    "outputs": files["output"],
                }
            )
    return out


def _matches(pattern, rel):
    regex = "".join("[^/]+" if part.startswith("{") else re.escape(part) for part in re.split(r"(\{\w+\})", pattern))
    return re.fullmatch(regex, rel) is not None


def producer(rel, all_steps):
    """The step whose outputs include ``rel`` (a path relative to the results directory), or None."""
    return next((s for s in all_steps if any(_matches(p, rel) for p in s["outputs"])), None)


def _find(tree, value, prefix=()):
    """The first path in ``tree`` whose number equals ``value`` exactly."""
    for path, v in montecarlo.leaves(tree, prefix):
        if isinstance(v, float) and not isinstance(v, bool) and v == value:
            return path
    return None


def _upstream(results_dir, all_steps):
    """``[(rel, data)]``: the JSON files the headline's step reads, in its input order."""
    verdict_step = producer("headline.json", all_steps)
    out = []
    for pattern in verdict_step["inputs"] if verdict_step else []:
        for path in sorted(Path(results_dir).glob(re.sub(r"(\{\w+\})+", "*", pattern))):
            rel = path.relative_to(results_dir).as_posix()
            if path.suffix == ".json" and all(rel != r for r, _ in out):
                out.append((rel, json.loads(path.read_text())))
    return out


def _step_entry(step):
    return {"rule": step["rule"], "notebook": step["notebook"]} if step else None


SEEDS_OF = {  # which configured seeds a number from these draws depends on
    "probes": ("readout",),
    "correction": ("readout",),
    "probes+correction": ("readout",),
    "paired": ("mcmc", "readout", "verdict"),
}


def _seeds(source, seeds):
    if source is None:
        return {}
    names = SEEDS_OF.get(source, ("mcmc",) if source.startswith("posterior") else ())
    return {k: seeds.get(k) for k in names}


def macro_records(headline, main, results_dir="results", root=None):
    """``{macro name: record}`` for every macro of ``verdict.tex(headline, main)`` (see the module docstring).
    ``results_dir``: where the run's outputs are (the verdict step's inputs, the draws)."""
    results_dir = Path(results_dir)
    prov = headline.get("provenance", {})
    tex = parse_tex(verdict.tex(headline, main))
    sources = macro_sources(headline, main)
    mc = montecarlo.errors(headline, results_dir)
    all_steps = steps(root)
    verdict_step = producer("headline.json", all_steps)
    upstream = _upstream(results_dir, all_steps)
    raw_manifest = Path(prov.get("raw_dir", "data/raw")) / "MANIFEST.sha256"
    common_inputs = {"raw_data_manifest": _sha256(raw_manifest), "config": prov.get("config_sha256")}
    out = {}
    for name, text in tex.items():
        paths = sources.get(name, [])
        record = {"text": text, "quantity": None, "value": None}
        if paths:
            path = paths[0]
            row = headline
            for key in path[:3]:
                row = row[key]
            value = row
            for key in path[3:]:
                value = value[key]
            error, kind, source = mc.get(path, (0.0, "exact", None))
            interval = None
            if isinstance(row, dict) and "ci95" in row:
                interval = {"low": row["ci95"][0], "high": row["ci95"][1], "kind": "95 % central interval of the draws"}
            elif isinstance(row, dict) and "sigma" in row:
                interval = {
                    "low": row["value"] - 1.96 * row["sigma"],
                    "high": row["value"] + 1.96 * row["sigma"],
                    "kind": "value +- 1.96 sigma",
                }
            found = None
            if isinstance(value, float) and value != round(value, 6):
                found = next(((rel, p) for rel, data in upstream if (p := _find(data, value)) is not None), None)
            computed_by = _step_entry(producer(found[0], all_steps) if found else verdict_step)
            if computed_by and found:
                computed_by |= {"output": found[0], "key": montecarlo.dotted(found[1])}
            inputs = dict(common_inputs)
            if found:
                inputs[found[0]] = _sha256(results_dir / found[0])
            record |= {
                "quantity": montecarlo.dotted(path),
                "value": value,
                "sigma": row.get("sigma") if isinstance(row, dict) else None,
                "interval": interval,
                "estimator": headline["datasets"][path[1]].get("estimators", {}).get(path[2]),
                "mc_error": error,
                "mc_method": montecarlo.describe(kind, source),
                "computed_by": computed_by,
                "seeds": _seeds(source, prov.get("seeds", {})),
                "inputs_sha256": inputs,
            }
        record |= {
            "written_by": _step_entry(verdict_step),
            "commit": prov.get("git", {}).get("commit"),
            "dirty": prov.get("git", {}).get("dirty"),
        }
        out[name] = record
    return out
