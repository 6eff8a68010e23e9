"""A self-contained archive of the analysis for a publication deposit.

    python -m entangled_drums.product.archive --out dist/entangled-drums.tar.gz [--lock] [--wheels]

Contents: the code and configuration as git ships them (or, outside git, the repository minus
``.venv``, ``.snakemake``, ``results``), the raw data with their manifest, the environment files,
``CITATION.cff``, everything under ``results/`` (figures, JSON, executed notebooks, headline,
report) and ``ro-crate-metadata.json``: a Workflow Run RO-Crate 0.5, written with ro-crate-py,
describing the run (the Snakefile as the workflow, the raw data and config as its inputs, the
results as its outputs, the software with its versions, the headline's provenance). The tarball
is deterministic: sorted members, fixed times and owners. Every macro of ``results/headline.tex`` is in the
crate as an output of the workflow (a ``FormalParameter``) and of the run (a ``PropertyValue`` with its value,
interval and a ``valueReference`` to its provenance record, ``headline.json`` -> ``macros``).

``--lock`` adds ``requirements-hashes.lock``: ``requirements.lock`` and the build requirements with the SHA-256
of every distribution file (``uv pip compile --generate-hashes``; it needs PyPI's index, or uv's cache with
``--offline``). ``--wheels`` adds ``wheelhouse/``: every file of that lock for this machine's Python and
platform (``pip download --require-hashes``; an sdist where PyPI has no wheel), from which ``make`` installs
with no network (``pip install --no-index --find-links wheelhouse --require-hashes``).
"""

import argparse
import gzip
import hashlib
import io
import json
import mimetypes
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import tomllib
from pathlib import Path

from .. import __version__

#: left out of the deposit's sources: generated directories at the top (``results/`` goes in from the run; a
#: deeper ``results`` is code: ``workflow/entangled_drums/results``), caches anywhere
EXCLUDED = (".venv", ".snakemake", "results", ".git", "dist", "build", ".verify", "wheelhouse")
EXCLUDED_ANYWHERE = ("__pycache__", ".pytest_cache")
#: the hashed lock's name in the deposit (``make`` installs from it there) and the wheelhouse's
HASHED_LOCK = "requirements-hashes.lock"
WHEELHOUSE = "wheelhouse"


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
            str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and not _excluded(p.relative_to(root))
        ]
    return sorted(p for p in files if (root / p).is_file() and not _excluded(p))


def _excluded(rel):
    parts = Path(rel).parts
    return parts[0] in EXCLUDED or bool(set(parts) & set(EXCLUDED_ANYWHERE))


#: The profiles the crate conforms to (Workflow Run Crate 0.5 builds on these).
PROFILES = {
    "https://w3id.org/ro/wfrun/process/0.5": "Process Run Crate",
    "https://w3id.org/ro/wfrun/workflow/0.5": "Workflow Run Crate",
    "https://w3id.org/workflowhub/workflow-ro-crate/1.0": "Workflow RO-Crate",
}


#: media types the standard library does not know (``encodingFormat`` of the crate's files)
MEDIA_TYPES = {
    ".nc": "application/x-netcdf",
    ".npy": "application/octet-stream",
    ".h5": "application/x-hdf5",
    ".py": "text/x-python",
    ".smk": "text/x-python",
    ".ipynb": "application/x-ipynb+json",
    ".yaml": "application/yaml",
    ".yml": "application/yaml",
    ".cff": "application/yaml",
    ".md": "text/markdown",
    ".rst": "text/x-rst",
    ".tex": "application/x-tex",
    ".toml": "application/toml",
    ".jsonld": "application/ld+json",
    ".json": "application/json",
    ".sh": "application/x-sh",
    ".whl": "application/zip",
}


def media_type(path):
    """The IANA media type of a file of the deposit, by its name (text/plain where nothing better is known)."""
    suffix = Path(path).suffix.lower()
    return MEDIA_TYPES.get(suffix) or mimetypes.guess_type(str(path))[0] or "text/plain"


def _utc(stamp):
    """``2026-01-02T03:04:05Z`` -> ``2026-01-02T03:04:05+00:00`` (the form Process Run Crate's check expects)."""
    return stamp[:-1] + "+00:00" if stamp.endswith("Z") else stamp


