"""Network-analyser sweeps as Touchstone files (``.s1p``, ``.s2p``), read and written with scikit-rf.

A network analyser exports its S-parameters as Touchstone files: one ``.s2p`` holding the full
2x2 matrix of a two-port measurement, or one ``.s1p`` per reflection. scikit-rf
(``skrf.Network``) reads both, in every Touchstone data format (RI, MA, DB) and frequency unit,
and returns ``Network.f`` (Hz) and ``Network.s[f, i, j]`` = S_(i+1)(j+1) of the *file's* ports.

Which file port is wired to which port of the cavity is not in the file: the series folder's
``series.yaml`` states it per entry (``data/raw/README.md``, "Cavity sweeps from Touchstone")::

    traces:
      - file: cavity.s2p
        ports: {input: 1, output: 2}   # analyser port at the cavity's input / output port
        if_bandwidth: 100.0            # Hz (not recorded in a Touchstone file)
        fridge_temperature: 0.010      # K
        parameters: [S21, S11, S22]    # optional: which of the cavity's S-parameters to take
      - file: input_reflection.s1p
        ports: {input: 1}              # a one-port file at the cavity's input gives S11

The cavity's S21 (input to output) is then the file's S_(output, input), its S11 the file's
S_(input, input) and its S22 the file's S_(output, output). An entry yields every cavity
S-parameter its mapping defines (S21, S11, S22 for a two-port mapping; the one reflection of a
one-port file), in that order, unless ``parameters`` names fewer. Each becomes one trace of the
``cavity_response`` schema (``rawdata.new_sweeps``), labelled with its S-parameter (or
``"<label> S11"`` when the entry has a ``label``).

:func:`write_s2p` writes a ``cavity_response`` series back as one ``.s2p`` (S12 = S21: the
cavity is reciprocal and the schema does not record S12), and :func:`export` a whole input folder
(the ``.s2p`` or one ``.s1p`` per reflection, and its ``series.yaml``): the tests send the
laboratory's sweeps in through it. Errors raise :class:`TouchstoneError` naming the file.
"""

import math
import warnings
from pathlib import Path

import numpy as np
import yaml

from . import rawdata

#: File suffixes read as Touchstone (version 1: the number of ports is in the suffix).
SUFFIXES = (".s1p", ".s2p")
#: The cavity's ports a file port can be wired to.
CAVITY_PORTS = ("input", "output")
#: Each cavity S-parameter as (port its wave leaves, port it enters): S_ij = b_i / a_j.
PARAMETERS = {"S21": ("output", "input"), "S11": ("input", "input"), "S22": ("output", "output")}
#: Keys of a Touchstone entry in series.yaml.
ENTRY_KEYS = ("file", "ports", "parameters", "if_bandwidth", "fridge_temperature", "label")


class TouchstoneError(rawdata.RawDataError):
    """A Touchstone file or its series.yaml entry that cannot become cavity sweeps."""


def is_touchstone(path):
    """True for a file name with a Touchstone suffix (``.s1p``, ``.s2p``, any case)."""
    return Path(path).suffix.lower() in SUFFIXES


def read_network(path):
    """The ``skrf.Network`` of one Touchstone file; raises :class:`TouchstoneError` naming the file."""
    import skrf

    path = Path(path)
    if not path.is_file():
        raise TouchstoneError(f"{path}: Touchstone file not found")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # skrf warns about e.g. missing option lines; errors still raise
            network = skrf.Network(str(path))
    except Exception as err:  # skrf raises ValueError, IndexError, ... on malformed files
        raise TouchstoneError(f"{path}: not a readable Touchstone file ({type(err).__name__}: {err})") from None
    if len(network.f) < 2:
        raise TouchstoneError(f"{path}: fewer than two frequency points")
    return network


def _mapping(where, ports, nports):
    """``{cavity port: file port index (0-based)}`` from a series.yaml ``ports`` mapping."""
    if not isinstance(ports, dict) or not ports:
        raise TouchstoneError(
            f"{where}: 'ports' must map the cavity's ports to the file's, e.g. {{input: 1, output: 2}} "
            "(the analyser port wired to the cavity's input and output port)"
        )
    unknown = sorted(set(ports) - set(CAVITY_PORTS))
    if unknown:
        raise TouchstoneError(f"{where}: unknown cavity port(s) {unknown} in 'ports' (cavity ports: input, output)")
    out = {}
    for name, number in ports.items():
        if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= nports:
            raise TouchstoneError(
                f"{where}: ports.{name} = {number!r} is not a port of this {nports}-port file (1 to {nports})"
            )
        out[name] = number - 1
    if len(set(out.values())) != len(out):
        raise TouchstoneError(f"{where}: the cavity's input and output cannot be the same file port ({ports})")
    return out


