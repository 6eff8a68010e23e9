"""Spectrum-analyser trace exports: Rohde & Schwarz ASCII trace files and Keysight X-series trace CSV.

A spectrum analyser writes its settings into a header above the trace. This module reads two
families of exports, takes from the header what the fits depend on (resolution bandwidth,
detector, trace mode and averaging, sweep or average count, sweep time, points, units), refuses
what the fits cannot use, and maps the rest onto the raw schema's per-trace values
(``data/raw/README.md``, "Spectrum-analyser exports"):

``rs_ascii``: Rohde & Schwarz ASCII trace export (FSW, FSV/FSVA, FPL, FSL; ``.DAT``).
    Semicolon-separated ``name;value;unit`` lines (Type, Version, Date, Mode, Center Freq, Span,
    RBW, VBW, SWT, Sweep Count, x-Unit, y-Unit, ...), then per trace a section ``Trace <n>;;``
    with its Trace Mode, Detector and ``Values;<points>;``, then one ``x;y`` line per point. The
    decimal separator may be a comma. Layouts checked: R&S FSW User Manual 1173.9411.02 ─19,
    §8.4.4 "Reference: ASCII File Export Format" (Table 8-3, trace export; Table 8-4, the
    spectrogram ordering with Trace Mode, Detector and Sweep Count in the header) and ─43, §9.6.2;
    R&S FPL1000 User Manual 1178.3370.02 ─03 Table 7-25 and ─09 p. 453 (the same layout); R&S
    FSV3000 User Manual 1178.8520.02 ─08 §7.6.6 (states the same format). Keys are looked up by
    name, so both orderings read. The header does **not** record the average mode (Linear,
    Logarithmic, Power; FSW manual "Average Mode") nor the sweep type (swept or FFT):
    ``series.yaml`` must state ``averaging`` and ``analyser_mode``.
``keysight_csv``: Keysight (Agilent) X-series "Swept SA" trace file (N9000A/B, N9010A/B,
    N9020A/B, N9030A/B, N9038A; ``.csv``). Rows ``Trace``, ``Swept SA``, ``<firmware>,<model>``,
    ``<options>,<file format version>``, then ``name,value`` rows (Number of Points, Sweep Time,
    Start/Stop Frequency, Average Count, Average Type, RBW, RBW Filter, RBW Filter BW, VBW, Sweep
    Type, ..., Trace Type, Detector, ..., X Axis Units, Y Axis Units), a row ``DATA``, then one
    ``frequency,value`` row per point. Layout checked: N9030A "RLC Swept SA Measurement
    Front-Panel & SCPI Reference", Save, "Trace File Contents" (the metadata list), and real
    exports of firmware A.25.08 (N9038A; questrail/keysight, tests/sample_data/N9038A_*.csv).
    Average Type values seen there: ``LogPower(Video)``, ``Voltage``; ``Power(RMS)`` (the
    instrument's "Pwr Avg (RMS)") is read from its name, not from a file we have seen.

**What the fits cannot use, refused with the file, line and reason:** averaging in log power
(Keysight ``Average Type`` LogPower, or ``averaging: log_power``) or in voltage; peak, quasi-peak
and voltage-average detectors; max/min hold; a running average of unknown length (R&S ``Sweep
Count`` 0, Keysight ``Average Count`` 0 with averaging on); a sample detector on noise unless the
series says it was averaged in linear power (``sample_detector: power_averaged``: then each bin
averages one sample per sweep); an RBW wider than the bin spacing (correlated bins); a unit other
than dBm or W (or an x unit other than Hz); a frequency or level offset, transducer, trace math or
normalisation (the values would not be the power at the analyser input); a header without a
needed field; a point count other than the header's.

**Mapping** (per trace): ``rbw`` = RBW; ``duration`` = sweep time x sweeps (1 for clear/write);
``psd`` = the level converted with the noise-bandwidth factor ``k`` exactly as the CSV path does
(``10^((dBm - 30)/10) / (k rbw)``, or ``W / (k rbw)``); ``n_averages``: swept with an RMS (power)
detector, the independent noise samples per bin, ``floor(k rbw x sweep time x sweeps / points)``
(one per inverse noise bandwidth of the dwell time per bin); swept with a power-averaged sample
detector, the sweeps; FFT mode, ``n_averages`` from ``series.yaml`` (the Welch segments: the
header does not say the window and overlap). The series' ``averaging`` comes from the header
where it has it (Keysight) and must agree with ``series.yaml`` where both say it.
"""

