"""Soak run: many consecutive fits of every public estimator in one process.

    python benchmarks/soak.py [--n 1000] [--only NAME ...]

Each public estimator (found by :func:`skspectra.utils.all_estimators`, with
the fast constructor arguments of ``tests/_estimator_settings.py``) is fitted
``--n`` times on new random small inputs, then transforms or predicts.  The
resident memory of the process (``/proc/self/statm``) is read after a warm-up
round of every estimator and after each estimator's run: it must stay flat,
growing by at most 10 %.  Every warning is caught; those the estimators
document for the fast settings (too few iterations, ARD keeping every
component) are counted, any other one fails the run.

Not part of ``python -m benchmarks``: at the default ``--n`` it runs for
minutes.  Exits with status 1 when memory grows or an undocumented warning
appears.
"""

import argparse
import gc
import os
import re
import resource
import sys
import time
import warnings
from pathlib import Path

import numpy as np

# run from a source checkout without installing; the estimator settings are
# those of the common tests
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from benchmarks._record import record

# resident memory may grow by this fraction over the run
MAX_GROWTH = 0.10
# fits of every estimator before the baseline: caches, lazy imports, pools
WARMUP = 20
# warnings the estimators document for the fast settings used here (too few
# iterations, ARD keeping every component), and those of scikit-learn's
# Gaussian-process hyperparameter search, which the transfer regressor passes
# on: a length scale at its bound, or L-BFGS stopping early
DOCUMENTED_WARNINGS = (
    re.compile(r"max_iter"),
    re.compile(r"kept all n_components"),
    re.compile(r"ConvergenceWarning: The optimal value found for dimension"),
    re.compile(r"ConvergenceWarning: lbfgs failed to converge"),
)


def _rss_bytes():
    """Resident memory of this process (peak on systems without /proc)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as handle:
            pages = int(handle.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        scale = 1 if sys.platform == "darwin" else 1024
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def _data(name, seed):
    """Random small ``(fit arguments, arguments of transform or predict)``."""
    from skspectra.datasets import (
        make_descriptor_spectra,
        make_lorentzian_peaks,
        make_spectrum_image,
        make_xanes_series,
    )

    rng = np.random.default_rng(seed)
    if name == "ESPRITPeaks":
        P, _ = make_lorentzian_peaks(4, 128, random_state=seed)
        return (P,), (P,)
    if name in ("SparseNMF", "PoissonNMF"):
        image, _ = make_spectrum_image(
            2, shape=(8, 8), n_channels=48, counts_per_pixel=300, random_state=seed
        )
        Xi = image.reshape(-1, 48)
        return (Xi,), (Xi,)
    if name == "SpectralDendrogramTree":
        D, Y, _ = make_descriptor_spectra(
            n_samples=30, n_channels=48, random_state=seed
        )
        return (D, Y), (D,)
    if name == "TransferGaussianProcessRegressor":
        sites = rng.uniform(size=(20, 2))
        energy = np.sin(6.0 * sites[:, 0]) + np.cos(4.0 * sites[:, 1])
        energy += 0.05 * rng.standard_normal(energy.size)
        return (sites, energy), (sites,)
    xanes = make_xanes_series(30, 48, random_state=seed)
    X, target = xanes.data, xanes.target
    if name == "SimilarityKNNClassifier":
        return (X, np.round(target[:, 0]).astype(int)), (X,)
    if name == "SimilarityKNNEstimator":
        return (X, target), (X,)
    if name == "SpectrumPropertyRegressor":
        return (X, target[:, 0]), (X,)
    return (X,), (X,)


def _run(estimator, seed, caught):
    """Fit a clone on new data, then transform or predict; keep warnings."""
    from sklearn.base import clone

    fit_args, apply_args = _data(type(estimator).__name__, seed)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        est = clone(estimator).fit(*fit_args)
        method = est.transform if hasattr(est, "transform") else est.predict
        method(*apply_args)
    for w in seen:
        # the message up to its first ";": the advice after it repeats
        text = f"{w.category.__name__}: {w.message}".split(";")[0]
        caught[text] = caught.get(text, 0) + 1


def _undocumented(caught):
    return {
        text: count
        for text, count in caught.items()
        if not any(p.search(text) for p in DOCUMENTED_WARNINGS)
    }


def main(argv=None):
    from _estimator_settings import INIT_PARAMS

    from skspectra.utils.discovery import all_estimators

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="fits per estimator")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="estimators")
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error(f"--n must be at least 1; got {args.n}")
    estimators = [
        cls(**INIT_PARAMS.get(cls, {}))
        for name, cls in all_estimators()
        if not args.only or name in args.only
    ]
    print(f"load average: {os.getloadavg()}; {args.n} fits per estimator")
    caught = {}
    for est in estimators:
        for seed in range(WARMUP):
            _run(est, seed, caught)
    gc.collect()
    baseline = _rss_bytes()
    print(f"resident memory after {WARMUP} warm-up fits each: {baseline / 1e6:.1f} MB")
    failed = False
    for est in estimators:
        name = type(est).__name__
        start_rss, start = _rss_bytes(), time.perf_counter()
        for seed in range(WARMUP, WARMUP + args.n):
            _run(est, seed, caught)
        gc.collect()
        rss = _rss_bytes()
        print(
            f"{name:34s} {time.perf_counter() - start:7.1f} s  resident "
            f"{start_rss / 1e6:7.1f} -> {rss / 1e6:7.1f} MB "
            f"({rss / start_rss - 1:+.1%} during, {rss / baseline - 1:+.1%} overall)"
        )
    growth = _rss_bytes() / baseline - 1
    met = growth <= MAX_GROWTH
    failed |= not met
    record(
        "soak",
        f"resident memory growth over {args.n} fits of each estimator",
        100 * growth,
        unit="%",
        target=f"<= {100 * MAX_GROWTH:g}",
        met=met,
    )
    print("warnings caught:")
    for text, count in sorted(caught.items()):
        print(f"  {count:6d}  {text}")
    other = _undocumented(caught)
    record("soak", "undocumented warnings", len(other), target="0", met=not other)
    failed |= bool(other)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
