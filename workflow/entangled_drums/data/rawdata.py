"""Raw spectra on disk: the schema, reading with validation, writing, checksums.

One NetCDF file (xarray + h5netcdf) per measurement series. Dimensions ``trace`` (one
averaged spectrum each), ``bin`` (frequency bins; every trace has its own grid) and ``tone``
(the four tone slots ``pump_red``, ``pump_blue``, ``probe_red``, ``probe_blue``). The layout is
documented in ``data/raw/README.md`` and its header is validated against
``workflow/schemas/rawdata.schema.yaml``. Network-analyser sweeps of the cavity (role
``cavity_response``: complex S-parameters, no tones) have their own layout, validated against
``workflow/schemas/sweep.schema.yaml``. Every problem raises :class:`RawDataError` naming the
file and what is wrong. This module knows nothing of the physics.
"""

import copy
import functools
import hashlib
from pathlib import Path

import numpy as np
import xarray as xr
import yaml

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "schemas" / "rawdata.schema.yaml"
SWEEP_SCHEMA_PATH = SCHEMA_PATH.with_name("sweep.schema.yaml")
#: Role of a series of complex S-parameter sweeps (network analyser) and the ports it may hold.
SWEEP_ROLE = "cavity_response"
PORTS = ("S21", "S11", "S22")
TONES = ("pump_red", "pump_blue", "probe_red", "probe_blue")
ROLES = ("thermal_cal", "sideband_cal", "probe_cal", "pump", "probe", "background")
MANIFEST = "MANIFEST.sha256"
SCHEMA_VERSION = 3
#: How the analyser averaged a trace: the mean of N power spectra (the likelihood's assumption),
#: or the mean of their logarithms (refused: biased by -2.5 dB, other statistics; docs/model.md §5).
AVERAGING = ("power", "log_power")
#: Relative slack of the bin-spacing check (frequency grids carry rounding of ~1e-9 relative).
_SPACING_RTOL = 1e-6
#: A tone whose power is below this (dBm) is off; absent tones are written as OFF_DBM.
OFF_DBM = -200.0

_UNITS = {
    "frequency": "Hz",
    "psd": "W/Hz",
    "rbw": "Hz",
    "n_averages": "1",
    "fridge_temperature": "K",
    "duration": "s",
    "tone_frequency": "Hz",
    "tone_power": "dBm",
    "probe_phase_setpoint": "deg",
    "s_real": "1",
    "s_imag": "1",
    "if_bandwidth": "Hz",
}


class RawDataError(ValueError):
    """A raw-data file is missing, unreadable or violates the schema."""


def _schema(path=SCHEMA_PATH):
    """The raw-data schema (parsed once per process and file: a study reads thousands of raw files)."""
    return copy.deepcopy(_parsed_schema(str(path), Path(path).stat().st_mtime_ns))


@functools.lru_cache(maxsize=4)
def _parsed_schema(path, mtime_ns):
    return yaml.safe_load(Path(path).read_text())


def header(ds):
    """The part of a dataset the JSON schema checks: attributes, dims and units per variable."""
    variables = {}
    for name, var in {**ds.coords, **ds.data_vars}.items():
        entry = {"dims": list(var.dims)}
        if "units" in var.attrs:
            entry["units"] = str(var.attrs["units"])
        variables[name] = entry
    attrs = {k: (v.item() if isinstance(v, np.generic) else v) for k, v in ds.attrs.items()}
    return {"attrs": attrs, "variables": variables}


def _describe(error):
    """One sentence from a jsonschema ValidationError, naming the offending variable/attribute."""
    path = list(error.absolute_path)
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        where = "attribute" if path == ["attrs"] else ("variable" if path == ["variables"] else "field")
        if len(path) == 2 and path[0] == "variables":
            return f"variable {path[1]!r} has no {missing!r} attribute"
        return f"missing {where} {missing!r}"
    if len(path) >= 3 and path[0] == "variables":
        name, field = path[1], path[2]
        if field == "units":
            return f"variable {name!r} has units {error.instance!r}, expected {_UNITS.get(name, '?')!r}"
        return f"variable {name!r}: {field} is {error.instance!r}: {error.message}"
    if len(path) >= 2 and path[0] == "attrs":
        return f"attribute {path[1]!r} = {error.instance!r} is not allowed: {error.message}"
    return error.message


