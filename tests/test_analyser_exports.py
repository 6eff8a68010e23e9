"""Spectrum-analyser trace exports in (entangled_drums.data.analyser through ingest): a Rohde & Schwarz ASCII
trace file and a Keysight X-series trace CSV give the same raw file as our CSV layout for the same trace, and
headers the fits cannot use are refused with the file, line and reason.

The fixtures are written here from each vendor's documented layout (cited at each writer), not copied from an
instrument: the trace is a synthetic noise spectrum on a grid one RBW apart."""

import re
import shutil

import numpy as np
import pytest
import yaml

from entangled_drums import ingest, rawdata
from entangled_drums.data import analyser

#: The trace's settings: a swept analyser, RMS detector, power averaging over 10 sweeps.
RBW, K_NB, SWT, SWEEPS, POINTS = 500.0, 1.065, 20.0, 10, 201
#: floor(k RBW x SWT x sweeps / points) = floor(1.065 * 500 * 20 * 10 / 201) = floor(529.85) (analyser.n_averages)
N_AVERAGES = 529
F0 = 5.4998e9
TONES = {
    "tone_frequency": {"pump_red": 5.48999692e9, "pump_blue": 5.51130317e9},
    "tone_power": {"pump_red": -3.2, "pump_blue": -6.9},
}


def _trace():
    """Frequencies one RBW apart and levels in dBm, as the analyser would print them (shortest round-trip form)."""
    rng = np.random.default_rng(27)
    f = F0 + RBW * np.arange(POINTS)
    psd = 2e-17 * (1 + 0.5 / (1 + ((f - f.mean()) / 8e3) ** 2)) * rng.gamma(N_AVERAGES, 1 / N_AVERAGES, POINTS)
    return [repr(float(x)) for x in f], [repr(float(y)) for y in ingest.psd_to_dbm(psd, RBW, K_NB)]


def _mode():
    """The analyser-mode attribute, where this checkout's series.yaml has it (schema version 3)."""
    return {"analyser_mode": "swept"} if "analyser_mode" in ingest.GLOBAL_KEYS else {}


def _series(**extra):
    return {
        "schema_version": rawdata.SCHEMA_VERSION,
        "role": "pump",
        "dataset": "C",
        "source": "measured",
        "description": "pump spectrum of data set C",
        "noise_bandwidth_factor": K_NB,
        **extra,
    }


def _entry(file, **extra):
    return {"file": file, "label": "C", "fridge_temperature": 0.010, "probe_phase_setpoint": 0.0, **TONES, **extra}


def write_csv_layout(folder, f, dbm):
    """Our own layout (data/raw/README.md): series.yaml with the trace's settings, and a frequency,power_dBm CSV."""
    folder.mkdir(parents=True)
    (folder / "C.csv").write_text("frequency,power_dBm\n" + "".join(f"{x},{y}\n" for x, y in zip(f, dbm, strict=True)))
    entry = _entry("C.csv", rbw=RBW, n_averages=N_AVERAGES, duration=SWT * SWEEPS)
    meta = _series(averaging="power", **_mode(), traces=[entry])
    (folder / "series.yaml").write_text(yaml.safe_dump(meta, sort_keys=False))


