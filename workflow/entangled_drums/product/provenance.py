"""Provenance of a run: code version, environment, inputs, configuration and seeds.

Everything here is deterministic for the same code, environment, inputs and config, except
the creation time, which :func:`collect` keeps in its own field (``created_utc``) so that two
runs can be compared byte for byte without it.
"""

import datetime
import hashlib
import json
import platform
import subprocess
from importlib import metadata
from pathlib import Path

from ..data.rawdata import MANIFEST, read_manifest

#: Distributions whose versions are recorded (the direct dependencies of pyproject.toml).
PACKAGES = (
    "entangled-drums",
    "numpy",
    "scipy",
    "matplotlib",
    "xarray",
    "h5netcdf",
    "h5py",
    "numba",
    "emcee",
    "corner",
    "arviz",
    "rocrate",
    "pyyaml",
    "jsonschema",
    "snakemake",
    "jupytext",
    "papermill",
)


def git_state(root="."):
    """{"commit": sha or None, "dirty": bool or None} of the repository at ``root`` (None outside git)."""
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True)
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return {"commit": None, "dirty": None}
    return {"commit": commit.stdout.strip(), "dirty": bool(status.stdout.strip())}


def versions():
    """{distribution: version} of :data:`PACKAGES` (``None`` if not installed) and Python."""
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def machine():
    """{"arch", "cpu" (model name), "cpu_flags_sha256" (its instruction-set flags)}: what decides whether two
    runs can agree bit for bit (numpy and numba choose SIMD code per CPU; ``python -m
    entangled_drums.product.verify`` asks for bit identity of the deterministic numbers only on one machine)."""
    cpu = flags = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if cpu is None and key.strip().lower() in ("model name", "cpu model", "hardware"):
                cpu = value.strip()
            if flags is None and key.strip().lower() in ("flags", "features"):
                flags = hashlib.sha256(" ".join(sorted(value.split())).encode()).hexdigest()
    except OSError:
        pass
    return {"arch": platform.machine(), "cpu": cpu or platform.processor() or None, "cpu_flags_sha256": flags}


def raw_checksums(raw_dir):
    """{file: sha256} from the raw directory's ``MANIFEST.sha256`` (verified by the loader on every read)."""
    return read_manifest(Path(raw_dir) / MANIFEST)


def config_hash(config):
    """sha256 of the configuration as canonical JSON (sorted keys), without ``results_dir``: where
    outputs go does not change them."""
    relevant = {k: v for k, v in config.items() if k != "results_dir"}
    return hashlib.sha256(json.dumps(relevant, sort_keys=True, default=str).encode()).hexdigest()


def _flatten(tree, prefix=""):
    if isinstance(tree, dict):
        out = {}
        for key, value in tree.items():
            out.update(_flatten(value, f"{prefix}{key}."))
        return out
    return {prefix[:-1]: tree}


def config_overrides(config, reference):
    """Every setting of ``config`` that differs from ``reference`` (the repository's config/config.yaml):
    ``{dotted.path: {"effective": value, "default": value or None}}``. A run with a ``--configfile``
    or ``--config`` override lists each changed key here."""
    ours, base = _flatten(config), _flatten(reference)
    return {
        path: {"effective": ours.get(path), "default": base.get(path)}
        for path in sorted(set(ours) | set(base))
        if ours.get(path) != base.get(path)
    }


def seeds(config):
    """Every seed the analysis uses, from the configuration."""
    return {
        "mcmc": list(config.get("mcmc", {}).get("seeds", [])),
        "readout": config.get("readout", {}).get("seed"),
        "verdict": config.get("verdict", {}).get("seed"),
    }


def default_config(root="."):
    """``config/config.yaml`` under ``root`` with the schema's defaults filled in, as Snakemake fills them
    into the effective config ({} if there is no such file)."""
    import yaml

    path = Path(root) / "config" / "config.yaml"
    if not path.is_file():
        return {}
    reference = yaml.safe_load(path.read_text())
    schema = Path(root) / "workflow" / "schemas" / "config.schema.yaml"
    if schema.is_file():
        from snakemake.utils import validate

        validate(reference, str(schema), set_default=True)
    return reference


def collect(config, raw_dir, root=".", reference=None):
    """The provenance record of a run (JSON-ready): with the full effective ``config`` and every setting in
    which it differs from ``reference`` (default: ``config/config.yaml`` under ``root``)."""
    if reference is None:
        reference = default_config(root)
    config = json.loads(json.dumps(config, default=str))  # JSON-ready (and detached from Snakemake's objects)
    return {
        "git": git_state(root),
        "versions": versions(),
        "raw_dir": str(raw_dir),
        "raw_data_sha256": raw_checksums(raw_dir),
        "config_sha256": config_hash(config),
        "config": config,
        "config_overrides": config_overrides(config, json.loads(json.dumps(reference, default=str))),
        "seeds": seeds(config),
        "platform": platform.platform(terse=True),
        "machine": machine(),
        "created_utc": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
