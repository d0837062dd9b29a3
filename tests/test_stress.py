"""Every public estimator under stress: thread pools, workers, precision, scale.

Native thread pools (BLAS, OpenMP) are process-wide, so an estimator that
limits them and restores them wrongly slows down every later matrix product
of the user's session.  These tests run each estimator from two Python
threads at once and compare the pools' state before and after, and check
that ``n_jobs=None`` runs on one worker as in scikit-learn.  They also check
that float32 input gives the answer of float64 input (the same neighbours,
the same number of components and matching components, the same peaks), and
that input scaled by 1e-12 or 1e12 gives the scaled answer, or the same
answer where the estimator is scale-invariant, or a clear error.
"""

import os
import subprocess
import sys
import threading
import warnings

import joblib
import numpy as np
import pytest
import threadpoolctl
from _estimator_settings import construct_instances
from scipy.optimize import linear_sum_assignment
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV

import skspectra
from skspectra.datasets import (
    make_descriptor_spectra,
    make_lorentzian_peaks,
    make_spectrum_image,
    make_xanes_series,
)
from skspectra.decomposition import PoissonNMF, SparseNMF
from skspectra.utils._parallel import effective_n_workers, single_threaded

ESTIMATORS = list(construct_instances())
PACKAGE_DIR = os.path.dirname(os.path.abspath(skspectra.__file__))


def _id(estimator):
    return type(estimator).__name__


def _pool_state():
    return [(i["filepath"], i["num_threads"]) for i in threadpoolctl.threadpool_info()]


def _blas_threads():
    info = threadpoolctl.threadpool_info()
    return [i["num_threads"] for i in info if i["user_api"] == "blas"]


def _data(name):
    """Small valid ``(fit arguments, arguments of transform or predict)``."""
    xanes = make_xanes_series(40, 64, random_state=0)
    X, target = xanes.data, xanes.target
    if name == "ESPRITPeaks":
        P, _ = make_lorentzian_peaks(6, 128, random_state=0)
        return (P,), (P,)
    if name in ("SparseNMF", "PoissonNMF"):
        image, _ = make_spectrum_image(
            2, shape=(12, 12), n_channels=64, counts_per_pixel=300, random_state=0
        )
        Xi = image.reshape(-1, 64)
        return (Xi,), (Xi,)
    if name == "SpectralDendrogramTree":
        D, Y, _ = make_descriptor_spectra(n_samples=40, n_channels=64, random_state=0)
        return (D, Y), (D,)
    if name == "SimilarityKNNClassifier":
        return (X, np.round(target[:, 0]).astype(int)), (X,)
    if name == "SimilarityKNNEstimator":
        return (X, target), (X,)
    if name == "SpectrumPropertyRegressor":
        return (X, target[:, 0]), (X,)
    if name == "TransferGaussianProcessRegressor":
        sites = np.random.default_rng(0).uniform(size=(30, 2))
        return (sites, np.sin(6.0 * sites[:, 0])), (sites,)
    return (X,), (X,)


def _fit_and_apply(estimator):
    """Fit a clone, then transform or predict; return the output."""
    name = type(estimator).__name__
    fit_args, apply_args = _data(name)
    est = clone(estimator)
    if "block_size" in est.get_params():
        # several row blocks, so that blocks could run in several threads
        est.set_params(block_size=16)
    with warnings.catch_warnings():
        # few iterations on purpose (fast settings); other warnings stay
        warnings.filterwarnings("ignore", message=".*max_iter.*")
        est.fit(*fit_args)
        method = est.transform if hasattr(est, "transform") else est.predict
        return np.asarray(method(*apply_args))


@pytest.fixture
def blas_at_two_threads():
    """BLAS above one thread, so that a leaked limit of 1 is seen.

    The state is the process's own: setting it here from the main thread
    would change the test (OpenBLAS then ignores the thread counts set from
    other threads, where the races happen).
    """
    blas = _blas_threads()
    if not blas or min(blas) < 2:
        pytest.skip("BLAS runs one thread here, so a leaked limit cannot show")


def _run_concurrently(targets):
    """Start every callable at the same moment; re-raise the first error."""
    barrier = threading.Barrier(len(targets))
    errors, results = [], [None] * len(targets)

    def wrap(i, target):
        try:
            barrier.wait()
            results[i] = target()
        except BaseException as exc:  # reported in the calling thread
            errors.append(exc)

    threads = [
        threading.Thread(target=wrap, args=(i, t))
        for i, t in enumerate(targets[1:], start=1)
    ]
    for t in threads:
        t.start()
    wrap(0, targets[0])
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results


