"""Fold a spectrum image to a matrix of spectra and back.

A spectrum image has the channel axis last, ``(ny, nx, n_channels)`` (or any
number of navigation axes).  Estimators work on the unfolded matrix
``(ny * nx, n_channels)``, one spectrum per row, in C order so that the row of
pixel ``(i, j)`` is ``i * nx + j``.
"""

import numpy as np


def unfold(image):
    """Unfold a spectrum image into a matrix with one spectrum per row.

    Parameters
    ----------
    image : array-like of shape (..., n_channels)
        Spectrum image with the energy axis last; at least two dimensions.

    Returns
    -------
    X : ndarray of shape (n_pixels, n_channels)
        A view of ``image`` when its memory layout allows it, else a copy.

    See Also
    --------
    fold : The inverse operation.

    Examples
    --------
    >>> import numpy as np
    >>> from skspectra.utils import fold, unfold
    >>> image = np.arange(24.0).reshape(2, 3, 4)
    >>> X = unfold(image)
    >>> X.shape
    (6, 4)
    >>> np.array_equal(fold(X, (2, 3)), image)
    True
    """
    image = np.asanyarray(image)
    if image.ndim < 2:
        raise ValueError(
            "A spectrum image needs at least 2 dimensions (navigation axes and "
            f"the channel axis last); got an array of shape {image.shape}."
        )
    return image.reshape(-1, image.shape[-1])


def fold(X, navigation_shape):
    """Fold a matrix of spectra (or of abundances) back into image shape.

    Parameters
    ----------
    X : array-like of shape (n_pixels, n_features)
        One row per pixel, in the order produced by :func:`unfold`.
    navigation_shape : tuple of int
        Spatial shape, for example ``(ny, nx)``; its product must equal
        ``n_pixels``.  A full image shape whose last entry equals
        ``n_features`` is accepted too.

    Returns
    -------
    image : ndarray of shape (..., n_features)
        The rows of ``X`` laid out on the navigation grid.

    See Also
    --------
    unfold : The inverse operation.

    Examples
    --------
    >>> import numpy as np
    >>> from skspectra.utils import fold
    >>> fold(np.zeros((6, 2)), (2, 3)).shape
    (2, 3, 2)
    """
    X = np.asanyarray(X)
    if X.ndim != 2:
        raise ValueError(
            f"fold expects a 2-D array (n_pixels, n_features); got shape {X.shape}."
        )
    shape = tuple(int(s) for s in np.atleast_1d(navigation_shape))
    if (
        int(np.prod(shape)) != X.shape[0]
        and len(shape) >= 2
        and shape[-1] == X.shape[1]
        and int(np.prod(shape[:-1])) == X.shape[0]
    ):
        shape = shape[:-1]
    if int(np.prod(shape)) != X.shape[0]:
        raise ValueError(
            f"Cannot fold {X.shape[0]} rows into navigation shape {shape} "
            f"({int(np.prod(shape))} pixels)."
        )
    return X.reshape(*shape, X.shape[1])
