"""The simulated laboratory's own forward model against the analysis' where the extra terms vanish, its
numerics, and its truth file's validation (the laboratory shares no physics code with the analysis:
tests/test_architecture.py checks the imports)."""

import numpy as np
import pytest
import yaml

from conftest import ROOT, another_device
from entangled_drums import Params, probe_spectrum, pump_spectrum, steady_state
from entangled_drums.lab import simulate
from entangled_drums.lab.circuit import A, Circuit, Lattice, Tone, drum_covariance, output_spectrum
from entangled_drums.lab.derived import collective, optimum
from entangled_drums.lab.truth import Lab, TruthError, load

G2 = 40.0
RESTRICTED = {"counter_rotating": False, "cross_terms": False}


def _lab_of(p, k_in=60e3):
    """The analysis' Params as the laboratory's circuit and tones (its convention G = -g alpha, real)."""
    g1 = p.g_ratio * G2
    k_int = p.kappa - k_in - p.kappa_out
    n_hot = p.n_c * p.kappa / (k_in + k_int)  # the output line cold, the other ports share the bath
    c = Circuit(
        f_c=5.5e9,
        kappa_in=k_in,
        kappa_out=p.kappa_out,
        kappa_int=k_int,
        f1=p.f1,
        f2=p.f2,
        gamma1=p.gamma1,
        gamma2=p.gamma2,
        g1=g1,
        g2=G2,
        n_port={"in": n_hot, "out": 0.0, "int": n_hot},
        n_m1=p.n_m1,
        n_m2=p.n_m2,
    )
    tones = [Tone(-p.f1 + p.delta_minus, -p.G_minus / g1), Tone(p.f2 + p.delta_plus, -p.G_plus / G2)]
    if p.has_probes:
        half = 0.5 * (p.f1 + p.f2) + p.Delta
        tones += [
            Tone(-half + p.probe_detuning, -p.probe_g_minus / g1 * np.exp(-1j * p.probe_phase), "probe"),
            Tone(half + p.probe_detuning, -p.probe_g_plus / G2 * np.exp(1j * p.probe_phase), "probe"),
        ]
    return c, tones


C_PARAMS = Params(
    G_minus=278e3, G_plus=166e3, delta_minus=-1.5e3, delta_plus=1.6e3, n_c=0.5, n_m1=118.0, n_m2=118.0 * 30 / 41
)


def test_pump_spectrum_equals_the_analysis_where_the_extra_terms_vanish():
    """Without the counter-rotating couplings, the laboratory's lab-frame lattice gives the analysis' rotating-frame
    closed form to rounding (required: 1e-6)."""
    c, tones = _lab_of(C_PARAMS)
    f = np.concatenate([np.linspace(-250e3, 250e3, 501), 2 * C_PARAMS.Omega + np.linspace(-250e3, 250e3, 501)])
    lab = output_spectrum(c, tones, f, **RESTRICTED)
    np.testing.assert_allclose(lab, pump_spectrum(C_PARAMS, f), rtol=1e-6)


@pytest.mark.parametrize("phase", [0.0, 0.3, -1.1])
def test_probe_spectrum_equals_the_analysis_where_the_extra_terms_vanish(phase):
    """Four tones, no counter-rotating couplings and no cross terms: the cavity field scattered by the pumps and
    the one scattered by the probes are the analysis' two modes a and d (each with the cavity's bath, coupled
    through the drums). Near f_c -+ Omega each equals the analysis' spectrum of that mode."""
    p = C_PARAMS.replace(probe_g_minus=40e3, probe_g_plus=38e3, probe_phase=phase)
    c, tones = _lab_of(p)
    for centre in (-p.Omega, p.Omega):
        f = centre + np.linspace(-300e3, 300e3, 301)
        a = output_spectrum(c, tones, f, **RESTRICTED, x_ref=centre, seed_family="pump")
        d = output_spectrum(c, tones, f, **RESTRICTED, x_ref=centre, seed_family="probe")
        np.testing.assert_allclose(a, pump_spectrum(p, f), rtol=1e-6)
        np.testing.assert_allclose(d, probe_spectrum(p, f), rtol=1e-6)


def test_drum_state_equals_the_analysis_steady_state_where_the_extra_terms_vanish():
    """The time-averaged drum covariance integrated from the lattice's spectra equals the analysis' Lyapunov
    solution (required: 1e-6 relative)."""
    c, tones = _lab_of(C_PARAMS)
    frame = 0.5 * (tones[1].offset - tones[0].offset)
    V, imag = drum_covariance(c, tones, frame, centres=[c.f1 - frame, c.f2 - frame], **RESTRICTED)
    V_an = steady_state(C_PARAMS)[2:, 2:]
    assert imag < 1e-12 * np.abs(V).max()
    np.testing.assert_allclose(V, V_an, atol=1e-6 * np.abs(V_an).max())


WITH_FAR = {"counter_rotating": True, "cross_terms": False}


