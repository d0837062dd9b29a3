"""Exact k-nearest-neighbour search of spectra under a spectral metric.

One entry point, :func:`build_index`, turns a library of spectra and a
metric into a :class:`NeighborsIndex` whose :meth:`~NeighborsIndex.query`
returns the ``k`` nearest library spectra of every query, exactly (the
neighbours of a brute-force search in float64, ties to the lower index).
The index owns every choice behind that answer:

* most spectral distances are an ordinary Euclidean or Manhattan distance
  after a cheap per-spectrum transform (``SpectralMetric.embed``); the search
  runs in that embedded space, centred on the library's mean and scaled by a
  power of two (distances do not change, apart from the exact power-of-two
  factor, and no square overflows whatever the units of the spectra);
* the library is streamed in chunks (a NumPy array, or the blocks of a Dask
  array computed one at a time); each query keeps a running top-k, and its
  k-th best value is a threshold below which a reference must lie to matter;
* a block of (queries x references) is first scored cheaply: Euclidean
  embeddings by one BLAS product (``|r|^2 - 2 q.r``, the package's Euclidean
  kernel), Manhattan embeddings (Wasserstein = L1 between cumulative
  distributions) by a cascade of exact lower bounds (the L1 distance of the
  block sums of nested partitions of the channels, triangle inequality);
  large Euclidean libraries by the distance of a projection on the leading
  singular vectors of the library plus the norm of the residual;
* every such score is compared with the threshold widened by a bound on its
  own rounding error in the arithmetic actually used (float32 products for a
  float32 library), so no true neighbour is ever dismissed; the survivors get
  their exact distance, always in float64 from the float64 embedding.  An
  in-memory float32 library keeps float32 scores in the running top-k (the
  k best and a few more, with thresholds that bound the exact k-th value
  from above) and computes float64 distances only for the final candidates,
  the pairs within the float32 rounding of the k-th;
* an in-memory library is also sorted by a one-number key whose difference
  never exceeds the distance (the sum of each embedded spectrum for L1,
  ``|sum(q) - sum(r)| <= |q - r|_1``; the projection on the principal axis for
  Euclidean, ``|u.q - u.r| <= |q - r|`` for a unit ``u``).  Queries are
  searched in batches of neighbouring keys, each against the contiguous
  range of the sorted library whose keys can be within its thresholds.
  When the first batch shows that the key ranges and bounds dismiss too
  little (a library without structure), the rest of the queries take the
  plain chunked search, which is then cheaper;
* metrics without an embedding and user callables score a block with the
  metric's own vectorised ``pairwise``.
"""

import threading

import numpy as np
from joblib import Parallel, delayed, effective_n_jobs
from scipy.spatial.distance import cdist
from sklearn import get_config
from sklearn.utils.extmath import randomized_svd

from skspectra.metrics import get_metric
from skspectra.utils._euclidean import (
    euclidean_block,
    expanded_sq_distances,
    squared_norms,
)
from skspectra.utils._parallel import single_threaded
from skspectra.utils.validation import is_dask_array

__all__ = ["NeighborsIndex", "build_index"]

# the first reference chunk: its k-th best references give every query a
# threshold already close to its final one, so later chunks are mostly
# dismissed by one comparison; chunks then grow by this factor
_FIRST_CHUNK = 4096
_CHUNK_GROWTH = 4
# a reference chunk holds about this many bytes of the embedded library,
# within these bounds on the number of references
_CHUNK_BYTES = 32 * 2**20
_CHUNK_LIMITS = (256, 65536)
# a score block (queries x chunk, float64) of this size is still in cache
# when it is compared with the thresholds
_SCORE_BLOCK_BYTES = 8 * 2**20
_MIN_QUERY_BATCH = 16

# key-sorted search: queries per batch (neighbouring keys share one window
# and one range of the library, and make one efficient matrix product)
_KEY_BATCH = 128
# references on each side of a batch's keys scored first, which gives every
# query k exact distances among references of nearly its own key
_KEY_WINDOW = 256
# references added on each side per step of the search outwards from the
# window: the thresholds fall from step to step, and a step still makes an
# efficient block with the batch's queries
_KEY_STEP = 2048
# relative margin on key ranges, far above the float64 rounding of the keys
# and of the exact distances
_KEY_REL_SLACK = 1e-6
# queries of the first batch, searched alone (on one thread) to find out
# whether the key-sorted search pays: few enough that, when it does not, the
# work thrown away is small next to the whole search
_KEY_PROBE = 32
# the key-sorted search goes on only while its first batch costs less than
# this fraction of the plain chunked search of the same queries (counted in
# multiply-adds); above it the bounds dismiss too little to pay for
# themselves, and the plain search is faster
_KEY_MAX_WORK = 0.7
# a distance of a pair reads two scattered rows: per channel it costs about
# as much time as this many multiply-adds of a matrix product
_EXACT_COST = 50.0

# projection lower bounds pay off for libraries at least this large, on
# spectra with at least this many embedded channels
_PROJECT_MIN_SAMPLES = 4096
_PROJECT_MIN_FEATURES = 192
# library rows the projection basis and the centre are computed from
_SAMPLE_ROWS = 2048
# the basis has at most this many vectors, and at most one per this many
# channels: a product in so few dimensions costs a fraction of the full one
_PROJECT_MAX_RANK = 48
_PROJECT_CHANNELS_PER_RANK = 8
# above this fraction of candidate pairs in a block, the exact scores of the
# block's active rows are computed densely rather than pair by pair
_PROJECT_DENSE_FRACTION = 0.02
_MANHATTAN_DENSE_FRACTION = 0.25
# multi-resolution L1 bounds: none up to this many channels (the full
# distance is cheap), above it nested levels of block sums: 16, 64 and 128
# blocks up to 512 channels, 16 and 128 beyond (each coarse level nested in
# the fine one, and cheap next to the full distance).  The coarse level is
# scored against every reference whose key is in range, so it must be cheap;
# 16 blocks still keep most of the distance of smooth cumulative spectra and
# of random walks alike, where 8 let several times more pairs reach the
# finer levels.  A pair read at 128 blocks costs a quarter of its full
# distance at 500 channels, and on libraries whose keys do not separate it
# dismisses about a third of the pairs that pass 64 blocks
_MANHATTAN_MIN_CHANNELS = 64
_MANHATTAN_LEVELS = ((512, (16, 64, 128)), (None, (16, 128)))
# the levels after the coarse one are read pair by pair, at scattered rows:
# stored in float32 they take half the bytes, at a bound looser by a few
# float32 roundings of |q|_1 + |r|_1 (nothing next to the distances)
_LEVEL_DTYPE = np.float32
# relative margin on the float64 norms that scale the rounding bounds (the
# norms themselves are rounded)
_NORM_SLACK = 1e-6
# a library stored in float32 keeps this many candidates per query beyond the
# k best float32 values (pairs within the float32 rounding of the k-th), so
# that only they need a float64 distance; more than this many within the
# rounding bound (near-duplicates) sends the query to the float64 search
_SPARE_CANDIDATES = 8

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