def _in_thread(func):
    """Run ``func`` in a new (non-main) thread and return its result."""
    result, errors = [], []

    def wrap():
        try:
            result.append(func())
        except BaseException as exc:  # reported in the calling thread
            errors.append(exc)

    t = threading.Thread(target=wrap)
    t.start()
    t.join()
    if errors:
        raise errors[0]
    return result[0]


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=_id)
def test_pool_state_unchanged_after_two_threads_at_once(estimator, blas_at_two_threads):
    before = _pool_state()

    def work():
        return [_fit_and_apply(estimator) for _ in range(2)]

    # two worker threads at once, then the main thread and a worker at once
    out_a, out_b = _in_thread(lambda: _run_concurrently([work, work]))
    assert _pool_state() == before
    _run_concurrently([work, work])
    assert _pool_state() == before
    # the two threads ran the same fits on the same data
    for a, b in zip(out_a, out_b, strict=True):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6 * np.abs(a).max())


def _workers_used(estimator, monkeypatch):
    """Python threads that ran skspectra code, and joblib's worker counts."""
    threads = set()
    workers = []

    def profile(frame, event, arg):
        if event == "call" and frame.f_code.co_filename.startswith(PACKAGE_DIR):
            threads.add(threading.get_ident())

    call = joblib.Parallel.__call__

    def counting_call(self, iterable):
        workers.append(joblib.effective_n_jobs(self.n_jobs))
        return call(self, iterable)

    monkeypatch.setattr(joblib.Parallel, "__call__", counting_call)
    threading.setprofile(profile)
    sys.setprofile(profile)
    try:
        _fit_and_apply(estimator)
    finally:
        sys.setprofile(None)
        threading.setprofile(None)
    return threads, workers


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=_id)
def test_n_jobs_none_uses_one_worker(estimator, monkeypatch):
    if "n_jobs" in estimator.get_params():
        estimator = clone(estimator).set_params(n_jobs=None)
    threads, workers = _workers_used(estimator, monkeypatch)
    assert threads == {threading.get_ident()}
    assert all(w == 1 for w in workers), workers


@pytest.mark.parametrize("cls", [SparseNMF, PoissonNMF])
def test_nmf_n_jobs_two_does_use_two_threads(cls, monkeypatch):
    # the measurement of the test above sees threads when there are some
    estimator = cls(n_components=2, max_iter=5, block_size=16, n_jobs=2)
    threads, workers = _workers_used(estimator, monkeypatch)
    assert len(threads) >= 2
    assert 2 in workers


def test_n_jobs_none_follows_a_joblib_context():
    assert effective_n_workers(None) == 1
    with joblib.parallel_config(n_jobs=2):
        assert effective_n_workers(None) == 2
    assert effective_n_workers(-1) == joblib.cpu_count()
    assert effective_n_workers(3) == 3
    with pytest.raises(ValueError, match="n_jobs == 0"):
        effective_n_workers(0)


@pytest.mark.skipif(
    not hasattr(os, "sched_setaffinity"), reason="needs os.sched_setaffinity"
)
def test_n_jobs_minus_one_respects_cpu_affinity():
    code = (
        "import os; os.sched_setaffinity(0, {min(os.sched_getaffinity(0))}); "
        "from skspectra.utils._parallel import effective_n_workers; "
        "print(effective_n_workers(-1))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=os.path.dirname(PACKAGE_DIR),
    )
    assert out.stdout.strip() == "1"


def test_limiter_nests_and_restores_in_the_main_thread(blas_at_two_threads):
    before = _pool_state()
    with single_threaded("blas"):
        with single_threaded():
            blas = [
                i for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"
            ]
            assert all(i["num_threads"] == 1 for i in blas)
        blas = [i for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]
        assert all(i["num_threads"] == 1 for i in blas)
    assert _pool_state() == before


def test_limiter_is_left_alone_by_other_threads(blas_at_two_threads):
    # the order that breaks overlapping threadpool_limits contexts: the main
    # thread enters, a worker enters, the main thread leaves, the worker last
    before = _pool_state()
    inside, main_left, seen = threading.Event(), threading.Event(), []

    def worker():
        with single_threaded("blas"):
            inside.set()
            main_left.wait(10)
            seen.append(_pool_state())

    t = threading.Thread(target=worker)
    with single_threaded("blas"):
        t.start()
        inside.wait(10)
    main_left.set()
    t.join()
    assert seen == [before]
    assert _pool_state() == before


def test_limiter_rejects_an_unknown_api():
    with pytest.raises(ValueError, match="user_api"):
        with single_threaded("mkl"):
            pass


def _neg_error(estimator, X, y=None):
    return -estimator.reconstruction_err_


