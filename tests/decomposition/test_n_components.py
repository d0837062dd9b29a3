"""The number of components: on images make_spectrum_image did not make."""

import warnings

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

from skspectra.datasets import make_grain_image
from skspectra.decomposition import PoissonNMF, SparseNMF


def grains(k, cpp, noise="poisson", seed=0, shape=(24, 24), m=96, **kw):
    X, truth = make_grain_image(
        k,
        shape=shape,
        n_channels=m,
        counts_per_pixel=cpp,
        noise=noise,
        random_state=seed,
        **kw,
    )
    return X.reshape(-1, m), truth


def matched_cosine(found, truth):
    f = found / np.linalg.norm(found, axis=1, keepdims=True)
    t = truth / np.linalg.norm(truth, axis=1, keepdims=True)
    sim = t @ f.T
    rows, cols = linear_sum_assignment(-sim)
    if len(rows) < truth.shape[0]:
        return 0.0
    return float(sim[rows, cols].mean())


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


@pytest.mark.parametrize("cpp", [300, 20000])
def test_poisson_count_right_at_low_and_high_counts(cpp):
    # ARD alone kept every component of the cap at high counts: the better
    # the data, the worse the answer
    X, _ = grains(4, cpp, seed=1)
    est = PoissonNMF(10, random_state=0).fit(X)
    assert est.n_components_ == 4
    assert np.all(est.pruning_gains_[:-1] < est.pruning_threshold_)
    assert est.pruning_gains_.size == 0 or est.pruning_gains_[-1] >= (
        est.pruning_threshold_
    )


def test_count_does_not_follow_the_cap():
    X, _ = grains(4, 20000, seed=1)
    counts = [PoissonNMF(cap, random_state=0).fit(X).n_components_ for cap in (8, 16)]
    assert counts == [4, 4]


def test_count_does_not_depend_on_tol():
    X, _ = grains(3, 5000, seed=4)
    counts = [
        PoissonNMF(10, tol=tol, random_state=0).fit(X).n_components_
        for tol in (1e-3, 1e-6)
    ]
    assert counts == [3, 3]


def test_count_same_on_both_halves_of_a_binomial_split():
    X, _ = grains(3, 2000, seed=2)
    rng = np.random.default_rng(0)
    A = rng.binomial(X.astype(np.int64), 0.5).astype(np.float64)
    counts = [PoissonNMF(10, random_state=0).fit(Y).n_components_ for Y in (A, X - A)]
    assert counts == [3, 3]


@pytest.mark.parametrize("k", [3, 5])
def test_sparse_nmf_gaussian_noise_count_and_scale(k):
    # i.i.d. Gaussian noise of 2 % of the mean: ARD alone kept all 12
    X, _ = grains(k, 1.0, noise=None, seed=k)
    X = X + 0.02 * X.mean() * np.random.default_rng(k).standard_normal(X.shape)
    X = np.clip(X, 0, None)
    counts = [
        SparseNMF(12, random_state=0).fit(s * X).n_components_ for s in (1.0, 1000.0)
    ]
    assert counts == [k, k]


@pytest.mark.parametrize("cls", [PoissonNMF, SparseNMF])
def test_ard_at_the_true_count_does_not_distort_the_spectra(cls):
    X, truth = grains(3, 100, seed=7, shape=(32, 32), m=128)
    kw = {"clip_negative": True} if cls is SparseNMF else {}
    ard = cls(3, ard=True, random_state=0, **kw).fit(X)
    plain = cls(3, ard=False, random_state=0, **kw).fit(X)
    c_ard = matched_cosine(ard.components_, truth.components)
    c_plain = matched_cosine(plain.components_, truth.components)
    assert ard.n_components_ == 3
    assert c_ard > c_plain - 0.01, (c_ard, c_plain)


def test_relevance_pruning_still_available():
    X, _ = grains(3, 300, seed=3)
    est = PoissonNMF(6, prune="relevance", random_state=0).fit(X)
    assert not hasattr(est, "pruning_gains_")
    assert est.n_components_ == est.active_components_.sum()


# ------------------------------------------------------------- noise model
def test_suggest_noise_model():
    from skspectra.decomposition import suggest_noise_model

    X, _ = grains(3, 300, seed=0)
    assert suggest_noise_model(X).model == "poisson"
    assert suggest_noise_model(X.astype(np.uint16)).model == "poisson"
    # scaled counts are integers whose variance is ten times their mean
    scaled = suggest_noise_model(10 * X)
    assert scaled.model == "gaussian" and scaled.integer
    assert 5 < scaled.dispersion < 20
    assert suggest_noise_model(0.37 * X).model == "gaussian"
    G, _ = grains(3, 300, noise="gaussian", seed=0)
    found = suggest_noise_model(G)
    assert found.model == "gaussian" and "negative" in found.reason
    # one pixel: integer counts, nothing to compare
    assert suggest_noise_model(X[:1]).model == "poisson"


def test_cap_reached_warns():
    X, _ = grains(4, 3000, seed=1)
    with pytest.warns(UserWarning, match="kept all n_components=3"):
        PoissonNMF(3, random_state=0).fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        PoissonNMF(8, random_state=0).fit(X)


def _decompose(capsys, *argv):
    from skspectra import cli

    code = cli.main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_command_line_chooses_the_model_from_the_data(capsys, tmp_path, shared_data):
    code, out, err = _decompose(
        capsys,
        "decompose",
        shared_data / "mn3o4_phantom_si.npz",
        "--out",
        tmp_path,
        "--no-figure",
    )
    assert code == 0, err
    assert "model sparse: X has non-integer values" in out
    assert "found 2 components" in out


def test_command_line_says_when_the_cap_is_reached(capsys, tmp_path):
    X, truth = make_grain_image(4, shape=(16, 16), n_channels=64, random_state=1)
    path = tmp_path / "grains.npz"
    np.savez(path, X=X, energy=truth.energy)
    code, out, err = _decompose(
        capsys,
        "decompose",
        path,
        "--max-components",
        3,
        "--out",
        tmp_path,
        "--no-figure",
    )
    assert code == 0, err
    assert "model poisson: X is integer valued" in out
    assert "--max-components" in err and "kept all" in err
