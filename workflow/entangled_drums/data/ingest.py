"""Analyser exports in, schema NetCDF out: ``python -m entangled_drums.data.ingest SRC --out RAW_DIR``.

``SRC`` holds one folder per measurement series; the folder's name becomes the file name
(``SRC/pump_C/`` -> ``RAW_DIR/pump_C.nc``, so name the folders as in ``data/raw/README.md``).
Each folder has

* ``series.yaml``: the schema's global attributes by name (``schema_version``, ``role``,
  ``dataset``, ``source``, ``averaging``, ``description``, and ``drum`` for the per-drum
  calibrations), an
  optional ``noise_bandwidth_factor`` (below), and ``traces:``, one mapping per trace with
  ``file`` (the CSV's name) and the per-trace variables ``rbw`` (Hz), ``n_averages``,
  ``fridge_temperature`` (K), ``duration`` (s), ``probe_phase_setpoint`` (deg, default 0),
  ``label``, and ``tone_frequency`` (Hz) / ``tone_power`` (dBm) as mappings from tone name
  (``pump_red``, ``pump_blue``, ``probe_red``, ``probe_blue``) to value; a tone left out is off;
* one CSV per trace: a header row, then the columns ``frequency`` (Hz) and either ``psd``
  (W/Hz) or ``power_dBm`` (power per resolution bandwidth, as analysers display it).

A network-analyser series (``role: cavity_response``, the cavity sweeps ``cavity_cal``) has
per trace ``file``, ``port`` (S21, S11, S22), ``if_bandwidth`` (Hz), ``fridge_temperature`` (K)
and ``label``, and CSV columns ``frequency`` (Hz), ``s_real``, ``s_imag`` (the complex
S-parameter; any line calibration: the fit determines each trace's). Or the entry's ``file`` is
a Touchstone file (``.s2p``, ``.s1p``, read with scikit-rf by :mod:`.touchstone`) with
``ports: {input: <n>, output: <m>}``, the analyser ports wired to the cavity's input and output
(a ``.s1p`` maps one of them), ``if_bandwidth``, ``fridge_temperature`` and optionally
``parameters`` (which of S21, S11, S22 to take) and ``label``: one entry gives every cavity
S-parameter its mapping defines.

A spectrum series may instead hold the analyser's own trace exports, named by the series key
``format``: ``rs_ascii`` (Rohde & Schwarz ASCII ``.DAT``) or ``keysight_csv`` (Keysight X-series
"Swept SA" trace CSV). :mod:`.analyser` reads their headers: RBW, sweep time, sweep/average count,
trace mode, detector, average type, sweep type and units give ``rbw``, ``duration``,
``n_averages`` (swept) and the series' ``averaging``, and what the fits cannot use (log-power
averaging, a peak or an uncorrected sample detector, an RBW wider than the bins, an unknown unit, a
missing field) is refused naming the file and line. ``series.yaml`` adds what the header does not
know (role, data set, fridge temperature, tones, probe phase, label; for R&S also ``averaging``
and ``analyser_mode``; ``n_averages`` of an FFT-mode trace) and may state
``sample_detector: power_averaged``. ``data/raw/README.md`` lists the layouts checked.

``power_dBm`` becomes a density with the trace's RBW and the analyser's noise-bandwidth factor
``k`` (equivalent noise bandwidth / RBW: 1 for an ideal rectangular filter, ~1.06 for the
Gaussian RBW filters of swept analysers; check the manual): ``psd = 10^((dBm - 30)/10) /
(k rbw)`` W/Hz. Set ``k`` with ``--noise-bandwidth-factor`` or per series in ``series.yaml``.

Every value is checked while reading; a bad one is named by file, row and column. The
NetCDF files and ``MANIFEST.sha256`` are written to a temporary directory, every file is read
back through :func:`entangled_drums.data.rawdata.load`, and only then is the directory moved to
``RAW_DIR``: on any error nothing is left behind. :func:`export` writes the same layout from
NetCDF files (used by the tests, and as a template).
"""

import argparse
import csv
import math
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
import yaml

from . import analyser, rawdata, touchstone

