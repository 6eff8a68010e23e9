"""Workflow benchmark (``make bench``): each step's wall time, its fixed overhead and the critical path,
the previous way of running the steps beside the current one, in one run. Prints tables, asserts nothing.

1. **A step that does nothing** (an empty notebook through the step runner), split into its parts:
   interpreter start, the runner's imports, kernel start + papermill, HTML export. *Previous*: every
   module compiled from source in every process (``PYTHONDONTWRITEBYTECODE`` with no byte-code cache,
   as on this project's machines before ``make`` compiled it at install), the package's eager
   namespace (numpy, numba and the model imported by the runner) and HTML written inside the step.
   *Current*: byte code from the install, the lazy namespace, HTML in a rule of its own.
2. **The whole workflow twice**, from the same raw data into two scratch results directories with the
   numba kernels already compiled (their one-time compilation is part of neither): *previous* (no
   byte-code cache, every notebook's HTML rendered in the same run, each MCMC step with 2 threads so
   that the data sets' posteriors run one after the other on 2 cores) and *current* (``make``'s
   settings). Per step: wall time of each, the current step's fixed overhead (wall time less its
   cells' execution time: process and kernel start, papermill), and whether it is on the current run's
   critical path (the chain of steps, each waiting for the last-finishing step it needs).

Run: ``python benchmarks/bench_workflow.py [--cores N] [--skip-workflow]`` (~7 min on 2 cores).
"""

import argparse
import base64
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EMPTY = """# %% [markdown]
# A step that does nothing.

# %% tags=["parameters"]
x = 1

# %%
x
"""


def timed(cmd, env=None, repeats=3):
    """Median wall seconds of ``cmd`` over ``repeats`` runs (raises if it fails)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(cmd, cwd=ROOT, env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def environments(scratch):
    """(previous, current) environments of a step process."""
    current = dict(os.environ, MPLBACKEND="Agg")
    current.pop("PYTHONPYCACHEPREFIX", None)
    previous = dict(current, PYTHONDONTWRITEBYTECODE="1", PYTHONPYCACHEPREFIX=str(scratch / "no-byte-code"))
    return previous, current


def do_nothing_step(scratch):
    """Seconds of each part of an empty step, previous and current: {part: (previous, current)}."""
    previous, current = environments(scratch)
    nb = scratch / "empty.py"
    nb.write_text(EMPTY)
    out, html = scratch / "empty.ipynb", scratch / "empty.html"
    py = sys.executable
    eager = (
        "import entangled_drums.physics.model, entangled_drums.physics.spectra, runpy; "
        "runpy.run_module('entangled_drums.product.notebook', run_name='__main__')"
    )
    runner_imports = "import entangled_drums.product.notebook, jupytext, papermill, nbformat"
    parts = {
        "interpreter start": ([py, "-c", "pass"], [py, "-c", "pass"]),
        "runner imports": (
            [py, "-c", "import entangled_drums.physics.model, entangled_drums.physics.spectra; " + runner_imports],
            [py, "-c", runner_imports],
        ),
        "whole step without HTML": (
            [py, "-c", eager, str(nb), str(out)],
            [py, "-m", "entangled_drums.product.notebook", str(nb), str(out)],
        ),
        "HTML export (own process)": (
            [py, "-m", "entangled_drums.product.notebook", "--render", str(out), str(html)],
            [py, "-m", "entangled_drums.product.notebook", "--render", str(out), str(html)],
        ),
    }
    result = {}
    for part, (old_cmd, new_cmd) in parts.items():
        if part == "whole step without HTML":  # the previous step ran eagerly: sys.argv for runpy
            old_cmd = [py, "-c", f"import sys; sys.argv = ['notebook', {str(nb)!r}, {str(out)!r}]; {eager}"]
        result[part] = (timed(old_cmd, previous), timed(new_cmd, current))
    old_step = result["whole step without HTML"][0] + result["HTML export (own process)"][0]
    result["a do-nothing step as make runs it"] = (old_step, result["whole step without HTML"][1])
    return result


def jobs_of(workdir, results_dir):
    """Jobs of the last Snakemake run writing under ``results_dir``: {(rule, job_hash): job}, each with its
    outputs, inputs, start and end (s)."""
    jobs = {}
    for path in (Path(workdir) / ".snakemake" / "metadata").iterdir():
        output = base64.urlsafe_b64decode(path.name.encode()).decode()
        if not output.startswith(str(results_dir)):
            continue
        meta = json.loads(path.read_text())
        if meta.get("starttime") is None:
            continue
        job = jobs.setdefault(
            (meta["rule"], meta["job_hash"]),
            {
                "rule": meta["rule"],
                "outputs": set(),
                "inputs": set(meta["input"]),
                "start": meta["starttime"],
                "end": meta["endtime"],
            },
        )
        job["outputs"].add(output)
    return jobs


def label(job):
    """A step's name: its rule, with the data set of a per-data-set rule."""
    notebooks = [Path(o).stem for o in job["outputs"] if o.endswith(".ipynb")]
    return notebooks[0] if notebooks else job["rule"]


