"""Tests of the spatial smoothness prior of SparseNMF and PoissonNMF."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment
from sklearn.utils._param_validation import InvalidParameterError

from skspectra.datasets import make_grain_image
from skspectra.decomposition import PoissonNMF, SparseNMF
from skspectra.decomposition._spatial import (
    SpatialPenalty,
    _neighbours,
    _statistics,
    check_image_shape,
)

ESTIMATORS = [SparseNMF, PoissonNMF]


def laplacian(ny, nx):
    """Adjacency of the 4-neighbour grid in raster order (reference)."""

    def path(n):
        return sp.diags([np.ones(n - 1), np.ones(n - 1)], [-1, 1])

    return (sp.kron(sp.eye(ny), path(nx)) + sp.kron(path(ny), sp.eye(nx))).tocsr()


def map_correlation(found, truth):
    """Mean correlation of the true maps with their best-matched found maps."""
    f = found.reshape(-1, found.shape[-1])
    t = truth.reshape(-1, truth.shape[-1])
    k = t.shape[1]
    C = np.nan_to_num(np.corrcoef(t.T, f.T)[:k, k:])
    rows, cols = linear_sum_assignment(-C)
    return float(C[rows, cols].sum() / k)


@pytest.fixture(scope="module")
def low_dose():
    X, truth = make_grain_image(
        3, shape=(32, 32), n_channels=128, counts_per_pixel=4, random_state=0
    )
    return X, truth


# ------------------------------------------------------------- the penalty
@given(
    ny=st.integers(2, 9),
    nx=st.integers(2, 9),
    k=st.integers(1, 4),
    block=st.integers(1, 30),
    seed=st.integers(0, 1000),
)
def test_neighbour_sums_match_the_laplacian(ny, nx, k, block, seed):
    W = np.random.default_rng(seed).random((ny * nx, k))
    A = laplacian(ny, nx)
    AW, D = A @ W, np.asarray(A.sum(axis=1)).ravel()
    for a in range(0, ny * nx, block):
        sl = slice(a, min(a + block, ny * nx))
        got, degree = _neighbours(W, sl, (ny, nx))
        np.testing.assert_allclose(got, AW[sl], rtol=1e-12)
        np.testing.assert_array_equal(degree, D[sl])


@given(
    ny=st.integers(2, 9),
    nx=st.integers(2, 9),
    k=st.integers(1, 4),
    seed=st.integers(0, 1000),
)
def test_roughness_is_the_laplacian_quadratic_form(ny, nx, k, seed):
    W = np.random.default_rng(seed).random((ny * nx, k))
    A = laplacian(ny, nx)
    L = sp.diags(np.asarray(A.sum(axis=1)).ravel()) - A
    pen = SpatialPenalty((ny, nx), 1.0, "poisson", _statistics(W + 1))
    np.testing.assert_allclose(
        pen.roughness(W), np.einsum("ik,ik->k", W, L @ W), rtol=1e-10
    )


@given(
    ny=st.integers(2, 9),
    nx=st.integers(2, 9),
    values=st.lists(st.floats(0, 1e3), min_size=1, max_size=4),
)
def test_penalty_is_zero_for_constant_maps(ny, nx, values):
    W = np.tile(np.asarray(values), (ny * nx, 1))
    pen = SpatialPenalty((ny, nx), 5.0, "poisson", _statistics(W + 1))
    rough = pen.roughness(W)
    assert np.all(rough == 0)
    assert pen.objective(rough, np.ones(len(values))) == 0
    # and its step moves nothing: the neighbours' pull equals the degree's
    ((num, den),) = pen.block_terms(W, np.ones(len(values)), [slice(0, ny * nx)], float)
    np.testing.assert_allclose(num, den, rtol=1e-12)


@given(
    ny=st.integers(2, 8),
    nx=st.integers(2, 8),
    k=st.integers(1, 3),
    seed=st.integers(0, 1000),
)
def test_roughness_invariant_under_grid_symmetries(ny, nx, k, seed):
    G = np.random.default_rng(seed).random((ny, nx, k))
    stats = _statistics(G.reshape(-1, k) + 1)
    ref = SpatialPenalty((ny, nx), 1.0, "poisson", stats).roughness(G.reshape(-1, k))
    flipped = G[::-1, ::-1].reshape(-1, k)
    transposed = G.transpose(1, 0, 2).reshape(-1, k)
    np.testing.assert_allclose(
        SpatialPenalty((ny, nx), 1.0, "poisson", stats).roughness(flipped), ref
    )
    np.testing.assert_allclose(
        SpatialPenalty((nx, ny), 1.0, "poisson", stats).roughness(transposed), ref
    )


def test_effective_pixels_between_one_and_n():
    stats = _statistics(np.ones((64, 3)))
    assert SpatialPenalty((8, 8), 1e-12, "poisson", stats).effective_pixels() == (
        pytest.approx(64)
    )
    dfs = [
        SpatialPenalty((8, 8), w, "poisson", stats).effective_pixels()
        for w in (0.1, 1, 10, 1e6)
    ]
    assert all(a > b for a, b in zip(dfs[:-1], dfs[1:], strict=True))
    assert dfs[-1] == pytest.approx(1, rel=1e-3)  # only the constant map is free


# ------------------------------------------------------------- estimators
@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 1000),
    ard=st.booleans(),
    orth=st.sampled_from([0.0, 0.5]),
    poisson=st.booleans(),
    weight=st.sampled_from([0.5, 8.0]),
)
def test_objective_never_increases_with_the_prior(seed, ard, orth, poisson, weight):
    X, _ = make_grain_image(
        2, shape=(6, 7), n_channels=16, counts_per_pixel=30, random_state=seed
    )
    cls = PoissonNMF if poisson else SparseNMF
    est = cls(
        3,
        ard=ard,
        orthogonality=orth,
        spatial_smoothness=weight,
        prune="relevance",
        max_iter=60,
        tol=0,
        random_state=seed,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit_image(X)
    h = est.objective_history_
    assert np.all(np.diff(h) <= 1e-9 * np.abs(h[:-1]) + 1e-9)


@pytest.mark.parametrize("cls", ESTIMATORS)
@settings(max_examples=5, deadline=None)
@given(seed=st.integers(0, 1000), ard=st.booleans())
def test_weight_zero_is_bit_for_bit_the_plain_fit(cls, seed, ard):
    X, _ = make_grain_image(
        2, shape=(6, 5), n_channels=12, counts_per_pixel=40, random_state=seed
    )
    kw = dict(n_components=3, ard=ard, max_iter=40, random_state=seed)
    plain = cls(**kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        W0 = plain.fit_transform(X.reshape(-1, 12))
        W1 = cls(**kw, spatial_smoothness=0, image_shape=(6, 5)).fit_transform(
            X.reshape(-1, 12)
        )
        image_fit = cls(**kw, spatial_smoothness=0.0).fit_image(X)
    assert np.array_equal(W0, W1)
    assert np.array_equal(image_fit.maps_.reshape(-1, W0.shape[1]), W0)
    assert np.array_equal(image_fit.components_, plain.components_)
    assert np.array_equal(image_fit.objective_history_, plain.objective_history_)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_fit_with_image_shape_equals_fit_image(cls, low_dose):
    X, _ = low_dose
    kw = dict(n_components=3, ard=False, spatial_smoothness=4.0, random_state=0)
    a = cls(**kw).fit_image(X)
    W = cls(**kw, image_shape=(32, 32)).fit_transform(X.reshape(-1, 128))
    assert np.array_equal(a.maps_.reshape(-1, 3), W)
    assert a.spatial_smoothness_ == 4.0


def test_smoothing_recovers_low_dose_maps(low_dose):
    X, truth = low_dose
    r = {
        w: map_correlation(
            PoissonNMF(3, ard=False, spatial_smoothness=w, random_state=0)
            .fit_image(X)
            .maps_,
            truth.maps,
        )
        for w in (0.0, 4.0)
    }
    assert r[4.0] > 0.9
    assert r[4.0] > r[0.0] + 0.15


@pytest.fixture(scope="module")
def gaussian_image():
    return make_grain_image(
        3,
        shape=(24, 24),
        n_channels=64,
        counts_per_pixel=20,
        noise="gaussian",
        random_state=0,
    )


def test_smoothing_helps_gaussian_maps(gaussian_image):
    X, truth = gaussian_image
    r = {
        w: map_correlation(
            SparseNMF(3, ard=False, spatial_smoothness=w, random_state=0)
            .set_params(clip_negative=True)
            .fit_image(X)
            .maps_,
            truth.maps,
        )
        for w in (0.0, 4.0)
    }
    assert r[4.0] > 0.97
    assert r[4.0] > r[0.0] + 0.02


def test_grid_transposed_gives_transposed_maps(low_dose):
    X, _ = low_dose
    kw = dict(n_components=3, ard=False, spatial_smoothness=4.0, max_iter=30, tol=0)
    a = PoissonNMF(**kw, random_state=0).fit_image(X)
    b = PoissonNMF(**kw, random_state=0).fit_image(X.transpose(1, 0, 2))
    np.testing.assert_allclose(
        b.maps_, a.maps_.transpose(1, 0, 2), rtol=1e-5, atol=1e-8
    )


def test_block_size_memmap_and_dask_agree(low_dose, tmp_path):
    da = pytest.importorskip("dask.array")
    X = X2 = low_dose[0].reshape(-1, 128)
    kw = dict(n_components=3, ard=False, spatial_smoothness=4.0, random_state=0)
    ref = PoissonNMF(**kw, image_shape=(32, 32)).fit_transform(X2)
    small = PoissonNMF(**kw, image_shape=(32, 32), block_size=100).fit_transform(X)
    np.testing.assert_allclose(small, ref, rtol=1e-6, atol=1e-9)
    mm = np.lib.format.open_memmap(tmp_path / "X.npy", mode="w+", shape=X.shape)
    mm[:] = X
    mm.flush()
    got = PoissonNMF(**kw, image_shape=(32, 32), block_size=100).fit_transform(mm)
    np.testing.assert_array_equal(got, small)
    dX = da.from_array(X, chunks=(100, -1))
    got = PoissonNMF(**kw, image_shape=(32, 32)).fit_transform(dX)
    np.testing.assert_array_equal(got, small)


def test_auto_chooses_a_smoothing_weight(low_dose):
    X, truth = low_dose
    est = PoissonNMF(3, ard=False, spatial_smoothness="auto", random_state=0)
    est.fit_image(X)
    assert est.spatial_smoothness_ > 0
    assert est.spatial_smoothness_ in est.smoothness_scores_
    assert len(est.smoothness_scores_) == 7
    assert map_correlation(est.maps_, truth.maps) > 0.85


def test_auto_on_gaussian_data_uses_data_fission(gaussian_image):
    X, truth = gaussian_image
    est = SparseNMF(
        3, ard=False, spatial_smoothness="auto", clip_negative=True, random_state=0
    ).fit_image(X)
    plain = SparseNMF(3, ard=False, clip_negative=True, random_state=0).fit_image(X)
    assert est.spatial_smoothness_ > 0
    assert map_correlation(est.maps_, truth.maps) > map_correlation(
        plain.maps_, truth.maps
    )


def test_transform_maps_pixels_without_the_prior(low_dose):
    X, _ = low_dose
    est = PoissonNMF(3, ard=False, spatial_smoothness=4.0, random_state=0)
    est.fit_image(X)
    W = est.transform(X.reshape(-1, 128)[:10])
    assert W.shape == (10, 3) and np.all(W >= 0)


# ------------------------------------------------------------- bad input
@pytest.mark.parametrize("cls", ESTIMATORS)
def test_bad_spatial_input(cls, low_dose):
    X = low_dose[0]
    X2 = X.reshape(-1, 128)
    with pytest.raises(ValueError, match=r"image_shape=\(32, 31\) has 992 pixels"):
        cls(3, spatial_smoothness=1.0, image_shape=(32, 31)).fit(X2)
    with pytest.raises(ValueError, match="one pixel wide"):
        cls(3, spatial_smoothness=1.0).fit_image(X2.reshape(1, 1024, 128))
    with pytest.raises(ValueError, match="one pixel wide"):
        cls(3, spatial_smoothness=1.0, image_shape=(1024, 1)).fit(X2)
    with pytest.raises(InvalidParameterError, match="spatial_smoothness"):
        cls(3, spatial_smoothness=-1.0).fit_image(X)
    with pytest.raises(ValueError, match="needs the pixel grid"):
        cls(3, spatial_smoothness=1.0).fit(X2)
    with pytest.raises(ValueError, match="does not match the grid"):
        cls(3, spatial_smoothness=1.0, image_shape=(16, 64)).fit_image(X)
    with pytest.raises(ValueError, match="two positive integers"):
        cls(3, spatial_smoothness=1.0, image_shape=(32, 32, 1)).fit(X2)
    # a wrong grid is an error even without the prior
    with pytest.raises(ValueError, match="has 992 pixels"):
        cls(3, image_shape=(32, 31)).fit(X2)


def test_auto_needs_counts_for_poisson(low_dose):
    X = low_dose[0] + 0.5
    with pytest.raises(ValueError, match="integer counts"):
        PoissonNMF(3, spatial_smoothness="auto").fit_image(X)


def test_check_image_shape_accepts_line_scans_without_the_prior():
    assert check_image_shape((1, 10), 10, neighbours=False) == (1, 10)


@settings(max_examples=100, deadline=None)
@given(
    st.floats(0.0, 1e4),
    st.floats(0.5, 200.0),
    st.integers(0, 2**31 - 1),
)
def test_half_dose_weight_is_twice_the_weight_on_a_binomial_half(weight, rate, seed):
    from skspectra.decomposition import binomial_split, half_dose_weight

    rng = np.random.default_rng(seed)
    X = rng.poisson(rate, size=(30, 20)).astype(np.float64)
    X[0, 0] += 1.0  # never all zero
    A, _ = binomial_split(X, random_state=seed)
    if A.sum() == 0:
        return
    half = half_dose_weight(weight, X, A)
    # four times the coefficient in counts, on a unit that is the mean
    # count per pixel: 4 * (counts of the half / counts of X)
    np.testing.assert_allclose(half, 4.0 * weight * A.sum() / X.sum(), rtol=1e-12)
    # linear in the weight, and independent of the units of X and its half
    np.testing.assert_allclose(
        half_dose_weight(3.0 * weight, X, A), 3.0 * half, rtol=1e-12
    )
    np.testing.assert_allclose(half_dose_weight(weight, 7.0 * X, 7.0 * A), half)


def test_half_dose_weight_rejects_a_half_of_other_data():
    from skspectra.decomposition import half_dose_weight

    X = np.ones((4, 5))
    with pytest.raises(ValueError, match="give a split of X"):
        half_dose_weight(1.0, X, np.ones((4, 4)))
    with pytest.raises(ValueError, match="loss must be"):
        half_dose_weight(1.0, X, X / 2, loss="kl")
