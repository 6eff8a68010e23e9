"""Instrument simulator: raw spectra as the experiment's analyser would record them.

Draws every measurement series of docs/model.md §5 from the full model with a documented truth
(``config/simulation.yaml``): the cavity's response (network-analyser sweeps of transmission and
of the reflection at both ports), thermal and sideband-cooling calibrations of each drum, the probe
calibration, the pump spectra A1-A3, B1-B3, C, D, and the probe spectra of C and D at 12 phases
with their probes-off backgrounds. Realism: Gamma-distributed averaging noise, line gain and
amplifier noise, drum-frequency offsets from the nominal values, probe phase offset, error and
jitter within an acquisition, the blue-side power deficit with pumps on (probe imbalance),
pump-heated baths, and drifts of the line gain and of the pump powers between the calibrations
and each data set's measurement (drawn per data set; the probe traces and their background share
their data set's drift). The derived true quantities go to ``simulation_truth.json`` *outside* the
raw-data directory.

    python -m entangled_drums.lab.simulate --truth config/simulation.yaml --out data/raw [--seed N]

The output is byte-identical for the same truth and seed on one machine (across CPUs, the
last bits may differ: numpy and numba choose SIMD code per CPU).
"""

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import yaml

from ..data import rawdata
from ..physics import drive, instrument
from ..physics.model import Params, collective_variances, optimal_phase, single_tone, steady_state
from ..physics.spectra import probe_signal, pump_spectrum
from ..physics.units import BOLTZMANN_K, PLANCK_H, bose_occupation
from ..readout.correction import area_correction

#: Gauss-Hermite nodes for averaging a spectrum over Gaussian phase jitter.
_GH_X, _GH_W = np.polynomial.hermite_e.hermegauss(7)
_GH_W = _GH_W / _GH_W.sum()


def load_truth(path):
    """Read a truth file (YAML)."""
    with open(path) as fh:
        return yaml.safe_load(fh)


