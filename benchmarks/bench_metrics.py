"""Pairwise spectral distances: skspectra against SciPy, POT and scikit-learn.

Times, in one process, the full distance matrix between two sets of spectra
(default 2,000 x 2,000 spectra of 1,000 channels):

* Wasserstein (1-D EMD on the energy grid): skspectra against a Python loop
  of ``scipy.stats.wasserstein_distance`` and against POT's batched 1-D
  solver ``ot.wasserstein_1d``.  Both peers are far too slow for the full
  matrix, so they are timed on a sample of pairs (SciPy) or of rows (POT)
  and extrapolated linearly to all pairs; the output says so.
* cosine and Pearson (1 - r): skspectra against
  ``sklearn.metrics.pairwise_distances`` (metric "cosine" and "correlation").

Values are checked against the peers on the sampled pairs.  Run as
``python benchmarks/bench_metrics.py`` (``--quick`` for a small run).
"""

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import scipy.stats
from sklearn.metrics import pairwise_distances

# run from a source checkout without installing
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._record import record
from skspectra.metrics import pairwise_spectral_distances


def _spectra(n, m, energy, rng):
    """Positive XANES-like spectra: an edge step, a white line, two peaks."""
    e = energy[None, :]
    edge = rng.uniform(0.35, 0.45, (n, 1)) * (energy[-1] - energy[0]) + energy[0]
    width = energy[-1] - energy[0]
    X = 0.5 + np.arctan((e - edge) / (0.01 * width)) / np.pi
    X += rng.uniform(0.5, 1.5, (n, 1)) * np.exp(
        -(((e - edge - 0.02 * width) / (0.015 * width)) ** 2)
    )
    for _ in range(2):
        c = rng.uniform(0.2, 0.9, (n, 1)) * width + energy[0]
        X += rng.uniform(0.05, 0.3, (n, 1)) * np.exp(-(((e - c) / (0.02 * width)) ** 2))
    X += 0.01 * rng.random((n, m))
    return X


def _best_of(fn, repeat):
    best, out = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def _wasserstein(X, Y, energy, repeat):
    """skspectra's Wasserstein matrix: one thread, all threads, X against X."""
    print("Wasserstein (1-D EMD on the energy grid)")
    t_sk, D = _best_of(
        lambda: pairwise_spectral_distances(X, Y, "wasserstein", energy), repeat
    )
    t_sk_par, D_par = _best_of(
        lambda: pairwise_spectral_distances(X, Y, "wasserstein", energy, n_jobs=-1),
        repeat,
    )
    assert np.array_equal(D, D_par)
    t_sk_self, _ = _best_of(
        lambda: pairwise_spectral_distances(X, None, "wasserstein", energy, n_jobs=-1),
        repeat,
    )
    print(f"  skspectra, 1 thread             {t_sk:9.3f} s")
    print(f"  skspectra, n_jobs=-1            {t_sk_par:9.3f} s")
    print(f"  skspectra, X vs X, n_jobs=-1    {t_sk_self:9.3f} s (upper triangle only)")
    return min(t_sk, t_sk_par), D


def _scipy_loop(X, Y, energy, D, n_sample, rng):
    """Time of SciPy's pair-by-pair Wasserstein, extrapolated to every pair."""
    n = len(X)
    rows = rng.integers(0, n, n_sample)
    cols = rng.integers(0, n, n_sample)
    t0 = time.perf_counter()
    ref = np.array(
        [
            scipy.stats.wasserstein_distance(energy, energy, X[i], Y[j])
            for i, j in zip(rows, cols, strict=True)
        ]
    )
    t_scipy = (time.perf_counter() - t0) / n_sample * n * n
    rel = np.max(np.abs(D[rows, cols] - ref) / ref)
    print(
        f"  scipy.stats loop                {t_scipy:9.1f} s (extrapolated from "
        f"{n_sample} timed pairs); max relative difference {rel:.1e}"
    )
    return t_scipy


def _pot(X, Y, energy, D, pot_rows):
    """Time of POT's batched 1-D Wasserstein, extrapolated; NaN without POT."""
    try:
        import ot
    except ImportError:
        print("  POT not installed")
        return np.nan
    n = len(X)
    e_col = energy[:, None]
    t0 = time.perf_counter()
    pot = []
    for i in range(pot_rows):
        u = np.repeat(X[i][:, None] / X[i].sum(), n, axis=1)
        v = (Y / Y.sum(axis=1, keepdims=True)).T
        # the grid is sorted already: spare POT its sort
        pot.append(ot.wasserstein_1d(e_col, e_col, u, v, p=1, require_sort=False))
    t_pot = (time.perf_counter() - t0) / pot_rows * n
    rel_pot = np.max(np.abs(D[:pot_rows] - np.array(pot)) / D[:pot_rows])
    print(
        f"  POT ot.wasserstein_1d (batched) {t_pot:9.1f} s (extrapolated from "
        f"{pot_rows} rows x {n}); max relative difference {rel_pot:.1e}"
    )
    return t_pot