#: Per-trace keys of series.yaml besides ``file`` (the schema's per-trace variables).
TRACE_KEYS = (
    "rbw",
    "n_averages",
    "fridge_temperature",
    "duration",
    "probe_phase_setpoint",
    "label",
    "tone_frequency",
    "tone_power",
)


def _schema_attributes():
    """The global attributes the raw schema defines (``workflow/schemas/rawdata.schema.yaml``), in its order:
    the keys series.yaml may set, so that a new schema attribute needs no change here."""
    schema = yaml.safe_load(rawdata.SCHEMA_PATH.read_text())
    return tuple(schema["properties"]["attrs"]["properties"])


#: series.yaml's global attributes (version 2: schema_version, role, dataset, source, averaging, description, drum).
GLOBAL_KEYS = _schema_attributes()
SERIES_FILE = "series.yaml"


class IngestError(rawdata.RawDataError):
    """An input folder, YAML entry or CSV value that cannot become a schema file."""


def dbm_to_psd(power_dbm, rbw, noise_bandwidth_factor=1.0):
    """Power per RBW (dBm) -> power spectral density (W/Hz): ``10^((dBm - 30)/10) / (k rbw)``."""
    return 10.0 ** ((np.asarray(power_dbm, dtype=float) - 30.0) / 10.0) / (noise_bandwidth_factor * rbw)


def psd_to_dbm(psd, rbw, noise_bandwidth_factor=1.0):
    """Inverse of :func:`dbm_to_psd`."""
    return 10.0 * np.log10(np.asarray(psd, dtype=float) * noise_bandwidth_factor * rbw) + 30.0


def _cell(path, line, col, row, idx):
    """The finite number in column ``col`` (position ``idx``) of CSV row ``row`` (line ``line``)."""
    text = row[idx].strip() if idx < len(row) else ""
    try:
        value = float(text)
    except ValueError:
        raise IngestError(f"{path}: row {line}, column {col!r}: {text!r} is not a number") from None
    if not math.isfinite(value):
        raise IngestError(f"{path}: row {line}, column {col!r}: {text!r} is not finite")
    return value


def read_csv(path, rbw, noise_bandwidth_factor):
    """``(frequency, psd)`` arrays of one trace CSV; raises :class:`IngestError` naming row and column."""
    path = Path(path)
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))
    if not rows:
        raise IngestError(f"{path}: empty file (expected a header row 'frequency,psd' or 'frequency,power_dBm')")
    head = [h.strip() for h in rows[0]]
    if "frequency" not in head:
        raise IngestError(f"{path}: no column 'frequency' in the header {head}")
    value_col = "psd" if "psd" in head else "power_dBm" if "power_dBm" in head else None
    if value_col is None:
        raise IngestError(f"{path}: no column 'psd' (W/Hz) or 'power_dBm' (per RBW) in the header {head}")
    i_f, i_v = head.index("frequency"), head.index(value_col)
    freq, values = [], []
    for line, row in enumerate(rows[1:], start=2):
        if not row or all(not c.strip() for c in row):
            continue
        for col, idx, out in (("frequency", i_f, freq), (value_col, i_v, values)):
            value = _cell(path, line, col, row, idx)
            text = row[idx].strip()
            if col != "power_dBm" and value <= 0:
                raise IngestError(f"{path}: row {line}, column {col!r}: {text!r} must be > 0")
            if col == "frequency" and freq and value <= freq[-1]:
                raise IngestError(
                    f"{path}: row {line}, column 'frequency': {text} is not above the previous "
                    f"row's {freq[-1]!r} (frequencies must increase strictly)"
                )
            out.append(value)
    if len(freq) < 2:
        raise IngestError(f"{path}: fewer than two data rows")
    values = np.array(values)
    psd = values if value_col == "psd" else dbm_to_psd(values, rbw, noise_bandwidth_factor)
    return np.array(freq), psd


def _number(series_path, k, key, value):
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise IngestError(f"{series_path}: traces[{k}].{key} = {value!r} is not a number") from None
    if not math.isfinite(out):
        raise IngestError(f"{series_path}: traces[{k}].{key} = {value!r} is not finite")
    return out


