"""Network-analyser sweeps as Touchstone files (entangled_drums.data.touchstone through ingest): scikit-rf's own
example files read through the ingest, and the laboratory's cavity sweeps written as Touchstone and read back
give the NetCDF values of the CSV way."""

import shutil
from pathlib import Path

import numpy as np
import pytest
import skrf
import yaml

from conftest import ROOT
from entangled_drums import cavity, ingest, rawdata
from entangled_drums.data import touchstone
from entangled_drums.product.config import defaults

RAW = ROOT / "data" / "raw"
SKRF_DATA = Path(skrf.data.__file__).parent
SWEEP_VARIABLES = ("frequency", "s_real", "s_imag", "port", "if_bandwidth", "fridge_temperature", "label")


def _series(folder, traces, **extra):
    folder.mkdir(parents=True, exist_ok=True)
    meta = {
        "schema_version": rawdata.SCHEMA_VERSION,
        "role": "cavity_response",
        "dataset": "cavity",
        "source": "measured",
        "description": "scikit-rf example files read as cavity sweeps",
        "traces": traces,
        **extra,
    }
    (folder / "series.yaml").write_text(yaml.safe_dump(meta, sort_keys=False))
    return folder


def _s(ds, port):
    i = [str(p) for p in ds["port"].values].index(port)
    return ds["frequency"].values[i], ds["s_real"].values[i] + 1j * ds["s_imag"].values[i]


@pytest.mark.parametrize("ports", [{"input": 1, "output": 2}, {"input": 2, "output": 1}])
def test_a_scikit_rf_example_s2p_reads_through_the_ingest(tmp_path, ports):
    """skrf/data/ntwk1.s2p (GHz, RI): each cavity S-parameter is the file's S_(out,in), S_(in,in), S_(out,out)."""
    src = tmp_path / "src"
    shutil.copy(SKRF_DATA / "ntwk1.s2p", _series(src / "cavity_cal", []) / "ntwk1.s2p")
    _series(src / "cavity_cal", [{"file": "ntwk1.s2p", "ports": ports, "if_bandwidth": 1e3, "fridge_temperature": 4}])
    assert ingest.main([str(src), "--out", str(tmp_path / "raw")]) == 0
    ds = rawdata.load(tmp_path / "raw" / "cavity_cal.nc")
    net = skrf.Network(str(SKRF_DATA / "ntwk1.s2p"))
    i, o = ports["input"] - 1, ports["output"] - 1
    assert [str(p) for p in ds["port"].values] == ["S21", "S11", "S22"] == [str(v) for v in ds["label"].values]
    for port, (a, b) in {"S21": (o, i), "S11": (i, i), "S22": (o, o)}.items():
        f, s = _s(ds, port)
        assert np.array_equal(f, net.f) and np.array_equal(s, net.s[:, a, b]), port
    assert f[0] == 1e9 and f.size == 91


def test_several_scikit_rf_one_port_files_read_as_the_two_reflections(tmp_path):
    """skrf/data/ro,1.s1p and ro,2.s1p (one-port, 500-750 GHz) as the reflections at the input and the output."""
    folder = _series(tmp_path / "src" / "cavity_cal", [])
    for name in ("ro,1.s1p", "ro,2.s1p"):
        shutil.copy(SKRF_DATA / name, folder / name)
    entries = [
        {"file": "ro,1.s1p", "ports": {"input": 1}, "if_bandwidth": 10.0, "fridge_temperature": 0.01},
        {"file": "ro,2.s1p", "ports": {"output": 1}, "if_bandwidth": 10.0, "fridge_temperature": 0.01, "label": "B"},
    ]
    _series(folder, entries)
    ingest.ingest(tmp_path / "src", tmp_path / "raw")
    ds = rawdata.load(tmp_path / "raw" / "cavity_cal.nc")
    assert [str(p) for p in ds["port"].values] == ["S11", "S22"] and [str(v) for v in ds["label"].values] == [
        "S11",
        "B",
    ]
    for port, name in (("S11", "ro,1.s1p"), ("S22", "ro,2.s1p")):
        net = skrf.Network(str(SKRF_DATA / name))
        f, s = _s(ds, port)
        assert np.array_equal(f, net.f) and np.array_equal(s, net.s[:, 0, 0])


def _csv_way(tmp_path):
    ingest.export(RAW / "cavity_cal.nc", tmp_path / "csv" / "cavity_cal")
    ingest.ingest(tmp_path / "csv", tmp_path / "raw_csv")
    return rawdata.load(tmp_path / "raw_csv" / "cavity_cal.nc")


