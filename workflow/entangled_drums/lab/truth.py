"""The laboratory's truth: the truth file, validated, and one replica of the experiment drawn from it.

A truth file (``config/simulation.yaml``, schema ``workflow/schemas/simulation.schema.yaml``) states the
device, the instrument, the imperfections and, under ``systematics``, the distributions of what varies
from one replica of the experiment to the next. :class:`Lab` is one replica: its seed fixes every draw
(detuning errors, power-transfer errors, drifts, the probe phase offset, the filter edge, the size of
the pumps-on cavity shift), and it turns an intended operating point into the tones the device really
sees, as the experimenter sets them (powers from the red-side sideband calibration, frequencies from
the nominal drum frequencies).
"""

import hashlib
from pathlib import Path

import numpy as np
import yaml

from .circuit import Circuit, Tone
from .constants import K_B, H, bose, db

SCHEMA = Path(__file__).resolve().parents[2] / "schemas" / "simulation.schema.yaml"


class TruthError(ValueError):
    """A truth file that cannot describe a laboratory: the message names the key."""


def load(path):
    """Read and validate a truth file; return the dict. Raises :class:`TruthError` naming the key."""
    import jsonschema

    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as err:
        raise TruthError(f"{path}: cannot read the truth file: {err}") from err
    schema = yaml.safe_load(SCHEMA.read_text())
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(raw), key=lambda e: list(e.path))
    if errors:
        e = errors[0]
        where = ".".join(str(p) for p in e.absolute_path) or "(top level)"
        raise TruthError(f"{path}: {where}: {e.message}")
    th, d = raw["thermal"], raw["device"]
    for j in (1, 2):  # the drums saturate above the fridge: their base occupation cannot lie below Bose's at T_base
        bose_base = 1.0 / np.expm1(H * float(d[f"f{j}"]) / (K_B * float(th["T_base"])))
        if float(th[f"n{j}_base"]) <= bose_base:
            raise TruthError(
                f"{path}: thermal.n{j}_base: {float(th[f'n{j}_base']):g} is not above the Bose occupation of drum {j} "
                f"at thermal.T_base ({bose_base:.4g} at {float(d[f'f{j}']) / 1e6:g} MHz): a drum is never colder than "
                "the fridge"
            )
    missing = [n for n in raw["probes"]["datasets"] if n not in raw["datasets"]]
    if missing:
        raise TruthError(f"{path}: probes.datasets: {missing} are not among datasets")
    no_jitter = [n for n in raw["probes"]["datasets"] if n not in raw["probes"]["phase_jitter_deg"]]
    if no_jitter:
        raise TruthError(f"{path}: probes.phase_jitter_deg: no value for {no_jitter}")
    lab = Lab(raw)
    for name in raw["datasets"]:
        growth = lab.growth_rate(name)
        if growth >= 0:
            raise TruthError(
                f"{path}: datasets.{name}: the operating point is unstable (a mode of the cavity and "
                f"drums grows at {growth:.3g} Hz): lower G_plus or move Delta (docs/model.md §2)"
            )
    return raw


def rng(seed, name):
    """An independent, reproducible stream per use: adding a draw leaves the others unchanged."""
    key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "little")
    return np.random.default_rng([int(seed), key])