def read_series(folder, noise_bandwidth_factor=1.0):
    """The schema ``xarray.Dataset`` of one input folder (validated); raises :class:`IngestError`."""
    folder = Path(folder)
    series_path = folder / SERIES_FILE
    if not series_path.is_file():
        raise IngestError(f"{folder}: no {SERIES_FILE}")
    try:
        meta = yaml.safe_load(series_path.read_text())
    except yaml.YAMLError as err:
        raise IngestError(f"{series_path}: not valid YAML: {err}") from None
    if not isinstance(meta, dict) or not isinstance(meta.get("traces"), list) or not meta["traces"]:
        raise IngestError(f"{series_path}: needs the global attributes and a non-empty list 'traces:'")
    fmt = meta.get("format", "csv")
    if fmt != "csv" and fmt not in analyser.FORMATS:
        raise IngestError(f"{series_path}: format {fmt!r} unknown (csv, {', '.join(analyser.FORMATS)})")
    allowed = set(GLOBAL_KEYS) | {"traces", "noise_bandwidth_factor", "format"}
    allowed |= set(analyser.SERIES_KEYS) if fmt in analyser.FORMATS else set()
    unknown = set(meta) - allowed
    if unknown:
        raise IngestError(
            f"{series_path}: unknown top-level keys {sorted(unknown)} (allowed: {sorted(allowed - {'traces'})}, traces)"
        )
    if meta.get("role") == rawdata.SWEEP_ROLE:
        return _read_sweeps(folder, series_path, meta)
    k_nbw = _number(
        series_path, 0, "noise_bandwidth_factor", meta.get("noise_bandwidth_factor", noise_bandwidth_factor)
    )
    listed, traces, derived = set(), [], {}
    for k, entry in enumerate(meta["traces"]):
        if not isinstance(entry, dict) or "file" not in entry:
            raise IngestError(f"{series_path}: traces[{k}] has no 'file'")
        path = folder / str(entry["file"])
        if fmt in analyser.FORMATS:
            f, psd, rbw, n_avg, duration = _export_values(path, fmt, series_path, k, entry, meta, k_nbw, derived)
        else:
            extra = set(entry) - set(TRACE_KEYS) - {"file"}
            if extra:
                raise IngestError(
                    f"{series_path}: traces[{k}] has unknown keys {sorted(extra)} "
                    f"(allowed: file, {', '.join(TRACE_KEYS)})"
                )
            missing = [key for key in ("rbw", "n_averages", "fridge_temperature", "duration") if key not in entry]
            if missing:
                raise IngestError(f"{series_path}: traces[{k}] ({entry['file']}) lacks {missing}")
            if not path.is_file():
                raise IngestError(f"{series_path}: traces[{k}] lists {entry['file']!r}, which is not in {folder}")
            rbw = _number(series_path, k, "rbw", entry["rbw"])
            f, psd = read_csv(path, rbw, k_nbw)
            n_avg = _number(series_path, k, "n_averages", entry["n_averages"])
            duration = _number(series_path, k, "duration", entry["duration"])
        if "fridge_temperature" not in entry:
            raise IngestError(f"{series_path}: traces[{k}] ({entry['file']}) lacks ['fridge_temperature']")
        listed.add(path.name)
        tones = {}
        freqs, powers = entry.get("tone_frequency") or {}, entry.get("tone_power") or {}
        for name in set(freqs) | set(powers):
            if name not in rawdata.TONES:
                raise IngestError(f"{series_path}: traces[{k}]: unknown tone {name!r} (tones: {list(rawdata.TONES)})")
            if name not in freqs or name not in powers:
                raise IngestError(f"{series_path}: traces[{k}]: tone {name!r} needs both tone_frequency and tone_power")
            tones[name] = (
                _number(series_path, k, f"tone_frequency.{name}", freqs[name]),
                _number(series_path, k, f"tone_power.{name}", powers[name]),
            )
        traces.append(
            {
                "frequency": f,
                "psd": psd,
                "rbw": rbw,
                "n_averages": n_avg,
                "fridge_temperature": _number(series_path, k, "fridge_temperature", entry["fridge_temperature"]),
                "duration": duration,
                "tones": tones,
                "probe_phase_setpoint": _number(
                    series_path, k, "probe_phase_setpoint", entry.get("probe_phase_setpoint", 0.0)
                ),
                "label": str(entry.get("label", k)),
            }
        )
    suffixes = analyser.FORMATS.get(fmt, (".csv",))
    orphans = sorted(p.name for p in folder.iterdir() if p.suffix.lower() in suffixes and p.name not in listed)
    if orphans:
        kind = "CSV" if fmt == "csv" else f"{fmt} export"
        raise IngestError(f"{folder}: {kind} files without an entry in {SERIES_FILE}: {', '.join(orphans)}")
    if len({len(t["frequency"]) for t in traces}) != 1:
        raise IngestError(f"{folder}: the traces have different numbers of rows; a series needs one bin count")
    attrs = {key: meta[key] for key in GLOBAL_KEYS if key in meta}
    attrs.update({key: value for key, value in derived.items() if key in GLOBAL_KEYS})
    missing = [key for key in ("role", "dataset", "averaging", "description") if key not in attrs]
    if missing:
        raise IngestError(
            f"{series_path}: missing global attributes {missing}"
            + (
                " (averaging: 'power' if the analyser averaged linear power, as the fits assume)"
                if "averaging" in missing
                else ""
            )
        )
    if int(attrs.pop("schema_version", rawdata.SCHEMA_VERSION)) != rawdata.SCHEMA_VERSION:
        raise IngestError(f"{series_path}: schema_version must be {rawdata.SCHEMA_VERSION}")
    try:
        ds = rawdata.new_series(
            attrs.pop("role"),
            str(attrs.pop("dataset")),
            str(attrs.pop("description")),
            traces,
            source=attrs.pop("source", "measured"),
            **attrs,
        )
    except ValueError as err:
        raise IngestError(f"{series_path}: {err}") from None
    return rawdata.validate(ds, str(folder))


