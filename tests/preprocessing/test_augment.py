"""Augmentation (shift, broadening, background, noise): what the docstrings promise."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from skspectra.preprocessing import (
    EdgeAligner,
    PoissonNoise,
    RandomBackground,
    RandomBroadening,
    RandomShift,
    add_background,
    add_gaussian_noise,
    add_poisson_noise,
    augment_spectra,
    augment_with_noise,
    broaden_spectra,
    shift_spectra,
)
from skspectra.preprocessing._augment import _draw_levels, _uniform_step

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


# --- broadening --------------------------------------------------------------


def _gauss(E, centre, sigma):
    return np.exp(-0.5 * ((E - centre) / sigma) ** 2) / (sigma * np.sqrt(2 * np.pi))


@pytest.mark.parametrize("uniform", [True, False])
def test_broadening_adds_widths_in_quadrature(uniform):
    # a Gaussian of width a convolved with one of width b has width
    # sqrt(a^2 + b^2), on uniform and non-uniform grids
    if uniform:
        E = np.linspace(0.0, 40.0, 801)
    else:
        E = np.sort(np.r_[np.linspace(0, 18, 200), np.linspace(18.02, 40, 1100)])
    X = np.vstack([_gauss(E, 20.0, 0.6), _gauss(E, 20.0, 0.6)])
    out = broaden_spectra(X, [0.8, 0.0], energy=E)
    np.testing.assert_allclose(out[0], _gauss(E, 20.0, 1.0), atol=2e-3)
    np.testing.assert_array_equal(out[1], X[1])


def test_broadening_keeps_constants_and_area_and_dtype():
    E = np.linspace(0, 10, 101)
    X = np.vstack([np.full(101, 3.0), _gauss(E, 5.0, 0.3)]).astype(np.float32)
    # the peak stays more than 5 widths inside the range: no area is lost
    out = broaden_spectra(X, 0.8, energy=E)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out[0], 3.0, rtol=1e-5)
    np.testing.assert_allclose(out[1].sum(), X[1].sum(), rtol=1e-4)


def test_broadening_wider_than_the_spectrum_is_rejected():
    X = np.ones((2, 50))
    with pytest.raises(ValueError, match="wider than the spectrum.*spans 49"):
        broaden_spectra(X, [1.0, 60.0])
    with pytest.raises(ValueError, match="wider than the spectrum.*spans 4.9"):
        augment_spectra(X, max_broadening=5.0, energy=np.linspace(0, 4.9, 50))
    with pytest.raises(ValueError, match="wider than the spectrum"):
        RandomBroadening(max_broadening=100.0).fit(X)
    with pytest.raises(ValueError, match="sigmas must be finite and non-negative"):
        broaden_spectra(X, -1.0)


@given(
    arrays(np.float64, (3, 40), elements=st.floats(0, 10)),
    st.floats(0, 30),
)
def test_broadening_stays_within_the_range_of_each_spectrum(X, sigma):
    # a convolution with a positive kernel of unit area is an average
    out = broaden_spectra(X, sigma)
    lo, hi = X.min(axis=1, keepdims=True), X.max(axis=1, keepdims=True)
    assert np.all(out >= lo - 1e-9) and np.all(out <= hi + 1e-9)


# --- background --------------------------------------------------------------


def test_background_ends_and_shapes():
    E = np.linspace(400.0, 800.0, 81)
    X = np.vstack([np.ones(81), 2 * np.ones(81)])
    line = add_background(X, [0.2, 0.1], [0.0, 0.3], energy=E) - X
    np.testing.assert_allclose(line[:, [0, -1]], [[0.2, 0.0], [0.2, 0.6]])
    np.testing.assert_allclose(np.diff(line, 2, axis=1), 0, atol=1e-12)
    power = add_background(X, 0.4, 0.1, energy=E, kind="power_law") - X
    np.testing.assert_allclose(power[0], 0.4 * (E / 400.0) ** -2.0)


def test_power_law_background_needs_an_energy_axis():
    X = np.ones((2, 30))
    with pytest.raises(ValueError, match="power-law background needs positive"):
        add_background(X, 0.1, 0.05, kind="power_law")
    with pytest.raises(ValueError, match="energy=None is the channel index"):
        augment_spectra(X, background="power_law")
    with pytest.raises(ValueError, match="power-law background needs positive"):
        RandomBackground(kind="power_law").fit(X)
    with pytest.raises(ValueError, match="power-law background needs positive"):
        RandomBackground(kind="power_law", energy=np.arange(-5.0, 25.0)).fit(X)
    with pytest.raises(ValueError, match="end must be positive"):
        add_background(X, 0.1, 0.0, energy=np.arange(1.0, 31.0), kind="power_law")


@pytest.mark.parametrize("kind", ["linear", "power_law"])
def test_random_background_is_within_its_bounds(kind):
    E = np.linspace(500.0, 600.0, 50)
    X = np.full((500, 50), 2.0)
    bg = augment_spectra(X, background=kind, max_background=0.2, energy=E) - X
    assert np.all(bg >= 0) and np.all(bg <= 0.4 + 1e-12)
    assert bg[:, 0].max() > 0.35  # the bound is reached
    if kind == "power_law":
        assert np.all(np.diff(bg, axis=1) <= 1e-12)


# --- the full augmentation, and the transformers -------------------------------


def test_augment_with_every_perturbation_keeps_poisson_valid():
    E = np.linspace(520.0, 570.0, 100)
    X = np.tile(_gauss(E, 540.0, 1.0) + 0.1, (20, 1))
    kw = dict(max_shift=1.5, max_broadening=0.8, background="power_law", energy=E)
    out = augment_spectra(X, noise_counts=1e3, random_state=0, **kw)
    assert out.shape == X.shape and np.all(out >= 0)
    clean = augment_spectra(X, random_state=0, **kw)
    # the noise is the last step: with the same seed the noisy spectra
    # scatter around the clean perturbed ones
    assert np.abs(out - clean).mean() < 0.05


@pytest.mark.parametrize(
    "transformer, params",
    [
        (RandomShift(max_shift=2.0, random_state=3), {"max_shift": 2.0}),
        (RandomBroadening(max_broadening=2.0, random_state=3), {"max_broadening": 2.0}),
        (
            RandomBackground(kind="linear", max_background=0.3, random_state=3),
            {"background": "linear", "max_background": 0.3},
        ),
        (PoissonNoise(counts=(10, 100), random_state=3), {"noise_counts": (10, 100)}),
    ],
)
def test_each_transformer_is_one_step_of_augment_spectra(transformer, params):
    X = np.abs(np.random.default_rng(0).standard_normal((6, 40))) + 1.0
    expected = augment_spectra(X, random_state=3, **params)
    np.testing.assert_array_equal(transformer.fit_transform(X), expected)
    # an int seed gives the same perturbations on every call
    np.testing.assert_array_equal(transformer.transform(X), expected)
    assert not np.array_equal(expected, X)


def test_poisson_noise_transformer_rejects_negative_spectra():
    with pytest.raises(ValueError, match="Negative values in data passed to"):
        PoissonNoise().fit(-np.ones((2, 5)))


@given(
    n=st.integers(2, 200_000),
    start=st.floats(-1e4, 1e4),
    span=st.floats(1e-2, 1e4),
)
def test_a_float_linspace_is_a_uniform_grid(n, start, span):
    # the rounding of linspace far from zero is no reason for the slow path
    energy = np.linspace(start, start + span, n)
    assert _uniform_step(energy) == pytest.approx(span / (n - 1), rel=1e-9)


@given(channel=st.integers(1, 98), offset=st.floats(1e-3, 0.4))
def test_a_moved_channel_makes_the_grid_non_uniform(channel, offset):
    energy = np.linspace(0.0, 99.0, 100)
    energy[channel] += offset
    assert _uniform_step(energy) is None


def test_shift_and_broadening_on_a_million_channels_near_7_kev():
    # a linspace of 10^6 channels at 6.7-6.8 keV: the same result as on the
    # channel-index grid with the shift and width in channels
    n = 10**6
    energy = np.linspace(6700.0, 6800.0, n)
    step = 100.0 / (n - 1)
    x = np.exp(-0.5 * ((energy - 6750.0) / 5.0) ** 2)[None]
    index = np.arange(n, dtype=float)
    np.testing.assert_allclose(
        shift_spectra(x, [0.37], energy=energy),
        shift_spectra(x, [0.37 / step], energy=index),
        atol=1e-9,
    )
    np.testing.assert_allclose(
        broaden_spectra(x, [0.8], energy=energy),
        broaden_spectra(x, [0.8 / step], energy=index),
        atol=1e-9,
    )