def _add_macros(crate, workflow, macros, entities):
    """Each macro's record (``headline.json`` -> ``macros``) as a workflow output (``FormalParameter``) and a
    value of the run (``PropertyValue``, with ``valueReference`` to the whole record as JSON); returns the values."""
    from rocrate.model import ContextEntity

    params, values = [], []
    for name, record in sorted(macros.items()):
        value = record.get("value")
        if value is None:
            value = record.get("text")
        kind = {bool: "Boolean", int: "Integer", float: "Float"}.get(type(value), "Text")
        param = crate.add(
            ContextEntity(
                crate,
                f"#param-{name}",
                properties={
                    "@type": "FormalParameter",
                    "name": name,
                    "additionalType": kind,
                    "description": f"the LaTeX macro \\{name} of results/headline.tex",
                    "conformsTo": {"@id": "https://bioschemas.org/profiles/FormalParameter/1.0-RELEASE"},
                    "workExample": {"@id": f"#macro-{name}"},
                },
            )
        )
        details = crate.add(
            ContextEntity(
                crate,
                f"#macro-{name}-record",
                properties={
                    "@type": "PropertyValue",
                    "name": f"provenance record of \\{name}",
                    "value": json.dumps(record, sort_keys=True),
                    "encodingFormat": "application/json",
                },
            )
        )
        props = {
            "@type": "PropertyValue",
            "name": name,
            "alternateName": f"\\{name}",
            "value": value,
            "exampleOfWork": {"@id": param.id},
            "valueReference": {"@id": details.id},
            "description": (
                f"printed {record.get('text')}; {record.get('quantity')}; Monte Carlo error {record.get('mc_error')} "
                f"({record.get('mc_method')})"
            ),
        }
        if record.get("estimator"):
            props["measurementTechnique"] = record["estimator"]
        if record.get("interval"):
            props["minValue"], props["maxValue"] = record["interval"]["low"], record["interval"]["high"]
        notebook = (record.get("computed_by") or {}).get("notebook")
        if notebook in entities:
            props["isBasedOn"] = {"@id": notebook}
        values.append(crate.add(ContextEntity(crate, f"#macro-{name}", properties=props)))
        params.append(param)
    if params:
        workflow["output"] = params
    return values


def ro_crate(results_dir, files, wheelhouse=False):
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
    headline = json.loads(headline_path.read_text()) if headline_path.is_file() else {}
    provenance = headline.get("provenance", {})
    versions = provenance.get("versions", {})
    crate = ROCrate(gen_preview=False, version="1.1")  # the RO-Crate version Workflow Run Crate 0.5 is written against
    crate.name = "entangled-drums: reproduction of Ockeloen-Korppi et al., Nature 556, 478 (2018)"
    crate.description = (
        "Raw spectra (synthetic, from the documented simulator truth), calibrations, fits, MCMC, "
        "figures and headline numbers; see README.md."
    )
    crate.root_dataset["license"] = crate.add(
        ContextEntity(
            crate, "https://spdx.org/licenses/MIT", properties={"@type": "CreativeWork", "name": "MIT License"}
        )
    )
    crate.root_dataset["author"] = crate.add(  # as CITATION.cff names them
        ContextEntity(
            crate, "#authors", properties={"@type": "Organization", "name": "The entangled-drums contributors"}
        )
    )
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
                f"https://www.python.org/downloads/release/python-{version.replace('.', '')}/"
                if name == "python"
                else f"https://pypi.org/project/{name}/{version}/",
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
        properties={
            "name": "entangled-drums Snakemake workflow",
            "version": __version__,
            "encodingFormat": "text/x-python",
            "conformsTo": {"@id": "https://bioschemas.org/profiles/ComputationalWorkflow/1.0-RELEASE"},
        },
    )
    if software:
        workflow["softwareRequirements"] = software
    entities = {
        f: crate.add_file(dest_path=f, properties={"encodingFormat": media_type(f)}) for f in files if f != "Snakefile"
    }
    if "README.md" in entities:
        entities["README.md"]["about"] = crate.root_dataset
    if HASHED_LOCK in entities:
        entities[HASHED_LOCK]["description"] = "requirements.lock with the SHA-256 of every distribution file"
    if wheelhouse:
        crate.add_dataset(
            dest_path=f"{WHEELHOUSE}/",
            properties={
                "name": "wheelhouse",
                "description": f"every distribution file of {HASHED_LOCK} for the Python and platform that made "
                "the deposit: `make` installs from it with no network",
            },
        )
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
        action["endTime"] = _utc(provenance["created_utc"])
    crate.root_dataset["mentions"] = action
    macro_values = _add_macros(crate, workflow, headline.get("macros") or {}, entities)
    if macro_values:
        action["result"] = outputs + macro_values
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


def _uv():
    here = Path(sys.executable).parent / "uv"
    return str(here) if here.is_file() else (shutil.which("uv") or "uv")


