"""SparseNMF and PoissonNMF against scikit-learn, HyperSpy and pyMCR, side by side.

Run ``python benchmarks/bench_nmf.py`` (256 x 256 x 1,024 float32 image, 8
components), ``--quick`` for a 128 x 128 x 512 image, ``--ard-seeds`` for
the ARD recovery check over 10 seeds, ``--big`` for the 512 x 512 x 2,048
(2 GB) factorisation with its peak memory (run in a subprocess), then the
whole automatic fit, ``PoissonNMF(n_components="auto")``, of a 500 x 500 x
2,000 float32 image (2 GB) from a memmap and from a Dask array on a 2-worker
``LocalCluster``, with its peak memory and its time per iteration against one
stream of X (``--size 200x200x2000`` runs it smaller and extrapolates the
times to the full size, saying so),
``--low-dose`` for the spatial prior on low-dose grain images against plain
PoissonNMF and espm's ``SmoothNMF`` (when espm is importable) and its cost
per iteration, ``--espm-data`` for spectra held to the X-ray lines of the
elements (``spectral_basis=eds_basis(...)``): on grain images whose phases
have real line energies, and on espm's own simulated particles against espm
with and without its physical model (that part needs espm, and says so when
it is missing).

Seconds per iteration: for scikit-learn and pyMCR, the difference between a
fit with ``1 + n`` iterations and one with 1 iteration, divided by ``n``, so
that initialisation costs cancel; for HyperSpy, whose set-up time varies by
more than an iteration costs, a whole fit of ``1 + n`` iterations divided by
``1 + n`` (an upper bound); for skspectra, the median time
between iterations, stamped inside the fit.  With ``--threads 1`` every
method runs on one thread and CPU time of the process is used (robust to
other jobs on a shared machine).  Objectives are compared after the
same number of iterations: ``0.5 ||X - W H||^2`` for the Gaussian models and
the generalised KL divergence for the Poisson models, both computed here in
float64 from each method's own factors.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np

# run from a source checkout without installing
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._record import record
from skspectra.datasets import make_spectrum_image
from skspectra.decomposition import PoissonNMF, SparseNMF

REPEATS = 1
# skspectra on every CPU, as scikit-learn's NMF is through its BLAS threads
# (n_jobs=None would be one worker); --threads sets a count for both
N_JOBS = {"n_jobs": -1}
# wall-clock time by default; CPU time of the process with --threads 1, which
# is robust to other jobs on a shared machine
CLOCK = [time.perf_counter]
PEERS = [True]


def frob(X, W, H):
    total = 0.0
    for i in range(0, X.shape[0], 4096):
        R = X[i : i + 4096].astype(np.float64) - W[i : i + 4096] @ H
        total += float(np.vdot(R, R))
    return 0.5 * total


def kl(X, W, H):
    total = 0.0
    for i in range(0, X.shape[0], 4096):
        Xb = X[i : i + 4096].astype(np.float64)
        WH = W[i : i + 4096].astype(np.float64) @ H + 1e-12
        pos = Xb > 0
        total += float(
            np.sum(Xb[pos] * np.log(Xb[pos] / WH[pos])) - Xb.sum() + WH.sum()
        )
    return total


def per_iteration_skspectra(make, X, n_iter):
    """Seconds per iteration timed inside the fit (median over iterations)."""
    est = make(1 + n_iter)
    stamps = []
    # the estimators report each finished iteration to their progress
    # callback; time stamps taken there exclude set-up and the final pass
    est._callback = lambda run: lambda it, J: stamps.append(CLOCK[0]())
    W = est.fit_transform(X)
    return float(np.median(np.diff(stamps))), est, W


def per_iteration(make, X, n_iter):
    """(seconds per iteration, fitted estimator after 1 + n_iter iterations)."""
    t1 = tn = np.inf
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(REPEATS):
            t0 = CLOCK[0]()
            make(1).fit(X)
            t1 = min(t1, CLOCK[0]() - t0)
            est = make(1 + n_iter)
            t0 = CLOCK[0]()
            W = est.fit_transform(X)
            tn = min(tn, CLOCK[0]() - t0)
    return (tn - t1) / n_iter, est, W


def per_iteration_total(make, X, n_iter):
    """Seconds of a whole fit of ``n_iter`` iterations, divided by ``n_iter``.

    For a peer whose fixed costs vary from call to call more than an
    iteration costs (then the difference of two fits can come out negative):
    an upper bound of its time per iteration.
    """
    best = np.inf
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(REPEATS):
            est = make(n_iter)
            t0 = CLOCK[0]()
            W = est.fit_transform(X)
            best = min(best, CLOCK[0]() - t0)
    return best / n_iter, est, W


def _record_model(
    name, peer, target, peer_sec, sec, sec_penalties, stream, obj, peer_obj
):
    """The four headline figures of one model against its scikit-learn peer."""
    record(
        "nmf",
        f"{name}: speed-up per iteration over {peer}",
        peer_sec / sec,
        unit="x",
        target=f">= {target:g}",
        met=peer_sec / sec >= target,
    )
    record(
        "nmf",
        f"{name}: objective / {peer} objective, same iterations",
        obj / peer_obj,
        target="<= 1",
        met=obj <= peer_obj,
    )
    record(
        "nmf",
        f"{name}: iteration time / one stream of X",
        sec / stream,
        unit="x",
        target="<= 3",
        met=sec / stream <= 3,
    )
    record(
        "nmf",
        f"{name}: ARD+orthogonality iteration / plain",
        sec_penalties / sec,
        unit="x",
        target="<= 1.5",
        met=sec_penalties / sec <= 1.5,
    )


def _report_speed(name, sec, obj, stream, ref_sec=None):
    """One row of the speed table: seconds and streams of X per iteration."""
    ratio = f"  {ref_sec / sec:5.2f}x vs ref" if ref_sec else ""
    print(
        f"{name:<44s} {sec:8.3f} s/iter  {sec / stream:5.1f} streams"
        f"  objective {obj:.6e}{ratio}"
    )


def _speed_image(ny, nx, nc):
    """The speed table's image as float32 rows, and the time to stream it."""
    X, _ = make_spectrum_image(
        8, shape=(ny, nx), n_channels=nc, counts_per_pixel=nc, random_state=0
    )
    X = X.reshape(-1, nc).astype(np.float32)
    print(f"X: {X.nbytes / 2**20:.0f} MB, mean count per channel {X.mean():.2f}")
    X.sum()
    t0 = CLOCK[0]()
    for _ in range(3):
        X.sum()
    stream = (CLOCK[0]() - t0) / 3
    print(f"stream X once (X.sum()): {stream:.3f} s  [the physical floor]")
    return X, stream


