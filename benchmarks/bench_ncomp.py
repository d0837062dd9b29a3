"""The number of components: skspectra and its peers on a battery of images.

Run ``python benchmarks/bench_ncomp.py`` for the battery (rank 2-8, 30 to
100,000 counts per pixel, 128-2,048 channels, 32 x 32 to 128 x 128 pixels,
separated and strongly overlapping maps, Poisson and Gaussian noise, from
both generators, :func:`make_spectrum_image` and :func:`make_grain_image`),
``--quick`` for a small battery on 32 x 32 images.

Methods, each asked for the rank of every image:

* ``PoissonNMF ARD`` (Poisson images) and ``SparseNMF ARD`` (Gaussian
  images), cap 10;
* ``select_n_components`` (``method="test"``, the noise model chosen from
  the data), ``bootstrap`` (``method="bootstrap"``, on the Poisson images
  only: it draws counts) and ``held-out split`` (``method="split"``);
* scikit-learn ``PCA(n_components="mle")`` (Minka) on Poisson-normalised
  data (each entry divided by the square root of its row mean times column
  mean, as HyperSpy's ``normalize_poissonian_noise`` does);
* HyperSpy's ``estimate_elbow_position`` on the scree of its SVD with
  Poisson normalisation.

Every case is scored twice: the count equal to the true rank, and the
count between the number of components above the noise's detection limit
(:func:`detectable_rank`) and the true rank.

pyMCR has no rank estimator (it fits a given number of components), so it
has no row.  The cost of a pruning fit is the ratio of its passes over X
(ARD fit plus likelihood refits) to those of a fixed-K fit at the true K
stopped by the same test as the refits (the target, 3x), and at
``tol=1e-4``, with the ratio of their times.
"""

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._record import record
from benchmarks.bench_nmf import kl
from skspectra.datasets import make_grain_image, make_spectrum_image
from skspectra.decomposition import PoissonNMF, SparseNMF, select_n_components

CAP = 10


