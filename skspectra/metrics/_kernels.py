"""Vectorised pairwise kernels behind the spectral distances.

Three kernels cover every named metric:

* L1 (``manhattan``) between embedded spectra, through SciPy's compiled
  ``cdist``/``pdist`` in row blocks spread over threads (the compiled loop
  releases the GIL), computing only the upper triangle when ``Y is None``;
* L2 (``euclidean``) between embedded spectra through one BLAS matrix product,
  ``|a - b|^2 = |a|^2 + |b|^2 - 2 a.b``, with the pairs whose distance is small
  compared with the norms recomputed directly (the product form loses relative
  accuracy there through cancellation);
* a chunked Jensen-Shannon kernel, which has no embedding.
"""

import numpy as np
from joblib import Parallel, delayed, effective_n_jobs
from scipy.spatial.distance import cdist
from scipy.special import rel_entr

# elements of a temporary block (about 16 MB of float64)
_BLOCK_ELEMENTS = 1 << 21
# pairs with |a - b|^2 below this fraction of |a|^2 + |b|^2 are recomputed
# directly: the matrix-product form has an absolute error of a few eps times
# |a|^2 + |b|^2, so after the refinement the relative error of every squared
# distance stays below about 1e-11
_REFINE_RTOL = 1e-4
# Jensen-Shannon divergences below this are recomputed with the direct
# (relative-entropy) formula, which has no cancellation at small divergences
_JS_REFINE_BELOW = 1e-5


