"""Workflow smoke tests: the Snakemake pipeline runs from a fresh copy and is well formed."""

import json
import shutil

import nbformat
import pytest
import yaml

from conftest import ROOT, TRUTH_FILES, another_device, copy_repository, planned_rules, snakemake

pytestmark = pytest.mark.workflow

FIGURES = [
    "raw_traces",
    "fig1b",
    "fig1c",
    "fig1d",
    "figS1_thermal_calibration",
    "figS2_sideband_calibration",
    "figS3_probe_calibration",
    "fig2a",
    "fig2b",
    "fig2c",
    "fig2d",
    "fig3",
    "fig4a",
    "fig4b",
    "fig4c",
    "fig4d",
    "figD1_duan_couplings",
    "figD2_duan_baths",
    "figD3_detuning_vs_g_ratio",
]
NOTEBOOKS = [
    "00_raw_data",
    "01_model_overview",
    "02_thermal_calibration",
    "03_sideband_calibration",
    "04_probe_calibration",
    "05_pump_fits",
    "06_mcmc_C",
    "06_mcmc_D",
    "07_probe_readout",
    "08_entanglement_verdict",
    "10_design_maps",
]
FIGURES += [f"figS{n}_{d}" for n in ("4_corner", "4_chains", "5_posteriors") for d in "CD"]


def test_workflow_writes_figures_and_executed_notebooks(workflow_run):
    repo, _ = workflow_run
    for name in FIGURES:
        for ext in ("pdf", "png"):
            path = repo / "results" / "figures" / f"{name}.{ext}"
            assert path.is_file() and path.stat().st_size > 1000, path
    assert not (repo / "config" / "simulation.yaml").exists() and not (repo / "data" / "simulation_truth.json").exists()
    inventory = json.loads((repo / "results" / "raw" / "inventory.json").read_text())
    assert {row["role"] for row in inventory} >= {"thermal_cal", "pump", "probe", "background"}
    for name in NOTEBOOKS:
        nb = nbformat.read(repo / "results" / "notebooks" / f"{name}.ipynb", as_version=4)
        assert nb.metadata["language_info"]["name"] == "python"
        assert nb.cells[0].cell_type == "markdown" and "What this step does" in nb.cells[0].source, name
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert all(c.get("execution_count") for c in code), f"{name}: every code cell executed"
        assert not [o for c in code for o in c.get("outputs", []) if o.get("output_type") == "error"]
        assert any("injected-parameters" in c.metadata.get("tags", []) for c in code), name
        assert not (repo / "results" / "notebooks" / f"{name}.html").exists()  # rendered by `make report` only
    fits = json.loads((repo / "results" / "fits" / "pump_fits.json").read_text())["datasets"]
    assert set(fits) == {"A1", "A2", "A3", "B1", "B2", "B3", "C", "D"}
    assert all(0.8 < rec["fit"]["chi2_reduced"] < 1.2 for rec in fits.values())
    sideband = json.loads((repo / "results" / "calibration" / "sideband.json").read_text())
    assert sideband["gain_dB_sigma"] > 0 and len(sideband["traces"]) >= 10


