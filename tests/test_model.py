"""Physics identities of the model: each test can fail if a sign, factor or frame is wrong."""

import numpy as np
import pytest
import scipy.integrate
import scipy.linalg
import scipy.optimize
from hypothesis import given, settings
from hypothesis import strategies as st

from entangled_drums import (
    Params,
    UnstableSystemError,
    collective_variances,
    duan,
    optimal_phase,
    steady_state,
)
from entangled_drums.physics import _kernels, linear
from entangled_drums.physics.model import drift_matrix, linear_system, quadrature_index
from entangled_drums.physics.spectra import (
    mode_vector,
    output_spectrum,
    probe_area,
    probe_spectrum,
    pump_spectrum,
    quadrature_spectrum,
    reference_output_spectrum,
)
from entangled_drums.physics.units import VACUUM_VARIANCE, to_internal

C = Params()
C_PROBES = C.replace(probe_g_minus=40e3 * 1.055, probe_g_plus=40e3, probe_phase=np.deg2rad(4.0))
DETUNED = C.replace(delta_minus=-3e3, delta_plus=5e3, g_ratio=0.93)
CASES = {"C": C, "C+probes": C_PROBES, "detuned": DETUNED, "A1": C.replace(G_minus=103e3, G_plus=82e3)}


def integrate_over_frequency(fun, system):
    """int fun(omega) d omega / 2pi over the real line (tan substitution, breakpoints at the poles)."""
    lam = system.eigenvalues
    scale = float(np.max(np.abs(lam)))

    def integrand(theta):
        omega = scale * np.tan(theta)
        return fun(omega) * scale / np.cos(theta) ** 2 / (2 * np.pi)

    poles = np.unique(np.round(np.arctan(lam.imag / scale), 12))
    limit = np.pi / 2 * (1 - 1e-12)
    value, _ = scipy.integrate.quad_vec(integrand, -limit, limit, points=poles, epsrel=1e-10, epsabs=0, limit=2000)
    return value


@pytest.mark.parametrize("name", sorted(CASES))
def test_lyapunov_matches_scipy(name):
    params = CASES[name]
    system = linear_system(params)
    expected = scipy.linalg.solve_continuous_lyapunov(system.A, -system.D)
    V = steady_state(params)
    assert V.shape == (8, 8) if params.has_probes else (6, 6)
    np.testing.assert_allclose(V, V.T, atol=0)
    np.testing.assert_allclose(V, expected, rtol=0, atol=1e-9 * np.abs(expected).max())
    # V is a physical (uncertainty-respecting) covariance: V + iK'/2 >= 0
    n = V.shape[0]
    J = np.zeros((n, n))
    J[np.arange(0, n, 2), np.arange(1, n, 2)] = 1
    J -= J.T
    assert np.linalg.eigvalsh(V + 0.5j * J).min() > -1e-9


@pytest.mark.parametrize("name", ["C", "C+probes", "detuned"])
def test_integrated_quadrature_spectrum_is_covariance(name):
    params = CASES[name]
    system = linear_system(params)
    integral = integrate_over_frequency(lambda w: quadrature_spectrum(params, np.array([w]))[0].real, system)
    V = steady_state(params)
    assert np.abs(integral - V).max() <= 1e-6 * np.abs(V).max()


@pytest.mark.parametrize("name,mode", [("C", "a"), ("detuned", "a"), ("C+probes", "a"), ("C+probes", "d")])
def test_integrated_output_spectrum_is_photon_flux(name, mode):
    params = CASES[name]
    system = linear_system(params)
    w = mode_vector(params, mode)
    integral = integrate_over_frequency(lambda om: system.output_spectrum(w, np.array([om]))[0], system)
    V = steady_state(params)
    k = quadrature_index(params)[mode]
    occupation = 0.5 * (V[k, k] + V[k + 1, k + 1]) - VACUUM_VARIANCE  # <c^dag c>
    assert integral == pytest.approx(occupation, rel=1e-6)
    # and the Lorentzian expansion's closed-form integral agrees
    assert system.output_lorentzians(w).integral() == pytest.approx(occupation, rel=1e-9)


