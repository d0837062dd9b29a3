"""Benchmark of SpectrumPropertyRegressor against the usual regressors.

Run as ``python benchmarks/bench_regressor.py`` (``--quick`` for a small run).

1. Synthetic XANES with known parameters: every model is trained on clean
   spectra and tested on clean spectra and on spectra with Gaussian noise at
   signal-to-noise 20 and 5; R^2 per target.  Peers: the same network without
   augmentation, KernelRidge (RBF), PLSRegression, the similarity kNN
   estimator, and scikit-learn's MLPRegressor (same layers, for speed).
2. Speed: training on 150,000 spectra x 200 channels, prediction rate.
3. Real spectra: cross-validated prediction of the continuous dNNO label of 28
   measured V K-edge glass spectra, and of the oxidation state of measured
   reference spectra, against PLS and LassoLars.

Nothing is written into the package; the tables go to standard output.
"""

import argparse
import csv
import os
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.cross_decomposition import PLSRegression
from sklearn.exceptions import ConvergenceWarning
from sklearn.kernel_ridge import KernelRidge
from sklearn.linear_model import LassoLars
from sklearn.metrics import mean_absolute_error, r2_score
from sklearn.model_selection import (
    GridSearchCV,
    KFold,
    cross_val_predict,
)
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skspectra.datasets import find_data_dir
from skspectra.neural_network import SpectrumPropertyRegressor
from skspectra.neural_network._augment import add_gaussian_noise

warnings.filterwarnings("ignore", category=ConvergenceWarning)


# -- data --------------------------------------------------------------------


def synthetic(n, rng, n_channels=200):
    """XANES-like spectra from three known parameters (edge, white line).

    An arctangent edge at e0 and a Gaussian white line of height h and width w
    on a 0-1 energy axis.  Returns spectra, targets and target names.
    """
    e = np.linspace(0, 1, n_channels)
    e0 = rng.uniform(0.3, 0.5, n)
    h = rng.uniform(0.3, 1.2, n)
    w = rng.uniform(0.02, 0.06, n)
    edge = 0.5 + np.arctan((e - e0[:, None]) / 0.02) / np.pi
    line = h[:, None] * np.exp(-0.5 * ((e - e0[:, None] - 0.05) / w[:, None]) ** 2)
    return edge + line, np.column_stack([e0, h, w]), ["e0", "height", "width"]


def noisy(X, snr, seed):
    """Test spectra with Gaussian noise of std (max - min) / snr."""
    if snr is None:
        return X
    return add_gaussian_noise(X, snr, np.random.default_rng(seed))


def load_v_glasses(data_dir, grid):
    """The 28 V K-edge glass spectra, edge-step normalised, on ``grid``."""
    folder = data_dir / "xanes"
    with open(folder / "labels.csv", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["file"] == "athena_v_glasses.npz"]
    data = np.load(folder / "athena_v_glasses.npz")
    X, y = [], []
    for row in rows:
        e = data[row["group"] + "/energy"]
        mu = data[row["group"] + "/mu"]
        # the signed label is in the note: "dNNO (...) = -1.2; ..."
        y.append(float(row["note"].split("=")[1].split(";")[0]))
        X.append(np.interp(grid, e, _edge_step_normalise(e, mu, 5465.0)))
    return np.array(X), np.array(y)


def _edge_step_normalise(e, mu, e0):
    """Subtract a pre-edge line, divide by the mean post-edge level."""
    pre = (e > e0 - 80) & (e < e0 - 15)
    post = (e > e0 + 65) & (e < e0 + 150)
    line = np.polyval(np.polyfit(e[pre], mu[pre], 1), e)
    mu = mu - line
    return mu / mu[post].mean()


# -- helpers -----------------------------------------------------------------


def knn_peer():
    """The similarity kNN estimator, or scikit-learn's kNN when absent."""
    try:
        from skspectra.neighbors import SimilarityKNNEstimator
    except ImportError:
        from sklearn.neighbors import KNeighborsRegressor

        return "KNeighborsRegressor(k=5)", KNeighborsRegressor(5, weights="distance")
    return "SimilarityKNNEstimator", SimilarityKNNEstimator()


def fmt_row(name, cells, width=26):
    return f"{name:<{width}}" + "".join(f"{c:>10}" for c in cells)


