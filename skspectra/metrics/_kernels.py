"""Vectorised pairwise kernels behind the spectral distances.

Three kernels cover every named metric:

* L1 (``manhattan``) between embedded spectra, through SciPy's compiled
  ``cdist`` on cache-sized tiles spread over threads (the compiled loop
  releases the GIL), computing only the upper triangle when ``Y is None``;
* L2 (``euclidean``) between embedded spectra through one BLAS matrix product,
  ``|a - b|^2 = |a|^2 + |b|^2 - 2 a.b``, with the pairs whose distance is small
  compared with the norms recomputed directly (the product form loses relative
  accuracy there through cancellation): the package's one Euclidean kernel,
  ``skspectra.utils._euclidean``; ``1 - <a, b>`` for unit rows;
* a chunked Jensen-Shannon kernel, which has no embedding.

No exact shortcut beats these for full matrices: every entry of an
n x n L1 matrix depends on all m coordinates, so the work is n^2 m; the
cumulative-distribution embedding already is what makes the 1-D earth
mover's distance on a common sorted grid cost O(m) per pair without sorting.
"""

import numpy as np
from joblib import Parallel, delayed, effective_n_jobs
from scipy.spatial.distance import cdist
from scipy.special import rel_entr

from skspectra.utils._euclidean import euclidean_distances, mirror_upper

# elements of a temporary block (about 16 MB of float64)
_BLOCK_ELEMENTS = 1 << 21
# tiles of the L1 kernel: 256 KB of each operand, well inside a 1 MB L2 cache
_L1_BLOCK_BYTES = 1 << 18
# below this many (pair x channel) operations threads cost more than they save
_MIN_PARALLEL_WORK = 1 << 24
# elementwise passes over a distance matrix run on chunks of this many
# elements (512 KB), which stay in cache between passes
_CHUNK_ELEMENTS = 1 << 16
# the Jensen-Shannon kernel makes three passes over each block: blocks that
# stay in cache (1 MB) are much faster than larger ones
_JS_BLOCK_ELEMENTS = 1 << 17
# Jensen-Shannon divergences below this are recomputed with the direct
# (relative-entropy) formula, which has no cancellation at small divergences
_JS_REFINE_BELOW = 1e-5