def test_the_analysis_counter_rotating_model_equals_the_lattice():
    """With the counter-rotating couplings on in both (no cross terms, no cavity shift), the analysis' model with its
    far components (``Params.counter_rotating``) gives the laboratory's pump spectrum and drum state: the far cavity
    sidebands and the drums' far components close the lattice (required: 1e-6; measured 6e-13 and 4e-7, the
    state limited by the lattice's frequency integral). The rotating-wave model differs by ~40 %."""
    p = C_PARAMS.replace(counter_rotating=True)
    c, tones = _lab_of(p)
    f = np.concatenate([np.linspace(-250e3, 250e3, 301), 2 * p.Omega + np.linspace(-250e3, 250e3, 301)])
    lab = output_spectrum(c, tones, f, **WITH_FAR)
    np.testing.assert_allclose(pump_spectrum(p, f), lab, rtol=1e-6)
    assert np.max(np.abs(pump_spectrum(C_PARAMS, f) / lab - 1)) > 0.3
    frame = 0.5 * (tones[1].offset - tones[0].offset)
    V, _ = drum_covariance(c, tones, frame, centres=[c.f1 - frame, c.f2 - frame], **WITH_FAR)
    np.testing.assert_allclose(V, steady_state(p)[2:6, 2:6], atol=1e-6 * np.abs(V).max())


@pytest.mark.parametrize("phase", [0.3, -1.1])
def test_the_analysis_counter_rotating_probe_model_equals_the_lattice(phase):
    """The same with four tones: the probes' far sidebands carry each probe's phase (red e^{-i phi}, blue e^{i phi})."""
    p = C_PARAMS.replace(probe_g_minus=40e3, probe_g_plus=38e3, probe_phase=phase, counter_rotating=True)
    c, tones = _lab_of(p)
    for centre in (-p.Omega, p.Omega):
        f = centre + np.linspace(-300e3, 300e3, 121)
        a = output_spectrum(c, tones, f, **WITH_FAR, x_ref=centre, seed_family="pump")
        d = output_spectrum(c, tones, f, **WITH_FAR, x_ref=centre, seed_family="probe")
        np.testing.assert_allclose(pump_spectrum(p, f), a, rtol=1e-6)
        np.testing.assert_allclose(probe_spectrum(p, f), d, rtol=1e-6)
    frame = 0.5 * (tones[1].offset - tones[0].offset)
    V, _ = drum_covariance(c, tones, frame, centres=[c.f1 - frame, c.f2 - frame], **WITH_FAR)
    np.testing.assert_allclose(V, steady_state(p)[4:8, 4:8], atol=1e-6 * np.abs(V).max())


def test_the_analysis_cavity_shift_equals_the_lattice_and_the_bath_is_counted_once():
    """The cavity shifted by -30 kHz (pumps and probes on, counter-rotating couplings on, no cross terms): the
    analysis' ``Params.cavity_shift`` (the frames stay at the tones) gives the lattice's pump and probe spectra, and the
    measured sum, pump + probe emission with the cavity's bath once (``simulate.spectrum``), equals the analysis'
    ``pump_spectrum + probe_signal``: its bare-cavity term is the shifted cavity's (centred on f_c, it read C's probe
    imbalance 5 % low in the imperfection study)."""
    import dataclasses

    from entangled_drums.physics.spectra import probe_signal

    shift = -30e3
    p = C_PARAMS.replace(probe_g_minus=40e3, probe_g_plus=38e3, probe_phase=0.3, counter_rotating=True)
    c, tones = _lab_of(p)
    c = dataclasses.replace(c, shift=shift)
    q = p.replace(cavity_shift=shift)
    for centre in (-p.Omega, p.Omega):
        f = centre + np.linspace(-300e3, 300e3, 61)
        a = output_spectrum(c, tones, f, **WITH_FAR, x_ref=centre, seed_family="pump")
        np.testing.assert_allclose(pump_spectrum(q, f), a, rtol=1e-6)
        measured = simulate.spectrum(c, tones, f, centre, WITH_FAR)
        np.testing.assert_allclose(pump_spectrum(q, f) + probe_signal(q, f), measured, rtol=1e-6)
    frame = 0.5 * (tones[1].offset - tones[0].offset)
    V, _ = drum_covariance(c, tones, frame, centres=[c.f1 - frame, c.f2 - frame], **WITH_FAR)
    np.testing.assert_allclose(V, steady_state(q)[4:8, 4:8], atol=1e-6 * np.abs(V).max())


def test_what_the_analysis_neglects_is_there_and_converges():
    """The counter-rotating couplings change C's state (the optical spring of the far sidebands, ~ -G^2/2 f_m, moves
    the effective detunings by kHz): they are not negligible here, and more lattice couplings change nothing."""
    c, tones = _lab_of(C_PARAMS)
    frame = 0.5 * (tones[1].offset - tones[0].offset)
    centres = [c.f1 - frame, c.f2 - frame]
    rwa = optimum(drum_covariance(c, tones, frame, centres=centres, **RESTRICTED)[0])[1]
    full = optimum(drum_covariance(c, tones, frame, centres=centres, max_hops=6)[0])[1]
    more = optimum(drum_covariance(c, tones, frame, centres=centres, max_hops=8)[0])[1]
    assert abs(full - rwa) > 0.005  # several per mille of Duan: more than the MCMC's Monte Carlo error
    assert abs(more - full) < 1e-6


