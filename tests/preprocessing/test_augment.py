"""Augmentation (shift, Poisson and Gaussian noise): what the docstrings promise."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from skspectra.preprocessing import (
    EdgeAligner,
    add_gaussian_noise,
    add_poisson_noise,
    augment_spectra,
    augment_with_noise,
    shift_spectra,
)
from skspectra.preprocessing._augment import _draw_levels

# --- Gaussian noise ----------------------------------------------------------


def test_gaussian_noise_has_sigma_rms_over_snr():
    rng = np.random.default_rng(0)
    x = np.full((1, 20000), 2.0)
    x[0, ::2] = -2.0  # rms 2
    for snr in (5.0, 20.0):
        noisy = add_gaussian_noise(x, snr=snr, random_state=rng)
        resid = noisy - x
        assert abs(resid.mean()) < 4 * (2 / snr) / np.sqrt(x.size)
        np.testing.assert_allclose(resid.std(), 2.0 / snr, rtol=0.03)


def test_gaussian_noise_matches_make_xanes_series():
    # the same definition of the signal-to-noise ratio as the generator
    from skspectra.datasets import make_xanes_series

    data = make_xanes_series(n_samples=400, n_channels=128, noise=10.0, random_state=0)
    ours = add_gaussian_noise(
        data.noiseless, snr=10.0, random_state=np.random.default_rng(0)
    )
    theirs_sd = (data.data - data.noiseless).std(axis=1)
    ours_sd = (ours - data.noiseless).std(axis=1)
    np.testing.assert_allclose(ours_sd.mean(), theirs_sd.mean(), rtol=0.02)


def test_gaussian_noise_sigma_relative_and_absolute():
    X = np.vstack([np.ones(20000), 3 * np.ones(20000)])
    noisy = add_gaussian_noise(X, sigma=0.1, random_state=1)
    np.testing.assert_allclose(noisy.std(axis=1), [0.1, 0.3], rtol=0.03)
    absolute = add_gaussian_noise(X, sigma=0.1, relative=False, random_state=1)
    np.testing.assert_allclose(absolute.std(axis=1), [0.1, 0.1], rtol=0.03)


def test_gaussian_noise_needs_exactly_one_width():
    X = np.ones((2, 5))
    with pytest.raises(ValueError, match="exactly one of sigma and snr"):
        add_gaussian_noise(X)
    with pytest.raises(ValueError, match="exactly one of sigma and snr"):
        add_gaussian_noise(X, sigma=0.1, snr=10.0)
    with pytest.raises(ValueError, match=r"one value per spectrum \(2\)"):
        add_gaussian_noise(X, snr=[1.0, 2.0, 3.0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_generator_draws_in_the_dtype_of_the_spectra(dtype):
    X = np.ones((3, 50), dtype=dtype)
    out = add_gaussian_noise(X, snr=10.0, random_state=np.random.default_rng(0))
    ref = X + np.random.default_rng(0).standard_normal(X.shape, dtype=dtype) / 10
    assert out.dtype == dtype
    np.testing.assert_allclose(out, ref, rtol=1e-6)


# --- Poisson noise -----------------------------------------------------------


def test_poisson_noise_is_unbiased_with_count_variance():
    # E[x_noisy] = x and Var[x_noisy] = x / c
    rng = np.random.default_rng(1)
    x = np.array([0.0, 0.5, 1.0, 2.0])
    c = 50.0
    X = np.tile(x, (40000, 1))
    noisy = add_poisson_noise(X, counts=c, random_state=rng)
    np.testing.assert_allclose(noisy.mean(axis=0), x, atol=0.01)
    np.testing.assert_allclose(noisy.var(axis=0), x / c, rtol=0.05)
    assert np.all(noisy[:, 0] == 0)
    # noisy values are multiples of 1 / c
    np.testing.assert_allclose(noisy * c, np.round(noisy * c), atol=1e-9)


def test_poisson_noise_statistics_and_no_side_effects():
    X = np.full((4, 5000), 50.0, dtype=np.float32)
    before = X.copy()
    noisy = add_poisson_noise(X, random_state=0)
    assert noisy.dtype == np.float32
    assert abs(noisy.mean() - 50) < 0.5 and abs(noisy.var() - 50) < 3
    np.testing.assert_array_equal(X, before)
    # a total of 1e4 counts per spectrum, as counts per unit of intensity:
    # 2 per channel, relative var 1/2
    scaled = add_poisson_noise(X, counts=1e4 / X.sum(axis=1), random_state=0)
    assert abs(scaled.mean() - 50) < 1
    assert abs(np.var(scaled / 50) - 0.5) < 0.05
    with pytest.raises(ValueError, match="spectrum 1 has negative values"):
        add_poisson_noise(np.array([[1.0, 2.0], [-1.0, 0.0]]))


def test_poisson_noise_counts_none_means_x_holds_counts():
    X = np.full((2, 300), 20.0)
    a = add_poisson_noise(X, random_state=np.random.default_rng(3))
    b = add_poisson_noise(X, counts=1.0, random_state=np.random.default_rng(3))
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, np.round(a))


def test_poisson_noise_rejects_negative_spectra_and_bad_counts():
    with pytest.raises(ValueError, match="non-negative"):
        add_poisson_noise(np.array([[1.0, -0.1]]), counts=100)
    with pytest.raises(ValueError, match="counts must be positive and finite"):
        add_poisson_noise(np.ones((2, 3)), counts=[1.0, 0.0])


def test_poisson_noise_leaves_all_zero_spectrum_at_zero():
    out = add_poisson_noise(np.zeros((2, 5)), counts=100, random_state=0)
    assert np.all(out == 0)


# --- energy shift --------------------------------------------------------------


def test_integer_shift_on_uniform_grid_moves_channels():
    x = np.arange(10, dtype=np.float64)[None, :] ** 2
    energy = np.linspace(100.0, 104.5, 10)  # step 0.5
    out = shift_spectra(x, [1.0], energy=energy)  # two channels up
    np.testing.assert_allclose(out[0, 2:], x[0, :-2])
    np.testing.assert_allclose(out[0, :2], x[0, 0])  # constant extension


def test_shift_without_energy_is_in_channels():
    x = np.arange(6, dtype=np.float64)[None, :]
    np.testing.assert_array_equal(
        shift_spectra(x, [2.0]), shift_spectra(x, [2.0], energy=np.arange(6.0))
    )
    np.testing.assert_array_equal(shift_spectra(x, [2.0])[0, 2:], x[0, :-2])


@given(
    x=arrays(np.float64, (3, 12), elements=st.floats(-5, 5)),
    shifts=arrays(np.float64, (3,), elements=st.floats(-3, 3)),
    uniform=st.booleans(),
)
def test_shift_equals_per_spectrum_interpolation(x, shifts, uniform):
    # the vectorised shift equals np.interp of each spectrum at E - delta
    energy = np.linspace(0, 11, 12) if uniform else np.cumsum(np.linspace(0.5, 2, 12))
    out = shift_spectra(x, shifts, energy=energy)
    for i in range(3):
        ref = np.interp(energy - shifts[i], energy, x[i])
        np.testing.assert_allclose(out[i], ref, atol=1e-9)


@given(x=arrays(np.float32, (2, 8), elements=st.floats(0, 10, width=32)))
def test_zero_shift_is_identity_and_input_untouched(x):
    before = x.copy()
    out = shift_spectra(x, np.zeros(2), energy=np.arange(8.0))
    # the last channel is hi + (hi - lo) * 0 written as lo + (hi - lo) * 1
    np.testing.assert_allclose(out, x, rtol=1e-6, atol=1e-6)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(x, before)


def test_shift_rejects_wrong_shapes():
    with pytest.raises(ValueError, match=r"one finite value per spectrum \(2\)"):
        shift_spectra(np.ones((2, 5)), [1.0])
    with pytest.raises(ValueError, match="energy has 4 values"):
        shift_spectra(np.ones((2, 5)), [1.0, 2.0], energy=np.arange(4.0))


def test_edge_aligner_undoes_a_known_shift():
    # EdgeAligner shifts by the same interpolation: aligning spectra shifted
    # by +d and -d from one spectrum brings both back to it
    E = np.linspace(0.0, 20.0, 401)
    x = np.tanh(E - 10.0)
    X = shift_spectra(np.tile(x, (2, 1)), [0.5, -0.5], energy=E)
    out = EdgeAligner(energy=E, target_energy=10.0).fit(X).transform(X)
    inner = slice(40, -40)
    np.testing.assert_allclose(out[:, inner], np.tile(x, (2, 1))[:, inner], atol=2e-3)


# --- random draws ------------------------------------------------------------


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
    out = augment_spectra(X, noise_snr=2.0, noise_counts=1e12, random_state=rng)
    spread = out[:, 1:].std(axis=1)
    gaussian = spread > 0.1
    assert 120 < gaussian.sum() < 280
    assert np.all(spread[~gaussian] < 1e-4)


def test_augment_shifts_stay_within_max_shift():
    # a step at channel 50 moves by at most max_shift channels
    X = np.tile((np.arange(100) >= 50).astype(float), (300, 1))
    out = augment_spectra(X, max_shift=4.0, random_state=0)
    step = (out >= 0.5).argmax(axis=1)
    assert 46 <= step.min() and step.max() <= 54
    assert step.min() < 49 and step.max() > 51  # both directions are drawn


def test_augment_without_perturbation_returns_copy():
    X = np.ones((2, 3))
    out = augment_spectra(X, random_state=np.random.default_rng(0))
    assert out is not X
    np.testing.assert_array_equal(out, X)


def test_augment_is_reproducible_and_rejects_bad_levels():
    X = np.abs(np.random.default_rng(0).standard_normal((5, 20)))
    kw = dict(max_shift=1.0, noise_snr=(3, 30), noise_counts=100.0)
    np.testing.assert_array_equal(
        augment_spectra(X, random_state=4, **kw),
        augment_spectra(X, random_state=4, **kw),
    )
    with pytest.raises(ValueError, match=r"noise_snr must be given as \(low, high\)"):
        augment_spectra(X, noise_snr=(30, 3))
    with pytest.raises(ValueError, match="noise_counts must be a positive number"):
        augment_spectra(X, noise_counts=(1, 2, 3))
    with pytest.raises(ValueError, match="energy has 19 values"):
        augment_spectra(X, energy=np.arange(19.0))


# --- noisy copies ------------------------------------------------------------


def test_augment_with_noise_copies():
    X = np.vstack([np.ones(20000), 3 * np.ones(20000)])
    X_aug, y_aug = augment_with_noise(
        X, [7, 8], n_copies=3, noise="gaussian", level=0.01, random_state=0
    )
    assert X_aug.shape == (8, 20000) and y_aug.tolist() == [7, 8] * 4
    np.testing.assert_array_equal(X_aug[:2], X)
    a, _ = augment_with_noise(X, n_copies=2, random_state=3)
    b, _ = augment_with_noise(X, n_copies=2, random_state=3)
    np.testing.assert_array_equal(a, b)
    # Poisson copies at level counts per unit of intensity: variance x / level
    np.testing.assert_allclose(a[2:].var(axis=1), np.tile(X[:, 0], 2) / 1e4, rtol=0.05)
    with pytest.raises(ValueError, match="y has 3 entries for 2 spectra"):
        augment_with_noise(X, [1, 2, 3])
