"""Fit time and peak memory of SpectralDendrogramTree against the same steps
written by hand with SciPy and scikit-learn.

The hand-written peer is what a user would type without skspectra:
``scipy.cluster.hierarchy.linkage(Y, "ward")`` on the spectra, ``fcluster``
to cut it, and ``sklearn.tree.DecisionTreeClassifier`` on the descriptors.
The estimator does more (mean and medoid spectrum of every cluster, cluster
numbering along the dendrogram, rules), so a ratio near 1 means its overhead
is small.  Each run is a separate process, so that the peak resident memory
(``ru_maxrss``) is that run's own.

Run ``python benchmarks/bench_tree.py`` (1,000, 5,000 and 20,000 spectra of
500 channels) or ``--quick`` (1,000 and 3,000).
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

# run from a source checkout without installing
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._record import record


def _data(n_samples, n_channels, seed=0):
    from skspectra.datasets import make_descriptor_spectra

    X, Y, _ = make_descriptor_spectra(
        n_samples, n_channels=n_channels, noise=0.05, random_state=seed
    )
    return X, Y


def _run_one(which, n_samples, n_channels, n_clusters):
    from scipy.cluster.hierarchy import fcluster, linkage
    from sklearn.tree import DecisionTreeClassifier

    from skspectra.tree import SpectralDendrogramTree

    X, Y = _data(n_samples, n_channels)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    if which == "skspectra":
        model = SpectralDendrogramTree(n_clusters=n_clusters, random_state=0)
        model.fit(X, Y)
        labels = model.labels_
    else:
        Z = linkage(Y, "ward")
        labels = fcluster(Z, n_clusters, criterion="maxclust")
        DecisionTreeClassifier(random_state=0).fit(X, labels)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return {
        "seconds": seconds,
        "peak_gb": peak * 1024 / 1e9,
        "fit_extra_gb": (peak - base) * 1024 / 1e9,
        "labels": np.asarray(labels).tolist(),
    }


def _in_subprocess(which, n_samples, n_channels, n_clusters):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    call = f"_run_one({which!r}, {n_samples}, {n_channels}, {n_clusters})"
    code = (
        f"import json, sys; sys.path.insert(0, {root!r}); "
        "from benchmarks.bench_tree import _run_one; "
        f"print(json.dumps({call}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes only")
    parser.add_argument("--channels", type=int, default=500)
    parser.add_argument("--clusters", type=int, default=4)
    args = parser.parse_args(argv)
    sizes = [1000, 3000] if args.quick else [1000, 5000, 20000]
    from sklearn.metrics import adjusted_rand_score

    print(f"load average: {os.getloadavg()}")
    print(
        f"{'spectra':>8} {'skspectra s':>12} {'by hand s':>10} {'time ratio':>10} "
        f"{'skspectra GB':>13} {'by hand GB':>11} {'same clusters':>14}"
    )
    for n in sizes:
        ours = _in_subprocess("skspectra", n, args.channels, args.clusters)
        peer = _in_subprocess("scipy+sklearn", n, args.channels, args.clusters)
        same = adjusted_rand_score(ours["labels"], peer["labels"])
        print(
            f"{n:>8} {ours['seconds']:>12.2f} {peer['seconds']:>10.2f} "
            f"{ours['seconds'] / peer['seconds']:>10.2f} "
            f"{ours['peak_gb']:>13.2f} {peer['peak_gb']:>11.2f} {same:>14.3f}"
        )
        ratio = ours["seconds"] / peer["seconds"]
        record(
            "tree",
            f"{n} spectra: fit time / SciPy linkage + sklearn tree",
            ratio,
            unit="x",
            target="small overhead",
            met=ratio <= 1.2,
        )
        if n >= 20_000:
            record(
                "tree",
                f"{n} spectra: fit time",
                ours["seconds"],
                unit=" s",
                target="<= 120 s",
                met=ours["seconds"] <= 120,
            )
            record(
                "tree",
                f"{n} spectra: peak memory",
                ours["peak_gb"],
                unit=" GB",
                target="<= 4 GB",
                met=ours["peak_gb"] <= 4,
            )
    print(f"load average: {os.getloadavg()}")
    print(
        "time ratio = skspectra / by hand (below 1: faster); GB = peak resident "
        "memory of the process; same clusters = adjusted Rand index between the "
        "two partitions."
    )


if __name__ == "__main__":
    main()
