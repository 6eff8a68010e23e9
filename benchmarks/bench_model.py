"""Benchmarks of the model's hot path (``make bench``): prints tables, asserts nothing.

One core: BLAS and numba threads are pinned to 1 before numpy is imported. Each figure is
the best of several repeats of the per-call mean (the least disturbed estimate on a shared
machine), next to the median for an idea of the spread.
"""

import os

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[var] = "1"

import platform  # noqa: E402
import sys  # noqa: E402
import timeit  # noqa: E402

import numpy as np  # noqa: E402
import scipy.linalg  # noqa: E402

from entangled_drums import Params, linear_system, pump_spectrum, steady_state  # noqa: E402
from entangled_drums.physics import _kernels  # noqa: E402
from entangled_drums.physics.spectra import probe_spectrum, reference_output_spectrum  # noqa: E402

TARGETS_US = {"pump spectrum, 2001 points": 50.0, "steady state (6x6)": 100.0}


def per_call(fn, min_time=0.5, repeats=7):
    """(best, median) seconds per call over ``repeats`` runs of ~``min_time / repeats`` each."""
    fn()
    n = 1
    while timeit.timeit(fn, number=n) < min_time / repeats:
        n *= 2
    runs = np.array(timeit.repeat(fn, number=n, repeat=repeats)) / n
    return float(runs.min()), float(np.median(runs))


def fmt(seconds):
    return f"{seconds * 1e6:10.1f} us" if seconds < 1e-2 else f"{seconds * 1e3:10.2f} ms"


def main():
    C = Params()
    probes = C.replace(probe_g_minus=42.2e3, probe_g_plus=40e3, probe_phase=np.deg2rad(4))
    f = np.linspace(-1.5e6, 2.5e6, 2001)
    system = linear_system(C)
    far, far_probes = C.replace(counter_rotating=True), probes.replace(counter_rotating=True)
    drift14 = linear_system(far).A

    cases = [
        ("steady state (6x6)", lambda: steady_state(C)),
        ("steady state (6x6), scipy Lyapunov", lambda: scipy.linalg.solve_continuous_lyapunov(system.A, -system.D)),
        ("steady state (8x8, probes on)", lambda: steady_state(probes)),
        ("pump spectrum, 2001 points", lambda: pump_spectrum(C, f)),
        ("  of which: spectrum of a solved system", lambda: pump_spectrum(C, f, system=system)),
        ("probe spectrum, 2001 points (8x8)", lambda: probe_spectrum(probes, f)),
        ("pump spectrum, naive batched inverse", lambda: reference_output_spectrum(C, f)),
        # the counter-rotating model (14x14, 20x20 with probes; docs/model.md §2) beside the rotating-wave one above
        ("steady state (14x14, counter-rotating)", lambda: steady_state(far)),
        ("pump spectrum, 2001 points (14x14)", lambda: pump_spectrum(far, f)),
        ("probe spectrum, 2001 points (20x20)", lambda: probe_spectrum(far_probes, f)),
        # the eigensolver of the 14x14 drift, before (complex Schur throughout) and now (real Schur, then complex)
        ("Schur form (14x14), complex QR (before)", lambda: _kernels._schur(drift14)),
        ("Schur form (14x14), real double-shift QR", lambda: _kernels._real_schur(drift14)),
        ("eigensystem (14x14)", lambda: _kernels.eigensystem(drift14)),
    ]
    print(
        f"# model benchmarks  (python {platform.python_version()}, numpy {np.__version__}, "
        f"{platform.machine()}, 1 thread)"
    )
    print(f"{'case':<44} {'best':>13} {'median':>13} {'target':>10}")
    results = {}
    for name, fn in cases:
        best, median = per_call(fn)
        results[name] = best
        target = TARGETS_US.get(name)
        flag = "" if target is None else (f"<= {target:.0f} us " + ("ok" if best * 1e6 <= target else "MISSED"))
        print(f"{name:<44} {fmt(best):>13} {fmt(median):>13}   {flag}")
    fast, naive = results["pump spectrum, 2001 points"], results["pump spectrum, naive batched inverse"]
    print(f"{'speed-up of the fast pump spectrum vs naive':<44} {naive / fast:12.0f}x")
    lyap = results["steady state (6x6), scipy Lyapunov"] / results["steady state (6x6)"]
    print(f"{'speed-up of the steady state vs scipy':<44} {lyap:12.1f}x")
    schur = results["Schur form (14x14), complex QR (before)"] / results["Schur form (14x14), real double-shift QR"]
    print(f"{'speed-up of the real Schur form (14x14)':<44} {schur:12.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