def write_rs_ascii(path, f, dbm, ordering="fsw", **over):
    """An R&S ASCII trace export.

    Layout: R&S FSW User Manual 1173.9411.02 ─19, §8.4.4 "Reference: ASCII File Export Format", Table 8-3
    (trace export in the Spectrum application; the same as R&S FPL1000 User Manual 1178.3370.02 ─03, Table 7-25):
    ``name;value;unit`` header lines, ``Window;1;Frequency Sweep``, ``Trace 1;;``, the trace's Trace Mode and
    Detector, ``Values;<n>;``, then ``x;y`` lines. ``ordering="spectrogram"`` puts Trace Mode, Detector and
    Sweep Count in the header and ``Trace 1:;;`` before the units, as Table 8-4 of the same manual does (the
    layout of older firmware and of the FSL/FSV). ``over``: header values to replace (None drops the line).
    """
    head = {
        "Type": "R&S FSW-26;",
        "Version": "1.80;",
        "Date": "03.May 2017;",
        "Mode": "ANALYZER;",
        "Preamplifier": "OFF;",
        "Transducer": ";",
        "Center Freq": f"{(float(f[0]) + float(f[-1])) / 2!r};Hz",
        "Freq Offset": "0;Hz",
        "Start": f"{f[0]};Hz",
        "Stop": f"{f[-1]};Hz",
        "Span": f"{float(f[-1]) - float(f[0])!r};Hz",
        "Ref Level": "-30;dBm",
        "Level Offset": "0;dB",
        "Rf Att": "0;dB",
        "El Att": "0;dB",
        "RBW": f"{RBW!r};Hz",
        "VBW": f"{5 * RBW!r};Hz",
        "SWT": f"{SWT!r};s",
        "Sweep Count": f"{SWEEPS};",
        "Ref Position": "100;%",
        "Level Range": "100;dB",
        "x-Axis": "LIN;",
        "y-Axis": "LOG;",
        "x-Unit": "Hz;",
        "y-Unit": "dBm;",
    }
    trace = {"Trace Mode": "AVERAGE;", "Detector": "RMS;"}
    values = {"Values": f"{len(f)};"}
    for key, value in over.items():
        key = key.replace("_", " ")
        for block in (head, trace, values):
            if key in block:
                block[key] = value
    head = {k: v for k, v in head.items() if v is not None}
    trace = {k: v for k, v in trace.items() if v is not None}
    if ordering == "fsw":
        lines = [f"{k};{v}" for k, v in head.items()] + ["Window;1;Frequency Sweep", "Trace 1;;"]
        lines += [f"{k};{v}" for k, v in trace.items()]
    else:  # Table 8-4 ordering
        units = {k: head.pop(k) for k in ("x-Unit", "y-Unit") if k in head}
        lines = [f"{k};{v}" for k, v in head.items()] + [f"{k};{v}" for k, v in trace.items()]
        lines += ["Trace 1:;;"] + [f"{k};{v}" for k, v in units.items()]
    lines += [f"{k};{v}" for k, v in values.items() if v is not None]
    lines += [f"{x};{y}" for x, y in zip(f, dbm, strict=True)]
    path.write_text("\n".join(lines) + "\n", encoding="latin-1")


def write_keysight_csv(path, f, dbm, **over):
    """A Keysight X-series "Swept SA" trace file.

    Layout: the metadata list of "Trace File Contents" (Agilent/Keysight N9030A, RLC Swept SA Measurement
    Front-Panel & SCPI Reference, Save) in the order of real exports of firmware A.25.08 (an N9038A's Spectrum
    Analyzer mode; questrail/keysight, tests/sample_data/N9038A_OneTrace.csv): ``Trace``, ``Swept SA``,
    ``<firmware>,<model>``, ``<options>,<file format version>``, ``name,value`` rows, ``DATA``, then
    ``frequency,value`` rows. ``over``: values to replace (None drops the row).
    """
    rows = {
        "Segment": "0",
        "Number of Points": str(len(f)),
        "Sweep Time": repr(SWT),
        "Start Frequency": f[0],
        "Stop Frequency": f[-1],
        "Average Count": str(SWEEPS),
        "Average Type": "Power(RMS)",
        "RBW": repr(RBW),
        "RBW Filter": "Gaussian",
        "RBW Filter BW": "3dB",
        "VBW": repr(5 * RBW),
        "Sweep Type": "Swept",
        "X Axis Scale": "Lin",
        "PreAmp State": "Off",
        "Trigger Source": "Free",
        "Attenuation": "6",
        "Ref Level Offset": "0",
        "External Gain": "0",
        "Trace Type": "Average",
        "Detector": "Average",
        "Trace Math": "Off",
        "Normalize": "Off",
        "Trace Name": "Trace1",
        "X Axis Units": "Hz",
        "Y Axis Units": "dBm",
    }
    for key, value in over.items():
        rows[key.replace("_", " ")] = value
    lines = ["Trace", "Swept SA", "A.26.05,N9030B", "526 B40 EP0 P26 ,01"]
    lines += [f"{k},{v}" for k, v in rows.items() if v is not None] + ["DATA"]
    lines += [f"{x},{y}" for x, y in zip(f, dbm, strict=True)]
    path.write_text("\n".join(lines) + "\n", encoding="latin-1")


