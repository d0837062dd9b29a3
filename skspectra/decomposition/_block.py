"""Row-block access to a matrix of spectra held in memory, on disk or in Dask.

The NMF solvers of this subpackage touch the data matrix ``X`` (pixels x
channels) only through :class:`BlockSource`: one *pass* applies a function to
every row block ``X[start:stop]`` and returns the per-block results.  For a
NumPy array or a ``numpy.memmap`` the blocks are visited in order, each block
converted to the working dtype on its own (so integer counts on disk are never
copied whole); for a Dask array every row chunk becomes one task, which visits
the chunk's blocks in order, and the pass is one ``dask.compute`` call, run by
whatever scheduler is active (threads, or a ``distributed`` cluster).  A
chunk is cut into blocks of the same size as an in-memory array's: a chunk of
tens of megabytes handed to the kernels whole would leave the cache between
their matrix products.
"""

from contextlib import contextmanager

import numpy as np
from joblib import Parallel, delayed

from skspectra.utils._parallel import effective_n_workers, single_threaded
from skspectra.utils.validation import is_dask_array

__all__ = ["BlockSource"]

# target size of one row block, in bytes of the working dtype: large enough
# for efficient BLAS calls, small enough that a block read by one matrix
# product is still in the last-level cache for the next one
DEFAULT_BLOCK_BYTES = 4 * 2**20


def _prepare(block, dtype, clip_negative):
    """A block as a NumPy array of ``dtype``, negative values clipped if asked."""
    block = np.asarray(block)
    out = block.astype(dtype, copy=block.dtype != dtype)
    if clip_negative:
        if out is block:
            out = out.copy()
        np.maximum(out, 0, out=out)
    return out


def _chunk_task(
    chunk, cuts, block_args, func, shared_args, dtype, clip_negative, merge=None
):
    """The Dask task of one row chunk: ``func`` on each of its blocks.

    ``cuts`` are the blocks' row ranges within the chunk.  The chunk is
    converted block by block, as an in-memory array is, so that a chunk of
    integer counts is never copied whole.  With ``merge``, the blocks'
    results leave the task merged into one.  A module-level function, so
    that a task carries its arguments and not the source with its Dask graph.
    """
    results = [
        func(_prepare(chunk[a:b], dtype, clip_negative), *args, *shared_args)
        for (a, b), args in zip(cuts, block_args, strict=True)
    ]
    if merge is not None and results:
        return [merge(results)]
    return results


