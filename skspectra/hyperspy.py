"""Exchange spectrum images and results with HyperSpy.

HyperSpy (https://hyperspy.org) is the standard Python tool for EELS and EDS
spectrum images. These functions are the small adapter between its
``Signal1D`` and the arrays that skspectra's estimators take:

* :func:`from_signal` unfolds a ``Signal1D`` spectrum image (in memory or
  lazy) into ``X`` of shape ``(n_pixels, n_channels)`` plus its energy axis,
  so any estimator can be fitted on it;
* :func:`components_to_signal`, :func:`maps_to_signal` and
  :func:`spectra_to_signal` return results as HyperSpy signals whose axes
  (names, units, scales, offsets) are those of the original image, laid out
  as HyperSpy's own ``get_decomposition_factors``/``get_decomposition_loadings``
  do; spectra and components keep the signal's class (``EDSSEMSpectrum``,
  ``EELSSpectrum``, ...), ``signal_type``, metadata and
  ``original_metadata``, and their energies can be checked against its axis.

The decompositions are scikit-learn estimators, which HyperSpy 2 takes as the
``algorithm`` of its own decomposition::

    s.change_dtype("float64")   # HyperSpy decomposes floating-point data only
    s.decomposition(algorithm=PoissonNMF(n_components=3))
    factors = s.get_decomposition_factors()

HyperSpy fits the estimator on the unfolded data, so the factors are the
``components_`` that the estimator finds on ``from_signal(s).X``.

HyperSpy is an optional dependency (``pip install hyperspy``, and exspy for
the EDS and EELS signal classes); it is imported only when one of these
functions is called.
"""

from dataclasses import dataclass

import numpy as np

# channel energies of a result and of a signal axis agree when they differ by
# less than this fraction of a channel: rounding of stored axes, never a
# channel's shift
AXIS_RTOL = 1e-3


def _require_hyperspy():
    try:
        import hyperspy.api as hs
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "HyperSpy is needed for skspectra.hyperspy; install it with "
            "'pip install hyperspy'."
        ) from exc
    return hs


def _check_signal1d(signal):
    hs = _require_hyperspy()
    if not isinstance(signal, hs.signals.BaseSignal):
        raise TypeError(
            f"expected a HyperSpy signal, got {type(signal).__name__}; for plain "
            "arrays use skspectra.utils.unfold"
        )
    if signal.axes_manager.signal_dimension != 1:
        raise ValueError(
            "expected a Signal1D spectrum image (one signal axis, the energy); "
            f"this signal has {signal.axes_manager.signal_dimension} signal axes"
        )
    return hs


@dataclass
class SpectrumImage:
    """A spectrum image unfolded for the estimators.

    Attributes
    ----------
    X : ndarray or dask.array.Array of shape (n_pixels, n_channels)
        One spectrum per row, pixels in C order of the navigation axes; a Dask
        array when the signal is lazy (nothing is loaded).
    energy : ndarray of shape (n_channels,)
        Values of the signal axis (for example energy loss in eV).
    navigation_shape : tuple of int
        Navigation shape in array order, ``(ny, nx)`` for an image.
    signal : hyperspy.signal.BaseSignal
        The original signal, whose axes the results are given.
    """

    X: object
    energy: np.ndarray
    navigation_shape: tuple
    signal: object


def from_signal(signal):
    """Unfold a HyperSpy ``Signal1D`` into spectra and an energy axis.

    Parameters
    ----------
    signal : hyperspy.signals.Signal1D
        A spectrum, line scan or spectrum image, in memory or lazy.

    Returns
    -------
    image : SpectrumImage
        ``image.X`` (``(n_pixels, n_channels)``), ``image.energy``,
        ``image.navigation_shape`` and the original signal.

    Examples
    --------
    >>> import numpy as np
    >>> import hyperspy.api as hs
    >>> from skspectra.hyperspy import from_signal
    >>> s = hs.signals.Signal1D(np.random.rand(4, 5, 64))
    >>> image = from_signal(s)
    >>> image.X.shape, image.navigation_shape
    ((20, 64), (4, 5))
    """
    _check_signal1d(signal)
    data = signal.data
    energy = np.asarray(signal.axes_manager.signal_axes[0].axis, dtype=np.float64)
    navigation_shape = tuple(int(n) for n in data.shape[:-1])
    X = data.reshape(-1, data.shape[-1])
    return SpectrumImage(
        X=X, energy=energy, navigation_shape=navigation_shape, signal=signal
    )


def _axis_dicts(axes):
    return [ax.get_axis_dictionary() for ax in axes]


