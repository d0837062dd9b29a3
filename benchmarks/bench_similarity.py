"""Similarity kNN: accuracy by metric and noise, and speed against the peers.

Run ``python benchmarks/bench_similarity.py`` (add ``--quick`` for a small
run).  Three parts, in one process:

1. The experiment of Suzuki et al. (npj Comput. Mater. 5, 39 (2019)) on
   ``make_xanes_series(edge="L23")``, L2,3 spectra as in the paper (10Dq
   splits the white lines): a noiseless reference library with valence 2-4
   and crystal field 10Dq 0-2.5 eV, noisy measured spectra from no noise to
   signal-to-noise 5; the mean absolute error of valence and 10Dq for every
   metric.  The last row is the Bayes posterior mean under the true noise
   model (Euclidean distance, Gaussian kernel of width the true noise
   level, over the library drawn from the prior): the lowest mean squared
   error any estimator can reach from these spectra.  A smaller table
   follows on the K edge (``edge="K"``), where 10Dq only splits a weak
   pre-edge and is nearly lost in noise.  Negative noisy values
   are clipped to zero for the metrics that need a distribution.
2. Speed on a large library (100,000 x 1,000, 10,000 queries, k=5):
   SimilarityKNNEstimator against the floor (the bare BLAS product of queries
   and library, chunked the same way), scikit-learn's compiled brute-force
   search on the embedded spectra, and scikit-learn's KNeighborsRegressor
   with the metric as a Python callable (timed on a subsample of queries and
   extrapolated linearly, as said in the output).
3. Speed on a library the size of the paper's (10,000 x 500): microseconds
   per query, with ``n_jobs=-1`` and with the ``--n-jobs`` given (default
   one thread for the search, BLAS on all cores), each against the target.
4. Speed over library structure (20,000 x 500, 2,000 queries, k=5, on every
   core): random gamma spectra (no structure for the bounds to use),
   XANES-like spectra, and a library of duplicated references; per query,
   SimilarityKNNEstimator, its brute-force path (``algorithm="brute"``),
   scikit-learn's NearestNeighbors on the embedded spectra and the BLAS
   floor (``Q @ R.T``), with the ratios, and the CPU time of the search and
   of its brute-force path summed over their threads (on a shared machine
   the wall clock also counts the time spent waiting for a core); the two
   paths are timed in turns, best of three each.

Nothing is written to disk.
"""

import argparse
import os
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

# run from a source checkout without installing
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from sklearn.neighbors import KNeighborsRegressor, NearestNeighbors

from benchmarks._record import record
from skspectra import metrics
from skspectra.datasets import make_xanes_series
from skspectra.neighbors import SimilarityKNNEstimator


def _timeit(fn, repeat=1):
    best = np.inf
    out = None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def _cpu_time(fn):
    """CPU seconds of one call, over all threads: on a shared machine it
    counts the work done, where the wall clock also counts the waiting."""
    start = time.process_time()
    fn()
    return time.process_time() - start


def _library(n, n_channels, seed, noise=None, edge="K"):
    parts = []
    targets = []
    for start in range(0, n, 10000):
        d = make_xanes_series(
            min(10000, n - start),
            n_channels,
            edge=edge,
            noise=noise,
            random_state=seed + start,
        )
        parts.append(d.data)
        targets.append(d.target)
        energy = d.energy
    return np.vstack(parts), np.vstack(targets), energy


