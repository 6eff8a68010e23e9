"""Reviewer- and archive-ready product: report, archive, its RO-Crate validated offline, `make verify` in the
unpacked deposit, cluster profile, incremental rebuilds."""

import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import planned_rules as _planned_rules
from conftest import private_copy, snakemake

pytestmark = pytest.mark.workflow


def test_editing_one_figure_notebook_reruns_only_that_step_and_its_dependents(run_copy):
    """Snakemake re-runs a step whose notebook *content* changed (a new mtime alone, with the same
    content, is not a change for Snakemake 9), and with it only the steps downstream."""
    repo = run_copy
    assert not _planned_rules(repo)
    nb = repo / "notebooks" / "07_probe_readout.py"
    original, before = nb.read_bytes(), nb.stat()
    try:
        nb.write_bytes(original + b"\n# an edit of the figure code\n")
        assert _planned_rules(repo) == {"probe_readout", "entanglement_verdict", "error_budget"}
    finally:
        nb.write_bytes(original)
        os.utime(nb, (before.st_atime, before.st_mtime))
    assert not _planned_rules(repo)


def test_slurm_profile_plans_the_workflow(run_copy):
    repo = run_copy
    proc = snakemake(
        repo, "--workflow-profile", "profiles/slurm", "--dry-run", "--forceall", "--configfile", "config/quick.yaml"
    )
    assert "mcmc" in proc.stdout and "entanglement_verdict" in proc.stdout


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.text = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.text.append(data)


def test_report_renders_with_figures_captions_and_headline(run_copy):
    repo = run_copy
    snakemake(repo, "--configfile", "config/quick.yaml", "--report", "results/report.html")
    html = (repo / "results" / "report.html").read_text()
    parser = _Collect()
    parser.feed(html)
    assert {"html", "head", "body", "script"} <= set(parser.tags)
    for needle in ("fig4a", "fig3", "figS1_thermal_calibration", "headline.md", "Headline", "synthetic"):
        assert needle in html, needle


@pytest.fixture(scope="module")
def deposit(workflow_run, tmp_path_factory):
    """The shared quick run archived as `make archive` does (with the hashed lock), unpacked: its root."""
    base = tmp_path_factory.mktemp("deposit")
    repo = private_copy(workflow_run[0], base / "run")
    snakemake(
        repo, "--cores", "1", "--configfile", "config/quick.yaml", "--", "results/notebooks/07_probe_readout.html"
    )
    out = base / "entangled-drums.tar.gz"
    proc = subprocess.run(
        [sys.executable, "-m", "entangled_drums.product.archive", "--out", str(out), "--lock"],
        cwd=repo,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with tarfile.open(out) as tar:
        tar.extractall(base / "unpacked", filter="data")
    return base / "unpacked" / "entangled-drums"


def test_archive_is_self_contained(deposit):
    root = deposit
    for rel in (
        "Snakefile",
        "CITATION.cff",
        "environment.yml",
        "pyproject.toml",
        "requirements.lock",
        "requirements-hashes.lock",
        "Makefile",
        "README.md",
        "config/config.yaml",
        "data/raw/MANIFEST.sha256",
        "results/headline.json",
        "results/headline.md",
        "results/headline.tex",
        "results/notebooks/07_probe_readout.html",
        "results/figures/fig4a.pdf",
        "ro-crate-metadata.json",
        "workflow/crate/ro-crate-1.1-context.jsonld",
        "workflow/entangled_drums/results/verdict.py",  # code under a directory named results, too
        "docs/model.md",
        "docs/analysis.md",
        "docs/figures.md",
    ):  # the method travels with it, and what `make verify` needs
        assert (root / rel).is_file(), rel
    # the hashed lock: every locked version, each with the SHA-256 of its files, and the build requirements
    locked = dict(re.findall(r"(?m)^([A-Za-z0-9_.\-]+)==(\S+)$", (root / "requirements.lock").read_text()))
    locked = {k.lower().replace("_", "-"): v for k, v in locked.items()}
    hashed = (root / "requirements-hashes.lock").read_text()
    entries = dict(re.findall(r"(?m)^([A-Za-z0-9_.\-]+)==(\S+) \\\n\s+--hash=sha256:[0-9a-f]{64}", hashed))
    entries = {k.lower().replace("_", "-"): v for k, v in entries.items()}
    assert {k: entries.get(k) for k in locked} == locked
    assert "setuptools" in entries and "wheel" in entries
    _check_workflow_run_crate(root)


def test_deposit_crate_validates_offline_against_the_workflow_run_crate_profile(deposit, tmp_path):
    """roc-validator, its JSON-LD context from workflow/crate/ (no network: the process has none if `unshare -n`
    can take it away), every REQUIRED check of Workflow Run Crate 0.5 and the profiles it builds on."""
    cmd = [sys.executable, "-m", "entangled_drums.product.crate_validation", str(deposit)]
    if shutil.which("unshare") and subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0:
        cmd = ["unshare", "-n", *cmd]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "passes workflow-run-crate-0.5 at severity REQUIRED" in proc.stdout
    # a crate naming a context with no local copy is refused by name, before any validation
    from entangled_drums.product import crate_validation

    metadata = json.loads((deposit / "ro-crate-metadata.json").read_text())
    metadata["@context"] = [metadata["@context"], "https://w3id.org/ro/terms/workflow-run/context"]
    (tmp_path / "ro-crate-metadata.json").write_text(json.dumps(metadata))
    with pytest.raises(ValueError, match="workflow-run/context has no local copy"):
        crate_validation.validate(tmp_path)


def _verify(deposit, *args):
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONPATH=str(deposit / "workflow"))  # the deposit's own package
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env["PATH"]])
    return subprocess.run(
        [sys.executable, "-m", "entangled_drums.product.verify", *args],
        cwd=deposit,
        capture_output=True,
        text=True,
        env=env,
        timeout=1800,
    )


