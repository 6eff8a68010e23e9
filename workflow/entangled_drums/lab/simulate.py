"""The simulated laboratory: every raw series of the schema, as a real experiment would record it.

Draws each measurement series of docs/model.md §5 from the laboratory's own forward model
(:mod:`.circuit`, all tones at once in the lab frame, with the couplings the analysis neglects) and its
own instrument (:mod:`.analyser`), for one replica of the experiment (:class:`.truth.Lab`): the
cavity's network-analyser sweeps, thermal and sideband-cooling calibrations of each drum, the probe
calibration, the pump spectra of every data set and the probe spectra (with their probes-off
backgrounds) of the data sets the truth file names. Every imperfection of ``config/simulation.yaml``
(docs/model.md §6) is on unless its switch says otherwise. The derived true quantities, computed by
the same forward model, go to ``simulation_truth.json`` *outside* the raw-data directory.

    python -m entangled_drums.lab.simulate --truth config/simulation.yaml --out data/raw [--seed N]

The output is byte-identical for the same truth and seed on one machine.
"""

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from ..data import rawdata
from . import analyser
from .circuit import output_spectrum
from .truth import Lab, TruthError, load, rng

#: Gauss-Hermite nodes and normalised weights (probabilists') for averaging over a Gaussian fluctuation (3 nodes:
#: exact to 5th order in it).
_GH_X, _GH_W = np.polynomial.hermite_e.hermegauss(3)
_GH_W = _GH_W / _GH_W.sum()
#: How far the forward model's lattice reaches from the component asked for: components within NEAR Hz of
#: their resonance up to HOPS couplings away, off-resonant ones one coupling beyond a near one. With four
#: tones the near-resonant network (pumps and probes scattering each other's sidebands) needs 6 couplings
#: for 2e-4 relative accuracy of the probe spectra (8: < 1e-5; tests/test_lab.py); two pumps close in 2.
HOPS, NEAR = 6, 1.5e6


def spectrum(circuit, tones, f, x_ref, options):
    """The output spectrum (quanta) at offsets ``f`` with the forward model's ``options``. With the cross terms
    off it is the analysis' picture: the pumps' field and the probes' field as two cavity modes at one frequency,
    each scattered only by its own tones, the cavity's bath counted once."""
    if options.get("cross_terms", True) or not any(t.family == "probe" for t in tones):
        return output_spectrum(circuit, tones, f, x_ref=x_ref, **options)
    pump = output_spectrum(circuit, tones, f, x_ref=x_ref, seed_family="pump", **options)
    probe = output_spectrum(circuit, tones, f, x_ref=x_ref, seed_family="probe", **options)
    return pump + probe - output_spectrum(circuit, [], f, **options)


def _windows(centres, half_width, bins):
    """Uniform grids (Hz offsets from f_c) around each centre: list of (centre, grid); bin spacing."""
    return [(c, np.linspace(c - half_width, c + half_width, bins)) for c in centres], 2.0 * half_width / (bins - 1)


def emitted(lab, circuit, tones, windows, rbw, drum_jitter=False):
    """The emitted spectrum (quanta) on every window's grid as the analyser sees it: through its Gaussian
    resolution filter of 3 dB width ``rbw`` (a 5-node Gauss-Hermite rule across it, exact to the filter's ninth
    moment: near the stability edge the pump spectra have features ~1 kHz wide, two RBW, where a second-order
    expansion of the filter errs by ~7 %) and, with ``drum_jitter``, averaged over the drums' quasi-static frequency
    noise (3 Gauss-Hermite nodes each). Returns the concatenated grid's values."""
    on = lab.on
    options = dict(lab.options(), max_hops=HOPS, near=NEAR)
    dx, wx = analyser.rbw_nodes(rbw) if on["rbw_filter"] else (np.zeros(1), np.ones(1))
    sigma_f = float(lab.raw["noise"]["drum_frequency_hz"]) if (drum_jitter and on["frequency_noise"]) else 0.0
    jx, jw = (_GH_X, _GH_W) if sigma_f > 0 else (np.zeros(1), np.ones(1))
    out = []
    for centre, grid in windows:
        fine = (grid[:, None] + dx[None, :]).ravel()
        S = np.zeros(grid.size)
        for a, wa in zip(jx, jw, strict=True):
            for b, wb in zip(jx, jw, strict=True):
                c = circuit if sigma_f == 0 else _with_offsets(circuit, sigma_f * a, sigma_f * b)
                values = spectrum(c, tones, fine, centre, options).reshape(grid.size, dx.size)
                S += wa * wb * (values @ wx)
        out.append(S)
    return np.concatenate(out)


