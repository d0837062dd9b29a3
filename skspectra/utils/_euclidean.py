"""Euclidean distances between rows through one matrix product, corrected.

``|a - b|^2 = |a|^2 + |b|^2 - 2 a.b`` costs one BLAS product for a whole
block of pairs, but the expansion has an absolute rounding error of a few
machine epsilons times ``|a|^2 + |b|^2``: for pairs much closer than their
norms the relative error grows without bound (cancellation).  The kernel
here centres both sets on a common mean first (distances do not change, the
norms shrink) and recomputes the pairs whose squared distance is small
compared with ``|a|^2 + |b|^2`` from their differences.  The metrics, the
dendrogram's condensed matrices and the neighbour search all use it.
"""

import numpy as np

# pairs with |a - b|^2 below this fraction of |a|^2 + |b|^2 are recomputed
# directly: the product form has an absolute error of a few eps times
# |a|^2 + |b|^2, so after the refinement the relative error of every squared
# distance stays below about 1e-11 in float64
REFINE_RTOL = 1e-4
# elements of the temporary of a refinement step (16 MB of float64)
_REFINE_ELEMENTS = 1 << 21
# elementwise passes over a distance block run on chunks of this many
# elements (512 KB of float64), which stay in cache between passes
_CHUNK_ELEMENTS = 1 << 16


def squared_norms(A):
    """``|a|^2`` of every row of ``A`` (in the precision of ``A``)."""
    return np.einsum("ij,ij->i", A, A)


def expanded_sq_distances(A, B, sq_a, sq_b, *, out=None, minus_two_a=None):
    """``|a|^2 + |b|^2 - 2 a.b`` for the rows of ``A`` and ``B``, uncorrected.

    The raw expansion, for callers that bound its rounding error themselves
    (the neighbour search uses it as a bound, not as a distance).

    Parameters
    ----------
    A, B : ndarray of shape (n_a, d) and (n_b, d)
        Rows.
    sq_a : ndarray of shape (n_a,) or None
        ``|a|^2``; None leaves the term out (a per-row shift for the caller).
    sq_b : ndarray of shape (n_b,)
        ``|b|^2``.
    out : ndarray of shape (n_a, n_b), optional
        Where to write the result.
    minus_two_a : ndarray of shape (n_a, d), optional
        ``-2 A`` if the caller keeps it, which saves one pass over the block.

    Returns
    -------
    D2 : ndarray of shape (n_a, n_b)
    """
    if minus_two_a is None:
        out = np.matmul(A, B.T, out=out)
        out *= -2.0
    else:
        out = np.matmul(minus_two_a, B.T, out=out)
    out += sq_b
    if sq_a is not None:
        out += sq_a[:, None]
    return out


def _refine(A, B, D2, rows, cols, row_offset=0):
    """Recompute ``D2[rows, cols]`` from the differences of the rows."""
    step = max(1, _REFINE_ELEMENTS // max(A.shape[1], 1))
    for s in range(0, rows.size, step):
        r = rows[s : s + step]
        c = cols[s : s + step]
        diff = A[r + row_offset] - B[c]
        D2[r, c] = np.einsum("ij,ij->i", diff, diff)


def _finish(A, B, G, sq_a, sq_b, squared):
    """Turn ``G = A @ B.T`` (in place) into corrected distances."""
    size = max(1, _CHUNK_ELEMENTS // max(G.shape[1], 1))
    for start in range(0, G.shape[0], size):
        sl = slice(start, min(start + size, G.shape[0]))
        d = G[sl]
        d *= -2.0
        scale = sq_a[sl, None] + sq_b
        d += scale
        rows, cols = np.nonzero(d <= REFINE_RTOL * scale)
        if rows.size:
            _refine(A, B, d, rows, cols, row_offset=start)
        np.maximum(d, 0.0, out=d)
        if not squared:
            np.sqrt(d, out=d)
    return G


def euclidean_block(A, B, sq_a, sq_b, *, squared=False):
    """Corrected distances between the rows of ``A`` and ``B``.

    ``A`` and ``B`` should already be centred on a common point (see
    :func:`euclidean_distances`); ``sq_a`` and ``sq_b`` are their squared
    row norms.
    """
    return _finish(A, B, A @ B.T, sq_a, sq_b, squared)


def mirror_upper(D, diagonal):
    """Copy the upper triangle of square ``D`` onto the lower one, in tiles.

    Gives exact symmetry; the diagonal is set to ``diagonal``.
    """
    n = D.shape[0]
    t = 256
    for i in range(0, n, t):
        ti = slice(i, min(i + t, n))
        for j in range(i, n, t):
            tj = slice(j, min(j + t, n))
            if i == j:
                block = D[ti, ti]
                lower = np.tril_indices(block.shape[0], -1)
                block[lower] = block.T[lower]
            else:
                D[tj, ti] = D[ti, tj].T
    np.fill_diagonal(D, diagonal)
    return D


def euclidean_distances(A, B=None, *, squared=False):
    """Euclidean distances between rows, from one product, corrected.

    Both sets are centred on a common mean (distances do not change; the
    norms shrink, so the expansion cancels less), the product is taken by
    BLAS, and the pairs whose squared distance is below ``REFINE_RTOL``
    times ``|a|^2 + |b|^2`` are recomputed from their differences.

    Parameters
    ----------
    A : array-like of shape (n_a, d)
        Rows.
    B : array-like of shape (n_b, d), default=None
        Rows; ``None`` means ``A`` against itself, and then the result is
        exactly symmetric with an exact zero diagonal.
    squared : bool, default=False
        Return squared distances.

    Returns
    -------
    D : ndarray of shape (n_a, n_b)
        float64 distances.
    """
    symmetric = B is None
    A = np.asarray(A, dtype=np.float64)
    B = A if symmetric else np.asarray(B, dtype=np.float64)
    centre = A.mean(axis=0) if symmetric else 0.5 * (A.mean(axis=0) + B.mean(axis=0))
    A = A - centre
    B = A if symmetric else B - centre
    sq_a = squared_norms(A)
    sq_b = sq_a if symmetric else squared_norms(B)
    D = _finish(A, B, A @ B.T, sq_a, sq_b, squared)
    if symmetric:
        mirror_upper(D, 0.0)
    return D
