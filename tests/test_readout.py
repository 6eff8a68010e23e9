"""The probe readout's physics against independent derivations: the tones' couplings against the laboratory's own
photon flux, the wander correction against a direct average over the wander, and the probe calibration's
consistency on the archive."""

import json

import numpy as np
import pytest
import yaml

from conftest import ROOT
from entangled_drums import chain
from entangled_drums.lab.truth import Lab, load
from entangled_drums.physics import drive
from entangled_drums.readout.probes import curve_minimum, phase_curve, wander_factor


@pytest.mark.parametrize("g", [8e3, 40e3])
def test_couplings_count_each_tones_photon_energy(g):
    """The analysis' coupling of a probe from its generator power and the true coupling constant equals the
    laboratory's g_j |alpha| (its photon flux P / h f at the tone's own frequency) to rounding, for the red and the
    blue probe. Without the photon energy's f_c / f the two would differ by 0.1 % in opposite directions: enough to
    move the probe calibration's variance by 4 % at 40 kHz (docs/model.md §5)."""
    raw = load(ROOT / "config" / "simulation.yaml")
    # the convention alone: no cavity shift from the probes' photons, no sloped line between generator and device
    raw["imperfections"].update(cavity_shift=False, input_slope=False)
    lab = Lab(raw)
    settings = lab.probe_settings(None, g)
    tones, shift, _ = lab.tones(lab.device_settings(settings))
    assert shift == 0.0
    for (name, drum, g0), t in zip((("probe_red", 1, lab.g1), ("probe_blue", 2, lab.g2)), tones[:2], strict=True):
        f_tone, p_dbm, _, _ = settings[name]
        ours = drive.coupling(lab.calibrated_K(drum), p_dbm, f_tone - lab.f_c, lab.kappa, lab.f_c)
        true = g0 * abs(t.alpha)
        assert ours == pytest.approx(true, rel=1e-9)
        without = np.sqrt(
            lab.calibrated_K(drum) * 10 ** (p_dbm / 10) * drive.lorentzian_weight(f_tone - lab.f_c, lab.kappa)
        )
        assert abs(without / true - 1) > 5e-4


@pytest.mark.parametrize("wander_deg", [0.0, 2.0, 5.0, 9.0])
def test_wander_correction_recovers_the_instantaneous_minimum(wander_deg):
    """A phase curve averaged over a Gaussian wander (here by direct quadrature over 2001 angles, not the closed
    form), fitted at the readout's 12 setpoints: its minimum lies above the instantaneous one by the wander's
    damping, and restoring the modulation with :func:`wander_factor` recovers it to 1e-9."""
    a, b, c = 3.3, -2.1, 1.7  # <(X+^phi)^2> = a + b cos 2phi + c sin 2phi, minimum a - |(b, c)| = 0.61
    setpoints = np.array([-90, -45, -20, -10, -4, 0, 2, 4, 6, 10, 20, 45], dtype=float)
    u = np.linspace(-8, 8, 2001)
    weight = np.exp(-0.5 * u**2)
    weight /= weight.sum()
    phi = np.radians(setpoints[:, None] + wander_deg * u[None, :])
    recorded = (a + b * np.cos(2 * phi) + c * np.sin(2 * phi)) @ weight
    coef = phase_curve(setpoints, recorded, np.eye(setpoints.size))[0]
    true_min = a - np.hypot(b, c)
    restored = coef * [1.0, wander_factor(wander_deg), wander_factor(wander_deg)]
    assert float(curve_minimum(restored)[0]) == pytest.approx(true_min, abs=1e-9)
    if wander_deg >= 2.0:
        assert float(curve_minimum(coef)[0]) - true_min > 1e-3


@pytest.fixture(scope="module")
def archive_calibration():
    """The archive's calibrations (steps 02a-04), once for this module."""
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    return chain.calibrate(ROOT / "data" / "raw", config["device"], config["fits"])


