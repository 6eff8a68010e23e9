"""The laboratory's measurement chain: output line, amplifier and spectrum analyser.

What an analyser records per bin (docs/model.md §5, written here from the instrument's side):
the emitted spectrum S (quanta) seen through the resolution filter, times the output line's gain,
which ripples across a span (a standing wave between two reflections of the line), on top of the
amplifier's added noise, averaged N times. The number of independent averages per bin follows from
the analyser's mode:

* ``swept``: the RMS detector integrates the noise in the resolution filter for the dwell time per
  bin, ``duration / bins``: N ≈ ENBW · dwell (one independent sample per inverse noise bandwidth),
  ENBW = 1.065 RBW for the Gaussian filters of swept analysers.
* ``fft``: Welch averaging of windowed segments of length T = ENBW_window / RBW with ``overlap``;
  K = (duration − T) / ((1 − overlap) T) + 1 segments, correlated through the overlap, count as
  N = K / (1 + 2 ρ²) with ρ the window's overlap correlation (Hann at 50 %: ρ = 0.167; Harris
  1978, Table 1; Welch 1967).

The laboratory shares no code with the analysis: its own constants and formulas.
"""

import numpy as np

from .constants import H, db

#: Equivalent noise bandwidth of a swept analyser's Gaussian resolution filter, per RBW.
GAUSSIAN_ENBW = 1.065
#: FFT windows: (equivalent noise bandwidth in bins, overlap correlation at 50 % overlap) (Harris 1978).
WINDOWS = {"hann": (1.50, 0.167), "flattop": (3.77, 0.0)}


def averages(mode, duration, rbw, bins, window="hann", overlap=0.5):
    """Independent averages per bin of a trace (whole number ≥ 1), from the analyser's mode."""
    if mode == "swept":
        return max(1, int(np.floor(GAUSSIAN_ENBW * rbw * duration / bins)))
    if mode == "fft":
        enbw, rho = WINDOWS[window]
        T = enbw / rbw
        k = int(np.floor((duration - T) / ((1.0 - overlap) * T))) + 1
        return max(1, int(np.floor(k / (1.0 + 2.0 * rho**2 * (overlap >= 0.5)))))
    raise ValueError(f"unknown analyser mode {mode!r} (swept or fft)")


def rbw_nodes(rbw, order=5):
    """Frequency offsets (Hz) and weights of a Gauss-Hermite rule for the Gaussian resolution filter of
    3 dB width ``rbw``: the recorded value is ``Σ w S(f + offset)`` (a filter normalised to its noise
    bandwidth reads white noise right)."""
    x, w = np.polynomial.hermite_e.hermegauss(order)
    sigma = rbw / (2.0 * np.sqrt(2.0 * np.log(2.0)))
    return sigma * x, w / w.sum()


def ripple(f_lab, f_c, amplitude, delay_s, phase):
    """Relative gain across a span: 1 + a cos(2π (f − f_c) τ + θ), a standing wave of round-trip delay τ."""
    return 1.0 + amplitude * np.cos(2.0 * np.pi * (np.asarray(f_lab) - f_c) * delay_s + phase)


def mean_psd(S, f_lab, gain_db, n_add, gain_shape=1.0):
    """Mean recorded PSD (W/Hz): gain · h f · (n_add + ½ + S), the gain shaped across the span."""
    return db(gain_db) * gain_shape * H * np.asarray(f_lab) * (n_add + 0.5 + np.asarray(S))


def draw(rng, mean, n_averages):
    """One averaged trace: per bin the mean of N exponential periodogram values, Gamma(N, mean/N)."""
    return rng.gamma(shape=float(n_averages), scale=np.asarray(mean, dtype=float) / float(n_averages))