def test_headline_follows_the_contract_and_closes(workflow_run):
    """results/headline.{json,md,tex}: docs/figures.md's keys, a verdict that follows the numbers, and
    (closure on the archived data, quick MCMC) every headline quantity within 2 sigma of the truth."""

    repo, _ = workflow_run
    head = json.loads((repo / "results" / "headline.json").read_text())
    assert set(head) >= {"datasets", "paper", "provenance"}
    truth = json.loads((ROOT / "data" / "simulation_truth.json").read_text())["datasets"]
    for name in ("C", "D"):
        e = head["datasets"][name]
        for key in (
            "Xplus_BAE",
            "phi_opt_deg",
            "Xplus_lsq",
            "Pminus_lsq",
            "Pminus_mcmc",
            "duan",
            "probe_imbalance",
            "probe_correction",
        ):
            assert {"value", "sigma"} <= set(e[key]) and e[key]["sigma"] > 0, (name, key)
        for key in ("Xplus_BAE", "Pminus_mcmc", "duan"):
            lo, hi = e[key]["ci95"]
            assert lo < e[key]["value"] < hi
        assert 0 <= e["prob_duan_below_one"] <= 1 and 0 <= e["prob_Pminus_below_half"] <= 1
        assert e["entangled"] == (e["prob_duan_below_one"] >= head["verdict_probability"])
        pairs = {
            "Xplus_BAE": "Xplus",
            "phi_opt_deg": "phi_opt_deg",
            "Pminus_mcmc": "Pminus",
            "duan": "duan",
            "probe_imbalance": "probe_imbalance",
            "probe_correction": "probe_correction",
        }
        pulls = {key: (e[key]["value"] - truth[name][true_key]) / e[key]["sigma"] for key, true_key in pairs.items()}
        assert sum(abs(p) > 2 for p in pulls.values()) <= 1 and max(map(abs, pulls.values())) < 3, (name, pulls)
        assert abs(pulls["Pminus_mcmc"]) <= 2, (name, pulls)
        assert e["entangled"] == (truth[name]["duan"] < 1)
    for name in ("C", "D"):  # the correction factor in its parts (the laboratory's imbalance is ~1 here)
        e = head["datasets"][name]
        product = (
            e["probe_correction_balanced"]["value"]
            * e["probe_correction_imbalance"]["value"]
            * e["probe_correction_lines"]["value"]
        )
        assert product == pytest.approx(e["probe_correction"]["value"], rel=1e-9)
        assert 1.0 < e["probe_correction_balanced"]["value"]
    assert head["comparison"]["C"]["probe_correction"]["paper"] is None  # the paper's number is not the whole factor
    for name in ("C", "D"):  # Duan at one angle, and what the previous two-angle rule would have said
        e = head["datasets"][name]
        assert -90 < e["duan_phi_deg"] <= 90
        assert e["duan"]["value"] >= e["duan_separate_phases"]["value"] - 0.5 * e["duan"]["sigma"], e
        counts = e["draw_counts"]["prob_duan_below_one"]
        assert counts["below"] / counts["draws"] == pytest.approx(e["prob_duan_below_one"], abs=1e-12)
        assert set(e["estimators"]) >= set(pairs)
    prov = head["provenance"]
    assert set(prov) >= {
        "git",
        "versions",
        "raw_data_sha256",
        "config_sha256",
        "config",
        "config_overrides",
        "seeds",
        "created_utc",
    }
    # the run used --configfile config/quick.yaml: its settings are the effective config, each marked
    quick = yaml.safe_load((ROOT / "config" / "quick.yaml").read_text())
    default = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    assert prov["config"]["mcmc"]["max_steps"] == quick["mcmc"]["max_steps"]
    assert prov["config_overrides"]["mcmc.max_steps"] == {
        "effective": quick["mcmc"]["max_steps"],
        "default": default["mcmc"]["max_steps"],
    }
    assert "mcmc.seeds" not in prov["config_overrides"]  # the same in both files: not an override
    manifest = (repo / "data" / "raw" / "MANIFEST.sha256").read_text()
    assert all(digest in manifest for digest in prov["raw_data_sha256"].values())
    md = (repo / "results" / "headline.md").read_text()
    assert "| quantity |" in md and "Data set C" in md and "| estimator |" in md
    assert "`mcmc.max_steps`" in md  # the override, named in the table's provenance
    tex = (repo / "results" / "headline.tex").read_text()
    assert "\\newcommand{\\XplusBAE}" in tex and "\\newcommand{\\DuanSetD}" in tex