def test_make_verify_in_the_deposit_installs_from_its_lock_and_wheelhouse(deposit):
    """`make verify`'s plan in an unpacked deposit: the install from the hashed lock (with a wheelhouse: pip with
    no index), the crate's validation, then the rerun and comparison."""
    online = subprocess.run(["make", "-n", "verify"], cwd=deposit, capture_output=True, text=True, check=True).stdout
    assert "-r requirements-hashes.lock" in online and "--no-index" not in online
    assert "entangled_drums.product.crate_validation ." in online and "entangled_drums.product.verify" in online
    (deposit / "wheelhouse").mkdir()
    try:
        offline = subprocess.run(["make", "-n", "verify"], cwd=deposit, capture_output=True, text=True).stdout
    finally:
        (deposit / "wheelhouse").rmdir()
    assert "--no-index --find-links wheelhouse --require-hashes" in offline and "uv pip install" not in offline


def test_verify_reruns_the_unpacked_deposit_and_every_number_reproduces(deposit):
    """`make verify`'s work: the whole quick workflow again from the deposit's raw data into .verify/results,
    then every number of headline.json and macro of headline.tex compared; on one machine every number is
    within its tolerance (the deterministic ones bit for bit)."""
    proc = _verify(deposit, "--cores", "2")
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    out = proc.stdout
    assert (deposit / ".verify" / "results" / "headline.json").is_file()
    assert ", 0 failed," in out.splitlines()[-1], out[-2000:]
    rows = {line.split()[0]: line for line in out.splitlines() if line.startswith(("datasets.", "\\"))}
    assert "bit identity" in rows["datasets.C.Xplus_lsq.value"]
    assert "MCSE, KDE mode of draws (posterior:Pminus)" in rows["datasets.C.Pminus_mcmc.value"]
    assert "\\XplusBAE" in rows and "\\DuanSetD" in rows
    headline = json.loads((deposit / "results" / "headline.json").read_text())
    assert set(headline["macros"]) == {line[1:].split()[0] for line in rows if line.startswith("\\")}


def test_verify_fails_naming_the_number_when_a_deposited_one_is_altered(deposit, tmp_path):
    """Against an unchanged run, a deposited number altered by one part in 1e12 fails (bit identity) and is named;
    a sampled number fails beyond its Monte Carlo tolerance and passes within it; an altered macro fails."""
    from entangled_drums.product import verify

    altered = tmp_path / "results"
    shutil.copytree(deposit / "results", altered)
    rerun = deposit / "results"
    rows = {r.quantity: r for r in verify.compare(altered, rerun)}
    assert not [r.quantity for r in rows.values() if r.verdict == "FAIL"]
    tolerance = rows["datasets.C.Pminus_mcmc.value"].tolerance
    assert 0 < tolerance < 0.05

    def alter(change):
        headline = json.loads((deposit / "results" / "headline.json").read_text())
        change(headline["datasets"])
        (altered / "headline.json").write_text(json.dumps(headline))
        return [r.quantity for r in verify.compare(altered, rerun) if r.verdict == "FAIL"]

    assert alter(lambda d: d["D"]["Pminus_lsq"].update(value=d["D"]["Pminus_lsq"]["value"] * (1 + 1e-12))) == [
        "datasets.D.Pminus_lsq.value"
    ]
    half, twice = 0.5 * tolerance, 2 * tolerance
    assert alter(lambda d: d["C"]["Pminus_mcmc"].update(value=d["C"]["Pminus_mcmc"]["value"] + half)) == []
    assert alter(lambda d: d["C"]["Pminus_mcmc"].update(value=d["C"]["Pminus_mcmc"]["value"] + twice)) == [
        "datasets.C.Pminus_mcmc.value"
    ]
    # the command: a macro of headline.tex altered, exit status 1, the macro named
    shutil.copy2(deposit / "results" / "headline.json", altered / "headline.json")
    tex = (altered / "headline.tex").read_text()
    line = next(x for x in tex.splitlines() if x.startswith("\\newcommand{\\DuanSetD}"))
    value = float(line.split("}{")[1].rstrip("}"))
    (altered / "headline.tex").write_text(tex.replace(line, line.replace(f"{value:.2f}", f"{value + 0.1:.2f}")))
    proc = _verify(deposit, "--results", str(altered), "--rerun", str(rerun))
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr
    failed = [x for x in proc.stdout.splitlines() if x.startswith("FAILED")]
    assert len(failed) == 1 and failed[0].startswith("FAILED \\DuanSetD:"), proc.stdout[-3000:]