@pytest.mark.parametrize("n_c,n_m1,n_m2", [(0.0, 0.0, 0.0), (0.3, 41.0, 30.0), (5.0, 1e3, 2.0)])
def test_thermal_and_vacuum_limits(n_c, n_m1, n_m2):
    params = C.replace(G_minus=0.0, G_plus=0.0, n_c=n_c, n_m1=n_m1, n_m2=n_m2)
    V = steady_state(params)
    np.testing.assert_allclose(V, np.diag(np.repeat([n_c, n_m1, n_m2], 2) + VACUUM_VARIANCE), atol=1e-9 * (1 + n_m1))
    # cavity emission alone: a Lorentzian of width kappa centred on f_c, area kappa_out * n_c
    f = np.linspace(-3e6, 3e6, 101)
    kappa = params.kappa
    expected = params.kappa_out * kappa * n_c / ((f) ** 2 + kappa**2 / 4)
    np.testing.assert_allclose(pump_spectrum(params, f), expected, rtol=1e-9, atol=1e-15)
    # collective thermal variance (paper: ~36 for 41, 30)
    x, p = collective_variances(params, np.array([0.0, 1.0]))
    np.testing.assert_allclose(x, 0.5 * (n_m1 + n_m2) + VACUUM_VARIANCE, rtol=1e-9, atol=1e-12)


@settings(deadline=None, max_examples=25)
@given(g_minus_khz=st.floats(50, 400), ratio=st.floats(0.05, 0.9), n_m=st.floats(0, 500))
def test_ideal_bogoliubov_limit(g_minus_khz, ratio, n_m):
    """g1 = g2, pumps on the sidebands, cold cavity, gamma -> 0: the beta modes reach vacuum."""
    params = C.replace(
        G_minus=g_minus_khz * 1e3,
        G_plus=ratio * g_minus_khz * 1e3,
        g_ratio=1.0,
        n_c=0.0,
        n_m1=n_m,
        n_m2=n_m,
        gamma1=1e-7,
        gamma2=1e-7,
    )
    r = np.arctanh(ratio)
    x, p = collective_variances(params, 0.0)
    assert x == pytest.approx(np.exp(-2 * r) / 2, rel=1e-4)
    assert p == pytest.approx(np.exp(-2 * r) / 2, rel=1e-4)
    phi, best = optimal_phase(params)
    assert best == pytest.approx(np.exp(-2 * r), rel=1e-4)


def test_ideal_bae_probe_sees_only_x_plus_phi():
    """g- = g+, g1 = g2, Delta = 0, pumps off: the probe is a QND measurement of X+^phi.

    Needs gamma1 = gamma2 too: unequal damping mixes X- (which takes the back-action) into X+.
    """
    phi = 0.7
    bare = C.replace(G_minus=0.0, G_plus=0.0, g_ratio=1.0, n_m1=41.0, n_m2=30.0, gamma2=C.gamma1)
    probed = bare.replace(probe_g_minus=40e3, probe_g_plus=40e3, probe_phase=phi)
    # the probe mode couples to the drums only through X+^phi ...
    A, _ = drift_matrix(probed)
    coupling = A[2:4, 4:8]  # (x_d, p_d) rows, drum columns
    xplus_phi = np.array([np.cos(phi), np.sin(phi), np.cos(phi), np.sin(phi)]) / np.sqrt(2)
    assert np.linalg.matrix_rank(coupling, tol=1e-9) == 1
    assert abs(abs(coupling[1] @ xplus_phi) / np.linalg.norm(coupling[1]) - 1) < 1e-12
    # ... so X+^phi and its QND partner P-^phi keep their variances, while P+^phi is heated
    x0, p0 = collective_variances(bare, phi)
    x1, p1 = collective_variances(probed, phi)
    assert x1 == pytest.approx(x0, rel=1e-9)
    assert p1 == pytest.approx(p0, rel=1e-9)
    assert collective_variances(probed, phi + np.pi / 2)[0] > 1.5 * x0
    # the probe area measures <(X+^phi)^2> including its zero-point half (no vacuum subtraction)
    weak = bare.replace(n_c=0.0, probe_g_minus=2e3, probe_g_plus=2e3, probe_phase=phi)
    system = linear_system(weak)
    area = system.output_lorentzians(mode_vector(weak, "d")).integral() * to_internal(weak.kappa_out)
    g, kappa, Omega = (to_internal(v) for v in (weak.probe_g_minus, weak.kappa, weak.Omega))
    transduction = to_internal(weak.kappa_out) * 4 * g**2 / (kappa**2 / 4 + Omega**2)
    assert area / transduction == pytest.approx(collective_variances(weak, phi)[0], rel=2e-3)