def test_probe_readout_recovers_the_laboratorys_xplus(workflow_run):
    """The probes' <X+^2> (and the Duan that adds it) within 2 sigma of the laboratory's truth, C and D."""
    repo, _ = workflow_run
    head = json.loads((repo / "results" / "headline.json").read_text())
    truth = json.loads((ROOT / "data" / "simulation_truth.json").read_text())["datasets"]
    for name in ("C", "D"):
        e = head["datasets"][name]
        for key, true_key in (("Xplus_BAE", "Xplus"), ("duan", "duan")):
            assert abs(e[key]["value"] - truth[name][true_key]) <= 2 * e[key]["sigma"], (name, key)


def test_second_run_has_nothing_to_do(run_copy):
    repo = run_copy
    proc = snakemake(repo, "--cores", "1", "--dry-run", "--quiet", "rules", "--configfile", "config/quick.yaml")
    assert "fig1_scheme" not in proc.stdout and "pump_fits" not in proc.stdout and "mcmc" not in proc.stdout


def test_results_dir_override_leaves_default_untouched(run_copy, tmp_path):
    repo = run_copy
    before = sorted((p.relative_to(repo), p.stat().st_mtime_ns) for p in (repo / "results").rglob("*"))
    other = tmp_path / "elsewhere"
    snakemake(repo, "--cores", "1", "--config", f"results_dir={other}", "--", "raw_overview")
    assert (other / "figures" / "raw_traces.png").is_file() and (other / "raw" / "inventory.json").is_file()
    assert sorted((p.relative_to(repo), p.stat().st_mtime_ns) for p in (repo / "results").rglob("*")) == before


def test_html_renders_are_a_rule_of_their_own(run_copy):
    """`make` writes executed notebooks; their HTML renders come from rule notebook_html (`make report`)."""
    repo = run_copy
    snakemake(
        repo, "--cores", "1", "--configfile", "config/quick.yaml", "--", "results/notebooks/07_probe_readout.html"
    )
    assert (repo / "results" / "notebooks" / "07_probe_readout.html").stat().st_size > 10_000
    assert planned_rules(repo, "--", "html") == {"html", "notebook_html"}  # renders only: no step reruns


@pytest.mark.parametrize(
    "override,message",
    [("nonsense_key=1", "nonsense_key"), ("results_dir=", "results_dir")],
)
def test_config_errors_are_reported_against_the_schema(code_copy, override, message):
    proc = snakemake(code_copy, "--cores", "1", "--dry-run", "--config", override, check=False)
    assert proc.returncode != 0
    output = proc.stdout + proc.stderr
    assert "Error validating config" in output and message in output


def test_lint_is_clean(code_copy):
    proc = snakemake(code_copy, "--lint", check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_another_raw_data_set_through_the_same_workflow(run_copy, tmp_path):
    """`--config raw_dir=DIR results_dir=DIR2` analyses other raw data, touching neither data/raw nor results/."""
    import subprocess
    import sys

    repo = run_copy
    other_raw, other_results = tmp_path / "raw", tmp_path / "out"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "entangled_drums.lab.simulate",
            "--truth",
            str(ROOT / "config" / "simulation.yaml"),
            "--out",
            str(other_raw),
            "--seed",
            "7",
        ],
        check=True,
        capture_output=True,
    )
    manifest_before = (repo / "data" / "raw" / "MANIFEST.sha256").read_text()
    results_before = sorted((p.relative_to(repo), p.stat().st_mtime_ns) for p in (repo / "results").rglob("*"))
    snakemake(
        repo,
        "--cores",
        "2",
        "--config",
        f"raw_dir={other_raw}",
        f"results_dir={other_results}",
        "--",
        "raw_overview",
        "thermal_calibration",
    )
    inventory = json.loads((other_results / "raw" / "inventory.json").read_text())
    assert {row["sha256"] for row in inventory}.isdisjoint(manifest_before.split())
    assert (repo / "data" / "raw" / "MANIFEST.sha256").read_text() == manifest_before
    assert sorted((p.relative_to(repo), p.stat().st_mtime_ns) for p in (repo / "results").rglob("*")) == results_before


