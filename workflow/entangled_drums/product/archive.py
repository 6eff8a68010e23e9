"""A self-contained archive of the analysis for a publication deposit.

    python -m entangled_drums.product.archive --out dist/entangled-drums.tar.gz

Contents: the code and configuration as git ships them (or, outside git, the repository minus
``.venv``, ``.snakemake``, ``results``), the raw data with their manifest, the environment files,
``CITATION.cff``, everything under ``results/`` (figures, JSON, executed notebooks, headline,
report) and ``ro-crate-metadata.json``: a Workflow Run RO-Crate 0.5, written with ro-crate-py,
describing the run (the Snakefile as the workflow, the raw data and config as its inputs, the
results as its outputs, the software with its versions, the headline's provenance). The tarball
is deterministic: sorted members, fixed times and owners.
"""

import argparse
import gzip
import io
import json
import subprocess
import sys
import tarfile
from pathlib import Path

from .. import __version__

EXCLUDED = (".venv", ".snakemake", "results", ".git", "dist", "__pycache__", ".pytest_cache")


def source_files(root):
    """Relative paths of the project's source files (git's view, else a filtered walk)."""
    root = Path(root)
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=root,
            check=True,
            capture_output=True,
        ).stdout.decode()
        files = [p for p in out.split("\0") if p]
    except (OSError, subprocess.CalledProcessError):
        files = [
            str(p.relative_to(root))
            for p in root.rglob("*")
            if p.is_file() and not set(p.relative_to(root).parts) & set(EXCLUDED)
        ]
    return sorted(p for p in files if (root / p).is_file() and not set(Path(p).parts) & set(EXCLUDED))


#: The profiles the crate conforms to (Workflow Run Crate 0.5 builds on these).
PROFILES = {
    "https://w3id.org/ro/wfrun/process/0.5": "Process Run Crate",
    "https://w3id.org/ro/wfrun/workflow/0.5": "Workflow Run Crate",
    "https://w3id.org/workflowhub/workflow-ro-crate/1.0": "Workflow RO-Crate",
}


def ro_crate(results_dir, files):
    """The Workflow Run RO-Crate 0.5 metadata (JSON-LD dict) of the run whose outputs are in ``results_dir``.

    Written with ro-crate-py: the Snakefile as the main ``ComputationalWorkflow`` (language
    Snakemake), every file as a data entity, a ``CreateAction`` whose instrument is the
    workflow, whose objects are the raw data and config and whose results are the outputs,
    the software with its versions (``SoftwareApplication``, the workflow's
    ``softwareRequirements``) and the headline's provenance.
    """
    from rocrate.model import ContextEntity
    from rocrate.rocrate import ROCrate

    headline_path = Path(results_dir) / "headline.json"
    provenance = json.loads(headline_path.read_text())["provenance"] if headline_path.is_file() else {}
    versions = provenance.get("versions", {})
    crate = ROCrate(gen_preview=False, version="1.1")  # the RO-Crate version Workflow Run Crate 0.5 is written against
    crate.name = "entangled-drums: reproduction of Ockeloen-Korppi et al., Nature 556, 478 (2018)"
    crate.description = (
        "Raw spectra (synthetic, from the documented simulator truth), calibrations, fits, MCMC, "
        "figures and headline numbers; see README.md."
    )
    crate.license = "https://spdx.org/licenses/MIT"
    crate.root_dataset["version"] = __version__
    crate.root_dataset["datePublished"] = provenance.get("created_utc") or "1970-01-01T00:00:00Z"  # deterministic
    crate.root_dataset["conformsTo"] = [{"@id": uri} for uri in PROFILES]
    for uri, name in PROFILES.items():
        crate.add(
            ContextEntity(
                crate, uri, properties={"@type": "CreativeWork", "name": name, "version": uri.rsplit("/", 1)[-1]}
            )
        )
    software = [
        crate.add(
            ContextEntity(
                crate,
                f"#software-{name}",
                properties={
                    "@type": "SoftwareApplication",
                    "name": name,
                    "version": version,
                    "url": "https://www.python.org/" if name == "python" else f"https://pypi.org/project/{name}/",
                },
            )
        )
        for name, version in sorted(versions.items())
        if version and name != "entangled-drums"
    ]
    workflow = crate.add_workflow(
        dest_path="Snakefile",
        main=True,
        lang="snakemake",
        lang_version=versions.get("snakemake"),
        properties={"name": "entangled-drums Snakemake workflow"},
    )
    if software:
        workflow["softwareRequirements"] = software
    entities = {f: crate.add_file(dest_path=f) for f in files if f != "Snakefile"}
    inputs = [entities[f] for f in files if f.startswith(("data/raw/", "config/")) and f in entities]
    outputs = [
        entities[f]
        for f in files
        if f.startswith("results/") and f.endswith((".json", ".md", ".tex", ".pdf", ".png", ".html", ".nc", ".npy"))
    ]
    action = crate.add_action(
        workflow,
        identifier="#run",
        object=inputs,
        result=outputs,
        properties={
            "name": "Run of the entangled-drums workflow",
            "description": "snakemake --cores all (make), provenance in the PropertyValue #provenance",
        },
    )
    if provenance.get("created_utc"):
        action["endTime"] = provenance["created_utc"]
    action["additionalProperty"] = crate.add(
        ContextEntity(
            crate,
            "#provenance",
            properties={
                "@type": "PropertyValue",
                "name": "provenance",
                "value": json.dumps(provenance, sort_keys=True),
            },
        )
    )
    return crate.metadata.generate()


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
    result_files = sorted(
        str(Path("results") / p.relative_to(results_dir))
        for p in results_dir.rglob("*")
        if p.is_file() and not p.name.endswith(".partial") and "chains" not in p.parts
    )
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