import csv
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import rawdata

#: Export formats a series.yaml may name (``format:``), with the file suffixes each reads.
FORMATS = {"rs_ascii": (".dat",), "keysight_csv": (".csv",)}
#: Series-level keys of series.yaml that only exports use.
SERIES_KEYS = ("format", "analyser_mode", "fft_window", "fft_overlap", "sample_detector", "noise_bandwidth_factor")
#: Per-trace keys of an export entry (the header gives rbw, duration and, swept, n_averages).
TRACE_KEYS = (
    "file",
    "trace",
    "label",
    "fridge_temperature",
    "probe_phase_setpoint",
    "tone_frequency",
    "tone_power",
    "n_averages",
)
MODES = ("swept", "fft")
#: Units a level may have (anything else is refused: V, dBuV and friends need an impedance).
UNITS = ("dBm", "W")


class ExportError(rawdata.RawDataError):
    """An analyser export whose header or data the fits cannot use; names the file, line and reason."""


@dataclass
class Export:
    """One trace of an analyser export, its header settings normalised, with the line of each."""

    path: Path
    fmt: str
    frequency: np.ndarray
    level: np.ndarray
    #: normalised settings: rbw, sweep_time, points, sweeps, trace_mode, detector, averaging, analyser_mode,
    #: x_unit, y_unit, rbw_is_noise_bandwidth, model, firmware
    settings: dict = field(default_factory=dict)
    #: setting -> line number in the file (1-based)
    lines: dict = field(default_factory=dict)
    #: line of the data section's start (where a missing header field is reported)
    data_line: int = 0

    def fail(self, key, reason):
        line = self.lines.get(key, self.data_line)
        raise ExportError(f"{self.path}: line {line}: {reason}")


def _number(text):
    """A float from an export's number (either decimal separator); ``None`` if it is not one."""
    text = text.strip()
    try:
        return float(text)
    except ValueError:
        pass
    try:
        return float(text.replace(",", "."))
    except ValueError:
        return None


def _key(name):
    return re.sub(r"[^a-z0-9]", "", name.lower())


# --- Rohde & Schwarz ASCII trace export ---------------------------------------------------------
_RS_TRACE = re.compile(r"^trace\s*(\d+)\s*:?$", re.IGNORECASE)
#: header name (normalised) -> setting
_RS_KEYS = {
    "type": "model",
    "version": "firmware",
    "mode": "mode",
    "rbw": "rbw",
    "swt": "sweep_time",
    "sweepcount": "sweep_count",
    "tracemode": "trace_mode",
    "detector": "detector",
    "xunit": "x_unit",
    "yunit": "y_unit",
    "values": "points",
    "freqoffset": "freq_offset",
    "leveloffset": "level_offset",
    "transducer": "transducer",
    "frames": "frames",
}