def test_missing_raw_directory_is_a_clear_error(code_copy, tmp_path):
    proc = snakemake(
        code_copy,
        "--cores",
        "1",
        "--config",
        f"raw_dir={tmp_path / 'none'}",
        f"results_dir={tmp_path / 'out'}",
        check=False,
    )
    assert proc.returncode != 0
    assert "MANIFEST.sha256" in proc.stdout + proc.stderr
    assert not (tmp_path / "out" / "raw" / "inventory.json").exists()


def test_mcmc_posteriors_contain_the_truth(workflow_run):
    """Closure of the MCMC (quick settings): the 95 % interval of each derived quantity holds the truth."""

    repo, _ = workflow_run
    truth = json.loads((ROOT / "data" / "simulation_truth.json").read_text())["datasets"]
    for name in ("C", "D"):
        summary = json.loads((repo / "results" / "mcmc" / f"{name}.json").read_text())
        for key in ("Xplus", "Pminus", "duan"):
            lo, hi = summary[key]["ci95"]
            assert lo <= truth[name][key] <= hi, (name, key, summary[key], truth[name][key])
        for key, d in summary["diagnostics"].items():
            assert d["rhat"] < summary["settings"]["rhat_max"], (name, key, d)
            assert min(d["ess_bulk"], d["ess_tail"]) >= summary["settings"]["min_ess"], (name, key, d)
        assert len(summary["runs"]) >= 2
        for run in summary["runs"]:
            assert run["steps"] > summary["settings"]["n_tau"] * max(run["tau"].values())
        for key in ("kappa", "kappa_out", "gamma1", "gamma2"):  # calibrated, sampled, named (issue 15)
            assert key in summary["parameters"] and key in summary["diagnostics"], key


def test_error_budget_lists_every_source_and_sums_to_the_total(workflow_run):
    """results/error_budget.json: every source for C and D; the shares sum to the draws' variance within 10 %."""
    from entangled_drums import budget, posterior

    repo, _ = workflow_run
    record = json.loads((repo / "results" / "error_budget.json").read_text())
    for name in ("C", "D"):
        b = record["datasets"][name]
        assert set(b["duan"]["shares"]) == set(budget.ORDER), set(b["duan"]["shares"]) ^ set(budget.ORDER)
        for key in ("Xplus", "Pminus", "duan"):
            assert b[key]["ratio_linear_to_draws"] == pytest.approx(1.0, abs=0.1), (name, key)
        assert "prob_duan_below_one" in b
        if name == "C":  # the paper gives <P-^2>'s error for C only
            assert b["Pminus"]["calibration_scale_for_target"]["target_sigma"] == 0.08
        post = posterior.read(repo / "results" / "mcmc" / f"{name}_posterior.nc").posterior
        assert {"kappa", "kappa_out", "gamma1", "gamma2"} <= set(post.data_vars)
    assert (repo / "results" / "figures" / "figE1_error_budget.png").stat().st_size > 10000


