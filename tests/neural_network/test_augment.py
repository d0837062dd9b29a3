"""Noise and shift augmentation: the statistics the docstrings promise."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from skspectra.neural_network._augment import (
    _draw_levels,
    add_gaussian_noise,
    add_poisson_noise,
    augment_spectra,
    shift_spectra,
)


def test_gaussian_noise_has_sigma_rms_over_snr():
    rng = np.random.default_rng(0)
    x = np.full((1, 20000), 2.0)
    x[0, ::2] = -2.0  # rms 2
    for snr in (5.0, 20.0):
        noisy = add_gaussian_noise(x, snr, rng)
        resid = noisy - x
        assert abs(resid.mean()) < 4 * (2 / snr) / np.sqrt(x.size)
        np.testing.assert_allclose(resid.std(), 2.0 / snr, rtol=0.03)


def test_gaussian_noise_matches_make_xanes_series():
    # the same definition of the signal-to-noise ratio as the generator
    from skspectra.datasets import make_xanes_series

    data = make_xanes_series(n_samples=400, n_channels=128, noise=10.0, random_state=0)
    ours = add_gaussian_noise(data.noiseless, 10.0, np.random.default_rng(0))
    theirs_sd = (data.data - data.noiseless).std(axis=1)
    ours_sd = (ours - data.noiseless).std(axis=1)
    np.testing.assert_allclose(ours_sd.mean(), theirs_sd.mean(), rtol=0.02)


def test_poisson_noise_is_unbiased_with_count_variance():
    # E[x_noisy] = x and Var[x_noisy] = x / c
    rng = np.random.default_rng(1)
    x = np.array([0.0, 0.5, 1.0, 2.0])
    c = 50.0
    X = np.tile(x, (40000, 1))
    noisy = add_poisson_noise(X, c, rng)
    np.testing.assert_allclose(noisy.mean(axis=0), x, atol=0.01)
    np.testing.assert_allclose(noisy.var(axis=0), x / c, rtol=0.05)
    assert np.all(noisy[:, 0] == 0)
    # noisy values are multiples of 1 / c
    np.testing.assert_allclose(noisy * c, np.round(noisy * c), atol=1e-9)


def test_poisson_noise_rejects_negative_spectra():
    with pytest.raises(ValueError, match="non-negative"):
        add_poisson_noise(np.array([[1.0, -0.1]]), 100, np.random.default_rng(0))


def test_poisson_noise_leaves_all_zero_spectrum_at_zero():
    out = add_poisson_noise(np.zeros((2, 5)), 100, np.random.default_rng(0))
    assert np.all(out == 0)


def test_integer_shift_on_uniform_grid_moves_channels():
    x = np.arange(10, dtype=np.float64)[None, :] ** 2
    energy = np.linspace(100.0, 104.5, 10)  # step 0.5
    out = shift_spectra(x, energy, np.array([1.0]))  # two channels up
    np.testing.assert_allclose(out[0, 2:], x[0, :-2])
    np.testing.assert_allclose(out[0, :2], x[0, 0])  # constant extension


@given(
    x=arrays(np.float64, (3, 12), elements=st.floats(-5, 5)),
    shifts=arrays(np.float64, (3,), elements=st.floats(-3, 3)),
    uniform=st.booleans(),
)
def test_shift_equals_per_spectrum_interpolation(x, shifts, uniform):
    # the vectorised shift equals np.interp of each spectrum at E - delta
    energy = np.linspace(0, 11, 12) if uniform else np.cumsum(np.linspace(0.5, 2, 12))
    out = shift_spectra(x, energy, shifts)
    for i in range(3):
        ref = np.interp(energy - shifts[i], energy, x[i])
        np.testing.assert_allclose(out[i], ref, atol=1e-9)


@given(x=arrays(np.float32, (2, 8), elements=st.floats(0, 10, width=32)))
def test_zero_shift_is_identity_and_input_untouched(x):
    before = x.copy()
    out = shift_spectra(x, np.arange(8.0), np.zeros(2))
    # the last channel is hi + (hi - lo) * 0 written as lo + (hi - lo) * 1
    np.testing.assert_allclose(out, x, rtol=1e-6, atol=1e-6)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(x, before)


def test_draw_levels_log_uniform_within_bounds():
    rng = np.random.default_rng(0)
    lv = _draw_levels(np.array([5.0, 500.0]), 20000, rng)
    assert lv.min() >= 5 and lv.max() <= 500
    # log-uniform: the median is the geometric mean
    np.testing.assert_allclose(np.median(lv), 50.0, rtol=0.05)
    np.testing.assert_array_equal(_draw_levels(np.array([7.0]), 3, rng), 7.0)


def test_augment_both_models_split_between_spectra():
    rng = np.random.default_rng(0)
    # a constant spectrum: Gaussian noise changes it, Poisson at a huge count
    # level barely does, so the two groups are told apart
    X = np.ones((400, 50))
    X[:, 0] = 0  # range 1
    out = augment_spectra(X, rng, noise_snr=2.0, noise_counts=1e12)
    spread = out[:, 1:].std(axis=1)
    gaussian = spread > 0.1
    assert 120 < gaussian.sum() < 280
    assert np.all(spread[~gaussian] < 1e-4)


def test_augment_without_perturbation_returns_copy():
    X = np.ones((2, 3))
    out = augment_spectra(X, np.random.default_rng(0))
    assert out is not X
    np.testing.assert_array_equal(out, X)