def _navigation_axes_in_array_order(signal):
    axes = list(signal.axes_manager.navigation_axes)
    return sorted(axes, key=lambda ax: ax.index_in_array)


def _check_energy(energy, axis, what):
    """Raise if ``energy`` (the channels of a result) is not the signal axis.

    A result cropped by :class:`~skspectra.preprocessing.EnergyCrop` and a
    signal cropped by ``s.isig[a:b]`` can hold the same number of channels one
    channel apart (``isig`` keeps the channel below ``a``, ``EnergyCrop`` the
    one above it); labelling the one with the axis of the other shifts every
    peak by a channel.
    """
    if energy is None:
        return
    energy = np.asarray(energy, dtype=np.float64).ravel()
    values = np.asarray(axis.axis, dtype=np.float64)
    units = f" {axis.units}" if isinstance(axis.units, str) and axis.units else ""
    if energy.size != values.size:
        raise ValueError(
            f"energy has {energy.size} channels but the signal axis of `like` "
            f"{values.size}"
        )
    step = abs(values[-1] - values[0]) / max(values.size - 1, 1) or 1.0
    offset = energy - values
    off = np.flatnonzero(np.abs(offset) > AXIS_RTOL * step)
    if off.size:
        first = int(off[0])
        raise ValueError(
            f"the {what} are on another energy axis than `like`: channel "
            f"{first} is at {energy[first]:.6g}{units} for them and at "
            f"{values[first]:.6g}{units} on the signal axis (offset "
            f"{offset[first]:+.4g}{units}, {offset[first] / step:+.2f} channels); "
            "crop the signal and the data the same way (for example "
            "s.isig[e_min:e_max] for both, or EnergyCrop's energy_out_ as "
            "`like`'s axis)"
        )


def _signal_like(data, like, axes, *, title, lazy=False):
    """A signal of the class of ``like`` (EDSSEMSpectrum, EELSSpectrum, ...)
    with its metadata, ``original_metadata`` and the given axes, built by
    HyperSpy's own :func:`hyperspy.io.dict2signal` (which picks the class
    from ``signal_type``, the signal dimension and laziness)."""
    from hyperspy.io import dict2signal

    metadata = like.metadata.as_dictionary()
    metadata.setdefault("General", {})["title"] = title
    # the folding state of `like` does not describe the new data
    metadata.get("_HyperSpy", {}).pop("Folding", None)
    return dict2signal(
        {
            "data": data,
            "axes": axes,
            "metadata": metadata,
            "original_metadata": like.original_metadata.as_dictionary(),
        },
        lazy=lazy,
    )


def components_to_signal(components, like, *, energy=None, title="components"):
    """Component spectra as a signal of the class of ``like``, on its axis.

    As HyperSpy's ``get_decomposition_factors``: the class (for example
    ``EDSSEMSpectrum``), ``signal_type``, metadata and ``original_metadata``
    of ``like`` are kept, so ``add_lines`` or ``plot`` work on the result.

    Parameters
    ----------
    components : array-like of shape (n_components, n_channels)
        For example an estimator's ``components_``.
    like : hyperspy.signals.Signal1D
        The signal the components were computed from.
    energy : array-like of shape (n_channels,), default=None
        The channel energies of the components (for example
        ``EnergyCrop(...).energy_out_`` or the ``energy`` the estimator was
        given); checked against the signal axis of ``like``, which must hold
        the same values to within a thousandth of a channel.  ``None`` checks
        only the channel count.
    title : str, default="components"
        Title of the new signal.

    Returns
    -------
    signal : hyperspy.signals.Signal1D or subclass
        Navigation axis: the component index; signal axis: copied from
        ``like``.

    Raises
    ------
    ValueError
        If the shape or the energies do not match ``like``; the message gives
        the offset in the axis' units and in channels.
    """
    _check_signal1d(like)
    components = np.asarray(components)
    energy_axis = like.axes_manager.signal_axes[0]
    if components.ndim != 2 or components.shape[1] != energy_axis.size:
        raise ValueError(
            f"components must have shape (n_components, {energy_axis.size}) to "
            f"match the signal axis; got {components.shape}"
        )
    _check_energy(energy, energy_axis, "components")
    axes = [
        {"name": "component", "size": components.shape[0], "navigate": True},
        {**energy_axis.get_axis_dictionary(), "navigate": False},
    ]
    return _signal_like(components, like, axes, title=title)


