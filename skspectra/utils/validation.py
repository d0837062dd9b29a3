"""Input validation shared by the estimators and functions of skspectra.

scikit-learn's ``validate_data``/``check_array`` check arrays; the helpers
here check what is specific to spectra: the energy axis and the agreement of
channel counts between two sets of spectra.
"""

import numpy as np

# Files write energies with a finite number of digits: at six significant
# digits, rounding moves a channel by at most 5e-6 of its energy, i.e. by at
# most 0.05 of a step on axes that end below 10^4 steps from zero.
_UNIFORM_GRID_RTOL = 0.05


def check_energy(
    energy, n_channels, *, name="energy", uniform=False, rtol=_UNIFORM_GRID_RTOL
):
    """Validate an energy axis against a number of channels.

    Parameters
    ----------
    energy : array-like of shape (n_channels,) or None
        Channel energies, strictly increasing and finite.  ``None`` stands for
        the channel index ``0, 1, ..., n_channels - 1``.
    n_channels : int
        Number of channels of the spectra the axis belongs to.
    name : str, default="energy"
        Name used in error messages.
    uniform : bool, default=False
        If True, also require a uniform grid: every channel within ``rtol``
        steps of the grid through the first and the last channel.
    rtol : float, default=0.05
        For ``uniform=True``, the largest distance of a channel from that
        uniform grid, as a fraction of its step.  The default accepts the
        rounding of energies written to files (six or more significant
        digits) and rejects grids whose step changes, such as XANES scans
        with a coarse pre-edge.

    Returns
    -------
    energy : ndarray of shape (n_channels,), dtype float64
        A new array; the input is never modified.

    Raises
    ------
    ValueError
        If the axis is not 1-D, has the wrong length, contains NaN or inf, is
        not strictly increasing, or (with ``uniform=True``) is not uniform;
        the last message names :func:`skspectra.preprocessing.resample_spectra`,
        which brings spectra onto a uniform grid.

    Examples
    --------
    >>> from skspectra.utils import check_energy
    >>> check_energy(None, 3)
    array([0., 1., 2.])
    >>> check_energy([1.0, 3.0, 2.0], 3)
    Traceback (most recent call last):
    ...
    ValueError: energy must be strictly increasing; it is not between index 1 ...

    Energies rounded to seven digits, as an EMSA file writes them, still form
    a uniform grid:

    >>> import numpy as np
    >>> exact = 357.5 + 0.2999999 * np.arange(1024)
    >>> written = np.array([float(f"{e:.6e}") for e in exact])
    >>> float(np.diff(written).min()), float(np.diff(written).max())
    (0.2998999999999796, 0.3000000000000682)
    >>> check_energy(written, 1024, uniform=True)[:3]
    array([357.5, 357.8, 358.1])
    """
    if energy is None:
        return np.arange(n_channels, dtype=np.float64)
    energy = np.array(energy, dtype=np.float64, copy=True)
    if energy.ndim != 1:
        raise ValueError(f"{name} must be 1-D; got an array of shape {energy.shape}.")
    if energy.shape[0] != n_channels:
        raise ValueError(
            f"{name} has {energy.shape[0]} values but the spectra have "
            f"{n_channels} channels; they must match."
        )
    if not np.all(np.isfinite(energy)):
        raise ValueError(f"{name} contains NaN or infinite values.")
    if n_channels > 1:
        steps = np.diff(energy)
        bad = np.flatnonzero(steps <= 0)
        if bad.size:
            i = int(bad[0])
            raise ValueError(
                f"{name} must be strictly increasing; it is not between index {i} "
                f"({energy[i]}) and index {i + 1} ({energy[i + 1]})."
            )
        if uniform:
            _check_uniform(energy, steps, name, rtol)
    return energy


def _check_uniform(energy, steps, name, rtol):
    """Raise unless every channel lies within ``rtol`` steps of a uniform grid."""
    n = energy.shape[0]
    step = (energy[-1] - energy[0]) / (n - 1)
    offset = np.abs(energy - (energy[0] + step * np.arange(n))) / step
    worst = int(np.argmax(offset))
    if offset[worst] > rtol:
        raise ValueError(
            f"{name} must be a uniform grid; its steps range from "
            f"{steps.min():g} to {steps.max():g}, and channel {worst} "
            f"({energy[worst]:g}) lies {offset[worst]:.3g} steps from the uniform "
            f"grid through the first and last channels (tolerance {rtol:g}). "
            "Resample the spectra onto a uniform grid first with "
            "skspectra.preprocessing.resample_spectra."
        )


def check_same_channels(X, Y, *, x_name="X", y_name="Y"):
    """Raise a clear error when two sets of spectra differ in channel count.

    Parameters
    ----------
    X, Y : ndarray of shape (n_samples, n_channels)
        Two 2-D arrays of spectra.
    x_name, y_name : str
        Names used in the error message.

    Examples
    --------
    >>> import numpy as np
    >>> from skspectra.utils import check_same_channels
    >>> check_same_channels(np.zeros((2, 5)), np.zeros((3, 4)))
    Traceback (most recent call last):
    ...
    ValueError: X has 5 channels but Y has 4; spectra must share one energy grid.
    """
    if X.shape[1] != Y.shape[1]:
        raise ValueError(
            f"{x_name} has {X.shape[1]} channels but {y_name} has {Y.shape[1]}; "
            "spectra must share one energy grid."
        )


def is_dask_array(X):
    """Whether ``X`` is a Dask array, without importing Dask.

    Parameters
    ----------
    X : object
        Anything.

    Returns
    -------
    is_dask : bool
        True when the type of ``X`` comes from the ``dask`` package and has
        ``chunks`` (a ``dask.array.Array``).

    Examples
    --------
    >>> import numpy as np
    >>> from skspectra.utils.validation import is_dask_array
    >>> is_dask_array(np.zeros(3))
    False
    """
    return type(X).__module__.split(".")[0] == "dask" and hasattr(X, "chunks")


def check_level(value, name):
    """Validate a level given as one positive number or a ``(low, high)`` pair.

    Parameters
    ----------
    value : float, (float, float) or None
        The level (a noise level, a width, ...), or bounds to draw it between.
    name : str
        Name used in error messages.

    Returns
    -------
    level : ndarray of shape (1,) or (2,), dtype float64, or None
        None when ``value`` is None.

    Raises
    ------
    ValueError
        If ``value`` is not one or two positive finite numbers, or if
        ``low > high``.

    Examples
    --------
    >>> from skspectra.utils.validation import check_level
    >>> check_level((3, 100), "noise_snr")
    array([  3., 100.])
    >>> check_level(0, "noise_snr")
    Traceback (most recent call last):
    ...
    ValueError: noise_snr must be positive and finite; got 0.
    """
    if value is None:
        return None
    arr = np.atleast_1d(np.asarray(value, dtype=np.float64))
    if arr.ndim != 1 or arr.size not in (1, 2):
        raise ValueError(
            f"{name} must be a positive number or a (low, high) pair; got {value!r}."
        )
    if not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise ValueError(f"{name} must be positive and finite; got {value!r}.")
    if arr.size == 2 and arr[0] > arr[1]:
        raise ValueError(f"{name} must be given as (low, high) with low <= high.")
    return arr