def _export_values(path, fmt, series_path, k, entry, meta, k_nbw, derived):
    """``(frequency, psd, rbw, n_averages, duration)`` of one analyser-export entry; the series-level values the
    header gives (``averaging``, ``analyser_mode``) are collected in ``derived`` and must agree across traces."""
    extra = set(entry) - set(analyser.TRACE_KEYS)
    from_header = sorted(extra & {"rbw", "duration"})
    if from_header:
        raise IngestError(
            f"{series_path}: traces[{k}] ({entry['file']}): {from_header} come from the analyser's header; "
            "remove them from series.yaml"
        )
    if extra:
        raise IngestError(
            f"{series_path}: traces[{k}] has unknown keys {sorted(extra)} (an {fmt} entry has "
            f"{', '.join(analyser.TRACE_KEYS)})"
        )
    if not path.is_file():
        raise IngestError(f"{series_path}: traces[{k}] lists {entry['file']!r}, which is not in {path.parent}")
    statements = {key: meta[key] for key in ("averaging", "analyser_mode", "sample_detector") if key in meta}
    statements["noise_bandwidth_factor"] = k_nbw
    export = analyser.READERS[fmt](path, entry.get("trace"))
    settings = analyser.check(export, statements, series_path)
    if settings["analyser_mode"] == "fft":
        if "n_averages" not in entry:
            raise IngestError(
                f"{series_path}: traces[{k}] ({entry['file']}): FFT mode: n_averages (the Welch segments per bin) "
                "is not in the analyser's header; state it in series.yaml"
            )
        n_avg = _number(series_path, k, "n_averages", entry["n_averages"])
    elif "n_averages" in entry:
        raise IngestError(
            f"{series_path}: traces[{k}] ({entry['file']}): n_averages of a swept trace comes from its header "
            f"({analyser.n_averages(settings)}: RBW x sweep time x sweeps / points); remove it from series.yaml"
        )
    else:
        n_avg = analyser.n_averages(settings)
    for key in ("averaging", "analyser_mode"):
        if derived.setdefault(key, settings[key]) != settings[key]:
            raise IngestError(
                f"{path}: {key} {settings[key]!r}, the series' other traces {derived[key]!r}: one series, one {key}"
            )
    duration = settings["sweep_time"] * settings["sweeps"]
    return export.frequency, analyser.psd(export, settings), settings["rbw"], n_avg, duration


