"""Spectrum-analyser CSV + YAML in, schema NetCDF out (entangled_drums.data.ingest)."""

import shutil

import numpy as np
import pytest

from conftest import ROOT
from entangled_drums import ingest, rawdata

RAW = ROOT / "data" / "raw"
VARIABLES = (
    "frequency",
    "psd",
    "rbw",
    "n_averages",
    "fridge_temperature",
    "duration",
    "tone_frequency",
    "tone_power",
    "probe_phase_setpoint",
    "label",
)
SWEEP_VARIABLES = ("frequency", "s_real", "s_imag", "port", "if_bandwidth", "fridge_temperature", "label")


def _exported(tmp_path, column, files=None):
    src = tmp_path / "src"
    for path in sorted(RAW.glob("*.nc")) if files is None else [RAW / f for f in files]:
        ingest.export(path, src / path.stem, column=column, noise_bandwidth_factor=1.06)
    return src


@pytest.mark.parametrize("column", ["psd", "power_dBm"])
def test_every_archived_file_survives_csv_and_back(tmp_path, column):
    """Bit for bit through psd, within 1e-12 relative through power_dBm (with a noise-bandwidth factor)."""
    out = tmp_path / "raw"
    files = ingest.ingest(_exported(tmp_path, column), out)
    assert [p.name for p in files] == sorted(p.name for p in RAW.glob("*.nc"))
    assert set(rawdata.read_manifest(out / rawdata.MANIFEST)) == {p.name for p in files}
    for path in files:
        new, old = rawdata.load(path), rawdata.load(RAW / path.name)
        assert new.attrs == old.attrs, path.name
        for var in SWEEP_VARIABLES if old.attrs["role"] == rawdata.SWEEP_ROLE else VARIABLES:
            a, b = new[var].values, old[var].values
            if column == "power_dBm" and var == "psd":
                np.testing.assert_allclose(a, b, rtol=1e-12, atol=0, err_msg=path.name)
            else:
                assert np.array_equal(a, b), (path.name, var)


def _break(src, how):
    folder = src / "pump_C"
    csv = folder / "trace000.csv"
    lines = csv.read_text().splitlines()
    if how == "missing column":
        csv.write_text("\n".join(["frequency,power"] + lines[1:]) + "\n")
    elif how == "text in a number":
        lines[5] = lines[5].split(",")[0] + ",abc"
        csv.write_text("\n".join(lines) + "\n")
    elif how == "frequency not increasing":
        lines[7] = lines[5]
        csv.write_text("\n".join(lines) + "\n")
    elif how == "listed without its file":
        csv.unlink()
    elif how == "file without its entry":
        shutil.copy(csv, folder / "extra.csv")
    elif how in ("averaging not stated", "log-averaged"):
        meta = (folder / "series.yaml").read_text().replace("averaging: power\n", "")
        (folder / "series.yaml").write_text(meta if how == "averaging not stated" else "averaging: log_power\n" + meta)
    elif how == "bins closer than the RBW":
        meta = (folder / "series.yaml").read_text().replace("rbw: 500.0", "rbw: 1000.0")
        (folder / "series.yaml").write_text(meta)


@pytest.mark.parametrize(
    "how, message",
    [
        ("missing column", r"pump_C/trace000.csv: no column 'psd' \(W/Hz\) or 'power_dBm'"),
        ("text in a number", r"pump_C/trace000.csv: row 6, column 'psd': 'abc' is not a number"),
        ("frequency not increasing", r"pump_C/trace000.csv: row 8, column 'frequency': .* not above the previous row"),
        ("listed without its file", r"pump_C/series.yaml: traces\[0\] lists 'trace000.csv', which is not in"),
        ("file without its entry", r"pump_C: CSV files without an entry in series.yaml: extra.csv"),
        (
            "averaging not stated",
            r"pump_C/series.yaml: missing global attributes \['averaging'\] \(averaging: 'power' if",
        ),
        ("log-averaged", r"pump_C: averaging is 'log_power'"),
        ("bins closer than the RBW", r"pump_C: trace 0 has bins 500 Hz apart, closer than its RBW 1000 Hz"),
    ],
)
def test_bad_csv_input_is_rejected_and_nothing_is_written(tmp_path, capsys, how, message):
    src = _exported(tmp_path, "psd", ["pump_C.nc", "pump_D.nc"])
    _break(src, how)
    out = tmp_path / "raw"
    with pytest.raises(rawdata.RawDataError, match=message):  # IngestError is one
        ingest.ingest(src, out)
    assert ingest.main([str(src), "--out", str(out)]) == 1
    assert "error:" in capsys.readouterr().err
    assert not out.exists() and not list(tmp_path.glob(".raw.partial-*"))


def test_dbm_conversion_uses_rbw_and_noise_bandwidth():
    """0 dBm in a 1 kHz RBW with an ideal filter is 1 mW / 1 kHz = 1e-6 W/Hz; a 1.06 factor divides by 1.06."""
    assert ingest.dbm_to_psd(0.0, 1e3) == pytest.approx(1e-6, rel=1e-15)
    assert ingest.dbm_to_psd(0.0, 1e3, 1.06) == pytest.approx(1e-6 / 1.06, rel=1e-15)
    assert ingest.psd_to_dbm(ingest.dbm_to_psd(-97.3, 500.0, 1.06), 500.0, 1.06) == pytest.approx(-97.3, rel=1e-14)