def write_export(folder, vendor, f, dbm, series=None, entry=None, **over):
    folder.mkdir(parents=True)
    if vendor == "rs_ascii":
        name = "C.DAT"
        write_rs_ascii(folder / name, f, dbm, **over)
        statements = {"averaging": "power", "analyser_mode": "swept"}  # not in an R&S header
    else:
        name = "C.csv"
        write_keysight_csv(folder / name, f, dbm, **over)
        statements = {}
    meta = _series(format=vendor, **{**statements, **(series or {})}, traces=[_entry(name, **(entry or {}))])
    (folder / "series.yaml").write_text(yaml.safe_dump(meta, sort_keys=False))
    return folder / name


def _ingested(src, out):
    ingest.ingest(src, out)
    return rawdata.load(out / "pump_C.nc")


@pytest.mark.parametrize(
    "vendor, options",
    [("rs_ascii", {}), ("rs_ascii", {"ordering": "spectrogram"}), ("keysight_csv", {})],
    ids=["rs-fsw", "rs-older-ordering", "keysight"],
)
def test_an_export_gives_the_same_raw_file_as_the_csv_layout(tmp_path, vendor, options):
    f, dbm = _trace()
    write_csv_layout(tmp_path / "csv" / "pump_C", f, dbm)
    write_export(tmp_path / "export" / "pump_C", vendor, f, dbm, **options)
    ours, theirs = _ingested(tmp_path / "csv", tmp_path / "raw_csv"), _ingested(tmp_path / "export", tmp_path / "raw")
    assert theirs.attrs == ours.attrs
    for var in ours.variables:
        assert np.array_equal(theirs[var].values, ours[var].values), var
    assert int(theirs["n_averages"].values[0]) == N_AVERAGES and float(theirs["duration"].values[0]) == SWT * SWEEPS
    assert float(theirs["rbw"].values[0]) == RBW


def test_a_power_averaged_sample_detector_is_read_with_one_average_per_sweep(tmp_path):
    f, dbm = _trace()
    src = tmp_path / "src"
    write_export(
        src / "pump_C", "keysight_csv", f, dbm, series={"sample_detector": "power_averaged"}, Detector="Sample"
    )
    assert int(_ingested(src, tmp_path / "raw")["n_averages"].values[0]) == SWEEPS


def test_the_rs_decimal_comma_and_an_fft_trace_with_its_stated_averages(tmp_path):
    f, dbm = _trace()
    src = tmp_path / "src"
    fft = {"analyser_mode": "fft", "fft_window": "hann", "fft_overlap": 0.5}  # written where the schema has them
    path = write_export(src / "pump_C", "rs_ascii", f, dbm, series=fft, entry={"n_averages": 400})
    text = path.read_text(encoding="latin-1").splitlines()
    start = text.index(f"Values;{POINTS};") + 1
    text[start:] = [line.replace(".", ",") for line in text[start:]]  # the analyser's decimal separator: comma
    path.write_text("\n".join(text) + "\n", encoding="latin-1")
    ds = _ingested(src, tmp_path / "raw")
    assert int(ds["n_averages"].values[0]) == 400
    np.testing.assert_array_equal(ds["psd"].values[0], ingest.dbm_to_psd([float(v) for v in dbm], RBW, K_NB))


def _line(path, startswith):
    return 1 + next(
        i for i, ln in enumerate(path.read_text(encoding="latin-1").splitlines()) if ln.startswith(startswith)
    )