def read_rs_ascii(path, trace=None):
    """The :class:`Export` of one trace of an R&S ASCII trace file (``trace``: its number, needed if it holds
    several)."""
    path = Path(path)
    lines = path.read_text(encoding="latin-1").splitlines()
    header, header_lines = {}, {}
    sections = {}  # trace number -> {"settings", "lines", "rows": [(line, fields)], "values_line"}
    current = None
    remaining = 0
    for n, raw in enumerate(lines, start=1):
        text = raw.strip()
        if not text:
            continue
        fields = [f.strip() for f in text.split(";")]
        if remaining > 0 and _key(fields[0]) == "frames":
            raise ExportError(f"{path}: line {n}: a spectrogram export (several frames); export the trace itself")
        if remaining > 0:
            current["rows"].append((n, fields))
            remaining -= 1
            continue
        match = _RS_TRACE.match(fields[0])
        if match:
            number = int(match.group(1))
            if number in sections:
                raise ExportError(f"{path}: line {n}: a second section for trace {number}")
            current = sections[number] = {"settings": {}, "lines": {}, "rows": [], "start": n}
            continue
        name = _RS_KEYS.get(_key(fields[0]))
        value = fields[1] if len(fields) > 1 else ""
        unit = fields[2] if len(fields) > 2 else ""
        if name is None:
            if current is not None and current["settings"].get("points") is not None and _number(fields[0]) is not None:
                raise ExportError(
                    f"{path}: line {n}: a data line after the {current['settings']['points'][0]} points that "
                    "'Values' announced"
                )
            continue  # settings the fits do not depend on (Ref Level, Center Freq, Window, ...)
        target, where = (current["settings"], current["lines"]) if current is not None else (header, header_lines)
        target.setdefault(name, (value, unit))
        where.setdefault(name, n)
        if name == "points":
            if current is None:
                raise ExportError(f"{path}: line {n}: 'Values' before any 'Trace <n>' section")
            count = _number(value)
            if count is None or count != int(count) or count < 2:
                raise ExportError(f"{path}: line {n}: 'Values;{value}' is not a number of points >= 2")
            remaining = int(count)
            current["values_line"] = n
    if not sections:
        raise ExportError(
            f"{path}: line {len(lines)}: no 'Trace <n>;;' section with 'Values;<points>;' and data lines "
            "(is this an R&S ASCII trace export?)"
        )
    if trace is None:
        if len(sections) > 1:
            raise ExportError(
                f"{path}: holds traces {sorted(sections)}; say which with 'trace:' in the series.yaml entry"
            )
        trace = next(iter(sections))
    if trace not in sections:
        raise ExportError(f"{path}: no trace {trace} (traces in the file: {sorted(sections)})")
    section = sections[trace]
    if remaining > 0 and section is current:
        raise ExportError(
            f"{path}: line {len(lines)}: the file ends {remaining} data lines short of the "
            f"{section['settings']['points'][0]} that 'Values' announced (line {section['values_line']})"
        )
    settings = {**header, **section["settings"]}
    where = {**header_lines, **section["lines"]}
    data_line = section.get("values_line", section["start"])
    out = Export(path, "rs_ascii", None, None, lines=dict(where), data_line=data_line)
    if "frames" in settings:
        out.fail("frames", "a spectrogram export (several frames); export the trace itself")
    freq, level = [], []
    for n, fields in section["rows"]:
        x = _number(fields[0])
        y = _number(fields[1]) if len(fields) > 1 else None
        if x is None or y is None or not (math.isfinite(x) and math.isfinite(y)):
            raise ExportError(f"{path}: line {n}: {';'.join(fields)!r} is not a data line 'x;y' of two finite numbers")
        if len(fields) > 2 and fields[2] and _number(fields[2]) is not None:
            raise ExportError(
                f"{path}: line {n}: two values per point (the AUTOPEAK detector's maximum and minimum); "
                "the fits need an RMS (power) detector"
            )
        freq.append(x)
        level.append(y)
    out.frequency, out.level = np.array(freq), np.array(level)
    s = out.settings

    def text(name):
        return settings[name][0] if name in settings else None

    def num(name, unit=None):
        if name not in settings:
            return None
        value, got = settings[name]
        number = _number(value)
        if number is None or not math.isfinite(number):
            out.fail(name, f"{value!r} is not a number")
        if unit is not None and got and got.lower() != unit.lower():
            out.fail(name, f"unit {got!r}, expected {unit}")
        return number

    s["model"], s["firmware"] = text("model"), text("firmware")
    s["rbw"], s["sweep_time"] = num("rbw", "Hz"), num("sweep_time", "s")
    s["points"] = int(num("points"))
    s["x_unit"], s["y_unit"] = text("x_unit"), text("y_unit")
    mode = (text("trace_mode") or "").upper().replace(" ", "")
    modes = {"AVERAGE": "average", "AVG": "average", "CLR/WRITE": "clear_write", "CLRWRITE": "clear_write"}
    s["trace_mode"] = modes.get(mode, mode.lower() or None)
    count = num("sweep_count")
    s["sweeps"] = None if count is None else count
    detector = (text("detector") or "").upper().replace(" ", "")
    s["detector"] = {"RMS": "rms", "SAMPLE": "sample", "AVERAGE": "voltage", "AVG": "voltage"}.get(
        detector, detector.lower() or None
    )
    s["averaging"] = None  # not in the R&S header: series.yaml says it
    s["analyser_mode"] = None  # nor the sweep type
    s["rbw_is_noise_bandwidth"] = False
    for name, label in (("freq_offset", "frequency offset"), ("level_offset", "level offset")):
        value = num(name)
        if value not in (None, 0.0):
            out.fail(
                name,
                f"a {label} of {settings[name][0]} {settings[name][1]}: the exported values are then not the "
                "frequency and power at the analyser input; export with the offset at 0",
            )
    transducer = text("transducer")
    if transducer not in (None, "", "OFF", "Off", "off"):
        out.fail("transducer", f"transducer {transducer!r} active: the levels include its factors; export without")
    return out


