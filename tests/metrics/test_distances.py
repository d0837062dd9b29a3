"""Properties of the spectral distances, derived from their definitions."""

import numpy as np
import pytest
import scipy.stats
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.spatial import distance as spd
from sklearn.neighbors import NearestNeighbors

from skspectra.metrics import (
    METRIC_NAMES,
    _kernels,
    cosine,
    cramer,
    derivative,
    get_metric,
    jensen_shannon,
    paired_spectral_distances,
    pairwise_spectral_distances,
    pearson,
    spectral_angle,
    wasserstein,
)

TRUE_METRICS = [n for n in METRIC_NAMES if get_metric(n).is_metric]
EMBEDDED = [n for n in METRIC_NAMES if get_metric(n).embed is not None]
ENERGY_METRICS = ["wasserstein", "cramer", "derivative"]

positive = st.floats(0.01, 100.0, allow_nan=False)


@st.composite
def spectra(draw, n_rows=3, min_channels=3, max_channels=12):
    """Positive, non-constant spectra on a random strictly increasing grid."""
    n = draw(st.integers(min_channels, max_channels))
    X = draw(arrays(np.float64, (n_rows, n), elements=positive))
    # a non-constant component keeps pearson defined
    X = X + np.linspace(0.0, 1.0, n)
    steps = draw(arrays(np.float64, n, elements=st.floats(0.05, 5.0)))
    energy = 500.0 + np.cumsum(steps)
    return X, energy


def _scale(values):
    return max(1.0, float(np.max(np.abs(values))))