BAD = [
    # vendor, header change, series.yaml change, line the message names (None: series.yaml), reason
    ("keysight_csv", {"Average_Type": "LogPower(Video)"}, {}, "Average Type", "averaged in log power"),
    ("keysight_csv", {"Average_Type": "Voltage"}, {}, "Average Type", "averaged in voltage"),
    ("rs_ascii", {}, {"averaging": "log_power"}, None, "averaging 'log_power' .*averaged in log power"),
    ("rs_ascii", {"Detector": "SAMPLE;"}, {}, "Detector", "a sample detector on noise"),
    ("keysight_csv", {"Detector": "Sample"}, {}, "Detector", "a sample detector on noise"),
    ("keysight_csv", {"Detector": "Peak"}, {}, "Detector", "detector 'peak'"),
    ("rs_ascii", {"Detector": "AVERAGE;"}, {}, "Detector", "detector 'voltage'"),
    ("rs_ascii", {"RBW": "1000.0;Hz"}, {}, "RBW", "RBW 1000 Hz is wider than the bin spacing 500 Hz"),
    ("keysight_csv", {"RBW": "1000"}, {}, "RBW", "RBW 1000 Hz is wider than the bin spacing 500 Hz"),
    ("rs_ascii", {"y-Unit": "dBuV;"}, {}, "y-Unit", "unknown unit 'dBuV'"),
    ("keysight_csv", {"Y_Axis_Units": "dBmV"}, {}, "Y Axis Units", "unknown unit 'dBmV'"),
    ("rs_ascii", {"RBW": None}, {}, "Values", "the header above the data has no RBW"),
    ("keysight_csv", {"Sweep_Time": None}, {}, "DATA", "the header above the data has no sweep time"),
    ("rs_ascii", {"Trace Mode": "MAXHOLD;"}, {}, "Trace Mode", "trace mode 'maxhold'"),
    ("rs_ascii", {"Sweep Count": "0;"}, {}, "Sweep Count", "a running \\(exponential\\) average"),
    ("keysight_csv", {"Average_Count": "0"}, {}, "Average Count", "a running \\(exponential\\) average"),
    ("rs_ascii", {"Freq Offset": "1000;Hz"}, {}, "Freq Offset", "a frequency offset of 1000 Hz"),
    ("keysight_csv", {"Ref_Level_Offset": "10"}, {}, "Ref Level Offset", "reference level offset 10 dB"),
    ("keysight_csv", {"Number_of_Points": "200"}, {}, "Number of Points", "announces 200 points, .* holds 201"),
    ("keysight_csv", {"Sweep_Type": "FFT"}, {"analyser_mode": "swept"}, "Sweep Type", "says sweep type 'fft'"),
]


@pytest.mark.parametrize("vendor, header, series, line, reason", BAD, ids=[f"{b[0]}:{b[4][:30]}" for b in BAD])
def test_what_the_fits_cannot_use_is_refused_with_file_line_and_reason(
    tmp_path, capsys, vendor, header, series, line, reason
):
    f, dbm = _trace()
    src = tmp_path / "src"
    path = write_export(src / "pump_C", vendor, f, dbm, series=series, **header)
    where = f"{path.parent / 'series.yaml'}: " if line is None else f"{path}: line {_line(path, line)}: "
    out = tmp_path / "raw"
    with pytest.raises(rawdata.RawDataError, match=f"^{re.escape(where)}.*{reason}"):
        ingest.ingest(src, out)
    assert ingest.main([str(src), "--out", str(out)]) == 1
    assert "error:" in capsys.readouterr().err and not out.exists()


def test_a_data_line_that_is_not_a_number_and_a_short_file_are_named(tmp_path):
    f, dbm = _trace()
    path = write_export(tmp_path / "a", "rs_ascii", f, dbm)
    lines = path.read_text(encoding="latin-1").splitlines()
    bad = len(lines) - 5
    path.write_text("\n".join(lines[:bad] + [lines[bad].split(";")[0] + ";n/a"] + lines[bad + 1 :]) + "\n")
    with pytest.raises(analyser.ExportError, match=rf"C.DAT: line {bad + 1}: .*not a data line"):
        analyser.read_rs_ascii(path)
    path.write_text("\n".join(lines[:-1]) + "\n", encoding="latin-1")
    with pytest.raises(analyser.ExportError, match=r"C.DAT: line \d+: the file ends 1 data lines short of the 201"):
        analyser.read_rs_ascii(path)
    shutil.rmtree(tmp_path / "a")
    path = write_export(tmp_path / "a", "keysight_csv", f, dbm)
    path.write_text(path.read_text().replace("Trace\nSwept SA", "MeasResult\nSA:SEM", 1))
    with pytest.raises(analyser.ExportError, match=r"C.csv: line 1: 'MeasResult' is not 'Trace'"):
        analyser.read_keysight_csv(path)
