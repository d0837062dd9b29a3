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
  do.

HyperSpy is an optional dependency (``pip install hyperspy``); it is imported
only when one of these functions is called.
"""

from dataclasses import dataclass

import numpy as np


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


def components_to_signal(components, like, *, title="components"):
    """Component spectra as a ``Signal1D`` with the energy axis of ``like``.

    Parameters
    ----------
    components : array-like of shape (n_components, n_channels)
        For example an estimator's ``components_``.
    like : hyperspy.signals.Signal1D
        The signal the components were computed from.
    title : str, default="components"
        Title of the new signal.

    Returns
    -------
    signal : hyperspy.signals.Signal1D
        Navigation axis: the component index; signal axis: copied from
        ``like``.
    """
    hs = _check_signal1d(like)
    components = np.asarray(components)
    energy_axis = like.axes_manager.signal_axes[0]
    if components.ndim != 2 or components.shape[1] != energy_axis.size:
        raise ValueError(
            f"components must have shape (n_components, {energy_axis.size}) to "
            f"match the signal axis; got {components.shape}"
        )
    axes = [
        {"name": "component", "size": components.shape[0], "navigate": True},
        {**energy_axis.get_axis_dictionary(), "navigate": False},
    ]
    out = hs.signals.Signal1D(components, axes=axes)
    out.metadata.General.title = title
    return out


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


def spectra_to_signal(X, like, *, title=None):
    """Fold spectra ``(n_pixels, n_channels)`` back into a copy of ``like``.

    Parameters
    ----------
    X : array-like of shape (n_pixels, n_channels)
        For example ``estimator.inverse_transform(maps)`` or a preprocessed
        image. The channel count must equal the signal axis of ``like``.
    like : hyperspy.signals.Signal1D
        The signal whose axes and metadata the result takes.
    title : str, default=None
        Title of the new signal; default: the title of ``like``.

    Returns
    -------
    signal : hyperspy.signals.Signal1D
        Same axes as ``like``, new data.
    """
    hs = _check_signal1d(like)
    X = np.asarray(X)
    shape = like.data.shape
    if X.ndim != 2 or X.shape != (int(np.prod(shape[:-1])), shape[-1]):
        raise ValueError(
            f"X must have shape ({int(np.prod(shape[:-1]))}, {shape[-1]}) to fold "
            f"into the signal of shape {shape}; got {X.shape}"
        )
    axes = sorted(like.axes_manager._axes, key=lambda ax: ax.index_in_array)
    out = hs.signals.Signal1D(
        X.reshape(shape), axes=[ax.get_axis_dictionary() for ax in axes]
    )
    out.metadata.General.title = like.metadata.General.title if title is None else title
    return out