def _speed_gaussian(X, stream, n_iter, shape):
    """SparseNMF against scikit-learn's mu and cd solvers; the mu time."""
    from sklearn.decomposition import NMF

    common = dict(tol=0.0, random_state=0)
    mine = dict(common, **N_JOBS)
    s_off, est, W = per_iteration_skspectra(
        lambda n: SparseNMF(8, ard=False, max_iter=n, init="nndsvda", **mine), X, n_iter
    )
    obj_s = frob(X, W, est.components_)
    sk_mu, sk, W = per_iteration(
        lambda n: NMF(8, solver="mu", init="nndsvda", max_iter=n, **common), X, n_iter
    )
    frob_mu = frob(X, W, sk.components_)
    _report_speed("sklearn NMF(solver='mu')  [ref]", sk_mu, frob_mu, stream)
    _report_speed("SparseNMF (penalties off)", s_off, obj_s, stream, sk_mu)
    sk_cd, sk, W = per_iteration(
        lambda n: NMF(8, solver="cd", init="nndsvda", max_iter=n, **common), X, n_iter
    )
    _report_speed(
        "sklearn NMF(solver='cd')", sk_cd, frob(X, W, sk.components_), stream, sk_mu
    )
    s_on, est, W = per_iteration_skspectra(
        lambda n: SparseNMF(8, ard=True, orthogonality=1.0, max_iter=n, **mine),
        X,
        n_iter,
    )
    _report_speed(
        "SparseNMF (ARD + orthogonality)",
        s_on,
        frob(X, W, est.components_),
        stream,
        sk_mu,
    )
    print(
        f"   ARD+orthogonality cost / plain iteration: {s_on / s_off:.2f} "
        "(target <= 1.5)"
    )
    _record_model(
        f"SparseNMF {shape}",
        "sklearn NMF(mu)",
        1.5,
        sk_mu,
        s_off,
        s_on,
        stream,
        obj_s,
        frob_mu,
    )
    return sk_mu


class _Peer:
    """A peer's decomposition as an estimator: ``fit`` is ``fit_transform``."""

    def fit(self, Xa):
        self.fit_transform(Xa)
        return self


class _HyperSpyNMF(_Peer):
    """HyperSpy's NMF decomposition of a signal, as an estimator of n
    iterations."""

    def __init__(self, sig, n):
        self.sig, self.n = sig, n

    def fit_transform(self, Xa):
        self.sig.decomposition(
            algorithm="NMF",
            output_dimension=8,
            max_iter=self.n,
            tol=0.0,
            init="nndsvda",
            random_state=0,
            print_info=False,
        )
        lm = self.sig.learning_results
        self.components_ = lm.factors.T
        return lm.loadings


class _PyMCR(_Peer):
    """pyMCR's alternating least squares from fixed starting spectra, as an
    estimator of n iterations."""

    def __init__(self, ST0, n):
        self.ST0, self.n = ST0, n

    def fit_transform(self, Xa):
        from pymcr.mcr import McrAR

        mcr = McrAR(
            max_iter=self.n,
            tol_increase=1e9,
            tol_n_increase=10**9,
            tol_n_above_min=10**9,
            tol_err_change=None,
        )
        mcr.fit(Xa, ST=self.ST0)
        self.components_ = mcr.ST_opt_
        return mcr.C_opt_