def _row_blocks(n_rows, n_cols, n_channels, n_jobs):
    """Split ``range(n_rows)`` into slices sized for memory and threads."""
    per_row = max(1, n_cols * max(n_channels, 1))
    size = max(1, _BLOCK_ELEMENTS // per_row)
    n_workers = effective_n_jobs(n_jobs)
    if n_workers > 1:
        size = max(1, min(size, -(-n_rows // n_workers)))
    return [slice(i, min(i + size, n_rows)) for i in range(0, n_rows, size)]


def _parallel(tasks, n_jobs):
    if effective_n_jobs(n_jobs) == 1 or len(tasks) == 1:
        return [fn(*args) for fn, *args in tasks]
    return Parallel(n_jobs=n_jobs, backend="threading")(
        delayed(fn)(*args) for fn, *args in tasks
    )


def manhattan_pairwise(A, B=None, n_jobs=None):
    """L1 distances between the rows of ``A`` and ``B`` (``B=None``: ``A``).

    With ``B is None`` only blocks on and above the diagonal are computed and
    mirrored, so the result is exactly symmetric with an exact zero diagonal.
    """
    A = np.ascontiguousarray(A, dtype=np.float64)
    if B is not None:
        B = np.ascontiguousarray(B, dtype=np.float64)
        out = np.empty((A.shape[0], B.shape[0]))
        # blocks of rows of A against all of B: cdist is one compiled loop
        blocks = _row_blocks(A.shape[0], 1, 1, n_jobs)
        if effective_n_jobs(n_jobs) == 1:
            blocks = [slice(0, A.shape[0])]

        def work(sl):
            out[sl] = cdist(A[sl], B, "cityblock")

        _parallel([(work, sl) for sl in blocks], n_jobs)
        return out
    n = A.shape[0]
    out = np.empty((n, n))
    n_workers = effective_n_jobs(n_jobs)
    size = max(1, -(-n // max(2 * n_workers, 1)))
    blocks = [slice(i, min(i + size, n)) for i in range(0, n, size)]

    def work_pair(bi, bj):
        block = cdist(A[bi], A[bj], "cityblock")
        out[bi, bj] = block
        if bi != bj:
            out[bj, bi] = block.T

    tasks = [(work_pair, bi, bj) for k, bi in enumerate(blocks) for bj in blocks[k:]]
    _parallel(tasks, n_jobs)
    np.fill_diagonal(out, 0.0)
    return out


def _refine_sq(A, B, D2, rows, cols, row_offset=0):
    """Recompute ``D2[rows, cols]`` as the exact squared distances."""
    m = max(A.shape[1], 1)
    step = max(1, _BLOCK_ELEMENTS // m)
    for s in range(0, rows.size, step):
        r = rows[s : s + step]
        c = cols[s : s + step]
        diff = A[r + row_offset] - B[c]
        D2[r, c] = np.einsum("ij,ij->i", diff, diff)


def euclidean_pairwise(A, B=None, n_jobs=None, squared=False):
    """L2 distances between rows through one matrix product, refined.

    The matrix product is threaded by BLAS, so ``n_jobs`` is not used.
    """
    symmetric = B is None
    A = np.asarray(A, dtype=np.float64)
    B = A if symmetric else np.asarray(B, dtype=np.float64)
    sq_a = np.einsum("ij,ij->i", A, A)
    sq_b = sq_a if symmetric else np.einsum("ij,ij->i", B, B)
    n_a, n_b = A.shape[0], B.shape[0]
    out = np.empty((n_a, n_b))
    # row blocks keep the temporaries (scale, mask) small for big inputs
    size = max(1, (1 << 24) // max(n_b, 1))
    for start in range(0, n_a, size):
        sl = slice(start, min(start + size, n_a))
        D2 = A[sl] @ B.T
        D2 *= -2.0
        scale = sq_a[sl, None] + sq_b[None, :]
        D2 += scale
        rows, cols = np.nonzero(D2 <= _REFINE_RTOL * scale)
        if rows.size:
            _refine_sq(A, B, D2, rows, cols, row_offset=start)
        np.maximum(D2, 0.0, out=D2)
        out[sl] = D2
    if symmetric:
        # mirror the upper triangle: exact symmetry and a zero diagonal
        iu = np.triu_indices(n_a, 1)
        out[(iu[1], iu[0])] = out[iu]
        np.fill_diagonal(out, 0.0)
    if not squared:
        np.sqrt(out, out=out)
    return out


def cosine_similarity_matrix(A, B=None):
    """Inner products of unit rows, clipped to [-1, 1]; symmetric for B=None."""
    symmetric = B is None
    S = A @ (A if symmetric else B).T
    np.clip(S, -1.0, 1.0, out=S)
    if symmetric:
        iu = np.triu_indices(S.shape[0], 1)
        S[(iu[1], iu[0])] = S[iu]
        np.fill_diagonal(S, 1.0)
    return S


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
    out = np.empty((n_p, n_q))
    q_size = max(1, _BLOCK_ELEMENTS // max(m, 1))
    q_blocks = [slice(j, min(j + q_size, n_q)) for j in range(0, n_q, q_size)]
    p_blocks = _row_blocks(n_p, min(n_q, q_size), m, n_jobs)

    def work(ps):
        for qs in q_blocks:
            # one block of pairs at a time: S is (rows, cols, channels)
            S = P[ps, None, :] + Q[None, qs, :]
            with np.errstate(divide="ignore", invalid="ignore"):
                T = S * np.log(S)
            T[S == 0] = 0.0
            out[ps, qs] = np.log(2.0) + 0.5 * (
                h_p[ps, None] + h_q[None, qs] - T.sum(axis=-1)
            )

    _parallel([(work, ps) for ps in p_blocks], n_jobs)
    rows, cols = np.nonzero(out < _JS_REFINE_BELOW)
    if rows.size:
        step = max(1, _BLOCK_ELEMENTS // max(m, 1))
        for s in range(0, rows.size, step):
            r, c = rows[s : s + step], cols[s : s + step]
            out[r, c] = js_divergence_direct(P[r], Q[c])
    np.maximum(out, 0.0, out=out)
    if symmetric:
        iu = np.triu_indices(n_p, 1)
        out[(iu[1], iu[0])] = out[iu]
        np.fill_diagonal(out, 0.0)
    return np.sqrt(out, out=out)