def _with_offsets(circuit, d1, d2):
    from dataclasses import replace

    return replace(circuit, f1=circuit.f1 + d1, f2=circuit.f2 + d2)


def _trace(lab, stream, role, f_lab, S, rbw, duration, gain_db, session, **extra):
    """One recorded trace: the mean PSD with the line's ripple, averaged as the series' analyser mode says.
    ``session``: the measurement session (a data set; a calibration series) whose traces share the standing
    wave's phase (the cable's temperature moves it between sessions, hours apart)."""
    cfg = lab.raw["instrument"]["analyser"][role]
    n_avg = analyser.averages(
        cfg["mode"], duration, rbw, f_lab.size, cfg.get("window", "hann"), cfg.get("overlap", 0.5)
    )
    shape = 1.0
    if lab.on["ripple"]:
        rp = lab.raw["instrument"]["ripple"]
        theta = rng(lab.seed, f"ripple:{session}").uniform(0, 2 * np.pi)
        shape = analyser.ripple(f_lab, lab.f_c, float(rp["amplitude"]), float(rp["delay_ns"]) * 1e-9, theta)
    mean = analyser.mean_psd(S, f_lab, gain_db, float(lab.raw["instrument"]["n_add"]), shape)
    return dict(
        frequency=f_lab, psd=analyser.draw(stream, mean, n_avg), rbw=rbw, n_averages=n_avg, duration=duration, **extra
    )


def _series(lab, role, dataset, description, traces, **attrs):
    cfg = lab.raw["instrument"]["analyser"][role]
    mode = {"analyser_mode": cfg["mode"]}
    if cfg["mode"] == "fft":
        mode.update(fft_window=cfg.get("window", "hann"), fft_overlap=float(cfg.get("overlap", 0.5)))
    return rawdata.new_series(role, dataset, description, traces, **mode, **attrs)


# --- the calibrations ------------------------------------------------------------------------------
def cavity_response(lab, port, f_offset):
    """The cavity's S-parameters at offsets from f_c, pumps off: ``S21 = sqrt(k_in k_out) chi``,
    ``S11 = 1 - k_in chi``, ``S22 = 1 - k_out chi``, ``chi = 1 / (kappa/2 + i f)``."""
    d = lab.raw["device"]
    chi = 1.0 / (0.5 * lab.kappa + 1j * np.asarray(f_offset))
    k_in, k_out = float(d["kappa_in"]), float(d["kappa_out"])
    return {"S21": np.sqrt(k_in * k_out) * chi, "S11": 1.0 - k_in * chi, "S22": 1.0 - k_out * chi}[port]