SWEEP_KEYS = ("port", "if_bandwidth", "fridge_temperature", "label")


def _read_sweeps(folder, series_path, meta):
    """:func:`read_series` for a network-analyser series (role ``cavity_response``)."""
    traces = []
    for k, entry in enumerate(meta["traces"]):
        if not isinstance(entry, dict) or "file" not in entry:
            raise IngestError(f"{series_path}: traces[{k}] has no 'file'")
        if touchstone.is_touchstone(entry["file"]):
            traces += touchstone.read_entry(folder, series_path, k, entry)
            continue
        extra = set(entry) - set(SWEEP_KEYS) - {"file"}
        missing = [key for key in ("port", "if_bandwidth", "fridge_temperature") if key not in entry]
        if extra or missing:
            raise IngestError(
                f"{series_path}: traces[{k}] ({entry['file']}): unknown keys {sorted(extra)}, missing {missing} "
                f"(a sweep trace has file, {', '.join(SWEEP_KEYS)})"
            )
        csv_path = folder / str(entry["file"])
        if not csv_path.is_file():
            raise IngestError(f"{series_path}: traces[{k}] lists {entry['file']!r}, which is not in {folder}")
        with open(csv_path, newline="") as fh:
            rows = [r for r in csv.reader(fh) if r and any(c.strip() for c in r)]
        head = [h.strip() for h in rows[0]] if rows else []
        if not {"frequency", "s_real", "s_imag"} <= set(head):
            raise IngestError(f"{csv_path}: the header must name the columns frequency, s_real, s_imag (found {head})")
        cols = {c: [] for c in ("frequency", "s_real", "s_imag")}
        for line, row in enumerate(rows[1:], start=2):
            for c, out in cols.items():
                out.append(_cell(csv_path, line, c, row, head.index(c)))
        traces.append(
            {
                "frequency": np.array(cols["frequency"]),
                "s": np.array(cols["s_real"]) + 1j * np.array(cols["s_imag"]),
                "port": str(entry["port"]),
                "if_bandwidth": _number(series_path, k, "if_bandwidth", entry["if_bandwidth"]),
                "fridge_temperature": _number(series_path, k, "fridge_temperature", entry["fridge_temperature"]),
                "label": str(entry.get("label", entry["port"])),
            }
        )
    if len({t["frequency"].size for t in traces}) != 1:
        raise IngestError(f"{folder}: the sweeps have different numbers of rows; a series needs one point count")
    for key in ("dataset", "description"):
        if key not in meta:
            raise IngestError(f"{series_path}: missing global attribute {key!r}")
    ds = rawdata.new_sweeps(
        str(meta["dataset"]), str(meta["description"]), traces, source=meta.get("source", "measured")
    )
    return rawdata.validate(ds, str(folder))


