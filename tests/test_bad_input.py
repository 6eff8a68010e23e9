"""Bad input end to end and property-based config validation (docs/bad_inputs.md lists every case).

Each workflow-level case runs one step on a broken copy of the raw data and checks the three
promises: a non-zero exit, a message naming the file or key and the problem, and no output of
the failed step left in the results directory.
"""

import shutil

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ROOT, snakemake
from entangled_drums import fitting, rawdata

CONFIG = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())


def _broken_raw(tmp_path, name, mutate):
    raw = tmp_path / "raw"
    shutil.copytree(ROOT / "data" / "raw", raw)
    ds = rawdata.load(raw / name)
    ds = mutate(ds.copy(deep=True))
    (raw / name).unlink()
    ds.to_netcdf(raw / name, engine="h5netcdf")
    rawdata.write_manifest(raw)
    return raw


def _nan_psd(ds):
    values = ds["psd"].values.copy()
    values[0, 3] = np.nan
    ds["psd"] = (ds["psd"].dims, values, ds["psd"].attrs)
    return ds


@pytest.mark.workflow
@pytest.mark.parametrize(
    "case,name,mutate,message",
    [
        ("NaN in a PSD", "thermal_cal_drum1.nc", _nan_psd, "non-finite"),
        ("wrong units", "thermal_cal_drum2.nc", lambda ds: ds.assign(psd=ds["psd"].assign_attrs(units="dBm")), "units"),
    ],
)
def test_bad_raw_file_stops_the_step_and_leaves_nothing(code_copy, tmp_path, case, name, mutate, message):
    raw = _broken_raw(tmp_path, name, mutate)
    out = tmp_path / "out"
    proc = snakemake(
        code_copy,
        "--cores",
        "1",
        "--config",
        f"raw_dir={raw}",
        f"results_dir={out}",
        "--",
        "thermal_calibration",
        check=False,
    )
    text = proc.stdout + proc.stderr + "".join(p.read_text() for p in (out / "logs").glob("*.log"))
    assert proc.returncode != 0, case
    assert name in text and message in text, (case, text[-3000:])
    assert not (out / "calibration" / "thermal.json").exists()
    assert not list(out.glob("notebooks/02_*"))
    assert not list(out.rglob("*.partial"))


@pytest.mark.workflow
def test_checksum_mismatch_stops_the_workflow(code_copy, tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(ROOT / "data" / "raw", raw)
    with open(raw / "thermal_cal_drum1.nc", "r+b") as fh:  # flip one byte deep inside the file
        fh.seek(4000)
        byte = fh.read(1)
        fh.seek(4000)
        fh.write(bytes([byte[0] ^ 0xFF]))
    out = tmp_path / "out"
    proc = snakemake(
        code_copy,
        "--cores",
        "1",
        "--config",
        f"raw_dir={raw}",
        f"results_dir={out}",
        "--",
        "thermal_calibration",
        check=False,
    )
    text = proc.stdout + proc.stderr + "".join(p.read_text() for p in (out / "logs").glob("*.log"))
    assert proc.returncode != 0 and "thermal_cal_drum1.nc" in text and "checksum" in text.lower()
    assert not (out / "calibration" / "thermal.json").exists()


def test_a_failing_fit_names_itself():
    with pytest.raises(fitting.FitError, match="pump fit of X1"):
        fitting.fit(lambda x: np.array([np.nan, 1.0]) * x[0], np.array([1.0]), ["a"], label="pump fit of X1")


def test_an_unconstrained_fit_names_itself():
    with pytest.raises(fitting.FitError, match="sideband fit: singular covariance|sideband fit: covariance"):
        fitting.fit(
            lambda x: np.array([x[0] + x[1] - 1.0, 2 * (x[0] + x[1]) - 2.0]),
            np.array([0.3, 0.2]),
            ["a", "b"],
            label="sideband fit",
        )


# --- config validation, property based ----------------------------------------------------------


def _validate(config):
    from snakemake.utils import validate

    validate(config, str(ROOT / "workflow" / "schemas" / "config.schema.yaml"))


def _leaves(tree, prefix=()):
    for key, value in tree.items():
        if isinstance(value, dict):
            yield from _leaves(value, prefix + (key,))
        else:
            yield prefix + (key,), value


LEAVES = [(path, value) for path, value in _leaves(CONFIG)]


def _set(config, path, value):
    import copy

    config = copy.deepcopy(config)
    node = config
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return config


def test_the_shipped_config_is_valid():
    _validate(CONFIG)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(LEAVES), st.sampled_from([None, "text", [1, 2], {"x": 1}, True]))
def test_a_wrong_type_anywhere_is_rejected_and_named(leaf, bad):
    from snakemake.exceptions import WorkflowError

    path, value = leaf
    if isinstance(bad, type(value)) and not isinstance(value, bool) or bad == value:
        return  # not a type change
    if isinstance(value, str) and bad == "text":
        return
    with pytest.raises(WorkflowError) as err:
        _validate(_set(CONFIG, path, bad))
    assert path[-1] in str(err.value) or "Error validating config" in str(err.value)


@settings(max_examples=30, deadline=None)
@given(st.sampled_from([p for p, _ in LEAVES]), st.from_regex(r"[a-z]{3,10}_typo", fullmatch=True))
def test_an_unknown_key_anywhere_is_rejected_and_named(path, key):
    from snakemake.exceptions import WorkflowError

    parent = path[:-1]  # under "datasets" the new key is an invalid data set name, elsewhere an unknown field
    config = _set(CONFIG, parent + (key,), 1) if parent else dict(CONFIG, **{key: 1})
    with pytest.raises(WorkflowError) as err:
        _validate(config)
    assert key in str(err.value)