def cavity_sweeps(network, ports, parameters=None, where=None):
    """``[(parameter, frequency_Hz, s)]`` of the cavity from one network and its port mapping.

    ``ports``: ``{"input": n, "output": m}`` (file port numbers from 1; either may be absent);
    ``parameters``: the cavity S-parameters wanted (default: every one the mapping defines).
    """
    where = where or str(getattr(network, "name", "network"))
    index = _mapping(where, ports, network.nports)
    available = [p for p, (i, j) in PARAMETERS.items() if i in index and j in index]
    wanted = available if parameters is None else parameters
    if isinstance(wanted, str) or not isinstance(wanted, (list, tuple)) or not wanted:
        raise TouchstoneError(f"{where}: 'parameters' must be a list such as [S21, S11, S22], not {parameters!r}")
    for p in wanted:
        if p not in PARAMETERS:
            raise TouchstoneError(f"{where}: unknown cavity S-parameter {p!r} (known: {list(PARAMETERS)})")
        if p not in available:
            raise TouchstoneError(
                f"{where}: {p} needs the cavity's {' and '.join(sorted(set(PARAMETERS[p])))} port mapped in 'ports' "
                f"(mapped: {sorted(index)})"
            )
    if len(set(wanted)) != len(wanted):
        raise TouchstoneError(f"{where}: 'parameters' lists an S-parameter twice ({wanted})")
    f = np.asarray(network.f, dtype=float)
    s = np.asarray(network.s)
    return [(p, f.copy(), s[:, index[PARAMETERS[p][0]], index[PARAMETERS[p][1]]].astype(complex)) for p in wanted]


def _number(where, key, value, positive=True):
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise TouchstoneError(f"{where}: {key} = {value!r} is not a number") from None
    if not math.isfinite(out) or (positive and out <= 0):
        raise TouchstoneError(f"{where}: {key} = {value!r} must be a finite number > 0")
    return out


def read_entry(folder, series_path, k, entry):
    """The sweep-trace dicts (``rawdata.new_sweeps`` layout) of one Touchstone entry of series.yaml."""
    where = f"{series_path}: traces[{k}] ({entry.get('file')})"
    extra = sorted(set(entry) - set(ENTRY_KEYS))
    missing = [key for key in ("ports", "if_bandwidth", "fridge_temperature") if key not in entry]
    if extra or missing:
        raise TouchstoneError(
            f"{where}: unknown keys {extra}, missing {missing} (a Touchstone entry has {', '.join(ENTRY_KEYS)}; "
            "data/raw/README.md)"
        )
    path = Path(folder) / str(entry["file"])
    if not path.is_file():
        raise TouchstoneError(f"{series_path}: traces[{k}] lists {entry['file']!r}, which is not in {folder}")
    network = read_network(path)
    sweeps = cavity_sweeps(network, entry["ports"], entry.get("parameters"), where=where)
    if_bandwidth = _number(where, "if_bandwidth", entry["if_bandwidth"])
    temperature = _number(where, "fridge_temperature", entry["fridge_temperature"])
    label = entry.get("label")
    return [
        {
            "frequency": f,
            "s": s,
            "port": p,
            "if_bandwidth": if_bandwidth,
            "fridge_temperature": temperature,
            "label": p if label is None else (str(label) if len(sweeps) == 1 else f"{label} {p}"),
        }
        for p, f, s in sweeps
    ]


def _network(frequency, s_matrix, name):
    import skrf

    freq = skrf.Frequency.from_f(np.asarray(frequency, dtype=float), unit="Hz")
    return skrf.Network(frequency=freq, s=np.asarray(s_matrix, dtype=complex), z0=50.0, name=name)


def _write(network, path, form, digits):
    spec = "{}" if digits is None else f"{{:.{int(digits) - 1}e}}"
    network.frequency.unit = "Hz"  # frequencies written in Hz: no unit scaling on the way back
    network.write_touchstone(
        str(path), form=form, format_spec_A=spec, format_spec_B=spec, format_spec_freq=spec, skrf_comment=True
    )
    return Path(path)