class Truth:
    """Derived views of a truth dict: nominal vs true device, couplings, occupations."""

    def __init__(self, truth, nominal_f1=10.0e6, nominal_f2=11.3e6, seed=None):
        self.raw = truth
        self.seed = int(truth["seed"] if seed is None else seed)
        self.inst = truth["instrument"]
        self.dev = truth["device"]
        self.f_c = float(self.inst["f_c"])
        self.f1_nom, self.f2_nom = nominal_f1, nominal_f2
        g0_2 = float(self.dev["g0_2"])
        g0_1 = g0_2 * float(self.dev["g_ratio"])
        att = float(self.inst["line_attenuation_dB"])
        self.K = {
            d: drive.coupling_constant(g, float(self.dev["kappa_in"]), att, self.f_c) for d, g in ((1, g0_1), (2, g0_2))
        }
        self.blue_factor = 1.0 / float(truth["blue_imbalance_with_pumps"])  # amplitude factor on blue tones
        th = truth["thermal"]
        self.T_base = float(th["T_base"])
        self.power = float(th["saturation_power"])
        self.T_sat = {}
        for drum, n_base, f in ((1, th["n1_base"], self.dev["f1"]), (2, th["n2_base"], self.dev["f2"])):
            T_eff = PLANCK_H * float(f) / (BOLTZMANN_K * np.log1p(1.0 / float(n_base)))
            self.T_sat[drum] = (T_eff**self.power - self.T_base**self.power) ** (1.0 / self.power)

    def occupation(self, drum, T):
        """Drum occupation at fridge temperature T (K): Bose at T_eff = (T^p + T_sat^p)^(1/p)."""
        T_eff = (T**self.power + self.T_sat[drum] ** self.power) ** (1.0 / self.power)
        return float(bose_occupation(float(self.dev["f1" if drum == 1 else "f2"]), T_eff))

    def base_params(self, **fields):
        """True device ``Params`` with the given extra fields."""
        d = self.dev
        values = dict(
            f1=float(d["f1"]),
            f2=float(d["f2"]),
            gamma1=float(d["gamma1"]),
            gamma2=float(d["gamma2"]),
            kappa=float(d["kappa"]),
            kappa_out=float(d["kappa_out"]),
            g_ratio=float(d["g_ratio"]),
            n_c=0.0,
            n_m1=self.occupation(1, self.T_base),
            n_m2=self.occupation(2, self.T_base),
        )
        values.update(fields)
        return Params(**values)

    @property
    def fbar_nom(self):
        return 0.5 * (self.f1_nom + self.f2_nom)

    @property
    def Omega_nom(self):
        return 0.5 * (self.f2_nom - self.f1_nom)

    def pump_tones(self, Delta_set):
        """Lab frequencies of the red and blue pumps set for Delta_set (delta_bar = 0), from nominal drum values."""
        return self.f_c - self.f1_nom - Delta_set, self.f_c + self.f2_nom + Delta_set

    def true_detunings(self, f_red, f_blue):
        """True (delta_minus, delta_plus) of tones at f_red, f_blue relative to the true sidebands."""
        return f_red - (self.f_c - float(self.dev["f1"])), f_blue - (self.f_c + float(self.dev["f2"]))

    def drift(self, name):
        """The drifts realised for data set ``name`` since the calibrations: ``{"gain_dB": dB, "red": r, "blue": b}``
        (``r, b``: relative changes of the red and blue pump powers at the device). Zero without a ``drifts`` block."""
        widths = self.raw.get("drifts", {})
        u = _rng(self.seed, f"drift_{name}").standard_normal(3)
        return {
            "gain_dB": float(widths.get("gain_dB", 0.0)) * u[0],
            "red": float(widths.get("pump_power", 0.0)) * u[1],
            "blue": float(widths.get("pump_power", 0.0)) * u[2],
        }

    def gain_dB(self, name=None):
        """The line gain (dB) while data set ``name`` was measured (None: at the calibrations)."""
        return float(self.inst["gain_dB"]) + (0.0 if name is None else self.drift(name)["gain_dB"])

    def two_tone_params(self, spec, name=None):
        """True pump-only ``Params`` of a two-tone data set entry (config 'datasets'); with the data set's ``name``,
        its pump powers have drifted (:meth:`drift`) from the nominal couplings of ``spec``."""
        f_red, f_blue = self.pump_tones(float(spec["Delta"]))
        d_minus, d_plus = self.true_detunings(f_red, f_blue)
        n_m1 = float(spec["n_m1"])
        d = self.drift(name) if name is not None else {"red": 0.0, "blue": 0.0}
        return self.base_params(
            G_minus=float(spec["G_minus"]) * np.sqrt(1.0 + d["red"]),
            G_plus=float(spec["G_plus"]) * np.sqrt(1.0 + d["blue"]),
            delta_minus=d_minus,
            delta_plus=d_plus,
            n_c=float(spec["n_c"]),
            n_m1=n_m1,
            n_m2=n_m1 * float(self.raw["thermal"]["n2_base"]) / float(self.raw["thermal"]["n1_base"]),
        )


def _rng(seed, name):
    """Independent, reproducible stream per series: adding a series leaves the others unchanged."""
    key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "little")
    return np.random.default_rng([int(seed), key])


def _trace(rng, truth, f_lab, S, rbw, duration, gain_dB=None, **extra):
    gain_dB = truth.gain_dB() if gain_dB is None else gain_dB
    mean = instrument.psd_from_quanta(S, f_lab, gain_dB, truth.inst["n_add"])
    n_avg = instrument.averages(duration, rbw)
    psd = instrument.draw_averaged_trace(rng, mean, n_avg)
    return dict(frequency=f_lab, psd=psd, rbw=rbw, n_averages=n_avg, duration=duration, **extra)


def _windows(centres, half_width, bins):
    """Concatenated uniform grids (Hz offsets) around each centre; returns offsets and bin spacing."""
    grids = [np.linspace(c - half_width, c + half_width, bins) for c in centres]
    return np.concatenate(grids), 2.0 * half_width / (bins - 1)


