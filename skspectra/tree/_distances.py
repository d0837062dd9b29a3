"""Condensed distance matrices of spectra, computed in row blocks.

Hierarchical clustering needs every pairwise distance once, in SciPy's
condensed (upper-triangle) layout.  Building the square matrix first and
condensing it afterwards needs three times the memory of the condensed array
(square float64 plus condensed), which for 20,000 spectra is 4.8 GB.  The
helpers here fill the condensed array directly, one block of rows at a time,
so the peak is the condensed array plus one block.

Euclidean distances come from the package's one Euclidean kernel
(``skspectra.utils._euclidean``): one BLAS product per block on spectra from
which the mean spectrum was subtracted, the pairs that cancel recomputed from
their differences.
"""

import numpy as np

from skspectra.utils._euclidean import euclidean_block, squared_norms

# entries of a distance block (rows x columns) computed at once: 2**22
# float64 values = 32 MiB, which keeps the temporaries of a block small
_BLOCK_ENTRIES = 1 << 22


def _block_rows(n_columns):
    """Number of rows per block for blocks of ``n_columns`` columns."""
    return max(1, min(4096, _BLOCK_ENTRIES // max(n_columns, 1)))


def condensed_euclidean(Y):
    """Condensed Euclidean distance matrix of the rows of ``Y``.

    Parameters
    ----------
    Y : ndarray of shape (n_samples, n_features)
        Observations (spectra, or their embedding).

    Returns
    -------
    d : ndarray of shape (n_samples * (n_samples - 1) // 2,)
        The distances in the order of :func:`scipy.spatial.distance.pdist`.
    """
    Y = np.asarray(Y, dtype=np.float64)
    Y = Y - Y.mean(axis=0)
    n = Y.shape[0]
    sq = squared_norms(Y)
    out = np.empty(n * (n - 1) // 2, dtype=np.float64)
    pos = 0
    start = 0
    while start < n - 1:
        stop = min(n - 1, start + _block_rows(n - start))
        D = euclidean_block(Y[start:stop], Y[start:], sq[start:stop], sq[start:])
        pos = _copy_upper_rows(D, start, stop, out, pos)
        start = stop
    return out


def condensed_from_pairwise(Y, pairwise):
    """Condensed distance matrix from a block function ``pairwise(A, B)``.

    ``pairwise(A, B)`` must return the ``(len(A), len(B))`` distances between
    the rows of ``A`` and ``B``.  Only the upper triangle of each block is
    kept, so the result is exactly symmetric by construction.
    """
    n = Y.shape[0]
    out = np.empty(n * (n - 1) // 2, dtype=np.float64)
    pos = 0
    start = 0
    while start < n - 1:
        stop = min(n - 1, start + _block_rows(n - start))
        D = np.asarray(pairwise(Y[start:stop], Y[start:]), dtype=np.float64)
        pos = _copy_upper_rows(D, start, stop, out, pos)
        start = stop
    return out


def _copy_upper_rows(D, start, stop, out, pos):
    """Append the strict upper-triangle part of rows ``start:stop``."""
    for i in range(start, stop):
        row = D[i - start, i - start + 1 :]
        out[pos : pos + row.size] = row
        pos += row.size
    return pos


def condensed_index(n, i, j):
    """Index in the condensed array of the pair ``(i, j)``, ``i != j``."""
    a = np.minimum(i, j)
    b = np.maximum(i, j)
    return n * a - (a * (a + 1)) // 2 + (b - a - 1)


def medoids_from_condensed(d, n, labels, n_clusters, transform=None):
    """Index of the medoid of each cluster from a condensed distance matrix.

    The medoid of a cluster is the member whose summed distance to the other
    members is smallest (ties: the lowest index).  ``transform``, if given,
    maps the stored distances to the distances the sums are taken over
    (a monotone map from an embedded distance to the metric's value).
    """
    medoids = np.empty(n_clusters, dtype=np.intp)
    for k in range(n_clusters):
        members = np.flatnonzero(labels == k)
        m = members.size
        if m <= 2:
            medoids[k] = members[0]
            continue
        totals = np.empty(m, dtype=np.float64)
        rows = _block_rows(m)
        for s in range(0, m, rows):
            e = min(m, s + rows)
            ii = members[s:e, None]
            jj = members[None, :]
            same = ii == jj
            idx = condensed_index(n, ii, np.where(same, ii + 1, jj))
            block = d[np.minimum(idx, d.size - 1)]
            if transform is not None:
                block = transform(block)
            block[same] = 0.0
            totals[s:e] = block.sum(axis=1)
        medoids[k] = members[int(np.argmin(totals))]
    return medoids