def test_ground_state_probe_area_is_zero_point():
    """A cold, ideal BAE probe of drums in their ground state measures 1/2 (the vacuum)."""
    cold = C.replace(
        G_minus=0.0,
        G_plus=0.0,
        g_ratio=1.0,
        n_c=0,
        n_m1=0,
        n_m2=0,
        gamma2=C.gamma1,
        probe_g_minus=2e3,
        probe_g_plus=2e3,
    )
    system = linear_system(cold)
    area = system.output_lorentzians(mode_vector(cold, "d")).integral() * to_internal(cold.kappa_out)
    g, kappa, Omega = (to_internal(v) for v in (cold.probe_g_minus, cold.kappa, cold.Omega))
    assert area / (to_internal(cold.kappa_out) * 4 * g**2 / (kappa**2 / 4 + Omega**2)) == pytest.approx(0.5, rel=2e-3)


@pytest.mark.parametrize("g_plus", [300e3, 400e3])
def test_unstable_parameters_raise(g_plus):
    """G+ > G- anti-damps a Bogoliubov mode. (G+ = G- exactly is still held by gamma > 0.)"""
    with pytest.raises(UnstableSystemError, match=r"eigenvalue.*G_plus = .* Hz"):
        steady_state(C.replace(G_plus=g_plus))
    with pytest.raises(ValueError, match="non-negative real part"):
        pump_spectrum(C.replace(G_plus=g_plus), np.zeros(3))


def test_stability_window_sign_of_delta():
    """docs/model.md §2: data set B's series is stable only read as Delta < 0 in our convention."""
    b = C.replace(G_minus=201e3, G_plus=128e3)
    for delta in (-19.4e3, -9.6e3, -0.1e3):
        linear_system(b.replace(delta_plus=delta, delta_minus=-delta))
    with pytest.raises(UnstableSystemError):
        linear_system(b.replace(delta_plus=19.4e3, delta_minus=-19.4e3))


@settings(deadline=None, max_examples=40)
@given(
    g_minus=st.floats(20e3, 400e3),
    ratio=st.floats(0.0, 0.85),
    rho=st.floats(0.8, 1.2),
    delta=st.floats(-3e3, 3e3),
    dbar=st.floats(-20e3, 20e3),
    probes=st.booleans(),
    phi=st.floats(-3.2, 3.2),
    n_c=st.floats(0, 5),
    n_m=st.floats(0, 300),
)
def test_fast_spectra_match_full_inverse_reference(g_minus, ratio, rho, delta, dbar, probes, phi, n_c, n_m):
    params = C.replace(
        G_minus=g_minus,
        G_plus=ratio * g_minus,
        g_ratio=rho,
        delta_plus=dbar + delta,
        delta_minus=dbar - delta,
        n_c=n_c,
        n_m1=n_m,
        n_m2=0.7 * n_m,
        probe_g_minus=40e3 if probes else 0.0,
        probe_g_plus=38e3 if probes else 0.0,
        probe_phase=phi,
    )
    try:
        system = linear_system(params)
    except UnstableSystemError:
        return
    f = np.linspace(-1.5e6, 2.5e6, 401)
    for mode in ("a", "d") if probes else ("a",):
        fast = output_spectrum(params, f, mode, system)
        slow = reference_output_spectrum(params, f, mode)
        assert np.abs(fast - slow).max() <= 1e-8 * np.abs(slow).max() + 1e-14


