"""Tests of the spectral_basis of SparseNMF and PoissonNMF."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skspectra.decomposition import PoissonNMF, SparseNMF, match_components
from skspectra.peaks import eds_basis

pytest.importorskip("xraydb")

ESTIMATORS = [SparseNMF, PoissonNMF]
ENERGY = np.arange(0.2, 10.0, 0.02)


def line_image(counts, n=24, seed=0):
    """Counts of three phases made of eds_basis rows, smooth random maps."""
    rng = np.random.default_rng(seed)
    basis, labels = eds_basis(ENERGY, ["Fe", "O", "Si", "Ti"])
    coef = np.zeros((3, basis.shape[0]))
    coef[0, [labels.index("Fe K"), labels.index("O K")]] = [3.0, 1.0]
    coef[1, [labels.index("Si K"), labels.index("O K")]] = [2.0, 2.0]
    coef[2, [labels.index("Ti K"), labels.index("Fe K")]] = [3.0, 0.5]
    coef[:, -3:] = 0.5
    spectra = coef @ basis
    spectra /= spectra.sum(axis=1, keepdims=True)
    maps = rng.dirichlet(np.full(3, 0.3), size=n * n)
    X = rng.poisson(counts * maps @ spectra).astype(np.float64)
    return X, maps, spectra, basis


def matched_cosine(found, truth):
    return float(match_components(truth, found)[1].mean())


# ------------------------------------------------------- the estimator option
@pytest.mark.parametrize("cls", ESTIMATORS)
def test_components_stay_in_the_cone_of_the_basis(cls):
    X, _, _, basis = line_image(50)
    est = cls(3, ard=False, spectral_basis=basis, max_iter=60, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X)
    assert est.spectral_coefficients_.shape == (est.n_components_, basis.shape[0])
    assert np.all(est.spectral_coefficients_ >= 0)
    np.testing.assert_allclose(
        est.components_, est.spectral_coefficients_ @ basis, atol=1e-12
    )
    assert not hasattr(cls(3).fit(X), "spectral_coefficients_")


@pytest.mark.parametrize("loss", ["poisson", "gaussian"])
@pytest.mark.parametrize(
    "penalties",
    [
        {"ard": False, "orthogonality": 0.0, "sparsity": 0.0},
        {"ard": True, "orthogonality": 0.5, "sparsity": 0.1},
    ],
)
def test_identity_basis_updates_are_the_plain_ones(loss, penalties):
    # with the identity as basis the coefficients are the spectra, and every
    # update of the coefficients must be the plain update of the spectra
    from skspectra.decomposition._solver import (
        Model,
        Solver,
        data_statistics,
        make_source,
    )

    X, _, _, _ = line_image(50, n=12)
    rng = np.random.default_rng(1)
    W0 = rng.uniform(0.5, 1.5, (X.shape[0], 3))
    H0 = rng.uniform(0.5, 1.5, (3, X.shape[1])) * X.mean()
    source = make_source(X, np.float64, 32, False)
    with source.workers():
        stats = data_statistics(source, need_xlogx=loss == "poisson")
        fits = []
        for basis in (None, np.eye(X.shape[1])):
            model = Model(
                loss=loss,
                stats=stats,
                n_components=3,
                learned=np.ones(3, dtype=bool),
                ard_shape=5.0,
                dtype=np.float64,
                basis=basis,
                **penalties,
            )
            fit = Solver(source, model).fit_poisson if loss == "poisson" else None
            fit = fit or Solver(source, model).fit_gaussian
            fits.append(fit(W0.copy(), H0.copy(), 20, 0.0, lambda it, J: None))
    (Wa, Ha, hist_a, *_), (Wb, Hb, hist_b, *_) = fits
    np.testing.assert_allclose(Hb, Ha, rtol=1e-9)
    np.testing.assert_allclose(Wb, Wa, rtol=1e-9)
    np.testing.assert_allclose(hist_b, hist_a, rtol=1e-12)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_default_is_the_fit_without_the_option(cls):
    X, _, _, _ = line_image(50, n=12)
    kw = dict(n_components=4, max_iter=40, random_state=0)
    a = cls(**kw).fit(X)
    b = cls(spectral_basis=None, **kw).fit(X)
    np.testing.assert_array_equal(a.components_, b.components_)
    np.testing.assert_array_equal(a.objective_history_, b.objective_history_)


def test_basis_gives_cleaner_spectra_and_maps_at_low_dose():
    # 5 counts per pixel over 490 channels: the plain spectra are noisy
    X, maps, spectra, basis = line_image(5, n=20)
    kw = dict(n_components=3, ard=False, random_state=0)
    plain = PoissonNMF(**kw).fit(X)
    held = PoissonNMF(spectral_basis=basis, **kw).fit(X)
    cos_plain = matched_cosine(plain.components_, spectra)
    cos_held = matched_cosine(held.components_, spectra)
    assert cos_held > cos_plain + 0.03
    assert matched_cosine(held.transform(X).T, maps.T) > (
        matched_cosine(plain.transform(X).T, maps.T) + 0.02
    )


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_fixed_components_with_a_basis(cls):
    X, _, spectra, basis = line_image(50)
    fixed = spectra[:1] * 7.0
    est = cls(
        3, ard=False, fixed_components=fixed, spectral_basis=basis, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X)
    np.testing.assert_allclose(est.components_[0], spectra[0], rtol=1e-6, atol=1e-12)
    assert est.fixed_components_mask_[0] and not est.fixed_components_mask_[1:].any()
    assert np.all(est.spectral_coefficients_[0] == 0)
    np.testing.assert_allclose(
        est.components_[1:], est.spectral_coefficients_[1:] @ basis, atol=1e-12
    )


def test_ard_and_spatial_prior_with_a_basis():
    X, _, _, basis = line_image(100)
    est = PoissonNMF(6, spectral_basis=basis, random_state=0).fit(X)
    assert est.n_components_ == 3
    smooth = PoissonNMF(
        3, ard=False, spectral_basis=basis, spatial_smoothness=2.0, random_state=0
    ).fit_image(X.reshape(24, 24, -1))
    assert smooth.maps_.shape == (24, 24, 3)
    np.testing.assert_allclose(
        smooth.components_, smooth.spectral_coefficients_ @ basis, atol=1e-12
    )


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_basis_with_memmap_dask_float32_and_transform(cls, tmp_path):
    da = pytest.importorskip("dask.array")
    X, _, _, basis = line_image(50, n=16)
    kw = dict(
        n_components=3,
        ard=False,
        max_iter=25,
        tol=0.0,
        random_state=0,
        block_size=32,
        spectral_basis=basis,
    )
    ref = cls(**kw).fit(X)
    np.save(tmp_path / "x.npy", X)
    mm = np.load(tmp_path / "x.npy", mmap_mode="r")
    est = cls(**kw).fit(mm)
    np.testing.assert_allclose(est.components_, ref.components_, rtol=1e-8, atol=1e-12)
    dX = da.from_array(X, chunks=(32, X.shape[1]))
    est = cls(**kw).fit(dX)
    np.testing.assert_allclose(est.components_, ref.components_, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(est.transform(dX), ref.transform(X), rtol=1e-6)
    est32 = cls(**kw).fit(X.astype(np.float32))
    assert est32.components_.dtype == np.float32
    assert est32.transform(X.astype(np.float32)).dtype == np.float32
    np.testing.assert_allclose(est32.components_, ref.components_, atol=1e-4)


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize(
    "basis, match",
    [
        (np.ones((3, 7)), r"shape \(n_basis, 490\)"),
        (-np.ones((3, 490)), "non-negative"),
        (np.vstack([np.ones(490), np.zeros(490)]), "row 1 is zero everywhere"),
        (np.full((2, 490), np.nan), "NaN or infinite"),
    ],
)
def test_bad_basis(cls, basis, match):
    X, _, _, _ = line_image(20, n=6)
    with pytest.raises(ValueError, match=match) as info:
        cls(2, spectral_basis=basis).fit(X)
    assert "\n" not in str(info.value)


@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 2**16),
    n_basis=st.integers(1, 6),
    poisson=st.booleans(),
    penalties=st.sampled_from(
        [{}, {"ard": True}, {"orthogonality": 0.5}, {"sparsity": 0.2}]
    ),
)
def test_objective_never_increases_and_spectra_in_cone(
    seed, n_basis, poisson, penalties
):
    rng = np.random.default_rng(seed)
    M = 20
    basis = rng.gamma(0.5, size=(n_basis, M))
    X = rng.poisson(rng.gamma(1.0, size=(30, n_basis)) @ basis * 5).astype(np.float64)
    X[0, 0] += 1  # never all zero
    cls = PoissonNMF if poisson else SparseNMF
    params = {"ard": False, **penalties}
    est = cls(
        3, spectral_basis=basis, max_iter=30, tol=0.0, random_state=seed, **params
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X)
    hist = est.objective_history_
    scale = max(abs(hist[0]), 1.0)
    assert np.all(np.diff(hist) <= 1e-8 * scale)
    assert np.all(est.components_ >= 0) and np.all(est.spectral_coefficients_ >= 0)
    unit = basis / basis.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(
        est.components_, est.spectral_coefficients_ @ unit, atol=1e-10
    )
