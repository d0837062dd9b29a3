"""One policy for worker counts and native thread pools.

Worker counts follow scikit-learn: ``n_jobs=None`` is one worker unless a
joblib ``parallel_config`` (or ``parallel_backend``) context says otherwise,
``-1`` is every CPU this process may use (joblib's ``cpu_count``, which
respects CPU affinity and cgroup quotas), ``-2`` all but one, and so on.

Native thread pools (BLAS, OpenMP) are process-wide: a ``threadpool_limits``
context saves their state on entry and restores it on exit, so two such
contexts that overlap in different Python threads restore each other's
state and can leave BLAS limited for the rest of the process.
:func:`single_threaded` avoids that with one reference-counted limiter: the
first context to enter saves the state of every pool, each context sets the
pools it asks for to one thread, and the last one out restores the saved
state.  Contexts never restore individually, so the pools are back to what
they were as soon as no skspectra code is inside one.
"""

import threading
from contextlib import contextmanager

from joblib import effective_n_jobs
from threadpoolctl import ThreadpoolController

__all__ = ["effective_n_workers", "single_threaded"]


def effective_n_workers(n_jobs):
    """Number of workers that ``n_jobs`` stands for.

    Parameters
    ----------
    n_jobs : int or None
        ``None``: 1, or the ``n_jobs`` of an active joblib
        ``parallel_config`` context; ``-1``: the CPUs this process may use;
        ``-k``: that number plus one minus ``k``; a positive count as given.

    Returns
    -------
    n_workers : int
        At least 1.

    Raises
    ------
    ValueError
        If ``n_jobs`` is 0.
    """
    if n_jobs == 0:
        raise ValueError("n_jobs == 0 has no meaning; use None, -1 or a count.")
    return max(1, int(effective_n_jobs(n_jobs)))


class _SharedLimiter:
    """Process-wide, reference-counted limit of native thread pools."""

    def __init__(self):
        self._lock = threading.Lock()
        self._depth = 0
        self._controller = None
        self._saved = []

    def enter(self, user_api):
        with self._lock:
            if self._depth == 0:
                # a fresh controller also sees libraries loaded since the last
                # fit; it costs well under a millisecond
                self._controller = ThreadpoolController()
                self._saved = [
                    (lib, lib.num_threads) for lib in self._controller.lib_controllers
                ]
            self._depth += 1
            for lib in self._controller.lib_controllers:
                if user_api is None or lib.user_api == user_api:
                    lib.set_num_threads(1)

    def exit(self):
        with self._lock:
            self._depth -= 1
            if self._depth == 0:
                for lib, n_threads in self._saved:
                    lib.set_num_threads(n_threads)
                self._controller = None
                self._saved = []


_LIMITER = _SharedLimiter()


@contextmanager
def single_threaded(user_api=None):
    """Run native thread pools on one thread inside the ``with`` block.

    Safe to enter from several Python threads at once and to nest: the
    state of the pools is saved by the first context entered and restored
    when the last one exits, whatever the order.

    Parameters
    ----------
    user_api : {"blas", "openmp"} or None, default=None
        Pools to limit; None limits every pool threadpoolctl knows.

    Yields
    ------
    None
    """
    if user_api not in (None, "blas", "openmp"):
        raise ValueError(
            f'user_api must be None, "blas" or "openmp"; got {user_api!r}.'
        )
    _LIMITER.enter(user_api)
    try:
        yield
    finally:
        _LIMITER.exit()