def _nonzero2d(mask):
    """``np.nonzero`` of a C-contiguous 2-D mask, as (rows, cols).

    Through the flat indices: one pass that writes an index per hit, where
    ``np.nonzero`` on the 2-D array fills two index arrays per hit.
    """
    flat = np.flatnonzero(mask)
    return np.divmod(flat, mask.shape[1])


def _gamma(n_terms, dtype):
    """Bound on the relative rounding error of a sum of ``n_terms`` products.

    ``n u / (1 - n u)`` with ``u`` the unit roundoff (Higham, Accuracy and
    Stability of Numerical Algorithms, 2nd ed., section 3.1), whatever the
    order of summation, doubled for the handful of other operations.
    """
    u = np.finfo(dtype).eps / 2
    nu = (n_terms + 8) * u
    return 2.0 * nu / (1.0 - nu)


class _TopK:
    """The smallest values per query seen so far, kept sorted by row.

    With ``upper=None`` the values are exact and ``k`` are kept.  Otherwise
    the values are scores in a lower precision, ``k + spare`` are kept, and
    ``upper(values, rows)`` bounds the exact value of a pair from its score:
    the thresholds are then upper bounds of the exact k-th value.
    """

    def __init__(self, n_queries, k, spare=0, upper=None):
        self.k = k
        self.upper = upper
        self.dist = np.full((n_queries, k + spare), np.inf)
        self.ind = np.full((n_queries, k + spare), -1, dtype=np.intp)

    def tau(self, q0, q1):
        """Bound on the exact k-th best value of each query in ``q0:q1``
        (inf if unfilled)."""
        t = self.dist[q0:q1, self.k - 1]
        if self.upper is None:
            return t
        return self.upper(t, slice(q0, q1))

    def merge(self, rows, cols, vals):
        """Merge candidate pairs ``(rows, cols)`` with values ``vals``."""
        if rows.size == 0:
            return
        k = self.dist.shape[1]
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