def hashed_lock(root, dest):
    """Write ``requirements.lock`` and the build requirements (pyproject.toml's ``build-system.requires``, for
    the project's own install with no network) with the SHA-256 of every distribution file to ``dest``
    (``uv pip compile --generate-hashes``: PyPI's index, else uv's cache). Returns ``dest``."""
    root, dest = Path(root), Path(dest)
    build_requires = tomllib.loads((root / "pyproject.toml").read_text()).get("build-system", {}).get("requires", [])
    dest.parent.mkdir(parents=True, exist_ok=True)
    cmd = [
        _uv(),
        "pip",
        "compile",
        "requirements.lock",
        "-",
        "--generate-hashes",
        "--python-version",
        f"{sys.version_info.major}.{sys.version_info.minor}",
        "--quiet",
        "--custom-compile-command",
        "make archive",
        "-o",
        str(dest.resolve()),
    ]
    errors = []
    for extra in ([], ["--offline"]):  # uv's cache where the index cannot be reached
        proc = subprocess.run(
            cmd + extra, cwd=root, input="\n".join(build_requires) + "\n", text=True, capture_output=True
        )
        if proc.returncode == 0:
            return dest
        errors.append(proc.stderr.strip())
    raise RuntimeError("the hashed lock needs PyPI's index (or uv's cache): " + " | ".join(errors))


def wheelhouse(lock, dest):
    """Download every distribution file of the hashed ``lock`` for this Python and platform into ``dest`` (a wheel,
    or the sdist where PyPI has no wheel), hashes checked; files already there are kept. Returns ``dest``."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "download", "--disable-pip-version-check", "--quiet", "--no-deps"]
    cmd += ["--prefer-binary", "--require-hashes", "-r", str(lock), "-d", str(dest)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"pip download of the wheelhouse failed:\n{proc.stderr[-3000:]}")
    return dest


def build(root, out, results_dir="results", prefix="entangled-drums", lock=False, wheels=False, work=None):
    """Write the archive ``out`` (``.tar.gz``); returns its path. ``lock``: add the hashed lock
    (:func:`hashed_lock`); ``wheels``: and the wheelhouse (:func:`wheelhouse`), both made in ``work``
    (default: a temporary directory; a kept one spares downloading the wheels again)."""
    root, results_dir = Path(root), Path(results_dir)
    if not (results_dir / "headline.json").is_file():
        raise FileNotFoundError(f"{results_dir / 'headline.json'}: no finished run to archive; run `make` first")
    files = source_files(root)
    result_files = sorted(
        str(Path("results") / p.relative_to(results_dir))
        for p in results_dir.rglob("*")
        if p.is_file() and not p.name.endswith(".partial") and not {"chains", ".numba-cache"} & set(p.parts)
    )
    with tempfile.TemporaryDirectory() as tmpdir:
        work = Path(work or tmpdir)
        extra = {}
        if lock or wheels:
            extra[HASHED_LOCK] = hashed_lock(root, work / HASHED_LOCK)
        if wheels:
            house = wheelhouse(extra[HASHED_LOCK], work / WHEELHOUSE)
            allowed = _lock_hashes(extra[HASHED_LOCK])  # a kept work directory may hold an older lock's files
            extra |= {f"{WHEELHOUSE}/{p.name}": p for p in sorted(house.iterdir()) if _sha256(p) in allowed}
        crate_files = files + result_files + [f for f in extra if not f.startswith(WHEELHOUSE + "/")]
        metadata = ro_crate(results_dir, crate_files, wheelhouse=bool(wheels))
        crate = json.dumps(metadata, indent=2, sort_keys=True).encode()
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(out.name + ".partial")
        with open(tmp, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
            with tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
                for f in files:
                    _add(tar, f"{prefix}/{f}", (root / f).read_bytes())
                for f in result_files:
                    _add(tar, f"{prefix}/{f}", (results_dir / Path(f).relative_to("results")).read_bytes())
                for f, path in sorted(extra.items()):
                    _add(tar, f"{prefix}/{f}", Path(path).read_bytes())
                _add(tar, f"{prefix}/ro-crate-metadata.json", crate)
        tmp.replace(out)
    return out


def _lock_hashes(lock):
    """The SHA-256 digests a hashed lock allows."""
    return set(re.findall(r"--hash=sha256:([0-9a-f]{64})", Path(lock).read_text()))


def _sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def main(argv=None):
    parser = argparse.ArgumentParser(description="Build the deposit archive of a finished run.")
    parser.add_argument("--out", default="dist/entangled-drums.tar.gz")
    parser.add_argument("--results", default="results")
    parser.add_argument("--lock", action="store_true", help=f"add {HASHED_LOCK} (uv pip compile --generate-hashes)")
    parser.add_argument("--wheels", action="store_true", help=f"add {WHEELHOUSE}/: every file of that lock (pip)")
    parser.add_argument("--work", help="where the lock and wheelhouse are made (kept: wheels are not fetched twice)")
    args = parser.parse_args(argv)
    try:
        path = build(".", args.out, args.results, lock=args.lock, wheels=args.wheels, work=args.work)
    except (FileNotFoundError, RuntimeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
