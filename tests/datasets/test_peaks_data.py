"""Tests of the Lorentzian-peak generator."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from skspectra.datasets import lorentzian, make_lorentzian_peaks


@given(seed=st.integers(0, 2**31 - 1), n=st.integers(1, 6))
def test_truth_respects_the_constraints(seed, n):
    X, truth = make_lorentzian_peaks(
        3, 256, n_peaks=n, min_separation=2.0, edge_margin=4.0, random_state=seed
    )
    assert X.shape == (3, 256)
    for i in range(3):
        x, w = truth.positions[i], truth.widths[i]
        assert np.all(np.diff(x) >= 2.0 * np.maximum(w[:-1], w[1:]) - 1e-12)
        assert np.all(x - 4.0 * w >= 0) and np.all(x + 4.0 * w <= 255)
        np.testing.assert_allclose(truth.areas[i], np.pi * w * truth.heights[i])
    np.testing.assert_allclose(
        X, lorentzian(truth.energy, truth.positions, truth.widths, truth.areas)
    )


def test_seeded_and_noise_level():
    a, ta = make_lorentzian_peaks(50, 128, snr=20, random_state=1)
    b, _ = make_lorentzian_peaks(50, 128, snr=20, random_state=1)
    np.testing.assert_array_equal(a, b)
    resid = a - ta.X_clean
    np.testing.assert_allclose(ta.noise_std, ta.X_clean.max(axis=1) / 20)
    assert abs(resid.std() / ta.noise_std.mean() - 1) < 0.1


def test_lorentzian_area_and_height():
    e = np.linspace(-2e4, 2e4, 400001)
    y = lorentzian(e, [1.0], [3.0], [5.0])
    assert abs(np.trapezoid(y, e) - 5.0) < 1e-3
    assert abs(y.max() - 5.0 / (np.pi * 3.0)) < 1e-6


def test_periodic_matches_sum_of_shifted_copies():
    X, truth = make_lorentzian_peaks(
        2, 64, n_peaks=2, width_range=(2.0, 3.0), periodic=True, random_state=0
    )
    e = truth.energy
    shifts = 64.0 * np.arange(-3000, 3001)
    ref = sum(
        lorentzian(e, truth.positions + s, truth.widths, truth.areas) for s in shifts
    )
    np.testing.assert_allclose(X, ref, rtol=1e-3)


def test_bad_arguments():
    with pytest.raises(ValueError, match="n_spectra"):
        make_lorentzian_peaks(0)
    with pytest.raises(ValueError, match="snr"):
        make_lorentzian_peaks(2, snr=-1)
    with pytest.raises(ValueError, match="uniform"):
        make_lorentzian_peaks(2, 16, energy=np.cumsum(np.arange(1.0, 17.0)))
    with pytest.raises(ValueError, match="place"):
        make_lorentzian_peaks(2, 256, n_peaks=30, min_separation=5.0)
