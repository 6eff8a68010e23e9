"""Workflow smoke tests: the Snakemake pipeline runs from a fresh copy and is well formed."""

import json

import nbformat
import pytest

from conftest import snakemake

pytestmark = pytest.mark.workflow

FIGURES = ["fig1b", "fig1c", "fig1d"]


def test_workflow_writes_figures_and_executed_notebooks(workflow_run):
    repo, _ = workflow_run
    for name in FIGURES:
        for ext in ("pdf", "png"):
            path = repo / "results" / "figures" / f"{name}.{ext}"
            assert path.is_file() and path.stat().st_size > 1000, path
    nb_path = repo / "results" / "notebooks" / "01_model_overview.ipynb"
    nb = nbformat.read(nb_path, as_version=4)
    assert nb.metadata["language_info"]["name"] == "python"
    assert nb.cells[0].cell_type == "markdown" and "What this step does" in nb.cells[0].source
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.get("execution_count") for c in code), "every code cell executed"
    assert not [o for c in code for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert any("injected-parameters" in c.metadata.get("tags", []) for c in code)
    assert (repo / "results" / "notebooks" / "01_model_overview.html").stat().st_size > 10_000
    state = json.loads((repo / "results" / "model" / "fig1d_state.json").read_text())
    assert 0 < state["Xplus"] < 0.5 and 0 < state["Pminus"] < 0.5


def test_second_run_has_nothing_to_do(workflow_run):
    repo, _ = workflow_run
    proc = snakemake(repo, "--cores", "1", "--dry-run", "--quiet", "rules")
    assert "fig1_scheme" not in proc.stdout


def test_results_dir_override_leaves_default_untouched(workflow_run, tmp_path):
    repo, _ = workflow_run
    before = sorted(p.name for p in (repo / "results" / "figures").iterdir())
    other = tmp_path / "elsewhere"
    snakemake(repo, "--cores", "1", "--config", f"results_dir={other}", "--", "fig1_scheme")
    assert (other / "figures" / "fig1d.png").is_file()
    assert sorted(p.name for p in (repo / "results" / "figures").iterdir()) == before


@pytest.mark.parametrize(
    "override,message",
    [("nonsense_key=1", "nonsense_key"), ("results_dir=", "results_dir")],
)
def test_config_errors_are_reported_against_the_schema(workflow_copy, override, message):
    proc = snakemake(workflow_copy, "--cores", "1", "--dry-run", "--config", override, check=False)
    assert proc.returncode != 0
    output = proc.stdout + proc.stderr
    assert "Error validating config" in output and message in output


def test_lint_is_clean(workflow_copy):
    proc = snakemake(workflow_copy, "--lint", check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
