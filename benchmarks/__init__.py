"""Side-by-side benchmarks of skspectra against its peers.

Run one with ``python benchmarks/bench_<name>.py`` or all of them with
``python -m benchmarks``, which writes one markdown table of the headline
ratios.  ``python benchmarks/soak.py`` (not among them) fits every estimator
many times in one process and checks that memory stays flat.
"""