# --- Keysight X-series trace CSV ----------------------------------------------------------------
_KS_KEYS = {
    "numberofpoints": "points",
    "sweeptime": "sweep_time",
    "averagecount": "sweep_count",
    "averagetype": "average_type",
    "rbw": "rbw",
    "rbwfilterbw": "rbw_filter_bw",
    "sweeptype": "sweep_type",
    "refleveloffset": "level_offset",
    "externalgain": "external_gain",
    "tracetype": "trace_mode",
    "detector": "detector",
    "tracemath": "trace_math",
    "normalize": "normalize",
    "tracename": "trace_name",
    "xaxisunits": "x_unit",
    "yaxisunits": "y_unit",
}


def read_keysight_csv(path, trace=None):
    """The :class:`Export` of a Keysight X-series "Swept SA" trace CSV (one trace per file)."""
    path = Path(path)
    if trace not in (None, 1):
        raise ExportError(f"{path}: an X-series trace file holds one trace; 'trace: {trace}' does not apply")
    with open(path, newline="", encoding="latin-1") as fh:
        rows = list(csv.reader(line.replace("\0", "") for line in fh))
    first = [c.strip() for c in rows[0]] if rows else []
    if not first or first[0] != "Trace":
        raise ExportError(
            f"{path}: line 1: {','.join(first)!r} is not 'Trace' (the first row of an X-series trace file; "
            "a 'MeasResult' file holds measurement results, not a trace)"
        )
    measurement = rows[1][0].strip() if len(rows) > 1 and rows[1] else ""
    if measurement != "Swept SA":
        raise ExportError(
            f"{path}: line 2: measurement {measurement!r}; the reader knows the Spectrum Analyzer mode's "
            "'Swept SA' trace file"
        )
    settings, where = {}, {}
    data_line = None
    for n, row in enumerate(rows[2:], start=3):
        cells = [c.strip() for c in row]
        if not cells or not any(cells):
            continue
        if cells[0].upper() == "DATA":
            data_line = n
            break
        if n == 3 and len(cells) > 1:
            settings["firmware"], settings["model"] = (cells[0], ""), (cells[1], "")
            where["firmware"] = where["model"] = n
            continue
        name = _KS_KEYS.get(_key(cells[0]))
        if name is None:
            continue
        if name in ("trace_name", "trace_mode", "detector") and len([c for c in cells[1:] if c]) > 1:
            raise ExportError(
                f"{path}: line {n}: {cells[0]} lists several traces ({', '.join(c for c in cells[1:] if c)}); "
                "save one trace per file"
            )
        settings.setdefault(name, (cells[1] if len(cells) > 1 else "", ""))
        where.setdefault(name, n)
    if data_line is None:
        raise ExportError(f"{path}: line {len(rows)}: no 'DATA' row (the trace data follow it)")
    out = Export(path, "keysight_csv", None, None, lines=where, data_line=data_line)
    freq, level = [], []
    for n, row in enumerate(rows[data_line:], start=data_line + 1):
        cells = [c.strip() for c in row]
        if not cells or not any(cells):
            continue
        x = _number(cells[0]) if cells else None
        y = _number(cells[1]) if len(cells) > 1 else None
        if x is None or y is None or not (math.isfinite(x) and math.isfinite(y)):
            raise ExportError(f"{path}: line {n}: {','.join(cells)!r} is not a data row 'frequency,value'")
        if len([c for c in cells[1:] if c]) > 1:
            raise ExportError(f"{path}: line {n}: several values per point (all traces saved); save one trace per file")
        freq.append(x)
        level.append(y)
    out.frequency, out.level = np.array(freq), np.array(level)
    s = out.settings

    def text(name):
        return settings[name][0] if name in settings else None

    def num(name):
        if name not in settings:
            return None
        number = _number(settings[name][0])
        if number is None or not math.isfinite(number):
            out.fail(name, f"{settings[name][0]!r} is not a number")
        return number

    s["model"], s["firmware"] = text("model"), text("firmware")
    s["rbw"], s["sweep_time"] = num("rbw"), num("sweep_time")
    points = num("points")
    s["points"] = None if points is None else int(points)
    s["x_unit"], s["y_unit"] = text("x_unit"), text("y_unit")
    trace_type = _key(text("trace_mode") or "")
    modes = {"average": "average", "traceaverage": "average", "clearwrite": "clear_write", "write": "clear_write"}
    s["trace_mode"] = modes.get(trace_type, trace_type or None)
    s["sweeps"] = num("sweep_count")
    average_type = _key(text("average_type") or "")
    s["averaging"] = (
        "log_power"
        if average_type.startswith("log")
        else "power"
        if average_type in ("powerrms", "rms", "power", "pwravgrms")
        else "voltage"
        if average_type.startswith("volt") or average_type == "scalar"
        else average_type or None
    )
    detector = _key(text("detector") or "")
    s["detector"] = (
        {"power": "rms", "log_power": "log", "voltage": "voltage"}.get(s["averaging"], "average")
        if detector == "average"
        else "sample"
        if detector == "sample"
        else detector or None
    )
    sweep_type = _key(text("sweep_type") or "")
    s["analyser_mode"] = {"swept": "swept", "fft": "fft"}.get(sweep_type, sweep_type or None)
    s["rbw_is_noise_bandwidth"] = _key(text("rbw_filter_bw") or "") == "noise"
    for name, label in (("level_offset", "reference level offset"), ("external_gain", "external gain")):
        value = num(name)
        if value not in (None, 0.0):
            out.fail(name, f"{label} {value:g} dB: the exported levels are then not the power at the analyser input")
    for name in ("trace_math", "normalize"):
        value = text(name)
        if value not in (None, "", "Off", "OFF", "off"):
            out.fail(name, f"{name.replace('_', ' ')} is {value!r}: export the measured trace itself")
    return out