def test_fast_spectra_at_the_counterexample_hypothesis_found():
    """Hypothesis found this point (G+ = 0, g1/g2 = 1.053, probes on, no bath): two eigenvalues nearly
    merge (an exceptional point), the eigenbasis condition was 4e4 and the eigenmode spectrum was 2e-8
    off. The fallback threshold was 1e8 then; the error grows as condition**2 (next test)."""
    params = C.replace(
        G_minus=56889.0,
        G_plus=0.0,
        g_ratio=1.052734375,
        delta_plus=0.0,
        delta_minus=0.0,
        n_c=0.0,
        n_m1=0.0,
        n_m2=0.0,
        probe_g_minus=40e3,
        probe_g_plus=38e3,
        probe_phase=0.0,
    )
    system = linear_system(params)
    f = np.linspace(-1.5e6, 2.5e6, 401)
    for mode in ("a", "d"):
        fast = output_spectrum(params, f, mode, system)
        slow = reference_output_spectrum(params, f, mode)
        assert np.abs(fast - slow).max() <= 1e-8 * np.abs(slow).max() + 1e-14


def test_eigenbasis_error_grows_as_condition_squared_and_the_threshold_bounds_it():
    """Towards an exceptional point the eigenmode spectrum's relative error is ~ c**2 eps (c the
    eigenbasis condition): the threshold must bound c**2 eps, not c eps. Scan g1/g2 through one."""
    f = np.linspace(-1.5e6, 2.5e6, 401)
    errors, conditions = [], []
    offsets = np.geomspace(1e-6, 0.1, 20)
    for rho in 1.052734375 + np.concatenate([-offsets, offsets]):
        params = C.replace(
            G_minus=56889.0, G_plus=0.0, g_ratio=rho, delta_plus=0.0, delta_minus=0.0, n_c=0.0, n_m1=0.0,
            n_m2=0.0, probe_g_minus=40e3, probe_g_plus=38e3, probe_phase=0.0,
        )  # fmt: skip
        system = linear_system(params)
        c = _kernels.eigensystem(system.A)[3]
        fast = output_spectrum(params, f, "d", system)
        slow = reference_output_spectrum(params, f, "d")
        error = np.abs(fast - slow).max() / np.abs(slow).max()
        assert error <= 1e-8, (rho, c, system.use_eigenbasis)
        assert system.use_eigenbasis == (c < linear.MAX_EIGENBASIS_CONDITION)
        if system.use_eigenbasis:
            errors.append(error)
            conditions.append(c)
    conditions, errors = np.array(conditions), np.array(errors)
    assert conditions.max() > 0.5 * linear.MAX_EIGENBASIS_CONDITION  # the scan reaches the threshold
    assert (errors <= 2e-11 + 0.5 * conditions**2 * np.finfo(float).eps).all()  # round-off floor + c**2 law
    # and the c**2 law is real: forced into the eigenbasis near the point, the error is far above c eps
    params = C.replace(
        G_minus=56889.0, G_plus=0.0, g_ratio=1.052734375, n_c=0.0, n_m1=0.0, n_m2=0.0,
        probe_g_minus=40e3, probe_g_plus=38e3, probe_phase=0.0,
    )  # fmt: skip
    system = linear_system(params)
    c = _kernels.eigensystem(system.A)[3]
    system.use_eigenbasis = True
    fast = output_spectrum(params, f, "d", system)
    slow = reference_output_spectrum(params, f, "d")
    assert np.abs(fast - slow).max() / np.abs(slow).max() > 100 * c * np.finfo(float).eps