def _check_workflow_run_crate(root):
    """The crate, read back with ro-crate-py, holds the Workflow Run Crate 0.5 profile's required entities."""
    from rocrate.rocrate import ROCrate

    crate = ROCrate(root)
    profiles = {e.id for e in crate.root_dataset["conformsTo"]}
    assert {
        "https://w3id.org/ro/wfrun/process/0.5",
        "https://w3id.org/ro/wfrun/workflow/0.5",
        "https://w3id.org/workflowhub/workflow-ro-crate/1.0",
    } <= profiles
    for uri in profiles:  # each profile is a contextual entity of the crate
        assert crate.get(uri) is not None and "CreativeWork" in crate.get(uri).type, uri
    workflow = crate.mainEntity
    assert workflow.id == "Snakefile" and {"File", "SoftwareSourceCode", "ComputationalWorkflow"} <= set(workflow.type)
    assert workflow["programmingLanguage"]["name"] == "Snakemake"
    actions = [e for e in crate.get_entities() if e.type == "CreateAction"]
    assert len(actions) == 1 and actions[0]["instrument"] is workflow
    inputs = {e.id for e in actions[0]["object"]}
    outputs = {e.id for e in actions[0]["result"] if "PropertyValue" not in e.type}
    assert {"data/raw/pump_C.nc", "data/raw/MANIFEST.sha256", "config/config.yaml"} <= inputs
    assert {"results/headline.json", "results/mcmc/C_posterior.nc", "results/figures/fig4a.pdf"} <= outputs
    assert all((root / f).is_file() for f in inputs | outputs)
    software = {e["name"]: e["version"] for e in workflow["softwareRequirements"]}
    assert software["emcee"] and software["snakemake"] and software["arviz"] and software["python"]
    assert "emcee" in json.loads(actions[0]["additionalProperty"]["value"])["versions"]
    # every macro of headline.tex: a workflow output (FormalParameter) and a value of the run with its record
    headline = json.loads((root / "results" / "headline.json").read_text())
    tex = (root / "results" / "headline.tex").read_text()
    macros = {m.group(1) for m in re.finditer(r"\\newcommand\{\\(\w+)\}", tex)}
    assert set(headline["macros"]) == macros and len(macros) > 20
    values = {e["name"]: e for e in actions[0]["result"] if "PropertyValue" in e.type}
    assert set(values) == macros and {p["name"] for p in workflow["output"]} == macros
    duan = values["Duan"]
    assert duan["exampleOfWork"]["workExample"] is duan
    assert duan["value"] == headline["datasets"]["C"]["duan"]["value"]
    assert [duan["minValue"], duan["maxValue"]] == headline["datasets"]["C"]["duan"]["ci95"]
    record = json.loads(duan["valueReference"]["value"])
    assert record == headline["macros"]["Duan"]
    assert record["computed_by"]["notebook"] == "notebooks/08_entanglement_verdict.py"
    assert record["mc_error"] > 0 and set(record["seeds"]) == {"mcmc", "readout", "verdict"}
    assert record["commit"] == headline["provenance"]["git"]["commit"]
    assert set(record["inputs_sha256"]) >= {"raw_data_manifest", "config"}
    lsq = headline["macros"]["XplusLSQ"]
    assert lsq["mc_error"] == 0 and lsq["seeds"] == {} and lsq["computed_by"]["rule"] == "pump_fits"
    assert lsq["inputs_sha256"]["fits/pump_fits.json"]
