"""The environment files pin the same versions; the notebook runner fails cleanly."""

import re
import subprocess
import sys
import tomllib

import yaml

from conftest import ROOT


def pins(lines):
    found = {}
    for line in lines:
        match = re.fullmatch(r"\s*([A-Za-z0-9_.\-]+)==([^\s;#]+)\s*", line)
        if match:
            found[match.group(1).lower().replace("_", "-")] = match.group(2)
    return found


def test_pyproject_environment_and_lock_agree():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = pins(project["dependencies"] + project["optional-dependencies"]["test"])
    assert len(declared) == len(project["dependencies"]) + len(project["optional-dependencies"]["test"]), "all pinned"
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert pins(pip_section) == declared
    locked = pins((ROOT / "requirements.lock").read_text().splitlines())
    for name, version in declared.items():
        assert locked.get(name) == version, f"{name}: pyproject {version}, lock {locked.get(name)}"


def test_failing_notebook_leaves_no_outputs(tmp_path):
    source = tmp_path / "bad.py"
    source.write_text("# %% [markdown]\n# A step that fails.\n\n# %%\nraise RuntimeError('boom')\n")
    out, html = tmp_path / "out" / "bad.ipynb", tmp_path / "out" / "bad.html"
    proc = subprocess.run(
        [sys.executable, "-m", "entangled_drums.notebook", str(source), str(out), "--html", str(html)],
        capture_output=True, text=True, cwd=tmp_path,
    )
    assert proc.returncode == 1
    assert "bad.py failed" in proc.stderr and "boom" in proc.stderr
    assert not out.exists() and not html.exists()
    assert not list((tmp_path / "out").glob("*"))


def test_missing_notebook_is_a_clear_error(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "entangled_drums.notebook", str(tmp_path / "nope.py"), str(tmp_path / "o.ipynb")],
        capture_output=True, text=True,
    )
    assert proc.returncode == 2 and "nope.py: no such file" in proc.stderr