def ingest(src, out, noise_bandwidth_factor=1.0, force=False):
    """Convert every series folder of ``src`` into ``out`` (schema NetCDF + manifest); returns the file paths.

    ``out`` must not exist (or ``force``: it is replaced). Nothing is written to ``out`` unless
    every file converts and validates.
    """
    src, out = Path(src), Path(out)
    folders = sorted(p for p in src.iterdir() if p.is_dir()) if src.is_dir() else []
    if not folders:
        raise IngestError(f"{src}: no series folders (expected one folder per series, each with {SERIES_FILE})")
    if out.exists() and not force:
        raise IngestError(f"{out}: exists; choose a new directory (or --force to replace it)")
    series = {folder.name: read_series(folder, noise_bandwidth_factor) for folder in folders}
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    try:
        for name, ds in series.items():
            rawdata.write(ds, tmp / f"{name}.nc")
        rawdata.write_manifest(tmp)
        rawdata.load_directory(tmp)  # every file read back through the workflow's own loader
        if out.exists():
            shutil.rmtree(out)
        tmp.replace(out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return sorted(out.glob("*.nc"))


def export(nc_path, folder, column="psd", noise_bandwidth_factor=1.0):
    """Write one schema NetCDF file as an input folder (series.yaml + one CSV per trace).

    Values are written with ``repr`` (shortest round-trip form), so ``psd`` survives exactly.
    """
    ds = rawdata.load(nc_path, manifest=Path(nc_path).parent / rawdata.MANIFEST)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    attrs = {k: (v.item() if isinstance(v, np.generic) else v) for k, v in ds.attrs.items() if k in GLOBAL_KEYS}
    if ds.attrs["role"] == rawdata.SWEEP_ROLE:
        traces = []
        for i in range(ds.sizes["trace"]):
            name = f"trace{i:03d}.csv"
            with open(folder / name, "w", newline="") as fh:
                writer = csv.writer(fh)
                writer.writerow(["frequency", "s_real", "s_imag"])
                writer.writerows(
                    (repr(float(f)), repr(float(a)), repr(float(b)))
                    for f, a, b in zip(
                        ds["frequency"].values[i], ds["s_real"].values[i], ds["s_imag"].values[i], strict=True
                    )
                )
            traces.append(
                {
                    "file": name,
                    "port": str(ds["port"].values[i]),
                    "if_bandwidth": float(ds["if_bandwidth"].values[i]),
                    "fridge_temperature": float(ds["fridge_temperature"].values[i]),
                    "label": str(ds["label"].values[i]),
                }
            )
        (folder / SERIES_FILE).write_text(yaml.safe_dump(dict(attrs, traces=traces), sort_keys=False))
        return folder
    if column == "power_dBm":
        attrs["noise_bandwidth_factor"] = noise_bandwidth_factor
    traces = []
    for i in range(ds.sizes["trace"]):
        name = f"trace{i:03d}.csv"
        rbw = float(ds["rbw"].values[i])
        values = (
            ds["psd"].values[i] if column == "psd" else psd_to_dbm(ds["psd"].values[i], rbw, noise_bandwidth_factor)
        )
        with open(folder / name, "w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["frequency", column])
            writer.writerows(
                (repr(float(f)), repr(float(v))) for f, v in zip(ds["frequency"].values[i], values, strict=True)
            )
        on = ds["tone_power"].values[i] > rawdata.OFF_DBM + 1
        traces.append(
            {
                "file": name,
                "rbw": rbw,
                "n_averages": int(ds["n_averages"].values[i]),
                "fridge_temperature": float(ds["fridge_temperature"].values[i]),
                "duration": float(ds["duration"].values[i]),
                "probe_phase_setpoint": float(ds["probe_phase_setpoint"].values[i]),
                "label": str(ds["label"].values[i]),
                "tone_frequency": {
                    t: float(ds["tone_frequency"].values[i, k]) for k, t in enumerate(rawdata.TONES) if on[k]
                },
                "tone_power": {t: float(ds["tone_power"].values[i, k]) for k, t in enumerate(rawdata.TONES) if on[k]},
            }
        )
    (folder / SERIES_FILE).write_text(yaml.safe_dump(dict(attrs, traces=traces), sort_keys=False))
    return folder


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m entangled_drums.data.ingest",
        description="Convert analyser exports (CSV, Touchstone, R&S ASCII or Keysight X-series trace files; "
        "one folder per series, each with series.yaml) into the raw-data schema.",
    )
    parser.add_argument("src", help="folder of series folders")
    parser.add_argument("--out", required=True, help="raw-data directory to create (NetCDF files + MANIFEST.sha256)")
    parser.add_argument(
        "--noise-bandwidth-factor",
        type=float,
        default=1.0,
        help="analyser's equivalent noise bandwidth / RBW, for power_dBm columns (default 1)",
    )
    parser.add_argument("--force", action="store_true", help="replace --out if it exists")
    args = parser.parse_args(argv)
    try:
        files = ingest(args.src, args.out, args.noise_bandwidth_factor, args.force)
    except rawdata.RawDataError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"wrote {len(files)} files and {rawdata.MANIFEST} to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
