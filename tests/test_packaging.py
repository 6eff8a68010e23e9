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
        [sys.executable, "-m", "entangled_drums.product.notebook", str(source), str(out), "--html", str(html)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert proc.returncode == 1
    assert "bad.py failed" in proc.stderr and "boom" in proc.stderr
    assert not out.exists() and not html.exists()
    assert not list((tmp_path / "out").glob("*"))


def test_missing_notebook_is_a_clear_error(tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "entangled_drums.product.notebook",
            str(tmp_path / "nope.py"),
            str(tmp_path / "o.ipynb"),
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2 and "nope.py: no such file" in proc.stderr


def test_every_document_the_repository_cites_is_in_the_repository():
    """No reference to design notes outside the repository, and every cited `docs/...`, `config/...`
    or `data/...` file exists (code, config, notebooks, tests, READMEs)."""
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    texts = {
        f: (ROOT / f).read_text(errors="replace")
        for f in files
        if f.endswith((".py", ".md", ".yaml", ".yml", ".smk", ".cff", ".toml", "Makefile", "Snakefile", ".sh"))
        and (ROOT / f).is_file()
    }
    assert len(texts) > 50
    outside = re.compile(r"PHYSICS\.md|FIGURES\.md|ARCHITECTURE\.md|\.\./shared|\bshared/(design|seeds)")
    cited = re.compile(r"(?<![\w/.-])((?:docs|config|data)/[A-Za-z0-9_./-]+\.(?:md|yaml|json))")
    missing = []
    for name, text in texts.items():
        assert not outside.search(text), (
            f"{name} cites a document outside the repository: {outside.search(text).group()}"
        )
        missing += [
            (name, ref)
            for ref in cited.findall(text)
            if "*" not in ref and not (ROOT / ref).exists() and not ref.startswith(("data/my", "config/my"))
        ]
    assert not missing, missing
