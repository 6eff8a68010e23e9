"""Reviewer- and archive-ready product: report, archive, cluster profile, incremental rebuilds."""

import json
import os
import tarfile
from html.parser import HTMLParser

import pytest

from conftest import planned_rules as _planned_rules
from conftest import snakemake

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


def test_archive_is_self_contained_and_reruns(run_copy, tmp_path):
    import subprocess
    import sys

    repo = run_copy
    snakemake(
        repo, "--cores", "1", "--configfile", "config/quick.yaml", "--", "results/notebooks/07_probe_readout.html"
    )
    out = tmp_path / "deposit.tar.gz"
    subprocess.run([sys.executable, "-m", "entangled_drums.product.archive", "--out", str(out)], cwd=repo, check=True)
    with tarfile.open(out) as tar:
        names = set(tar.getnames())
        tar.extractall(tmp_path / "unpacked", filter="data")
    root = tmp_path / "unpacked" / "entangled-drums"
    for rel in (
        "Snakefile",
        "CITATION.cff",
        "environment.yml",
        "pyproject.toml",
        "requirements.lock",
        "README.md",
        "config/config.yaml",
        "data/raw/MANIFEST.sha256",
        "results/headline.json",
        "results/headline.md",
        "results/notebooks/07_probe_readout.html",
        "results/figures/fig4a.pdf",
        "ro-crate-metadata.json",
        "docs/model.md",
        "docs/analysis.md",
        "docs/figures.md",
    ):  # the method travels with it
        assert f"entangled-drums/{rel}" in names, rel
    _check_workflow_run_crate(root)
    # re-run from the unpacked archive: clean results, the first steps for real, the rest planned
    import shutil

    shutil.rmtree(root / "results")
    snakemake(root, "--cores", "2", "--configfile", "config/quick.yaml", "--", "thermal_calibration", "raw_overview")
    assert (root / "results" / "calibration" / "thermal.json").is_file()
    proc = snakemake(root, "--cores", "1", "--dry-run", "--configfile", "config/quick.yaml")
    assert "entanglement_verdict" in proc.stdout


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
    outputs = {e.id for e in actions[0]["result"]}
    assert {"data/raw/pump_C.nc", "data/raw/MANIFEST.sha256", "config/config.yaml"} <= inputs
    assert {"results/headline.json", "results/mcmc/C_posterior.nc", "results/figures/fig4a.pdf"} <= outputs
    assert all((root / f).is_file() for f in inputs | outputs)
    software = {e["name"]: e["version"] for e in workflow["softwareRequirements"]}
    assert software["emcee"] and software["snakemake"] and software["arviz"] and software["python"]
    assert "emcee" in json.loads(actions[0]["additionalProperty"]["value"])["versions"]