def test_probe_lattice_converges_with_its_reach():
    lab = Lab(load(ROOT / "config" / "simulation.yaml"))
    circuit, tones, _, _ = simulate.operating_point(lab, "C", True, 0.1)
    omega = 0.5 * (lab.f_nom[2] - lab.f_nom[1])
    f = -omega + np.linspace(-300e3, 300e3, 121)
    opts = {"x_ref": -omega, "near": simulate.NEAR}
    S = output_spectrum(circuit, tones, f, max_hops=simulate.HOPS, **opts)
    S_more = output_spectrum(circuit, tones, f, max_hops=simulate.HOPS + 2, **opts)
    assert np.max(np.abs(S - S_more) / S_more) < 5e-4


def test_eigenbasis_rows_equal_direct_solves():
    lab = Lab(load(ROOT / "config" / "simulation.yaml"))
    circuit, tones, _, _ = simulate.operating_point(lab, "D", True, -0.2)
    lattice = Lattice(circuit, tones, (A, 0, 1, 0.0), max_hops=simulate.HOPS, near=simulate.NEAR, x_ref=650e3)
    x = 650e3 + np.linspace(-3e5, 3e5, 37)
    direct = lattice._direct_rows(x, [0])[:, 0, :]
    np.testing.assert_allclose(lattice.seed_row(x), direct, rtol=0, atol=1e-9 * np.abs(direct).max())


def test_collective_quadratures_and_the_optimum():
    """Thermal drums: every quadrature variance n + 1/2, Duan = n1 + n2 + 1 at every angle."""
    V = np.diag([3.5, 3.5, 5.5, 5.5])
    assert collective(V, 0.3) == pytest.approx((4.5, 4.5))
    assert optimum(V)[1] == pytest.approx(9.0)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_optimum_is_the_smallest_duan_on_a_fine_grid(seed):
    """The closed-form optimum of a random (correlated) covariance against a search over 360 000 angles."""
    rng = np.random.default_rng(seed)
    M = rng.normal(size=(4, 4))
    V = M @ M.T + 0.5 * np.eye(4)
    phi, duan = optimum(V)
    grid = np.linspace(-0.5 * np.pi, 0.5 * np.pi, 360001)
    values = np.array([sum(collective(V, p)) for p in grid])
    k = int(np.argmin(values))
    assert duan <= values[k] + 1e-12 and duan == pytest.approx(values[k], abs=1e-9 * values[k])
    assert abs((phi - grid[k] + 0.5 * np.pi) % np.pi - 0.5 * np.pi) < 2 * (grid[1] - grid[0])
    assert -0.5 * np.pi < phi <= 0.5 * np.pi


def _truth(tmp_path, edit):
    raw = yaml.safe_load((ROOT / "config" / "simulation.yaml").read_text())
    edit(raw)
    path = tmp_path / "truth.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


@pytest.mark.parametrize(
    "edit,message",
    [
        (lambda r: r["device"].update(nonsense=1), r"device: Additional properties are not allowed \('nonsense'"),
        (lambda r: r["device"].pop("kappa_out"), r"device: 'kappa_out' is a required property"),
        (lambda r: r["datasets"]["C"].update(G_minus="a lot"), r"datasets.C.G_minus: 'a lot' is not of type 'number'"),
        (lambda r: r["probes"].update(datasets=["C", "E"]), r"probes.datasets: \['E'\] are not among datasets"),
        (lambda r: r["datasets"]["C"].update(G_plus=300e3), r"datasets.C: .*unstable"),
        (
            lambda r: r["thermal"].update(n1_base=20.0),
            r"thermal.n1_base: 20 is not above the Bose occupation of drum 1",
        ),
    ],
)
def test_a_bad_truth_file_is_refused_with_the_key_named(tmp_path, edit, message):
    with pytest.raises(TruthError, match=message):
        load(_truth(tmp_path, edit))


def test_another_device_from_the_truth_file_alone(tmp_path):
    """Nominal frequencies, data-set names and series come from the truth file: a device at 7 and 9 MHz with data
    sets 'run1', 'run2' in series 'X' simulates, and its derived truth names them."""

    lab = Lab(load(_truth(tmp_path, another_device)))
    assert lab.f_nom == {1: 7.0e6, 2: 9.0e6}
    assert simulate.groups(lab.raw) == {"X": ["run1", "run2"]}
    settings = lab.pump_settings("run1")
    assert settings["pump_red"][0] == pytest.approx(lab.f_c - 7.0e6 - 3.08e3, abs=1e3)
