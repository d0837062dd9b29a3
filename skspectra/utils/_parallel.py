"""One policy for worker counts and native thread pools.

Worker counts follow scikit-learn: ``n_jobs=None`` is one worker unless a
joblib ``parallel_config`` (or ``parallel_backend``) context says otherwise,
``-1`` is every CPU this process may use (joblib's ``cpu_count``, which
respects CPU affinity and cgroup quotas), ``-2`` all but one, and so on.

Native thread pools (BLAS, OpenMP) are process-wide: a ``threadpool_limits``
context saves their state on entry and restores it on exit, so two such
contexts that overlap in different Python threads restore each other's
state and can leave BLAS limited for the rest of the process.  Restoring
from another thread is not reliable either: OpenBLAS (pthreads builds)
ignores a thread count set from a thread other than the main one once the
main thread has set one.  :func:`single_threaded` therefore limits the pools
only when it is entered from the main thread, where contexts can only nest,
and counts the nesting so that the outermost context saves the state and
restores it.  Entered from any other thread it leaves the pools alone: code
that runs estimators in its own threads (a threaded ``GridSearchCV``, a web
server) owns the machine's threads, as with scikit-learn's estimators.
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


class _MainThreadLimiter:
    """Nesting-counted limit of native thread pools, set by the main thread."""

    def __init__(self):
        self._depth = 0
        self._controller = None
        self._saved = []

    def enter(self, user_api):
        if self._depth == 0:
            # a fresh controller also sees libraries loaded since the last
            # call; it costs well under a millisecond
            self._controller = ThreadpoolController()
            self._saved = [
                (lib, lib.num_threads) for lib in self._controller.lib_controllers
            ]
        self._depth += 1
        for lib in self._controller.lib_controllers:
            if user_api is None or lib.user_api == user_api:
                lib.set_num_threads(1)

    def exit(self):
        self._depth -= 1
        if self._depth == 0:
            for lib, n_threads in self._saved:
                lib.set_num_threads(n_threads)
            self._controller = None
            self._saved = []


_LIMITER = _MainThreadLimiter()


@contextmanager
def single_threaded(user_api=None):
    """Run native thread pools on one thread inside the ``with`` block.

    Only the main thread changes the pools (see the module docstring);
    nested contexts are cheap, and the outermost one restores the state the
    pools had when it was entered.  From any other thread this is a no-op.

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
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _LIMITER.enter(user_api)
    try:
        yield
    finally:
        _LIMITER.exit()