class BlockSource:
    """Row blocks of a 2-D array-like, converted to a working dtype.

    Parameters
    ----------
    X : ndarray, numpy.memmap or dask.array.Array of shape (n_rows, n_cols)
    dtype : {np.float32, np.float64}
        Working dtype of the blocks handed to the pass functions.
    block_size : int or None
        Rows per block; ``None`` chooses about ``DEFAULT_BLOCK_BYTES`` per
        block.  The blocks of a Dask array start at each of its row chunks
        (a chunk is split into blocks of this many rows, the last one
        shorter), so blocks never straddle chunks.
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
        if block_size is None:
            row_bytes = max(1, self.n_cols * self.dtype.itemsize)
            block_size = max(1, DEFAULT_BLOCK_BYTES // row_bytes)
        block_size = int(block_size)
        if self.is_dask:
            if len(X.chunks[1]) > 1:
                self.X = X = X.rechunk({1: -1})
            edges = np.concatenate([[0], np.cumsum(X.chunks[0])]).astype(int)
        else:
            edges = np.array([0, self.n_rows])
        # blocks of block_size rows from the start of every chunk (an
        # in-memory array is one chunk); chunk i holds blocks
        # groups[i]:groups[i + 1]
        bounds, groups = [0], [0]
        for a, b in zip(edges[:-1], edges[1:], strict=True):
            bounds.extend(range(int(a) + block_size, int(b), block_size))
            if b > a:
                bounds.append(int(b))
            groups.append(len(bounds) - 1)
        self.bounds = np.asarray(bounds, dtype=int)
        self.groups = groups
        self.slices = [
            slice(int(a), int(b))
            for a, b in zip(self.bounds[:-1], self.bounds[1:], strict=True)
        ]
        self._parallel = None

    def _prepare(self, block):
        return _prepare(block, self.dtype, self.clip_negative)

    @contextmanager
    def workers(self):
        """Keep the worker threads for several passes.

        Every :meth:`run` inside the ``with`` block reuses one joblib pool
        instead of starting threads for each pass.
        """
        n_threads = min(self.n_threads, len(self.slices))
        if self.is_dask or n_threads <= 1:
            yield self
            return
        with Parallel(n_jobs=n_threads, require="sharedmem") as parallel:
            self._parallel = parallel
            try:
                yield self
            finally:
                self._parallel = None

    def _run_dask(self, func, per_block_args, shared_args, merge=None):
        """One task per row chunk; the results of its blocks, in row order
        (with ``merge``, one merged result per chunk that has rows)."""
        import dask

        chunks = self.X.to_delayed().ravel()
        # keys of their own for every pass (pure=False): hashing the blocks'
        # arguments would cost time for nothing, and two passes with equal
        # arguments would share keys, so that one could ask for results the
        # scheduler is releasing from the other
        shared = dask.delayed(shared_args, pure=False, traverse=False)
        task = dask.delayed(_chunk_task, pure=False)
        tasks = []
        for i, chunk in enumerate(chunks):
            first, last = self.groups[i], self.groups[i + 1]
            start = self.bounds[first]
            # the blocks' rows, counted from the start of the chunk
            cuts = [
                (int(a) - start, int(b) - start)
                for a, b in zip(
                    self.bounds[first:last],
                    self.bounds[first + 1 : last + 1],
                    strict=True,
                )
            ]
            tasks.append(
                task(
                    chunk,
                    cuts,
                    per_block_args[first:last],
                    func,
                    shared,
                    self.dtype,
                    self.clip_negative,
                    merge,
                )
            )
        return [r for part in dask.compute(*tasks) for r in part]

    def run_merged(self, func, merge, per_block_args=None, shared_args=()):
        """Like :meth:`run`, with the results of a Dask chunk merged in its task.

        A Dask task then sends one result per chunk back to the client
        instead of one per block: per-block statistics (a components x
        channels matrix per block) would otherwise cross the network, and be
        unpickled by the client, one block at a time.  In-memory and
        memory-mapped arrays are run block by block, as by :meth:`run`.

        Parameters
        ----------
        func : callable
            As for :meth:`run`.
        merge : callable
            ``merge(results)`` turns the results of consecutive blocks, in
            row order, into the result of one block spanning them.
        per_block_args : list of tuple or None
            As for :meth:`run`.
        shared_args : tuple
            As for :meth:`run`.

        Returns
        -------
        slices : list of slice
            The rows of each result.
        results : list
            One result per block, or for a Dask array one per chunk.
        """
        if not self.is_dask:
            return self.slices, self.run(func, per_block_args, shared_args)
        n = len(self.slices)
        if per_block_args is None:
            per_block_args = [()] * n
        slices = [
            slice(int(self.bounds[a]), int(self.bounds[b]))
            for a, b in zip(self.groups[:-1], self.groups[1:], strict=True)
            if b > a
        ]
        return slices, self._run_dask(func, per_block_args, shared_args, merge)

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
            return self._run_dask(func, per_block_args, shared_args)

        def one(i):
            return func(
                self._prepare(self.X[self.slices[i]]), *per_block_args[i], *shared_args
            )

        n_threads = min(self.n_threads, n)
        # one BLAS thread per block whatever the number of workers, so that
        # the rounding, hence the result, does not depend on it (the limit is
        # set from the main thread only: see skspectra.utils._parallel)
        with single_threaded("blas"):
            if n_threads <= 1:
                return [one(i) for i in range(n)]
            if self._parallel is not None:
                return self._parallel(delayed(one)(i) for i in range(n))
            # threads share the blocks and their results; a process backend
            # set by a joblib context would copy every block on every pass
            return Parallel(n_jobs=n_threads, require="sharedmem")(
                delayed(one)(i) for i in range(n)
            )
