"""Raw data: the archive validates, regenerates (byte-identically on one machine), and bad input fails clearly."""

import json
import shutil

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ROOT
from entangled_drums import rawdata
from entangled_drums.lab.simulate import simulate

RAW = ROOT / "data" / "raw"
TRUTH_JSON = ROOT / "data" / "simulation_truth.json"


def test_archive_validates_and_is_small():
    series = rawdata.load_directory(RAW)
    roles = {ds.attrs["role"] for ds in series.values()}
    assert roles == set(rawdata.ROLES) | {rawdata.SWEEP_ROLE}
    assert sum(p.stat().st_size for p in RAW.iterdir()) < 20e6
    probe = series["probe_C"]
    assert probe.sizes["trace"] >= 12 and series["probe_D"].sizes["trace"] >= 12
    assert series["sideband_cal_drum1"].sizes["trace"] >= 5 and series["sideband_cal_drum2"].sizes["trace"] >= 5
    assert all(ds.attrs["source"] == "simulated" for ds in series.values())


def test_make_simulate_regenerates_the_archive(tmp_path):
    """Same machine: byte-identical (two runs). Against the committed archive, perhaps made on another CPU: equal
    within 1e-8 relative (the laboratory diagonalises its lattices with LAPACK, whose last bits depend on the CPU's
    SIMD paths and grow with the eigenbasis' condition; the laboratory checks each solve against direct ones to
    1e-9, tests/test_lab.py, so 1e-8 bounds what a correct regeneration can differ by)."""
    simulate(ROOT / "config" / "simulation.yaml", tmp_path / "a" / "raw", tmp_path / "a" / "truth.json")
    simulate(ROOT / "config" / "simulation.yaml", tmp_path / "b" / "raw", tmp_path / "b" / "truth.json")
    assert (tmp_path / "a" / "raw" / "MANIFEST.sha256").read_text() == (
        tmp_path / "b" / "raw" / "MANIFEST.sha256"
    ).read_text()
    fresh, archived = rawdata.load_directory(tmp_path / "a" / "raw"), rawdata.load_directory(RAW)
    assert fresh.keys() == archived.keys()
    for name, ds in archived.items():
        for var in ds.data_vars:
            a, b = fresh[name][var].values, ds[var].values
            if a.dtype.kind == "f":
                np.testing.assert_allclose(a, b, rtol=1e-8, atol=0, err_msg=f"{name}.{var}")
            else:
                assert np.array_equal(a, b), f"{name}.{var}"
        assert fresh[name].attrs == ds.attrs, name
    truth = json.loads((tmp_path / "a" / "truth.json").read_text())["datasets"]
    for name, values in json.loads(TRUTH_JSON.read_text())["datasets"].items():
        for key, v in values.items():
            if isinstance(v, dict):
                v, got = list(v.values()), list(truth[name][key].values())
                assert got == pytest.approx(v, rel=1e-8, abs=1e-12), f"{name}.{key}"
            elif key.endswith("_deg"):
                # an angle, absolutely: Duan's minimum moves by dDuan / (2 sqrt(b^2 + c^2)) rad (lab.derived.optimum);
                # with the variances to 1e-8 and sqrt(b^2 + c^2) > 0.6 a in the archive, < 1e-8 rad = 6e-7 deg
                assert truth[name][key] == pytest.approx(v, rel=0, abs=1e-5), f"{name}.{key}"
            else:
                assert truth[name][key] == pytest.approx(v, rel=1e-8, abs=1e-12), f"{name}.{key}"


def test_truth_file_contract_and_location():
    truth = json.loads(TRUTH_JSON.read_text())
    assert TRUTH_JSON.parent != RAW
    for name in ("C", "D"):
        entry = truth["datasets"][name]
        for key in (
            "Xplus",
            "Pminus",
            "duan",
            "phi_opt_deg",
            "probe_imbalance",
            "probe_correction",
            "G_minus",
            "G_plus",
            "n_c",
            "n_m1",
            "n_m2",
            "delta_minus",
            "delta_plus",
            "g_ratio",
        ):
            assert key in entry, (name, key)
    c, d = truth["datasets"]["C"], truth["datasets"]["D"]
    # near the paper's C (0.41, 0.42, 0.83, each within its +- 0.04, 0.08, 0.13 but X+): the sloped input line gives
    # the blue pump 0.45 dB less than set, so C is less squeezed than set for (docs/model.md §6), close to the bound
    # as the paper's 98 % says
    assert 0.41 <= c["Xplus"] <= 0.48 and 0.41 <= c["Pminus"] <= 0.47 and 0.83 <= c["duan"] <= 0.94
    assert d["duan"] < c["duan"]
    for name in (
        "B1",
        "B2",
    ):  # docs/model.md §2: B is stable only as Delta < 0 here (B3, set at -0.1 kHz, moves by the drums drift)
        assert truth["datasets"][name]["delta_plus"] - truth["datasets"][name]["delta_minus"] < 0