def accuracy_table(quick, edge="L23"):
    n_lib, n_q, n_ch = (3000, 200, 256) if quick else (20000, 1000, 512)
    X, y, energy = _library(n_lib, n_ch, seed=0, edge=edge)
    title = {
        "L23": "L2,3 edge (make_xanes_series edge='L23', as in the paper)",
        "K": "K edge (make_xanes_series edge='K', 10Dq on a weak pre-edge)",
    }[edge]
    print(
        f"\n## 1{'a' if edge == 'L23' else 'b'}. {title}\n"
        f"Estimation error (MAE) by metric and noise: library {n_lib} "
        f"noiseless spectra x {n_ch} channels, {n_q} queries, k=10 uniform"
    )
    levels = [None, 50, 20, 10, 5]
    queries = {
        snr: make_xanes_series(n_q, n_ch, edge=edge, noise=snr, random_state=10_000 + i)
        for i, snr in enumerate(levels)
    }
    header = "metric".ljust(16) + "".join(
        f"{'clean' if s is None else f'SNR {s}':>17}" for s in levels
    )
    print(header)
    print(" " * 16 + "  valence    10Dq" * len(levels))
    best = {}
    for name in metrics.METRIC_NAMES:
        est = SimilarityKNNEstimator(n_neighbors=10, metric=name, energy=energy)
        est.fit(X, y)
        row = name.ljust(16)
        for snr, q in queries.items():
            Q = q.data
            if metrics.get_metric(name).requires_non_negative:
                Q = np.clip(Q, 0.0, None)
            mae = np.abs(est.predict(Q) - q.target).mean(axis=0)
            row += f"  {mae[0]:7.3f} {mae[1]:7.3f}"
            if snr == 20:
                best[name] = mae
        print(row, flush=True)
    row = "Bayes (oracle)".ljust(16)
    for snr, q in queries.items():
        if snr is None:
            row += f"  {'-':>7} {'-':>7}"
            continue
        sigma = float(np.sqrt((q.noiseless**2).mean(axis=1)).mean() / snr)
        est = SimilarityKNNEstimator(
            n_neighbors=200,
            metric="euclidean",
            weights="gaussian",
            bandwidth=sigma,
            energy=energy,
        ).fit(X, y)
        mae = np.abs(est.predict(q.data) - q.target).mean(axis=0)
        row += f"  {mae[0]:7.3f} {mae[1]:7.3f}"
        if snr == 20:
            oracle = mae
    print(row)
    name = min(best, key=lambda n: best[n][1])
    print(
        f"best metric at SNR 20 for 10Dq: {name} (valence MAE {best[name][0]:.3f}, "
        f"10Dq MAE {best[name][1]:.3f} eV)"
    )
    # the paper's targets at SNR 20: valence MAE < 0.1, 10Dq MAE < 0.15 eV,
    # by one metric
    name = min(best, key=lambda n: max(best[n][0] / 0.1, best[n][1] / 0.15))
    met = best[name][0] < 0.1 and best[name][1] < 0.15
    if edge == "K":
        # not the paper's experiment: on the K edge 10Dq only splits a weak
        # pre-edge: the Bayes posterior mean, the estimator of least squared
        # error, is itself far above 0.15 eV; shown, without a target
        for label, mae in ((f"best metric ({name})", best[name]), ("Bayes", oracle)):
            record(
                "similarity",
                f"K edge side table, SNR 20, {label}: 10Dq MAE",
                mae[1],
                unit=" eV",
            )
        print(
            f"K edge at SNR 20: best metric {name} 10Dq MAE {best[name][1]:.3f} eV, "
            f"Bayes posterior mean (least squared error) {oracle[1]:.3f} eV"
        )
        return
    record(
        "similarity",
        f"{edge} SNR 20, best metric ({name}): valence MAE",
        best[name][0],
        target="< 0.1",
        met=best[name][0] < 0.1,
    )
    record(
        "similarity",
        f"{edge} SNR 20, best metric ({name}): 10Dq MAE",
        best[name][1],
        unit=" eV",
        target="< 0.15 eV",
        met=best[name][1] < 0.15,
    )
    print(
        f"target at SNR 20 (valence MAE < 0.1 and 10Dq MAE < 0.15 eV): "
        f"{'met' if met else 'NOT met'}, closest {name} "
        f"({best[name][0]:.3f}, {best[name][1]:.3f} eV)"
    )


def _floor(Q, L, chunk, batch=1024):
    """The bare BLAS product of queries and library, block by block, into one
    preallocated buffer (no allocation or page faults in the timing)."""
    out = np.empty((batch, chunk), dtype=np.result_type(Q, L))
    for s in range(0, L.shape[0], chunk):
        Lc = L[s : s + chunk]
        for b in range(0, Q.shape[0], batch):
            Qb = Q[b : b + batch]
            np.matmul(Qb, Lc.T, out=out[: Qb.shape[0], : Lc.shape[0]])