def _sideband_tone(truth, drum):
    """A red tone set on drum ``drum``'s nominal sideband: its frequency and true detuning (Hz)."""
    f_tone = truth.f_c - (truth.f1_nom if drum == 1 else truth.f2_nom)
    return f_tone, f_tone - (truth.f_c - float(truth.dev[f"f{drum}"]))


def cavity_response(truth, port, f_offset):
    """The ideal S-parameter of the cavity at offsets ``f_offset`` (Hz) from f_c (docs/model.md §5 step 0):
    ``S21 = sqrt(k_in k_out) chi``, ``S11 = 1 - k_in chi``, ``S22 = 1 - k_out chi``, ``chi = 1 / (kappa/2 + i f)``."""
    d = truth.dev
    chi = 1.0 / (0.5 * float(d["kappa"]) + 1j * np.asarray(f_offset))
    k_in, k_out = float(d["kappa_in"]), float(d["kappa_out"])
    return {"S21": np.sqrt(k_in * k_out) * chi, "S11": 1.0 - k_in * chi, "S22": 1.0 - k_out * chi}[port]


def cavity_cal(truth, seed):
    """Network-analyser sweeps of the cavity: transmission and the reflection at each port, each through its own
    line (unknown complex level, electrical delay and a linear amplitude slope), with complex Gaussian noise."""
    cfg = truth.raw["calibrations"]["cavity"]
    rng = _rng(seed, "cavity_cal")
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
            * (rng.standard_normal(offsets.size) + 1j * rng.standard_normal(offsets.size))
            / np.sqrt(2)
        )
        traces.append(
            {
                "frequency": truth.f_c + offsets,
                "s": baseline * cavity_response(truth, port, offsets) + noise,
                "port": port,
                "if_bandwidth": float(cfg["if_bandwidth"]),
                "fridge_temperature": truth.T_base,
                "label": port,
            }
        )
    return rawdata.new_sweeps(
        "cavity",
        "cavity response: network-analyser sweeps of the transmission (S21) and the "
        "reflection at the input (S11) and output (S22) ports, pumps off",
        traces,
    )


def thermal_cal(truth, drum, seed):
    cfg = truth.raw["calibrations"]["thermal"]
    rng = _rng(seed, f"thermal_cal_drum{drum}")
    f_tone, detuning = _sideband_tone(truth, drum)
    G = float(cfg["G"])
    power = float(drive.power_for_coupling(truth.K[drum], G, f_tone - truth.f_c, float(truth.dev["kappa"])))
    offsets, rbw = _windows([0.0], float(cfg["span"]), int(cfg["bins"]))
    traces = []
    for T in cfg["temperatures"]:
        p = truth.base_params(n_m1=truth.occupation(1, T), n_m2=truth.occupation(2, T))
        S = pump_spectrum(single_tone(p, drum, G, detuning), offsets)
        traces.append(
            _trace(
                rng,
                truth,
                truth.f_c + offsets,
                S,
                rbw,
                float(cfg["duration"]),
                fridge_temperature=T,
                tones={"pump_red": (f_tone, power)},
                label=f"T={T * 1e3:.0f}mK",
            )
        )
    return rawdata.new_series(
        "thermal_cal",
        f"drum{drum}",
        f"thermal calibration of drum {drum}: weak red tone on its sideband, fridge temperature swept",
        traces,
        drum=drum,
    )