def timed_fit(est, X, y):
    t = time.perf_counter()
    est.fit(X, y)
    return time.perf_counter() - t


# -- sections ----------------------------------------------------------------


def bench_synthetic(n_train, n_test, seed, n_krr):
    rng = np.random.default_rng(seed)
    X, Y, names = synthetic(n_train, rng)
    Xt, Yt, _ = synthetic(n_test, rng)
    print(f"\n## 1. Synthetic XANES: {n_train} clean training spectra, 200 channels")
    print(f"   targets {names}; test: {n_test} spectra, clean / SNR 20 / SNR 5\n")

    net = dict(hidden_layer_sizes=(128, 64), n_estimators=5, random_state=seed)
    models = [
        (
            "SPR augmented",
            SpectrumPropertyRegressor(noise_snr=(3.0, 300.0), **net),
            n_train,
        ),
        (
            "SPR no augmentation",
            SpectrumPropertyRegressor(noise_snr=None, **net),
            n_train,
        ),
        (
            "KernelRidge (RBF)",
            GridSearchCV(
                make_pipeline(StandardScaler(), KernelRidge(kernel="rbf")),
                {
                    "kernelridge__alpha": [1e-3, 1e-2, 1e-1],
                    "kernelridge__gamma": [1e-4, 1e-3, 1e-2],
                },
                cv=3,
            ),
            min(n_krr, n_train),
        ),
        (
            "PLSRegression",
            GridSearchCV(
                PLSRegression(scale=False),
                {"n_components": [2, 4, 8, 12, 16, 24]},
                cv=3,
            ),
            n_train,
        ),
    ]
    knn_name, knn = knn_peer()
    models.append((knn_name, knn, n_train))

    snrs = [None, 20.0, 5.0]
    tests = {snr: noisy(Xt, snr, seed + 1) for snr in snrs}
    header = ["fit s"] + [
        f"{t}@{'clean' if s is None else int(s)}" for s in snrs for t in names
    ]
    print(fmt_row("model", header))
    results = {}
    for name, est, n_fit in models:
        fit_s = timed_fit(est, X[:n_fit], Y[:n_fit])
        cells = [f"{fit_s:.1f}"]
        r2s = {}
        for snr in snrs:
            r2 = r2_score(Yt, est.predict(tests[snr]), multioutput="raw_values")
            r2s[snr] = r2
            cells += [f"{v:.3f}" for v in r2]
        results[name] = r2s
        label = name if n_fit == n_train else f"{name} (n={n_fit})"
        print(fmt_row(label, cells), flush=True)

    aug = results["SPR augmented"]
    print(
        f"\n   SPR augmented at SNR 20: min R^2 over targets "
        f"{aug[20.0].min():.3f} (goal >= 0.9)"
    )
    for name, r2s in results.items():
        if name == "SPR augmented":
            continue
        better = np.all(aug[5.0] > r2s[5.0])
        print(
            f"   at SNR 5, SPR augmented vs {name}: mean R^2 "
            f"{aug[5.0].mean():.3f} vs {r2s[5.0].mean():.3f}; better on every "
            f"target: {bool(better)}"
        )
    return X, Y


def bench_mlp_speed(X, Y, seed, epochs=10):
    """Per-epoch cost: this network against scikit-learn's MLPRegressor."""
    print(f"\n   epoch cost, one network (128, 64), {len(X)} spectra, {epochs} epochs:")
    ours = SpectrumPropertyRegressor(
        hidden_layer_sizes=(128, 64),
        n_estimators=1,
        max_iter=epochs,
        early_stopping=False,
        n_iter_no_change=epochs + 1,
        noise_snr=None,
        random_state=seed,
    )
    ours_aug = SpectrumPropertyRegressor(
        **{**ours.get_params(), "noise_snr": (3.0, 300.0)}
    )
    theirs = MLPRegressor(
        hidden_layer_sizes=(128, 64),
        batch_size=256,
        max_iter=epochs,
        n_iter_no_change=epochs + 1,
        random_state=seed,
    )
    Xs = (X - X.mean(axis=0)) / X.std()
    Ys = (Y - Y.mean(axis=0)) / Y.std(axis=0)
    t_ours = timed_fit(ours, X, Y)
    t_aug = timed_fit(ours_aug, X, Y)
    t_theirs = timed_fit(theirs, Xs, Ys)
    print(
        f"   SpectrumPropertyRegressor {t_ours / epochs:.3f} s/epoch "
        f"({t_aug / epochs:.3f} with fresh noise every epoch); MLPRegressor "
        f"{t_theirs / epochs:.3f} s/epoch; ratio MLPRegressor/ours "
        f"{t_theirs / t_ours:.2f}"
    )