def _callable_rate(X, y, Q, func, energy, n_sub):
    est = KNeighborsRegressor(
        n_neighbors=5,
        metric=func,
        metric_params={"energy": energy},
        algorithm="brute",
    ).fit(X, y)
    t, _ = _timeit(lambda: est.predict(Q[:n_sub]))
    return t / n_sub


def _sklearn_compiled(m, Z, Zq, ind, n_sub):
    """scikit-learn's compiled brute force on the embedding, on ``n_sub``
    queries: (time extrapolated to every query, its metric, the fraction of
    neighbours it shares with ``ind``)."""
    n_q = len(Zq)
    sk_metric = "manhattan" if m.embedded_metric == "manhattan" else "euclidean"
    nn = NearestNeighbors(n_neighbors=5, algorithm="brute", metric=sk_metric)
    nn.fit(Z)
    t_sk, (_, sk_ind) = _timeit(lambda: nn.kneighbors(Zq[:n_sub]))
    same = float(np.mean(np.sort(sk_ind, 1) == np.sort(ind[:n_sub], 1)))
    return t_sk * n_q / n_sub, sk_metric, same


def _large_one(name, X, y, Q, energy, quick, n_jobs):
    """The timings of one metric on the large library, as a dict."""
    m = metrics.get_metric(name)
    Qm = np.clip(Q, 0.0, None) if m.requires_non_negative else Q
    Z = m.embed(X, energy)
    Zq = m.embed(Qm, energy)
    n_q = len(Q)
    # best of two: the machine may be shared, and load drifts
    t_floor, _ = _timeit(lambda: _floor(Zq, Z, 8192), repeat=2)
    result = {"metric": name, "floor": t_floor, "brute": np.nan}
    # the brute-force variant (no lower bounds) once, for comparison
    algs = ("auto", "brute") if name == "cosine" or quick else ("auto",)
    for alg in algs:
        est = SimilarityKNNEstimator(
            n_neighbors=5, metric=name, energy=energy, algorithm=alg, n_jobs=n_jobs
        ).fit(X, y)
        tracemalloc.start()
        t, (dist, ind) = _timeit(lambda est=est: est.kneighbors(Qm), repeat=2)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        result[alg] = t
        result[f"peak_{alg}"] = peak
        if alg == "auto":
            ind_auto = ind
    result["same"] = bool(np.array_equal(ind_auto, ind))
    sk_euclidean = m.embedded_metric != "manhattan"
    n_sub = min(n_q, 2000) if sk_euclidean else max(50, n_q // 50)
    result["sk_compiled"], result["sk_metric"], result["sk_same"] = _sklearn_compiled(
        m, Z, Zq, ind_auto, n_sub
    )
    result["sk_compiled_sub"] = n_sub
    n_call = 2
    rate = _callable_rate(X, y, Qm, getattr(metrics, name), energy, n_call)
    result["callable"] = rate * n_q
    result["callable_sub"] = n_call
    return result


def _report_large(result, n_lib, n_ch, n_q):
    """Record and print one metric's row of the large-library table."""
    name, t_floor = result["metric"], result["floor"]
    tag = f"{n_lib}x{n_ch} library, {n_q} queries, {name}"
    ratio = result["auto"] / t_floor
    if name in ("cosine", "pearson"):
        record(
            "similarity",
            f"{tag}: time / BLAS floor",
            ratio,
            unit="x",
            target="<= 1.5",
            met=ratio <= 1.5,
        )
    else:
        faster = result["sk_compiled"] / result["auto"]
        record(
            "similarity",
            f"{tag}: speed-up over compiled manhattan",
            faster,
            unit="x",
            target=">= 1",
            met=faster >= 1,
        )
    vs_callable = result["callable"] / result["auto"]
    record(
        "similarity",
        f"{tag}: speed-up over callable metric",
        vs_callable,
        unit="x",
        target=">= 50",
        met=vs_callable >= 50,
    )
    n_sub, n_call = result["sk_compiled_sub"], result["callable_sub"]
    print(
        f"{name:12s} ours {result['auto']:8.2f} s (brute {result['brute']:7.2f} s) "
        f"| BLAS floor {t_floor:7.2f} s -> ours/floor {ratio:5.2f}"
        f" | sklearn compiled {result['sk_metric']} {result['sk_compiled']:8.1f} s"
        f"{'' if n_sub == n_q else f' (extrapolated from {n_sub} queries)'}"
        f" -> {result['sk_compiled'] / result['auto']:6.1f}x"
        f" | sklearn callable {result['callable']:9.0f} s (extrapolated from "
        f"{n_call} queries) -> {vs_callable:7.0f}x"
        f" | same neighbours auto=brute {result['same']},"
        f" =sklearn {result['sk_same']:.4f}"
        f" | peak memory {result['peak_auto'] / 2**20:.0f} MiB"
        f" (queries x references would be {n_q * n_lib * 8 / 2**20:.0f} MiB)",
        flush=True,
    )


def speed_large(quick, n_jobs, names=("cosine", "pearson", "wasserstein")):
    n_lib, n_q, n_ch = (20000, 2000, 500) if quick else (100000, 10000, 1000)
    print(
        f"\n## 2. Speed: library {n_lib} x {n_ch} channels, {n_q} queries "
        "(SNR 20), k=5, float64"
    )
    start = time.perf_counter()
    X, y, energy = _library(n_lib, n_ch, seed=0)
    Q = _library(n_q, n_ch, seed=500_000, noise=20)[0]
    print(f"(generated the spectra in {time.perf_counter() - start:.0f} s)")
    rows = []
    for name in names:
        result = _large_one(name, X, y, Q, energy, quick, n_jobs)
        _report_large(result, n_lib, n_ch, n_q)
        rows.append(result)
    return rows


def speed_paper(quick, n_jobs):
    n_lib, n_q, n_ch = 10000, (2000 if quick else 10000), 500
    print(
        f"\n## 3. Paper-size library: {n_lib} x {n_ch} channels, {n_q} queries "
        "(SNR 20), k=5; n_jobs as given (one core for the search, BLAS on "
        "all) and n_jobs=-1 (threads on every core)"
    )
    X, y, energy = _library(n_lib, n_ch, seed=0)
    Q = make_xanes_series(n_q, n_ch, noise=20, random_state=7).data
    Qp = np.clip(Q, 0.0, None)
    for dtype in (np.float64, np.float32):
        for name in ("cosine", "pearson", "wasserstein"):
            m = metrics.get_metric(name)
            Qm = (Qp if m.requires_non_negative else Q).astype(dtype)
            Z = m.embed(X.astype(dtype), energy)
            Zq = m.embed(Qm, energy)
            t_floor, _ = _timeit(lambda Zq=Zq, Z=Z: _floor(Zq, Z, 8192))
            times = {}
            for jobs in (n_jobs, -1):
                est = SimilarityKNNEstimator(
                    n_neighbors=5, metric=name, energy=energy, n_jobs=jobs
                ).fit(X.astype(dtype), y)
                est.kneighbors(Qm[:10])
                # best of two: the machine may be shared, and load drifts
                t, _ = _timeit(lambda est=est, Qm=Qm: est.predict(Qm), repeat=2)
                times[jobs] = t / n_q * 1e6
            tag = f"10000x500 library, {np.dtype(dtype).name}, {name}: time per query"
            # the target, on the whole machine (n_jobs=-1) and on one core for
            # the search (the default)
            record(
                "similarity",
                f"{tag}, n_jobs=-1",
                times[-1],
                unit=" us",
                target="<= 100 us",
                met=times[-1] <= 100,
            )
            record(
                "similarity",
                f"{tag}, n_jobs={n_jobs}",
                times[n_jobs],
                unit=" us",
                target="<= 100 us",
                met=times[n_jobs] <= 100,
            )
            print(
                f"{np.dtype(dtype).name:8s} {name:12s} {times[n_jobs]:7.1f} us per "
                f"query (predict, n_jobs={n_jobs}) | {times[-1]:7.1f} us "
                f"(n_jobs=-1) | BLAS floor {t_floor / n_q * 1e6:6.1f} us",
                flush=True,
            )


def _one_core_cpu(X, Q, name, energy, repeat=3):
    """CPU microseconds per query of the search on one thread (best of
    ``repeat``): the work itself, whatever else runs on the machine."""
    from threadpoolctl import threadpool_limits

    est = SimilarityKNNEstimator(n_neighbors=5, metric=name, energy=energy, n_jobs=1)
    est.fit(X, np.zeros(X.shape[0]))
    with threadpool_limits(1):
        best = min(_cpu_time(lambda: est.kneighbors(Q)) for _ in range(repeat))
    return best / Q.shape[0] * 1e6


def _structured_libraries(n_lib, n_q, n_ch):
    """(name, library, queries, energy) for each library structure."""
    rng = np.random.default_rng(0)
    yield (
        "random gamma",
        rng.gamma(2.0, size=(n_lib, n_ch)),
        rng.gamma(2.0, size=(n_q, n_ch)),
        None,
    )
    X, _, energy = _library(n_lib, n_ch, seed=0)
    Q = np.clip(_library(n_q, n_ch, seed=500_000, noise=20)[0], 0.0, None)
    yield "XANES-like", X, Q, energy
    # every reference ten times (exact ties everywhere)
    unique = X[: n_lib // 10]
    yield "duplicated x10", np.repeat(unique, 10, axis=0), Q, energy


def _take_turns(ests, Q, subs):
    """Best wall and CPU time of each estimator's search, extrapolated to every
    query, and the neighbours of the "auto" one."""
    n_q = len(Q)
    # the paths take turns, best of three each, in wall and in CPU time: on a
    # shared machine the load drifts between runs
    walls = dict.fromkeys(ests, np.inf)
    cpus = dict.fromkeys(ests, np.inf)
    for _ in range(3):
        for alg, est in ests.items():
            n_sub = subs[alg]
            start, start_cpu = time.perf_counter(), time.process_time()
            _, ind = est.kneighbors(Q[:n_sub])
            wall = time.perf_counter() - start
            used = time.process_time() - start_cpu
            walls[alg] = min(walls[alg], wall * n_q / n_sub)
            cpus[alg] = min(cpus[alg], used * n_q / n_sub)
            if alg == "auto":
                ind_auto = ind
    return walls, cpus, ind_auto


def _structure_one(label, name, X, Q, energy):
    """Timings of one metric on one library structure, as a dict."""
    m = metrics.get_metric(name)
    Z = m.embed(X, energy)
    Zq = m.embed(Q, energy)
    n_q = len(Q)
    t_floor, _ = _timeit(lambda: _floor(Zq, Z, 8192), repeat=2)
    y = np.zeros(len(X))
    ests = {
        alg: SimilarityKNNEstimator(
            n_neighbors=5, metric=name, energy=energy, algorithm=alg, n_jobs=-1
        ).fit(X, y)
        for alg in ("auto", "brute")
    }
    # the brute-force L1 path scores every pair: a subsample
    subs = {"auto": n_q, "brute": n_q if m.embedded_metric != "manhattan" else 50}
    times, cpus, ind_auto = _take_turns(ests, Q, subs)
    times["floor"] = t_floor
    n_sub = n_q if m.embedded_metric != "manhattan" else 50
    times["sklearn"], sk_metric, same = _sklearn_compiled(m, Z, Zq, ind_auto, n_sub)
    one = _one_core_cpu(X, Q, name, energy) if label == "random gamma" else None
    return {
        "times": times,
        "cpus": cpus,
        "sk_metric": sk_metric,
        "same": same,
        "one_core": one,
    }


def _report_structure(label, name, result, n_lib, n_ch, n_q):
    """Record and print one row of the library-structure table."""
    times, cpus = result["times"], result["cpus"]
    cpu = cpus["auto"]
    us = {key: v / n_q * 1e6 for key, v in times.items()}
    vs_brute = times["auto"] / times["brute"]
    vs_brute_cpu = cpus["auto"] / cpus["brute"]
    vs_floor = times["auto"] / times["floor"]
    tag = f"{label} {n_lib}x{n_ch}, {name}"
    for what, value in (
        ("time / brute-force path", vs_brute),
        ("CPU time / brute-force path's", vs_brute_cpu),
    ):
        record(
            "similarity",
            f"{tag}: {what}",
            value,
            unit="x",
            target="<= 1.2",
            met=value <= 1.2,
        )
    gamma = label == "random gamma"
    if name in ("cosine", "pearson"):
        record(
            "similarity",
            f"{tag}: time / BLAS floor",
            vs_floor,
            unit="x",
            target="<= 1.5" if gamma else None,
            met=vs_floor <= 1.5 if gamma else None,
        )
    elif gamma:
        record(
            "similarity",
            f"{tag}: time per query, n_jobs=-1",
            us["auto"],
            unit=" us",
            target="<= 200 us",
            met=us["auto"] <= 200,
        )
        record(
            "similarity",
            f"{tag}: CPU time per query (all threads)",
            cpu / n_q * 1e6,
            unit=" us",
        )
        one = result["one_core"]
        print(f"{label:15s} {name:12s} one core: {one:8.1f} us CPU per query")
        record(
            "similarity",
            f"{tag}: CPU time per query, one core",
            one,
            unit=" us",
            target="<= 200 us",
            met=one <= 200,
        )
    print(
        f"{label:15s} {name:12s} ours {us['auto']:8.1f} | brute "
        f"{us['brute']:8.1f} | sklearn {result['sk_metric']} {us['sklearn']:8.1f} | "
        f"BLAS floor {us['floor']:7.1f} | CPU: ours {cpu / n_q * 1e6:8.1f}, "
        f"brute {cpus['brute'] / n_q * 1e6:8.1f} "
        f"-> ours/brute {vs_brute:5.2f} (CPU {vs_brute_cpu:5.2f}), "
        f"ours/floor {vs_floor:5.2f}, sklearn/ours "
        f"{times['sklearn'] / times['auto']:6.1f} | same neighbours as "
        f"sklearn {result['same']:.4f}",
        flush=True,
    )


def speed_structure(quick, names=("cosine", "pearson", "wasserstein")):
    n_lib, n_q, n_ch = 20000, (500 if quick else 2000), 500
    print(
        f"\n## 4. Speed over library structure: {n_lib} x {n_ch} library, "
        f"{n_q} queries, k=5, float64, n_jobs=-1 (us per query)"
    )
    for label, X, Q, energy in _structured_libraries(n_lib, n_q, n_ch):
        for name in names:
            result = _structure_one(label, name, X, Q, energy)
            _report_structure(label, name, result, n_lib, n_ch, n_q)


def _parse_metrics(text):
    return tuple(text.split(","))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small run")
    parser.add_argument("--n-jobs", type=int, default=None)
    parser.add_argument(
        "--parts", default="1234", help="which parts to run, e.g. 13 (default 1234)"
    )
    parser.add_argument(
        "--metrics",
        type=_parse_metrics,
        default=("cosine", "pearson", "wasserstein"),
        help="metrics of parts 2 and 4, comma-separated",
    )
    args = parser.parse_args(argv)
    print(f"# bench_similarity ({'quick' if args.quick else 'full'})")
    print(f"load average at start: {os.getloadavg()}, CPUs: {os.cpu_count()}")
    if "1" in args.parts:
        accuracy_table(args.quick, edge="L23")
        # the K edge at the quick size only: a reminder of why the paper's
        # experiment needs the L2,3 edge
        accuracy_table(True, edge="K")
    if "2" in args.parts:
        speed_large(args.quick, args.n_jobs, args.metrics)
    if "3" in args.parts:
        speed_paper(args.quick, args.n_jobs)
    if "4" in args.parts:
        speed_structure(args.quick, args.metrics)
    print(f"\nload average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
