"""Bring spectra measured on different energy grids onto one grid."""

import numbers

import numpy as np
from scipy.interpolate import PchipInterpolator

_METHODS = ("pchip", "linear")


def _as_spectrum(energy, intensity, index):
    energy = np.asarray(energy)
    intensity = np.asarray(intensity)
    if energy.ndim != 1 or intensity.ndim != 1:
        raise ValueError(
            f"spectrum {index}: energy and intensity must be 1-D; got shapes "
            f"{energy.shape} and {intensity.shape}."
        )
    if energy.shape != intensity.shape:
        raise ValueError(
            f"spectrum {index}: energy has {energy.size} values but intensity "
            f"has {intensity.size}."
        )
    if energy.size < 2:
        raise ValueError(
            f"spectrum {index}: at least 2 points are needed to interpolate; "
            f"got {energy.size}."
        )
    if not (np.all(np.isfinite(energy)) and np.all(np.isfinite(intensity))):
        raise ValueError(f"spectrum {index} contains NaN or inf values.")
    steps = np.diff(energy)
    if np.any(steps <= 0):
        k = int(np.flatnonzero(steps <= 0)[0])
        raise ValueError(
            f"spectrum {index}: energy must be strictly increasing; it is not "
            f"between points {k} ({energy[k]}) and {k + 1} ({energy[k + 1]})."
        )
    return energy.astype(np.float64, copy=False), intensity


def resample_spectra(
    energies, intensities, energy_out, *, method="pchip", fill_value=None
):
    """Interpolate spectra measured on different grids onto one energy grid.

    Parameters
    ----------
    energies : array-like of shape (n_points,) or sequence of such arrays
        The energy axis of each spectrum (strictly increasing), or one axis
        shared by all spectra.  The lists may be ragged: every spectrum can
        have its own number of points.
    intensities : sequence of array-like of shape (n_points_i,) or \
array-like of shape (n_spectra, n_points)
        The spectra, one per energy axis.
    energy_out : array-like of shape (n_channels,)
        The common grid, strictly increasing.
    method : {"pchip", "linear"}, default="pchip"
        ``"pchip"``: piecewise cubic Hermite interpolation with
        Fritsch-Carlson slopes, which preserves the shape of the data (no
        overshoot, monotone where the data are monotone, extrema stay at data
        points) and is smooth; ``"linear"``: straight lines between points.
    fill_value : float or None, default=None
        ``None`` raises a ValueError when ``energy_out`` reaches outside a
        spectrum's energy range; a number (``0.0``, ``np.nan``...) is used
        for those channels instead.

    Returns
    -------
    X : ndarray of shape (n_spectra, n_channels)
        The spectra on ``energy_out``; float32 when every input spectrum is
        float32, else float64.  At an output energy equal to an input energy
        the input value is returned exactly.

    Raises
    ------
    ValueError
        If an energy axis is not strictly increasing, a spectrum contains NaN
        or inf, lengths disagree, or ``energy_out`` leaves a spectrum's range
        while ``fill_value`` is None; the message names the spectrum index.

    See Also
    --------
    EnergyCrop : Keep an energy window of spectra already on one grid.

    References
    ----------
    .. [1] F. N. Fritsch and R. E. Carlson, "Monotone piecewise cubic
       interpolation", SIAM J. Numer. Anal. 17, 238-246 (1980).
       :doi:`10.1137/0717021`

    Examples
    --------
    >>> import numpy as np
    >>> from skspectra.preprocessing import resample_spectra
    >>> e1, e2 = np.array([0.0, 1.0, 2.0, 3.0]), np.array([0.5, 1.5, 2.5, 3.5])
    >>> X = resample_spectra([e1, e2], [e1**2, e2**2], [1.0, 2.0, 3.0], method="linear")
    >>> X
    array([[1.  , 4.  , 9.  ],
           [1.25, 4.25, 9.25]])
    >>> resample_spectra([e1], [e1], [2.0, 4.0])
    Traceback (most recent call last):
    ...
    ValueError: spectrum 0: energy_out reaches 4 but the spectrum ends at 3; ...
    """
    if method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}; got {method!r}.")
    if fill_value is not None and not isinstance(fill_value, numbers.Real):
        raise TypeError(f"fill_value must be None or a number; got {fill_value!r}.")
    energy_out = np.asarray(energy_out, dtype=np.float64)
    if energy_out.ndim != 1 or energy_out.size == 0:
        raise ValueError(
            f"energy_out must be a non-empty 1-D array; got shape {energy_out.shape}."
        )
    if not np.all(np.isfinite(energy_out)) or np.any(np.diff(energy_out) <= 0):
        raise ValueError("energy_out must be finite and strictly increasing.")

    if len(energies) == 0:
        raise ValueError("no energy axes given.")
    shared = np.ndim(energies[0]) == 0
    if shared:
        energies = np.asarray(energies)
    if isinstance(intensities, np.ndarray) and intensities.ndim == 1:
        raise ValueError(
            "intensities must be a sequence of spectra or a 2-D array; got a 1-D "
            "array (wrap a single spectrum in a list)."
        )
    n_spectra = len(intensities)
    if n_spectra == 0:
        raise ValueError("no spectra given.")
    if not shared and len(energies) != n_spectra:
        raise ValueError(
            f"{len(energies)} energy axes for {n_spectra} spectra; give one axis "
            "per spectrum or one shared axis."
        )
    if shared:
        first = np.asarray(intensities)
        if first.ndim != 2:
            raise ValueError(
                "with one shared energy axis, intensities must be a 2-D array "
                f"(n_spectra, n_points); got shape {first.shape}."
            )
        energy, _ = _as_spectrum(energies, first[0], 0)
        if first.shape[1] != energy.size:
            raise ValueError(
                f"the shared energy axis has {energy.size} values but the spectra "
                f"have {first.shape[1]}."
            )
        finite = np.isfinite(first).all(axis=1)
        if not finite.all():
            raise ValueError(
                f"spectrum {int(np.flatnonzero(~finite)[0])} contains NaN or inf "
                "values."
            )
        dtype = np.float32 if first.dtype == np.float32 else np.float64
        out = _resample_block(energy, first, energy_out, method, fill_value, "every")
        return out.astype(dtype, copy=False)
    all_float32 = all(np.asarray(y).dtype == np.float32 for y in intensities)
    dtype = np.float32 if all_float32 else np.float64
    X = np.empty((n_spectra, energy_out.size), dtype=dtype)
    for i in range(n_spectra):
        energy, y = _as_spectrum(energies[i], intensities[i], i)
        X[i] = _resample_block(energy, y[None, :], energy_out, method, fill_value, i)[0]
    return X