def _speed_peers(X, stream, n_iter, image_shape, sk_mu):
    """HyperSpy's and pyMCR's NMF, where installed and not skipped."""
    from sklearn.decomposition import NMF

    try:
        if not PEERS[0]:
            raise ImportError("skipped (--no-peers)")
        import hyperspy.api as hs

        sig = hs.signals.Signal1D(X.reshape(*image_shape, X.shape[1]))
        # HyperSpy's set-up around scikit-learn's solver varies by more than
        # an iteration costs: whole fits, divided by the iteration count
        hs_sec, est, W = per_iteration_total(
            lambda n: _HyperSpyNMF(sig, n), X, 1 + n_iter
        )
        _report_speed(
            "HyperSpy NMF [whole fit / iterations]",
            hs_sec,
            frob(X, W, est.components_),
            stream,
            sk_mu,
        )
    except ImportError as exc:
        print(f"HyperSpy not available: {exc}")
    try:
        if not PEERS[0]:
            raise ImportError("skipped (--no-peers)")
        import pymcr  # noqa: F401

        sk0 = NMF(8, init="nndsvda", max_iter=1, tol=0.0, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sk0.fit(X)
        ST0 = sk0.components_
        mcr_sec, est, W = per_iteration(lambda n: _PyMCR(ST0, n), X, n_iter)
        _report_speed(
            "pyMCR McrAR (OLS + non-negativity)",
            mcr_sec,
            frob(X, W, est.components_),
            stream,
            sk_mu,
        )
    except ImportError as exc:
        print(f"pyMCR not available: {exc}")


def _speed_poisson(X, stream, n_iter):
    """PoissonNMF against scikit-learn's KL multiplicative updates."""
    from sklearn.decomposition import NMF

    common = dict(tol=0.0, random_state=0)
    mine = dict(common, **N_JOBS)
    p_off, est, W = per_iteration_skspectra(
        lambda n: PoissonNMF(8, ard=False, max_iter=n, **mine), X, n_iter
    )
    obj_p = kl(X, W, est.components_)
    sk_kl, sk, W = per_iteration(
        lambda n: NMF(
            8,
            solver="mu",
            beta_loss="kullback-leibler",
            init="nndsvda",
            max_iter=n,
            **common,
        ),
        X,
        n_iter,
    )
    print()
    kl_ref = kl(X, W, sk.components_)
    _report_speed("sklearn NMF(KL, solver='mu')  [ref]", sk_kl, kl_ref, stream)
    _report_speed("PoissonNMF (penalties off)", p_off, obj_p, stream, sk_kl)
    p_on, est, W = per_iteration_skspectra(
        lambda n: PoissonNMF(8, ard=True, orthogonality=1.0, max_iter=n, **mine),
        X,
        n_iter,
    )
    _report_speed(
        "PoissonNMF (ARD + orthogonality)",
        p_on,
        kl(X, W, est.components_),
        stream,
        sk_kl,
    )
    print(
        f"   ARD+orthogonality cost / plain iteration: {p_on / p_off:.2f} "
        "(target <= 1.5)"
    )
    _record_model(
        "PoissonNMF",
        "sklearn NMF(KL, mu)",
        3.0,
        sk_kl,
        p_off,
        p_on,
        stream,
        obj_p,
        kl_ref,
    )


def _speed_memory(X):
    """Peak memory beyond X of a short fit (tracemalloc sees NumPy's)."""
    from sklearn.decomposition import NMF

    common = dict(tol=0.0, random_state=0)
    print()
    for name, make in [
        ("PoissonNMF", lambda: PoissonNMF(8, ard=False, max_iter=3, **common)),
        (
            "sklearn NMF(KL, mu)",
            lambda: NMF(
                8, solver="mu", beta_loss="kullback-leibler", max_iter=3, **common
            ),
        ),
        ("SparseNMF", lambda: SparseNMF(8, ard=False, max_iter=3, **common)),
        ("sklearn NMF(mu)", lambda: NMF(8, solver="mu", max_iter=3, **common)),
    ]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tracemalloc.start()
            make().fit(X)
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        print(
            f"{name:<24s} peak extra memory {peak / 2**20:8.0f} MB = "
            f"{peak / X.nbytes:.2f} x X"
        )
        if name == "PoissonNMF":
            record(
                "nmf",
                "PoissonNMF extra memory / size of X",
                peak / X.nbytes,
                unit="x",
                target="<= 0.5",
                met=peak / X.nbytes <= 0.5,
            )


def bench_speed(ny, nx, nc, n_iter):
    print(
        f"\n== speed: {ny} x {nx} x {nc} float32 image, 8 components, "
        f"{n_iter} iterations"
    )
    X, stream = _speed_image(ny, nx, nc)
    sk_mu = _speed_gaussian(X, stream, n_iter, f"{ny}x{nx}x{nc}")
    _speed_peers(X, stream, n_iter, (ny, nx), sk_mu)
    _speed_poisson(X, stream, n_iter)
    _speed_memory(X)


def bench_ard_seeds(n_seeds=10):
    from scipy.optimize import linear_sum_assignment

    print("\n== ARD: 4 components, 64 x 64 x 1,024, ~200 counts/pixel, Poisson noise")
    hits = 0
    cosines = []
    for seed in range(n_seeds):
        X, truth = make_spectrum_image(
            4, shape=(64, 64), n_channels=1024, counts_per_pixel=200, random_state=seed
        )
        X = X.reshape(-1, 1024).astype(np.float32)
        t0 = CLOCK[0]()
        est = PoissonNMF(10, random_state=seed).fit(X)
        f = est.components_ / np.linalg.norm(est.components_, axis=1, keepdims=True)
        t = truth.components / np.linalg.norm(truth.components, axis=1, keepdims=True)
        sim = t @ f.T
        r, c = linear_sum_assignment(-sim)
        cos = float(sim[r, c].sum() / 4)
        cosines.append(cos)
        hits += est.n_components_ == 4
        print(
            f"seed {seed}: n_components_ = {est.n_components_}, mean matched cosine "
            f"{cos:.4f}, {est.n_iter_} iterations, {CLOCK[0]() - t0:.1f} s"
        )
    print(
        f"ARD found 4 of 10 in {hits}/{n_seeds} seeds; "
        f"mean cosine {np.mean(cosines):.4f}"
    )
    record(
        "nmf",
        "ARD from 10 ends at the true 4 components (seeds)",
        hits,
        unit=f"/{n_seeds}",
        target=">= 9/10",
        met=hits >= 0.9 * n_seeds,
    )
    record(
        "nmf",
        "ARD runs: mean matched cosine with the true spectra",
        float(np.mean(cosines)),
        target=">= 0.98",
        met=float(np.mean(cosines)) >= 0.98,
    )


_BIG_CHILD = r"""
import resource, sys, time
import numpy as np
from skspectra.decomposition import PoissonNMF, SparseNMF
path, cls_name, n_iter = sys.argv[1], sys.argv[2], int(sys.argv[3])
X = np.load(path, mmap_mode="r")  # a numpy.memmap: read block by block
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
cls = {"PoissonNMF": PoissonNMF, "SparseNMF": SparseNMF}[cls_name]
t0 = time.perf_counter()
est = cls(8, ard=False, max_iter=n_iter, tol=0.0, random_state=0).fit(X)
dt = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(f"{cls_name}: {X.nbytes / 2**30:.2f} GB X, fit {dt:.1f} s for {est.n_iter_} "
      f"iterations (with set-up), peak RSS {peak / 2**30:.2f} GB = "
      f"{peak / X.nbytes:.2f} x X "
      f"(before the fit: {base / 2**30:.2f} GB; the peak counts the pages of X "
      "read through the memory map)")
"""


def bench_big(n_iter=5, path=None):
    if path is None:
        path = os.path.join(tempfile.gettempdir(), "skspectra_bench_big.npy")
    ny = nx = 512
    nc = 2048
    print(f"\n== big: {ny} x {nx} x {nc} float32 ({ny * nx * nc * 4 / 2**30:.1f} GB)")
    if not os.path.exists(path):
        _, small = make_spectrum_image(8, shape=(8, 8), n_channels=nc, random_state=0)
        _, maps = make_spectrum_image(8, shape=(ny, nx), n_channels=16, random_state=1)
        maps = maps.maps.reshape(-1, 8) * (nc / 1000.0)
        mm = np.lib.format.open_memmap(
            path, mode="w+", dtype=np.float32, shape=(ny * nx, nc)
        )
        rng = np.random.default_rng(0)
        for i in range(0, ny * nx, 8192):
            mm[i : i + 8192] = rng.poisson(maps[i : i + 8192] @ small.components)
        mm.flush()
        del mm
    for cls_name in ("PoissonNMF",):
        out = subprocess.run(
            [sys.executable, "-c", _BIG_CHILD, path, cls_name, str(n_iter)],
            capture_output=True,
            text=True,
            check=False,
        )
        print(out.stdout.strip() or out.stderr[-2000:])
        found = re.search(r"= ([0-9.]+) x X", out.stdout)
        if found:
            ratio = float(found.group(1))
            record(
                "nmf",
                "512x512x2048 float32 memmap: peak RSS / size of X",
                ratio,
                unit="x",
                target="< 2",
                met=ratio < 2,
            )


# the low-dose section: counts per pixel, image, channels and phases
LOW_DOSE = (3, 6, 12)
LOW_DOSE_SHAPE, LOW_DOSE_CHANNELS, LOW_DOSE_PHASES = (64, 64), 256, 3
# espm's Laplacian weights tried (its data normalised, normalize=True); the
# best by the truth is reported
ESPM_LAMBDAS = (0.0, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0, 3000.0, 10000.0)
# the weights of skspectra's prior tried for its best-by-the-truth row
ORACLE_WEIGHTS = (1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0)
# the two generators of the low-dose table: make_grain_image's own spectra
# (256 channels, phases that differ over the whole axis), and oxide phases
# of real X-ray lines told apart only by line ratios (980 channels)
LOW_DOSE_GENERATORS = (
    ("grain", "make_grain_image"),
    ("lines", "oxide phases of X-ray lines"),
)


def _matched(found, truth):
    """Correlations of the true maps with the found ones, and the matching
    (true rows to found columns) that maximises their sum."""
    from scipy.optimize import linear_sum_assignment

    f = np.asarray(found, dtype=np.float64).reshape(-1, found.shape[-1])
    t = truth.reshape(-1, truth.shape[-1])
    k = t.shape[1]
    C = np.nan_to_num(np.corrcoef(t.T, f.T)[:k, k:])
    rows, cols = linear_sum_assignment(-C)
    return C, rows, cols


def map_correlation(found, truth):
    """Mean correlation of the true maps with their matched found maps."""
    C, rows, cols = _matched(found, truth)
    return float(C[rows, cols].sum() / len(rows))


def _espm():
    """espm's SmoothNMF with the shim current scikit-learn needs, or why not."""
    try:
        from espm.estimators import NMFEstimator, SmoothNMF
    except ImportError as exc:
        return None, f"espm not importable ({exc})"
    from sklearn.utils.validation import validate_data

    # espm 1.1 calls the estimator method that scikit-learn 1.6 removed
    NMFEstimator._validate_data = lambda self, X, **kw: validate_data(self, X, **kw)
    return SmoothNMF, ""


def _low_dose_row(image, maps, rates, seed, SmoothNMF):
    """One dose of the low-dose table: the map correlations of plain
    PoissonNMF, of ``"auto"``, of the prior at its best weight, the weight
    whose fit best predicts a new image from ``rates``, and espm's best."""
    k, n = maps.shape[-1], image.shape[-1]
    plain = PoissonNMF(k, ard=False, random_state=seed)
    smooth = PoissonNMF(k, ard=False, spatial_smoothness="auto", random_state=seed)
    t0 = time.perf_counter()
    row = {"plain": map_correlation(plain.fit_image(image).maps_, maps)}
    t1 = time.perf_counter()
    row["smooth"] = map_correlation(smooth.fit_image(image).maps_, maps)
    row["times"] = (t1 - t0, time.perf_counter() - t1)
    row["weight"] = smooth.spatial_smoothness_
    # the prior at its best weight by the truth, as espm's row is, and the
    # weight whose fit best predicts a new image of the same dose
    fixed, predicts = {}, {}
    for w in ORACLE_WEIGHTS:
        fitted = PoissonNMF(
            k, ard=False, spatial_smoothness=w, random_state=seed
        ).fit_image(image)
        fixed[w] = map_correlation(fitted.maps_, maps)
        # minus the KL divergence from the true rates: the expected
        # log-likelihood of a new image, up to a constant
        predicts[w] = -kl(
            rates.reshape(-1, n), fitted.maps_.reshape(-1, k), fitted.components_
        )
    row["best_w"] = max(fixed, key=fixed.get)
    row["best"] = fixed[row["best_w"]]
    row["predict_w"] = max(predicts, key=predicts.get)
    if SmoothNMF is not None:
        scores = {
            lam: map_correlation(
                _espm_fit(image, seed, lam=lam, n_components=k)[0], maps
            )
            for lam in ESPM_LAMBDAS
        }
        row["espm_lam"] = max(scores, key=scores.get)
        row["espm"] = scores[row["espm_lam"]]
    return row


def _low_dose_images(generator, cpp, seed):
    """(image, true maps, true rates) of one low-dose image: ``"grain"`` is
    make_grain_image's own; ``"lines"`` puts the oxide phases of real X-ray
    lines of the --espm-data section on the same grain maps (as fractions),
    64 x 64 x 980 channels."""
    from skspectra.datasets import make_grain_image

    if generator == "grain":
        image, truth = make_grain_image(
            LOW_DOSE_PHASES,
            shape=LOW_DOSE_SHAPE,
            n_channels=LOW_DOSE_CHANNELS,
            counts_per_pixel=cpp,
            random_state=seed,
        )
        return image, truth.maps, truth.X_noiseless
    _, truth = make_grain_image(
        LOW_DOSE_PHASES, shape=LOW_DOSE_SHAPE, n_channels=8, random_state=seed
    )
    fractions = truth.maps / truth.maps.sum(axis=-1, keepdims=True)
    rates = cpp * fractions @ _line_phases(PHYS_ENERGY)
    image = np.random.default_rng(seed).poisson(rates).astype(np.float64)
    return image, fractions, rates


def _record_low_dose(label, rows, espm):
    ratio = np.mean([r["smooth"] for r in rows]) / np.mean([r["plain"] for r in rows])
    record(
        "nmf",
        f"low-dose map correlation ({label}), spatial prior / plain PoissonNMF",
        ratio,
        target=">= 1.5",
        unit="x",
        met=ratio >= 1.5,
    )
    # a correlation is at most 1, so the mean ratio cannot exceed this
    ceiling = 1.0 / np.mean([r["plain"] for r in rows])
    print(
        f"   ratio {ratio:.2f}x (the largest mean ratio any method could reach "
        f"here: {ceiling:.2f}x)"
    )
    if not espm:
        return
    best = np.mean([r["best"] - r["espm"] for r in rows])
    record(
        "nmf",
        f"low-dose map correlation ({label}), both at their best weight: prior - espm",
        best,
        target=">= 0",
        met=best >= 0,
    )
    margin = np.mean([r["smooth"] - r["espm"] for r in rows])
    record(
        "nmf",
        f"low-dose map correlation ({label}), prior ('auto') - espm SmoothNMF "
        "(best weight)",
        margin,
        target=">= 0",
        met=margin >= 0,
    )


def bench_low_dose(seed=0):
    """Matched map correlation on low-dose grain images from two generators,
    and the prior's cost."""
    SmoothNMF, why = _espm()
    print(
        f"\nlow dose: {LOW_DOSE_SHAPE[0]} x {LOW_DOSE_SHAPE[1]}, "
        f"{LOW_DOSE_PHASES} phases on make_grain_image's maps, matched map "
        "correlation with the true maps"
    )
    if SmoothNMF is None:
        print(f"   espm row skipped: {why}")
    for generator, label in LOW_DOSE_GENERATORS:
        print(f"   {label}:")
        rows = []
        for cpp in LOW_DOSE:
            image, maps, rates = _low_dose_images(generator, cpp, seed)
            row = _low_dose_row(image, maps, rates, seed, SmoothNMF)
            rows.append(row)
            espm = (
                f", espm SmoothNMF {row['espm']:.3f} (best lambda_L "
                f"{row['espm_lam']:g})"
                if "espm" in row
                else ""
            )
            print(
                f"   {cpp:>3} counts/pixel: PoissonNMF {row['plain']:.3f}, with "
                f"spatial_smoothness='auto' {row['smooth']:.3f} (weight "
                f"{row['weight']:.3g}), at its best weight {row['best']:.3f} "
                f"({row['best_w']:g}; the weight best for predicting a new "
                f"image: {row['predict_w']:g}){espm}; fit {row['times'][0]:.1f} "
                f"s, auto fit {row['times'][1]:.1f} s",
                flush=True,
            )
        _record_low_dose(label, rows, SmoothNMF is not None)
    _bench_prior_cost(seed)


def _bench_prior_cost(seed, n_iter=30):
    """Seconds per iteration with and without the prior, same data."""
    from skspectra.datasets import make_grain_image

    image, _ = make_grain_image(
        LOW_DOSE_PHASES,
        shape=LOW_DOSE_SHAPE,
        n_channels=1024,
        counts_per_pixel=6,
        random_state=seed,
    )
    X = image.reshape(-1, image.shape[-1]).astype(np.float32)
    for cls in (PoissonNMF, SparseNMF):
        t = {}
        for weight in (0.0, 4.0):

            def make(n, w=weight, c=cls):
                return c(
                    LOW_DOSE_PHASES,
                    ard=False,
                    spatial_smoothness=w,
                    image_shape=LOW_DOSE_SHAPE,
                    max_iter=n,
                    tol=0,
                    random_state=seed,
                )

            t[weight] = min(
                per_iteration_skspectra(make, X, n_iter)[0] for _ in range(REPEATS)
            )
        ratio = t[4.0] / t[0.0]
        print(
            f"   {cls.__name__} per iteration (64 x 64 x 1024, 6 counts/pixel): "
            f"{1e3 * t[0.0]:.1f} ms plain, {1e3 * t[4.0]:.1f} ms with the "
            f"prior ({ratio:.2f}x)"
        )
        record(
            "nmf",
            f"{cls.__name__} cost per iteration with the spatial prior / plain",
            ratio,
            target="<= 1.5",
            unit="x",
            met=ratio <= 1.5,
        )


# the --espm-data section: counts per pixel (20-500, a low-dose STEM-EDS
# range), the phases of the grain images with real lines (element: atomic
# fraction), their energy axis (keV) and the share of their counts in the
# continuum
PHYS_COUNTS = (20, 100, 500)
# oxides of one family, told apart by the ratios of overlapping K lines
PHYS_PHASES = (
    {"Fe": 0.3, "Cr": 0.1, "Ni": 0.05, "O": 0.55},
    {"Fe": 0.1, "Cr": 0.3, "Ni": 0.05, "O": 0.55},
    {"Fe": 0.15, "Cr": 0.15, "Ni": 0.2, "O": 0.5},
)
PHYS_ENERGY = np.arange(0.2, 10.0, 0.01)
PHYS_CONTINUUM_SHARE = 0.3
# the weight of an element's second shell (L beside K, M beside L) in the
# generator's phases, and the absorption cut-off (keV) of their continuum,
# between the cut-offs of eds_basis' continuum rows
PHYS_SECOND_SHELL = 0.3
PHYS_CUTOFF_KEV = 0.4
# espm's Laplacian weight (its default), with its data normalised
ESPM_DEFAULT_LAMBDA = 1.0


def _matched_scores(found_maps, found_spectra, truth_maps, truth_spectra):
    """Matched map correlation and spectral cosine (same matching, by maps)."""
    C, rows, cols = _matched(found_maps, truth_maps)
    f = np.asarray(found_spectra, dtype=np.float64)[cols]
    t = np.asarray(truth_spectra, dtype=np.float64)[rows]
    cos = np.sum(f * t, axis=1) / (
        np.linalg.norm(f, axis=1) * np.linalg.norm(t, axis=1)
    )
    return float(C[rows, cols].mean()), float(np.mean(cos))


def _line_phases(energy):
    """The generator's phase spectra: xraydb lines and a Kramers continuum."""
    from skspectra.peaks import eds_basis

    phases = []
    for composition in PHYS_PHASES:
        spectrum = np.zeros(energy.size)
        for element, fraction in composition.items():
            rows, _ = eds_basis(energy, [element], n_continuum=0)
            shells = np.array([1.0] + [PHYS_SECOND_SHELL] * (len(rows) - 1))
            spectrum += fraction * (shells / shells.sum()) @ rows
        kramers = (200.0 - energy) / energy * np.exp(-((PHYS_CUTOFF_KEV / energy) ** 3))
        spectrum *= (1 - PHYS_CONTINUUM_SHARE) / spectrum.sum()
        spectrum += PHYS_CONTINUUM_SHARE * kramers / kramers.sum()
        phases.append(spectrum)
    return np.array(phases)


def _phys_fits(image, basis, seed, auto=True):
    """{name: (maps, spectra)} of PoissonNMF without and with the basis."""
    n = image.shape[-1]
    settings = {"PoissonNMF": {}, "with eds_basis": {"spectral_basis": basis}}
    if auto:
        settings["spatial_smoothness='auto'"] = {"spatial_smoothness": "auto"}
        settings["eds_basis and 'auto'"] = {
            "spectral_basis": basis,
            "spatial_smoothness": "auto",
        }
    out = {}
    for name, params in settings.items():
        t0 = time.perf_counter()
        nmf = PoissonNMF(3, ard=False, random_state=seed, **params).fit_image(image)
        out[name] = (nmf.maps_, nmf.components_.reshape(-1, n))
        print(f"      {name}: {time.perf_counter() - t0:.1f} s", flush=True)
    return out


def bench_eds_lines(seed=0):
    """Maps and spectra with and without eds_basis, grain images with real
    line energies, 20-500 counts per pixel."""
    from skspectra.peaks import eds_basis

    energy = PHYS_ENERGY
    phases = _line_phases(energy)
    elements = sorted({el for c in PHYS_PHASES for el in c})
    basis, _ = eds_basis(energy, elements)
    print(
        f"\nEDS lines: grain images {LOW_DOSE_SHAPE[0]} x {LOW_DOSE_SHAPE[1]} x "
        f"{energy.size} (0.2-10 keV), phases {', '.join(map(str, PHYS_PHASES))}; "
        f"basis of {basis.shape[0]} rows; matched map correlation / spectral cosine"
    )
    rows = {}
    for cpp in PHYS_COUNTS:
        image, fractions, _ = _low_dose_images("lines", cpp, seed)
        fits = _phys_fits(image, basis, seed, auto=False)
        rows[cpp] = {
            name: _matched_scores(m, h, fractions, phases)
            for name, (m, h) in fits.items()
        }
        print(
            f"   {cpp:>3} counts/pixel: "
            + "; ".join(f"{k} {r:.3f} / {c:.3f}" for k, (r, c) in rows[cpp].items())
        )
    gain = np.mean([r["with eds_basis"][0] - r["PoissonNMF"][0] for r in rows.values()])
    record(
        "nmf",
        "EDS-line grain images 20-500 counts/pixel, map correlation: eds_basis - plain",
        gain,
        target="> 0",
        met=gain > 0,
    )
    return rows


def _espm_sample():
    """espm's particle phases and maps, its G, and the energy axis; or why not."""
    try:
        from espm.datasets.built_in_EDXS_datasets import (
            particles_misc_dict,
            particles_phases_dict,
        )
        from espm.models import EDXS
        from espm.models.EDXS_function import elts_list_from_dict_list
        from espm.models.generate_EDXS_phases import generate_modular_phases
        from espm.weights.generate_weights import generate_weights
    except ImportError as exc:
        return None, f"espm not importable ({exc})"
    import contextlib
    import io

    params = particles_phases_dict["model_params"]
    with contextlib.redirect_stdout(io.StringIO()):  # espm prints as it builds
        phases = generate_modular_phases(**particles_phases_dict)
        maps = generate_weights(
            "sphere",
            particles_misc_dict["shape_2d"],
            n_phases=3,
            seed=particles_misc_dict["seed"],
            radius=20,
        )
        numbers = elts_list_from_dict_list(particles_phases_dict["elts_dicts"])
        model = EDXS(**params)
        model.generate_g_matr(
            g_type="bremsstrahlung", elements=numbers, elements_dict={}
        )
    energy = params["e_offset"] + params["e_scale"] * np.arange(params["e_size"])
    return dict(
        phases=phases / phases.sum(axis=1, keepdims=True),
        maps=maps,
        G=model.G,
        numbers=numbers,
        energy=energy,
        misc=particles_misc_dict,
        params=params,
    ), ""


def _espm_fit(image, seed, *, G=None, lam=None, n_components=3):
    """Maps and spectra of espm's SmoothNMF (Laplacian weight ``lam``, by
    default espm's own), with its physics model ``G`` if given."""
    SmoothNMF, _ = _espm()
    ny, nx, nc = image.shape
    est = SmoothNMF(
        n_components=n_components,
        G=G,
        lambda_L=ESPM_DEFAULT_LAMBDA if lam is None else lam,
        shape_2d=(ny, nx),
        normalize=True,
        max_iter=200,
        random_state=seed,
        verbose=0,
    )
    # espm's X is channels x pixels and its H the maps (components x pixels)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit_transform(image.reshape(-1, nc).T)
    spectra = (est.W_ if G is None else G @ est.W_).T
    return est.H_.T.reshape(ny, nx, -1), spectra


def bench_espm_data(seed=0):
    """espm's simulated particles: PoissonNMF plain, with the spatial prior,
    with eds_basis, against espm with and without its G."""
    import xraydb

    from skspectra.peaks import eds_basis

    bench_eds_lines(seed)
    sample, why = _espm_sample()
    if sample is None:
        print(
            f"\nespm data skipped: {why}; run --espm-data where espm is "
            "installed (pip install espm, with scikit-image and exspy)"
        )
        return None
    from espm.datasets.base import generate_spim_sample

    energy = sample["energy"]
    elements = [xraydb.atomic_symbol(int(z)) for z in sample["numbers"]]
    basis, _ = eds_basis(energy, elements)
    shape = sample["maps"].shape
    print(
        f"\nespm's particles: {shape[0]} x {shape[1]} x {energy.size} "
        f"({energy[0]:g}-{energy[-1]:g} keV), elements {', '.join(elements)}; "
        f"eds_basis {basis.shape[0]} rows, espm's G {sample['G'].shape[1]}; "
        f"espm SmoothNMF lambda_L={ESPM_DEFAULT_LAMBDA:g}; "
        "matched map correlation / spectral cosine"
    )
    rows = {}
    for cpp in PHYS_COUNTS:
        misc = dict(sample["misc"], N=cpp)
        spim = generate_spim_sample(
            sample["phases"], sample["maps"], sample["params"], misc, seed=seed
        )
        image = np.asarray(spim["X"], dtype=np.float64)
        fits = _phys_fits(image, basis, seed)
        for name, G in (("espm without G", None), ("espm with G", sample["G"])):
            t0 = time.perf_counter()
            fits[name] = _espm_fit(image, seed, G=G)
            print(f"      {name}: {time.perf_counter() - t0:.1f} s", flush=True)
        rows[cpp] = {
            name: _matched_scores(m, h, sample["maps"], sample["phases"])
            for name, (m, h) in fits.items()
        }
        print(
            f"   {cpp:>3} counts/pixel: "
            + "; ".join(f"{k} {r:.3f} / {c:.3f}" for k, (r, c) in rows[cpp].items()),
            flush=True,
        )
    gain = np.mean(
        [r["eds_basis and 'auto'"][0] - r["espm with G"][0] for r in rows.values()]
    )
    record(
        "nmf",
        "espm particles 20-500 counts/pixel, map correlation: eds_basis and "
        "'auto' - espm with G",
        gain,
        target=">= 0",
        met=gain >= 0,
    )
    return rows


# the standard spectrum image: 500 x 500 pixels x 2,000 channels in float32
# (2 GB), the size the automatic decomposition is meant for
BIG_SHAPE = (500, 500, 2000)
# phases in the synthetic image of the automatic fit
BIG_PHASES = 4
# a Dask chunk of the image holds about this many bytes: large enough that
# the scheduler's cost per task is small next to reading the chunk
BIG_CHUNK_BYTES = 64 * 2**20

_AUTO_CHILD = r"""
import json, resource, sys, time
import numpy as np
from skspectra.decomposition import PoissonNMF

path, source, peers = sys.argv[1], sys.argv[2], sys.argv[4]
chunk_rows = int(sys.argv[3])


def read_rows(path, a, b):
    # rows a:b of the file through a memory map of the worker's own: the
    # kernels read the page cache directly, with no copy of the chunk on
    # every pass, and the pages are let go with the task's result
    return np.load(path, mmap_mode="r")[a:b]


def peak_rss():
    # the high-water mark of this process image (VmHWM): ru_maxrss would
    # also count the parent's peak, which a child inherits through exec
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


mm = np.load(path, mmap_mode="r")
n, m = mm.shape
out = {"source": source, "nbytes": mm.nbytes, "shape": [n, m]}
client = None
if source == "dask":
    import dask
    import dask.array as da
    from distributed import Client, LocalCluster

    # the nanny sets a fixed glibc trim threshold in the workers, which also
    # fixes glibc's mmap threshold at 128 kB: every block-sized temporary of
    # the kernels is then a fresh mapping, its pages faulted in and zeroed on
    # every block of every pass; without it glibc reuses them, as it does in
    # the memmap run (the other settings, one BLAS thread, are kept)
    environ = dict(dask.config.get("distributed.nanny.pre-spawn-environ"))
    environ.pop("MALLOC_TRIM_THRESHOLD_", None)
    dask.config.set({"distributed.nanny.pre-spawn-environ": environ})
    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    client = Client(cluster)
    # each worker reads its own row blocks from the file: the client never
    # holds X, and no block is shipped through the scheduler
    X = da.concatenate(
        [
            da.from_delayed(
                dask.delayed(read_rows)(path, a, min(a + chunk_rows, n)),
                shape=(min(a + chunk_rows, n) - a, m),
                dtype=np.float32,
            )
            for a in range(0, n, chunk_rows)
        ]
    )

    def stream():
        return float(X.sum(dtype=np.float64).compute())
else:
    X = mm

    def stream():
        return float(sum(X[a : a + chunk_rows].sum(dtype=np.float64)
                         for a in range(0, n, chunk_rows)))

# the memory of the interpreter and the libraries, before X is touched (the
# workers import them first: a constant cost, not one that grows with X)
out["base_client"] = peak_rss()
if client is not None:
    client.run(lambda: __import__("skspectra.decomposition"))
    # by worker address, the same order as the peaks below
    out["base_workers"] = [v for _, v in sorted(client.run(peak_rss).items())]
# one stream of X, the floor of an iteration: best of two
times = []
for _ in range(2):
    t0 = time.perf_counter()
    stream()
    times.append(time.perf_counter() - t0)
out["stream"] = min(times)
# the cost of a pass that does nothing with its blocks (the scheduler's
# round trip for a Dask array), best of three: it does not grow with X
from skspectra.decomposition._block import BlockSource

noop = BlockSource(X, np.float32)
times = []
for _ in range(3):
    t0 = time.perf_counter()
    noop.run(len)
    times.append(time.perf_counter() - t0)
out["pass_overhead"] = min(times)
# the passes of the fit over X, counted (run_merged of an array in memory
# calls run: a pass is counted once)
passes = [0]
depth = [0]
originals = {name: getattr(BlockSource, name) for name in ("run", "run_merged")}


def counting(original):
    def counted(self, *args, **kwargs):
        passes[0] += depth[0] == 0
        depth[0] += 1
        try:
            return original(self, *args, **kwargs)
        finally:
            depth[0] -= 1

    return counted


for name, original in originals.items():
    setattr(BlockSource, name, counting(original))
stamps = []
est = PoissonNMF(
    n_components="auto",
    random_state=0,
    n_jobs=-1,
    callback=lambda it, J: stamps.append(time.perf_counter()),
)
t0 = time.perf_counter()
c0 = time.process_time()
est.fit(X)
out["fit"] = time.perf_counter() - t0
out["fit_cpu_client"] = time.process_time() - c0
out["passes"] = passes[0]
for name, original in originals.items():
    setattr(BlockSource, name, original)
out["n_components"] = int(est.n_components_)
out["iterations"] = len(stamps)
out["per_iter"] = float(np.median(np.diff(stamps))) if len(stamps) > 1 else float("nan")
out["peak_client"] = peak_rss()
if client is not None:
    workers = client.run(peak_rss)
    out["peak_workers"] = [v for _, v in sorted(workers.items())]
    client.close()
    cluster.close()
elif peers == "peers":
    # scikit-learn's NMF at the number found: X in memory, seconds per
    # iteration from a fit of 1 + k iterations minus one of 1
    import warnings
    from sklearn.decomposition import NMF

    Xa = np.array(mm)
    k = 5
    fits = {}
    for it in (1, 1 + k):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            nmf = NMF(est.n_components_, solver="mu", beta_loss="kullback-leibler",
                      init="nndsvda", max_iter=it, tol=0.0, random_state=0)
            t0 = time.perf_counter()
            nmf.fit(Xa)
            fits[it] = time.perf_counter() - t0
    out["sklearn_per_iter"] = (fits[1 + k] - fits[1]) / k
print("JSON " + json.dumps(out))
"""


def _write_big_image(path, ny, nx, nc):
    """A Poisson spectrum image of ``BIG_PHASES`` phases, written in blocks."""
    _, small = make_spectrum_image(
        BIG_PHASES, shape=(8, 8), n_channels=nc, random_state=0
    )
    _, truth = make_spectrum_image(
        BIG_PHASES, shape=(ny, nx), n_channels=16, random_state=1
    )
    maps = truth.maps.reshape(-1, BIG_PHASES) * (nc / 1000.0)
    mm = np.lib.format.open_memmap(
        path, mode="w+", dtype=np.float32, shape=(ny * nx, nc)
    )
    rng = np.random.default_rng(0)
    for i in range(0, ny * nx, 8192):
        mm[i : i + 8192] = rng.poisson(maps[i : i + 8192] @ small.components)
    mm.flush()
    del mm


def _run_auto_child(path, source, chunk_rows, peers):
    proc = subprocess.run(
        [sys.executable, "-c", _AUTO_CHILD, path, source, str(chunk_rows), peers],
        capture_output=True,
        text=True,
        check=False,
    )
    line = [x for x in proc.stdout.splitlines() if x.startswith("JSON ")]
    if not line:
        print(f"{source}: the fit failed:\n{proc.stderr[-3000:]}")
        return None
    return json.loads(line[-1][5:])


def bench_big_auto(shape=BIG_SHAPE, peers=True, sources=("memmap", "dask")):
    """``PoissonNMF(n_components="auto")`` on a spectrum image, from a memmap
    and from a Dask array on a 2-worker LocalCluster, each in a fresh process
    (so that its peak memory is its own); at a size other than
    ``BIG_SHAPE`` the fit time is also extrapolated to it: the passes over
    X keep their fixed cost (that of a pass which does nothing with its
    blocks, for a Dask array the scheduler's round trip), and the rest of
    the time grows linearly in the size of X (a pass streams X once; the
    count of passes measured is assumed to stay the same)."""
    unknown = set(sources) - {"memmap", "dask"}
    if unknown:
        raise ValueError(f"--big-sources: unknown {sorted(unknown)}; use memmap, dask")
    ny, nx, nc = shape
    nbytes = ny * nx * nc * 4
    full = int(np.prod(BIG_SHAPE)) * 4
    factor = full / nbytes
    print(
        f"\n== big, automatic: PoissonNMF(n_components='auto') on a {ny} x {nx} x "
        f"{nc} float32 image ({nbytes / 2**30:.2f} GB, {BIG_PHASES} phases)"
        + (
            ""
            if factor == 1
            else f", 1/{factor:.2f} of {'x'.join(map(str, BIG_SHAPE))}"
        )
        + f"; load average {os.getloadavg()}"
    )
    path = os.path.join(
        tempfile.gettempdir(), f"skspectra_bench_auto_{ny}x{nx}x{nc}.npy"
    )
    if not os.path.exists(path):
        t0 = time.perf_counter()
        _write_big_image(path, ny, nx, nc)
        print(f"(wrote the image in {time.perf_counter() - t0:.0f} s)")
    chunk_rows = max(1, BIG_CHUNK_BYTES // (nc * 4))
    for source in sources:
        res = _run_auto_child(path, source, chunk_rows, "peers" if peers else "none")
        if res is None:
            continue
        _report_auto(res, source, shape, nbytes, factor)


def _report_auto(res, source, shape, nbytes, factor):
    """Print and record one source's run of :func:`bench_big_auto`."""
    ny, nx, nc = shape
    tag = f"{'x'.join(map(str, BIG_SHAPE))} float32"
    peak = res["peak_client"] + sum(res.get("peak_workers", []))
    # what the fit added to the processes' footprint at start-up
    extra = peak - res["base_client"] - sum(res.get("base_workers", []))
    where = "client + 2 workers" if source == "dask" else "process"
    streams = res["per_iter"] / res["stream"]
    print(
        f"{source:7s} {res['n_components']} components after "
        f"{res['iterations']} iterations (ARD and the likelihood refits): fit "
        f"{res['fit']:.1f} s | {res['per_iter']:.3f} s per iteration, one "
        f"stream of X {res['stream']:.3f} s -> {streams:.1f} streams | "
        f"peak RSS ({where}, counting the pages of X read) "
        f"{peak / 2**30:.2f} GB, {extra / 2**30:.2f} GB above the "
        f"processes at start-up = {extra / nbytes:.2f} x X"
    )
    if source == "dask":
        parts = [res["peak_client"] - res["base_client"]] + [
            p - b for p, b in zip(res["peak_workers"], res["base_workers"], strict=True)
        ]
        print(
            "        of which client, workers: "
            + ", ".join(f"{x / 2**30:.2f} GB" for x in parts)
        )
    if "sklearn_per_iter" in res:
        print(
            f"        scikit-learn NMF(KL, mu) at {res['n_components']} "
            f"components, X in memory: {res['sklearn_per_iter']:.3f} s per "
            f"iteration -> skspectra "
            f"{res['sklearn_per_iter'] / res['per_iter']:.1f}x faster per iteration"
            " (skspectra's median iteration: the ARD fit starts from the cap of "
            "10 components)"
        )
        record(
            "nmf",
            f"{'x'.join(map(str, shape))}, n_components='auto', {source}: "
            "speed-up per iteration over scikit-learn NMF(KL, mu) at the "
            "number found (skspectra's iterations start from the cap of 10)",
            res["sklearn_per_iter"] / res["per_iter"],
            unit="x",
        )
    # the passes' fixed cost stays, the rest grows with the size of X
    fixed = res["passes"] * res["pass_overhead"]
    fit_full = fixed + (res["fit"] - fixed) * factor
    print(
        f"        {res['passes']} passes over X, each with a fixed cost of "
        f"{res['pass_overhead'] * 1e3:.0f} ms (a pass doing nothing): "
        f"{fixed:.1f} s of the fit"
    )
    if factor != 1:
        print(
            f"        extrapolated to {tag} (same passes; their fixed cost "
            f"kept, the rest x{factor:.2f}): fit {fit_full:.0f} s = "
            f"{fit_full / 60:.1f} min [EXTRAPOLATED, not measured]"
        )
    label = f"{tag}, n_components='auto', {source}"
    if factor != 1:
        label += f" (extrapolated from {ny}x{nx}x{nc})"
    record(
        "nmf",
        f"{label}: fit time",
        fit_full / 60,
        unit=" min",
        target="< 5 min",
        met=fit_full < 300,
    )
    record(
        "nmf",
        f"{'x'.join(map(str, shape))}, n_components='auto', "
        f"{source}: peak memory above start-up / size of X",
        extra / nbytes,
        unit="x",
        target="< 2",
        met=extra / nbytes < 2,
    )
    record(
        "nmf",
        f"{'x'.join(map(str, shape))}, n_components='auto', "
        f"{source}: iteration time / one stream of X",
        res["per_iter"] / res["stream"],
        unit="x",
    )


def _parse_size(text):
    """``NYxNXxNC`` (e.g. 200x200x2000) as a tuple of three integers."""
    parts = text.lower().split("x")
    if len(parts) != 3 or not all(p.isdigit() and int(p) > 0 for p in parts):
        raise argparse.ArgumentTypeError(
            f"--size must be NYxNXxNC with positive integers, e.g. 200x200x2000; "
            f"got {text!r}"
        )
    return tuple(int(p) for p in parts)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="128 x 128 x 512 image")
    parser.add_argument("--iters", type=int, default=10, help="iterations timed")
    parser.add_argument("--ard-seeds", action="store_true", help="ARD over 10 seeds")
    parser.add_argument(
        "--big", action="store_true", help="the 2 GB image (subprocess)"
    )
    parser.add_argument(
        "--size",
        type=_parse_size,
        default=BIG_SHAPE,
        help="image of --big's automatic fit, NYxNXxNC (default 500x500x2000); "
        "figures are extrapolated to the default size",
    )
    parser.add_argument(
        "--big-sources",
        type=lambda text: tuple(text.split(",")),
        default=("memmap", "dask"),
        help="sources of --big's automatic fit, comma-separated (memmap,dask)",
    )
    parser.add_argument("--no-speed", action="store_true", help="skip the speed table")
    parser.add_argument(
        "--low-dose",
        action="store_true",
        help="map correlation at 3, 6, 12 counts per pixel with the spatial prior",
    )
    parser.add_argument(
        "--espm-data",
        action="store_true",
        help="spectra held to X-ray lines (eds_basis) at 20, 100, 500 counts "
        "per pixel, on grain images and on espm's simulated particles",
    )
    parser.add_argument(
        "--no-peers", action="store_true", help="skip HyperSpy and pyMCR"
    )
    parser.add_argument(
        "--repeats", type=int, default=1, help="best of this many timings"
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="limit every method to this many threads (BLAS and skspectra's n_jobs)",
    )
    args = parser.parse_args(argv)
    PEERS[0] = not args.no_peers
    global REPEATS
    REPEATS = args.repeats
    if args.threads:
        from threadpoolctl import threadpool_limits

        threadpool_limits(args.threads)
        N_JOBS["n_jobs"] = args.threads
        if args.threads == 1:
            CLOCK[0] = time.process_time
            print("times are CPU seconds of this process (one thread)")
        print(f"every method limited to {args.threads} thread(s)")
    print(f"load average: {os.getloadavg()}")
    if not args.no_speed:
        if args.quick:
            bench_speed(128, 128, 512, args.iters)
        else:
            bench_speed(256, 256, 1024, args.iters)
    if args.ard_seeds or args.quick:
        bench_ard_seeds()
    if args.low_dose or args.quick:
        bench_low_dose()
    if args.espm_data:
        bench_espm_data()
    if args.big:
        if args.size == BIG_SHAPE:
            # the fixed 2 GB memmap factorisation only at the full size
            bench_big()
        bench_big_auto(args.size, peers=PEERS[0], sources=args.big_sources)
    print(f"load average: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