def cavity_cal(lab):
    """Network-analyser sweeps of the cavity: transmission and both reflections, each through its own line."""
    cfg = lab.raw["calibrations"]["cavity"]
    stream = rng(lab.seed, "cavity_cal")
    offsets = np.linspace(-float(cfg["span"]), float(cfg["span"]), int(cfg["bins"]))
    traces = []
    for port, line in cfg["lines"].items():
        level = 10 ** (float(line["level_dB"]) / 20) * np.exp(1j * np.radians(float(line["phase_deg"])))
        baseline = (
            level
            * np.exp(-2j * np.pi * float(line["delay_ns"]) * 1e-9 * offsets)
            * (1.0 + float(line["slope_per_MHz"]) * offsets / 1e6)
        )
        noise = (
            float(cfg["noise"])
            * abs(level)
            * (stream.standard_normal(offsets.size) + 1j * stream.standard_normal(offsets.size))
            / np.sqrt(2)
        )
        traces.append(
            {
                "frequency": lab.f_c + offsets,
                "s": baseline * cavity_response(lab, port, offsets) + noise,
                "port": port,
                "if_bandwidth": float(cfg["if_bandwidth"]),
                "fridge_temperature": lab.T_base,
                "label": port,
            }
        )
    return rawdata.new_sweeps(
        "cavity",
        "cavity response: network-analyser sweeps of the transmission (S21) and the "
        "reflection at the input (S11) and output (S22) ports, pumps off",
        traces,
    )


def _single_tone(lab, drum, G):
    """Settings of one red tone on ``drum``'s nominal sideband set for coupling ``G``."""
    f = lab.f_c - lab.f_nom[drum]
    return {"pump_red": (f, lab.power_for(G, f, drum), "pump", 0.0)}


def thermal_cal(lab, drum):
    cfg = lab.raw["calibrations"]["thermal"]
    stream = rng(lab.seed, f"thermal_cal_drum{drum}")
    settings = _single_tone(lab, drum, float(cfg["G"]))
    tones, shift, n_pn = lab.tones(lab.device_settings(settings))
    windows, rbw = _windows([0.0], float(cfg["span"]), int(cfg["bins"]))
    traces = []
    for T in cfg["temperatures"]:
        circuit = lab.circuit(0.0, lab.occupation(1, T), lab.occupation(2, T), shift, n_pn)
        S = emitted(lab, circuit, tones, windows, rbw, drum_jitter=True)
        traces.append(
            _trace(
                lab,
                stream,
                "thermal_cal",
                lab.f_c + windows[0][1],
                S,
                rbw,
                float(cfg["duration"]),
                lab.gain_dB(),
                f"thermal_cal_drum{drum}",
                fridge_temperature=T,
                tones=Lab.recorded(settings),
                label=f"T={T * 1e3:.0f}mK",
            )
        )
    return _series(
        lab,
        "thermal_cal",
        f"drum{drum}",
        f"thermal calibration of drum {drum}: weak red tone on its sideband, fridge temperature swept",
        traces,
        drum=drum,
    )


def sideband_cal(lab, drum):
    cfg = lab.raw["calibrations"]["sideband"]
    stream = rng(lab.seed, f"sideband_cal_drum{drum}")
    gamma = float(lab.raw["device"][f"gamma{drum}"])
    traces = []
    for G in cfg["G"]:
        G = float(G)
        settings = _single_tone(lab, drum, G)
        tones, shift, n_pn = lab.tones(lab.device_settings(settings))
        width = gamma + 4 * G * G / lab.kappa
        windows, rbw = _windows([0.0], max(6.0 * width, 2e3), int(cfg["bins"]))
        circuit = lab.circuit(float(cfg["n_c_per_G2"]) * G * G, shift=shift, n_input_extra=n_pn)
        S = emitted(lab, circuit, tones, windows, rbw, drum_jitter=True)
        p = settings["pump_red"][1]
        traces.append(
            _trace(
                lab,
                stream,
                "sideband_cal",
                lab.f_c + windows[0][1],
                S,
                rbw,
                float(cfg["duration"]),
                lab.gain_dB(),
                f"sideband_cal_drum{drum}",
                fridge_temperature=lab.T_base,
                tones=Lab.recorded(settings),
                label=f"P={p:.2f}dBm",
            )
        )
    return _series(
        lab,
        "sideband_cal",
        f"drum{drum}",
        f"sideband-cooling calibration of drum {drum}: one red tone on its sideband, power swept",
        traces,
        drum=drum,
    )