def test_the_raw_files_record_the_analysers_mode_and_its_averages():
    """Every spectrum series states how its analyser averaged (swept: dwell per bin; FFT: window and overlap), and
    its n_averages are what that mode gives for the trace's duration, RBW and bins (the laboratory's analyser); the
    archive's pump spectra are swept (~400 averages per bin), not the gap-free ceiling duration x RBW."""
    from entangled_drums.lab import analyser

    for name, ds in rawdata.load_directory(RAW).items():
        if ds.attrs["role"] == rawdata.SWEEP_ROLE:
            continue
        mode = ds.attrs["analyser_mode"]
        for i in range(ds.sizes["trace"]):
            n = analyser.averages(
                mode,
                float(ds["duration"].values[i]),
                float(ds["rbw"].values[i]),
                ds.sizes["bin"],
                ds.attrs.get("fft_window", "hann"),
                float(ds.attrs.get("fft_overlap", 0.5)),
            )
            assert int(ds["n_averages"].values[i]) == n, (name, i)
    stated = yaml.safe_load((ROOT / "config" / "simulation.yaml").read_text())["instrument"]["analyser"]
    for name, ds in rawdata.load_directory(RAW).items():
        if ds.attrs["role"] != rawdata.SWEEP_ROLE:
            assert ds.attrs["analyser_mode"] == stated[ds.attrs["role"]]["mode"], name


def test_averaged_traces_follow_the_gamma_law():
    """The laboratory's averaged bins: mean of N exponentials, Gamma(N, mean/N): normalised residuals mean 0, sd 1."""
    from entangled_drums.lab import analyser

    rng = np.random.default_rng(5)
    mean = np.linspace(1.0, 3.0, 20000)
    for n in (1, 40, 400):
        z = (analyser.draw(rng, mean, n) - mean) / (mean / np.sqrt(n))
        assert abs(z.mean()) < 4 / np.sqrt(z.size)
        assert z.std() == pytest.approx(1.0, abs=0.03)


# --- bad input: each case names the file and the problem -------------------------------------


def _copy(tmp_path, name="pump_C.nc"):
    dest = tmp_path / name
    shutil.copy(RAW / name, dest)
    return dest


def _rewrite(tmp_path, mutate, name="pump_C.nc"):
    ds = rawdata.load(RAW / name)
    ds = mutate(ds.copy(deep=True))
    path = tmp_path / name
    ds.to_netcdf(path, engine="h5netcdf")
    return path


@pytest.mark.parametrize(
    "mutate,message",
    [
        (lambda ds: ds.drop_vars("rbw"), "missing variable 'rbw'"),
        (lambda ds: ds.assign_attrs(role="pumps"), "attribute 'role'"),
        (lambda ds: _drop_attr(ds, "dataset"), "missing attribute 'dataset'"),
        (lambda ds: _set_units(ds, "psd", "dBm/Hz"), "variable 'psd' has units 'dBm/Hz', expected 'W/Hz'"),
        (lambda ds: _set_units(ds, "frequency", "MHz"), "variable 'frequency' has units 'MHz'"),
        (lambda ds: _drop_units(ds, "duration"), "variable 'duration' has no 'units' attribute"),
        (lambda ds: _poke(ds, "psd", np.nan), "'psd' has 1 non-finite values"),
        (lambda ds: _poke(ds, "psd", -1e-18), "'psd' must be > 0"),
        (lambda ds: _poke(ds, "frequency", 5.0e9), "frequency axis of trace 0 is not strictly increasing"),
        (
            lambda ds: ds.assign(psd=(("trace", "bin2"), ds["psd"].values[:, :-1], ds["psd"].attrs)),
            "variable 'psd': dims",
        ),
        (lambda ds: ds.assign(tone_power=ds["tone_power"] * 0 + rawdata.OFF_DBM), "has no tone switched on"),
        (lambda ds: ds.isel(trace=slice(0, 0)), "empty data set"),
        (lambda ds: ds.assign(n_averages=ds["n_averages"] * 0.5 + 0.25), "whole numbers"),
        # the instrument model (docs/model.md §5): power averaging, bins at least one RBW apart
        (lambda ds: ds.assign_attrs(averaging="log_power"), "averaging is 'log_power': a trace averaged in log power"),
        (lambda ds: ds.assign_attrs(averaging="rms"), "attribute 'averaging' = 'rms' is not allowed"),
        (lambda ds: _drop_attr(ds, "averaging"), "missing attribute 'averaging'"),
        (lambda ds: ds.assign(rbw=ds["rbw"] * 1.5), "has bins 500 Hz apart, closer than its RBW 750 Hz"),
        (
            lambda ds: ds.assign_attrs(schema_version=1),
            "schema_version is 1, this workflow reads version 3 (version 1 did not record how the analyser averaged",
        ),
        (
            lambda ds: ds.assign_attrs(schema_version=2),
            "schema_version is 2, this workflow reads version 3 (version 2 did not record the analyser's mode",
        ),
        (lambda ds: _drop_attr(ds, "analyser_mode"), "missing attribute 'analyser_mode'"),
    ],
)
def test_bad_content_is_rejected_with_a_clear_message(tmp_path, mutate, message):
    path = _rewrite(tmp_path, mutate)
    with pytest.raises(rawdata.RawDataError) as err:
        rawdata.load(path)
    assert str(path) in str(err.value)
    assert message in str(err.value)


