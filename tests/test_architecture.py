"""The package's layout and the field's linters: subpackages by concern, import contracts that keep them
apart (import-linter), ruff (lint and format) and snakefmt. `snakemake --lint` is in test_workflow.py."""

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

PACKAGE = ROOT / "workflow" / "entangled_drums"
BIN = Path(sys.executable).parent


def _lint_imports(package_parent, cwd):
    """Run import-linter with the contracts of pyproject.toml on the package found under ``package_parent``."""
    config = cwd / "pyproject.toml"
    if not config.exists():
        shutil.copy2(ROOT / "pyproject.toml", config)
    env = {"PATH": str(BIN), "PYTHONPATH": str(package_parent), "HOME": str(cwd)}
    return subprocess.run(
        [str(BIN / "lint-imports"), "--no-cache", "--config", str(config)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
    )


def test_every_module_lies_in_a_subpackage_that_says_its_job():
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert top == ["__init__.py"], top
    subpackages = sorted(p.parent.name for p in PACKAGE.glob("*/__init__.py"))
    assert subpackages == sorted(
        ["physics", "data", "stats", "calibration", "inference", "readout", "results", "lab", "studies", "product"]
    )
    for name in subpackages:
        doc = ast.get_docstring(ast.parse((PACKAGE / name / "__init__.py").read_text()))
        assert doc and "May import" in doc, f"{name}/__init__.py: a docstring with its job and what it may import"


def test_import_contracts_hold(tmp_path):
    proc = _lint_imports(ROOT / "workflow", tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "3 kept, 0 broken" in proc.stdout, proc.stdout


@pytest.mark.parametrize(
    "module,line,contract",
    [
        ("results/verdict.py", "from ..lab import simulate  # noqa: F401", "The analysis never imports the laboratory"),
        ("physics/model.py", "from ..inference import pumpfit  # noqa: F401", "Layers"),
        ("lab/simulate.py", "from ..physics import linear  # noqa: F401", "The laboratory imports none"),
    ],
)
def test_a_wrong_import_breaks_a_contract(tmp_path, module, line, contract):
    """The contracts can fail: one added import in a copy of the package breaks the named contract."""
    copy = tmp_path / "src" / "entangled_drums"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    path = copy / module
    text = path.read_text()
    # after the module docstring and before its first import
    first = text.index("\nimport ") if "\nimport " in text else text.index("\nfrom ")
    path.write_text(text[:first] + "\n" + line + text[first:])
    proc = _lint_imports(tmp_path / "src", tmp_path)
    assert proc.returncode != 0, proc.stdout
    broken = [ln for ln in proc.stdout.splitlines() if ln.strip().endswith("BROKEN")]
    assert any(contract in ln for ln in broken) or contract in proc.stdout.split("Broken contracts")[-1], proc.stdout


def test_ruff_lint_and_format_are_clean():
    lint = subprocess.run([str(BIN / "ruff"), "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout[-3000:]
    fmt = subprocess.run([str(BIN / "ruff"), "format", "--check", "."], cwd=ROOT, capture_output=True, text=True)
    assert fmt.returncode == 0, fmt.stdout[-3000:]


def test_snakefmt_is_clean():
    proc = subprocess.run(
        [str(BIN / "snakefmt"), "--check", "Snakefile", "workflow/rules"], cwd=ROOT, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