def sideband_cal(truth, drum, seed):
    cfg = truth.raw["calibrations"]["sideband"]
    rng = _rng(seed, f"sideband_cal_drum{drum}")
    f_tone, detuning = _sideband_tone(truth, drum)
    kappa = float(truth.dev["kappa"])
    gamma = float(truth.dev[f"gamma{drum}"])
    traces = []
    for G in cfg["G"]:
        G = float(G)
        power = float(drive.power_for_coupling(truth.K[drum], G, f_tone - truth.f_c, kappa))
        width = gamma + 4 * G * G / kappa
        offsets, rbw = _windows([0.0], max(6.0 * width, 2e3), int(cfg["bins"]))
        p = truth.base_params(n_c=float(truth.raw["sideband_nc_per_G2"]) * G * G)
        S = pump_spectrum(single_tone(p, drum, G, detuning), offsets)
        traces.append(
            _trace(
                rng,
                truth,
                truth.f_c + offsets,
                S,
                rbw,
                float(cfg["duration"]),
                fridge_temperature=truth.T_base,
                tones={"pump_red": (f_tone, power)},
                label=f"P={power:.2f}dBm",
            )
        )
    return rawdata.new_series(
        "sideband_cal",
        f"drum{drum}",
        f"sideband-cooling calibration of drum {drum}: one red tone on its sideband, power swept",
        traces,
        drum=drum,
    )


def _probe_tones(truth, g_red, g_blue_nominal, Delta_set=0.0):
    """Probe tone frequencies and the powers that give nominal couplings (calibration, no deficit)."""
    kappa = float(truth.dev["kappa"])
    half = truth.fbar_nom + Delta_set
    f_red, f_blue = truth.f_c - half, truth.f_c + half
    p_red = float(drive.power_for_coupling(truth.K[1], g_red, -half, kappa))
    p_blue = float(drive.power_for_coupling(truth.K[2], g_blue_nominal, half, kappa))
    return {"probe_red": (f_red, p_red), "probe_blue": (f_blue, p_blue)}


def probe_cal(truth, seed):
    cfg = truth.raw["calibrations"]["probe"]
    rng = _rng(seed, "probe_cal")
    offsets, rbw = _windows([-truth.Omega_nom, truth.Omega_nom], float(cfg["span"]), int(cfg["bins_per_window"]))
    # pumps off: the probe pair defines the mechanical frame; Delta = its offset from the true mean drum frequency
    Delta = truth.fbar_nom - 0.5 * (float(truth.dev["f1"]) + float(truth.dev["f2"]))
    traces = []
    for g in cfg["g"]:
        g = float(g)
        p = truth.base_params(
            delta_plus=Delta,
            delta_minus=-Delta,
            G_minus=0.0,
            G_plus=0.0,
            probe_g_minus=g,
            probe_g_plus=g,
            probe_phase=0.0,
        )
        S = pump_spectrum(p, offsets) + probe_signal(p, offsets)
        traces.append(
            _trace(
                rng,
                truth,
                truth.f_c + offsets,
                S,
                rbw,
                float(cfg["duration"]),
                fridge_temperature=truth.T_base,
                tones=_probe_tones(truth, g, g),
                label=f"g={g / 1e3:.0f}kHz",
            )
        )
    return rawdata.new_series(
        "probe_cal", "probe", "probe calibration: both probes, pumps off, base temperature, probe power swept", traces
    )


def _pump_tone_dict(truth, spec):
    kappa = float(truth.dev["kappa"])
    f_red, f_blue = truth.pump_tones(float(spec["Delta"]))
    p_red = float(drive.power_for_coupling(truth.K[1], float(spec["G_minus"]), f_red - truth.f_c, kappa))
    # blue tones reach the cavity with less power than calibrated: set for G+/blue_factor nominally
    p_blue = float(
        drive.power_for_coupling(truth.K[2], float(spec["G_plus"]) / truth.blue_factor, f_blue - truth.f_c, kappa)
    )
    return {"pump_red": (f_red, p_red), "pump_blue": (f_blue, p_blue)}


