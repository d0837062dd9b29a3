"""Binomial thinning: two independent half-dose copies of a count image."""

import numpy as np
from sklearn.utils import check_random_state

__all__ = ["binomial_split"]


def binomial_split(X, random_state=None):
    """Split counts into two independent halves of half the dose each.

    ``A ~ Binomial(X, 1/2)`` and ``B = X - A``: for Poisson counts of mean
    ``mu`` the halves are independent Poisson counts of mean ``mu / 2``
    (thinning), so each is an image of the same specimen at half the dose,
    and a model fitted on one can be judged on the other.

    Parameters
    ----------
    X : array-like of shape (n_pixels, n_channels) or (ny, nx, n_channels)
        Non-negative whole counts, of any shape.
    random_state : int, numpy.random.RandomState, numpy.random.Generator or None
        Source of the draws; a RandomState or Generator is used as given.

    Returns
    -------
    A, B : ndarray of the shape of X
        The two halves, ``A + B == X``, in X's floating dtype (float64 for
        integer X).

    Raises
    ------
    ValueError
        If X holds negative, non-finite or fractional values.

    Examples
    --------
    >>> import numpy as np
    >>> from skspectra.decomposition import binomial_split
    >>> X = np.array([[4.0, 0.0, 10.0]])
    >>> A, B = binomial_split(X, random_state=0)
    >>> bool(np.array_equal(A + B, X))
    True
    """
    X = np.asarray(X)
    if not (np.all(np.isfinite(X)) and np.all(X >= 0) and np.all(X == np.round(X))):
        raise ValueError(
            "binomial_split needs non-negative whole counts in X; data with "
            "fractional or negative values cannot be split into counts."
        )
    rng = random_state
    if not hasattr(rng, "binomial"):
        rng = check_random_state(random_state)
    dtype = X.dtype if np.issubdtype(X.dtype, np.floating) else np.float64
    A = rng.binomial(X.astype(np.int64), 0.5).astype(dtype)
    return A, X.astype(dtype, copy=False) - A