def test_eigensolver_matches_lapack_and_fallback_agrees(monkeypatch):
    rng = np.random.default_rng(7)
    for trial in range(300):
        n = rng.choice([1, 2, 3, 4, 6, 8, 14, 20])
        A = rng.normal(size=(n, n)) * 10.0 ** rng.uniform(-3, 3)
        if trial % 3 == 0:  # sparse: exact zeros on the subdiagonal, decoupled blocks, real 2x2 blocks
            A[rng.random((n, n)) < 0.6] = 0.0
        for schur in (_kernels._real_schur, _kernels._schur):  # the real path and its complex fallback
            T, Q, ok = schur(A)
            assert ok
            assert np.abs(np.tril(T, -1)).max(initial=0.0) <= 1e-14 * np.abs(A).max(initial=1.0)
            np.testing.assert_allclose(Q.conj().T @ Q, np.eye(n), atol=1e-13)
            np.testing.assert_allclose(Q @ T @ Q.conj().T, A, atol=1e-12 * np.abs(A).max(initial=1.0))
        lam, R, Rinv, cond = _kernels.eigensystem(A)
        if trial % 3 == 0 and not cond < 1e4:  # a sparse draw can be defective: no eigenbasis to test
            continue
        np.testing.assert_allclose(R @ np.diag(lam) @ Rinv, A, atol=1e-10 * np.abs(A).max())
        reference = np.linalg.eigvals(A)
        distance = np.abs(lam[:, None] - reference[None, :]).min(axis=1)
        assert distance.max() <= 1e-9 * np.abs(reference).max()
    # the direct (non-eigenbasis) path gives the same answers
    f = np.linspace(-1e6, 2e6, 301)
    fast_V, fast_S = steady_state(C_PROBES), probe_spectrum(C_PROBES, f)
    monkeypatch.setattr(linear, "MAX_EIGENBASIS_CONDITION", 0.0)
    assert not linear_system(C_PROBES).use_eigenbasis
    np.testing.assert_allclose(steady_state(C_PROBES), fast_V, atol=1e-10)
    np.testing.assert_allclose(probe_spectrum(C_PROBES, f), fast_S, rtol=1e-8, atol=1e-14)


def test_collective_variances_vectorised_and_optimal_phase():
    phi = np.linspace(-np.pi / 2, np.pi / 2, 2001)
    x, p = collective_variances(C, phi)
    assert x.shape == p.shape == phi.shape
    d = duan(C, phi)
    np.testing.assert_allclose(d, x + p)
    best_phi, best = optimal_phase(C)
    numeric = scipy.optimize.minimize_scalar(
        lambda t: duan(C, t), bounds=(-0.5, 0.5), method="bounded", options={"xatol": 1e-10}
    )
    assert best == pytest.approx(numeric.fun, abs=1e-12)
    assert best_phi == pytest.approx(numeric.x, abs=1e-5)
    assert best <= d.min()
    grid = collective_variances(C, phi.reshape(3, 667))[0]
    assert grid.shape == (3, 667)


def test_pump_features_sit_where_physics_says():
    """Frame w ~ -Omega emits near f_c, w ~ +Omega near f_c + 2 Omega (docs/model.md §3)."""
    params = C.replace(G_minus=60e3, G_plus=20e3)
    f = np.linspace(-0.5e6, 1.8e6, 46001)
    S = pump_spectrum(params, f)
    low = f[np.argmax(np.where(f < params.Omega, S, 0))]
    high = f[np.argmax(np.where(f > params.Omega, S, 0))]
    assert abs(low) < 5e3
    assert abs(high - 2 * params.Omega) < 5e3


def test_probe_signal_removes_the_double_counted_cavity_noise():
    """Uncoupled drums: the probe signal vanishes however hot the cavity; its area is kappa_out(<d^dag d> - n_c)."""
    from entangled_drums.physics.spectra import probe_signal

    f = np.linspace(-2e6, 2e6, 801)
    decoupled = C.replace(G_minus=0.0, G_plus=0.0, n_c=3.0, probe_g_minus=1e-9, probe_g_plus=1e-9)
    assert np.abs(probe_signal(decoupled, f)).max() < 1e-12
    system = linear_system(C_PROBES)
    occupation = system.output_lorentzians(mode_vector(C_PROBES, "d")).integral()
    area = integrate_over_frequency(
        lambda om: (
            probe_signal(C_PROBES, np.array([to_internal(1.0) ** -1 * om + C_PROBES.probe_frame]), system)[0]
            / to_internal(C_PROBES.kappa_out)
        ),
        system,
    )
    assert area == pytest.approx(occupation - C_PROBES.n_c, rel=1e-6)