def cell_seconds(job):
    """Execution time of the notebook's cells (papermill's record), or None for a step without notebook."""
    for output in job["outputs"]:
        if output.endswith(".ipynb") and Path(output).is_file():
            nb = json.loads(Path(output).read_text())
            return sum(c["metadata"].get("papermill", {}).get("duration") or 0.0 for c in nb["cells"])
    return None


def critical_path(jobs):
    """Labels of the steps on the critical path: from the last-finishing job back through, at each step, the
    last-finishing job it needed."""
    producer = {out: job for job in jobs.values() for out in job["outputs"]}
    job = max(jobs.values(), key=lambda j: j["end"])
    path = [job]
    while True:
        needed = [producer[i] for i in job["inputs"] if i in producer]
        if not needed:
            return [label(j) for j in reversed(path)]
        job = max(needed, key=lambda j: j["end"])
        path.append(job)


def run_workflow(workdir, results_dir, env, cores, extra):
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "snakemake", "--cores", str(cores), "--config", f"results_dir={results_dir}", *extra],
        cwd=workdir,
        env=env,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cores", type=int, default=os.cpu_count())
    parser.add_argument("--skip-workflow", action="store_true", help="only the do-nothing step")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="bench-workflow-"))
    print(f"\nWorkflow benchmark ({args.cores} cores; scratch {scratch})")
    print("\nA step that does nothing (median of 3, seconds)")
    print(f"  {'part':38s} {'previous':>9s} {'current':>9s}")
    for part, (old, new) in do_nothing_step(scratch).items():
        print(f"  {part:38s} {old:9.2f} {new:9.2f}")
    if args.skip_workflow:
        return 0
    subprocess.run(
        [sys.executable, "-m", "entangled_drums.product.warmup", str(scratch / "kernels.json")],
        check=True,
        capture_output=True,
    )  # compiled before both runs: part of neither
    previous, current = environments(scratch)
    walls = {}
    runs = {"previous": (previous, ["--set-threads", "mcmc=2", "--", "all", "html"]), "current": (current, [])}
    jobs = {}
    for name, (env, extra) in runs.items():
        results_dir = scratch / name
        walls[name] = run_workflow(ROOT, results_dir, env, args.cores, extra)
        jobs[name] = {label(j): j for j in jobs_of(ROOT, results_dir).values() if j["rule"] != "notebook_html"}
        if name == "previous":  # the HTML renders count to the step they belong to (they ran inside it before)
            for job in jobs_of(ROOT, results_dir).values():
                if job["rule"] == "notebook_html":
                    step = jobs[name].get(Path(next(iter(job["outputs"]))).stem)
                    if step is not None:
                        step["html"] = job["end"] - job["start"]
    path = critical_path({(j["rule"], k): j for k, j in jobs["current"].items()})
    print(
        "\nThe whole workflow from the archive's raw data (kernels compiled beforehand): "
        f"previous {walls['previous']:.0f} s, current {walls['current']:.0f} s"
    )
    print(f"  {'step':28s} {'previous':>9s} {'current':>9s} {'fixed':>7s}  critical path")
    for step in sorted(jobs["current"], key=lambda s: jobs["current"][s]["start"]):
        new = jobs["current"][step]
        old = jobs["previous"].get(step)
        old_wall = f"{old['end'] - old['start'] + old.get('html', 0.0):9.1f}" if old else f"{'-':>9s}"
        cells = cell_seconds(new)
        fixed = f"{new['end'] - new['start'] - cells:7.1f}" if cells is not None else f"{'-':>7s}"
        print(f"  {step:28s} {old_wall} {new['end'] - new['start']:9.1f} {fixed}  {'*' if step in path else ''}")
    t0 = min(j["start"] for j in jobs["current"].values())
    print("  critical path: " + " -> ".join(f"{s} ({jobs['current'][s]['end'] - t0:.0f} s)" for s in path))
    print("  (previous: each step plus its HTML render; fixed: the current step's wall time less its cells')")
    return 0


if __name__ == "__main__":
    sys.exit(main())
