"""Which noise model the data follow: Poisson counts or Gaussian noise."""

import numpy as np
from sklearn.utils import Bunch

__all__ = ["suggest_noise_model"]

# rows read to judge the noise: enough pairs of neighbouring pixels for a
# stable median, few enough to cost nothing beside a fit
_SAMPLE_ROWS = 4096

# values this close to an integer (relative to 1) count as integers: far
# below any fractional part of calibrated or background-subtracted data,
# far above the rounding of counts stored as float32
_INTEGER_TOL = 1e-6

# counts are Poisson when the variance of neighbour differences is within
# this factor of the mean; scaled counts (a factor 10 or a gain of 0.1) or
# normalised data fall far outside, and the signal difference between
# neighbouring pixels of one phase adds far less than this
_DISPERSION_FACTOR = 2.0


def suggest_noise_model(X):
    """Whether ``X`` looks like Poisson counts or data with Gaussian noise.

    Counts are non-negative integers whose variance follows their mean.
    The variance is read from neighbouring pixels (consecutive rows of X,
    i.e. horizontal neighbours of an unfolded image) by second differences,
    which cancel a signal that changes linearly from pixel to pixel: for
    Poisson counts ``E[(x_h - 2 x_i + x_j)^2] = E[x_h + 4 x_i + x_j]``, so
    the median over triples of neighbours of
    ``sum_c (x_hc - 2 x_ic + x_jc)^2 / sum_c (x_hc + 4 x_ic + x_jc)`` (the
    dispersion) is about 1.  X is taken for counts when it is non-negative,
    integer valued and its dispersion lies within a factor 2 of 1.

    Parameters
    ----------
    X : {array-like, numpy.memmap, dask.array.Array} of shape (n_pixels, n_channels)
        Spectra, one per row, in the pixel order of the image (only the
        first 4,096 rows are read).

    Returns
    -------
    result : :class:`~sklearn.utils.Bunch`
        ``model``: ``"poisson"`` or ``"gaussian"``; ``integer``: whether X
        is non-negative and integer valued; ``dispersion``: the median ratio
        above (NaN with fewer than three pixels or no counts); ``reason``: a
        sentence saying why.

    Notes
    -----
    Pixels in shuffled order, or images whose neighbouring pixels differ
    more than their noise, raise the dispersion of true counts; the answer
    is then ``"gaussian"``, which is the safer model (its fit does not
    assume the variance).

    Examples
    --------
    >>> import numpy as np
    >>> from skspectra.decomposition import suggest_noise_model
    >>> rng = np.random.default_rng(0)
    >>> counts = rng.poisson(5.0, size=(200, 64)).astype(float)
    >>> suggest_noise_model(counts).model
    'poisson'
    >>> suggest_noise_model(0.37 * counts).model
    'gaussian'
    """
    sample = np.asarray(X[:_SAMPLE_ROWS], dtype=np.float64)
    if sample.ndim != 2:
        raise ValueError(
            f"Expected a 2-D array (n_pixels, n_channels); got shape {sample.shape}."
        )
    finite = sample[np.isfinite(sample)]
    non_negative = finite.size > 0 and finite.min() >= 0
    integer = bool(
        non_negative and np.all(np.abs(finite - np.round(finite)) <= _INTEGER_TOL)
    )
    dispersion = np.nan
    if sample.shape[0] >= 3:
        a, b, c = sample[:-2], sample[1:-1], sample[2:]
        total = np.nansum(a + 4.0 * b + c, axis=1)
        diff = np.nansum((a - 2.0 * b + c) ** 2, axis=1)
        has = total > 0
        if has.any():
            dispersion = float(np.median(diff[has] / total[has]))
    if not integer:
        what = "negative values" if not non_negative else "non-integer values"
        reason = f"X has {what}, so it is not counts"
        model = "gaussian"
    elif not np.isfinite(dispersion):
        reason = "X is integer valued (too few pixels or counts to check the variance)"
        model = "poisson"
    elif 1.0 / _DISPERSION_FACTOR <= dispersion <= _DISPERSION_FACTOR:
        reason = (
            f"X is integer valued and its variance follows its mean "
            f"(dispersion {dispersion:.2f})"
        )
        model = "poisson"
    else:
        reason = (
            f"X is integer valued but its variance does not follow its mean "
            f"(dispersion {dispersion:.3g}, counts give 1)"
        )
        model = "gaussian"
    return Bunch(model=model, integer=integer, dispersion=dispersion, reason=reason)
