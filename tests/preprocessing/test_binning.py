"""Tests of SpatialBinning."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.pipeline import make_pipeline

from skspectra.datasets import make_grain_image
from skspectra.decomposition import PoissonNMF
from skspectra.preprocessing import SpatialBinning


@given(
    ny=st.integers(1, 9),
    nx=st.integers(1, 9),
    factor=st.integers(1, 4),
    seed=st.integers(0, 1000),
)
def test_sums_blocks_and_keeps_every_count(ny, nx, factor, seed):
    rng = np.random.default_rng(seed)
    image = rng.poisson(3.0, size=(ny, nx, 4)).astype(np.float64)
    b = SpatialBinning(factor, image_shape=(ny, nx)).fit(image.reshape(-1, 4))
    out = b.transform(image.reshape(-1, 4))
    by, bx = -(-ny // factor), -(-nx // factor)
    assert b.binned_shape_ == (by, bx)
    ref = np.zeros((by, bx, 4))
    for i in range(ny):
        for j in range(nx):
            ref[i // factor, j // factor] += image[i, j]
    np.testing.assert_array_equal(out, ref.reshape(-1, 4))
    assert out.sum() == image.sum()
    # back to the full grid: every block's sum is kept
    back = b.inverse_transform(out)
    assert back.shape == (ny * nx, 4)
    np.testing.assert_allclose(b.transform(back), out)


def test_factor_one_is_the_identity():
    X = np.arange(24.0).reshape(6, 4)
    b = SpatialBinning(1, image_shape=(2, 3)).fit(X)
    np.testing.assert_array_equal(b.transform(X), X)
    np.testing.assert_array_equal(b.inverse_transform(X), X)


def test_line_scan_without_grid():
    X = np.ones((5, 2))
    out = SpatialBinning(2).fit_transform(X)
    np.testing.assert_array_equal(out, [[2, 2], [2, 2], [1, 1]])


def test_pipeline_before_nmf_maps_back_to_the_full_grid():
    X, truth = make_grain_image(
        3, shape=(32, 32), n_channels=128, counts_per_pixel=4, random_state=0
    )
    binning = SpatialBinning(4, image_shape=(32, 32))
    pipe = make_pipeline(binning, PoissonNMF(3, ard=False, random_state=0))
    W_binned = pipe.fit_transform(X.reshape(-1, 128))
    assert W_binned.shape == (64, 3)
    maps = binning.inverse_transform(W_binned).reshape(32, 32, 3)
    # the maps' counts per pixel are on the scale of the full grid
    assert maps.sum() == pytest.approx(X.sum(), rel=0.05)
    f = maps.reshape(-1, 3)
    t = truth.maps.reshape(-1, 3)
    C = np.corrcoef(t.T, f.T)[:3, 3:]
    assert np.mean(np.max(C, axis=1)) > 0.8


def test_bad_input():
    X = np.ones((12, 3))
    with pytest.raises(ValueError, match=r"image_shape=\(3, 3\) has 9 pixels"):
        SpatialBinning(2, image_shape=(3, 3)).fit(X)
    with pytest.raises(ValueError, match="two positive integers"):
        SpatialBinning(2, image_shape=(12,)).fit(X)
    b = SpatialBinning(2, image_shape=(3, 4)).fit(X)
    with pytest.raises(ValueError, match="grid seen in fit has 12 pixels"):
        b.transform(np.ones((10, 3)))
    with pytest.raises(ValueError, match="one row per block"):
        b.inverse_transform(np.ones((5, 3)))
