"""Pairwise and paired spectral distance matrices."""

import numbers

from skspectra.metrics._distances import get_metric


def _check_n_jobs(n_jobs):
    if n_jobs is not None and (
        not isinstance(n_jobs, numbers.Integral) or isinstance(n_jobs, bool)
    ):
        raise TypeError(f"n_jobs must be an int or None; got {n_jobs!r}.")
    if n_jobs == 0:
        raise ValueError("n_jobs == 0 has no meaning; use None, -1 or a count.")


def pairwise_spectral_distances(
    X, Y=None, metric="euclidean", energy=None, n_jobs=None
):
    """Spectral distances between every pair of rows of ``X`` and ``Y``.

    Metrics with an embedding are computed in the embedded space by compiled
    code: one BLAS matrix product for the Euclidean embeddings (``cosine``
    and ``pearson`` as ``1 - <a, b>`` on normalised rows; for the others,
    pairs close compared with their norms are recomputed directly so that no
    accuracy is lost to cancellation), and SciPy's compiled L1 loop in row
    blocks over threads for ``cityblock`` and ``wasserstein``.
    ``jensen_shannon`` uses a chunked vectorised kernel.  A callable metric
    loops over pairs through :func:`sklearn.metrics.pairwise_distances`.

    Parameters
    ----------
    X : array-like of shape (n_samples_X, n_channels)
        Spectra.
    Y : array-like of shape (n_samples_Y, n_channels), default=None
        Spectra on the same grid; ``None`` means ``X`` against itself, and
        then the result is exactly symmetric with an exact zero diagonal.
    metric : str or callable, default="euclidean"
        A name in ``METRIC_NAMES`` or a function ``f(u, v, **kw) -> float``.
    energy : array-like of shape (n_channels,), default=None
        Strictly increasing channel energies (used by ``wasserstein``,
        ``cramer`` and ``derivative``); ``None`` is the channel index.
    n_jobs : int, default=None
        Threads for the L1 and Jensen-Shannon kernels and for callables
        (BLAS threads the matrix products itself); ``None`` means 1, ``-1``
        all processors.

    Returns
    -------
    D : ndarray of shape (n_samples_X, n_samples_Y)
        Distances between the rows of ``X`` and those of ``Y``.

    Raises
    ------
    ValueError
        On NaN or inf, empty input, channel counts that differ between ``X``
        and ``Y`` or from ``energy``, a non-increasing ``energy``, or
        negative values (or an all-zero spectrum) for a distribution metric.

    See Also
    --------
    get_metric : The metric object with the embedding.
    paired_spectral_distances : Distances between corresponding rows.

    Examples
    --------
    >>> import numpy as np
    >>> from skspectra.metrics import pairwise_spectral_distances
    >>> X = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    >>> pairwise_spectral_distances(X, metric="wasserstein", energy=[0, 1, 3])
    array([[0., 3.],
           [3., 0.]])
    """
    _check_n_jobs(n_jobs)
    return get_metric(metric).pairwise(X, Y, energy=energy, n_jobs=n_jobs)


def paired_spectral_distances(X, Y, metric="euclidean", energy=None):
    """Spectral distances between corresponding rows of ``X`` and ``Y``.

    Parameters
    ----------
    X, Y : array-like of shape (n_samples, n_channels)
        Spectra; row ``i`` of ``X`` is compared with row ``i`` of ``Y``.
    metric : str or callable, default="euclidean"
        A name in ``METRIC_NAMES`` or a function ``f(u, v, **kw) -> float``.
    energy : array-like of shape (n_channels,), default=None
        Strictly increasing channel energies; ``None`` is the channel index.

    Returns
    -------
    distances : ndarray of shape (n_samples,)
        The distances of corresponding spectra.

    See Also
    --------
    pairwise_spectral_distances : Distances between all pairs of rows.

    Examples
    --------
    >>> from skspectra.metrics import paired_spectral_distances
    >>> paired_spectral_distances([[1.0, 0.0], [1.0, 1.0]],
    ...                           [[0.0, 1.0], [2.0, 2.0]], metric="cosine")
    array([1., 0.])
    """
    return get_metric(metric).paired(X, Y, energy=energy)