@pytest.mark.parametrize("name", METRIC_NAMES)
@given(data=spectra())
def test_non_negative_identity_symmetry(name, data):
    X, energy = data
    f = get_metric(name).func
    u, v = X[0], X[1]
    d_uv = f(u, v, energy=energy)
    assert d_uv >= 0.0
    assert f(u, u, energy=energy) == pytest.approx(0.0, abs=1e-7)
    assert d_uv == pytest.approx(f(v, u, energy=energy), rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("name", TRUE_METRICS)
@given(data=spectra())
def test_triangle_inequality(name, data):
    X, energy = data
    f = get_metric(name).func
    a, b, c = X
    ab, bc, ac = f(a, b, energy), f(b, c, energy), f(a, c, energy)
    assert ac <= ab + bc + 1e-9 * max(1.0, ab + bc)


def test_pearson_is_not_a_metric():
    # 1 - r breaks the triangle inequality: a counterexample
    a = np.array([0.0, 1.0, 0.0, 0.0])
    b = np.array([0.0, 1.0, 1.0, 0.0])
    c = np.array([0.0, 0.0, 1.0, 0.0])
    assert pearson(a, c) > pearson(a, b) + pearson(b, c)
    assert not get_metric("pearson").is_metric


@pytest.mark.parametrize("name", METRIC_NAMES)
@given(data=spectra(n_rows=5, max_channels=9), n_x=st.integers(1, 3))
def test_pairwise_equals_loop(name, data, n_x):
    X, energy = data
    A, B = X[:n_x], X[n_x:]
    f = get_metric(name).func
    loop = np.array([[f(a, b, energy=energy) for b in B] for a in A])
    D = pairwise_spectral_distances(A, B, metric=name, energy=energy)
    np.testing.assert_allclose(D, loop, rtol=1e-9, atol=1e-12 * _scale(loop))
    loop_self = np.array([[f(a, b, energy=energy) for b in X] for a in X])
    D_self = pairwise_spectral_distances(X, metric=name, energy=energy)
    np.testing.assert_allclose(
        D_self, loop_self, rtol=1e-9, atol=1e-7 * _scale(loop_self)
    )
    k = min(A.shape[0], B.shape[0])
    paired = paired_spectral_distances(A[:k], B[:k], metric=name, energy=energy)
    np.testing.assert_allclose(
        paired, np.diag(loop)[:k], rtol=1e-9, atol=1e-12 * _scale(loop)
    )


@pytest.mark.parametrize("name", METRIC_NAMES)
@given(data=spectra(n_rows=4))
def test_self_pairwise_is_symmetric_with_zero_diagonal(name, data):
    # cdist(X) == cdist(X, X), exactly symmetric, exact zeros on the diagonal
    X, energy = data
    D_self = pairwise_spectral_distances(X, metric=name, energy=energy)
    D_xx = pairwise_spectral_distances(X, X, metric=name, energy=energy)
    np.testing.assert_array_equal(D_self, D_self.T)
    np.testing.assert_array_equal(np.diag(D_self), 0.0)
    np.testing.assert_allclose(D_self, D_xx, rtol=1e-9, atol=1e-7 * _scale(D_xx))


@pytest.mark.parametrize("name", EMBEDDED)
@given(data=spectra())
def test_embedded_form_equals_direct_form(name, data):
    X, energy = data
    m = get_metric(name)
    Z = m.embed(X, energy=energy)
    ord_ = 1 if m.embedded_metric == "manhattan" else 2
    for i, j in [(0, 1), (1, 2), (0, 2)]:
        d_embedded = np.linalg.norm(Z[i] - Z[j], ord=ord_)
        direct = m.func(X[i], X[j], energy=energy)
        assert float(m.from_embedded(d_embedded)) == pytest.approx(
            direct, rel=1e-9, abs=1e-12
        )


@pytest.mark.parametrize("name", EMBEDDED)
@given(d=arrays(np.float64, 20, elements=st.floats(0.0, 10.0)))
def test_from_embedded_is_monotone(name, d):
    d = np.sort(d)
    g = get_metric(name).from_embedded(d)
    assert np.all(np.diff(g) >= 0.0)


@given(data=spectra(n_rows=2, max_channels=40))
def test_wasserstein_equals_scipy(data):
    (u, v), energy = data
    expected = scipy.stats.wasserstein_distance(energy, energy, u, v)
    assert wasserstein(u, v, energy) == pytest.approx(expected, rel=1e-12, abs=1e-14)
    D = pairwise_spectral_distances(u[None], v[None], "wasserstein", energy)
    assert D[0, 0] == pytest.approx(expected, rel=1e-12, abs=1e-14)


@given(data=spectra(n_rows=2, max_channels=40))
def test_cramer_equals_scipy_energy_distance(data):
    (u, v), energy = data
    expected = scipy.stats.energy_distance(energy, energy, u, v) / np.sqrt(2.0)
    assert cramer(u, v, energy) == pytest.approx(expected, rel=1e-9, abs=1e-12)


@given(data=spectra(n_rows=2, max_channels=40))
def test_agreement_with_scipy_distances(data):
    (u, v), _ = data
    assert jensen_shannon(u, v) == pytest.approx(
        spd.jensenshannon(u, v), rel=1e-12, abs=1e-15
    )
    assert cosine(u, v) == pytest.approx(spd.cosine(u, v), rel=1e-9, abs=1e-15)
    assert pearson(u, v) == pytest.approx(spd.correlation(u, v), rel=1e-9, abs=1e-15)
    angle = np.arccos(np.clip(1.0 - spd.cosine(u, v), -1.0, 1.0))
    assert spectral_angle(u, v) == pytest.approx(angle, rel=1e-6, abs=1e-7)


def test_wasserstein_on_a_grid_by_hand():
    # all mass moves from 0 eV to 3 eV
    assert wasserstein([1.0, 0.0, 0.0], [0.0, 0.0, 2.0], [0.0, 1.0, 3.0]) == 3.0
    # half the mass moves by 1 eV; the scale of the spectra is irrelevant
    assert wasserstein([2.0, 0.0], [1.0, 1.0], [0.0, 1.0]) == 0.5
    # default grid: the channel index
    assert wasserstein([1.0, 0.0, 0.0], [0.0, 0.0, 1.0]) == 2.0


def test_derivative_ignores_offset_and_sees_shape():
    energy = np.linspace(0.0, 10.0, 101)
    u = np.tanh(energy - 5.0)
    assert derivative(u, u + 3.0, energy) == pytest.approx(0.0, abs=1e-12)
    assert derivative(u, np.tanh(energy - 5.5), energy) > 0.5
    # exact for linear spectra on a non-uniform grid: slopes 2 and 3
    e = np.array([0.0, 0.5, 2.0, 2.5, 4.0])
    d = derivative(2.0 * e, 3.0 * e, e)
    assert d == pytest.approx(np.sqrt(5.0), rel=1e-12)


def test_close_pairs_keep_relative_accuracy():
    # the matrix-product form cancels for nearly equal spectra: the close
    # pairs must be recomputed, so the relative error stays tiny
    rng = np.random.default_rng(0)
    base = rng.random(200) + 1.0
    X = base + 1e-7 * rng.standard_normal((6, 200))
    for name in ["euclidean", "hellinger", "cramer", "spectral_angle", "derivative"]:
        f = get_metric(name).func
        loop = np.array([[f(a, b) for b in X] for a in X])
        D = pairwise_spectral_distances(X, X, metric=name)
        off = ~np.eye(6, dtype=bool)
        np.testing.assert_allclose(D[off], loop[off], rtol=1e-8)
    loop = np.array([[spd.jensenshannon(a, b) for b in X] for a in X])
    D = pairwise_spectral_distances(X, X, metric="jensen_shannon")
    np.testing.assert_allclose(D[off], loop[off], rtol=1e-6)


def test_chunked_and_threaded_kernels_agree(monkeypatch):
    rng = np.random.default_rng(1)
    X = rng.random((23, 17))
    Y = rng.random((11, 17))
    expected = {
        name: pairwise_spectral_distances(X, Y, metric=name)
        for name in ["wasserstein", "jensen_shannon", "hellinger"]
    }
    expected_self = pairwise_spectral_distances(X, metric="wasserstein")
    # tiny blocks: many chunks of rows, of columns and of refined pairs
    monkeypatch.setattr(_kernels, "_BLOCK_ELEMENTS", 40)
    monkeypatch.setattr(_kernels, "_JS_BLOCK_ELEMENTS", 40)
    monkeypatch.setattr(_kernels, "_L1_BLOCK_BYTES", 8)  # 8-row tiles, the least
    monkeypatch.setattr(_kernels, "_MIN_PARALLEL_WORK", 0)  # threads even here
    for name, D in expected.items():
        for n_jobs in (None, 2):
            got = pairwise_spectral_distances(X, Y, metric=name, n_jobs=n_jobs)
            np.testing.assert_allclose(got, D, rtol=1e-12, atol=1e-15)
    got = pairwise_spectral_distances(X, metric="wasserstein", n_jobs=2)
    np.testing.assert_array_equal(got, expected_self)


def test_sklearn_accepts_plain_functions_as_metric():
    rng = np.random.default_rng(2)
    energy = np.cumsum(rng.uniform(0.1, 1.0, 30))
    library = rng.random((25, 30))
    queries = rng.random((4, 30))
    nn = NearestNeighbors(
        n_neighbors=3,
        metric=wasserstein,
        metric_params={"energy": energy},
        algorithm="brute",
    ).fit(library)
    dist, idx = nn.kneighbors(queries)
    m = get_metric("wasserstein")
    nn_fast = NearestNeighbors(n_neighbors=3, metric=m.embedded_metric)
    nn_fast.fit(m.embed(library, energy))
    dist_fast, idx_fast = nn_fast.kneighbors(m.embed(queries, energy))
    np.testing.assert_array_equal(idx, idx_fast)
    np.testing.assert_allclose(m.from_embedded(dist_fast), dist, rtol=1e-10)


def test_callable_metric_in_pairwise():
    rng = np.random.default_rng(3)
    X, Y = rng.random((4, 6)), rng.random((3, 6))

    def chebyshev(u, v):
        return float(np.max(np.abs(u - v)))

    D = pairwise_spectral_distances(X, Y, metric=chebyshev)
    np.testing.assert_allclose(D, spd.cdist(X, Y, "chebyshev"))
    m = get_metric(chebyshev)
    assert m.embed is None and m.embedded_metric is None
    D_self = pairwise_spectral_distances(X, metric=chebyshev)
    np.testing.assert_array_equal(np.diag(D_self), 0.0)


def test_embed_keeps_float32():
    X = np.random.default_rng(4).random((3, 5)).astype(np.float32)
    for name in EMBEDDED:
        assert get_metric(name).embed(X).dtype == np.float32
    assert get_metric("cosine").embed(X.astype(np.float64)).dtype == np.float64


# ---------------------------------------------------------------- bad input
GOOD = np.array([[1.0, 2.0, 3.0, 1.0], [2.0, 1.0, 0.5, 3.0]])


@pytest.mark.parametrize("name", METRIC_NAMES)
@pytest.mark.parametrize("bad, message", [(np.nan, "NaN"), (np.inf, "inf")])
def test_nan_and_inf_are_rejected(name, bad, message):
    X = GOOD.copy()
    X[0, 1] = bad
    with pytest.raises(ValueError, match=message):
        pairwise_spectral_distances(X, metric=name)
    with pytest.raises(ValueError, match=message):
        get_metric(name).func(X[0], X[1])
    with pytest.raises(ValueError, match=message):
        pairwise_spectral_distances(GOOD, X, metric=name)


@pytest.mark.parametrize("name", ["hellinger", "jensen_shannon"])
def test_density_metrics_reject_more_than_noise_below_zero(name):
    X = GOOD.copy()
    X[1, 2] = -0.1 * np.abs(X[1]).sum()
    assert get_metric(name).requires_non_negative
    with pytest.raises(ValueError, match=f"{name}.*non-negative"):
        pairwise_spectral_distances(X, metric=name)
    with pytest.raises(ValueError, match=f"{name}.*non-negative"):
        get_metric(name).func(X[0], X[1])
    with pytest.raises(ValueError, match=f"{name}.*non-negative"):
        get_metric(name).pairwise(X[:1], X[1:])
    if get_metric(name).embed is not None:
        with pytest.raises(ValueError, match=f"{name}.*non-negative"):
            get_metric(name).embed(X)
    with pytest.raises(ValueError, match="total intensity is zero"):
        pairwise_spectral_distances(np.zeros((1, 4)), GOOD, metric=name)


@pytest.mark.parametrize("name", ["hellinger", "jensen_shannon"])
def test_density_metrics_clip_noise_below_zero(name):
    # a dip of noise below the baseline is set to zero in every form; the
    # strict form raises
    X = GOOD.copy()
    X[1, 2] = -0.01 * np.abs(X[1]).sum()
    clipped = np.maximum(X, 0.0)
    D = pairwise_spectral_distances(X, metric=name)
    np.testing.assert_allclose(D, pairwise_spectral_distances(clipped, metric=name))
    func = get_metric(name).func
    assert func(X[0], X[1]) == pytest.approx(func(clipped[0], clipped[1]))
    assert D[0, 1] == pytest.approx(func(X[0], X[1]))
    with pytest.raises(ValueError, match="clip_negative=False"):
        func(X[0], X[1], clip_negative=False)


@pytest.mark.parametrize("name", ["wasserstein", "cramer"])
def test_cdf_metrics_need_a_positive_total(name):
    X = GOOD.copy()
    X[1, 2] = -0.5
    assert not get_metric(name).requires_non_negative
    assert get_metric(name).requires_positive_total
    D = pairwise_spectral_distances(X, metric=name)
    assert D[0, 1] == pytest.approx(get_metric(name).func(X[0], X[1]))
    with pytest.raises(ValueError, match="total intensity is zero"):
        pairwise_spectral_distances(np.zeros((1, 4)), GOOD, metric=name)
    with pytest.raises(ValueError, match=r"total intensity is -1"):
        get_metric(name).func(-GOOD[0] / GOOD[0].sum(), GOOD[1])


@pytest.mark.parametrize("name", ["euclidean", "cityblock", "cosine", "pearson"])
def test_other_metrics_accept_negative_values(name):
    X = GOOD - 1.5
    assert not get_metric(name).requires_non_negative
    assert np.all(np.isfinite(pairwise_spectral_distances(X, metric=name)))


@pytest.mark.parametrize("name", ENERGY_METRICS)
def test_energy_errors(name):
    with pytest.raises(ValueError, match="has 3 values but the spectra have 4"):
        pairwise_spectral_distances(GOOD, metric=name, energy=[1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="strictly increasing"):
        pairwise_spectral_distances(GOOD, metric=name, energy=[1.0, 2.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="strictly increasing"):
        get_metric(name).func(GOOD[0], GOOD[1], energy=[4.0, 3.0, 2.0, 1.0])
    with pytest.raises(ValueError, match="has 5 values"):
        get_metric(name).func(GOOD[0], GOOD[1], energy=np.arange(5.0))


@pytest.mark.parametrize("name", METRIC_NAMES)
def test_empty_and_mismatched_input(name):
    with pytest.raises(ValueError, match="0 sample"):
        pairwise_spectral_distances(np.empty((0, 4)), metric=name)
    with pytest.raises(ValueError, match="0 feature"):
        pairwise_spectral_distances(np.empty((2, 0)), metric=name)
    with pytest.raises(ValueError, match="empty"):
        get_metric(name).func([], [])
    with pytest.raises(ValueError, match="X has 4 channels but Y has 3"):
        pairwise_spectral_distances(GOOD, GOOD[:, :3], metric=name)
    with pytest.raises(ValueError, match="u has 4 channels but v has 3"):
        get_metric(name).func(GOOD[0], GOOD[1, :3])


def test_unknown_metric_lists_the_names():
    with pytest.raises(ValueError, match="valid names are euclidean, cityblock"):
        get_metric("emd")
    with pytest.raises(TypeError, match="a name among"):
        get_metric(3)


def test_degenerate_spectra_are_named():
    with pytest.raises(ValueError, match="all-zero spectrum"):
        cosine([0.0, 0.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="constant spectrum"):
        pearson([2.0, 2.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="constant spectrum"):
        pairwise_spectral_distances([[2.0, 2.0, 2.0]], metric="pearson")
    with pytest.raises(ValueError, match="at least 2 channels"):
        derivative([1.0], [2.0])


def test_n_jobs_validation():
    with pytest.raises(ValueError, match="n_jobs == 0"):
        pairwise_spectral_distances(GOOD, n_jobs=0)
    with pytest.raises(TypeError, match="n_jobs"):
        pairwise_spectral_distances(GOOD, n_jobs=1.5)


@given(data=spectra(n_rows=5, max_channels=15))
def test_pairwise_agrees_with_scipy_cdist(data):
    X, energy = data
    A, B = X[:2], X[2:]
    for name, scipy_name in [
        ("euclidean", "euclidean"),
        ("cityblock", "cityblock"),
        ("cosine", "cosine"),
        ("pearson", "correlation"),
        ("jensen_shannon", "jensenshannon"),
    ]:
        expected = spd.cdist(A, B, scipy_name)
        got = pairwise_spectral_distances(A, B, metric=name)
        np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-14)
    expected = np.array(
        [[scipy.stats.wasserstein_distance(energy, energy, a, b) for b in B] for a in A]
    )
    got = pairwise_spectral_distances(A, B, metric="wasserstein", energy=energy)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-14)


@given(
    counts=arrays(np.int64, (4, 9), elements=st.integers(0, 5)),
)
def test_sparse_count_spectra_with_zeros(counts):
    # low-count spectra (EDS, EELS) have empty channels: 0 log 0 = 0
    counts[:, 0] += 1  # every spectrum has at least one count
    X = counts.astype(np.float64)
    for name, scipy_name in [("jensen_shannon", "jensenshannon")]:
        np.testing.assert_allclose(
            pairwise_spectral_distances(X[:2], X[2:], metric=name),
            spd.cdist(X[:2], X[2:], scipy_name),
            rtol=1e-9,
            atol=1e-12,
        )
    for name in ["wasserstein", "cramer", "hellinger", "jensen_shannon"]:
        f = get_metric(name).func
        loop = np.array([[f(a, b) for b in X] for a in X])
        D = pairwise_spectral_distances(X, metric=name)
        assert np.all(np.isfinite(D))
        np.testing.assert_allclose(D, loop, rtol=1e-9, atol=1e-7)


@st.composite
def signed_spectra(draw, n_rows=3):
    """Signed spectra of positive total on one strictly increasing grid."""
    n_ch = draw(st.integers(2, 10))
    values = st.floats(-2.0, 2.0, allow_nan=False, width=64)
    X = draw(arrays(np.float64, (n_rows, n_ch), elements=values))
    # shift each row so that its total is at least 0.5
    X += np.maximum(0.0, 0.5 - X.sum(axis=1, keepdims=True)) / n_ch
    steps = draw(arrays(np.float64, n_ch, elements=st.floats(0.1, 3.0, width=64)))
    return X, np.cumsum(steps)


def _signed_cdf_distance(u, v, energy, power):
    """The definition: the cumulative sums divided by the totals."""
    diff = np.cumsum(u) / u.sum() - np.cumsum(v) / v.sum()
    return np.sum(np.abs(diff[:-1]) ** power * np.diff(energy)) ** (1.0 / power)


@pytest.mark.parametrize(("name", "power"), [("wasserstein", 1), ("cramer", 2)])
@given(data=signed_spectra())
def test_signed_cdf_metrics_are_metrics(name, power, data):
    (u, v, w), energy = data
    f = get_metric(name).func
    scale = 1.0 + max(np.abs(np.cumsum(x) / x.sum()).max() for x in (u, v, w))
    tol = 1e-12 * scale * (energy[-1] - energy[0] + 1.0)
    assert f(u, v, energy) == pytest.approx(
        _signed_cdf_distance(u, v, energy, power), rel=1e-12, abs=tol
    )
    assert f(u, v, energy) == f(v, u, energy)
    assert f(u, u, energy) == 0.0
    # zero exactly when the spectra are equal after the normalisation
    assert f(u, 3.0 * u, energy) <= tol
    gap = np.abs(u / u.sum() - v / v.sum()).max()
    if gap > 1e-9:
        assert f(u, v, energy) > 0.0
    assert f(u, w, energy) <= f(u, v, energy) + f(v, w, energy) + tol
    # the embedding (L1 or L2 distance of the embedded rows) is the formula
    D = get_metric(name).pairwise(np.array([u, v, w]), energy=energy)
    assert D[0, 1] == pytest.approx(f(u, v, energy), rel=1e-10, abs=tol)
    assert D[1, 2] == pytest.approx(f(v, w, energy), rel=1e-10, abs=tol)


@pytest.mark.parametrize("name", ["hellinger", "jensen_shannon"])
@given(data=spectra())
def test_clipped_density_metrics_equal_their_positive_parts(name, data):
    X, _ = data
    # dips below zero of at most 1 % of each spectrum's absolute intensity
    # (that of the channels the dip does not replace)
    dips = -0.01 * np.abs(X[:, 1:]).sum(axis=1) / X.shape[1]
    Y = X.copy()
    Y[:, 0] = dips
    clipped = np.maximum(Y, 0.0)
    D = get_metric(name).pairwise(Y)
    np.testing.assert_allclose(D, get_metric(name).pairwise(clipped), atol=1e-12)
    f = get_metric(name).func
    assert D[0, 1] == pytest.approx(f(Y[0], Y[1]), abs=1e-7)