READERS = {"rs_ascii": read_rs_ascii, "keysight_csv": read_keysight_csv}


# --- what the fits can use ----------------------------------------------------------------------
def check(export, series, where):
    """Refuse what the fits cannot use; returns the settings completed with the series' statements.

    ``series``: the series-level statements of series.yaml (``averaging``, ``analyser_mode``,
    ``sample_detector``, ``noise_bandwidth_factor``); ``where``: the series.yaml path for messages
    about them.
    """
    s = dict(export.settings)
    for name, label in (
        ("rbw", "RBW"),
        ("sweep_time", "sweep time"),
        ("points", "number of points"),
        ("trace_mode", "trace mode"),
        ("detector", "detector"),
        ("x_unit", "x unit"),
        ("y_unit", "y unit"),
    ):
        if s.get(name) is None:
            raise ExportError(
                f"{export.path}: line {export.data_line}: the header above the data has no {label}, which the "
                "fits need (was the export saved without the instrument settings?)"
            )
    if s["x_unit"] != "Hz":
        export.fail("x_unit", f"x unit {s['x_unit']!r}: the fits need a frequency axis in Hz (not zero span)")
    if s["y_unit"] not in UNITS:
        export.fail("y_unit", f"unknown unit {s['y_unit']!r} for the levels: the ingest converts {' or '.join(UNITS)}")
    if export.frequency.size != s["points"]:
        export.fail(
            "points", f"the header announces {s['points']} points, the data section holds {export.frequency.size}"
        )
    if s["rbw"] <= 0 or s["sweep_time"] <= 0:
        export.fail("rbw" if s["rbw"] <= 0 else "sweep_time", "must be > 0")
    # averaging: the header's word where it has one, else the series'
    stated = series.get("averaging")
    from_header = s["averaging"] is not None
    if not from_header:
        if stated is None:
            raise ExportError(
                f"{where}: 'averaging' missing: the {export.fmt} header does not record the average mode; "
                "'power' if the analyser averaged linear power (the fits need it)"
            )
        s["averaging"] = stated
    elif stated is not None and stated != s["averaging"]:
        export.fail("average_type", f"the header says averaging {s['averaging']!r}, series.yaml says {stated!r}")
    reason = {
        "power": None,
        "log_power": "averaged in log power (video/log averaging): such a trace reads ~2.5 dB low and follows "
        "other statistics than the Gamma law every fit assumes (docs/model.md §5); record with power (RMS) averaging",
        "voltage": "averaged in voltage: noise then reads ~1.05 dB low, with other statistics than the fits assume; "
        "record with power (RMS) averaging",
    }.get(s["averaging"], f"unknown averaging {s['averaging']!r} (power, log_power)")
    if reason is not None:
        if from_header:
            export.fail("average_type", reason)
        raise ExportError(f"{where}: averaging {s['averaging']!r} ({export.path.name}): {reason}")
    # trace mode and count
    if s["trace_mode"] == "clear_write":
        s["sweeps"] = 1
    elif s["trace_mode"] == "average":
        if s["sweeps"] is None:
            raise ExportError(
                f"{export.path}: line {export.data_line}: the header has no sweep/average count, needed for an "
                "averaged trace"
            )
        if s["sweeps"] < 1 or s["sweeps"] != int(s["sweeps"]):
            export.fail(
                "sweep_count",
                f"sweep/average count {s['sweeps']:g}: a running (exponential) average of unknown length, not the "
                "mean of a known number of sweeps; record with a fixed count in single-sweep mode",
            )
        s["sweeps"] = int(s["sweeps"])
    else:
        export.fail(
            "trace_mode",
            f"trace mode {s['trace_mode']!r}: the fits need a clear/write or power-averaged trace (max/min hold and "
            "view traces have other statistics)",
        )
    # detector
    if s["detector"] == "sample":
        if series.get("sample_detector") != "power_averaged":
            export.fail(
                "detector",
                "a sample detector on noise: it reads one envelope sample per point and sweep, unbiased only if "
                "averaged in linear power, and then with one independent sample per sweep; if so, say "
                "'sample_detector: power_averaged' in series.yaml, else record with the RMS detector",
            )
    elif s["detector"] != "rms":
        export.fail(
            "detector",
            f"detector {s['detector']!r}: the fits need the power in each bin (RMS detector, or Keysight's average "
            "detector with power averaging); peak, quasi-peak and voltage/log average detectors read noise biased",
        )
    # the analyser's mode (swept or FFT): the header's word where it has one
    stated = series.get("analyser_mode")
    if s["analyser_mode"] is None:
        if stated is None:
            raise ExportError(
                f"{where}: 'analyser_mode' missing: the {export.fmt} header does not record whether the analyser "
                "swept or used FFTs (swept or fft)"
            )
        s["analyser_mode"] = stated
    elif stated is not None and stated != s["analyser_mode"]:
        export.fail("sweep_type", f"the header says sweep type {s['analyser_mode']!r}, series.yaml says {stated!r}")
    if s["analyser_mode"] not in MODES:
        export.fail("sweep_type", f"unknown sweep type {s['analyser_mode']!r} (swept, fft)")
    # bins at least one RBW apart
    spacing = float(np.min(np.diff(export.frequency))) if export.frequency.size > 1 else 0.0
    if spacing <= 0:
        export.fail("points", "the frequencies of the data section do not increase")
    if s["rbw"] > spacing * (1 + 1e-6):
        export.fail(
            "rbw",
            f"RBW {s['rbw']:g} Hz is wider than the bin spacing {spacing:g} Hz: neighbouring bins are then correlated "
            "and the likelihood assumes independent bins (docs/model.md §5); export at most one point per RBW",
        )
    # the noise-bandwidth factor
    k = float(series.get("noise_bandwidth_factor", 1.0))
    if s["rbw_is_noise_bandwidth"] and k != 1.0:
        export.fail(
            "rbw_filter_bw",
            f"the RBW is the filter's noise bandwidth, so the noise-bandwidth factor is 1, not {k:g} (series.yaml)",
        )
    s["noise_bandwidth_factor"] = k
    return s


