"""Exact k-nearest-neighbour search in the embedded space of a spectral metric.

Most spectral distances are an ordinary Euclidean or Manhattan distance
after a cheap per-spectrum transform (``SpectralMetric.embed``).  This module
searches the ``k`` nearest reference spectra of every query in that embedded
space, exactly, with memory bounded by one (query batch x reference chunk)
block:

* the reference library is streamed in chunks (a NumPy array, or the blocks of
  a Dask array computed one at a time); each query keeps a running top-k, and
  the k-th best value so far is a threshold below which a reference must lie
  to matter, so that after the first chunks almost all pairs are dismissed by
  one vectorised comparison;
* Euclidean embeddings (cosine, Pearson, Euclidean, ...) score a block with one
  BLAS matrix product, ``|r|^2 - 2 q.r``;
* Manhattan embeddings (Wasserstein = L1 between cumulative distributions,
  city block) use a cascade of exact lower bounds before any full L1 distance
  is computed: for a partition of the channels into blocks, the L1 distance of
  the block sums is a lower bound of the full L1 distance (triangle
  inequality), and a finer nested partition gives a tighter bound.  A coarse
  bound is computed for every pair with compiled code, a finer one for the
  pairs that survive, and the exact distance only for the pairs that still
  could enter the top-k;
* an in-memory library is also sorted by a one-number key whose difference
  never exceeds the distance: the sum of each embedded spectrum for
  Manhattan embeddings (``|sum(q) - sum(r)| <= |q - r|_1``), the projection
  on the principal axis of the library for projected Euclidean ones
  (``|u.q - u.r| <= |q - r|`` for a unit ``u``).  Once a query has a
  threshold, only the references whose keys are that close to its own can
  matter, a contiguous range of the sorted library.  Queries are searched in
  batches of neighbouring keys: a window of the library around the batch
  gives the thresholds, and then only the rest of the batch's range is
  scored (on XANES-like libraries about 5 % of the library for the
  Wasserstein key, 25 % for the Pearson and cosine ones);
* metrics without an embedding and user callables score a block with the
  metric's own vectorised ``pairwise``.

Every route returns the same neighbours as a brute-force search (up to ties).
"""

import threading

import numpy as np
from joblib import Parallel, delayed, effective_n_jobs
from scipy.spatial.distance import cdist
from sklearn import get_config

from skspectra.utils._parallel import single_threaded
from skspectra.utils.validation import is_dask_array

# reference chunks grow from this size.  The thresholds after the first chunk
# are the k-th best of its references, so a first chunk of a few thousand
# gives thresholds close to the final ones: on a 10,000 x 500 library, 4096
# instead of 256 cuts the exact distances per query from 36 to 12 (pearson)
# and from 59 to 33 (wasserstein), for 40 % and 15 % less time
_FIRST_CHUNK = 4096
# relative slack on lower bounds, so that floating-point rounding of a bound
# that is mathematically equal to the exact distance never discards a pair
_LB_SLACK = 1e-10


# the key-sorted search: queries per batch, and references on each side of
# the batch's keys that give every query its first k exact distances.  On a
# 10,000 x 500 library (one core) 128 and 256 take 46 us per query for
# wasserstein (a window of 64: 55 us, of 1024: 54 us) and 22-27 us for
# pearson, where other choices are within the timing noise
_KEY_BATCH = 128
_KEY_WINDOW = 256
# relative margin on the key range, far above the rounding of the float64 keys
# and of distances in float32
_KEY_REL_SLACK = 1e-6

_BUFFERS = threading.local()


def _score_buffer(shape, dtype):
    """A reused per-thread array for score blocks (no page faults per block)."""
    dtype = np.dtype(dtype)
    size = shape[0] * shape[1]
    buf = getattr(_BUFFERS, "buf", None)
    if buf is None or buf.dtype != dtype or buf.size < size:
        buf = np.empty(size, dtype=dtype)
        _BUFFERS.buf = buf
    return buf[:size].reshape(shape)


def _gemm(A, B):
    """``A @ B.T`` into the reused buffer."""
    out = _score_buffer((A.shape[0], B.shape[0]), np.result_type(A, B))
    return np.matmul(A, B.T, out=out)