def _row_blocks(n_rows, n_cols, n_channels, n_jobs, block_elements=None):
    """Split ``range(n_rows)`` into slices sized for memory and threads."""
    if block_elements is None:
        block_elements = _BLOCK_ELEMENTS
    per_row = max(1, n_cols * max(n_channels, 1))
    size = max(1, block_elements // per_row)
    n_workers = effective_n_jobs(n_jobs)
    if n_workers > 1:
        size = max(1, min(size, -(-n_rows // n_workers)))
    return [slice(i, min(i + size, n_rows)) for i in range(0, n_rows, size)]


def _parallel(tasks, n_jobs, work=None):
    """Run ``(fn, *args)`` tasks, over threads when there is enough work."""
    if work is not None and work < _MIN_PARALLEL_WORK:
        n_jobs = 1
    if effective_n_jobs(n_jobs) == 1 or len(tasks) == 1:
        return [fn(*args) for fn, *args in tasks]
    return Parallel(n_jobs=n_jobs, backend="threading")(
        delayed(fn)(*args) for fn, *args in tasks
    )


def _cache_rows(n_channels):
    """Rows per block so that a block of each operand stays in L2 cache."""
    return max(8, _L1_BLOCK_BYTES // (8 * max(n_channels, 1)))


def manhattan_pairwise(A, B=None, n_jobs=None):
    """L1 distances between the rows of ``A`` and ``B`` (``B=None``: ``A``).

    SciPy's compiled ``cdist`` runs on tiles of rows of both operands that
    stay in cache (about twice as fast as one call on the whole arrays, more
    when memory bandwidth is shared), one tile row per task over threads.
    With ``B is None`` only tiles on and above the diagonal are computed and
    mirrored, so the result is exactly symmetric with an exact zero diagonal.
    """
    symmetric = B is None
    A = np.ascontiguousarray(A, dtype=np.float64)
    B = A if symmetric else np.ascontiguousarray(B, dtype=np.float64)
    n_a, n_b = A.shape[0], B.shape[0]
    out = np.empty((n_a, n_b))
    size = _cache_rows(A.shape[1])
    a_tiles = [slice(i, min(i + size, n_a)) for i in range(0, n_a, size)]
    b_tiles = [slice(j, min(j + size, n_b)) for j in range(0, n_b, size)]

    def work(k):
        ta = a_tiles[k]
        for tb in b_tiles[k:] if symmetric else b_tiles:
            block = cdist(A[ta], B[tb], "cityblock")
            out[ta, tb] = block
            if symmetric and tb != ta:
                out[tb, ta] = block.T

    _parallel([(work, k) for k in range(len(a_tiles))], n_jobs, n_a * n_b * A.shape[1])
    if symmetric:
        np.fill_diagonal(out, 0.0)
    return out


def _chunk_rows(n_cols):
    """Rows per chunk for cache-resident elementwise passes over a matrix."""
    return max(1, _CHUNK_ELEMENTS // max(n_cols, 1))


def euclidean_pairwise(A, B=None, n_jobs=None, squared=False):
    """L2 distances between rows: the corrected product form of
    :func:`skspectra.utils._euclidean.euclidean_distances` (threaded by
    BLAS, so ``n_jobs`` is not used)."""
    return euclidean_distances(A, B, squared=squared)


def cosine_distance_matrix(A, B=None):
    """``1 - <a, b>`` between unit rows, in [0, 2]; symmetric for B=None."""
    symmetric = B is None
    D = A @ (A if symmetric else B).T
    size = _chunk_rows(D.shape[1])
    for start in range(0, D.shape[0], size):
        d = D[start : start + size]
        np.subtract(1.0, d, out=d)
        np.clip(d, 0.0, 2.0, out=d)
    if symmetric:
        mirror_upper(D, 0.0)
    return D


def _xlogx_rows(P):
    """Row sums of ``p log p`` with ``0 log 0 = 0``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        t = P * np.log(P)
    t[P == 0] = 0.0
    return t.sum(axis=1)


def js_divergence_direct(P, Q):
    """Row-wise Jensen-Shannon divergence (natural log) of paired rows."""
    M = 0.5 * (P + Q)
    return 0.5 * (rel_entr(P, M).sum(axis=-1) + rel_entr(Q, M).sum(axis=-1))


def jensen_shannon_pairwise(P, Q=None, n_jobs=None):
    """Jensen-Shannon distance (square root of the divergence, natural log).

    ``P`` and ``Q`` hold distributions (non-negative rows of unit sum).  Uses
    ``JSD = log 2 + (h(p) + h(q) - sum s log s) / 2`` with ``s = p + q`` and
    ``h(p) = sum p log p``, one logarithm per pair and channel, in chunks;
    small divergences, where that form cancels, are recomputed directly.
    """
    symmetric = Q is None
    Q = P if symmetric else Q
    h_p = _xlogx_rows(P)
    h_q = h_p if symmetric else _xlogx_rows(Q)
    n_p, n_q, m = P.shape[0], Q.shape[0], P.shape[1]
    out = np.full((n_p, n_q), np.inf)
    q_size = max(1, _JS_BLOCK_ELEMENTS // max(m, 1))
    q_blocks = [slice(j, min(j + q_size, n_q)) for j in range(0, n_q, q_size)]
    p_blocks = _row_blocks(n_p, min(n_q, q_size), m, n_jobs, _JS_BLOCK_ELEMENTS)

    log2 = np.log(2.0)

    def work(ps):
        for qs in q_blocks:
            if symmetric:
                # rows from ps.start on: the upper triangle needs only the
                # columns from there on; the rest is mirrored afterwards
                if qs.stop <= ps.start:
                    continue
                qs = slice(max(qs.start, ps.start), qs.stop)
            # one block of pairs at a time: S is (rows, cols, channels);
            # sum s log s with 0 log 0 = 0, in three passes over the block
            S = P[ps, None, :] + Q[None, qs, :]
            L = np.zeros_like(S)
            np.log(S, out=L, where=S > 0)
            sls = np.einsum("ijk,ijk->ij", S, L)
            out[ps, qs] = log2 + 0.5 * (h_p[ps, None] + h_q[None, qs] - sls)

    _parallel([(work, ps) for ps in p_blocks], n_jobs, n_p * n_q * m)
    small = out < _JS_REFINE_BELOW
    if symmetric:
        small = np.triu(small, 1)
    rows, cols = np.nonzero(small)
    if rows.size:
        step = max(1, _BLOCK_ELEMENTS // max(m, 1))
        for s in range(0, rows.size, step):
            r, c = rows[s : s + step], cols[s : s + step]
            out[r, c] = js_divergence_direct(P[r], Q[c])
    np.maximum(out, 0.0, out=out)
    np.sqrt(out, out=out)
    if symmetric:
        mirror_upper(out, 0.0)
    return out