def pump_series(truth, series, members, seed):
    rng = _rng(seed, f"pump_{series}")
    offsets, rbw = _windows(
        [0.0, 2 * truth.Omega_nom], float(truth.raw["pump_window"]), int(truth.raw["pump_bins_per_window"])
    )
    traces = []
    for name in members:
        spec = truth.raw["datasets"][name]
        S = pump_spectrum(truth.two_tone_params(spec, name), offsets)
        traces.append(
            _trace(
                rng,
                truth,
                truth.f_c + offsets,
                S,
                rbw,
                float(truth.raw["pump_duration"]),
                gain_dB=truth.gain_dB(name),
                fridge_temperature=truth.T_base,
                tones=_pump_tone_dict(truth, spec),
                label=name,
            )
        )
    return rawdata.new_series("pump", series, f"pump spectra of data set {series} (two pumps, probes off)", traces)


def probe_params(truth, name, phase):
    """True ``Params`` of data set ``name`` with the probes on at true quadrature angle ``phase`` (rad)."""
    g = float(truth.raw["probes"]["g"])
    return truth.two_tone_params(truth.raw["datasets"][name], name).replace(
        probe_g_minus=g, probe_g_plus=g * truth.blue_factor, probe_phase=phase
    )


def probe_series(truth, name, seed):
    cfg = truth.raw["probes"]
    rng = _rng(seed, f"probe_{name}")
    spec = truth.raw["datasets"][name]
    offsets, rbw = _windows([-truth.Omega_nom, truth.Omega_nom], float(cfg["window"]), int(cfg["bins_per_window"]))
    g = float(cfg["g"])
    tones = {**_pump_tone_dict(truth, spec), **_probe_tones(truth, g, g, float(spec["Delta"]))}
    offset = np.deg2rad(float(cfg["phase_offset_deg"]))
    jitter, error = np.deg2rad(float(cfg["phase_jitter_deg"])), np.deg2rad(float(cfg["phase_error_deg"]))
    traces = []
    for setpoint in cfg["setpoints_deg"]:
        mean_phase = np.deg2rad(setpoint) + offset + error * rng.standard_normal()
        S = np.zeros_like(offsets)
        for x, w in zip(_GH_X, _GH_W, strict=True):  # average over the phase wander within the acquisition
            p = probe_params(truth, name, mean_phase + jitter * x)
            S += w * (pump_spectrum(p, offsets) + probe_signal(p, offsets))
        traces.append(
            _trace(
                rng,
                truth,
                truth.f_c + offsets,
                S,
                rbw,
                float(cfg["duration"]),
                gain_dB=truth.gain_dB(name),
                fridge_temperature=truth.T_base,
                tones=tones,
                probe_phase_setpoint=float(setpoint),
                label=f"{name} phase={setpoint:g}deg",
            )
        )
    probe = rawdata.new_series(
        "probe", name, f"BAE probe spectra of data set {name} (pumps and probes on) at several probe phases", traces
    )
    S_bg = pump_spectrum(truth.two_tone_params(spec, name), offsets)
    background = rawdata.new_series(
        "background",
        name,
        f"background for the probe spectra of {name}: pumps on, probes off, same grid",
        [
            _trace(
                rng,
                truth,
                truth.f_c + offsets,
                S_bg,
                rbw,
                float(cfg["duration"]),
                gain_dB=truth.gain_dB(name),
                fridge_temperature=truth.T_base,
                tones=_pump_tone_dict(truth, spec),
                label=f"{name} background",
            )
        ],
    )
    return probe, background


def _probe_constant(truth):
    """True area (quanta x Hz) per unit <X+^2> per mW of red-probe power (balanced probes, pumps off)."""
    from ..readout.correction import area_per_variance

    g = float(truth.raw["probes"]["g"])
    tones = _probe_tones(truth, g, g)
    p_mw = 10 ** (tones["probe_red"][1] / 10)
    return area_per_variance(truth.base_params(G_minus=0.0, G_plus=0.0), g) / p_mw