def _wasserstein_peers(X, Y, energy, repeat, quick, rng):
    """skspectra's Wasserstein against the SciPy loop and POT, recorded."""
    n, m = X.shape
    best, D = _wasserstein(X, Y, energy, repeat)
    t_scipy = _scipy_loop(X, Y, energy, D, 400 if quick else 2000, rng)
    t_pot = _pot(X, Y, energy, D, 5 if quick else 20)
    print(
        f"  speed-up of skspectra (best): {t_scipy / best:,.0f}x over the SciPy loop, "
        f"{t_pot / best:,.1f}x over POT\n"
    )
    record(
        "metrics",
        f"wasserstein {n}x{n}x{m}: speed-up over scipy loop",
        t_scipy / best,
        unit="x",
        target=">= 100",
        met=t_scipy / best >= 100,
    )
    record(
        "metrics",
        "wasserstein: speed-up over POT 1-D",
        t_pot / best,
        unit="x",
        target="> 1",
        met=t_pot / best > 1,
    )
    return D


def _l1_engines(X, Y, energy, D):
    """The L1 step on the same CDF embedding, in other engines."""
    print("The L1 step on the same CDF embedding, other engines (X vs Y):")
    from scipy.spatial.distance import cdist
    from sklearn.metrics import DistanceMetric

    from skspectra.metrics import get_metric

    metric = get_metric("wasserstein")
    Zx, Zy = metric.embed(X, energy), metric.embed(Y, energy)
    engines = [
        ("one scipy cdist call", lambda: cdist(Zx, Zy, "cityblock")),
        (
            "sklearn pairwise_distances manhattan, n_jobs=-1",
            lambda: pairwise_distances(Zx, Zy, metric="manhattan", n_jobs=-1),
        ),
        (
            "sklearn DistanceMetric manhattan, float32",
            lambda: DistanceMetric.get_metric("manhattan", dtype=np.float32).pairwise(
                Zx.astype(np.float32), Zy.astype(np.float32)
            ),
        ),
    ]
    for label, fn in engines:
        t_engine, D_engine = _best_of(fn, 1)
        err = np.max(np.abs(D_engine - D) / D)
        print(f"  {label:48s} {t_engine:7.3f} s  (max relative difference {err:.0e})")
    print()


def _cosine_pearson(X, Y, repeat):
    """Cosine and Pearson against scikit-learn's pairwise_distances, recorded."""
    for name, sk_name in [("cosine", "cosine"), ("pearson", "correlation")]:
        t_ours, D1 = _best_of(
            lambda name=name: pairwise_spectral_distances(X, Y, name), repeat
        )
        t_sk_lib, D2 = _best_of(
            lambda sk_name=sk_name: pairwise_distances(X, Y, metric=sk_name), repeat
        )
        diff = np.max(np.abs(D1 - D2))
        record(
            "metrics",
            f"{name}: time / scikit-learn pairwise_distances",
            t_ours / t_sk_lib,
            unit="x",
            target="<= 1.5",
            met=t_ours / t_sk_lib <= 1.5,
        )
        print(
            f"{name:8s} skspectra {t_ours:7.3f} s | scikit-learn "
            f"pairwise_distances(metric={sk_name!r}) {t_sk_lib:7.3f} s | "
            f"ratio skspectra/sklearn {t_ours / t_sk_lib:5.2f} | max |diff| {diff:.1e}"
        )


def _every_metric(X, Y, energy):
    from skspectra.metrics import METRIC_NAMES

    print("\nEvery metric, X vs Y, n_jobs=-1:")
    for name in METRIC_NAMES:
        t_metric, _ = _best_of(
            lambda name=name: pairwise_spectral_distances(
                X, Y, name, energy, n_jobs=-1
            ),
            1,
        )
        print(f"  {name:15s} {t_metric:7.3f} s")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small run")
    parser.add_argument("--n", type=int, default=None, help="spectra per set")
    parser.add_argument("--channels", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--all", action="store_true", help="also time every metric of skspectra"
    )
    args = parser.parse_args(argv)
    n = args.n or (300 if args.quick else 2000)
    m = 200 if args.quick and args.channels == 1000 else args.channels
    repeat = 1 if args.quick else args.repeat
    rng = np.random.default_rng(0)
    energy = np.linspace(7100.0, 7200.0, m)
    X = _spectra(n, m, energy, rng)
    Y = _spectra(n, m, energy, rng)
    print(f"load average (1, 5, 15 min): {os.getloadavg()}, cpus: {os.cpu_count()}")
    print(f"{n} x {n} spectra of {m} channels ({n * n:,} pairs), float64\n")
    D = _wasserstein_peers(X, Y, energy, repeat, args.quick, rng)
    _l1_engines(X, Y, energy, D)
    _cosine_pearson(X, Y, repeat)
    if args.all:
        _every_metric(X, Y, energy)
    print(f"\nload average at the end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