def validate(ds, name="<dataset>"):
    """Check a loaded dataset against the schema and the numeric rules; raise RawDataError."""
    import jsonschema

    version = ds.attrs.get("schema_version")
    version = int(version) if isinstance(version, (int, np.integer)) else version
    if version != SCHEMA_VERSION:
        hint = {
            1: " (version 1 did not record how the analyser averaged or its mode: add the attributes averaging='power' "
            "if it averaged linear power and analyser_mode; data/raw/README.md)",
            2: " (version 2 did not record the analyser's mode: add the attribute analyser_mode ('swept', or 'fft' "
            "with fft_window and fft_overlap) and set schema_version to 3; data/raw/README.md)",
        }.get(version, "")
        raise RawDataError(f"{name}: schema_version is {version!r}, this workflow reads version {SCHEMA_VERSION}{hint}")
    if ds.attrs.get("role") == SWEEP_ROLE:
        return _validate_sweep(ds, name)
    errors = sorted(jsonschema.Draft202012Validator(_schema()).iter_errors(header(ds)), key=lambda e: list(e.path))
    if errors:
        raise RawDataError(f"{name}: " + "; ".join(_describe(e) for e in errors[:5]))
    tones = tuple(str(t) for t in ds["tone"].values) if "tone" in ds.coords else ()
    if tones != TONES:
        raise RawDataError(f"{name}: coordinate 'tone' must be {list(TONES)}")
    if ds.sizes.get("trace", 0) == 0 or ds.sizes.get("bin", 0) < 2:
        raise RawDataError(f"{name}: empty data set ({ds.sizes.get('trace', 0)} traces, {ds.sizes.get('bin', 0)} bins)")
    _check_values(
        ds,
        name,
        {
            "frequency": "positive",
            "psd": "positive",
            "rbw": "positive",
            "n_averages": "positive",
            "fridge_temperature": "positive",
            "duration": "positive",
            "tone_frequency": "positive",
            "tone_power": "finite",
            "probe_phase_setpoint": "finite",
        },
    )
    freq = np.asarray(ds["frequency"].values)
    steps = np.diff(freq, axis=-1)
    if (steps <= 0).any():
        trace = int(np.argwhere(steps <= 0)[0][0])
        raise RawDataError(f"{name}: frequency axis of trace {trace} is not strictly increasing")
    if ds.attrs["averaging"] == "log_power":
        raise RawDataError(
            f"{name}: averaging is 'log_power': a trace averaged in log power (dB) reads ~2.5 dB low and has other "
            "statistics than the Gamma law of averaged power that every fit assumes (docs/model.md §5); record "
            "the traces with power (RMS) averaging"
        )
    rbw = np.asarray(ds["rbw"].values, dtype=float)
    closer = steps.min(axis=-1) < rbw * (1 - _SPACING_RTOL)
    if closer.any():
        trace = int(np.argmax(closer))
        raise RawDataError(
            f"{name}: trace {trace} has bins {steps[trace].min():.6g} Hz apart, "
            f"closer than its RBW {rbw[trace]:.6g} Hz: "
            "neighbouring bins are then correlated, and the likelihood assumes independent bins (docs/model.md §5); "
            "export at most one point per RBW"
        )
    n_avg = np.asarray(ds["n_averages"].values, dtype=float)
    if np.any(n_avg != np.round(n_avg)):
        raise RawDataError(f"{name}: variable 'n_averages' must hold whole numbers")
    # an acquisition cannot hold more independent averages per bin than its time-bandwidth product (x 1.5 for a
    # Welch average's overlapping segments): more means n_averages counts sweeps or correlated samples
    ceiling = 1.5 * np.asarray(ds["duration"].values, dtype=float) * rbw
    if np.any(n_avg > ceiling):
        trace = int(np.argmax(n_avg > ceiling))
        raise RawDataError(
            f"{name}: trace {trace} claims {n_avg[trace]:.0f} independent averages per bin, more than its duration x "
            f"RBW ({ceiling[trace] / 1.5:.0f}) allows: n_averages must count independent averages (swept analyser: "
            "~RBW x dwell time per bin times the sweeps; FFT: the Welch segments), the Gamma likelihood's shape "
            "(docs/model.md §5)"
        )
    tone_on = np.asarray(ds["tone_power"].values) > OFF_DBM + 1
    if not tone_on.any(axis=1).all():
        trace = int(np.argwhere(~tone_on.any(axis=1))[0][0])
        raise RawDataError(f"{name}: trace {trace} has no tone switched on (missing tone metadata?)")
    return ds