@pytest.mark.parametrize("n_jobs", [None, 2])
def test_threaded_grid_search_leaves_blas_as_it_was(n_jobs, blas_at_two_threads):
    # the reproducer: NMF fits in a threaded grid search used to leave BLAS
    # limited to one thread for the rest of the process
    image, _ = make_spectrum_image(
        3, shape=(32, 32), n_channels=64, counts_per_pixel=200, random_state=0
    )
    X = image.reshape(-1, 64)
    before = _pool_state()
    search = GridSearchCV(
        PoissonNMF(max_iter=50, block_size=64, n_jobs=n_jobs, random_state=0),
        {"n_components": [3, 4, 5]},
        cv=3,
        scoring=_neg_error,
    )
    # the race does not show on every run: three searches
    for _ in range(3):
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*max_iter.*")
            with joblib.parallel_backend("threading", n_jobs=2):
                search.fit(X)
        assert _pool_state() == before


# --- float32 and float64 ---------------------------------------------------


def _fitted(estimator, fit_args):
    est = clone(estimator)
    with warnings.catch_warnings():
        # few iterations on purpose (fast settings); other warnings stay
        warnings.filterwarnings("ignore", message=".*max_iter.*")
        warnings.filterwarnings("ignore", message=".*kept all n_components.*")
        return est.fit(*fit_args)


def _output(est, apply_args):
    method = est.transform if hasattr(est, "transform") else est.predict
    return np.asarray(method(*apply_args), dtype=np.float64)


def _first_as(args, dtype=None, scale=1.0, position=0):
    """``args`` with the array at ``position`` cast to ``dtype`` and scaled."""
    out = list(args)
    out[position] = np.asarray(out[position] * scale, dtype=dtype)
    return tuple(out)


def _assert_close(a, b, rtol, what):
    """Equal within ``rtol`` of the largest value (NaN where NaN)."""
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b), err_msg=what)
    ok = ~np.isnan(a)
    scale = np.abs(b[ok]).max() if ok.any() else 1.0
    np.testing.assert_allclose(a[ok], b[ok], rtol=0, atol=rtol * scale, err_msg=what)


def _matched_rows(A, B):
    """Rows of ``B`` reordered to best match those of ``A`` (by cosine)."""
    An = A / np.linalg.norm(A, axis=1, keepdims=True)
    Bn = B / np.linalg.norm(B, axis=1, keepdims=True)
    _, order = linear_sum_assignment(-(An @ Bn.T))
    return order


# float32 arithmetic keeps about 7 digits; iterative fits (NMF) and the
# networks trained in float32 amplify the rounding over their iterations
_FLOAT32_RTOL = 1e-4
_FLOAT32_RTOL_ITERATIVE = 1e-3


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=_id)
def test_float32_and_float64_give_the_same_answer(estimator):
    name = type(estimator).__name__
    fit_args, apply_args = _data(name)
    est64 = _fitted(estimator, fit_args)
    est32 = _fitted(estimator, _first_as(fit_args, np.float32))
    out64 = _output(est64, apply_args)
    out32 = _output(est32, _first_as(apply_args, np.float32))
    if hasattr(est64, "kneighbors"):
        # the same neighbours, in the same order
        X = apply_args[0]
        _, i64 = est64.kneighbors(X)
        _, i32 = est32.kneighbors(X.astype(np.float32))
        np.testing.assert_array_equal(i32, i64)
    if hasattr(est64, "transform") and hasattr(est64, "components_"):
        # a decomposition: the same number of components, matching after
        # reordering
        assert est32.components_.shape == est64.components_.shape
        order = _matched_rows(est64.components_, est32.components_)
        _assert_close(
            est32.components_[order],
            est64.components_,
            _FLOAT32_RTOL_ITERATIVE,
            "components",
        )
        out32 = out32[:, order]
        rtol = _FLOAT32_RTOL_ITERATIVE
    elif name == "SpectrumPropertyRegressor":
        rtol = _FLOAT32_RTOL_ITERATIVE
    else:
        rtol = _FLOAT32_RTOL
    if name == "ESPRITPeaks":
        # the same number of peaks in every spectrum
        np.testing.assert_array_equal(out32[:, -1], out64[:, -1])
    _assert_close(out32, out64, rtol, f"{name} output")


# --- inputs scaled by 1e-12 and 1e12 ---------------------------------------