def psd(export, settings):
    """The levels as a power spectral density (W/Hz), with the noise-bandwidth factor as the CSV path does."""
    from .ingest import dbm_to_psd  # the CSV path's conversion, so both give the same numbers

    k, rbw = settings["noise_bandwidth_factor"], settings["rbw"]
    if settings["y_unit"] == "dBm":
        return dbm_to_psd(export.level, rbw, k)
    if np.any(export.level <= 0):
        bad = int(np.argmax(export.level <= 0))
        raise ExportError(f"{export.path}: point {bad + 1}: a power of {export.level[bad]!r} W is not > 0")
    return export.level / (k * rbw)


def n_averages(settings):
    """Independent averages per bin of a swept trace: one noise sample per inverse noise bandwidth of the dwell
    time per bin, times the sweeps (RMS detector), or one per sweep (power-averaged sample detector)."""
    if settings["detector"] == "sample":
        return int(settings["sweeps"])
    k, rbw = settings["noise_bandwidth_factor"], settings["rbw"]
    return max(1, int(np.floor(k * rbw * settings["sweep_time"] * settings["sweeps"] / settings["points"])))


def recorded_settings(settings):
    """Header settings the raw schema has no place for (yet): detector, sweeps, sweep time, points, the
    noise-bandwidth factor, instrument and firmware. Kept apart and not written, for a schema change to pick up."""
    return {
        key: settings.get(key)
        for key in ("detector", "sweeps", "sweep_time", "points", "noise_bandwidth_factor", "model", "firmware")
    }