def derived_truth(truth):
    """True quantities per data set (the closure tests' reference), JSON-ready."""
    cfg = truth.raw["probes"]
    offset = float(cfg["phase_offset_deg"])
    d = truth.dev
    out = {
        "datasets": {},
        "cavity": {
            "f_c": truth.f_c,
            "kappa": float(d["kappa"]),
            "kappa_in": float(d["kappa_in"]),
            "kappa_out": float(d["kappa_out"]),
            "kappa_I": float(d["kappa"]) - float(d["kappa_in"]) - float(d["kappa_out"]),
            "gamma1": float(d["gamma1"]),
            "gamma2": float(d["gamma2"]),
        },
        "calibration": {
            "gain_dB": float(truth.inst["gain_dB"]),
            "n_add": float(truth.inst["n_add"]),
            "K1": truth.K[1],
            "K2": truth.K[2],
            "f1": float(truth.dev["f1"]),
            "f2": float(truth.dev["f2"]),
            "n1_base": truth.occupation(1, truth.T_base),
            "n2_base": truth.occupation(2, truth.T_base),
            "collective_thermal_variance": 0.5 * (truth.occupation(1, truth.T_base) + truth.occupation(2, truth.T_base))
            + 0.5,
            "probe_phase_offset_deg": offset,
            "probe_area_per_variance_per_mW": _probe_constant(truth),
        },
    }
    for name, spec in truth.raw["datasets"].items():
        p = truth.two_tone_params(spec, name)
        V = steady_state(p)
        phi, duan = optimal_phase(p, V)
        x, pm = (float(v) for v in collective_variances(p, phi, V))
        entry = {
            "Xplus": x,
            "Pminus": pm,
            "duan": duan,
            "phi_opt_deg": float(np.degrees(phi)) - offset,
            "phi_opt_quadrature_deg": float(np.degrees(phi)),
            "params": p.as_dict(),
        }
        entry.update(p.as_dict())
        entry["drift"] = truth.drift(name)
        if name in ("C", "D"):
            on = probe_params(truth, name, phi)
            entry["probe_imbalance"] = on.probe_g_minus / on.probe_g_plus
            entry["probe_correction"] = area_correction(on)
            entry["Xplus_with_probes"] = float(collective_variances(on, phi)[0])
            entry["probe_params"] = on.as_dict()
        out["datasets"][name] = entry
    return out


def simulate(truth_path, out_dir, truth_json=None, seed=None):
    """Write every raw series, the manifest and (optionally) the derived truth. Returns the written paths."""
    raw = load_truth(truth_path)
    seed = int(raw["seed"] if seed is None else seed)
    truth = Truth(raw, seed=seed)
    out_dir = Path(out_dir)
    series = {"cavity_cal": cavity_cal(truth, seed)}
    for drum in (1, 2):
        series[f"thermal_cal_drum{drum}"] = thermal_cal(truth, drum, seed)
        series[f"sideband_cal_drum{drum}"] = sideband_cal(truth, drum, seed)
    series["probe_cal"] = probe_cal(truth, seed)
    groups = {}
    for name in raw["datasets"]:
        groups.setdefault(name[0], []).append(name)
    for letter, members in groups.items():
        series[f"pump_{letter}"] = pump_series(truth, letter, members, seed)
    for name in ("C", "D"):
        if name in raw["datasets"]:
            series[f"probe_{name}"], series[f"background_{name}"] = probe_series(truth, name, seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in out_dir.glob("*.nc"):
        if stale.stem not in series:
            stale.unlink()
    paths = [rawdata.write(ds, out_dir / f"{stem}.nc") for stem, ds in series.items()]
    paths.append(rawdata.write_manifest(out_dir))
    if truth_json is not None:
        derived = derived_truth(truth)
        derived["seed"] = seed
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
    parser.add_argument("--seed", type=int, help="override the truth file's seed")
    args = parser.parse_args(argv)
    if args.truth_json and Path(args.truth_json).resolve().parent == Path(args.out).resolve():
        parser.error("--truth-json must not be inside the raw-data directory (the analysis reads that directory)")
    paths = simulate(args.truth, args.out, args.truth_json, args.seed)
    print(f"wrote {len(paths)} files to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