def _check_values(ds, name, rules):
    """Every value of each variable finite, and > 0 where ``rules[var] == "positive"``; raise RawDataError."""
    for var, rule in rules.items():
        values = np.asarray(ds[var].values, dtype=float)
        bad = ~np.isfinite(values)
        if bad.any():
            raise RawDataError(f"{name}: variable {var!r} has {int(bad.sum())} non-finite values (NaN or inf)")
        if rule == "positive" and (values <= 0).any():
            where = np.argwhere(values <= 0)[0].tolist()
            raise RawDataError(f"{name}: variable {var!r} must be > 0, found {values[tuple(where)]!r} at index {where}")


def _validate_sweep(ds, name):
    """:func:`validate` for a series of network-analyser sweeps (role :data:`SWEEP_ROLE`)."""
    import jsonschema

    errors = sorted(
        jsonschema.Draft202012Validator(_schema(SWEEP_SCHEMA_PATH)).iter_errors(header(ds)), key=lambda e: list(e.path)
    )
    if errors:
        raise RawDataError(f"{name}: " + "; ".join(_describe(e) for e in errors[:5]))
    if ds.sizes.get("trace", 0) == 0 or ds.sizes.get("bin", 0) < 10:
        raise RawDataError(
            f"{name}: empty sweep series ({ds.sizes.get('trace', 0)} traces, {ds.sizes.get('bin', 0)} bins)"
        )
    _check_values(
        ds,
        name,
        {
            "frequency": "positive",
            "s_real": "finite",
            "s_imag": "finite",
            "if_bandwidth": "positive",
            "fridge_temperature": "positive",
        },
    )
    if (np.diff(np.asarray(ds["frequency"].values), axis=-1) <= 0).any():
        raise RawDataError(f"{name}: a frequency axis is not strictly increasing")
    ports = [str(p) for p in ds["port"].values]
    unknown = [p for p in ports if p not in PORTS]
    if unknown:
        raise RawDataError(
            f"{name}: unknown port(s) {unknown}; expected {list(PORTS)} (S21: input to output port "
            "transmission; S11, S22: reflection at the input and output port)"
        )
    return ds


def new_sweeps(dataset, description, traces, source="simulated"):
    """A schema-conforming series of complex S-parameter sweeps (role :data:`SWEEP_ROLE`).

    Each trace dict holds ``frequency`` (Hz) and ``s`` (complex, equal lengths), ``port`` (one of
    :data:`PORTS`), ``if_bandwidth`` (Hz), ``fridge_temperature`` (K) and optional ``label``.
    """
    s = np.array([t["s"] for t in traces], dtype=complex)
    data = {
        "frequency": (("trace", "bin"), np.array([t["frequency"] for t in traces], dtype=float)),
        "s_real": (("trace", "bin"), s.real),
        "s_imag": (("trace", "bin"), s.imag),
        "port": (("trace",), np.array([str(t["port"]) for t in traces], dtype=object)),
        "if_bandwidth": (("trace",), np.array([t["if_bandwidth"] for t in traces], dtype=float)),
        "fridge_temperature": (("trace",), np.array([t["fridge_temperature"] for t in traces], dtype=float)),
        "label": (("trace",), np.array([str(t.get("label", t["port"])) for t in traces], dtype=object)),
    }
    ds = xr.Dataset(data)
    for var in ("frequency", "s_real", "s_imag", "if_bandwidth", "fridge_temperature"):
        ds[var].attrs["units"] = _UNITS[var]
    ds["s_real"].attrs["long_name"] = "real part of the measured S-parameter (arbitrary line calibration)"
    ds["s_imag"].attrs["long_name"] = "imaginary part of the measured S-parameter (arbitrary line calibration)"
    ds.attrs.update(
        {
            "schema_version": SCHEMA_VERSION,
            "role": SWEEP_ROLE,
            "dataset": dataset,
            "source": source,
            "description": description,
        }
    )
    return ds


