"""Tests of make_grain_image."""

import numpy as np
import pytest

from skspectra.datasets import make_grain_image


def test_shapes_truth_rank_and_counts():
    X, truth = make_grain_image(
        4,
        shape=(20, 24),
        n_channels=96,
        counts_per_pixel=50,
        noise=None,
        random_state=0,
    )
    assert X.shape == (20, 24, 96)
    assert truth.components.shape == (4, 96)
    assert truth.maps.shape == (20, 24, 4)
    assert truth.phase.shape == (20, 24)
    np.testing.assert_allclose(truth.components.sum(axis=1), 1.0)
    np.testing.assert_allclose(truth.maps.sum(axis=-1), 50.0)
    np.testing.assert_allclose(X, truth.maps @ truth.components)
    # known rank: exactly n_components non-zero singular values
    s = np.linalg.svd(X.reshape(-1, 96), compute_uv=False)
    assert s[3] > 1e-6 * s[0] and s[4] < 1e-10 * s[0]
    # every phase is present
    assert set(np.unique(truth.phase)) == {0, 1, 2, 3}


def test_soft_borders_and_pure_interiors():
    _, sharp = make_grain_image(3, shape=(32, 32), border=0, noise=None, random_state=2)
    frac = sharp.maps / sharp.maps.sum(-1, keepdims=True)
    assert np.all(frac.max(-1) == 1.0)  # sharp borders: pure pixels
    _, soft = make_grain_image(3, shape=(32, 32), border=2, noise=None, random_state=2)
    frac = soft.maps / soft.maps.sum(-1, keepdims=True)
    mixed = frac.max(-1) < 0.9
    assert 0.05 < mixed.mean() < 0.7  # mixing at borders only
    _, flat = make_grain_image(
        3, shape=(32, 32), overlap=1.0, noise=None, random_state=2
    )
    np.testing.assert_allclose(flat.maps, 1000.0 / 3, rtol=1e-12)


def test_low_dose_poisson_and_gaussian_noise():
    X, truth = make_grain_image(3, counts_per_pixel=6, random_state=1)
    assert X.shape == (64, 64, 512)
    assert np.array_equal(X, np.round(X)) and X.min() >= 0
    assert abs(X.sum(-1).mean() - 6.0) < 0.2
    G, tg = make_grain_image(3, counts_per_pixel=1000, noise="gaussian", random_state=1)
    resid = G - tg.X_noiseless
    assert abs(resid.var() / tg.X_noiseless.mean() - 1.0) < 0.05
    a, _ = make_grain_image(3, random_state=5)
    b, _ = make_grain_image(3, random_state=5)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_components": 0}, "n_components"),
        ({"shape": (0, 4)}, "shape"),
        ({"n_channels": 4}, "n_channels"),
        ({"n_grains": 0}, "n_grains"),
        ({"border": -1.0}, "border"),
        ({"overlap": 1.5}, "overlap"),
        ({"counts_per_pixel": 0}, "counts_per_pixel"),
        ({"noise": "laplace"}, "noise"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_grain_image(**kwargs)