@pytest.mark.parametrize("g_ratio", [1.0, 1.0 + 1e-9, 1.0 + 1e-6])
def test_probe_area_at_an_ideal_back_action_evasion(g_ratio):
    """g1 = g2 with matched probes makes the drift matrix defective: the probe area there (from the direct
    covariance) equals the mean of the areas at g1/g2 = 1 -+ 0.01 (well conditioned, the eigenbasis' route) to second
    order in the step (measured 9e-4); the eigenbasis' route at g1 = g2 gave a negative area (-2e14) on one CPU."""
    balanced = C_PROBES.replace(probe_g_plus=C_PROBES.probe_g_minus)
    sides = [linear_system(balanced.replace(g_ratio=r)) for r in (0.99, 1.01)]
    assert all(side.use_eigenbasis for side in sides)
    near = np.mean(
        [probe_area(balanced.replace(g_ratio=r), system=side) for r, side in zip((0.99, 1.01), sides, strict=True)]
    )
    system = linear_system(balanced.replace(g_ratio=g_ratio))
    assert not system.use_eigenbasis
    assert probe_area(balanced.replace(g_ratio=g_ratio), system=system) == pytest.approx(near, rel=2e-3)


@pytest.mark.parametrize("counter_rotating", [False, True])
def test_occupation_by_lyapunov_equals_the_lorentzians_integral(counter_rotating):
    """LinearSystem.occupation's direct route (used where the eigenbasis is ill conditioned) equals the eigenbasis'
    Lorentzian integral where both apply, the counter-rotating lattice included, whose dynamics do not preserve the
    commutators exactly (taking the commutator's part as i J there was 1e-6 off; measured now: 1e-14)."""
    p = C_PROBES.replace(counter_rotating=counter_rotating)
    system = linear_system(p)
    assert system.use_eigenbasis
    w = mode_vector(p, "d")
    expected = system.output_lorentzians(w).integral()
    system.use_eigenbasis = False
    assert system.occupation(w) == pytest.approx(expected, rel=1e-11)


def test_balanced_probe_factor_split_into_its_causes():
    """The balanced-probe factor's Shapley split (readout.correction.balanced_causes): the factors multiply to the
    balanced factor; a cause that is absent (g1 = g2, pumps off) gets exactly 1; with every idealisation the
    remainder is the calibration's own condition, 1."""
    from entangled_drums.readout.correction import balanced_causes, correction_parts

    causes = balanced_causes(C_PROBES)
    assert np.prod(list(causes.values())) == pytest.approx(correction_parts(C_PROBES)[0], rel=1e-12)
    assert causes["remainder"] == pytest.approx(1.0, abs=1e-6)
    assert causes["omega_kappa"] > 1.01  # Omega/kappa ~ 0.47 here: far from resolved sidebands
    assert balanced_causes(C_PROBES.replace(g_ratio=1.0))["g_ratio"] == pytest.approx(1.0, abs=1e-12)
    assert balanced_causes(C_PROBES.replace(G_minus=0.0, G_plus=0.0))["pumps"] == pytest.approx(1.0, abs=1e-12)


def test_resolution_filter_equals_a_dense_gaussian_convolution_near_the_stability_edge():
    """Near the stability edge (B1-like, G+ = 128.7 kHz at Delta = -19.5 kHz) the pump spectrum has features ~1 kHz
    wide: a 500 Hz resolution filter changes it by ~10 %. The 3-point Gauss-Hermite rule of the model
    (``rbw=``) equals a dense numerical convolution with the Gaussian of that 3 dB width to 1e-4 there."""
    from entangled_drums.physics.spectra import SIGMA_PER_FWHM

    p = Params(G_minus=198.15e3, G_plus=128.74e3, delta_minus=19.4986e3, delta_plus=-19.4486e3, n_c=0.3, n_m1=90.0)
    f = np.linspace(-250e3, 250e3, 101)
    rbw = 500.0
    sigma = rbw * SIGMA_PER_FWHM
    x = np.linspace(-8 * sigma, 8 * sigma, 801)
    w = np.exp(-0.5 * (x / sigma) ** 2)
    w /= w.sum()
    dense = pump_spectrum(p, (f[:, None] + x[None, :]).ravel()).reshape(f.size, x.size) @ w
    filtered = pump_spectrum(p, f, rbw=rbw)
    assert np.abs(filtered / pump_spectrum(p, f) - 1).max() > 0.02  # the filter matters here (4.5 % on this grid)
    np.testing.assert_allclose(filtered, dense, rtol=1e-4)


