"""Row-block access to a matrix of spectra held in memory, on disk or in Dask.

The NMF solvers of this subpackage touch the data matrix ``X`` (pixels x
channels) only through :class:`BlockSource`: one *pass* applies a function to
every row block ``X[start:stop]`` and returns the per-block results.  For a
NumPy array or a ``numpy.memmap`` the blocks are visited in order, each block
converted to the working dtype on its own (so integer counts on disk are never
copied whole); for a Dask array every row chunk becomes one task and the pass
is one ``dask.compute`` call, run by whatever scheduler is active (threads, or
a ``distributed`` cluster).
"""

import numpy as np
from joblib import Parallel, delayed

from skspectra.utils._parallel import effective_n_workers, single_threaded

__all__ = ["BlockSource", "is_dask_array"]

# target size of one row block, in bytes of the working dtype: large enough
# for efficient BLAS calls, small enough that a block read by one matrix
# product is still in the last-level cache for the next one
DEFAULT_BLOCK_BYTES = 4 * 2**20


def is_dask_array(X):
    """Return True for a ``dask.array.Array`` (without importing Dask)."""
    return type(X).__module__.startswith("dask.") and hasattr(X, "chunks")


class BlockSource:
    """Row blocks of a 2-D array-like, converted to a working dtype.

    Parameters
    ----------
    X : ndarray, numpy.memmap or dask.array.Array of shape (n_rows, n_cols)
    dtype : {np.float32, np.float64}
        Working dtype of the blocks handed to the pass functions.
    block_size : int or None
        Rows per block; ``None`` chooses about ``DEFAULT_BLOCK_BYTES`` per
        block.  Ignored for Dask arrays, whose row chunks are the blocks.
    clip_negative : bool
        Replace negative values by zero in every block.
    n_jobs : int or None
        Threads (joblib) that process the blocks of an in-memory or
        memory-mapped array at once, each with single-threaded BLAS (the
        products are tall and skinny, so threads over blocks use the memory
        bandwidth better than threads inside one product).  None is one
        worker unless a joblib ``parallel_config`` context sets ``n_jobs``;
        -1 is every CPU this process may use.
    """

    def __init__(self, X, dtype, block_size=None, clip_negative=False, n_jobs=None):
        self.X = X
        self.dtype = np.dtype(dtype)
        self.clip_negative = clip_negative
        self.n_rows, self.n_cols = (int(s) for s in X.shape)
        self.is_dask = is_dask_array(X)
        # resolved here, in the caller's thread, where a joblib context applies
        self.n_threads = effective_n_workers(n_jobs)
        if self.is_dask:
            if len(X.chunks[1]) > 1:
                self.X = X = X.rechunk({1: -1})
            bounds = np.concatenate([[0], np.cumsum(X.chunks[0])]).astype(int)
        else:
            if block_size is None:
                row_bytes = max(1, self.n_cols * self.dtype.itemsize)
                block_size = max(1, DEFAULT_BLOCK_BYTES // row_bytes)
            block_size = int(block_size)
            bounds = list(range(0, self.n_rows, block_size)) + [self.n_rows]
            bounds = np.asarray(bounds, dtype=int)
        self.bounds = bounds
        self.slices = [
            slice(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:], strict=True)
        ]

    def _prepare(self, block):
        block = np.asarray(block)
        out = block.astype(self.dtype, copy=block.dtype != self.dtype)
        if self.clip_negative:
            if out is block:
                out = out.copy()
            np.maximum(out, 0, out=out)
        return out

    def run(self, func, per_block_args=None, shared_args=()):
        """Apply ``func(X_block, *block_args, *shared_args)`` to every block.

        Parameters
        ----------
        func : callable
            Pure function of a block (already in the working dtype).
        per_block_args : list of tuple or None
            One tuple of extra arguments per block (e.g. that block's rows of
            the abundance matrix), or None.
        shared_args : tuple
            Arguments passed to every call.

        Returns
        -------
        results : list
            ``func``'s return value for every block, in row order.
        """
        n = len(self.slices)
        if per_block_args is None:
            per_block_args = [()] * n
        if self.is_dask:
            import dask

            prepare = self._prepare

            def task(block, block_args, shared):
                return func(prepare(block), *block_args, *shared)

            blocks = self.X.to_delayed().ravel()
            shared = dask.delayed(shared_args, pure=True, traverse=False)
            tasks = [
                dask.delayed(task, pure=True)(b, args, shared)
                for b, args in zip(blocks, per_block_args, strict=True)
            ]
            return list(dask.compute(*tasks))

        def one(i):
            return func(
                self._prepare(self.X[self.slices[i]]), *per_block_args[i], *shared_args
            )

        n_threads = min(self.n_threads, n)
        # one BLAS thread per block in every case, so that the rounding, and
        # hence the result, does not depend on the number of workers
        with single_threaded("blas"):
            if n_threads <= 1:
                return [one(i) for i in range(n)]
            # threads share the blocks and their results; a process backend
            # set by a joblib context would copy every block on every pass
            return Parallel(n_jobs=n_threads, require="sharedmem")(
                delayed(one)(i) for i in range(n)
            )
