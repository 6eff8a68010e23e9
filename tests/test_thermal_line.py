"""The thermal calibration's line shape: a drum's Lorentzian seen through the analyser's resolution filter and
broadened by the drum's frequency jitter (a Voigt line, calibration/drums.py ``line_area``). The test lines are
built by direct numerical convolution on a fine grid, not by scipy's Voigt function that the fit uses."""

import numpy as np
import pytest

from entangled_drums.calibration import line_area

WIDTH, RBW, JITTER = 106.0, 20.0, 5.0  # Hz: the archive's drum 1, its thermal traces' RBW, the laboratory's jitter
N_AVG = 30_000


def _observed(f, width, rbw, jitter, area=1e-16, floor=2e-19):
    """Lorentzian of full width ``width`` convolved with Gaussians of 3 dB width ``rbw`` and rms ``jitter``."""
    sigma = np.hypot(rbw / (2.0 * np.sqrt(2.0 * np.log(2.0))), jitter)
    x = np.arange(-100.0, 100.0, 0.2)
    kernel = np.exp(-0.5 * (x / sigma) ** 2)
    kernel /= kernel.sum()
    fine = np.arange(f[0] - 2000.0, f[-1] + 2000.0, 0.2)
    lorentz = (width / (2.0 * np.pi)) / (fine**2 + (width / 2.0) ** 2)
    smooth = np.convolve(lorentz, kernel, mode="same")
    return floor + area * np.interp(f, fine, smooth)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_voigt_line_recovers_the_drum_width_and_a_lorentzian_does_not(seed):
    """Through a 20 Hz filter and 5 Hz of jitter the 106 Hz line reads 106 Hz within 3 sigma; the same fit told
    the filter is ~0 and the jitter prior ~0 (a Lorentzian) reads it several sigma wide."""
    f = np.arange(-3000.0, 3000.1, RBW)
    mean = _observed(f, WIDTH, RBW, JITTER)
    psd = np.random.default_rng(seed).gamma(N_AVG, mean / N_AVG)
    _, _, voigt = line_area(f, psd, N_AVG, RBW, 10.0, "test")
    assert abs(abs(voigt.value("width")) - WIDTH) < 3 * voigt.error("width"), (
        abs(voigt.value("width")),
        voigt.error("width"),
    )
    _, _, lorentz = line_area(f, psd, N_AVG, 1e-3, 1e-3, "test")
    assert (abs(lorentz.value("width")) - WIDTH) > 4 * lorentz.error("width"), (
        abs(lorentz.value("width")),
        lorentz.error("width"),
    )


def test_voigt_area_is_the_lines_whole_area():
    """The fitted area is the line's, whatever the filter: the filter and the jitter move power, they do not add any."""
    f = np.arange(-3000.0, 3000.1, RBW)
    mean = _observed(f, WIDTH, RBW, JITTER, area=1e-16)
    area, sigma, _ = line_area(f, mean, N_AVG, RBW, 10.0, "test")
    assert area == pytest.approx(1e-16, rel=2e-3)