def load(path, manifest=None):
    """Read and validate one raw series; returns an in-memory ``xarray.Dataset``.

    ``manifest``: path of a ``MANIFEST.sha256`` to verify the file's checksum against
    (default: the one beside the file, if present). Raises :class:`RawDataError`.
    """
    path = Path(path)
    if not path.is_file():
        raise RawDataError(f"{path}: raw data file not found")
    manifest = path.parent / MANIFEST if manifest is None else Path(manifest)
    if manifest.is_file():
        expected = read_manifest(manifest).get(path.name)
        if expected is None:
            raise RawDataError(f"{path}: not listed in {manifest}")
        actual = sha256(path)
        if actual != expected:
            raise RawDataError(
                f"{path}: checksum mismatch against {manifest} (expected {expected[:12]}…, got {actual[:12]}…)"
            )
    try:
        with xr.open_dataset(path, engine="h5netcdf") as ds:
            ds = ds.load()
    except Exception as err:  # h5py/h5netcdf raise OSError, ValueError, KeyError, ... for broken files
        raise RawDataError(
            f"{path}: cannot be read as NetCDF (truncated or corrupt?): {type(err).__name__}: {err}"
        ) from err
    return validate(ds, str(path))


def new_series(role, dataset, description, traces, source="simulated", averaging="power", **attrs):
    """Build a schema-conforming dataset from a list of per-trace dicts.

    Each trace dict holds ``frequency`` and ``psd`` (equal-length arrays), ``rbw``,
    ``n_averages``, ``fridge_temperature``, ``duration``, ``tones`` (``{slot: (frequency_Hz,
    power_dBm)}`` for the tones that are on), optional ``probe_phase_setpoint`` (deg) and
    ``label``. Traces must have the same number of bins. ``averaging``: how the analyser
    averaged (:data:`AVERAGING`).
    """
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; expected one of {ROLES}")
    n_bin = {len(t["frequency"]) for t in traces}
    if len(n_bin) != 1:
        raise ValueError("all traces of a series need the same number of bins")
    tone_f = np.full((len(traces), len(TONES)), 1.0)
    tone_p = np.full((len(traces), len(TONES)), OFF_DBM)
    for i, t in enumerate(traces):
        for slot, (f, p) in t.get("tones", {}).items():
            k = TONES.index(slot)
            tone_f[i, k], tone_p[i, k] = f, p

    def per_trace(key, default=None):
        return np.array([t.get(key, default) for t in traces], dtype=float)

    data = {
        "frequency": (("trace", "bin"), np.array([t["frequency"] for t in traces], dtype=float)),
        "psd": (("trace", "bin"), np.array([t["psd"] for t in traces], dtype=float)),
        "rbw": (("trace",), per_trace("rbw")),
        "n_averages": (("trace",), per_trace("n_averages").astype(np.int64)),
        "fridge_temperature": (("trace",), per_trace("fridge_temperature")),
        "duration": (("trace",), per_trace("duration")),
        "tone_frequency": (("trace", "tone"), tone_f),
        "tone_power": (("trace", "tone"), tone_p),
        "probe_phase_setpoint": (("trace",), per_trace("probe_phase_setpoint", 0.0)),
        "label": (("trace",), np.array([str(t.get("label", i)) for i, t in enumerate(traces)], dtype=object)),
    }
    ds = xr.Dataset(data, coords={"tone": ("tone", np.array(TONES, dtype=object))})
    for var, units in _UNITS.items():
        if var in ds:
            ds[var].attrs["units"] = units
    ds["frequency"].attrs["long_name"] = "lab frequency of the bin centre"
    ds["psd"].attrs["long_name"] = "power spectral density at the analyser input (averaged trace)"
    ds["tone_power"].attrs["long_name"] = f"generator output power; {OFF_DBM:g} dBm means the tone is off"
    ds["probe_phase_setpoint"].attrs["long_name"] = "set relative phase of the probe pair (0 if no probes)"
    ds.attrs.update(
        {
            "schema_version": SCHEMA_VERSION,
            "role": role,
            "dataset": dataset,
            "source": source,
            "averaging": averaging,
            "description": description,
            **attrs,
        }
    )
    return ds