def _nonzero2d(mask):
    """``np.nonzero`` of a C-contiguous 2-D mask, as (rows, cols).

    Through the flat indices: for sparse masks about eight times faster than
    ``np.nonzero`` on the 2-D array, which fills both index arrays per hit.
    """
    flat = np.flatnonzero(mask)
    return np.divmod(flat, mask.shape[1])


class _TopK:
    """The k smallest values per query seen so far, kept sorted by row."""

    def __init__(self, n_queries, k):
        self.k = k
        self.dist = np.full((n_queries, k), np.inf)
        self.ind = np.full((n_queries, k), -1, dtype=np.intp)

    def tau(self, q0, q1):
        """The k-th best value of each query in ``q0:q1`` (inf if unfilled)."""
        return self.dist[q0:q1, -1]

    def merge(self, rows, cols, vals):
        """Merge candidate pairs ``(rows, cols)`` with values ``vals``."""
        if rows.size == 0:
            return
        k = self.k
        urows = np.unique(rows)
        all_rows = np.concatenate([np.repeat(urows, k), rows])
        all_vals = np.concatenate([self.dist[urows].ravel(), vals])
        all_cols = np.concatenate([self.ind[urows].ravel(), cols])
        # by row, then value, then reference index (a deterministic tie-break);
        # unfilled slots (inf, -1) sort last
        order = np.lexsort((all_cols, all_vals, all_rows))
        all_rows = all_rows[order]
        starts = np.searchsorted(all_rows, urows)
        counts = np.diff(np.append(starts, all_rows.size))
        pos = np.arange(all_rows.size) - np.repeat(starts, counts)
        keep = order[pos < k]
        self.dist[urows] = all_vals[keep].reshape(-1, k)
        self.ind[urows] = all_cols[keep].reshape(-1, k)