def probe_cal(lab):
    cfg = lab.raw["calibrations"]["probe"]
    stream = rng(lab.seed, "probe_cal")
    omega = 0.5 * (lab.f_nom[2] - lab.f_nom[1])
    windows, rbw = _windows([-omega, omega], float(cfg["span"]), int(cfg["bins_per_window"]))
    traces = []
    for g in cfg["g"]:
        settings = lab.probe_settings(None, float(g))
        tones, shift, n_pn = lab.tones(lab.device_settings(settings))
        circuit = lab.circuit(0.0, shift=shift, n_input_extra=n_pn)
        S = emitted(lab, circuit, tones, windows, rbw, drum_jitter=True)
        f_lab = lab.f_c + np.concatenate([w for _, w in windows])
        traces.append(
            _trace(
                lab,
                stream,
                "probe_cal",
                f_lab,
                S,
                rbw,
                float(cfg["duration"]),
                lab.gain_dB(),
                "probe_cal",
                fridge_temperature=lab.T_base,
                tones=Lab.recorded(settings),
                label=f"g={float(g) / 1e3:.0f}kHz",
            )
        )
    return _series(
        lab,
        "probe_cal",
        "probe",
        "probe calibration: both probes, pumps off, base temperature, probe power swept",
        traces,
    )


# --- the data sets ---------------------------------------------------------------------------------
def operating_point(lab, name, probes=False, phase=0.0):
    """(circuit, tones, shift, settings) of data set ``name``, with the probes at quadrature angle ``phase``."""
    settings = lab.pump_settings(name)
    if probes:
        settings = {**settings, **lab.probe_settings(name)}
    phases = {"probe_red": -phase, "probe_blue": phase}
    tones, shift, n_pn = lab.tones(lab.device_settings(settings), phases)
    n_c, n_m1, n_m2 = lab.baths(name)
    return lab.circuit(n_c, n_m1, n_m2, shift, n_pn, lab.drum_offsets(name)), tones, shift, settings


def pump_series(lab, series, members):
    cfg = lab.raw["pump_spectra"]
    stream = rng(lab.seed, f"pump_{series}")
    omega = 0.5 * (lab.f_nom[2] - lab.f_nom[1])
    windows, rbw = _windows([0.0, 2 * omega], float(cfg["window"]), int(cfg["bins_per_window"]))
    f_lab = lab.f_c + np.concatenate([w for _, w in windows])
    traces = []
    for name in members:
        circuit, tones, _, settings = operating_point(lab, name)
        S = emitted(lab, circuit, tones, windows, rbw)
        traces.append(
            _trace(
                lab,
                stream,
                "pump",
                f_lab,
                S,
                rbw,
                float(cfg["duration"]),
                lab.gain_dB(name),
                name,
                fridge_temperature=lab.T_base,
                tones=Lab.recorded(settings),
                label=name,
            )
        )
    return _series(lab, "pump", series, f"pump spectra of data set {series} (two pumps, probes off)", traces)


