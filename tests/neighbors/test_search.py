"""The exact neighbour search: equal to brute force and to scikit-learn."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.neighbors import KNeighborsRegressor

from skspectra import metrics
from skspectra.neighbors import SimilarityKNNEstimator, _search
from skspectra.neighbors._search import (
    _block_edges,
    _ManhattanScorer,
    _ProjectedEuclideanScorer,
    _TopK,
    build_index,
)

METRICS = list(metrics.METRIC_NAMES)


def _brute(Q, X, metric, energy, k):
    D = metrics.get_metric(metric).pairwise(Q, X, energy=energy)
    ind = np.argsort(D, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(D, ind, axis=1), ind, D


def _unambiguous(D, k):
    """Rows whose k-th and (k+1)-th smallest distances are clearly apart."""
    s = np.sort(D, axis=1)
    if s.shape[1] <= k:
        return np.ones(s.shape[0], dtype=bool)
    scale = np.maximum(np.abs(s[:, k]), 1e-12)
    return (s[:, k] - s[:, k - 1]) > 1e-7 * scale


@st.composite
def library_and_queries(draw):
    n_ch = draw(st.integers(4, 12))
    n_ref = draw(st.integers(6, 25))
    n_q = draw(st.integers(1, 6))
    elements = st.floats(0.05, 10.0, allow_nan=False, width=64)
    # a ramp keeps every spectrum non-constant (Pearson is undefined on one)
    ramp = np.linspace(0.0, 0.37, n_ch)
    X = draw(arrays(np.float64, (n_ref, n_ch), elements=elements)) + ramp
    Q = draw(arrays(np.float64, (n_q, n_ch), elements=elements)) + ramp
    y = draw(arrays(np.float64, (n_ref, 2), elements=st.floats(-5, 5, width=64)))
    k = draw(st.integers(1, 5))
    energy = np.cumsum(
        draw(arrays(np.float64, n_ch, elements=st.floats(0.1, 2.0, width=64)))
    )
    return X, Q, y, k, energy


@pytest.mark.parametrize("metric", METRICS)
@settings(max_examples=12)
@given(data=library_and_queries())
def test_agrees_with_sklearn_callable_and_precomputed(metric, data):
    # neighbours, distances and predictions equal those of scikit-learn's
    # KNeighborsRegressor with the metric as a Python callable, and with the
    # precomputed distance matrix
    X, Q, y, k, energy = data
    func = getattr(metrics, metric)
    for weights in ("uniform", "distance"):
        est = SimilarityKNNEstimator(
            n_neighbors=k, metric=metric, energy=energy, weights=weights
        ).fit(X, y)
        dist, ind = est.kneighbors(Q)
        ref = KNeighborsRegressor(
            n_neighbors=k,
            metric=func,
            metric_params={"energy": energy},
            algorithm="brute",
            weights=weights,
        ).fit(X, y)
        ref_dist, ref_ind = ref.kneighbors(Q)
        D = metrics.pairwise_spectral_distances(Q, X, metric=metric, energy=energy)
        pre = KNeighborsRegressor(
            n_neighbors=k, metric="precomputed", weights=weights
        ).fit(metrics.pairwise_spectral_distances(X, metric=metric, energy=energy), y)
        pre_dist, pre_ind = pre.kneighbors(D)
        np.testing.assert_allclose(dist, ref_dist, rtol=1e-7, atol=1e-9)
        np.testing.assert_allclose(dist, pre_dist, rtol=1e-7, atol=1e-9)
        clear = _unambiguous(D, k)
        for i in np.flatnonzero(clear):
            assert set(ind[i]) == set(ref_ind[i]) == set(pre_ind[i])
        # predictions of rows without ties at the k-th place, and with no
        # zero distance (where 1/d weights are ill-conditioned)
        ok = clear & (dist.min(axis=1) > 1e-6)
        np.testing.assert_allclose(
            est.predict(Q)[ok], ref.predict(Q)[ok], rtol=1e-6, atol=1e-9
        )


@pytest.mark.parametrize("metric", ["cosine", "wasserstein", "jensen_shannon"])
@given(data=library_and_queries(), chunk=st.integers(1, 9))
def test_chunk_size_does_not_change_the_result(metric, data, chunk):
    X, Q, y, k, energy = data
    whole = SimilarityKNNEstimator(n_neighbors=k, metric=metric, energy=energy)
    small = SimilarityKNNEstimator(
        n_neighbors=k, metric=metric, energy=energy, chunk_size=chunk
    )
    d1, i1 = whole.fit(X, y).kneighbors(Q)
    d2, i2 = small.fit(X, y).kneighbors(Q)
    np.testing.assert_allclose(d1, d2, rtol=1e-9, atol=1e-12)
    D = metrics.pairwise_spectral_distances(Q, X, metric=metric, energy=energy)
    clear = _unambiguous(D, k)
    # the same neighbours; their order is arbitrary among equal distances
    # (duplicate references), which the equal distances above already pin
    np.testing.assert_array_equal(
        np.sort(i1[clear], axis=1), np.sort(i2[clear], axis=1)
    )


def _smooth_library(rng, n, d):
    """Non-negative spectra: a few Gaussian peaks on a step, plus noise."""
    e = np.linspace(0.0, 1.0, d)
    centers = rng.uniform(0.2, 0.8, size=(n, 3))
    widths = rng.uniform(0.01, 0.08, size=(n, 3))
    X = np.exp(-(((e - centers[..., None]) / widths[..., None]) ** 2)).sum(axis=1)
    X += 1.0 / (1.0 + np.exp(-(e - centers[:, :1]) / 0.01))
    return X + 0.02 * rng.random((n, d))


@pytest.mark.parametrize("n_channels", [40, 300, 700])
def test_pruned_wasserstein_is_exact(n_channels):
    # the multi-resolution lower bounds (one level above 64 channels, two
    # above 512) never discard a true neighbour
    rng = np.random.default_rng(n_channels)
    X = _smooth_library(rng, 900, n_channels)
    Q = _smooth_library(rng, 40, n_channels)
    energy = np.linspace(6530.0, 6600.0, n_channels)
    est = SimilarityKNNEstimator(
        n_neighbors=7, metric="wasserstein", energy=energy, chunk_size=200
    )
    dist, ind = est.fit(X, np.zeros(900)).kneighbors(Q)
    ref_dist, ref_ind, _ = _brute(Q, X, "wasserstein", energy, 7)
    np.testing.assert_allclose(dist, ref_dist, rtol=1e-10)
    np.testing.assert_array_equal(ind, ref_ind)


@given(
    z=arrays(np.float64, st.tuples(st.integers(1, 5), st.integers(65, 600))),
)
def test_block_sum_bounds_are_nested_lower_bounds(z):
    # sum over blocks of |block sums| <= a finer such sum <= the L1 norm
    z = np.nan_to_num(z, nan=0.0, posinf=1.0, neginf=-1.0)
    z = np.clip(z, -1e6, 1e6)
    index = _ManhattanScorer(z.shape[1], np.float64)
    prepared = index.prepare(z)
    full = np.abs(z).sum(axis=1)
    previous = np.zeros(z.shape[0])
    for i in range(len(index.resolutions)):
        # the finer levels are stored in a lower precision, within the slack
        # their thresholds are widened by
        stored = prepared[f"P{i}"]
        slack = 1e-12 if stored.dtype == np.float64 else index.level_slack
        bound = np.abs(stored.astype(np.float64)).sum(axis=1)
        assert np.all(bound <= full * (1 + slack) + 1e-9)
        assert np.all(bound >= previous - slack * full - 1e-9)
        previous = bound


def test_block_edges_are_nested():
    coarse = set(_block_edges(700, 16))
    fine = set(_block_edges(700, 128))
    assert coarse <= fine


@given(
    vals=arrays(np.float64, (6, 9), elements=st.integers(0, 4).map(float)),
    k=st.integers(1, 4),
)
def test_topk_merge_equals_full_sort(vals, k):
    top = _TopK(6, k)
    rows, cols = np.nonzero(np.ones_like(vals, dtype=bool))
    for part in np.array_split(np.arange(rows.size), 4):
        top.merge(rows[part], cols[part], vals[rows[part], cols[part]])
    order = np.lexsort((np.broadcast_to(np.arange(9), vals.shape), vals), axis=1)
    expected = np.take_along_axis(vals, order, axis=1)[:, :k]
    np.testing.assert_array_equal(top.dist, expected)
    np.testing.assert_array_equal(top.ind, order[:, :k])


@pytest.mark.parametrize("metric", ["pearson", "wasserstein", "jensen_shannon"])
def test_threads_give_the_same_result(metric):
    rng = np.random.default_rng(1)
    X = _smooth_library(rng, 600, 120)
    Q = _smooth_library(rng, 90, 120)
    serial = SimilarityKNNEstimator(n_neighbors=4, metric=metric, chunk_size=100)
    threaded = SimilarityKNNEstimator(
        n_neighbors=4, metric=metric, chunk_size=100, n_jobs=2
    )
    d1, i1 = serial.fit(X, np.zeros(600)).kneighbors(Q)
    d2, i2 = threaded.fit(X, np.zeros(600)).kneighbors(Q)
    np.testing.assert_array_equal(i1, i2)
    np.testing.assert_allclose(d1, d2)


@pytest.mark.parametrize("metric", ["cosine", "wasserstein"])
def test_dask_library_equals_in_memory(metric):
    da = pytest.importorskip("dask.array")
    rng = np.random.default_rng(2)
    X = _smooth_library(rng, 500, 80)
    y = rng.random((500, 2))
    Q = _smooth_library(rng, 30, 80)
    lazy = da.from_array(X, chunks=(128, 40))
    est = SimilarityKNNEstimator(n_neighbors=5, metric=metric, chunk_size=64)
    d1, i1 = est.fit(X, y).kneighbors(Q)
    p1 = est.predict(Q)
    d2, i2 = est.fit(lazy, y).kneighbors(Q)
    np.testing.assert_array_equal(i1, i2)
    np.testing.assert_allclose(d1, d2, rtol=1e-12)
    np.testing.assert_allclose(p1, est.predict(Q), rtol=1e-12)
    with pytest.raises(ValueError, match="dask"):
        est.kneighbors()


def test_dask_library_with_nan_is_rejected():
    da = pytest.importorskip("dask.array")
    X = np.ones((20, 6))
    X[13, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        SimilarityKNNEstimator(n_neighbors=2).fit(
            da.from_array(X, chunks=(5, 6)), np.zeros(20)
        )


def test_float32_keeps_the_neighbours():
    rng = np.random.default_rng(3)
    X = _smooth_library(rng, 400, 50)
    Q = _smooth_library(rng, 25, 50)
    for metric in ("cosine", "wasserstein"):
        est = SimilarityKNNEstimator(n_neighbors=3, metric=metric)
        d64, i64 = est.fit(X, np.zeros(400)).kneighbors(Q)
        d32, i32 = est.fit(X.astype(np.float32), np.zeros(400)).kneighbors(
            Q.astype(np.float32)
        )
        assert np.mean(i64 == i32) > 0.95
        np.testing.assert_allclose(d32, d64, rtol=1e-3, atol=1e-6)


def test_search_reports_too_few_references():
    index = build_index("cityblock", np.ones((2, 3)))
    with pytest.raises(ValueError, match="training spectra X hold only 2"):
        index.query(np.zeros((2, 3)), 3)


def test_leave_one_out_kneighbors_excludes_each_spectrum():
    rng = np.random.default_rng(4)
    X = _smooth_library(rng, 120, 30)
    est = SimilarityKNNEstimator(n_neighbors=3, metric="cosine").fit(X, np.zeros(120))
    dist, ind = est.kneighbors()
    D = metrics.pairwise_spectral_distances(X, metric="cosine")
    np.fill_diagonal(D, np.inf)
    expected = np.argsort(D, axis=1, kind="stable")[:, :3]
    np.testing.assert_array_equal(ind, expected)
    assert not np.any(ind == np.arange(120)[:, None])
    np.testing.assert_allclose(dist, np.take_along_axis(D, expected, 1), atol=1e-12)


@pytest.mark.parametrize("metric", ["pearson", "euclidean"])
@pytest.mark.parametrize("noise", [0.02, 3.0])
def test_projection_pruned_search_is_exact(metric, noise, monkeypatch):
    # the projection lower bound (and, for very noisy queries, the dense
    # fallback) returns exactly the brute-force neighbours
    monkeypatch.setattr(_search, "_PROJECT_MIN_SAMPLES", 100)
    monkeypatch.setattr(_search, "_PROJECT_MIN_FEATURES", 100)
    rng = np.random.default_rng(5)
    X = _smooth_library(rng, 800, 200)
    Q = _smooth_library(rng, 30, 200) + noise * rng.standard_normal((30, 200))
    est = SimilarityKNNEstimator(n_neighbors=6, metric=metric, chunk_size=300)
    est.fit(X, np.zeros(800))
    assert isinstance(est._index.scorer, _ProjectedEuclideanScorer)
    dist, ind = est.kneighbors(Q)
    ref_dist, ref_ind, D = _brute(Q, X, metric, None, 6)
    clear_q = _unambiguous(D, 6)
    np.testing.assert_array_equal(ind[clear_q], ref_ind[clear_q])
    np.testing.assert_allclose(dist, ref_dist, rtol=1e-9, atol=1e-12)
    brute = SimilarityKNNEstimator(n_neighbors=6, metric=metric, algorithm="brute")
    np.testing.assert_array_equal(brute.fit(X, np.zeros(800)).kneighbors(Q)[1], ind)


@pytest.mark.parametrize("n_jobs", [None, 2])
@pytest.mark.parametrize("metric", ["wasserstein", "pearson"])
def test_key_sorted_search_is_exact_over_many_batches(metric, n_jobs, monkeypatch):
    # the library sorted by a one-number key whose difference is a lower
    # bound of the distance (embedded row sum for L1, projection on the
    # principal axis for Euclidean), queries in batches of neighbouring keys,
    # each searched only where the key difference can be below its
    # thresholds: the neighbours of brute force, in every batch, with
    # duplicate references tied by their original index, and for the library
    monkeypatch.setattr(_search, "_PROJECT_MIN_SAMPLES", 100)
    monkeypatch.setattr(_search, "_PROJECT_MIN_FEATURES", 50)
    rng = np.random.default_rng(6)
    X = _smooth_library(rng, 700, 90)
    X[350:360] = X[10]  # exact ties, to be broken by the lower index
    Q = np.vstack([_smooth_library(rng, 500, 90), X[10:11]])
    # far from the library (noisy, still non-negative)
    Q[:100] = np.abs(Q[:100] + 0.5 * rng.standard_normal((100, 90)))
    energy = np.linspace(6530.0, 6600.0, 90)
    est = SimilarityKNNEstimator(
        n_neighbors=6, metric=metric, energy=energy, chunk_size=50, n_jobs=n_jobs
    ).fit(X, np.zeros(700))
    assert est._index._perm is not None
    assert np.all(np.diff(est._index._ref["key"]) >= 0)
    dist, ind = est.kneighbors(Q)
    ref_dist, ref_ind, D = _brute(Q, X, metric, energy, 6)
    clear_q = _unambiguous(D, 6)
    np.testing.assert_array_equal(ind[clear_q], ref_ind[clear_q])
    np.testing.assert_allclose(dist, ref_dist, rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(np.sort(ind[-1]), [10, 350, 351, 352, 353, 354])
    loo_dist, loo_ind = est.kneighbors()
    D = metrics.pairwise_spectral_distances(X, metric=metric, energy=energy)
    np.fill_diagonal(D, np.inf)
    expected = np.argsort(D, axis=1, kind="stable")[:, :6]
    clear = _unambiguous(D, 6)
    np.testing.assert_array_equal(loo_ind[clear], expected[clear])
    np.testing.assert_allclose(
        loo_dist, np.take_along_axis(D, expected, 1), rtol=1e-9, atol=1e-12
    )
    brute = SimilarityKNNEstimator(
        n_neighbors=6, metric=metric, energy=energy, algorithm="brute"
    ).fit(X, np.zeros(700))
    assert brute._index._perm is None
    np.testing.assert_array_equal(brute.kneighbors(Q)[1][clear_q], ind[clear_q])


def _clear_gap(D, k, rtol=1e-9):
    """Rows whose k-th and (k+1)-th distances differ by more than rtol."""
    s = np.sort(D, axis=1)
    if s.shape[1] <= k:
        return np.ones(s.shape[0], dtype=bool)
    return (s[:, k] - s[:, k - 1]) > rtol * np.maximum(np.abs(s[:, k]), 1e-300)


@pytest.mark.parametrize("metric", METRICS)
@settings(max_examples=15, deadline=None)
@given(data=library_and_queries())
def test_float32_library_gives_the_neighbours_of_float64(metric, data):
    # the float32 search must return the neighbours of the same (float32)
    # values searched in float64: its bounds hold in float32 arithmetic and
    # the exact values are computed in float64
    X, Q, _, k, energy = data
    X32, Q32 = X.astype(np.float32), Q.astype(np.float32)
    i32 = build_index(metric, X32, energy=energy)
    i64 = build_index(metric, X32.astype(np.float64), energy=energy)
    d32, n32 = i32.query(Q32, k)
    d64, n64 = i64.query(Q32.astype(np.float64), k)
    # equal to the float64 search up to the last bits of the float64 rows
    # (the float32 library keeps them as a float32 pair, about 48 bits)
    np.testing.assert_allclose(d32, d64, rtol=1e-12, atol=1e-12 * (1 + np.abs(X).max()))
    D = metrics.pairwise_spectral_distances(
        Q32.astype(np.float64), X32.astype(np.float64), metric=metric, energy=energy
    )
    clear = _clear_gap(D, k)
    np.testing.assert_array_equal(n32[clear], n64[clear])


@pytest.mark.parametrize("metric", ["cramer", "cosine", "wasserstein", "pearson"])
def test_float32_cramer_and_others_on_xanes_match_float64(metric):
    # the reproducer of a wrong float32 neighbour: smooth CDF embeddings whose
    # norms are far larger than their distances
    from skspectra.datasets import make_xanes_series

    d = make_xanes_series(5000, 200, random_state=0)
    q = make_xanes_series(40, 200, noise=50, random_state=1)
    X32 = d.data.astype(np.float32)
    Q32 = np.clip(q.data, 0, None).astype(np.float32)
    d32, i32 = build_index(metric, X32, energy=d.energy).query(Q32, 3)
    d64, i64 = build_index(metric, X32.astype(float), energy=d.energy).query(
        Q32.astype(float), 3
    )
    np.testing.assert_array_equal(i32, i64)
    np.testing.assert_allclose(d32, d64, rtol=1e-12)


@pytest.mark.parametrize("metric", ["wasserstein", "cosine", "euclidean"])
def test_float32_candidates_beyond_the_spare_slots_are_searched_again(metric):
    # more references within the float32 rounding of the k-th than the
    # candidates kept per query (here identical copies): the query is searched
    # again on float64 distances, and ties still go to the lower index
    rng = np.random.default_rng(3)
    X = rng.gamma(2.0, size=(300, 80))
    copies = np.flatnonzero(rng.random(300) < 0.5)[: 3 * _search._SPARE_CANDIDATES]
    X[copies] = X[copies[0]]
    Q = X[copies[:2]] + 1e-3 * rng.random((2, 80))
    X32, Q32 = X.astype(np.float32), Q.astype(np.float32)
    k = 4
    calls = []
    index = build_index(metric, X32)
    run = index._run
    index._run = lambda qp, n, top: calls.append(top.upper) or run(qp, n, top)
    d32, i32 = index.query(Q32, k)
    # the approximate pass, then the float64 search of the two queries
    assert calls[0] is not None and calls[-1] is None
    d64, i64 = build_index(metric, X32.astype(np.float64)).query(
        Q32.astype(np.float64), k
    )
    np.testing.assert_array_equal(i32, i64)
    np.testing.assert_array_equal(i32, np.tile(copies[:k], (2, 1)))
    # equal up to the last bits of the float64 rows kept as a float32 pair
    np.testing.assert_allclose(d32, d64, rtol=1e-10, atol=1e-15)


def test_power_of_two_product_equals_ldexp():
    Z = np.array([1.5, -3.0, 1e-300, 5e-324, 1e300])
    for exponent in (-1074, -60, -1, 0, 7, 1023, 2000):
        expected = np.ldexp(Z, exponent)
        with np.errstate(over="ignore"):
            got = _search._scale_pow2(Z.copy(), exponent)
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("metric", ["euclidean", "cityblock", "cosine", "wasserstein"])
@pytest.mark.parametrize("power", [-60, -7, 9, 60])
@settings(max_examples=8, deadline=None)
@given(data=library_and_queries())
def test_power_of_two_scaling_scales_distances_exactly(metric, power, data):
    X, Q, _, k, energy = data
    dist, ind = build_index(metric, X, energy=energy).query(Q, k)
    s = 2.0**power
    dist_s, ind_s = build_index(metric, X * s, energy=energy).query(Q * s, k)
    np.testing.assert_array_equal(ind_s, ind)
    scale = s if metric in ("euclidean", "cityblock") else 1.0
    np.testing.assert_array_equal(dist_s, dist * scale)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("magnitude", [1e18, 1e20, 1e-30])
def test_euclidean_far_from_one_is_exact(dtype, magnitude):
    # squares of such values overflow (or underflow) float32: the search
    # works in a scaled frame and returns the distances to rounding
    rng = np.random.default_rng(0)
    X = (magnitude * (1 + rng.random((300, 300)))).astype(dtype)
    Q = (magnitude * (1 + rng.random((5, 300)))).astype(dtype)
    dist, ind = build_index("euclidean", X).query(Q, 3)
    X64, Q64 = X.astype(np.float64) / magnitude, Q.astype(np.float64) / magnitude
    D = np.sqrt(((Q64[:, None] - X64[None]) ** 2).sum(-1)) * magnitude
    np.testing.assert_array_equal(ind, np.argsort(D, axis=1)[:, :3])
    np.testing.assert_allclose(dist, np.sort(D, axis=1)[:, :3], rtol=1e-12)


def test_unstructured_library_takes_the_plain_search(monkeypatch):
    # random spectra: neither the key nor the projection separates them; the
    # search notices on its first batch and scores every pair plainly, with
    # the same neighbours as brute force
    monkeypatch.setattr(_search, "_PROJECT_MIN_SAMPLES", 100)
    rng = np.random.default_rng(7)
    X = rng.gamma(2.0, size=(3000, 200))
    Q = rng.gamma(2.0, size=(300, 200))
    index = build_index("cosine", X)
    assert isinstance(index.scorer, _ProjectedEuclideanScorer)
    calls = []
    key_batch, chunked = _search._key_search_batch, _search._chunked_search

    def spy_key(*args, **kwargs):
        calls.append("key")
        return key_batch(*args, **kwargs)

    def spy_chunked(scorer, *args, **kwargs):
        calls.append(type(scorer).__name__)
        return chunked(scorer, *args, **kwargs)

    monkeypatch.setattr(_search, "_key_search_batch", spy_key)
    monkeypatch.setattr(_search, "_chunked_search", spy_chunked)
    dist, ind = index.query(Q, 5)
    # the first batch on the key-sorted library, then every query plainly
    assert calls == ["key", "_EuclideanScorer"]
    bd, bi = build_index("cosine", X, algorithm="brute").query(Q, 5)
    np.testing.assert_array_equal(ind, bi)
    np.testing.assert_allclose(dist, bd, rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_wasserstein_on_an_unstructured_library_is_exact(dtype, monkeypatch):
    # random spectra: keys overlap, so the key range is searched outwards in
    # many small steps and most pairs meet all three block-sum levels (the
    # finer ones stored in float32)
    monkeypatch.setattr(_search, "_KEY_STEP", 64)
    rng = np.random.default_rng(8)
    X = rng.gamma(2.0, size=(1500, 150)).astype(dtype)
    Q = rng.gamma(2.0, size=(200, 150)).astype(dtype)
    X[700:705] = X[3]  # exact ties, to be broken by the lower index
    Q[0] = X[3]
    index = build_index("wasserstein", X, chunk_size=256)
    assert index._perm is not None
    assert len(index.scorer.resolutions) == 3
    assert index._ref["P1"].dtype == np.float32
    dist, ind = index.query(Q, 6)
    ref_dist, ref_ind, D = _brute(
        Q.astype(np.float64), X.astype(np.float64), "wasserstein", None, 6
    )
    clear = _unambiguous(D, 6)
    np.testing.assert_array_equal(ind[clear], ref_ind[clear])
    np.testing.assert_allclose(dist, ref_dist, rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(ind[0], [3, 700, 701, 702, 703, 704])


def test_library_errors_name_the_training_spectra():
    # the reference library of the kNN is its training spectra X, never "Y"
    X = np.abs(np.random.default_rng(8).random((6, 5)))
    X[2, 1] = -1.0
    with pytest.raises(ValueError, match=r"X has a negative value") as info:
        SimilarityKNNEstimator(n_neighbors=2, metric="jensen_shannon").fit(X, range(6))
    assert "Y" not in str(info.value)
