"""Tests of SparseNMF, PoissonNMF and their one-pass block solver."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment
from sklearn.base import clone

from skspectra.datasets import make_grain_image, make_spectrum_image
from skspectra.decomposition import PoissonNMF, SparseNMF

ESTIMATORS = [SparseNMF, PoissonNMF]


def matched_cosine(found, truth):
    """Mean cosine similarity of truth spectra to their best-matched components."""
    f = found / np.linalg.norm(found, axis=1, keepdims=True)
    t = truth / np.linalg.norm(truth, axis=1, keepdims=True)
    sim = t @ f.T
    rows, cols = linear_sum_assignment(-sim)
    if len(rows) < truth.shape[0]:
        return 0.0
    return float(sim[rows, cols].mean())


@pytest.fixture(scope="module")
def image200():
    """4 components, 64 x 64 pixels, 1,024 channels, ~200 counts per pixel."""
    X, truth = make_spectrum_image(
        4, shape=(64, 64), n_channels=1024, counts_per_pixel=200, random_state=0
    )
    return X.reshape(-1, 1024).astype(np.float32), truth


def small_data(seed, n=40, m=30, k=3, counts=50.0):
    X, truth = make_spectrum_image(
        k,
        shape=(n // 8, 8),
        n_channels=m,
        counts_per_pixel=counts * m / 10,
        random_state=seed,
    )
    return X.reshape(-1, m), truth


# --------------------------------------------------------------- objective
@given(
    n=st.integers(6, 40),
    m=st.integers(8, 30),
    k=st.integers(1, 5),
    seed=st.integers(0, 10_000),
    ard=st.booleans(),
    orth=st.sampled_from([0.0, 0.5]),
    sparsity=st.sampled_from([0.0, 0.05]),
    poisson=st.booleans(),
)
def test_objective_never_increases(n, m, k, seed, ard, orth, sparsity, poisson):
    rng = np.random.default_rng(seed)
    X = rng.poisson(rng.gamma(1.0, 3.0, size=(n, m))).astype(np.float64)
    X[0, 0] += 1.0  # never all zero
    cls = PoissonNMF if poisson else SparseNMF
    est = cls(
        n_components=min(k, n, m),
        ard=ard,
        orthogonality=orth,
        sparsity=sparsity,
        max_iter=40,
        tol=0.0,
        random_state=seed,
        init="random",
        block_size=7,
    ).fit(X)
    J = est.objective_history_
    it = est.objective_iterations_
    assert J.shape == it.shape and it[0] == 1 and it[-1] == est.n_iter_ + 1
    assert np.all(np.diff(it) >= 1)
    if not poisson:
        assert J.shape == (est.n_iter_ + 1,)
    assert np.all(np.isfinite(J))
    scale = np.max(np.abs(J)) + 1.0
    assert np.all(np.diff(J) <= 1e-9 * scale), np.diff(J).max()


def test_components_stay_finite_when_ard_empties_every_component():
    # a hypothesis example: on 6 x 8 unstructured counts ARD shrinks both
    # components to zero; the one kept must still be a finite unit-sum
    # spectrum (it was 0/0 = NaN)
    rng = np.random.default_rng(33)
    X = rng.poisson(rng.gamma(1.0, 3.0, size=(6, 8))).astype(np.float64)
    X[0, 0] += 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        est = SparseNMF(
            2,
            ard=True,
            max_iter=40,
            tol=0.0,
            random_state=33,
            init="random",
            block_size=7,
        ).fit(X)
    assert np.all(np.isfinite(est.components_))
    np.testing.assert_allclose(est.components_.sum(axis=1), 1.0)
    assert np.all(np.isfinite(est.transform(X)))


# ---------------------------------------------------------------- recovery
@pytest.mark.parametrize("cls", ESTIMATORS)
def test_exact_recovery_of_noiseless_data(cls):
    # peaks without background and nearly pure pixels: the factorisation is
    # unique up to permutation and scale, so it must be found exactly
    X, truth = make_spectrum_image(
        3,
        shape=(24, 24),
        n_channels=96,
        overlap=0.0,
        kind="peak",
        background=False,
        noise=None,
        random_state=1,
    )
    X = X.reshape(-1, 96)
    est = cls(3, ard=False, max_iter=800, tol=1e-10, random_state=0).fit(X)
    assert 1.0 - matched_cosine(est.components_, truth.components) < 1e-6
    W = est.transform(X)
    maps = truth.maps.reshape(-1, 3)
    assert 1.0 - matched_cosine(W.T, maps.T) < 1e-4
    assert est.reconstruction_err_ < 1e-3 * np.linalg.norm(X)


def test_recovery_poisson_200_counts(image200):
    X, truth = image200
    est = PoissonNMF(10, random_state=0).fit(X)
    assert est.n_components_ == 4
    assert matched_cosine(est.components_, truth.components) >= 0.98


@pytest.mark.parametrize("seed", [1])
def test_ard_finds_four_of_ten(seed):
    # the 10-seed version of this check runs in benchmarks/bench_nmf.py --quick
    X, truth = make_spectrum_image(
        4, shape=(64, 64), n_channels=1024, counts_per_pixel=200, random_state=seed
    )
    X = X.reshape(-1, 1024).astype(np.float32)
    est = PoissonNMF(10, random_state=seed).fit(X)
    assert est.n_components_ == 4
    assert matched_cosine(est.components_, truth.components) >= 0.98


def test_poisson_beats_gaussian_models_at_5_counts():
    from sklearn.decomposition import NMF

    X, truth = make_spectrum_image(
        4, shape=(48, 48), n_channels=256, counts_per_pixel=5, random_state=3
    )
    X = X.reshape(-1, 256)
    pois = PoissonNMF(4, ard=False, random_state=0, max_iter=200).fit(X)
    gaus = SparseNMF(4, ard=False, random_state=0, max_iter=200).fit(X)
    skl = NMF(4, init="nndsvda", max_iter=200, random_state=0).fit(X)
    c_p = matched_cosine(pois.components_, truth.components)
    c_g = matched_cosine(gaus.components_, truth.components)
    c_s = matched_cosine(skl.components_, truth.components)
    assert c_p > c_g + 0.01
    assert c_p > c_s + 0.01


def test_scale_invariant_number_of_components():
    X, _ = make_spectrum_image(
        3,
        shape=(24, 24),
        n_channels=128,
        counts_per_pixel=5000,
        noise="gaussian",
        random_state=4,
    )
    X = np.clip(X.reshape(-1, 128), 0, None)
    a = SparseNMF(8, random_state=0).fit(X)
    b = SparseNMF(8, random_state=0).fit(1000.0 * X)
    c = SparseNMF(8, random_state=0).fit(1e-6 * X)
    assert a.n_components_ == b.n_components_ == c.n_components_ == 3
    np.testing.assert_allclose(a.components_, b.components_, rtol=1e-5, atol=1e-9)
    np.testing.assert_allclose(a.components_, c.components_, rtol=1e-5, atol=1e-9)


# ------------------------------------------------------ block solver inputs
@pytest.mark.parametrize("cls", ESTIMATORS)
def test_block_size_does_not_change_the_result(cls):
    X, _ = small_data(0, n=64, m=40)
    kw = dict(n_components=3, max_iter=30, tol=0.0, random_state=0, orthogonality=0.2)
    ref = cls(**kw).fit(X)
    for bs in (1, 5, 64):
        est = cls(block_size=bs, **kw).fit(X)
        np.testing.assert_allclose(
            est.components_, ref.components_, rtol=1e-8, atol=1e-12
        )
        # every iteration agrees to rounding; the final W refinement stops
        # per block, so the last value agrees to its tolerance
        np.testing.assert_allclose(
            est.objective_history_[:-1], ref.objective_history_[:-1], rtol=1e-9
        )
        np.testing.assert_allclose(
            est.objective_history_[-1], ref.objective_history_[-1], rtol=1e-6
        )


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_memmap_and_dask_inputs_match(cls, tmp_path):
    da = pytest.importorskip("dask.array")
    X, _ = small_data(1, n=64, m=40)
    kw = dict(n_components=3, max_iter=25, tol=0.0, random_state=0, block_size=16)
    ref = cls(**kw).fit(X)
    mm = np.lib.format.open_memmap(
        tmp_path / "x.npy", mode="w+", dtype=X.dtype, shape=X.shape
    )
    mm[:] = X
    mm.flush()
    mm = np.load(tmp_path / "x.npy", mmap_mode="r")
    est = cls(**kw).fit(mm)
    np.testing.assert_allclose(est.components_, ref.components_, rtol=1e-8, atol=1e-12)
    dX = da.from_array(X, chunks=(16, 40))
    est = cls(**kw).fit(dX)
    np.testing.assert_allclose(est.components_, ref.components_, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(
        est.transform(dX), ref.transform(X), rtol=1e-6, atol=1e-9
    )


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("penalties", [{}, {"ard": True, "orthogonality": 0.5}])
def test_each_iteration_reads_every_block_once(cls, penalties, monkeypatch):
    # the one-pass solver: an iteration reads each row block of X exactly
    # once (the H statistics come from the same visit as the W update)
    from skspectra.decomposition._block import BlockSource

    reads = []
    original = BlockSource._prepare

    def counting(self, block):
        reads.append(block.shape[0])
        return original(self, block)

    monkeypatch.setattr(BlockSource, "_prepare", counting)
    X, _ = small_data(4, n=60, m=30)
    totals = {}
    for max_iter in (4, 9):
        reads.clear()
        est = cls(
            n_components=3,
            max_iter=max_iter,
            tol=0.0,
            random_state=0,
            block_size=12,
            prune="relevance",
            **penalties,
        ).fit(X)
        assert est.n_iter_ == max_iter
        totals[max_iter] = (len(reads), sum(reads))
    blocks, rows = (totals[9][i] - totals[4][i] for i in range(2))
    n = X.shape[0]
    assert blocks == 5 * -(-n // 12)  # 5 more iterations, each over every block
    assert rows == 5 * n


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "penalties", [{}, {"ard": True, "orthogonality": 0.5, "sparsity": 0.05}]
)
def test_sparse_blocks_take_the_same_poisson_steps(dtype, penalties, monkeypatch):
    # blocks of sparse counts go through their non-zeros; where X is zero the
    # ratio X / (W H) is zero, so every statistic is the same as the dense
    # computation's, iteration by iteration, and so is the fit
    import skspectra.decomposition._solver as solver

    X, _ = make_spectrum_image(
        3, shape=(12, 10), n_channels=200, counts_per_pixel=6, random_state=5
    )
    X = X.reshape(-1, 200).astype(dtype)
    assert 0 < np.count_nonzero(X) < 0.05 * X.size
    kw = dict(n_components=4, max_iter=40, tol=0.0, random_state=0, block_size=32)
    fits = {}
    for fraction in (0.0, 1.0):  # every block dense, every block sparse
        monkeypatch.setattr(solver, "_SPARSE_FRACTION", fraction)
        fits[fraction] = PoissonNMF(**kw, **penalties).fit(X)
    dense, sparse = fits[0.0], fits[1.0]
    rtol = 1e-9 if dtype == np.float64 else 2e-3
    np.testing.assert_allclose(
        sparse.objective_history_, dense.objective_history_, rtol=rtol
    )
    np.testing.assert_allclose(
        sparse.components_,
        dense.components_,
        rtol=rtol,
        atol=rtol * dense.components_.max(),
    )
    assert sparse.n_components_ == dense.n_components_
    np.testing.assert_allclose(
        sparse.transform(X[:20]), dense.transform(X[:20]), rtol=10 * rtol, atol=1e-6
    )


def test_dask_chunks_are_cut_into_blocks(monkeypatch):
    # a chunk is visited in blocks of block_size rows from its start, in one
    # task per chunk, so a large chunk reaches the kernels in cache-sized
    # pieces and no block straddles two chunks
    da = pytest.importorskip("dask.array")
    import skspectra.decomposition._block as block
    from skspectra.decomposition._block import BlockSource

    tasks = []
    original = block._chunk_task

    def counting(chunk, *args):
        tasks.append(chunk.shape[0])
        return original(chunk, *args)

    monkeypatch.setattr(block, "_chunk_task", counting)

    X = np.arange(30 * 4, dtype=np.float64).reshape(30, 4)
    dX = da.from_array(X, chunks=((12, 12, 6), 4))
    source = BlockSource(dX, np.float64, block_size=5)
    starts = [sl.start for sl in source.slices]
    assert starts == [0, 5, 10, 12, 17, 22, 24, 29]
    assert source.slices[-1].stop == 30
    rows = source.run(lambda Xb: Xb[:, 0] / 4)
    assert [r.tolist() for r in rows] == [
        list(range(sl.start, sl.stop)) for sl in source.slices
    ]
    # the per-block arguments reach their own block
    offsets = source.run(
        lambda Xb, first: float(Xb[0, 0] / 4 - first),
        per_block_args=[(sl.start,) for sl in source.slices],
    )
    assert offsets == [0.0] * len(source.slices)
    # one task per chunk and pass
    assert sorted(tasks) == sorted([12, 12, 6] * 2)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_dask_chunks_of_whole_blocks_match_memory(cls):
    # chunks that are whole numbers of blocks give the in-memory blocks; only
    # the order in which the blocks' statistics are added differs (a chunk's
    # are added in its task), so the fit agrees to rounding
    da = pytest.importorskip("dask.array")
    X, _ = small_data(5, n=64, m=40)
    kw = dict(n_components=3, max_iter=15, tol=0.0, random_state=0, block_size=8)
    ref = cls(**kw).fit(X)
    est = cls(**kw).fit(da.from_array(X, chunks=(32, 40)))
    np.testing.assert_allclose(est.components_, ref.components_, rtol=1e-10)
    np.testing.assert_allclose(
        est.objective_history_, ref.objective_history_, rtol=1e-12
    )


def test_dask_chunk_results_are_merged_in_their_task():
    # run_merged sends one result per chunk, the merge of its blocks'
    # results in row order; memory-backed arrays keep one per block
    da = pytest.importorskip("dask.array")
    from skspectra.decomposition._block import BlockSource

    X = np.arange(30 * 4, dtype=np.float64).reshape(30, 4)

    def rows(Xb):
        return [Xb[:, 0] / 4]

    def merge(results):
        return [np.concatenate([r[0] for r in results])]

    source = BlockSource(da.from_array(X, chunks=((12, 0, 12, 6), 4)), np.float64, 5)
    slices, res = source.run_merged(rows, merge)
    assert [(sl.start, sl.stop) for sl in slices] == [(0, 12), (12, 24), (24, 30)]
    for sl, r in zip(slices, res, strict=True):
        np.testing.assert_array_equal(r[0], np.arange(sl.start, sl.stop))
    memory = BlockSource(X, np.float64, 5)
    slices, res = memory.run_merged(rows, merge)
    assert slices == memory.slices
    assert len(res) == 6


def test_dask_distributed_local_cluster():
    distributed = pytest.importorskip("distributed")
    da = pytest.importorskip("dask.array")
    X, _ = small_data(2, n=48, m=32)
    kw = dict(n_components=3, max_iter=10, tol=0.0, random_state=0, block_size=12)
    ref = PoissonNMF(**kw).fit(X)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
    ):
        est = PoissonNMF(**kw).fit(da.from_array(X, chunks=(12, 32)))
    np.testing.assert_allclose(est.components_, ref.components_, rtol=1e-8, atol=1e-12)


def test_uint16_memmap_is_read_block_by_block(tmp_path):
    X, _ = small_data(3, n=48, m=32, counts=200)
    Xi = X.astype(np.uint16)
    np.save(tmp_path / "x.npy", Xi)
    mm = np.load(tmp_path / "x.npy", mmap_mode="r")
    a = PoissonNMF(3, max_iter=20, tol=0.0, random_state=0).fit(mm)
    b = PoissonNMF(3, max_iter=20, tol=0.0, random_state=0).fit(Xi.astype(np.float64))
    np.testing.assert_allclose(a.components_, b.components_, rtol=1e-8)


# ------------------------------------------------------------------ dtypes
@pytest.mark.parametrize("cls", ESTIMATORS)
def test_float32_preserved_and_agrees_with_float64(cls):
    X, _ = small_data(4, n=64, m=40, counts=500)
    kw = dict(n_components=3, ard=False, max_iter=200, random_state=0)
    e64 = cls(**kw).fit(X)
    e32 = cls(**kw).fit(X.astype(np.float32))
    assert e32.components_.dtype == np.float32
    assert e32.transform(X.astype(np.float32)).dtype == np.float32
    assert e64.components_.dtype == np.float64
    assert matched_cosine(e32.components_, e64.components_) > 0.999


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int32])
def test_integer_counts(dtype):
    X, _ = small_data(5, n=40, m=30, counts=20)
    Xi = X.astype(dtype)
    a = PoissonNMF(3, max_iter=30, tol=0.0, random_state=0).fit(Xi)
    b = PoissonNMF(3, max_iter=30, tol=0.0, random_state=0).fit(Xi.astype(np.float64))
    np.testing.assert_allclose(a.components_, b.components_)
    # a uint8 image with values near 255 must not wrap around
    big = np.full((10, 8), 250, dtype=np.uint8)
    big[::2, :4] = 5
    est = SparseNMF(2, ard=False, max_iter=50, random_state=0).fit(big)
    rebuilt = est.inverse_transform(est.transform(big))
    assert rebuilt.max() > 200


# --------------------------------------------------------------- bad input
@pytest.mark.parametrize("cls", ESTIMATORS)
def test_negative_values(cls):
    X, _ = small_data(6)
    X = X.copy()
    X[3, 4] = -2.0
    with pytest.raises(ValueError, match="negative"):
        cls(3).fit(X)
    if cls is SparseNMF:
        est = SparseNMF(3, clip_negative=True, max_iter=20).fit(X)
        assert np.all(est.components_ >= 0)


def test_negative_mean_does_not_hang():
    rng = np.random.default_rng(0)
    X = rng.normal(-5.0, 1.0, size=(30, 20))
    X[0, 0] = 1.0
    est = SparseNMF(3, clip_negative=True, max_iter=50).fit(X)
    assert est.n_iter_ <= 50
    with pytest.raises(ValueError, match="zero everywhere"):
        SparseNMF(3, clip_negative=True).fit(-np.abs(X))


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_and_inf(cls, bad):
    X, _ = small_data(7)
    X = X.copy()
    X[1, 1] = bad
    with pytest.raises(ValueError, match="NaN|infinity"):
        cls(3).fit(X)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_zero_pixels_and_channels(cls):
    X, _ = small_data(8, n=40, m=30)
    X = X.copy()
    X[5:9] = 0.0
    X[:, 10:13] = 0.0
    est = cls(6, max_iter=60, random_state=0).fit(X)
    W = est.transform(X)
    assert np.all(np.isfinite(W)) and np.all(np.isfinite(est.components_))
    assert np.all(W[5:9] == 0)
    assert np.allclose(est.components_[:, 10:13], 0, atol=1e-6)
    assert np.all(np.isfinite(est.objective_history_))


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_too_many_components(cls):
    X, _ = small_data(9, n=16, m=10)
    with pytest.warns(UserWarning, match="larger than min"):
        est = cls(50, max_iter=20).fit(X)
    assert est.n_components_ <= 10


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_all_zero_component_does_not_divide_by_zero(cls):
    X, _ = small_data(10, n=40, m=30)
    with np.errstate(divide="raise", invalid="raise", over="raise"):
        est = cls(8, init="nndsvd", max_iter=40, random_state=0).fit(X)
    assert np.all(np.isfinite(est.components_))


# ---------------------------------------------------------------- features
def test_fixed_components_are_kept_fixed():
    X, truth = make_spectrum_image(
        3, shape=(32, 32), n_channels=128, counts_per_pixel=2000, random_state=11
    )
    X = X.reshape(-1, 128)
    known = truth.components[1] * 7.0
    est = PoissonNMF(3, ard=False, fixed_components=known, random_state=0).fit(X)
    np.testing.assert_allclose(est.components_[0], truth.components[1], rtol=1e-6)
    assert est.fixed_components_mask_.tolist() == [True, False, False]
    assert matched_cosine(est.components_, truth.components) > 0.98
    with pytest.raises(ValueError, match="fixed_components"):
        PoissonNMF(3, fixed_components=np.ones(5)).fit(X)


def test_best_restart_reports_its_own_statistics():
    X, _ = small_data(12, n=40, m=30)
    est = SparseNMF(3, ard=False, n_init=3, init="random", max_iter=30, random_state=0)
    W = est.fit_transform(X)
    err = np.linalg.norm(X - W @ est.components_)
    assert est.reconstruction_err_ == pytest.approx(err, rel=1e-6)
    assert est.objective_history_[-1] == pytest.approx(0.5 * err**2, rel=1e-6)
    singles = [
        SparseNMF(3, ard=False, init="random", max_iter=30, random_state=s)
        for s in range(3)
    ]
    # the kept restart is at least as good as a typical single run
    assert (
        est.reconstruction_err_
        <= max(clone(s).fit(X).reconstruction_err_ for s in singles) + 1e-9
    )


def test_poisson_reconstruction_err_is_the_kl_divergence():
    X, _ = small_data(13, n=40, m=30)
    est = PoissonNMF(3, ard=False, max_iter=50, random_state=0)
    W = est.fit_transform(X)
    WH = W @ est.components_
    pos = X > 0
    kl = np.sum(X[pos] * np.log(X[pos] / WH[pos])) - X.sum() + WH.sum()
    assert est.reconstruction_err_ == pytest.approx(kl, rel=1e-5)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_transform_new_pixels_and_image_api(cls):
    X, truth = make_spectrum_image(
        3, shape=(16, 16), n_channels=64, counts_per_pixel=3000, random_state=14
    )
    est = cls(3, ard=False, max_iter=300, random_state=0, energy=truth.energy)
    est.fit_image(X)
    assert est.maps_.shape == (16, 16, 3)
    maps = est.transform_image(X)
    np.testing.assert_allclose(maps, est.maps_, rtol=0.05, atol=0.02 * X.sum(-1).mean())
    np.testing.assert_allclose(est.components_.sum(axis=1), 1.0, rtol=1e-6)
    rebuilt = est.inverse_transform(maps.reshape(-1, 3)).reshape(X.shape)
    assert np.abs(rebuilt - truth.X_noiseless).mean() < 0.2 * truth.X_noiseless.mean()
    assert list(est.get_feature_names_out()) == [
        f"{cls.__name__.lower()}{i}" for i in range(3)
    ]
    np.testing.assert_array_equal(est.energy_, truth.energy)


# ---------------------------------------------------------------- real data
def test_mn3o4_phantom_ard_finds_two(shared_data):
    d = np.load(shared_data / "mn3o4_phantom_si.npz")
    X = d["X"].reshape(-1, d["X"].shape[-1])
    for scale in (1.0, 1000.0, 1.0 / X.mean()):
        est = SparseNMF(10, random_state=0, clip_negative=True).fit(scale * X)
        assert est.n_components_ == 2, scale


def test_eds_sem_three_phases(shared_data):
    from skspectra.demo import line_owners

    d = np.load(shared_data / "eds_sem_si_30x30.npz")
    energy = d["energy_keV"]
    keep = energy > 0.1
    X = d["X"][..., keep]
    est = PoissonNMF(3, ard=False, orthogonality=30.0, random_state=0)
    est.fit_image(X)
    owner = line_owners(est.components_, energy[keep])
    silicate = {owner[e] for e in ("O", "Mg", "Al", "Si")}
    ca_p = {owner[e] for e in ("Ca", "P")}
    ti_fe = {owner[e] for e in ("Ti", "Fe")}
    assert len(silicate) == len(ca_p) == len(ti_fe) == 1
    assert len(silicate | ca_p | ti_fe) == 3


def test_eds_tem_sparse_maps_reproduce_better_than_gaussian(shared_data):
    # ~6 counts per pixel.  Split the counts into two independent halves
    # (binomial thinning), map both with the fitted components and compare
    # the 4 x 4-binned maps: the part of a map that is signal reproduces,
    # the part that is noise does not.
    from skspectra.demo import split_half_reproducibility

    d = np.load(shared_data / "eds_tem_si_64x64.npz")
    keep = (d["energy_keV"] > 0.1) & (d["energy_keV"] < 10.0)
    image = d["X"][..., keep]
    r_pois, r_gaus = (
        split_half_reproducibility(
            cls(3, ard=False, max_iter=100, random_state=0), image, binning=4
        )
        for cls in (PoissonNMF, SparseNMF)
    )
    assert np.isfinite(r_pois) and r_pois > r_gaus


def test_eds_tem_orthogonality_float32_stays_finite(shared_data):
    # the overlap penalty's update once divided by the current map values;
    # where a map shrank towards zero in float32 that overflowed, and the
    # fit returned NaN components
    d = np.load(shared_data / "eds_tem_si_64x64.npz")
    keep = (d["energy_keV"] > 0.1) & (d["energy_keV"] < 10.0)
    X = d["X"][..., keep]
    fits = [
        PoissonNMF(
            3, ard=False, orthogonality=30.0, max_iter=50, random_state=0
        ).fit_image(X.astype(dtype))
        for dtype in (np.float32, np.float64)
    ]
    for est in fits:
        assert np.all(np.isfinite(est.components_))
        assert np.isfinite(est.reconstruction_err_)
    np.testing.assert_allclose(
        fits[0].components_, fits[1].components_, rtol=1e-3, atol=1e-6
    )


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_convergence_warning_when_max_iter_is_reached(cls):
    from sklearn.exceptions import ConvergenceWarning

    X, _ = small_data(11, n=60, m=30)
    with pytest.warns(ConvergenceWarning, match="max_iter=3"):
        est = cls(3, max_iter=3, random_state=0).fit(X)
    assert est.n_iter_ == 3
    # converged fits, and fits told to run max_iter iterations (tol=0), are
    # silent
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est = cls(3, max_iter=2000, random_state=0).fit(X)
        assert est.n_iter_ < 2000
        assert cls(3, max_iter=3, tol=0.0, random_state=0).fit(X).n_iter_ == 3


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_results_do_not_depend_on_n_jobs(cls):
    X, _ = small_data(12, n=200, m=40)
    fits = [
        cls(4, block_size=16, n_jobs=n_jobs, random_state=0).fit(X)
        for n_jobs in (None, 1, 2, -1)
    ]
    for est in fits[1:]:
        assert est.n_iter_ == fits[0].n_iter_
        np.testing.assert_array_equal(est.components_, fits[0].components_)
        np.testing.assert_array_equal(
            est.objective_history_, fits[0].objective_history_
        )


@pytest.mark.parametrize("dense", [True, False])
def test_poisson_log_only_where_the_stopping_test_reads_it(dense, monkeypatch):
    # the logarithm of the model is as costly as a W step: an iteration
    # without it is two model products, two ratios and two products with
    # the ratio; the objective is evaluated at iteration 1, every 5th and
    # the last, and at the final factors
    import skspectra.decomposition._solver as solver

    calls = []
    original = solver.poisson_block

    def counting(*args):
        calls.append(args[-1])
        return original(*args)

    monkeypatch.setattr(solver, "poisson_block", counting)
    if not dense:
        monkeypatch.setattr(solver, "_SPARSE_FRACTION", 1.0)
    X, _ = small_data(4, n=60, m=30)
    kw = dict(max_iter=12, tol=0.0, random_state=0, block_size=12, ard=False)
    est = PoissonNMF(3, **kw).fit(X)
    n_blocks = 5
    reads = np.asarray(calls).reshape(-1, n_blocks)
    assert reads.shape[0] == 12 + 1
    np.testing.assert_array_equal(reads[:, 0], reads[:, -1])
    read_at = np.flatnonzero(reads[:, 0]) + 1
    np.testing.assert_array_equal(read_at, [1, 5, 10, 12, 13])
    np.testing.assert_array_equal(est.objective_iterations_, read_at)
    # the objectives read are those of a fit that evaluates every iteration
    calls.clear()
    every = PoissonNMF(3, callback=lambda it, J: None, **kw).fit(X)
    assert all(calls)
    np.testing.assert_allclose(
        est.objective_history_, every.objective_history_[read_at - 1], rtol=1e-12
    )
    np.testing.assert_array_equal(est.components_, every.components_)


# zero or far above the subnormal range, which the solver flushes to zero
entries = st.one_of(st.just(0.0), st.floats(1e-200, 1e6))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(entries, min_size=1, max_size=30),
    st.lists(entries, min_size=1, max_size=30),
    st.floats(0.0, 2.0),
)
def test_extrapolation_keeps_factors_non_negative_and_zeros_zero(x, prev, beta):
    from skspectra.decomposition._solver import _EXTRA_RATIO, Extrapolation

    n = min(len(x), len(prev))
    x, prev = np.asarray(x[:n]), np.asarray(prev[:n])
    moved = Extrapolation._moved(x, prev, beta)
    assert np.all(moved >= 0)
    assert np.all(moved[x == 0] == 0)
    # an entry moves by at most a factor _EXTRA_RATIO ** beta, along its
    # last step: up if it grew, down if it shrank
    ok = x > 0
    ratio = moved[ok] / x[ok]
    bound = _EXTRA_RATIO**beta * (1 + 1e-12)
    assert np.all(ratio <= bound) and np.all(ratio >= 1 / bound)
    grew = ok & (x > prev) & (prev > 0)
    assert np.all(moved[grew] >= x[grew] * (1 - 1e-12))
    assert np.array_equal(Extrapolation._moved(x, prev, 0.0), x)


@pytest.mark.parametrize("cls", [PoissonNMF, SparseNMF])
def test_extrapolated_fit_goes_further_and_its_checks_never_rise(cls):
    X, _ = small_data(4, n=120, m=40)
    kw = dict(ard=False, tol=0.0, max_iter=60, random_state=0)
    fast = cls(4, extrapolate=True, **kw).fit(X)
    plain = cls(4, extrapolate=False, **kw).fit(X)
    history = np.asarray(fast.objective_history_)
    # the objective at the checks (each recorded value) never increases
    assert np.all(np.diff(history[:-1]) <= 1e-10 * np.abs(history[:-2]))
    assert fast.objective_history_[-1] < plain.objective_history_[-1]
    # without it every update is a majorisation step
    h = np.asarray(plain.objective_history_)
    assert np.all(np.diff(h) <= 1e-10 * np.abs(h[:-1]))


def test_extrapolated_fit_stops_only_after_plain_updates_confirm():
    # an extrapolated step accepted just below the last point kept looked
    # converged to the relative test: this fit stopped after 16 iterations
    # 7.6 % above the objective plain updates reach
    X, _ = make_grain_image(
        5,
        shape=(32, 32),
        n_channels=128,
        counts_per_pixel=20000,
        overlap=0.6,
        noise="gaussian",
        random_state=14,
    )
    X = np.clip(X.reshape(-1, 128), 0, None)
    kw = dict(ard=False, tol=1e-6, max_iter=2000, random_state=0)
    fast = SparseNMF(5, **kw).fit(X)
    plain = SparseNMF(5, extrapolate=False, **kw).fit(X)
    assert fast.reconstruction_err_ <= plain.reconstruction_err_ * (1 + 1e-3)
    assert fast.n_iter_ < plain.n_iter_