def _drop_attr(ds, key):
    ds.attrs.pop(key)
    return ds


def _set_units(ds, var, units):
    ds[var].attrs["units"] = units
    return ds


def _drop_units(ds, var):
    ds[var].attrs.pop("units")
    return ds


def _poke(ds, var, value):
    values = ds[var].values.copy()
    values[0, 5] = value
    ds[var] = (ds[var].dims, values, ds[var].attrs)
    return ds


def test_missing_file(tmp_path):
    with pytest.raises(rawdata.RawDataError, match=r"nope\.nc: raw data file not found"):
        rawdata.load(tmp_path / "nope.nc")


def test_truncated_file(tmp_path):
    path = _copy(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(rawdata.RawDataError, match=r"pump_C\.nc: cannot be read as NetCDF \(truncated or corrupt\?\)"):
        rawdata.load(path)


def test_checksum_mismatch_and_unlisted_files(tmp_path):
    directory = tmp_path / "raw"
    shutil.copytree(RAW, directory)
    ds = rawdata.load(directory / "pump_C.nc", manifest=tmp_path / "none")
    ds["psd"][0, 0] = ds["psd"][0, 0] * 1.01
    rawdata.write(ds, directory / "pump_C.nc")
    with pytest.raises(rawdata.RawDataError, match=r"pump_C\.nc: checksum mismatch against .*MANIFEST\.sha256"):
        rawdata.load(directory / "pump_C.nc")
    shutil.copy(directory / "pump_D.nc", directory / "extra.nc")
    with pytest.raises(rawdata.RawDataError, match="files not in MANIFEST.sha256: extra.nc"):
        rawdata.load_directory(directory)
    (directory / "MANIFEST.sha256").unlink()
    with pytest.raises(rawdata.RawDataError, match="manifest not found"):
        rawdata.load_directory(directory)


def test_simulator_refuses_truth_inside_raw_dir(tmp_path):
    from entangled_drums.lab.simulate import main

    with pytest.raises(SystemExit):
        main(
            [
                "--truth",
                str(ROOT / "config" / "simulation.yaml"),
                "--out",
                str(tmp_path),
                "--truth-json",
                str(tmp_path / "truth.json"),
            ]
        )


_finite = st.floats(1e-20, 1e-12, allow_nan=False)


@settings(deadline=None, max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    n_trace=st.integers(1, 4),
    n_bin=st.integers(2, 50),
    scale=_finite,
    seed=st.integers(0, 2**32 - 1),
    role=st.sampled_from(rawdata.ROLES),
)
def test_round_trip_property(tmp_path, n_trace, n_bin, scale, seed, role):
    """Any schema-conforming series survives write + load unchanged."""
    rng = np.random.default_rng(seed)
    traces = [
        dict(
            frequency=5.4e9 + np.cumsum(rng.uniform(10.0, 1e4, n_bin)),
            psd=scale * rng.uniform(0.5, 2, n_bin),
            rbw=10.0,
            n_averages=int(rng.integers(1, 600)),  # at most duration x RBW
            fridge_temperature=0.014,
            duration=60.0,
            tones={"pump_red": (5.49e9, float(rng.normal(10, 3)))},
            label=f"t{i}",
        )
        for i in range(n_trace)
    ]
    ds = rawdata.new_series(role, "X1", "property test", traces, analyser_mode="swept")
    path = rawdata.write(ds, tmp_path / f"{seed}.nc")
    back = rawdata.load(path, manifest=tmp_path / "none")
    np.testing.assert_array_equal(back["psd"].values, ds["psd"].values)
    np.testing.assert_array_equal(back["frequency"].values, ds["frequency"].values)
    assert back.attrs["role"] == role


def test_xarray_open_fails_for_garbage(tmp_path):
    path = tmp_path / "garbage.nc"
    path.write_bytes(b"not a netcdf file at all")
    with pytest.raises(rawdata.RawDataError, match="garbage.nc: cannot be read"):
        rawdata.load(path)