class Lab:
    """One replica of the laboratory (``seed``; default the truth file's)."""

    def __init__(self, raw, seed=None):
        self.raw = raw
        self.seed = int(raw["seed"] if seed is None else seed)
        self.on = raw["imperfections"]
        d = raw["device"]
        self.f_c = float(d["f_c"])
        self.g2 = float(d["g0_2"])
        self.g1 = self.g2 * float(d["g_ratio"])
        self.kappa = float(d["kappa_in"]) + float(d["kappa_out"]) + float(d["kappa_int"])
        self.f_nom = {1: float(d["nominal"]["f1"]), 2: float(d["nominal"]["f2"])}
        self.f_true = {1: float(d["f1"]), 2: float(d["f2"])}
        th = raw["thermal"]
        self.T_base, self.power = float(th["T_base"]), float(th["saturation_power"])
        self.T_sat = {}
        for j, n_base in ((1, th["n1_base"]), (2, th["n2_base"])):
            T_eff = H * self.f_true[j] / (K_B * np.log1p(1.0 / float(n_base)))
            self.T_sat[j] = (T_eff**self.power - self.T_base**self.power) ** (1.0 / self.power)
        self.slope = float(raw["instrument"]["input_slope_dB_per_MHz"]) * self.on["input_slope"]
        self.slope += self._draw("input_slope_dB_per_MHz", "replica") * self.on["input_slope"]
        self.phase_offset_deg = self._draw("phase_offset_deg", "replica")
        self.shift_scale = self._draw("cavity_shift_scale", "replica") if self.on["cavity_shift"] else 0.0

    # --- draws -------------------------------------------------------------------------------------
    def _draw(self, key, name):
        """One draw of ``systematics.<key>`` for ``name`` (its mean when systematics are off)."""
        dist = self.raw["systematics"][key]
        u = rng(self.seed, f"{key}:{name}").standard_normal() if self.on["systematics"] else 0.0
        return float(dist["mean"]) + float(dist["sd"]) * u

    def drift(self, name):
        """Drifts since the calibrations while data set ``name`` was measured: gain (dB), each pump's power."""
        if not self.on["drifts"]:
            return {"gain_dB": 0.0, "red": 0.0, "blue": 0.0}
        return {
            "gain_dB": self._draw("gain_drift_dB", name),
            "red": self._draw("pump_power_drift", f"{name}:red"),
            "blue": self._draw("pump_power_drift", f"{name}:blue"),
        }

    # --- device ------------------------------------------------------------------------------------
    def occupation(self, drum, T):
        """Drum occupation at fridge temperature T (K): Bose at T_eff = (T^p + T_sat^p)^(1/p)."""
        T_eff = (T**self.power + self.T_sat[drum] ** self.power) ** (1.0 / self.power)
        return float(bose(self.f_true[drum], T_eff))

    def circuit(self, n_c=0.0, n_m1=None, n_m2=None, shift=0.0, n_input_extra=0.0, f_offsets=(0.0, 0.0)):
        """The device with the cavity bath ``n_c`` (as one number: the heated input and internal ports; the
        output line is cold), extra input-port noise ``n_input_extra`` (pump phase noise), drum baths
        (default: base temperature), the cavity ``shift`` and drum-frequency offsets ``f_offsets`` (Hz)."""
        d = self.raw["device"]
        k_in, k_out, k_int = float(d["kappa_in"]), float(d["kappa_out"]), float(d["kappa_int"])
        n_hot = n_c * self.kappa / (k_in + k_int)
        return Circuit(
            f_c=self.f_c,
            kappa_in=k_in,
            kappa_out=k_out,
            kappa_int=k_int,
            f1=self.f_true[1] + f_offsets[0],
            f2=self.f_true[2] + f_offsets[1],
            gamma1=float(d["gamma1"]),
            gamma2=float(d["gamma2"]),
            g1=self.g1,
            g2=self.g2,
            shift=shift,
            n_port={"in": n_hot + n_input_extra, "out": 0.0, "int": n_hot},
            n_m1=self.occupation(1, self.T_base) if n_m1 is None else n_m1,
            n_m2=self.occupation(2, self.T_base) if n_m2 is None else n_m2,
        )

    # --- tones -------------------------------------------------------------------------------------
    def transmission_db(self, f_lab):
        """Input-line transmission (dB) from the generator to the device at ``f_lab``."""
        return float(self.raw["instrument"]["line_attenuation_dB"]) + self.slope * (f_lab - self.f_c) / 1e6

    def calibrated_K(self, drum):
        """The coupling constant (Hz^4/mW) the red-side sideband calibration of ``drum`` measures: it sees the
        line at that drum's red sideband only."""
        g = self.g1 if drum == 1 else self.g2
        f = self.f_c - self.f_nom[drum]
        return (
            g
            * g
            * float(self.raw["device"]["kappa_in"])
            * db(self.transmission_db(f))
            * 1e-3
            / (2.0 * np.pi * H * self.f_c)
        )

    def power_for(self, G, f_tone, drum):
        """Generator power (dBm) the experimenter sets for coupling ``G`` on ``drum`` with the calibrated K."""
        d = f_tone - self.f_c
        return float(10.0 * np.log10(G * G * (0.25 * self.kappa**2 + d * d) / self.calibrated_K(drum)))

    def photon_flux(self, f_tone, power_dbm):
        """Photons per second of a tone reaching the device's input port."""
        return float(db(power_dbm + self.transmission_db(f_tone)) * 1e-3 / (H * f_tone))

    def amplitude(self, f_tone, power_dbm, shift):
        """|alpha| (√photons) inside the cavity shifted by ``shift``: κ_in Φ / (2π ((κ/2)² + detuning²))."""
        d = f_tone - self.f_c - shift
        k_in = float(self.raw["device"]["kappa_in"])
        return float(
            np.sqrt(k_in * self.photon_flux(f_tone, power_dbm) / (2.0 * np.pi * (0.25 * self.kappa**2 + d * d)))
        )

    def tones(self, settings, phases=None):
        """The tones the device sees for generator ``settings`` {name: (f_lab, dBm, family)}: Tone list, the
        self-consistent pumps-on cavity shift (Hz) and the pump phase noise at f_c (quanta at the input port).

        Phases: every pump's intracavity amplitude is real negative (its coupling -g alpha real positive, the
        analysis' convention); a probe's is rotated by ``phases[name]`` (rad)."""
        chi = float(self.raw["pumps_on"]["cavity_shift_hz_per_photon"]) * self.shift_scale
        shift = 0.0
        for _ in range(50):  # the shift depends on the photons, the photons on the shift
            amps = {n: self.amplitude(f, p, shift) for n, (f, p, _) in settings.items()}
            new = chi * sum(a * a for a in amps.values())
            if abs(new - shift) < 1e-6:
                break
            shift = new
        phases = phases or {}
        tones = [
            Tone(f - self.f_c, -amps[n] * np.exp(1j * phases.get(n, 0.0)), fam) for n, (f, _, fam) in settings.items()
        ]
        noise = self.raw["noise"]
        n_pn = 0.0
        if self.on["pump_phase_noise"]:
            n_pn = sum(self.photon_flux(f, p) for f, p, _ in settings.values()) * db(
                float(noise["pump_phase_noise_dBc"]) - float(noise["pump_filter_dB"])
            )
        return tones, shift, float(n_pn)

    # --- data sets ---------------------------------------------------------------------------------
    def drum_offsets(self, name):
        """How far each drum's frequency has moved (Hz) by the time data set ``name`` is measured: this replica's
        detuning errors. The tones stay as set (the probes locked to the pumps, sharing their frame); the drums
        moved (slow drift since the calibration, the synthesizers' setting steps)."""
        # one drift for both drums (the chip's temperature moves them alike): the analysis fixes their splitting at
        # the calibrated one, and an independent drift of each (150 Hz) leaves a misfit it cannot absorb
        # (A2: chi2/dof 1.43 with FFT spectra; docs/model.md §6)
        drift = self._draw("detuning_error_hz", f"{name}:drums")
        return (drift, drift)

    def pump_settings(self, name):
        """Generator settings of data set ``name``'s two pumps: frequencies from the nominal drum frequencies
        and the set Delta (delta_bar = 0); powers for the intended G from the calibration, with this replica's
        transfer errors and drifts."""
        spec = self.raw["datasets"][name]
        Delta = float(spec["Delta"])
        f_red = self.f_c - self.f_nom[1] - Delta
        f_blue = self.f_c + self.f_nom[2] + Delta
        drift = self.drift(name)
        out = {}
        for key, f, G, drum in (("pump_red", f_red, spec["G_minus"], 1), ("pump_blue", f_blue, spec["G_plus"], 2)):
            colour = key.split("_")[1]
            factor = (1.0 + self._draw("coupling_transfer", f"{name}:{colour}")) * (1.0 + drift[colour])
            p_set = self.power_for(float(G), f, drum)  # what the generator is set to (and recorded)
            out[key] = (f, p_set, "pump", 10.0 * np.log10(max(factor, 1e-6)))
        return out

    def probe_settings(self, name, g=None):
        """Generator settings of the probe pair of data set ``name`` (None: pumps off, the probe calibration):
        at f_c -+ (f̄_nom + Delta), each set for ``g`` with its drum's calibration."""
        g = float(self.raw["probes"]["g"]) if g is None else float(g)
        Delta = 0.0 if name is None else float(self.raw["datasets"][name]["Delta"])
        half = 0.5 * (self.f_nom[1] + self.f_nom[2]) + Delta
        f_red, f_blue = self.f_c - half, self.f_c + half
        err = {}  # each probe's power transfer error with the pumps on (none at the calibration)
        for colour in ("red", "blue"):
            u = 0.0 if name is None else self._draw("coupling_transfer", f"{name}:probe_{colour}")
            err[colour] = 10.0 * np.log10(max(1.0 + u, 1e-6))
        return {
            "probe_red": (f_red, self.power_for(g, f_red, 1), "probe", err["red"]),
            "probe_blue": (f_blue, self.power_for(g, f_blue, 2), "probe", err["blue"]),
        }

    @staticmethod
    def device_settings(settings):
        """Settings as the device sees them: the recorded generator power plus each tone's transfer error."""
        return {n: (f, p + err, fam) for n, (f, p, fam, err) in settings.items()}

    @staticmethod
    def recorded(settings):
        """Settings as the raw file records them: (frequency, generator power) per tone."""
        return {n: (f, p) for n, (f, p, _, _) in settings.items()}

    def baths(self, name):
        """(n_c, n_m1, n_m2) of data set ``name`` (n_c without the pump phase noise)."""
        spec = self.raw["datasets"][name]
        n_m1 = float(spec["n_m1"])
        th = self.raw["thermal"]
        return float(spec["n_c"]), n_m1, n_m1 * float(th["n2_base"]) / float(th["n1_base"])

    def gain_dB(self, name=None):
        """Output-line gain (dB) while data set ``name`` was measured (None: at the calibrations)."""
        return float(self.raw["instrument"]["gain_dB"]) + (0.0 if name is None else self.drift(name)["gain_dB"])

    def growth_rate(self, name):
        """The fastest growth rate (Hz, > 0: unstable) of data set ``name``'s operating point, pumps on."""
        from .circuit import B1, Lattice

        tones, shift, n_pn = self.tones(self.device_settings(self.pump_settings(name)))
        n_c, n_m1, n_m2 = self.baths(name)
        x_ref = 0.5 * (self.f_true[1] + self.f_true[2])
        lattice = Lattice(
            self.circuit(n_c, n_m1, n_m2, shift, n_pn),
            tones,
            (B1, 0, 1, 0.0),
            max_hops=8,
            x_ref=x_ref,
            near=4e6,
            **self.options(),
        )
        poles = lattice.poles()
        # the lattice is complete around x_ref, where both drums are; a pole far from it is a copy of a mode seen
        # through a truncated part of the lattice, and can be spurious
        inside = np.abs(poles.real - x_ref) < 2e6
        return float(np.max(poles[inside].imag))

    def options(self):
        """The forward model's switches (:func:`circuit.output_spectrum`)."""
        return {"counter_rotating": bool(self.on["counter_rotating"]), "cross_terms": bool(self.on["cross_terms"])}