def _traces_by_port(ds):
    out = {}
    for i in range(ds.sizes["trace"]):
        port = str(ds["port"].values[i])
        if port in out:
            raise TouchstoneError(f"{port} appears twice; a Touchstone file holds one sweep per S-parameter")
        s = np.asarray(ds["s_real"].values[i], dtype=float) + 1j * np.asarray(ds["s_imag"].values[i], dtype=float)
        out[port] = (np.asarray(ds["frequency"].values[i], dtype=float), s, i)
    return out


def write_s2p(ds, path, form="ri", digits=None):
    """Write a ``cavity_response`` series as one two-port Touchstone file (file port 1 = cavity input).

    Needs S21, S11 and S22 on one frequency grid. S12 is written equal to S21 (the cavity is
    reciprocal; the schema does not record S12). ``form``: ``"ri"``, ``"ma"`` or ``"db"``;
    ``digits``: significant digits of every number (default: Python's shortest round-trip form,
    lossless for ``"ri"``).
    """
    traces = _traces_by_port(ds)
    missing = [p for p in PARAMETERS if p not in traces]
    if missing:
        raise TouchstoneError(f"a .s2p needs S21, S11 and S22; missing {missing} (write .s1p files instead)")
    f = traces["S21"][0]
    if any(not np.array_equal(traces[p][0], f) for p in PARAMETERS):
        raise TouchstoneError("the sweeps have different frequency grids; one .s2p holds one grid")
    s = np.empty((f.size, 2, 2), dtype=complex)
    s[:, 1, 0] = s[:, 0, 1] = traces["S21"][1]
    s[:, 0, 0], s[:, 1, 1] = traces["S11"][1], traces["S22"][1]
    return _write(_network(f, s, Path(path).stem), path, form, digits)


def write_s1p(ds, port, path, form="ri", digits=None):
    """Write one reflection (``S11`` or ``S22``) of a ``cavity_response`` series as a one-port Touchstone file."""
    if port not in ("S11", "S22"):
        raise TouchstoneError(f"a .s1p holds a reflection (S11 or S22), not {port}")
    f, s, _ = _traces_by_port(ds)[port]
    return _write(_network(f, s[:, None, None], Path(path).stem), path, form, digits)


def export(nc_path, folder, layout="s2p", form="ri", digits=None):
    """Write a ``cavity_response`` NetCDF file as an input folder of Touchstone files and its ``series.yaml``.

    ``layout``: ``"s2p"`` (one ``cavity.s2p`` with S21, S11, S22) or ``"s1p"`` (``S11.s1p`` and
    ``S22.s1p``; the transmission has no one-port file and is left out). The sweeps' IF bandwidth
    and fridge temperature go to ``series.yaml`` (one value per file). Returns the folder.
    """
    ds = rawdata.load(nc_path, manifest=Path(nc_path).parent / rawdata.MANIFEST)
    if ds.attrs["role"] != rawdata.SWEEP_ROLE:
        raise TouchstoneError(f"{nc_path}: role {ds.attrs['role']!r}; Touchstone holds network-analyser sweeps only")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    traces = _traces_by_port(ds)

    def settings(ports):
        out = {}
        for key in ("if_bandwidth", "fridge_temperature"):
            values = {float(ds[key].values[traces[p][2]]) for p in ports}
            if len(values) != 1:
                raise TouchstoneError(f"{nc_path}: the sweeps of one file differ in {key} ({sorted(values)})")
            out[key] = values.pop()
        return out

    if layout == "s2p":
        write_s2p(ds, folder / "cavity.s2p", form, digits)
        entries = [{"file": "cavity.s2p", "ports": {"input": 1, "output": 2}, **settings(list(PARAMETERS))}]
    elif layout == "s1p":
        entries = []
        for port, cavity_port in (("S11", "input"), ("S22", "output")):
            write_s1p(ds, port, folder / f"{port}.s1p", form, digits)
            entries.append({"file": f"{port}.s1p", "ports": {cavity_port: 1}, **settings([port])})
    else:
        raise TouchstoneError(f"layout must be 's2p' or 's1p', not {layout!r}")
    attrs = {k: (v.item() if isinstance(v, np.generic) else v) for k, v in ds.attrs.items()}
    meta = {k: attrs[k] for k in ("schema_version", "role", "dataset", "source", "description")}
    (folder / "series.yaml").write_text(yaml.safe_dump(dict(meta, traces=entries), sort_keys=False))
    return folder