def write(ds, path):
    """Validate and write ``ds`` to ``path`` (NetCDF4 via h5netcdf; byte-reproducible)."""
    path = Path(path)
    validate(ds, str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".partial")
    encoding = {
        v: {"zlib": True, "complevel": 4, "shuffle": True} for v in ("frequency", "psd", "s_real", "s_imag") if v in ds
    }
    ds.to_netcdf(tmp, engine="h5netcdf", encoding=encoding, invalid_netcdf=False)
    tmp.replace(path)
    return path


def sha256(path):
    """Hex SHA-256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_manifest(path):
    """``{file name: sha256}`` from a ``sha256sum``-style manifest."""
    entries = {}
    for n, line in enumerate(Path(path).read_text().splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) != 2 or len(parts[0]) != 64:
            raise RawDataError(f"{path}: line {n} is not '<sha256>  <file>'")
        entries[parts[1].lstrip("*")] = parts[0]
    return entries


def write_manifest(directory, pattern="*.nc"):
    """Write ``MANIFEST.sha256`` for the files in ``directory`` (``sha256sum -c`` compatible)."""
    directory = Path(directory)
    lines = [f"{sha256(p)}  {p.name}" for p in sorted(directory.glob(pattern))]
    (directory / MANIFEST).write_text("\n".join(lines) + "\n")
    return directory / MANIFEST


def load_directory(directory):
    """Load every series listed in ``directory``'s manifest: ``{file stem: Dataset}``.

    Raises if the manifest is missing, lists a missing file, or a ``.nc`` file is unlisted.
    """
    directory = Path(directory)
    manifest = directory / MANIFEST
    if not manifest.is_file():
        raise RawDataError(f"{manifest}: manifest not found (raw_dir must hold {MANIFEST})")
    listed = read_manifest(manifest)
    unlisted = sorted(p.name for p in directory.glob("*.nc") if p.name not in listed)
    if unlisted:
        raise RawDataError(f"{directory}: files not in {MANIFEST}: {', '.join(unlisted)}")
    return {Path(name).stem: load(directory / name, manifest) for name in sorted(listed)}


def inventory(series):
    """One row per series: file stem, role, dataset, traces, bins, RBW range, averages, tones on."""
    rows = []
    for stem, ds in series.items():
        if ds.attrs["role"] == SWEEP_ROLE:
            rows.append(
                {
                    "file": f"{stem}.nc",
                    "role": SWEEP_ROLE,
                    "dataset": ds.attrs["dataset"],
                    "source": ds.attrs["source"],
                    "traces": int(ds.sizes["trace"]),
                    "bins": int(ds.sizes["bin"]),
                    "rbw_Hz": sorted({float(v) for v in ds["if_bandwidth"].values}),
                    "n_averages": [],
                    "tones": [str(p) for p in ds["port"].values],
                    "labels": [str(v) for v in ds["label"].values],
                }
            )
            continue
        on = np.asarray(ds["tone_power"].values) > OFF_DBM + 1
        tones = [t for k, t in enumerate(TONES) if on[:, k].any()]
        rows.append(
            {
                "file": f"{stem}.nc",
                "role": ds.attrs["role"],
                "dataset": ds.attrs["dataset"],
                "source": ds.attrs["source"],
                "traces": int(ds.sizes["trace"]),
                "bins": int(ds.sizes["bin"]),
                "rbw_Hz": sorted({float(v) for v in ds["rbw"].values}),
                "n_averages": sorted({int(v) for v in ds["n_averages"].values}),
                "tones": tones,
                "labels": [str(v) for v in ds["label"].values],
            }
        )
    return rows