def test_resolution_filter_on_the_direct_path_equals_the_eigenbasis():
    """Near an exceptional point the model falls back to one solve per frequency: the filter rule is applied there
    alike (the same three shifted evaluations)."""
    from entangled_drums.physics.spectra import filter_shift, mode_vector

    p = Params(G_minus=198.15e3, G_plus=128.74e3, delta_minus=19.4986e3, delta_plus=-19.4486e3, n_c=0.3, n_m1=90.0)
    system = linear_system(p)
    f = np.linspace(-250e3, 250e3, 101)
    args = (mode_vector(p, "a"), f, p.pump_frame, 1e-3, filter_shift(500.0))
    eigen = system.output_spectrum(*args)
    system.use_eigenbasis = False
    np.testing.assert_allclose(system.output_spectrum(*args), eigen, rtol=1e-10)
    assert np.abs(system.output_spectrum(*args[:-1]) / eigen - 1).max() > 0.02  # the filter is applied there


def test_replica_poles_state_and_integral_by_independent_routes():
    """With the counter-rotating couplings the far drum components give replica poles of positive real part
    (physics/linear.py). The eigenbasis covariance with its sign rule equals the Schur-split Lyapunov solution, and
    the probe mode's Lorentzian integral equals its occupation from that covariance."""
    from entangled_drums.physics.linear import direct_covariance
    from entangled_drums.physics.spectra import mode_vector

    p = Params(probe_g_minus=40e3, probe_g_plus=38e3, probe_phase=0.3, counter_rotating=True)
    system = linear_system(p)
    assert system.eigenvalues.real.max() > 0.0  # a replica pole: exempt, not an error
    V = system.covariance()
    np.testing.assert_allclose(V, direct_covariance(system.A, system.D), atol=1e-10 * np.abs(V).max())
    lor = system.output_lorentzians(mode_vector(p, "d"))
    occupation = 0.5 * (V[2, 2] + V[3, 3]) - 0.5  # <d^dag d> = int S dw/2pi
    # measured 9e-7, not rounding: with replica poles the integrated commutator of the truncated lattice is 1 only
    # to that level (its frequency integral, like the laboratory's, not the Lyapunov identity)
    assert lor.integral() == pytest.approx(occupation, rel=1e-5)
    assert abs(float(np.sum(lor.p)) - occupation) > 1e-4 * occupation  # the sign rule matters here


def test_the_far_terms_interpolated_match_the_full_inverse():
    """The counter-rotating model's replica poles (~2 fbar away) are summed by quadratic interpolation across the
    grid (_kernels.lorentzian_sum): on both pump windows at once, with and without the filter, within 1e-8 of one
    full inverse per frequency (measured 2e-10); their own share of the spectrum is ~4e-6 (docs/model.md §2)."""
    from entangled_drums.physics import spectra

    p = Params(counter_rotating=True, delta_minus=-1.5e3, delta_plus=1.6e3)
    f = np.concatenate([np.linspace(-250e3, 250e3, 1001), 2 * p.Omega + np.linspace(-250e3, 250e3, 1001)])
    reference = spectra.reference_output_spectrum(p, f)
    np.testing.assert_allclose(spectra.pump_spectrum(p, f), reference, rtol=1e-8)
    shift = spectra.filter_shift(3000.0)
    filtered = (
        4 * reference
        + spectra.reference_output_spectrum(p, f + shift)
        + spectra.reference_output_spectrum(p, f - shift)
    ) / 6
    np.testing.assert_allclose(spectra.pump_spectrum(p, f, rbw=3000.0), filtered, rtol=1e-8)
