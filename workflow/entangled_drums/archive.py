"""A self-contained archive of the analysis for a publication deposit.

    python -m entangled_drums.archive --out dist/entangled-drums.tar.gz

Contents: the code and configuration as git ships them (or, outside git, the repository minus
``.venv``, ``.snakemake``, ``results``), the raw data with their manifest, the environment files,
``CITATION.cff``, everything under ``results/`` (figures, JSON, executed notebooks, headline,
report) and ``ro-crate-metadata.json``: a Workflow Run RO-Crate describing the run (the
Snakefile as the workflow, the raw data as its inputs, the results as its outputs, with the
headline's provenance). The tarball is deterministic: sorted members, fixed times and owners.
"""

import argparse
import gzip
import io
import json
import subprocess
import sys
import tarfile
from pathlib import Path

from . import __version__

EXCLUDED = (".venv", ".snakemake", "results", ".git", "dist", "__pycache__", ".pytest_cache")


def source_files(root):
    """Relative paths of the project's source files (git's view, else a filtered walk)."""
    root = Path(root)
    try:
        out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=root,
                             check=True, capture_output=True).stdout.decode()
        files = [p for p in out.split("\0") if p]
    except (OSError, subprocess.CalledProcessError):
        files = [str(p.relative_to(root)) for p in root.rglob("*")
                 if p.is_file() and not set(p.relative_to(root).parts) & set(EXCLUDED)]
    return sorted(p for p in files if (root / p).is_file() and not set(Path(p).parts) & set(EXCLUDED))


def _entity(path, kind="File", **extra):
    return {"@id": path, "@type": kind, **extra}


def ro_crate(results_dir, files):
    """The Workflow Run RO-Crate metadata (JSON-LD dict) of the run whose outputs are in ``results_dir``."""
    headline_path = Path(results_dir) / "headline.json"
    provenance = json.loads(headline_path.read_text())["provenance"] if headline_path.is_file() else {}
    raw = sorted(f for f in files if f.startswith("data/raw/"))
    outputs = sorted(f for f in files if f.startswith("results/"))
    action = {
        "@id": "#run", "@type": "CreateAction", "name": "Run of the entangled-drums workflow",
        "instrument": {"@id": "Snakefile"}, "object": [{"@id": f} for f in raw],
        "result": [{"@id": f} for f in outputs if f.endswith((".json", ".md", ".tex", ".pdf", ".png", ".html"))],
        "additionalProperty": {"@id": "#provenance"},
    }
    if provenance.get("created_utc"):
        action["endTime"] = provenance["created_utc"]
    graph = [
        {"@id": "ro-crate-metadata.json", "@type": "CreativeWork", "about": {"@id": "./"},
         "conformsTo": [{"@id": "https://w3id.org/ro/crate/1.1"}, {"@id": "https://w3id.org/ro/wfrun/workflow/0.5"}]},
        {"@id": "./", "@type": "Dataset", "name": "entangled-drums: reproduction of Ockeloen-Korppi et al., Nature 556, "
         "478 (2018)", "description": "Raw spectra (synthetic, from the documented simulator truth), calibrations, fits, "
         "MCMC, figures and headline numbers; see README.md.", "version": __version__,
         "license": {"@id": "https://spdx.org/licenses/MIT"},
         "conformsTo": [{"@id": "https://w3id.org/ro/wfrun/workflow/0.5"}, {"@id": "https://w3id.org/workflowhub/workflow-ro-crate/1.0"}],
         "mainEntity": {"@id": "Snakefile"}, "mentions": [{"@id": "#run"}],
         "hasPart": [{"@id": f} for f in files]},
        _entity("Snakefile", ["File", "SoftwareSourceCode", "ComputationalWorkflow"], name="Snakefile",
                programmingLanguage={"@id": "https://w3id.org/workflowhub/workflow-ro-crate#snakemake"}),
        {"@id": "https://w3id.org/workflowhub/workflow-ro-crate#snakemake", "@type": "ComputerLanguage",
         "name": "Snakemake", "url": {"@id": "https://snakemake.readthedocs.io"},
         "version": provenance.get("versions", {}).get("snakemake")},
        action,
        {"@id": "#provenance", "@type": "PropertyValue", "name": "provenance", "value": json.dumps(provenance, sort_keys=True)},
    ]
    graph += [_entity(f) for f in files if f != "Snakefile"]
    return {"@context": "https://w3id.org/ro/crate/1.1/context", "@graph": graph}


def _add(tar, name, data):
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), 0, 0o644
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    tar.addfile(info, io.BytesIO(data))


def build(root, out, results_dir="results", prefix="entangled-drums"):
    """Write the archive ``out`` (``.tar.gz``); returns its path."""
    root, results_dir = Path(root), Path(results_dir)
    if not (results_dir / "headline.json").is_file():
        raise FileNotFoundError(f"{results_dir / 'headline.json'}: no finished run to archive; run `make` first")
    files = source_files(root)
    result_files = sorted(str(Path("results") / p.relative_to(results_dir)) for p in results_dir.rglob("*")
                          if p.is_file() and not p.name.endswith(".partial") and "chains" not in p.parts)
    crate = json.dumps(ro_crate(results_dir, files + result_files), indent=2, sort_keys=True).encode()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".partial")
    with open(tmp, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
        with tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for f in files:
                _add(tar, f"{prefix}/{f}", (root / f).read_bytes())
            for f in result_files:
                _add(tar, f"{prefix}/{f}", (results_dir / Path(f).relative_to("results")).read_bytes())
            _add(tar, f"{prefix}/ro-crate-metadata.json", crate)
    tmp.replace(out)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description="Build the deposit archive of a finished run.")
    parser.add_argument("--out", default="dist/entangled-drums.tar.gz")
    parser.add_argument("--results", default="results")
    args = parser.parse_args(argv)
    try:
        path = build(".", args.out, args.results)
    except FileNotFoundError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