def _resample_block(energy, Y, energy_out, method, fill_value, index):
    """Resample the rows of Y, all on ``energy``, onto ``energy_out``."""
    Y = np.asarray(Y, dtype=np.float64)
    inside = (energy_out >= energy[0]) & (energy_out <= energy[-1])
    if not inside.all() and fill_value is None:
        if energy_out[0] < energy[0]:
            side = f"down to {energy_out[0]:g} but the spectrum starts at {energy[0]:g}"
        else:
            side = f"{energy_out[-1]:g} but the spectrum ends at {energy[-1]:g}"
        who = "every spectrum" if index == "every" else f"spectrum {index}"
        raise ValueError(
            f"{who}: energy_out reaches {side}; give fill_value to fill "
            "outside the measured range, or a narrower energy_out."
        )
    out = np.full(
        (Y.shape[0], energy_out.size), np.nan if fill_value is None else fill_value
    )
    e_in = energy_out[inside]
    if method == "linear":
        j = np.clip(np.searchsorted(energy, e_in), 1, energy.size - 1)
        t = (e_in - energy[j - 1]) / (energy[j] - energy[j - 1])
        values = Y[:, j - 1] * (1 - t) + Y[:, j] * t
    else:
        values = PchipInterpolator(energy, Y, axis=1, extrapolate=False)(e_in)
    # exact values at the measured energies
    k = np.minimum(np.searchsorted(energy, e_in), energy.size - 1)
    hit = energy[k] == e_in
    values[:, hit] = Y[:, k[hit]]
    out[:, inside] = values
    return out