def _pairs_reduce(A, B, rows, cols, kind, block=None):
    """Distance of the pairs ``(A[rows], B[cols])``: "sqeuclidean" or "l1"."""
    out = np.empty(rows.size, dtype=np.float64)
    if rows.size == 0:
        return out
    d = A.shape[1]
    if block is None:
        block = max(32, 2**16 // max(d, 1))
    for s in range(0, rows.size, block):
        diff = A[rows[s : s + block]] - B[cols[s : s + block]]
        if kind == "l1":
            np.abs(diff, out=diff)
            out[s : s + block] = diff.sum(axis=1)
        else:
            out[s : s + block] = np.einsum("ij,ij->i", diff, diff)
    return out


class _Index:
    """How a (query batch x reference chunk) block is scored."""

    levels = ()
    stage0_exact = True
    # above this fraction of candidate pairs in a block, computing the block's
    # exact distances densely is cheaper than pair by pair
    dense_fraction = 1.0

    def prepare_queries(self, Z):
        return self.add_query_terms(self.prepare(Z))

    def add_query_terms(self, prepared):
        """Complete prepared references so that they serve as queries."""
        return prepared

    def shift(self, qp, q0, q1, rp):
        return np.zeros(q1 - q0)

    def finalize(self, d):
        return d

    def key_radius(self, tau):
        """Largest key difference of a pair whose value is below ``tau``."""
        return tau


class _EuclideanIndex(_Index):
    """Squared Euclidean distance in the embedded space, scored by BLAS."""

    kind = "euclidean"

    def prepare(self, Z):
        Z = np.ascontiguousarray(Z)
        return {"Z": Z, "sq": np.einsum("ij,ij->i", Z, Z)}

    def stage0(self, qp, q0, q1, rp):
        # |r|^2 - 2 q.r: one GEMM (with -2 folded into the queries) and one
        # broadcast addition; |q|^2 is a per-row shift applied to thresholds
        L = _gemm(qp["Zm2"][q0:q1], rp["Z"])
        L += rp["sq"]
        return L

    def add_query_terms(self, prepared):
        prepared["Zm2"] = -2.0 * prepared["Z"]
        return prepared

    def shift(self, qp, q0, q1, rp):
        return qp["sq"][q0:q1].astype(np.float64)

    def exact(self, qp, rp, rows, cols):
        return _pairs_reduce(qp["Z"], rp["Z"], rows, cols, "sqeuclidean")

    def finalize(self, sq):
        return np.sqrt(np.maximum(sq, 0.0))

    def key_radius(self, tau):
        # values are squared distances; |u.q - u.r| <= |q - r| for a unit u
        return np.sqrt(np.maximum(tau, 0.0))

    def dense(self, qp, rows, rp):
        """Exact values of the query rows ``rows`` against the whole chunk."""
        L = qp["Zm2"][rows] @ rp["Z"].T
        L += rp["sq"]
        L += qp["sq"][rows, None]
        return L


class _ProjectedEuclideanIndex(_EuclideanIndex):
    """Euclidean search pruned by an exact low-dimensional lower bound.

    With ``V`` an orthonormal basis (d x m) and ``P = V V^T``, Pythagoras and
    the reverse triangle inequality give, for any ``q`` and ``r``,

    ``|q - r|^2 = |P(q - r)|^2 + |(I - P)(q - r)|^2
    >= |V^T q - V^T r|^2 + (|(I - P) q| - |(I - P) r|)^2``,

    the squared distance of the (m + 1)-vectors ``[V^T z, |(I - P) z|]``.  A
    basis of the leading singular vectors of the library makes this bound
    nearly tight for smooth spectra, so a GEMM in m + 1 dimensions dismisses
    most references, and exact distances are computed only for the rest.
    """

    stage0_exact = False
    dense_fraction = 0.02

    def __init__(self, basis, rel_eps, key_axis=None):
        self.basis = basis
        self.rel_eps = rel_eps
        # a unit vector: the projection on it is the key of the sorted search
        self.key_axis = key_axis

    def prepare(self, Z):
        out = super().prepare(Z)
        # the bound is computed in float64 whatever the data type, so that
        # its rounding stays far below the distances it separates
        Z64 = np.asarray(out["Z"], dtype=np.float64)
        C = Z64 @ self.basis
        rho2 = np.maximum(
            np.einsum("ij,ij->i", Z64, Z64) - np.einsum("ij,ij->i", C, C), 0.0
        )
        C = np.hstack([C, np.sqrt(rho2)[:, None]])
        csq = np.einsum("ij,ij->i", C, C)
        # [C, |C|^2] so that one GEMM with [-2 C_q, 1] gives |C_r|^2 - 2 C_q.C_r
        out["C"] = np.hstack([C, csq[:, None]])
        out["csq"] = csq
        if self.key_axis is not None:
            out["key"] = Z64 @ self.key_axis
        return out

    def add_query_terms(self, prepared):
        prepared = super().add_query_terms(prepared)
        C = prepared["C"]
        prepared["Cm2"] = np.hstack([-2.0 * C[:, :-1], np.ones((C.shape[0], 1))])
        return prepared

    def stage0(self, qp, q0, q1, rp):
        return _gemm(qp["Cm2"][q0:q1], rp["C"])

    def shift(self, qp, q0, q1, rp):
        # the bound is computed by an expansion whose rounding error is a
        # small multiple of eps (|q|^2 + |r|^2): lower it by more than that
        slack = self.rel_eps * (qp["sq"][q0:q1] + rp["sq"].max())
        slack = slack.astype(np.float64)
        return qp["csq"][q0:q1] - slack


def _block_edges(n, m):
    """Start indices of ``m`` near-equal contiguous blocks of ``n`` channels."""
    return np.unique(np.linspace(0, n, m + 1).astype(np.intp)[:-1])


class _ManhattanIndex(_Index):
    """L1 distance in the embedded space with a multi-resolution lower bound.

    For nested partitions of the channels into blocks, the L1 distance of the
    block sums never exceeds the L1 distance of the full vectors, and a finer
    partition gives a bound at least as tight: ``sum_B |sum_{i in B} x_i| <=
    sum_i |x_i|`` by the triangle inequality.
    """

    kind = "manhattan"

    def __init__(self, n_features, prune=True):
        self.n_features = n_features
        if n_features <= 64 or not prune:
            self.resolutions = ()
        elif n_features <= 512:
            # two nested levels (8 divides into 32 blocks): on a 10,000 x 500
            # library about 15 % faster than one level of 16 blocks
            self.resolutions = (8, 32)
        else:
            # the coarse level is nested in the fine one (16 divides 128)
            self.resolutions = (16, 128)
        self.edges = [_block_edges(n_features, m) for m in self.resolutions]
        self.levels = tuple(range(1, len(self.resolutions)))
        self.stage0_exact = not self.resolutions
        self.dense_fraction = 0.25

    def _sums(self, Z, i):
        return np.add.reduceat(Z, self.edges[i], axis=1).astype(np.float64)

    def prepare(self, Z):
        Z = np.ascontiguousarray(Z)
        # |sum(q) - sum(r)| <= |q - r|_1: a one-number bound by which a library
        # sorted on it restricts each query to a contiguous range
        out = {"Z": Z, "key": Z.sum(axis=1, dtype=np.float64)}
        for i in range(len(self.resolutions)):
            out[f"P{i}"] = self._sums(Z, i)
        return out

    def stage0(self, qp, q0, q1, rp):
        key = "P0" if self.resolutions else "Z"
        A = qp[key][q0:q1]
        B = rp[key]
        if A.dtype != np.float64:
            A = A.astype(np.float64)
            B = B.astype(np.float64)
        L = cdist(A, B, "cityblock")
        if not self.stage0_exact:
            L *= 1.0 - _LB_SLACK
        return L

    def level(self, i, qp, rp, rows, cols):
        """Lower bound at resolution ``i`` for the pairs ``(rows, cols)``."""
        d = _pairs_reduce(qp[f"P{i}"], rp[f"P{i}"], rows, cols, "l1")
        return d * (1.0 - _LB_SLACK)

    def exact(self, qp, rp, rows, cols):
        return _pairs_reduce(qp["Z"], rp["Z"], rows, cols, "l1")

    def dense(self, qp, rows, rp):
        return cdist(qp["Z"][rows], rp["Z"], "cityblock")


class _PairwiseIndex(_Index):
    """Any metric, through its vectorised ``pairwise`` (no embedding)."""

    kind = "pairwise"

    def __init__(self, metric, energy):
        # a name or a callable, resolved at use so that the index pickles
        self.metric = metric
        self.energy = energy

    def prepare(self, X):
        return {"Z": np.ascontiguousarray(X, dtype=np.float64)}

    def stage0(self, qp, q0, q1, rp):
        from skspectra.metrics import get_metric

        metric = get_metric(self.metric)
        D = metric.pairwise(qp["Z"][q0:q1], rp["Z"], energy=self.energy)
        return np.asarray(D, dtype=np.float64)


def _search_block(index, qp, q0, q1, rp, j0, top, ref_index=None):
    """Update the top-k of queries ``q0:q1`` with the chunk at offset ``j0``.

    ``ref_index`` gives the global index of each column of the chunk when the
    library is stored permuted (``None``: column ``j`` is reference ``j0 + j``).
    """
    L = index.stage0(qp, q0, q1, rp)
    n_chunk = L.shape[1]
    k = top.k
    shift = index.shift(qp, q0, q1, rp)
    # pairs equal to the k-th best still pass, so that a tie goes to the lower
    # reference index whatever the order in which chunks are searched
    tau = np.nextafter(top.tau(q0, q1), np.inf) - shift
    if ref_index is None:
        ref_index = np.arange(j0, j0 + n_chunk)
    unfilled = np.flatnonzero(np.isinf(tau))
    if unfilled.size:
        kk = min(k, n_chunk)
        sub = L[unfilled]
        if kk < n_chunk:
            part = np.argpartition(sub, kk - 1, axis=1)[:, :kk]
        else:
            part = np.broadcast_to(np.arange(n_chunk), (unfilled.size, n_chunk))
        rows = np.repeat(unfilled, kk)
        cols = part.ravel()
        if index.stage0_exact:
            vals = L[rows, cols] + shift[rows]
        else:
            vals = index.exact(qp, rp, rows + q0, cols)
        top.merge(rows + q0, ref_index[cols], vals)
        L[rows, cols] = np.inf
        tau = np.nextafter(top.tau(q0, q1), np.inf) - shift
    # one comparison over the block; nonzero then reads a byte per pair
    rows, cols = _nonzero2d(L < tau[:, None])
    if rows.size == 0:
        return
    if index.stage0_exact:
        vals = L[rows, cols] + shift[rows]
    elif rows.size > index.dense_fraction * L.size:
        # weak bounds here: exact distances of the active rows, densely
        active = np.unique(rows)
        E = index.dense(qp, active + q0, rp)
        E[np.isinf(L[active])] = np.inf  # pairs merged above
        r, cols = _nonzero2d(E < (tau + shift)[active, None])
        rows = active[r]
        vals = E[r, cols]
    else:
        tau = tau + shift
        for level in index.levels:
            vals = index.level(level, qp, rp, rows + q0, cols)
            keep = vals < tau[rows]
            rows, cols = rows[keep], cols[keep]
        vals = index.exact(qp, rp, rows + q0, cols)
        keep = vals < tau[rows]
        rows, cols, vals = rows[keep], cols[keep], vals[keep]
    top.merge(rows + q0, ref_index[cols], vals)


def sort_library(prepared):
    """The prepared library sorted by its ``key``, and the permutation."""
    perm = np.argsort(prepared["key"], kind="stable")
    return {name: np.ascontiguousarray(v[perm]) for name, v in prepared.items()}, perm


def _key_search_batch(index, qs, q0, q1, rs, perm, top, chunk):
    """Top-k of the key-sorted queries ``q0:q1`` in the key-sorted library.

    A window of references around the queries' keys gives every query ``k``
    exact distances, hence a threshold ``tau``; the only other references
    that can matter have keys within ``tau`` of the query's key (the key
    difference is a lower bound of the distance), a contiguous range of the
    sorted library, searched in chunks after the window.
    """
    k = top.k
    keys = qs["key"][q0:q1]
    rkey = rs["key"]
    n = rkey.size
    pos = np.searchsorted(rkey, keys)
    lo = max(0, int(pos[0]) - _KEY_WINDOW)
    hi = min(n, int(pos[-1]) + _KEY_WINDOW)
    if hi - lo < k:
        lo = max(0, min(lo, n - k))
        hi = lo + k

    def search(a, b):
        for s in range(a, b, chunk):
            e = min(b, s + chunk)
            sl = {name: v[s:e] for name, v in rs.items()}
            _search_block(index, qs, q0, q1, sl, s, top, perm[s:e])

    search(lo, hi)
    tau = top.tau(q0, q1)
    # keys are float64 sums; the margin covers their rounding and that of the
    # distances, which are computed in the library's precision
    radius = index.key_radius(tau)
    margin = radius + _KEY_REL_SLACK * (radius + np.abs(keys))
    a = int(np.searchsorted(rkey, np.min(keys - margin), "left"))
    b = int(np.searchsorted(rkey, np.max(keys + margin), "right"))
    search(a, min(lo, b))
    search(max(hi, a), b)


def key_search(index, qp, n_queries, rs, perm, k, chunk_size, n_jobs=None):
    """Exact top-k over a library sorted by key (see ``sort_library``).

    Same result as ``kneighbors_search``; the queries are searched in batches
    of neighbouring keys, each against the part of the library whose keys
    can be within the batch's thresholds.
    """
    order = np.argsort(qp["key"], kind="stable")
    qs = {name: v[order] for name, v in qp.items()}
    top = _TopK(n_queries, k)
    n = rs["key"].size
    if n < k:
        raise ValueError(
            f"fewer reference spectra than n_neighbors={k}; the library has {n}."
        )
    b = _KEY_BATCH
    starts = range(0, n_queries, b)
    n_jobs = effective_n_jobs(n_jobs)
    args = (rs, perm, top, chunk_size)
    if n_jobs == 1:
        for q0 in starts:
            _key_search_batch(index, qs, q0, min(q0 + b, n_queries), *args)
    else:
        with single_threaded(), Parallel(n_jobs=n_jobs, prefer="threads") as par:
            par(
                delayed(_key_search_batch)(index, qs, q0, min(q0 + b, n_queries), *args)
                for q0 in starts
            )
    dist = np.empty_like(top.dist)
    ind = np.empty_like(top.ind)
    dist[order] = top.dist
    ind[order] = top.ind
    return dist, ind


def _chunk_sizes(n, chunk_size):
    """Sizes of the reference chunks: growing from a small first chunk."""
    sizes = []
    size = min(_FIRST_CHUNK, chunk_size)
    done = 0
    while done < n:
        s = min(size, n - done)
        sizes.append(s)
        done += s
        size = min(4 * size, chunk_size)
    return sizes


def default_chunk_size(n_features, itemsize=8):
    """References per chunk: a chunk of the library of about 32 MiB."""
    return int(np.clip((32 * 2**20) // max(1, n_features * itemsize), 256, 65536))


def _query_batch(chunk_size, n_jobs):
    """Queries per batch: a score block of about 8 MiB, so that it is still
    in cache when it is compared with the thresholds (and never more than
    ``working_memory``)."""
    budget = min(8 * 2**20, get_config()["working_memory"] * 2**20 / max(1, n_jobs))
    return int(max(16, budget // (8 * chunk_size)))


def iter_reference_chunks(X_ref, chunk_size, transform):
    """Yield ``(offset, transformed chunk)`` over a NumPy or Dask library."""
    if is_dask_array(X_ref):
        offset = 0
        for block in X_ref.to_delayed().ravel():
            arr = np.asarray(block.compute())
            for s in range(0, arr.shape[0], chunk_size):
                yield offset + s, transform(arr[s : s + chunk_size])
            offset += arr.shape[0]
    else:
        offset = 0
        for size in _chunk_sizes(X_ref.shape[0], chunk_size):
            yield offset, transform(X_ref[offset : offset + size])
            offset += size


def iter_prepared_slices(ref, n, chunk_size):
    """Yield ``(offset, views of the prepared library)`` chunk by chunk."""
    offset = 0
    for size in _chunk_sizes(n, chunk_size):
        yield offset, {key: val[offset : offset + size] for key, val in ref.items()}
        offset += size


def kneighbors_search(index, qp, n_queries, chunks, k, n_jobs=None):
    """Exact top-k of every query over the reference chunks.

    Parameters
    ----------
    index : _EuclideanIndex, _ManhattanIndex or _PairwiseIndex
        How blocks are scored.
    qp : dict
        The prepared queries (``index.prepare`` of the embedded queries).
    n_queries : int
        Number of queries.
    chunks : iterable of (int, dict)
        ``(offset, prepared reference chunk)``.
    k : int
        Number of neighbours.
    n_jobs : int or None
        Threads over query batches; BLAS keeps its own threads when ``None``
        or 1 and is limited to one thread per worker otherwise.

    Returns
    -------
    dist : ndarray of shape (n_queries, k)
        Distances in the embedded space, ascending per row.
    ind : ndarray of shape (n_queries, k)
        Global indices of the references.
    """
    n_jobs = effective_n_jobs(n_jobs)
    top = _TopK(n_queries, k)
    chunks = iter(chunks)
    if n_jobs == 1:
        for j0, rp in chunks:
            n_chunk = next(iter(rp.values())).shape[0]
            b = _query_batch(n_chunk, 1)
            for q0 in range(0, n_queries, b):
                _search_block(index, qp, q0, min(q0 + b, n_queries), rp, j0, top)
    else:
        with single_threaded(), Parallel(n_jobs=n_jobs, prefer="threads") as par:
            for j0, rp in chunks:
                n_chunk = next(iter(rp.values())).shape[0]
                b = _query_batch(n_chunk, n_jobs)
                b = max(1, min(b, -(-n_queries // n_jobs)))
                par(
                    delayed(_search_block)(
                        index, qp, q0, min(q0 + b, n_queries), rp, j0, top
                    )
                    for q0 in range(0, n_queries, b)
                )
    if np.any(top.ind < 0):
        raise ValueError(
            f"fewer reference spectra than n_neighbors={k}; the search found "
            f"only {int((top.ind[0] >= 0).sum())}."
        )
    return top.dist, top.ind