def battery(quick, seed=0):
    """The cases: (generator, rank, counts, channels, side, overlap, noise)."""
    rng = np.random.default_rng(seed)
    if quick:
        ranks, counts, channels, sides = [2, 3, 5], [30, 1000, 20000], [128], [32]
        n_cases = 16
    else:
        ranks = [2, 3, 4, 5, 6, 8]
        counts = [30, 300, 3000, 20000, 100000]
        channels = [128, 512, 2048]
        sides = [32, 64, 128]
        n_cases = 60
    cases = []
    for i in range(n_cases):
        cases.append(
            dict(
                generator=("grain", "spectrum")[i % 2],
                rank=int(rng.choice(ranks)),
                cpp=float(rng.choice(counts)),
                channels=int(rng.choice(channels)),
                side=int(rng.choice(sides)),
                overlap=("separated", "overlapping")[(i // 2) % 2],
                noise=("poisson", "poisson", "gaussian")[i % 3],
                seed=i,
            )
        )
    return cases


def _generate(case, noise):
    """The image of a case and its truth, with ``noise`` (None: the rates)."""
    k, m, side = case["rank"], case["channels"], case["side"]
    kw = {
        "shape": (side, side),
        "n_channels": m,
        "counts_per_pixel": case["cpp"],
        "noise": noise,
        "random_state": case["seed"],
    }
    if case["generator"] == "grain":
        overlap = 0.0 if case["overlap"] == "separated" else 0.6
        return make_grain_image(k, overlap=overlap, **kw)
    overlap = 0.1 if case["overlap"] == "separated" else 0.9
    return make_spectrum_image(k, overlap=overlap, **kw)


def make(case):
    X, _ = _generate(case, case["noise"])
    X = X.reshape(-1, case["channels"])
    if case["noise"] == "gaussian":
        X = np.clip(X, 0, None)
    return X


def detectable_rank(case):
    """How many components of the truth stand above the noise's detection limit.

    The noiseless image is divided by the noise's standard deviation (the
    square root of its mean for Poisson counts, the generators' constant
    level for Gaussian noise); a component is detectable from the spectrum
    of the data when its squared singular value exceeds ``sqrt(N M)``, the
    phase transition of Baik, Ben Arous & Peche (Ann. Probab. 33 (2005)
    1643): below it the largest eigenvalues of signal plus noise are those
    of noise alone.
    """
    k, m = case["rank"], case["channels"]
    S, _ = _generate(case, None)
    S = S.reshape(-1, m)
    if case["noise"] == "poisson":
        Z = S / np.sqrt(np.maximum(S, np.finfo(float).tiny))
    else:
        Z = S / np.sqrt(S.mean())
    sv = np.linalg.svd(Z, compute_uv=False)
    N, M = S.shape
    return int(np.count_nonzero(sv[:k] ** 2 > np.sqrt(N * M)))


def poisson_normalised(X):
    row = X.mean(axis=1, keepdims=True)
    col = X.mean(axis=0, keepdims=True)
    scale = np.sqrt(np.maximum(row * col, np.finfo(float).tiny))
    return X / scale


def count_ard(X, case):
    cls = PoissonNMF if case["noise"] == "poisson" else SparseNMF
    return cls(CAP, random_state=0).fit(X).n_components_


def count_select(X, case):
    return select_n_components(X, max_components=CAP, random_state=0).n_components


def count_bootstrap(X, case):
    if case["noise"] != "poisson":
        return None  # a bootstrap of counts
    return select_n_components(
        X, max_components=CAP, method="bootstrap", random_state=0
    ).n_components


def count_split(X, case):
    return select_n_components(
        X, max_components=CAP, method="split", random_state=0
    ).n_components


def count_pca(X, case):
    from sklearn.decomposition import PCA

    return int(PCA(n_components="mle").fit(poisson_normalised(X)).n_components_)


def count_elbow(X, case):
    import hyperspy.api as hs

    s = hs.signals.Signal1D(X.copy())
    s.decomposition(normalize_poissonian_noise=True, print_info=False)
    return int(s.estimate_elbow_position())


METHODS = {
    "NMF ARD (Poisson/Sparse)": count_ard,
    "select_n_components": count_select,
    "bootstrap": count_bootstrap,
    "held-out split": count_split,
    "PCA mle (Poisson-normalised)": count_pca,
    "HyperSpy elbow": count_elbow,
}


def run_battery(cases, names=None):
    methods = {n: METHODS[n] for n in (names or METHODS)}
    hits = {name: [] for name in methods}
    # right when between the detectable and the true count
    fair = {name: [] for name in methods}
    print(
        f"{'case':58s} {'detect':>6s} " + " ".join(f"{n[:12]:>12s}" for n in methods),
        flush=True,
    )
    for case in cases:
        X = make(case)
        low = detectable_rank(case)
        found = {}
        for name, fn in methods.items():
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    found[name] = fn(X, case)
            except Exception as exc:  # a peer that does not run on a case
                found[name] = f"err:{type(exc).__name__}"
            if found[name] is None:  # a method for the other noise model
                found[name] = "-"
                continue
            hits[name].append(found[name] == case["rank"])
            ok = isinstance(found[name], int) and low <= found[name] <= case["rank"]
            fair[name].append(ok)
        label = (
            f"{case['generator']:8s} k={case['rank']} {case['cpp']:>7.0f}cpp "
            f"{case['channels']:>4d}ch {case['side']:>3d}px {case['overlap'][:4]} "
            f"{case['noise'][:5]}"
        )
        print(
            f"{label:58s} {low:>6d} "
            + " ".join(f"{str(found[n]):>12s}" for n in methods),
            flush=True,
        )
    for name, h in hits.items():
        rate = 100.0 * np.mean(h)
        within = 100.0 * np.mean(fair[name])
        print(
            f"{name}: right count in {rate:.1f} % of {len(h)} cases; between the "
            f"detectable and the true count in {within:.1f} %"
        )
        record("ncomp", f"{name}: detectable <= count <= true", within, unit="%")
        ours = name in (
            "NMF ARD (Poisson/Sparse)",
            "select_n_components",
            "bootstrap",
            "held-out split",
        )
        record(
            "ncomp",
            f"{name}: right count",
            rate,
            unit="%",
            target=">= 95" if ours else "",
            met=(rate >= 95) if ours else None,
        )


def _passes_to_precision(X, k):
    """Passes of a fixed-k fit stopped by the stopping test of the pruning's
    refits: at a check, an improvement of the log-likelihood per iteration of
    at most 1 % of ``(sqrt(N) + sqrt(M))^2 / 2``, confirmed by a window of
    plain updates.  (A test on every iteration's objective would stop an
    extrapolated fit at its first step that overshoots.)"""
    N, M = X.shape
    step = 0.01 * 0.5 * (np.sqrt(N) + np.sqrt(M)) ** 2
    fixed = PoissonNMF(k, ard=False, random_state=0)
    fixed._fit(X, step=step)
    return fixed.n_iter_


def _truth_factors(case):
    """The generator's maps and spectra of a case, ``W @ H`` its rates."""
    _, truth = _generate(case, None)
    return truth.maps.reshape(-1, case["rank"]), truth.components


def _best_kl(X, k, starts):
    """The lowest KL divergence of fixed-k fits (``tol=1e-7``) from
    ``starts``: an int seeds ``init`` (0: nndsvda, else random), a pair
    ``(W, H)`` is a warm start; and the factors of that fit."""
    best = (np.inf, None)
    for start in starts:
        fit = PoissonNMF(k, ard=False, tol=1e-7, max_iter=IDENTIFY_ITER)
        if isinstance(start, tuple):
            W = fit._fit(X, start=start)  # a warm start has no public route
        else:
            fit.set_params(init="random" if start else "nndsvda", random_state=start)
            W = fit.fit_transform(X)
        value = kl(X, W, fit.components_)
        if value < best[0]:
            best = (value, (W, fit.components_))
    return best


# iterations allowed to the fits of the identifiability table (they stop at
# tol=1e-7 first on all its images)
IDENTIFY_ITER = 1500


def run_identifiable():
    """Whether the true rank can be told from the data, on every image of
    the battery with a component below the detection limit.

    The gain of the K-th component is the log-likelihood between the best
    K-component fit (from the truth, nndsvda and a random start) and the
    best (K-1) one (from nndsvda, two random starts, and the K fit without
    each of its three weakest components), all converged.  Below the
    pruning threshold (what a component fitted to noise gains with
    probability 1 %), a likelihood-ratio test at that level keeps K - 1,
    however well its fits converge.
    """
    print("\nidentifiability of the true rank below the detection limit")
    n_out = 0
    for case in battery(False):
        low, k = detectable_rank(case), case["rank"]
        if low >= k:
            continue
        X = make(case)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ard = PoissonNMF(CAP, random_state=0).fit(X)
            full, (W, H) = _best_kl(X, k, [_truth_factors(case), 0, 1])
            weakest = np.argsort(W.sum(axis=0) * H.sum(axis=1))[:3]
            drops = [np.delete(np.arange(k), j) for j in weakest]
            less, _ = _best_kl(X, k - 1, [0, 1, 2] + [(W[:, d], H[d]) for d in drops])
        gain, threshold = less - full, ard.pruning_threshold_
        n_out += gain < threshold
        print(
            f"   case {case['seed']:>2} ({case['generator']}, rank {k}, "
            f"{case['cpp']:g} counts/pixel, {X.shape[0]} x {X.shape[1]}): "
            f"detectable {low}, ARD {ard.n_components_}; gain of the K-th "
            f"component {gain:,.0f} against the threshold {threshold:,.0f}",
            flush=True,
        )
    record(
        "ncomp",
        "battery images whose true rank no 1 % likelihood test can give",
        n_out,
    )


# counts per pixel of the cost table: the battery's range, low to high
COST_COUNTS = (100, 3000, 20000, 100000)


def run_cost(quick):
    """Passes and time of a pruning fit over a fixed-K fit at the true K.

    The fixed fit is counted twice: at the default ``tol=1e-4`` of both
    estimators, and with the stopping test of the pruning's refits (which
    stop on a log-likelihood step, not on ``tol``; see
    :func:`_passes_to_precision`).
    """
    side = 32 if quick else 64
    ratios, precise, times = [], [], []
    for cpp in COST_COUNTS:
        X, _ = make_grain_image(
            4, shape=(side, side), n_channels=256, counts_per_pixel=cpp, random_state=1
        )
        X = X.reshape(-1, 256)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t0 = time.process_time()
            fixed = PoissonNMF(4, ard=False, random_state=0).fit(X)
            t1 = time.process_time()
            ard = PoissonNMF(CAP, random_state=0).fit(X)
            t2 = time.process_time()
            to_precision = _passes_to_precision(X, 4)
        spent = ard.n_iter_ + ard.n_iter_refit_
        ratios.append(spent / fixed.n_iter_)
        precise.append(spent / to_precision)
        times.append((t2 - t1) / max(t1 - t0, 1e-9))
        print(
            f"cost at {cpp:>6.0f} cpp: found {ard.n_components_}, passes "
            f"{ard.n_iter_}+{ard.n_iter_refit_} vs {fixed.n_iter_} at tol=1e-4 "
            f"({ratios[-1]:.1f}x, CPU time {times[-1]:.1f}x) and {to_precision} "
            f"with the refits' stopping test ({precise[-1]:.1f}x)"
        )
    # the target compares fits to the same tolerance: the refits' test; a
    # fit at tol=1e-4 stops on a relative decrease, another precision
    record(
        "ncomp",
        "pruning fit passes / fixed-K passes with the refits' stopping test (worst)",
        max(precise),
        unit="x",
        target="<= 3",
        met=max(precise) <= 3,
    )
    record(
        "ncomp",
        "pruning fit passes / fixed-K passes at tol=1e-4 (worst)",
        max(ratios),
        unit="x",
    )
    record(
        "ncomp",
        "pruning fit CPU time / fixed-K at tol=1e-4 (worst)",
        max(times),
        unit="x",
    )


def run_big(side):
    """Wall and CPU time of select_n_components on a side x side x 1,024 image.

    Every K tried is one fit (to ``tol=1e-6``) and one randomized SVD of its
    residual, so the cost per K is the total over the number of K tried;
    the cost of a fit grows linearly with the number of pixels.
    """
    m = 1024
    X, _ = make_grain_image(
        4, shape=(side, side), n_channels=m, counts_per_pixel=1000, random_state=3
    )
    X = X.reshape(-1, m)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0, c0 = time.perf_counter(), time.process_time()
        result = select_n_components(X, max_components=CAP, random_state=0)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    n_k = len(result.ks)
    print(
        f"select_n_components on {side} x {side} x {m}: found "
        f"{result.n_components} (true 4) trying K = 1..{n_k}; wall {wall:.0f} s, "
        f"CPU {cpu:.0f} s, per K {wall / n_k:.0f} s wall"
    )
    record("ncomp", f"select_n_components {side}x{side}x{m} wall", wall, unit="s")
    record(
        "ncomp", f"select_n_components {side}x{side}x{m} per K", wall / n_k, unit="s"
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small battery")
    parser.add_argument(
        "--big",
        type=int,
        nargs="?",
        const=256,
        default=None,
        metavar="SIDE",
        help="only time select_n_components on a SIDE x SIDE x 1,024 image "
        "(default side 256)",
    )
    parser.add_argument(
        "--methods",
        nargs="+",
        choices=list(METHODS),
        default=None,
        metavar="NAME",
        help="only these methods of the battery: " + ", ".join(map(repr, METHODS)),
    )
    parser.add_argument("--no-cost", action="store_true", help="skip the cost table")
    parser.add_argument(
        "--no-battery", action="store_true", help="skip the battery of counts"
    )
    parser.add_argument(
        "--identifiable",
        action="store_true",
        help="only the gain of the true rank's last component on the images "
        "below the detection limit",
    )
    args = parser.parse_args(argv)
    if args.big is not None:
        run_big(args.big)
        return
    if args.identifiable:
        run_identifiable()
        return
    if not args.no_cost:
        run_cost(args.quick)
    if not args.no_battery:
        run_battery(battery(args.quick), args.methods)


if __name__ == "__main__":
    main()