def test_probe_calibration_traces_agree_on_the_archive(archive_calibration):
    """The probe calibration's five powers agree on one constant (chi^2 test, p > 0.001) once the model variance
    carries its inputs' uncertainty and each area counts the whole line. (Before: chi^2 = 407 for 4 dof, the
    variance 4 % high at 40 kHz for want of the photon energy, and the constant 3.6 % low.)"""
    from scipy.stats import chi2

    probe = archive_calibration["probe"]
    assert chi2.sf(probe["line_chi2"], probe["line_dof"]) > 1e-3
    fractions = [t["window_fraction"] for t in probe["traces"]]
    # 0.975 at the strongest power: the blue probe 0.5 dB weak (the sloped line) cools and broadens the lines
    assert all(0.97 < f < 1.0 for f in fractions) and fractions[-1] < fractions[0]
    truth = json.loads((ROOT / "data" / "simulation_truth.json").read_text())["calibration"]
    pull = (probe["area_per_variance_per_mW"] - truth["probe_area_per_variance_per_mW"]) / probe[
        "area_per_variance_per_mW_sigma"
    ]
    assert abs(pull) < 2.0


def test_a_probe_power_whose_balanced_reference_is_unstable_is_left_out(archive_calibration):
    """K1 10 % high puts the balanced probes' reference state at the strongest power past the stability edge (the
    replicas of seeds 1011, 1023, 1035, ... reached it within one sigma of their inputs): that power is left out and
    named, the other four give the constant; and a one-sigma difference step that crosses the edge is halved."""
    import copy

    from entangled_drums.calibration import drums
    from entangled_drums.data import rawdata
    from entangled_drums.physics.model import UnstableSystemError

    cal = archive_calibration
    sideband = copy.deepcopy(cal["sideband"])
    n_base = {d: (cal["thermal"][f"drum{d}"]["n_base"], cal["thermal"][f"drum{d}"]["n_base_sigma"]) for d in (1, 2)}
    sideband["K1"] *= 1.1
    probe = drums.probe_calibration(
        rawdata.load(ROOT / "data" / "raw" / "probe_cal.nc"),
        sideband["gain_dB"],
        sideband["n_add"],
        cal["device"],
        sideband,
        n_base,
    )
    strongest = max(t["power_red_dBm"] for t in cal["probe"]["traces"])
    assert [e["power_red_dBm"] for e in probe["excluded_traces"]] == [strongest]
    assert len(probe["traces"]) == 4 and probe["line_dof"] == 2
    assert cal["probe"]["excluded_traces"] == []

    def edge(x):  # log(1 - x0) with no steady state at x0 >= 1
        if x[0] >= 1.0:
            raise UnstableSystemError("past the edge")
        return np.log(1.0 - x[0])

    # 0.5, 0.25 and 0.125 cross the edge at 1; 0.0625 is the first step with both sides stable
    d = drums._central_difference(edge, np.array([0.9]), 0, 0.5)
    assert d == pytest.approx((np.log(1 - 0.9625) - np.log(1 - 0.8375)) / 0.125, rel=1e-12)
    with pytest.raises(drums.FitError, match="no steady state"):
        drums._central_difference(edge, np.array([1.0]), 0, 0.5)


def test_a_probe_calibration_its_model_cannot_describe_is_refused(archive_calibration):
    """The strongest probe trace's area 30 % low (as if the blue probe reached the device weaker than its calibration
    says: the probes then cool the drums more than the model holds): the calibration stops with an error naming the
    disagreement, instead of a constant whose sigma the chi^2 inflates ~70-fold (a sloped input line did that)."""
    from entangled_drums import calibration
    from entangled_drums.data import rawdata
    from entangled_drums.stats.fitting import FitError

    ds = rawdata.load(ROOT / "data" / "raw" / "probe_cal.nc").load()
    psd = ds["psd"].values.copy()
    floor = np.median(psd[-1, :20])
    psd[-1] = floor + 0.7 * (psd[-1] - floor)
    ds["psd"].values[:] = psd
    cal = archive_calibration
    sideband, thermal = cal["sideband"], cal["thermal"]
    n_base = {d: (thermal[f"drum{d}"]["n_base"], thermal[f"drum{d}"]["n_base_sigma"]) for d in (1, 2)}
    args = (sideband["gain_dB"], sideband["n_add"], cal["device"], sideband, n_base)
    with pytest.raises(FitError, match=r"probe calibration: its 5 probe powers disagree .*\(chi2 = "):
        calibration.probe_calibration(ds, *args)
