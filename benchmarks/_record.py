"""Collect the headline figures of a benchmark for the summary table.

A benchmark script calls :func:`record` for each figure that has a target.
When the script runs under ``python -m benchmarks`` the figures are appended
to the file named by ``SKSPECTRA_BENCH_RECORD``; run alone, the call only
prints the line.
"""

import json
import os

ENV = "SKSPECTRA_BENCH_RECORD"


def record(benchmark, measure, value, *, target=None, unit="", met=None):
    """Record one headline figure.

    Parameters
    ----------
    benchmark : str
        Short name of the benchmark (``"metrics"``, ``"nmf"``...).
    measure : str
        What was measured, e.g. ``"wasserstein speed-up vs scipy loop"``.
    value : float
        The figure.
    target : str, optional
        The target as text, e.g. ``">= 100"``.
    unit : str, optional
        Unit of ``value`` (``"x"`` for ratios, ``"s"``, ``"GB"``...).
    met : bool, optional
        Whether the target is met.
    """
    row = {
        "benchmark": benchmark,
        "measure": measure,
        "value": float(value),
        "unit": unit,
        "target": target or "",
        "met": None if met is None else bool(met),
    }
    status = "" if met is None else ("  [met]" if met else "  [NOT met]")
    wanted = "" if target is None else f" (target {target})"
    print(f"RESULT {benchmark}: {measure} = {value:.4g}{unit}{wanted}{status}")
    path = os.environ.get(ENV)
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(row) + "\n")