def probe_series(lab, name):
    cfg = lab.raw["probes"]
    stream = rng(lab.seed, f"probe_{name}")
    omega = 0.5 * (lab.f_nom[2] - lab.f_nom[1])
    windows, rbw = _windows([-omega, omega], float(cfg["window"]), int(cfg["bins_per_window"]))
    f_lab = lab.f_c + np.concatenate([w for _, w in windows])
    offset = np.deg2rad(lab.phase_offset_deg)
    jitter = np.deg2rad(float(cfg["phase_jitter_deg"][name]))
    error = np.deg2rad(float(cfg["phase_error_deg"]))
    jx, jw = _GH_X, _GH_W
    traces = []
    for setpoint in cfg["setpoints_deg"]:
        mean_phase = np.deg2rad(setpoint) + offset + error * stream.standard_normal()
        S = np.zeros(f_lab.size)
        for x, w in zip(jx, jw, strict=True):  # the phase wanders within the acquisition
            circuit, tones, _, settings = operating_point(lab, name, True, mean_phase + jitter * x)
            S += w * emitted(lab, circuit, tones, windows, rbw)
        traces.append(
            _trace(
                lab,
                stream,
                "probe",
                f_lab,
                S,
                rbw,
                float(cfg["duration"]),
                lab.gain_dB(name),
                name,
                fridge_temperature=lab.T_base,
                tones=Lab.recorded(settings),
                probe_phase_setpoint=float(setpoint),
                label=f"{name} phase={setpoint:g}deg",
            )
        )
    probe = _series(
        lab,
        "probe",
        name,
        f"BAE probe spectra of data set {name} (pumps and probes on) at several probe phases",
        traces,
    )
    circuit, tones, _, settings = operating_point(lab, name)
    S_bg = emitted(lab, circuit, tones, windows, rbw)
    background = _series(
        lab,
        "background",
        name,
        f"background for the probe spectra of {name}: pumps on, probes off, same grid",
        [
            _trace(
                lab,
                stream,
                "background",
                f_lab,
                S_bg,
                rbw,
                float(cfg["duration"]),
                lab.gain_dB(name),
                name,
                fridge_temperature=lab.T_base,
                tones=Lab.recorded(settings),
                label=f"{name} background",
            )
        ],
    )
    return probe, background


def groups(raw):
    """Pump series -> the data sets it holds, in the truth file's order."""
    out = {}
    for name, spec in raw["datasets"].items():
        out.setdefault(str(spec["series"]), []).append(name)
    return out


def simulate(truth_path, out_dir, truth_json=None, seed=None):
    """Write every raw series, the manifest and (optionally) the derived truth. Returns the written paths."""
    from .derived import derived_truth

    raw = load(truth_path)
    lab = Lab(raw, seed)
    out_dir = Path(out_dir)
    series = {"cavity_cal": cavity_cal(lab)}
    for drum in (1, 2):
        series[f"thermal_cal_drum{drum}"] = thermal_cal(lab, drum)
        series[f"sideband_cal_drum{drum}"] = sideband_cal(lab, drum)
    series["probe_cal"] = probe_cal(lab)
    for name, members in groups(raw).items():
        series[f"pump_{name}"] = pump_series(lab, name, members)
    for name in raw["probes"]["datasets"]:
        series[f"probe_{name}"], series[f"background_{name}"] = probe_series(lab, name)
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in out_dir.glob("*.nc"):
        if stale.stem not in series:
            stale.unlink()
    paths = [rawdata.write(ds, out_dir / f"{stem}.nc") for stem, ds in series.items()]
    paths.append(rawdata.write_manifest(out_dir))
    if truth_json is not None:
        derived = derived_truth(lab)
        derived["seed"] = lab.seed
        derived["truth_file"] = str(truth_path)
        Path(truth_json).parent.mkdir(parents=True, exist_ok=True)
        Path(truth_json).write_text(json.dumps(derived, indent=2, sort_keys=True) + "\n")
        paths.append(Path(truth_json))
    return paths


def main(argv=None):
    parser = argparse.ArgumentParser(description="Simulate the raw spectra of the experiment from a truth file.")
    parser.add_argument("--truth", required=True, help="truth YAML (e.g. config/simulation.yaml)")
    parser.add_argument("--out", required=True, help="directory for the raw NetCDF files and MANIFEST.sha256")
    parser.add_argument("--truth-json", help="where to write the derived true quantities (keep it outside --out)")
    parser.add_argument("--seed", type=int, help="override the truth file's seed (another replica)")
    args = parser.parse_args(argv)
    if args.truth_json and Path(args.truth_json).resolve().parent == Path(args.out).resolve():
        parser.error("--truth-json must not be inside the raw-data directory (the analysis reads that directory)")
    try:
        paths = simulate(args.truth, args.out, args.truth_json, args.seed)
    except TruthError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"wrote {len(paths)} files to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