def bench_speed(n, seed, n_estimators):
    print(f"\n## 2. Speed: {n} spectra x 200 channels, {n_estimators} networks")
    rng = np.random.default_rng(seed)
    X, Y, _ = synthetic(n, rng)
    X = X.astype(np.float32)
    reg = SpectrumPropertyRegressor(
        hidden_layer_sizes=(128, 64),
        n_estimators=n_estimators,
        max_iter=60,
        noise_snr=(3.0, 300.0),
        random_state=seed,
    )
    fit_s = timed_fit(reg, X, Y)
    epochs = [len(c) for c in reg.loss_curves_]
    print(
        f"   fit {fit_s:.0f} s ({fit_s / 60:.1f} min; goal <= 15 min), epochs per "
        f"network {epochs}, {fit_s / sum(epochs):.2f} s per network-epoch"
    )
    reg.predict(X[:1000])
    for return_std in (False, True):
        t = time.perf_counter()
        reg.predict(X, return_std=return_std)
        dt = time.perf_counter() - t
        print(
            f"   predict{' with std' if return_std else ''}: {n / dt:,.0f} "
            "spectra/s (goal >= 100,000)"
        )
    Xt, Yt, _ = synthetic(5000, rng)
    r2 = r2_score(Yt, reg.predict(noisy(Xt, 20.0, seed)), multioutput="raw_values")
    print(f"   R^2 at SNR 20 after training on {n}: {np.round(r2, 4)}")


def bench_v_glasses(data_dir, seed, n_estimators):
    print("\n## 3a. Measured V K-edge glasses: dNNO (28 spectra), 7-fold CV")
    grid = np.linspace(5455.0, 5530.0, 150)
    X, y = load_v_glasses(data_dir, grid)
    cv = KFold(7, shuffle=True, random_state=seed)
    models = {
        "SpectrumPropertyRegressor": SpectrumPropertyRegressor(
            hidden_layer_sizes=(32,),
            n_estimators=n_estimators,
            batch_size=8,
            alpha=1e-3,
            noise_snr=(20.0, 500.0),
            random_state=seed,
        ),
        "SPR no augmentation": SpectrumPropertyRegressor(
            hidden_layer_sizes=(32,),
            n_estimators=n_estimators,
            batch_size=8,
            alpha=1e-3,
            noise_snr=None,
            random_state=seed,
        ),
        "PLSRegression(2)": PLSRegression(2),
        "PLSRegression(4)": PLSRegression(4),
        "LassoLars(alpha=1e-3)": LassoLars(alpha=1e-3),
        "LassoLars(alpha=1e-2)": LassoLars(alpha=1e-2),
    }
    print(fmt_row("model", ["R^2", "MAE", "s"]))
    for name, est in models.items():
        t = time.perf_counter()
        pred = np.ravel(cross_val_predict(est, X, y, cv=cv))
        dt = time.perf_counter() - t
        cells = [
            f"{r2_score(y, pred):.3f}",
            f"{mean_absolute_error(y, pred):.2f}",
            f"{dt:.1f}",
        ]
        print(fmt_row(name, cells), flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small, fast run")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-speed", action="store_true")
    args = parser.parse_args(argv)
    print(f"load average before: {os.getloadavg()}")
    if args.quick:
        n_train, n_test, n_krr, n_speed, n_est = 2000, 1000, 1000, 10000, 2
    else:
        n_train, n_test, n_krr, n_speed, n_est = 20000, 4000, 4000, 150000, 5
    X, Y = bench_synthetic(n_train, n_test, args.seed, n_krr)
    bench_mlp_speed(X, Y, args.seed, epochs=3 if args.quick else 10)
    if not args.skip_speed:
        bench_speed(n_speed, args.seed, n_est)
    data_dir = find_data_dir(
        extra=[Path(__file__).resolve().parents[1].parent / "shared" / "data"]
    )
    if data_dir is None:
        print("\n## 3. real spectra: data folder not found, skipped")
    else:
        bench_v_glasses(data_dir, args.seed, n_est)
    print(f"\nload average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