def test_the_laboratory_sweeps_as_s2p_give_the_csv_values_bit_for_bit(tmp_path):
    """Real and imaginary parts in Python's shortest round-trip form (scikit-rf's default number format) and
    frequencies in Hz: reading them back involves no arithmetic, so the values are identical."""
    csv_way = _csv_way(tmp_path)
    touchstone.export(RAW / "cavity_cal.nc", tmp_path / "ts" / "cavity_cal")
    assert (tmp_path / "ts" / "cavity_cal" / "cavity.s2p").read_text().splitlines()[1] == "# Hz S RI R 50.0 "
    ingest.ingest(tmp_path / "ts", tmp_path / "raw")
    ts_way = rawdata.load(tmp_path / "raw" / "cavity_cal.nc")
    assert ts_way.attrs == csv_way.attrs
    for var in SWEEP_VARIABLES:
        assert np.array_equal(ts_way[var].values, csv_way[var].values), var


@pytest.mark.parametrize("layout", ["s2p", "s1p"])
def test_the_laboratory_sweeps_in_an_instruments_number_format_agree_within_its_rounding(tmp_path, layout):
    """Magnitude and angle (MA) with 10 significant digits, as an analyser may write them. Every number is then
    within 0.5e-9 of its value relatively: |S| to 5e-10 |S|, the angle (|θ| ≤ 180°) to 9e-8° = 1.6e-9 rad,
    so S to (5e-10 + 1.6e-9) |S| < 2.1e-9 |S|, and each frequency (Hz) to 5e-10 of itself. The fit's rates
    move by < 1e-3 of their standard errors."""
    csv_way = _csv_way(tmp_path)
    touchstone.export(RAW / "cavity_cal.nc", tmp_path / "ts" / "cavity_cal", layout=layout, form="ma", digits=10)
    ingest.ingest(tmp_path / "ts", tmp_path / "raw")
    ts_way = rawdata.load(tmp_path / "raw" / "cavity_cal.nc")
    ports = ["S21", "S11", "S22"] if layout == "s2p" else ["S11", "S22"]
    assert [str(p) for p in ts_way["port"].values] == ports
    for port in ports:
        (f, s), (f0, s0) = _s(ts_way, port), _s(csv_way, port)
        assert np.all(np.abs(f - f0) <= 5e-10 * f0), port
        assert np.all(np.abs(s - s0) <= 2.1e-9 * np.abs(s0)), (port, np.max(np.abs(s - s0) / np.abs(s0)))
    if layout == "s2p":
        f_c = defaults()["device"]["f_c"]
        a, b = cavity.calibrate(ts_way, f_c), cavity.calibrate(csv_way, f_c)
        for key in ("kappa", "kappa_in", "kappa_out", "kappa_I"):
            assert abs(a[key] - b[key]) < 1e-3 * b[f"{key}_sigma"], key


BAD = [
    ({"ports": {"input": 3, "output": 2}}, r"ports.input = 3 is not a port of this 2-port file \(1 to 2\)"),
    ({"ports": {"input": 1, "output": 1}}, r"the cavity's input and output cannot be the same file port"),
    ({"ports": {"in": 1}}, r"unknown cavity port\(s\) \['in'\]"),
    ({"ports": {"input": 1}, "parameters": ["S21"]}, r"S21 needs the cavity's input and output port mapped"),
    ({"parameters": ["S12"]}, r"unknown cavity S-parameter 'S12'"),
    ({"if_bandwidth": None}, r"missing \['if_bandwidth'\]"),
    ({"port": "S21"}, r"unknown keys \['port'\]"),
    ({"file": "missing.s2p"}, r"lists 'missing.s2p', which is not in"),
    ({"corrupt": True}, r"cavity.s2p: not a readable Touchstone file"),
]


@pytest.mark.parametrize("change, message", BAD, ids=[m.split("'")[0][:40] for _, m in BAD])
def test_a_bad_touchstone_entry_is_refused_naming_it(tmp_path, change, message):
    folder = tmp_path / "src" / "cavity_cal"
    touchstone.export(RAW / "cavity_cal.nc", folder)
    meta = yaml.safe_load((folder / "series.yaml").read_text())
    entry = meta["traces"][0]
    if change.pop("corrupt", False):
        (folder / "cavity.s2p").write_text("# Hz S RI R 50\n1 2 3\nnot a number\n")
    for key, value in change.items():
        if value is None:
            entry.pop(key)
        else:
            entry[key] = value
    (folder / "series.yaml").write_text(yaml.safe_dump(meta, sort_keys=False))
    with pytest.raises(rawdata.RawDataError, match=message):
        ingest.ingest(tmp_path / "src", tmp_path / "raw")
    assert not (tmp_path / "raw").exists()


def test_the_writer_refuses_what_a_touchstone_file_cannot_hold(tmp_path):
    ds = rawdata.load(RAW / "cavity_cal.nc")
    with pytest.raises(touchstone.TouchstoneError, match=r"a .s2p needs S21, S11 and S22; missing \['S21'\]"):
        touchstone.write_s2p(ds.isel(trace=[1, 2]), tmp_path / "x.s2p")
    with pytest.raises(touchstone.TouchstoneError, match="a .s1p holds a reflection"):
        touchstone.write_s1p(ds, "S21", tmp_path / "x.s1p")