def _pairs_reduce(A, B, rows, cols, kind, B_lo=None):
    """Distances of the pairs ``(A[rows], B[cols])``: "sqeuclidean" or "l1".

    ``B_lo``, if given, is the low part of ``B``: the pairs are then those
    of ``A`` with ``B + B_lo``, computed in float64.
    """
    out = np.empty(rows.size, dtype=np.float64)
    block = max(32, 2**16 // max(A.shape[1], 1))
    for s in range(0, rows.size, block):
        c = cols[s : s + block]
        diff = A[rows[s : s + block]] - B[c]
        if B_lo is not None:
            diff -= B_lo[c]
        if kind == "l1":
            np.abs(diff, out=diff)
            out[s : s + block] = diff.sum(axis=1)
        else:
            out[s : s + block] = np.einsum("ij,ij->i", diff, diff)
    return out


def _block_edges(n, m):
    """Start indices of ``m`` near-equal contiguous blocks of ``n`` channels."""
    return np.unique(np.linspace(0, n, m + 1).astype(np.intp)[:-1])


def _sample_rows(n):
    """Evenly spaced rows of the library (deterministic)."""
    return np.unique(np.linspace(0, n - 1, min(n, _SAMPLE_ROWS)).astype(np.intp))


# --------------------------------------------------------------------------
# scorers: how a (query batch x reference chunk) block is scored
# --------------------------------------------------------------------------
class _Scorer:
    """Scores of a block, the thresholds they are compared with, exact values.

    ``prepare`` maps float64 embedded spectra (centred and scaled) to the
    arrays the scores need, in the storage precision ``dtype``.  A score is
    never the exact value: it is compared with a threshold derived from the
    exact k-th value ``tau`` and a bound on the score's rounding error, so
    that no pair whose exact value is at most ``tau`` is dismissed.
    """

    levels = ()
    stage0_exact = False
    dense_fraction = 1.0
    embedded = True

    def __init__(self, n_features, dtype):
        self.n_features = n_features
        self.dtype = np.dtype(dtype)
        # rounding of a d-term sum in the storage precision, and in float64
        self.gamma = _gamma(n_features, self.dtype)
        self.gamma64 = _gamma(n_features, np.float64)
        # relative rounding of the stored values (none when stored in float64)
        self.u_store = (
            0.0 if self.dtype == np.float64 else float(np.finfo(self.dtype).eps)
        )
        # the largest norm of a library row, set once the library is prepared
        self.ref_scale = 0.0

    def add_query_terms(self, prepared):
        """Complete prepared spectra so that they serve as queries."""
        return prepared

    def work0(self):
        """Multiply-adds per pair of the first score."""
        return self.n_features


class _EuclideanScorer(_Scorer):
    """Squared Euclidean distance in the embedded space, scored by BLAS."""

    kind = "sqeuclidean"
    key_abs = "nrm"

    def prepare(self, Z64):
        Z = np.ascontiguousarray(Z64, dtype=self.dtype)
        out = {"Z": Z, "sq": squared_norms(Z), "nrm": np.sqrt(squared_norms(Z64))}
        return out

    def add_query_terms(self, prepared):
        Z = prepared["Z"]
        prepared["Zm2"] = -2.0 * Z
        prepared["sqs"] = squared_norms(np.asarray(Z, dtype=np.float64))
        return prepared

    def stage0(self, qp, q0, q1, rp):
        # |r|^2 - 2 q.r; |q|^2 is a per-query shift applied to the thresholds
        out = _score_buffer((q1 - q0, rp["Z"].shape[0]), self.dtype)
        return expanded_sq_distances(
            None, rp["Z"], None, rp["sq"], out=out, minus_two_a=qp["Zm2"][q0:q1]
        )

    def _widen(self, tau, nrm):
        """Threshold on a storage-precision squared distance.

        With ``s = |q| + max |r|``: the stored vectors are within
        ``rho = u s`` of the float64 ones (so the distance within ``rho``),
        and the expansion and the exact recompute are within ``eps s^2``.
        """
        s = (nrm + self.ref_scale) * (1.0 + _NORM_SLACK)
        rho = self.u_store * s
        eps = (self.gamma + self.gamma64) * s * s
        return (np.sqrt(tau) + rho) ** 2 + eps

    def threshold0(self, tau, qp, q0, q1, rp):
        return self._widen(tau, qp["nrm"][q0:q1]) - qp["sqs"][q0:q1]

    def dense(self, qp, rows, rp):
        """Squared distances of the query rows ``rows`` to the whole chunk."""
        return euclidean_block(
            qp["Z"][rows], rp["Z"], qp["sq"][rows], rp["sq"], squared=True
        )

    def dense_threshold(self, tau, qp, rows):
        return self._widen(tau, qp["nrm"][rows])

    def pairs(self, qp, rp, rows, cols):
        """Squared distances of pairs from their stored differences."""
        return _pairs_reduce(qp["Z"], rp["Z"], rows, cols, self.kind)

    def pair_threshold(self, tau, qp, rows):
        # the stored rows are within rho of the float64 ones; a sum of d
        # squared differences rounds by at most gamma relative
        rho = self.u_store * (qp["nrm"][rows] + self.ref_scale) * (1.0 + _NORM_SLACK)
        return (np.sqrt(tau) + rho) ** 2 * (1.0 + self.gamma + 3 * self.u_store)

    def upper(self, score, qp, rows):
        """Bound on the float64 squared distance of a pair from its score
        ``pairs`` (the converse of ``pair_threshold``)."""
        rho = self.u_store * (qp["nrm"][rows] + self.ref_scale) * (1.0 + _NORM_SLACK)
        s = score / (1.0 - self.gamma - 3 * self.u_store)
        return (np.sqrt(s) + rho) ** 2 * (1.0 + 2 * self.gamma64)

    def key_radius(self, tau):
        # values are squared distances; |u.q - u.r| <= |q - r| for a unit u
        return np.sqrt(np.maximum(tau, 0.0))

    def finalize(self, d, log2_scale):
        return np.ldexp(np.sqrt(np.maximum(d, 0.0)), log2_scale)


class _ProjectedEuclideanScorer(_EuclideanScorer):
    """Euclidean search pruned by an exact low-dimensional lower bound.

    With ``V`` an orthonormal basis (d x m) and ``P = V V^T``, Pythagoras and
    the reverse triangle inequality give, for any ``q`` and ``r``,

    ``|q - r|^2 = |P(q - r)|^2 + |(I - P)(q - r)|^2
    >= |V^T q - V^T r|^2 + (|(I - P) q| - |(I - P) r|)^2``,

    the squared distance of the (m + 1)-vectors ``[V^T z, |(I - P) z|]``.  A
    basis of the leading singular vectors of the library makes this bound
    nearly tight for smooth spectra, so a GEMM in m + 1 dimensions dismisses
    most references, and exact distances are computed only for the rest.
    The bound is computed in float64 from the float64 embedding, the
    residual norm from the residual itself (no cancellation).
    """

    dense_fraction = _PROJECT_DENSE_FRACTION

    def __init__(self, n_features, dtype, basis, key_axis):
        super().__init__(n_features, dtype)
        self.basis = basis
        # a unit vector: the projection on it is the key of the sorted search
        self.key_axis = key_axis
        self.rel_eps = 4.0 * _gamma(n_features, np.float64)

    def prepare(self, Z64):
        out = super().prepare(Z64)
        C = Z64 @ self.basis
        residual = Z64 - C @ self.basis.T
        C = np.hstack([C, np.sqrt(squared_norms(residual))[:, None]])
        csq = squared_norms(C)
        # [C, |C|^2] so that one GEMM with [-2 C_q, 1] gives |C_r|^2 - 2 C_q.C_r
        out["C"] = np.hstack([C, csq[:, None]])
        out["csq"] = csq
        out["key"] = Z64 @ self.key_axis
        return out

    def add_query_terms(self, prepared):
        prepared = super().add_query_terms(prepared)
        C = prepared["C"]
        prepared["Cm2"] = np.hstack([-2.0 * C[:, :-1], np.ones((C.shape[0], 1))])
        return prepared

    def stage0(self, qp, q0, q1, rp):
        out = _score_buffer((q1 - q0, rp["C"].shape[0]), np.float64)
        return np.matmul(qp["Cm2"][q0:q1], rp["C"].T, out=out)

    def threshold0(self, tau, qp, q0, q1, rp):
        # the bound's expansion rounds by a small multiple of eps (|q|^2 +
        # |r|^2), and the exact value by as much: lower it by more than that
        s = qp["nrm"][q0:q1] + self.ref_scale
        return tau + self.rel_eps * s * s - qp["csq"][q0:q1]

    def work0(self):
        return self.basis.shape[1] + 2


class _ManhattanScorer(_Scorer):
    """L1 distance in the embedded space with a multi-resolution lower bound.

    For nested partitions of the channels into blocks, the L1 distance of the
    block sums never exceeds the L1 distance of the full vectors, and a finer
    partition gives a bound at least as tight: ``sum_B |sum_{i in B} x_i| <=
    sum_i |x_i|`` by the triangle inequality.  The block sums are taken in
    float64 from the float64 embedding.
    """

    kind = "l1"
    key_abs = "l1"
    dense_fraction = _MANHATTAN_DENSE_FRACTION

    def __init__(self, n_features, dtype, prune=True):
        super().__init__(n_features, dtype)
        self.resolutions = ()
        if prune and n_features > _MANHATTAN_MIN_CHANNELS:
            for max_channels, resolutions in _MANHATTAN_LEVELS:
                if max_channels is None or n_features <= max_channels:
                    # the coarse level is nested in the fine one
                    self.resolutions = resolutions
                    break
        self.edges = [_block_edges(n_features, m) for m in self.resolutions]
        self.levels = tuple(range(1, len(self.resolutions)))
        # rounding of sums of the float64 embedding and of the exact value
        self.bound_slack = 2.0 * _gamma(2 * n_features, np.float64)
        # the finer levels are stored in _LEVEL_DTYPE: their block sums are
        # rounded once (by u, relative), and their L1 distance is summed in
        # that precision; twice the resulting bound, relative to
        # |q|_1 + |r|_1, is added to the float64 slack
        finest = self.resolutions[-1] if self.resolutions else 1
        self.level_slack = self.bound_slack + 2.0 * (
            float(np.finfo(_LEVEL_DTYPE).eps) + _gamma(finest, _LEVEL_DTYPE)
        )
        # and of the stored values, for scores computed from them
        self.store_slack = self.bound_slack + 2.0 * self.u_store

    def prepare(self, Z64):
        out = {
            "Z": np.ascontiguousarray(Z64, dtype=self.dtype),
            "l1": np.abs(Z64).sum(axis=1),
            # |sum(q) - sum(r)| <= |q - r|_1: a one-number bound by which a
            # library sorted on it restricts each query to a contiguous range
            "key": Z64.sum(axis=1),
        }
        for i, edges in enumerate(self.edges):
            P = np.add.reduceat(Z64, edges, axis=1)
            out[f"P{i}"] = P if i == 0 else P.astype(_LEVEL_DTYPE)
        return out

    def stage0(self, qp, q0, q1, rp):
        name = "P0" if self.resolutions else "Z"
        A = np.asarray(qp[name][q0:q1], dtype=np.float64)
        return cdist(A, np.asarray(rp[name], dtype=np.float64), "cityblock")

    def _widen(self, tau, l1, slack):
        return tau + slack * (l1 + self.ref_scale) * (1.0 + _NORM_SLACK)

    def threshold0(self, tau, qp, q0, q1, rp):
        slack = self.bound_slack if self.resolutions else self.store_slack
        return self._widen(tau, qp["l1"][q0:q1], slack)

    def level(self, i, qp, rp, rows, cols):
        """Lower bound at resolution ``i`` for the pairs ``(rows, cols)``."""
        ref = rp[f"P{i}"]
        return _pairs_reduce(qp[f"P{i}"], ref, rows, cols, "l1")

    def level_threshold(self, tau, qp, rows):
        return self._widen(tau, qp["l1"][rows], self.level_slack)

    def dense(self, qp, rows, rp):
        A = np.asarray(qp["Z"][rows], dtype=np.float64)
        return cdist(A, np.asarray(rp["Z"], dtype=np.float64), "cityblock")

    def dense_threshold(self, tau, qp, rows):
        return self._widen(tau, qp["l1"][rows], self.store_slack)

    def pairs(self, qp, rp, rows, cols):
        """L1 distances of pairs from their stored differences."""
        return _pairs_reduce(qp["Z"], rp["Z"], rows, cols, self.kind)

    def pair_threshold(self, tau, qp, rows):
        # the stored rows are within u |z|_1 of the float64 ones; a sum of d
        # absolute differences rounds by at most gamma relative
        tau = self._widen(tau, qp["l1"][rows], self.store_slack)
        return tau * (1.0 + self.gamma + 2 * self.u_store)

    def upper(self, score, qp, rows):
        """Bound on the float64 L1 distance of a pair from its score
        ``pairs`` (the converse of ``pair_threshold``)."""
        s = score / (1.0 - self.gamma - 2 * self.u_store)
        return self._widen(s, qp["l1"][rows], self.store_slack)

    def key_radius(self, tau):
        return tau

    def finalize(self, d, log2_scale):
        return np.ldexp(d, log2_scale)

    def work0(self):
        return len(self.edges[0]) if self.resolutions else self.n_features


class _PairwiseScorer(_Scorer):
    """Any metric, through its vectorised ``pairwise`` (no embedding)."""

    kind = "pairwise"
    stage0_exact = True
    embedded = False

    def __init__(self, n_features, metric, energy):
        super().__init__(n_features, np.float64)
        # a name or a callable, resolved at use so that the index pickles
        self.metric = metric
        self.energy = energy

    def prepare(self, X):
        return {"Z": np.ascontiguousarray(X, dtype=np.float64)}

    def stage0(self, qp, q0, q1, rp):
        metric = get_metric(self.metric)
        D = metric.pairwise(qp["Z"][q0:q1], rp["Z"], energy=self.energy)
        return np.asarray(D, dtype=np.float64)

    def threshold0(self, tau, qp, q0, q1, rp):
        return tau

    def finalize(self, d, log2_scale):
        return d


# --------------------------------------------------------------------------
# the search of one block, chunked and key-sorted searches
# --------------------------------------------------------------------------
class _PruningDoesNotPay(Exception):
    """The work spent on a batch passed its budget (see ``_search_block``)."""


def _charge(work, amount):
    """Add ``amount`` multiply-adds to ``work``; raise past its budget."""
    if work is not None:
        work[0] += amount
        if work[0] > work[1]:
            raise _PruningDoesNotPay


def _search_block(scorer, exact, qp, q0, q1, rp, top, work=None):
    """Update the top-k of queries ``q0:q1`` with one reference chunk.

    ``rp["gid"]`` gives the library index of each column of the chunk;
    ``exact(qp, rp, rows, cols)`` the exact float64 values of pairs.
    ``work``, a list ``[spent, budget]``, accumulates the multiply-adds
    spent; before a step would pass the budget the search raises
    ``_PruningDoesNotPay``.
    """
    n_chunk = rp["gid"].size
    d = scorer.n_features
    # scores in the storage precision are the values kept; float64 comes last
    approx = top.upper is not None
    _charge(work, (q1 - q0) * n_chunk * scorer.work0())
    L = scorer.stage0(qp, q0, q1, rp)
    gid = rp["gid"]
    k = top.k
    tau = top.tau(q0, q1)
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
        if scorer.stage0_exact:
            vals = L[rows, cols]
        elif approx:
            _charge(work, rows.size * d * _EXACT_COST)
            vals = scorer.pairs(qp, rp, rows + q0, cols)
        else:
            _charge(work, rows.size * d * _EXACT_COST)
            vals = exact(qp, rp, rows + q0, cols)
        top.merge(rows + q0, gid[cols], vals)
        L[rows, cols] = np.inf
        tau = top.tau(q0, q1)
    # pairs equal to the k-th best still pass, so that a tie goes to the lower
    # reference index whatever the order in which chunks are searched
    tau = np.nextafter(tau, np.inf)
    # one comparison over the block; nonzero then reads a byte per pair
    rows, cols = _nonzero2d(L < scorer.threshold0(tau, qp, q0, q1, rp)[:, None])
    if rows.size == 0:
        return
    if scorer.stage0_exact:
        top.merge(rows + q0, gid[cols], L[rows, cols])
        return
    if rows.size > scorer.dense_fraction * L.size:
        # weak bounds here: scores of the active rows, densely
        active = np.unique(rows)
        _charge(work, active.size * n_chunk * d)
        E = scorer.dense(qp, active + q0, rp)
        E[np.isinf(L[active])] = np.inf  # pairs merged above
        limit = scorer.dense_threshold(tau[active], qp, active + q0)
        r, cols = _nonzero2d(E < limit[:, None])
        rows = active[r]
    else:
        for level in scorer.levels:
            _charge(work, rows.size * len(scorer.edges[level]) * _EXACT_COST)
            vals = scorer.level(level, qp, rp, rows + q0, cols)
            limit = scorer.level_threshold(tau[rows], qp, rows + q0)
            keep = vals < limit
            rows, cols = rows[keep], cols[keep]
    if scorer.u_store:
        # stored in a lower precision: screen in it before float64
        _charge(work, rows.size * d * _EXACT_COST)
        vals = scorer.pairs(qp, rp, rows + q0, cols)
        keep = vals < scorer.pair_threshold(tau[rows], qp, rows + q0)
        rows, cols = rows[keep], cols[keep]
        if approx:
            top.merge(rows + q0, gid[cols], vals[keep])
            return
    _charge(work, rows.size * d * _EXACT_COST)
    vals = exact(qp, rp, rows + q0, cols)
    keep = vals < tau[rows]
    top.merge(rows[keep] + q0, gid[cols[keep]], vals[keep])


def _slices(prepared, a, b):
    return {name: v[a:b] for name, v in prepared.items()}


def _key_search_batch(scorer, exact, qs, q0, q1, rs, top, chunk, work=None):
    """Top-k of the key-sorted queries ``q0:q1`` in the key-sorted library.

    A window of references around the queries' keys gives every query ``k``
    exact distances, hence a threshold ``tau``; the only other references
    that can matter have keys within ``tau`` of the query's key (the key
    difference is a lower bound of the distance), a contiguous range of the
    sorted library.  It is searched outwards from the window, in steps of
    ``_KEY_STEP`` references on each side, and shrinks as the thresholds
    fall: the nearest keys come first, so later steps meet lower thresholds.
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
            rp = _slices(rs, s, min(b, s + chunk))
            _search_block(scorer, exact, qs, q0, q1, rp, top, work)

    search(lo, hi)
    # keys are float64 sums of float64 products: their rounding is a tiny
    # fraction of the sum of the absolute values of the terms
    spread = qs[scorer.key_abs][q0:q1] + scorer.ref_scale
    step = min(chunk, _KEY_STEP)
    while True:
        radius = scorer.key_radius(top.tau(q0, q1))
        margin = radius + _KEY_REL_SLACK * (radius + spread)
        a = int(np.searchsorted(rkey, np.min(keys - margin), "left"))
        b = int(np.searchsorted(rkey, np.max(keys + margin), "right"))
        if a >= lo and b <= hi:
            return
        if a < lo:
            start = max(a, lo - step)
            search(start, lo)
            lo = start
        if b > hi:
            stop = min(b, hi + step)
            search(hi, stop)
            hi = stop


def _run_batches(fn, starts, n_jobs):
    """``fn(q0)`` for every batch start, over threads when ``n_jobs > 1``."""
    if n_jobs == 1:
        for q0 in starts:
            fn(q0)
    else:
        with single_threaded(), Parallel(n_jobs=n_jobs, prefer="threads") as par:
            par(delayed(fn)(q0) for q0 in starts)


def _chunk_sizes(n, chunk_size):
    """Sizes of the reference chunks: growing from a small first chunk."""
    sizes = []
    size = min(_FIRST_CHUNK, chunk_size)
    done = 0
    while done < n:
        s = min(size, n - done)
        sizes.append(s)
        done += s
        size = min(_CHUNK_GROWTH * size, chunk_size)
    return sizes


def default_chunk_size(n_features, itemsize=8):
    """References per chunk: a chunk of the library of ``_CHUNK_BYTES``."""
    size = _CHUNK_BYTES // max(1, n_features * itemsize)
    return int(np.clip(size, *_CHUNK_LIMITS))


def _query_batch(chunk_size, n_jobs):
    """Queries per batch: a score block of ``_SCORE_BLOCK_BYTES``, so that it
    is still in cache when it is compared with the thresholds (and never more
    than ``working_memory``)."""
    budget = min(
        _SCORE_BLOCK_BYTES, get_config()["working_memory"] * 2**20 / max(1, n_jobs)
    )
    return int(max(_MIN_QUERY_BATCH, budget // (8 * chunk_size)))


def _chunked_search(scorer, exact, qp, q0, q1, chunks, top, n_jobs):
    """Exact top-k of the queries ``q0:q1`` over the reference chunks."""
    n_queries = q1 - q0
    if n_queries <= 0:
        return
    if n_jobs == 1:
        for rp in chunks:
            b = _query_batch(rp["gid"].size, 1)
            for s in range(q0, q1, b):
                _search_block(scorer, exact, qp, s, min(s + b, q1), rp, top)
        return
    with single_threaded(), Parallel(n_jobs=n_jobs, prefer="threads") as par:
        for rp in chunks:
            b = _query_batch(rp["gid"].size, n_jobs)
            b = max(1, min(b, -(-n_queries // n_jobs)))
            par(
                delayed(_search_block)(scorer, exact, qp, s, min(s + b, q1), rp, top)
                for s in range(q0, q1, b)
            )


# --------------------------------------------------------------------------
# the index
# --------------------------------------------------------------------------
def _leading_basis(Z):
    """Orthonormal basis (d x m) of the leading right singular vectors."""
    m = int(
        min(_PROJECT_MAX_RANK, Z.shape[1] // _PROJECT_CHANNELS_PER_RANK, Z.shape[0])
    )
    # any orthonormal basis keeps the bound exact; a good one makes it tight
    _, _, vt = randomized_svd(Z, m, n_iter=4, random_state=0)
    q, _ = np.linalg.qr(vt.T)
    return np.ascontiguousarray(q)


def _principal_axis(Z):
    """Unit vector along which the (centred) rows of ``Z`` vary most."""
    _, _, vt = randomized_svd(Z, 1, n_iter=4, random_state=0)
    return vt[0] / np.linalg.norm(vt[0])


def _embed_float64(metric, X, energy):
    """The metric's embedding of spectra ``X``, computed in float64."""
    Z = get_metric(metric).embed(np.asarray(X, dtype=np.float64), energy=energy)
    return np.asarray(Z, dtype=np.float64)


def _scale_pow2(Z, exponent):
    """``Z * 2**exponent`` in place: a product by a normal power of two is
    what ``np.ldexp`` computes, several times faster; ``ldexp`` beyond."""
    factor = np.ldexp(1.0, exponent)
    if np.finfo(np.float64).tiny <= factor <= np.finfo(np.float64).max:
        return np.multiply(Z, factor, out=Z)
    return np.ldexp(Z, exponent, out=Z)


def _concat(parts):
    return {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}


class NeighborsIndex:
    """Exact nearest library spectra under one spectral metric.

    Built by :func:`build_index`, which chooses how blocks are scored and
    prepares (and, where it pays, sorts) the library; :meth:`query` and
    :meth:`query_library` return neighbours in the metric's own units.
    """

    def __init__(self, metric, energy, scorer, chunk_size, n_jobs):
        self.metric = metric
        self.energy = energy
        self.scorer = scorer
        self.chunk_size = chunk_size
        self.n_jobs = n_jobs
        # centre and power of two applied to every embedded spectrum
        self.centre = None
        self.log2_scale = 0
        self.n_samples = 0
        self._dask = None
        self._ref = None
        self._perm = None
        self._pos = None
        self._plain = None

    # -- embedding -----------------------------------------------------------

    def _embed64(self, X):
        """float64 embedding of spectra ``X``, centred and scaled."""
        if not self.scorer.embedded:
            return np.asarray(X, dtype=np.float64)
        Z = _embed_float64(self.metric, X, self.energy)
        Z -= self.centre
        return _scale_pow2(Z, -self.log2_scale)

    def _set_frame(self, sample):
        """Centre and power-of-two scale from float64 embedded sample rows."""
        self.centre = sample.mean(axis=0)
        top = float(np.max(np.abs(sample - self.centre), initial=0.0))
        if not np.isfinite(top):
            raise ValueError(
                "the training spectra X are outside the floating-point range "
                "of the metric (their embedding is not finite)."
            )
        # a power of two leaves the digits of every value unchanged
        self.log2_scale = int(np.frexp(top)[1]) if top > 0 else 0

    def _prepare(self, X, queries=False, keep_exact=False):
        """Prepared spectra: the scorer's arrays, and the exact float64 rows
        where they are not what is stored (queries and a chunk of a Dask
        library: the rows themselves; an in-memory library: the float32
        remainder ``lo``, with which ``Z + lo`` is the float64 row to about
        48 bits)."""
        Z64 = self._embed64(X)
        prepared = self.scorer.prepare(Z64)
        if self.scorer.embedded and self.scorer.dtype != np.float64:
            if queries or keep_exact:
                prepared["E"] = Z64
            else:
                lo = Z64 - prepared["Z"]
                prepared["lo"] = lo.astype(self.scorer.dtype)
        if queries:
            prepared = self.scorer.add_query_terms(prepared)
        for name in ("sq", "sqs", "nrm", "l1"):
            if name in prepared and not np.all(np.isfinite(prepared[name])):
                whose = "query spectra X" if queries else "training spectra X"
                raise ValueError(
                    f"the {whose} lie too far outside the range of the "
                    "training spectra for the search in "
                    f"{self.scorer.dtype.name}; pass float64 spectra."
                )
        return prepared

    # -- the library ---------------------------------------------------------

    def _fit(self, X, prune):
        self.n_samples = X.shape[0]
        if is_dask_array(X):
            self._fit_dask(X)
            return
        parts = []
        offsets = np.cumsum([0, *_chunk_sizes(self.n_samples, self.chunk_size)])
        for a, b in zip(offsets[:-1], offsets[1:], strict=True):
            part = self._prepare(X[a:b])
            part["gid"] = np.arange(a, b)
            parts.append(part)
        self._ref = _concat(parts)
        if not self.scorer.embedded:
            self._check_pairwise(self._ref["Z"])
        self.scorer.ref_scale = self._ref_scale(self._ref)
        if prune and "key" in self._ref:
            perm = np.argsort(self._ref["key"], kind="stable")
            self._ref = {k: np.ascontiguousarray(v[perm]) for k, v in self._ref.items()}
            self._perm = perm
            self._pos = np.empty_like(perm)
            self._pos[perm] = np.arange(perm.size)
            if isinstance(self.scorer, _ProjectedEuclideanScorer):
                self._plain = _EuclideanScorer(
                    self.scorer.n_features, self.scorer.dtype
                )
                self._plain.ref_scale = self.scorer.ref_scale

    def _check_pairwise(self, X):
        """Let the metric validate the library once, as its first argument."""
        metric = get_metric(self.metric)
        for s in range(0, X.shape[0], self.chunk_size):
            metric.pairwise(X[s : s + self.chunk_size], X[:1], energy=self.energy)

    def _ref_scale(self, prepared):
        name = getattr(self.scorer, "key_abs", None)
        if name is None:
            return 0.0
        return float(np.max(prepared[name], initial=0.0))

    def _fit_dask(self, X):
        # larger than memory: keep the lazy array, embed block by block at
        # query time; check the blocks and find the scale in one streamed pass
        self._dask = X
        scale = 0.0
        for rp in self._dask_chunks():
            if not self.scorer.embedded:
                self._check_pairwise(rp["Z"])
            scale = max(scale, self._ref_scale(rp))
        self.scorer.ref_scale = scale

    def _dask_chunks(self):
        """Prepared chunks of a Dask library, computed one block at a time."""
        offset = 0
        for block in self._dask.to_delayed().ravel():
            arr = np.asarray(block.compute())
            if not np.all(np.isfinite(arr)):
                raise ValueError("Input X contains NaN or infinity.")
            for s in range(0, arr.shape[0], self.chunk_size):
                rows = arr[s : s + self.chunk_size]
                rp = self._prepare(rows, keep_exact=True)
                rp["gid"] = np.arange(offset + s, offset + s + rows.shape[0])
                yield rp
            offset += arr.shape[0]

    def _chunks(self):
        if self._dask is not None:
            yield from self._dask_chunks()
            return
        offset = 0
        for size in _chunk_sizes(self.n_samples, self.chunk_size):
            yield _slices(self._ref, offset, offset + size)
            offset += size

    # -- exact values --------------------------------------------------------

    def _exact(self, qp, rp, rows, cols):
        """Exact float64 values of the pairs (query ``rows``, chunk ``cols``)."""
        Eq = qp.get("E", qp["Z"])
        kind = self.scorer.kind
        if "E" in rp:
            return _pairs_reduce(Eq, rp["E"], rows, cols, kind)
        return _pairs_reduce(Eq, rp["Z"], rows, cols, kind, rp.get("lo"))

    # -- queries -------------------------------------------------------------

    def query(self, X, k):
        """The ``k`` nearest library spectra of every spectrum of ``X``.

        Parameters
        ----------
        X : ndarray of shape (n_queries, n_channels)
            Validated query spectra on the library's energy grid.
        k : int
            Number of neighbours, at most the library size.

        Returns
        -------
        dist : ndarray of shape (n_queries, k)
            float64 distances under the metric, ascending per row.
        ind : ndarray of shape (n_queries, k)
            Library indices; among equal distances the lower index first.
        """
        qp = self._prepare(X, queries=True)
        return self._search(qp, X.shape[0], k)

    def query_library(self, k):
        """The ``k`` nearest other library spectra of every library spectrum.

        Each spectrum is excluded from its own neighbours (when duplicates
        tie with it, one of them takes its place).
        """
        if self._dask is not None:
            raise ValueError(
                "kneighbors(X=None) on a dask library would query the whole "
                "library; pass the query spectra explicitly."
            )
        n = self.n_samples
        qp = dict(self._ref)
        if self._perm is not None:
            inv = np.empty_like(self._perm)
            inv[self._perm] = np.arange(n)
            qp = {name: v[inv] for name, v in qp.items()}
        if "lo" in qp:
            qp["E"] = qp.pop("Z").astype(np.float64) + qp["lo"]
            qp["Z"] = qp["E"].astype(self.scorer.dtype)
        qp = self.scorer.add_query_terms(qp)
        dist, ind = self._search(qp, n, k + 1)
        is_self = ind == np.arange(n)[:, None]
        is_self[~is_self.any(axis=1), -1] = True
        return dist[~is_self].reshape(n, k), ind[~is_self].reshape(n, k)

    def _search(self, qp, n_queries, k):
        if k > self.n_samples:
            raise ValueError(
                f"n_neighbors={k} but the training spectra X hold only "
                f"{self.n_samples} spectra."
            )
        if self._deferred():
            top = self._search_deferred(qp, n_queries, k)
        else:
            top = _TopK(n_queries, k)
            self._run(qp, n_queries, top)
        if np.any(top.ind < 0):
            found = int(np.min(np.sum(top.ind >= 0, axis=1)))
            raise ValueError(
                f"the search found only {found} finite distances for a query "
                f"with n_neighbors={k}: the query spectra X or the training "
                "spectra X give distances outside the floating-point range."
            )
        dist = self.scorer.finalize(top.dist, self.log2_scale)
        if self.scorer.embedded:
            dist = get_metric(self.metric).from_embedded(dist)
        return np.asarray(dist, dtype=np.float64), top.ind

    def _run(self, qp, n_queries, top):
        """Fill ``top`` with the best pairs of every query of ``qp``."""
        n_jobs = effective_n_jobs(self.n_jobs)
        if self._perm is not None:
            self._key_search(qp, n_queries, top, n_jobs)
        else:
            _chunked_search(
                self.scorer, self._exact, qp, 0, n_queries, self._chunks(), top, n_jobs
            )

    def _deferred(self):
        """Whether the float64 distances wait for the final candidates: an
        in-memory library stored in a lower precision."""
        scorer = self.scorer
        return scorer.embedded and scorer.u_store > 0 and self._dask is None

    def _approx_top(self, qp, n_queries, k):
        """A top-k of storage-precision scores, bounded through ``qp``."""

        def upper(score, rows):
            return self.scorer.upper(score, qp, rows)

        return _TopK(n_queries, k, _SPARE_CANDIDATES, upper)

    def _search_deferred(self, qp, n_queries, k):
        """Search on storage-precision scores, then float64 distances of the
        candidates only: the pairs whose score is within the rounding bound
        of an upper bound of the exact k-th value.  A query with more such
        pairs than it kept is searched again on float64 distances."""
        approx = self._approx_top(qp, n_queries, k)
        self._run(qp, n_queries, approx)
        every = np.arange(n_queries)
        tau = np.nextafter(approx.tau(0, n_queries), np.inf)
        limit = self.scorer.pair_threshold(tau, qp, every)
        cand = (approx.ind >= 0) & (approx.dist < limit[:, None])
        rows, slots = np.nonzero(cand)
        gid = approx.ind[rows, slots]
        pos = gid if self._pos is None else self._pos[gid]
        top = _TopK(n_queries, k)
        top.merge(rows, gid, self._exact(qp, self._ref, rows, pos))
        # every kept slot within the bound: a candidate may have been dropped
        full = np.flatnonzero(cand[:, -1])
        if full.size:
            sub = {name: v[full] for name, v in qp.items()}
            again = _TopK(full.size, k)
            self._run(sub, full.size, again)
            top.dist[full] = again.dist
            top.ind[full] = again.ind
        return top

    def _key_search(self, qp, n_queries, top, n_jobs):
        """Batches of neighbouring keys over the key-sorted library.

        The first batch is searched alone; as soon as it costs more than
        ``_KEY_MAX_WORK`` of the plain search of the same queries (a library
        without structure for the key and the bounds), it is abandoned and
        every query takes the plain chunked search, which scores each
        reference by the matrix product alone, one reference chunk at a time
        for all queries (the threads share each chunk in cache).
        """
        order = np.argsort(qp["key"], kind="stable")
        qs = {name: v[order] for name, v in qp.items()}
        if top.upper is None:
            sorted_top = _TopK(n_queries, top.k)
        else:
            sorted_top = self._approx_top(qs, n_queries, top.k)
        b = _KEY_BATCH
        first = min(_KEY_PROBE, n_queries)
        args = (self._ref, sorted_top, self.chunk_size)
        budget = np.inf
        if self._plain is not None:
            budget = _KEY_MAX_WORK * self._plain_work(first)
        try:
            work = [0.0, budget]
            # on one thread, as each worker of the search runs: BLAS threads
            # gain nothing on so few queries, and on a busy machine waiting
            # for them costs more than the probe itself
            with single_threaded("blas"):
                _key_search_batch(self.scorer, self._exact, qs, 0, first, *args, work)
        except _PruningDoesNotPay:
            sorted_top.dist[:first] = np.inf
            sorted_top.ind[:first] = -1
            _chunked_search(
                self._plain,
                self._exact,
                qs,
                0,
                n_queries,
                self._chunks(),
                sorted_top,
                n_jobs,
            )
        else:

            def batch(q0):
                q1 = min(q0 + b, n_queries)
                _key_search_batch(self.scorer, self._exact, qs, q0, q1, *args)

            _run_batches(batch, range(first, n_queries, b), n_jobs)
        top.dist[order] = sorted_top.dist
        top.ind[order] = sorted_top.ind

    def _plain_work(self, n_queries):
        """Multiply-adds of the plain chunked search of ``n_queries``."""
        return float(n_queries) * self.n_samples * self._plain.work0()


def build_index(
    metric, X, *, energy=None, algorithm="auto", chunk_size=None, n_jobs=None
):
    """Index a library of spectra for exact nearest-neighbour queries.

    Parameters
    ----------
    metric : str or callable
        A name of :data:`skspectra.metrics.METRIC_NAMES` or a callable
        ``f(u, v, energy=None) -> float``.
    X : ndarray or dask array of shape (n_samples, n_channels)
        The library: validated float32 or float64 spectra (a float32 library
        is stored and scored in float32; its exact distances are float64).
    energy : ndarray of shape (n_channels,), default=None
        Channel energies, for the metrics that use them.
    algorithm : {"auto", "brute"}, default="auto"
        ``"auto"`` prunes with exact lower bounds where they pay off;
        ``"brute"`` scores every pair.  Both give the same neighbours.
    chunk_size : int, default=None
        References scored at once; ``None`` chooses about 32 MiB of them.
    n_jobs : int, default=None
        Threads over query batches; BLAS keeps its own threads when ``None``
        or 1 and is limited to one thread per worker otherwise.

    Returns
    -------
    index : NeighborsIndex
    """
    m = get_metric(metric)
    n_samples, n_channels = X.shape
    dtype = np.dtype(np.float32 if X.dtype == np.float32 else np.float64)
    prune = algorithm == "auto"
    if chunk_size is None:
        chunk_size = default_chunk_size(n_channels, dtype.itemsize)
    rows = _sample_rows(n_samples)
    if m.embed is None:
        scorer = _PairwiseScorer(n_channels, metric, energy)
        index = NeighborsIndex(metric, energy, scorer, chunk_size, n_jobs)
        index._fit(X, prune=False)
        return index
    index = NeighborsIndex(metric, energy, None, chunk_size, n_jobs)
    sample = _embed_float64(metric, np.asarray(X[rows]), energy)
    index._set_frame(sample)
    sample = np.ldexp(sample - index.centre, -index.log2_scale)
    d = sample.shape[1]
    if m.embedded_metric == "manhattan":
        scorer = _ManhattanScorer(d, dtype, prune=prune)
    elif prune and n_samples >= _PROJECT_MIN_SAMPLES and d >= _PROJECT_MIN_FEATURES:
        scorer = _ProjectedEuclideanScorer(
            d, dtype, _leading_basis(sample), _principal_axis(sample)
        )
    else:
        scorer = _EuclideanScorer(d, dtype)
    index.scorer = scorer
    index._fit(X, prune=prune)
    return index