@pytest.mark.parametrize("step", ["01_model_overview", "02_thermal_calibration"])
def test_notebook_runs_by_hand_with_its_defaults(run_copy, step, tmp_path):
    """A step notebook executes with no injected parameters (as in Jupyter), defaults from config/."""
    import subprocess
    import sys

    repo = run_copy
    out = tmp_path / f"{step}.ipynb"
    proc = subprocess.run(
        [sys.executable, "-m", "entangled_drums.product.notebook", f"notebooks/{step}.py", str(out)],
        cwd=repo,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert out.stat().st_size > 1000


def test_another_device_runs_blind_to_a_headline(workflow_run, tmp_path):
    """Issue 25: another device (drums at 7 and 9 MHz, line widths 80 and 200 Hz, coupling ratio 0.90, a cavity
    at 6.2 GHz; conftest.another_device), simulated by the laboratory from its own truth file, with data sets of
    its own names: 'run1' with probe spectra, 'run2' with a pump spectrum only, both in series 'X'. The
    experimenter's config names only the nominal device and settings; the repository copy holds no truth file.
    The quick workflow runs blind through to a headline for run1, whose 95 % intervals of <X+^2> (probes),
    <P-^2> (MCMC) and Duan hold the laboratory's truth (the headline's steps only: the raw overview, Fig. 1 and the
    design maps name no data set but the main one, which the headline's figures show)."""
    import subprocess
    import sys

    repo = copy_repository(tmp_path / "repo")
    truth = yaml.safe_load((ROOT / "config" / "simulation.yaml").read_text())
    device, datasets = another_device(truth)
    truth_file, truth_json = tmp_path / "truth.yaml", tmp_path / "truth.json"
    truth_file.write_text(yaml.safe_dump(truth, sort_keys=False))
    for rel in TRUTH_FILES:
        (repo / rel).unlink()
    shutil.rmtree(repo / "data" / "raw")
    subprocess.run(
        [sys.executable, "-m", "entangled_drums.lab.simulate", "--truth", str(truth_file)]
        + ["--out", str(repo / "data" / "raw"), "--truth-json", str(truth_json)],
        check=True,
        capture_output=True,
    )
    config = yaml.safe_load((repo / "config" / "config.yaml").read_text())
    quick = yaml.safe_load((repo / "config" / "quick.yaml").read_text())
    config["device"] = device
    config["datasets"] = {name: dict(d, label=name) for name, d in datasets.items()}
    config["figures"] = {"pump_panels": {"X": {"name": "fig2_X"}}, "main_dataset": "run1"}
    config["mcmc"] = {**config["mcmc"], **quick["mcmc"], "datasets": ["run1"]}
    config["readout"]["datasets"] = ["run1"]
    (repo / "config" / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    # the kernels compiled by the shared run (numba's cache is per results directory, common.smk): loaded, not
    # compiled again; the steps themselves all run
    shutil.copytree(workflow_run[0] / "results" / ".numba-cache", repo / "results" / ".numba-cache")
    snakemake(repo, "--cores", "2", "--", "results/headline.json", timeout=1200)
    head = json.loads((repo / "results" / "headline.json").read_text())
    assert set(head["datasets"]) == {"run1"}
    e = head["datasets"]["run1"]
    assert e["entangled"] == (e["prob_duan_below_one"] >= head["verdict_probability"])
    assert head["comparison"]["run1"]["duan"]["paper"] is None  # the paper has no data set "run1"
    assert head["provenance"]["config"]["device"] == device  # the effective config, in full
    assert head["provenance"]["config_overrides"] == {}  # config.yaml itself was edited: nothing overrides it
    true = json.loads(truth_json.read_text())["datasets"]["run1"]
    for key, true_key in {"Xplus_BAE": "Xplus", "Pminus_mcmc": "Pminus", "duan": "duan"}.items():
        lo, hi = e[key]["ci95"]
        assert lo <= true[true_key] <= hi, (key, e[key], true[true_key])
    figures = repo / "results" / "figures"
    for name in ("fig2_X", "figS4_corner_run1", "figS5_posteriors_run1", "fig3", "fig4c", "fig1d"):
        assert (figures / f"{name}.png").is_file(), name
    assert not (repo / "results" / "mcmc" / "run2.json").exists()
    assert "\\newcommand{\\XplusBAE}" in (repo / "results" / "headline.tex").read_text()
    assert "run1" in (repo / "results" / "headline.md").read_text()


def test_inconsistent_data_set_lists_are_a_clear_error(code_copy):
    proc = snakemake(code_copy, "--dry-run", "--config", "mcmc={'datasets': ['C']}", check=False)
    assert proc.returncode != 0
    assert (
        "config: readout.datasets ['D'] have no posterior: add them to mcmc.datasets (the verdict needs both)"
        in proc.stderr + proc.stdout
    ), proc.stderr[-2000:]
