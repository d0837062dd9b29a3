"""The number of components: on images make_spectrum_image did not make."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
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
    if cpp == 20000:
        # the components fitted to noise that survive ARD form one weak
        # group, so the walk tests its strongest and stops: at most one
        # removal accepted and one refused, not seven removals from the cap
        assert est.pruning_gains_.size <= 2


def test_a_removal_is_accepted_only_from_a_converged_fit():
    # here the short trial of the second removal lost more than the
    # threshold and its converged refit less; accepted then from the short
    # fit it was measured against, that removal "lost" -18
    X, _ = grains(8, 20000, seed=45, m=128)
    est = PoissonNMF(10, random_state=0).fit(X)
    assert est.n_components_ == 8
    assert np.all(est.pruning_gains_ > 0)


shares = st.lists(
    st.floats(1e-6, 1e6, allow_nan=False, allow_infinity=False),
    min_size=1,
    max_size=12,
)


@settings(max_examples=200, deadline=None)
@given(shares, st.floats(1e-3, 1e3))
def test_weak_group_is_a_tight_group_past_the_largest_gap(values, scale):
    from skspectra.decomposition._nmf import _weak_group

    share = np.asarray(values)
    index = np.arange(share.size)
    order, strong = _weak_group(share, index)
    assert sorted(order) == list(index)
    assert np.all(np.diff(share[order]) <= 0)
    # the answer does not depend on the scale of the shares
    again = _weak_group(scale * share, index)
    assert again[1] == strong
    if strong < share.size:
        s = share[order]
        gap = s[strong - 1] / s[strong]
        ratios = s[:-1] / s[1:]
        assert share.size - strong >= 3
        assert gap == ratios.max()
        assert s[strong] / s[-1] < gap


def test_weak_group_finds_noise_beside_real_components():
    from skspectra.decomposition._nmf import _weak_group

    real = [1.0, 0.45, 0.2, 0.15]
    noise = [0.033, 0.029, 0.027, 0.027, 0.022, 0.017]
    share = np.asarray(noise[:3] + real + noise[3:])
    order, strong = _weak_group(share, np.arange(share.size))
    assert strong == 4
    assert set(order[:strong]) == {3, 4, 5, 6}
    # two real components below a gap, or real ones spread wider than
    # their largest gap, are no group
    assert _weak_group(np.asarray(real), np.arange(4))[1] == 4
    spread = np.asarray([1.0, 0.4, 0.3, 0.1, 0.05])
    assert _weak_group(spread, np.arange(5))[1] == 5


def test_a_phase_split_in_two_is_merged_not_kept():
    # the fit of 9 components held one phase twice, and its weakest
    # component was a real one: removing that lost 4,188 (threshold 641)
    # and the walk kept 9; merging the two halves of the split phase loses
    # less than the threshold
    X, _ = grains(8, 20000, seed=41, m=128)
    est = PoissonNMF(10, random_state=0).fit(X)
    assert est.n_components_ == 8
    assert np.all(est.pruning_gains_[:-1] < est.pruning_threshold_)


@settings(max_examples=100, deadline=None)
@given(
    st.integers(3, 6),
    st.integers(0, 2**31 - 1),
    st.floats(1e-3, 1e3),
)
def test_merge_keeps_the_counts_and_the_other_components(k, seed, scale):
    from skspectra.decomposition._nmf import _merged, _most_alike

    rng = np.random.default_rng(seed)
    W = rng.gamma(1.0, size=(20, k)) * scale
    H = rng.gamma(1.0, size=(k, 15))
    # two rows of H alike (a scaled copy): they are the pair merged
    H[k - 1] = 3.0 * H[1] + 1e-3 * rng.random(15)
    learned = np.ones(k, dtype=bool)
    i, j = _most_alike(H, learned)
    assert (i, j) == (1, k - 1)
    W2, H2, rest = _merged(W, H, i, j)
    assert W2.shape == (20, k - 1) and H2.shape == (k - 1, 15)
    np.testing.assert_allclose((W2 @ H2).sum(), (W @ H).sum(), rtol=1e-12)
    # the merged map holds the counts of both, each pixel's counts kept
    np.testing.assert_allclose((W2 @ H2).sum(axis=1), (W @ H).sum(axis=1))
    others = [c for c in range(k) if c not in (i, j)]
    kept = [list(rest).index(c) for c in others]
    np.testing.assert_array_equal(H2[kept], H[others])
    np.testing.assert_array_equal(W2[:, kept], W[:, others])
    # fixed rows are never merged
    learned[[1, k - 1]] = False
    pair = _most_alike(H, learned)
    assert pair is None or not {1, k - 1} & set(pair)


def test_count_does_not_follow_the_cap():
    X, _ = grains(4, 20000, seed=1)
    caps = (8, 12, 16, 24)
    counts = [PoissonNMF(cap, random_state=0).fit(X).n_components_ for cap in caps]
    assert counts == [4, 4, 4, 4]


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


# ------------------------------------------------------- select_n_components
@pytest.mark.parametrize("cpp", [30, 1000, 20000])
def test_select_n_components_test_method(cpp):
    from skspectra.decomposition import select_n_components

    X, _ = grains(3, cpp, seed=3, shape=(32, 32), m=128)
    result = select_n_components(X, max_components=6, random_state=0)
    assert result.n_components == 3
    assert result.model == "poisson"
    assert np.all(result.p_values[:-1] < 0.01) and result.p_values[-1] >= 0.01
    assert list(result.ks) == [1, 2, 3]


@pytest.mark.parametrize("cpp", [30, 20000])
def test_select_n_components_bootstrap(cpp):
    from skspectra.decomposition import select_n_components

    X, _ = grains(3, cpp, seed=3)
    result = select_n_components(
        X, max_components=5, method="bootstrap", n_draws=5, random_state=0
    )
    assert result.n_components == 3
    assert list(result.ks) == [1, 2, 3]
    assert np.all(result.p_values[:-1] < 0.01) and result.p_values[-1] >= 0.01
    # the gain of a fourth component is what one gains from noise
    assert 0.8 < result.scores[-1] < 1.25 < result.scores[-2]


@settings(max_examples=8, deadline=None)
@given(
    seed=st.integers(0, 2**16),
    cpp=st.floats(1.0, 2000.0),
    m=st.integers(16, 64),
)
def test_bootstrap_finds_one_component_in_rank_one_counts(seed, cpp, m):
    """Counts of one spectrum times one map hold no second component: the
    gain of a second is within the spread of its gains on draws."""
    from skspectra.decomposition import select_n_components

    rng = np.random.default_rng(seed)
    spectrum = rng.gamma(2.0, 1.0, m)
    abundance = rng.gamma(3.0, 1.0, 200)
    mean = np.outer(abundance / abundance.mean(), spectrum / spectrum.sum()) * cpp
    X = rng.poisson(mean).astype(float)
    if not np.any(X > 0):
        return
    result = select_n_components(
        X,
        model="poisson",
        max_components=3,
        method="bootstrap",
        alpha=1e-3,
        random_state=seed,
    )
    assert result.n_components == 1
    assert 0.0 <= result.p_values[0] <= 1.0


def test_test_method_warns_on_sparse_counts_and_bootstrap_holds():
    """Rank-1 counts at 0.01 per entry: the whitened residual is heavy-tailed,
    the test is told to be unreliable, and the bootstrap finds one."""
    from skspectra.decomposition import select_n_components

    rng = np.random.default_rng(0)
    spectrum = rng.gamma(1.0, 1.0, 128)
    abundance = rng.gamma(4.0, 1.0, 1024)
    mean = np.outer(abundance / abundance.mean(), spectrum / spectrum.sum())
    X = rng.poisson(1.28 * mean).astype(float)
    with pytest.warns(UserWarning, match="counts this sparse"):
        select_n_components(X, model="poisson", max_components=3, random_state=0)
    result = select_n_components(
        X, model="poisson", max_components=3, method="bootstrap", random_state=0
    )
    assert result.n_components == 1


def test_select_n_components_bicv_and_plot(tmp_path):
    pytest.importorskip("matplotlib")
    from skspectra.decomposition import select_n_components

    X, _ = grains(3, 300, seed=5, shape=(32, 32), m=128)
    result = select_n_components(X, max_components=5, method="bicv", random_state=0)
    # the held-out loss falls steeply up to the true number and far less
    # after it; on this image its minimum lies one beyond (bi-cross-
    # validation with 2 x 2 folds can overstate the number by one)
    s = result.scores
    assert s[0] > s[1] > s[2]
    assert (s[1] - s[2]) > 5 * (s[2] - s.min())
    assert result.n_components in (3, 4)
    assert result.p_values is None and s.shape == (5,)
    fig = result.plot()
    fig.savefig(tmp_path / "scree.png")
    assert (tmp_path / "scree.png").stat().st_size > 1000


def test_bootstrap_scree_marks_noise_and_writes_the_p_values():
    pytest.importorskip("matplotlib")
    from skspectra.decomposition import NComponentsResult

    result = NComponentsResult(
        n_components=2,
        ks=[1, 2],
        scores=[40.0, 1.02],
        p_values=[1e-9, 0.4],
        method="bootstrap",
        model="poisson",
    )
    ax = result.plot().axes[0]
    assert ax.get_yscale() == "log"
    assert [t.get_text() for t in ax.texts] == ["p=1e-09", "p=0.4"]
    assert "null mean" in ax.get_ylabel()


def gaussian_grains(k, seed, level=0.02, shape=(24, 24), m=96):
    """A rank-k grain image with i.i.d. Gaussian noise of ``level`` x its mean."""
    S, _ = grains(k, 1.0, noise=None, seed=seed, shape=shape, m=m)
    return S + level * S.mean() * np.random.default_rng(seed).standard_normal(S.shape)


@pytest.mark.parametrize("cpp", [300, 20000])
def test_select_n_components_split_poisson(tmp_path, cpp):
    pytest.importorskip("matplotlib")
    from skspectra.decomposition import select_n_components

    X, _ = grains(3, cpp, seed=3, shape=(32, 32), m=128)
    result = select_n_components(X, max_components=6, method="split", random_state=0)
    assert result.n_components == 3 and result.model == "poisson"
    # every K is scored; the held-out likelihood rises to the true number and
    # falls after it
    s = result.scores
    assert list(result.ks) == [1, 2, 3, 4, 5, 6] and result.p_values is None
    assert s[0] < s[1] < s[2] and s[2] == s.max() and s[2] > s[3]
    # the same seed, the same split and fits
    again = select_n_components(X, max_components=6, method="split", random_state=0)
    np.testing.assert_array_equal(again.scores, s)
    fig = result.plot()
    fig.savefig(tmp_path / "split.png")
    assert (tmp_path / "split.png").stat().st_size > 1000
    assert fig.axes[0].get_ylabel() == "held-out log-likelihood"


@settings(max_examples=4, deadline=None)
@given(scale=st.floats(1e-3, 1e4), k=st.sampled_from([2, 4]))
def test_select_n_components_split_gaussian_scale_free(scale, k):
    # the noise level is estimated from X and the split's noise drawn at that
    # level, so scaling X scales both halves and leaves the count unchanged
    from skspectra.decomposition import select_n_components

    X = gaussian_grains(k, seed=k, shape=(16, 16), m=48)
    kw = dict(model="gaussian", max_components=5, method="split", random_state=0)
    base = select_n_components(X, **kw)
    scaled = select_n_components(scale * X, **kw)
    assert base.n_components == scaled.n_components == k
    np.testing.assert_allclose(scaled.scores, base.scores, rtol=1e-5)


def test_select_n_components_split_passes_the_spatial_prior_on():
    # the estimator's prior is used for the fits of the half: without the
    # pixel grid it cannot be, and the error says so
    from skspectra.decomposition import select_n_components

    X, _ = grains(2, 30, seed=3, shape=(16, 16), m=32)
    est = PoissonNMF(ard=False, spatial_smoothness=1.0)
    with pytest.raises(ValueError, match="image_shape"):
        select_n_components(X, model=est, max_components=3, method="split")
    est.set_params(image_shape=(16, 16))
    result = select_n_components(
        X, model=est, max_components=3, method="split", random_state=0
    )
    assert result.ks.tolist() == [1, 2, 3]


@pytest.mark.parametrize(
    "X, kwargs, match",
    [
        (np.ones((1, 10)), {}, "single pixel"),
        (np.zeros((20, 10)), {}, "no positive"),
        (np.ones((20, 10)), {"max_components": 1}, "max_components"),
        (np.ones((20, 10)), {"max_components": 10}, "above min"),
        (np.ones((20, 10)), {"method": "elbow", "max_components": 5}, "method"),
        (np.ones((20, 10)), {"model": "laplace", "max_components": 5}, "model"),
        (
            np.full((20, 10), 0.5),
            {"model": "poisson", "method": "split", "max_components": 5},
            "whole counts",
        ),
        (
            np.ones((20, 10)),
            {"method": "bootstrap", "n_draws": 2, "max_components": 5},
            "n_draws",
        ),
        (
            np.ones((20, 10)),
            {"model": "gaussian", "method": "bootstrap", "max_components": 5},
            "Poisson model",
        ),
        (
            np.full((20, 10), 0.5),
            {"model": "poisson", "method": "bootstrap", "max_components": 5},
            "whole counts",
        ),
    ],
)
def test_select_n_components_bad_input(X, kwargs, match):
    from skspectra.decomposition import select_n_components

    with pytest.raises(ValueError, match=match):
        select_n_components(X, **kwargs)


@pytest.mark.parametrize("cls", [PoissonNMF, SparseNMF])
def test_estimator_bad_input_is_clear(cls):
    X = np.zeros((20, 10))
    with pytest.raises(ValueError, match="zero everywhere"):
        cls(3).fit(X)
    # a cap of 1 is a one-component fit; a cap above min(N, M) is reduced
    Y, _ = grains(2, 300, seed=0, shape=(8, 8), m=16)
    assert cls(1).fit(Y).n_components_ == 1
    with pytest.warns(UserWarning, match="larger than min"):
        cls(40).fit(Y)
    with pytest.raises(ValueError, match="minimum of 2"):
        cls(3).fit(Y[:1])


@pytest.mark.parametrize("cls", [PoissonNMF, SparseNMF])
def test_n_components_auto(cls):
    X, _ = grains(3, 2000, seed=2, shape=(24, 24), m=96)
    kw = {}
    if cls is SparseNMF:  # homoscedastic noise of 2 % of the mean
        X, _ = grains(3, 1.0, noise=None, seed=2, shape=(24, 24), m=96)
        X = X + 0.02 * X.mean() * np.random.default_rng(2).standard_normal(X.shape)
        kw = {"clip_negative": True}
    ard = cls("auto", random_state=0, **kw).fit(X)
    assert ard.n_components_ == 3 and ard.active_components_.shape == (10,)
    plain = cls("auto", ard=False, random_state=0, **kw).fit(X)
    assert plain.n_components_ == 3
    assert plain.n_components_selection_.n_components == 3