def maps_to_signal(abundances, like, *, title="maps"):
    """Abundance maps as a signal over the navigation axes of ``like``.

    Parameters
    ----------
    abundances : array-like of shape (n_pixels, n_components)
        For example ``estimator.transform(image.X)``.
    like : hyperspy.signals.Signal1D
        The spectrum image the maps belong to.
    title : str, default="maps"
        Title of the new signal.

    Returns
    -------
    signal : hyperspy.signals.Signal2D or Signal1D
        Navigation axis: the component index; signal axes: the navigation
        axes of ``like`` (a ``Signal2D`` for an image, a ``Signal1D`` for a
        line scan), as HyperSpy lays out decomposition loadings.
    """
    hs = _check_signal1d(like)
    abundances = np.asarray(abundances)
    nav_axes = _navigation_axes_in_array_order(like)
    nav_shape = tuple(ax.size for ax in nav_axes)
    n_pixels = int(np.prod(nav_shape)) if nav_shape else 1
    if abundances.ndim != 2 or abundances.shape[0] != n_pixels:
        raise ValueError(
            f"abundances must have shape ({n_pixels}, n_components) to match the "
            f"navigation shape {nav_shape}; got {abundances.shape}"
        )
    if len(nav_axes) not in (1, 2):
        raise ValueError(
            "maps_to_signal needs a line scan or an image (1 or 2 navigation "
            f"axes); the signal has {len(nav_axes)}"
        )
    data = np.moveaxis(abundances.reshape(*nav_shape, -1), -1, 0)
    axes = [{"name": "component", "size": data.shape[0], "navigate": True}]
    axes += [{**ax.get_axis_dictionary(), "navigate": False} for ax in nav_axes]
    cls = hs.signals.Signal2D if len(nav_axes) == 2 else hs.signals.Signal1D
    out = cls(data, axes=axes)
    out.metadata.General.title = title
    return out


def spectra_to_signal(X, like, *, energy=None, title=None):
    """Fold spectra ``(n_pixels, n_channels)`` back into a signal like ``like``.

    The result is of the class of ``like`` (``EDSSEMSpectrum``,
    ``EELSSpectrum``, ...) with its ``signal_type``, metadata (such as
    ``Acquisition_instrument`` and ``Sample``), ``original_metadata`` and
    axes, so exspy's methods (``add_elements``, ``get_lines_intensity``, ...)
    work on it as on ``like``.

    Parameters
    ----------
    X : array-like or dask.array.Array of shape (n_pixels, n_channels)
        For example ``estimator.inverse_transform(maps)`` or a preprocessed
        image. The channel count must equal the signal axis of ``like``.  A
        Dask array gives a lazy signal.
    like : hyperspy.signals.Signal1D
        The signal whose class, axes and metadata the result takes.
    energy : array-like of shape (n_channels,), default=None
        The channel energies of ``X``, checked against the signal axis of
        ``like`` as in :func:`components_to_signal`; ``None`` checks only
        the shape.
    title : str, default=None
        Title of the new signal; default: the title of ``like``.

    Returns
    -------
    signal : hyperspy.signals.Signal1D or subclass
        Same class, axes and metadata as ``like``, new data.

    Examples
    --------
    >>> import numpy as np
    >>> import exspy
    >>> from skspectra.hyperspy import from_signal, spectra_to_signal
    >>> s = exspy.signals.EDSSEMSpectrum(np.ones((2, 3, 100)))
    >>> s.add_elements(["Fe"])
    >>> image = from_signal(s)
    >>> out = spectra_to_signal(2 * image.X, like=s)
    >>> type(out).__name__, out.metadata.Sample.elements
    ('EDSSEMSpectrum', ['Fe'])
    """
    _check_signal1d(like)
    lazy = hasattr(X, "dask") or type(X).__module__.startswith("dask")
    X = X if lazy else np.asarray(X)
    shape = like.data.shape
    if X.ndim != 2 or tuple(X.shape) != (int(np.prod(shape[:-1])), shape[-1]):
        raise ValueError(
            f"X must have shape ({int(np.prod(shape[:-1]))}, {shape[-1]}) to fold "
            f"into the signal of shape {shape}; got {tuple(X.shape)}"
        )
    _check_energy(energy, like.axes_manager.signal_axes[0], "spectra")
    manager = like.axes_manager
    axes = sorted(
        [*manager.navigation_axes, *manager.signal_axes],
        key=lambda ax: ax.index_in_array,
    )
    title = like.metadata.General.title if title is None else title
    return _signal_like(
        X.reshape(shape),
        like,
        [ax.get_axis_dictionary() for ax in axes],
        title=title,
        lazy=lazy,
    )
