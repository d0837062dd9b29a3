"""Split-half and bootstrap stability of NMF components."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from skspectra.datasets import make_grain_image
from skspectra.decomposition import (
    PoissonNMF,
    SparseNMF,
    binomial_split,
    component_stability,
    match_components,
)


def grains(k, cpp, seed=0, shape=(16, 16), m=48, noise="poisson"):
    X, truth = make_grain_image(
        k,
        shape=shape,
        n_channels=m,
        counts_per_pixel=cpp,
        noise=noise,
        random_state=seed,
    )
    return X.reshape(-1, m), truth


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


# ---------------------------------------------------- splitting and matching
@given(
    X=arrays(
        np.int64,
        st.tuples(st.integers(1, 6), st.integers(1, 6)),
        elements=st.integers(0, 10_000),
    ),
    seed=st.integers(0, 2**31 - 1),
)
def test_binomial_split_halves_are_counts_that_add_up(X, seed):
    A, B = binomial_split(X.astype(np.float64), np.random.RandomState(seed))
    np.testing.assert_array_equal(A + B, X)
    assert np.all(A >= 0) and np.all(B >= 0)
    np.testing.assert_array_equal(A, np.round(A))


@given(
    seed=st.integers(0, 10_000),
    k=st.integers(1, 5),
    m=st.integers(5, 30),
    scale=st.floats(1e-3, 1e3),
)
def test_matching_recovers_a_permutation_and_scale(seed, k, m, scale):
    rng = np.random.default_rng(seed)
    reference = rng.gamma(0.5, size=(k, m)) + 1e-3
    perm = rng.permutation(k)
    index, cosine = match_components(reference, scale * reference[perm])
    # reference row i is found where the permutation put it
    np.testing.assert_array_equal(perm[index], np.arange(k))
    np.testing.assert_allclose(cosine, 1.0, rtol=1e-12)


def test_matching_with_fewer_found_components():
    reference = np.eye(3) + 0.1
    index, cosine = match_components(reference, reference[[2]])
    np.testing.assert_array_equal(index, [-1, -1, 0])
    assert cosine[2] == pytest.approx(1.0) and cosine[0] == 0 == cosine[1]


# ------------------------------------------------------------------ results
@settings(max_examples=5, deadline=None)
@given(seed=st.integers(0, 1000), method=st.sampled_from(["split", "bootstrap"]))
def test_bands_contain_the_components_and_shares_are_fractions(seed, method):
    X, _ = grains(2, 800, seed=seed, shape=(10, 10), m=24)
    est = PoissonNMF(2, ard=False, random_state=0, max_iter=200).fit(X)
    stab = component_stability(est, X, method=method, n_resamples=4, random_state=0)
    K, M = est.components_.shape
    assert stab.components_std.shape == stab.band_low.shape == (K, M)
    assert stab.cosines.shape == (4, K) and stab.maps_std.shape == (X.shape[0], K)
    assert np.all(stab.components_std >= 0)
    assert np.all(stab.band_low <= stab.components)
    assert np.all(stab.components <= stab.band_high)
    assert np.all(stab.band_low >= 0)
    assert np.all((0 <= stab.reappearance) & (stab.reappearance <= 1))
    assert np.all(stab.cosines <= 1 + 1e-12)


def test_split_band_narrows_with_the_dose():
    # counting noise: the spread of the spectra falls as 1/sqrt(counts)
    spread = {}
    for cpp in (300, 3000):
        X, _ = grains(2, cpp, seed=1)
        est = PoissonNMF(2, ard=False, random_state=0)
        stab = component_stability(est, X, n_resamples=6, random_state=0)
        assert np.all(stab.reappearance == 1.0)
        spread[cpp] = float(np.mean(stab.components_std))
    ratio = spread[300] / spread[3000]
    assert 2.0 < ratio < 5.0, ratio  # sqrt(10) = 3.2


def test_spurious_components_reappear_less():
    X, truth = grains(2, 200, seed=2)
    est = PoissonNMF(4, ard=False, random_state=0).fit(X)
    stab = component_stability(est, X, n_resamples=6, random_state=0)
    t = truth.components / np.linalg.norm(truth.components, axis=1, keepdims=True)
    c = est.components_ / np.linalg.norm(est.components_, axis=1, keepdims=True)
    real = np.max(c @ t.T, axis=1) > 0.95
    assert real.sum() == 2
    assert stab.reappearance[real].min() > stab.reappearance[~real].max()


def test_bootstrap_does_not_depend_on_the_scale_of_x():
    X, _ = grains(3, 1.0, seed=3, noise=None)
    X = X + 0.02 * X.mean() * np.random.default_rng(3).standard_normal(X.shape)
    X = np.clip(X, 0, None)
    est = SparseNMF(3, ard=False, random_state=0)
    a, b = (
        component_stability(
            est, s * X, method="bootstrap", n_resamples=3, random_state=0
        )
        for s in (1.0, 1000.0)
    )
    np.testing.assert_allclose(a.components_std, b.components_std, rtol=1e-4, atol=1e-9)
    np.testing.assert_array_equal(a.reappearance, b.reappearance)
    # the maps are in the data's units
    np.testing.assert_allclose(1000 * a.maps_std, b.maps_std, rtol=1e-3, atol=1e-6)


def test_unfitted_estimator_is_left_unchanged():
    X, _ = grains(2, 500, seed=4, shape=(8, 8), m=24)
    est = PoissonNMF(2, ard=False, random_state=0)
    stab = component_stability(est, X, n_resamples=2, random_state=0)
    assert not hasattr(est, "components_")
    assert stab.components.shape == (2, 24)
    assert "reappearance" in repr(stab)


@pytest.mark.parametrize(
    "kwargs, X, match",
    [
        ({"method": "jackknife"}, None, "method"),
        ({"n_resamples": 1}, None, "n_resamples"),
        ({"confidence": 1.0}, None, "confidence"),
        ({}, "scaled", "integer"),
        ({}, "one pixel", "single pixel"),
    ],
)
def test_bad_input(kwargs, X, match):
    data, _ = grains(2, 500, seed=5, shape=(8, 8), m=24)
    if X == "scaled":
        data = 0.5 * data
    elif X == "one pixel":
        data = data[:1]
    with pytest.raises(ValueError, match=match):
        component_stability(PoissonNMF(2, ard=False), data, **kwargs)


def test_estimator_must_be_an_nmf():
    from sklearn.decomposition import NMF

    with pytest.raises(TypeError, match="PoissonNMF or SparseNMF"):
        component_stability(NMF(2), np.ones((4, 4)))


def test_figure_shows_the_bands(tmp_path):
    pytest.importorskip("matplotlib")
    from matplotlib.collections import PolyCollection

    from skspectra.plotting import plot_components

    image, _ = make_grain_image(
        2, shape=(12, 12), n_channels=32, counts_per_pixel=1000, random_state=6
    )
    est = PoissonNMF(2, ard=False, random_state=0).fit_image(image)
    stab = component_stability(
        est, image.reshape(-1, 32), n_resamples=2, random_state=0
    )
    fig = stab.plot(est.maps_)
    bands = [
        c for ax in fig.axes for c in ax.collections if isinstance(c, PolyCollection)
    ]
    assert len(bands) == 2
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert sum("reappears in" in t for t in texts) == 2
    fig.savefig(tmp_path / "bands.png")
    assert (tmp_path / "bands.png").stat().st_size > 1000
    with pytest.raises(ValueError, match="bands must have the shape"):
        plot_components(est.components_, est.maps_, bands=(np.ones(3), np.ones(3)))
    with pytest.raises(ValueError, match="one value per component"):
        plot_components(est.components_, est.maps_, reappearance=[1.0])


@pytest.mark.parametrize(
    "reference, found, match",
    [
        (np.ones(3), np.ones((2, 3)), "2-D"),
        (np.ones((2, 3)), np.ones((2, 4)), "3 channels but found has 4"),
    ],
)
def test_matching_bad_input_is_clear(reference, found, match):
    with pytest.raises(ValueError, match=match):
        match_components(reference, found)
