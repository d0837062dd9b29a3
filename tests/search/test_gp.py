"""The Gaussian-process surrogate: exact posterior, transfer, random features."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.frozen import FrozenEstimator
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import (
    RBF,
    ConstantKernel,
    DotProduct,
    Matern,
    WhiteKernel,
)
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import cross_val_score

from skspectra.search import TransferGaussianProcessRegressor, _gp
from skspectra.search._gp import (
    _FeaturePosterior,
    _RandomFeatures,
    spectral_form,
    split_noise,
)

GRID = np.linspace(0.0, 1.0, 11)


@st.composite
def _noise_free_data(draw):
    """Distinct points on a grid (well-conditioned RBF matrix) and targets."""
    idx = draw(
        st.lists(st.integers(0, GRID.size - 1), min_size=1, max_size=8, unique=True)
    )
    X = GRID[idx].reshape(-1, 1)
    y = np.array(
        draw(st.lists(st.floats(-100, 100), min_size=len(idx), max_size=len(idx)))
    )
    return X, y


@given(_noise_free_data())
def test_posterior_interpolates_observations_without_noise(data):
    X, y = data
    model = TransferGaussianProcessRegressor(RBF(0.15), optimizer=None).fit(X, y)
    mean, std = model.predict(X, return_std=True)
    scale = max(1.0, np.abs(y).max())
    np.testing.assert_allclose(mean, y, atol=1e-5 * scale)
    assert np.all(std <= 1e-3 * scale)


@given(_noise_free_data(), st.floats(-5, 5))
def test_interpolation_holds_on_top_of_a_prior_mean(data, shift):
    X, y = data
    X_old = GRID.reshape(-1, 1)
    prior = [(X_old, np.sin(4 * X_old[:, 0]) + shift)]
    model = TransferGaussianProcessRegressor(RBF(0.15), prior=prior, optimizer=None)
    mean = model.fit(X, y).predict(X)
    np.testing.assert_allclose(mean, y, atol=1e-5 * max(1.0, np.abs(y).max()))


def test_equals_scikit_learn_gaussian_process_with_a_constant_prior():
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 1, (30, 2))
    y = np.sin(5 * X[:, 0]) + X[:, 1] ** 2
    kernel = ConstantKernel(0.7) * Matern([0.3, 0.5], nu=1.5) + WhiteKernel(1e-3)
    ours = TransferGaussianProcessRegressor(kernel, optimizer=None, alpha=1e-6)
    ref = GaussianProcessRegressor(kernel, optimizer=None, alpha=1e-6, normalize_y=True)
    Xt = rng.uniform(0, 1, (50, 2))
    m1, s1 = ours.fit(X, y).predict(Xt, return_std=True)
    m2, s2 = ref.fit(X, y).predict(Xt, return_std=True)
    np.testing.assert_allclose(m1, m2, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(s1, s2, rtol=1e-6, atol=1e-9)


def test_fitted_hyperparameters_equal_scikit_learns():
    rng = np.random.default_rng(1)
    X = rng.uniform(0, 1, (25, 1))
    y = np.cos(7 * X[:, 0])
    kernel = ConstantKernel() * RBF(0.5) + WhiteKernel(1e-3)
    ours = TransferGaussianProcessRegressor(kernel, random_state=0).fit(X, y)
    ref = GaussianProcessRegressor(kernel, normalize_y=True, random_state=0).fit(X, y)
    np.testing.assert_allclose(ours.kernel_.theta, ref.kernel_.theta, rtol=1e-5)


def _related(n, shift, seed):
    rng = np.random.default_rng(seed)
    X = rng.uniform(0, 1, (n, 1))
    return X, np.sin(8 * X[:, 0]) + shift


def test_transfer_predicts_better_from_few_points():
    X_old, y_old = _related(60, 0.0, 0)
    X_new, y_new = _related(4, 0.5, 1)
    X_test, y_test = _related(200, 0.5, 2)
    plain = TransferGaussianProcessRegressor(random_state=0).fit(X_new, y_new)
    transfer = TransferGaussianProcessRegressor(
        prior=[(X_old, y_old)], random_state=0
    ).fit(X_new, y_new)
    err_plain = np.abs(plain.predict(X_test) - y_test).mean()
    err_transfer = np.abs(transfer.predict(X_test) - y_test).mean()
    assert err_transfer < 0.2 * err_plain
    # the hyperparameters start where the prior task's left off
    assert transfer.prior_model_.kernel_ is not None


def test_a_sequence_of_tasks_is_chained():
    tasks = [_related(30, s, k) for k, s in enumerate([0.0, 0.2])]
    model = TransferGaussianProcessRegressor(prior=tasks, random_state=0)
    model.fit(*_related(5, 0.4, 9))
    chain = model.prior_model_
    assert isinstance(chain.prior_model_, TransferGaussianProcessRegressor)
    assert chain.prior_model_.prior_model_ is None


def test_a_fitted_regressor_is_the_prior_mean_and_survives_clone():
    X_old, y_old = _related(40, 0.0, 0)
    prior = LinearRegression().fit(X_old, 3 * X_old[:, 0])
    model = TransferGaussianProcessRegressor(RBF(0.1), prior=FrozenEstimator(prior))
    X = np.array([[0.1], [0.2]])
    model = clone(model).fit(X, 3 * X[:, 0] + 1.0)
    far = np.array([[0.9]])
    np.testing.assert_allclose(model.predict(far), 3 * 0.9 + 1.0, atol=1e-6)
    scores = cross_val_score(
        TransferGaussianProcessRegressor(prior=FrozenEstimator(prior)),
        X_old,
        3 * X_old[:, 0] + 1.0,
        cv=3,
    )
    assert np.all(scores > 0.99)


@pytest.mark.parametrize(
    "prior, match",
    [
        (LinearRegression(), "must be a fitted regressor"),
        ([(np.zeros((3, 2)), np.zeros(3))], "has 2 descriptors but the data have 1"),
        ([(np.zeros((3, 1)), np.zeros(2))], "as many rows"),
        ([np.zeros(3)], "must be a pair"),
        ([(np.full((3, 1), np.nan), np.zeros(3))], "NaN"),
        ([], "empty list"),
    ],
)
def test_bad_priors_are_rejected(prior, match):
    model = TransferGaussianProcessRegressor(prior=prior)
    with pytest.raises(ValueError, match=match):
        model.fit(np.zeros((3, 1)) + [[0.0], [0.5], [1.0]], [0.0, 1.0, 2.0])


def test_kernel_splitting_and_spectral_forms():
    latent, noise = split_noise(ConstantKernel(2.0) * RBF(0.5) + WhiteKernel(0.1))
    assert noise == pytest.approx(0.1)
    amplitude, length, nu = spectral_form(latent)
    assert (amplitude, length.tolist(), nu) == (2.0, [0.5], np.inf)
    amplitude, length, nu = spectral_form(Matern([1.0, 2.0], nu=1.5))
    assert (amplitude, length.tolist(), nu) == (1.0, [1.0, 2.0], 1.5)
    assert spectral_form(DotProduct()) is None


@pytest.mark.parametrize(
    "kernel", [ConstantKernel(1.5) * RBF(0.4), Matern([0.3, 0.6], nu=1.5)]
)
def test_random_features_approximate_the_kernel(kernel):
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 1, (20, 2))
    features = _RandomFeatures(spectral_form(kernel), 40_000, 2, rng)
    Phi = features.transform(X)
    np.testing.assert_allclose(Phi @ Phi.T, kernel(X), atol=0.04)
    # phi(x) . phi(x) is the amplitude exactly
    np.testing.assert_allclose(np.einsum("ij,ij->i", Phi, Phi), np.diag(kernel(X)))


def test_rank_one_updates_equal_a_fresh_solve():
    rng = np.random.default_rng(3)
    features = _RandomFeatures(spectral_form(RBF(0.3)), 64, 2, rng)
    Phi = features.transform(rng.uniform(0, 1, (200, 2)))
    idx = rng.choice(200, 12, replace=False)
    r = rng.normal(size=12)
    updated = _FeaturePosterior(Phi, 1e-3)
    for i, value in zip(idx, r, strict=True):
        updated.add(i, value)
    fresh = _FeaturePosterior(Phi, 1e-3)
    fresh.reset(idx, r)
    np.testing.assert_allclose(updated.mean, fresh.mean, atol=1e-8)
    np.testing.assert_allclose(updated.var, fresh.var, atol=1e-8)
    np.testing.assert_allclose(updated.Sigma, fresh.Sigma, atol=1e-8)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_features_in_blocks_and_into_reused_storage(monkeypatch, dtype):
    rng = np.random.default_rng(5)
    X = rng.uniform(0, 1, (301, 3))
    features = _RandomFeatures(spectral_form(Matern([0.2, 0.5, 1.0])), 32, 3, rng)
    whole = features.transform(X, dtype)
    # blocks of 10 rows, the last one short
    monkeypatch.setattr(_gp, "_BLOCK_ELEMENTS", 10 * 32)
    storage = np.full_like(whole, np.nan)
    blocked = features.transform(X, dtype, out=storage)
    assert blocked is storage
    # the same up to the rounding of products of different block shapes
    tol = 1e-12 if dtype == np.float64 else 1e-6
    np.testing.assert_allclose(blocked, whole, rtol=tol, atol=tol)
    # storage of the wrong shape is not used
    assert features.transform(X[:50], dtype, out=storage).shape == (50, 32)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_posterior_variance_is_the_quadratic_form_of_sigma(monkeypatch, dtype):
    rng = np.random.default_rng(6)
    features = _RandomFeatures(spectral_form(RBF(0.3)), 48, 2, rng)
    Phi = features.transform(rng.uniform(0, 1, (257, 2)), dtype)
    idx = rng.choice(257, 30, replace=False)
    r = rng.normal(size=30)
    monkeypatch.setattr(_gp, "_BLOCK_ELEMENTS", 16 * 48)
    post = _FeaturePosterior(Phi, 1e-3, idx, r)
    P = Phi.astype(np.float64)
    expected = np.einsum("ij,jk,ik->i", P, post.Sigma, P)
    tol = 1e-10 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(post.var, expected, rtol=tol, atol=tol)
    np.testing.assert_allclose(post.mean, P @ post.mu, rtol=tol, atol=tol)