# how the output follows input scaled by c: "scaled" (c times the output),
# "invariant" (the same output), "peaks" (areas, their errors and the
# constant scale, positions and widths do not)
_SCALING = {
    "ESPRITPeaks": "peaks",
    "EdgeAligner": "scaled",
    "EnergyCrop": "scaled",
    "MetricEmbedding": "invariant",  # cosine: a norm-free embedding
    "PoissonNMF": "scaled",
    "PoissonNoise": "scaled",  # with counts per unit intensity divided by c
    "PowerLawBackground": "scaled",
    "RandomBackground": "scaled",
    "RandomBroadening": "scaled",
    "RandomShift": "scaled",
    "SavitzkyGolay": "scaled",
    "SimilarityKNNClassifier": "invariant",  # cosine neighbours
    "SimilarityKNNEstimator": "invariant",
    "SparseNMF": "scaled",
    "SpatialBinning": "scaled",  # sums of neighbouring pixels
    "SpectralDendrogramTree": "invariant",  # descriptors: thresholds scale
    "SpectralPipeline": "invariant",  # a crop, then a normaliser
    "SpectrumNormalizer": "invariant",
    "SpectrumPropertyRegressor": "invariant",
    "TransferGaussianProcessRegressor": "invariant",  # descriptors
    "XANESNormalizer": "scaled",  # with the given edge step of the settings
}
# the Poisson fit stops at a tolerance; the networks compute in float32,
# whose rounding differs at another scale; the others agree to float64
# rounding
_SCALE_RTOL = {"PoissonNMF": 1e-2, "SpectrumPropertyRegressor": 1e-4}
# scales at which an estimator refuses with a clear error, and the message
_SCALE_ERRORS = {
    ("SpectralDendrogramTree", 1e-12): "varies by only",
}
# a Poisson likelihood reads X as counts, so the components that ARD keeps and
# how much it shrinks them depend on the number of counts, which a scale
# changes (tested below); the fixed-K fit minimises a KL divergence that
# scales with X, so its answer scales exactly
_SCALE_SETTINGS = {"PoissonNMF": {"ard": False}}


def _scale_cases():
    for estimator in ESTIMATORS:
        name = type(estimator).__name__
        for scale in (1e-12, 1e12):
            yield pytest.param(estimator, scale, id=f"{name}-{scale:g}")


def _expected(name, base, scale, est):
    kind = _SCALING[name]
    if kind == "invariant":
        return base
    if kind == "scaled":
        return scale * base
    names = est.get_feature_names_out()
    scales_with = np.array(
        [("area" in n) or n == "constant" for n in names], dtype=bool
    )
    return np.where(scales_with, scale * base, base)


@pytest.mark.parametrize(("estimator", "scale"), list(_scale_cases()))
def test_scaled_input_gives_the_scaled_answer_or_a_clear_error(estimator, scale):
    name = type(estimator).__name__
    fit_args, apply_args = _data(name)
    estimator = clone(estimator).set_params(**_SCALE_SETTINGS.get(name, {}))
    scaled = clone(estimator)
    if name == "PoissonNoise":
        scaled.set_params(counts=scaled.counts / scale)
    error = _SCALE_ERRORS.get((name, scale))
    if error is not None:
        with pytest.raises(ValueError, match=error):
            _fitted(scaled, _first_as(fit_args, scale=scale))
        return
    est = _fitted(estimator, fit_args)
    base = _output(est, apply_args)
    got = _output(
        _fitted(scaled, _first_as(fit_args, scale=scale)),
        _first_as(apply_args, scale=scale),
    )
    want = _expected(name, base, scale, est)
    _assert_close(got, want, _SCALE_RTOL.get(name, 1e-6), f"{name} at {scale:g}")


def test_poisson_ard_on_data_that_are_not_counts_warns():
    (X,), _ = _data("PoissonNMF")
    with pytest.warns(UserWarning, match="X is not whole counts"):
        PoissonNMF(2, max_iter=20, random_state=0).fit(X * 1e-12)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        PoissonNMF(2, max_iter=20, random_state=0, ard=False).fit(X * 1e-12)
        PoissonNMF(2, max_iter=20, random_state=0).fit(X)
    assert not [w for w in caught if "whole counts" in str(w.message)]


REGRESSORS = [
    e
    for e in ESTIMATORS
    if hasattr(e, "predict") and type(e).__name__ != "SimilarityKNNClassifier"
]


@pytest.mark.parametrize("scale", [1e-12, 1e12])
@pytest.mark.parametrize("estimator", REGRESSORS, ids=_id)
def test_scaled_targets_give_scaled_predictions(estimator, scale):
    name = type(estimator).__name__
    fit_args, apply_args = _data(name)
    base = _output(_fitted(estimator, fit_args), apply_args)
    got = _output(
        _fitted(estimator, _first_as(fit_args, scale=scale, position=1)), apply_args
    )
    _assert_close(got, scale * base, 1e-6, f"{name} targets at {scale:g}")
