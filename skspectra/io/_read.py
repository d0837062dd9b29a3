"""Read a spectrum from any supported file, chosen by the extension."""

import importlib
from pathlib import Path

import numpy as np

from skspectra.io._common import Spectrum, SpectrumFileError
from skspectra.io._msa import read_msa
from skspectra.io._xdi import read_xdi

_TEXT_READERS = {
    ".msa": read_msa,
    ".emsa": read_msa,
    ".ems": read_msa,
    ".xdi": read_xdi,
}

# extension -> rosettasciio plugin module
_RSCIIO_PLUGINS = {
    ".dm3": "rsciio.digitalmicrograph",
    ".dm4": "rsciio.digitalmicrograph",
    ".bcf": "rsciio.bruker",
    ".spx": "rsciio.bruker",
    ".eds": "rsciio.jeol",
    ".hspy": "rsciio.hspy",
    ".hdf5": "rsciio.hspy",
    ".emd": "rsciio.emd",
}

SUPPORTED_EXTENSIONS = tuple(sorted({*_TEXT_READERS, *_RSCIIO_PLUGINS}))

# importable module -> the distribution that installs it, where they differ
_DISTRIBUTIONS = {"rsciio": "rosettasciio", "PIL": "pillow", "yaml": "pyyaml"}
# the distributions that the io extra installs
_IO_EXTRA = {"rosettasciio", "h5py"}
# a message quoted from rosettasciio is cut to this length to stay one line
_MAX_QUOTED_MESSAGE = 200


def _missing_package(exc, ext):
    """An ImportError naming the distribution to install for ``exc``."""
    module = (exc.name or "rsciio").split(".")[0]
    package = _DISTRIBUTIONS.get(module, module)
    how = (
        'pip install "skspectra[io]"'
        if package in _IO_EXTRA
        else f"pip install {package}"
    )
    return ImportError(
        f"Reading {ext} files needs the Python package {package!r}, which is "
        f"not installed. Install it with: {how}"
    )


def _one_line(exc):
    text = " ".join(str(exc).split()) or "no message"
    if len(text) > _MAX_QUOTED_MESSAGE:
        text = text[: _MAX_QUOTED_MESSAGE - 3] + "..."
    return f"{type(exc).__name__}: {text}"


class _AxesView:
    """A dataset's data and axes, with the signal axes marked as HyperSpy does.

    rosettasciio describes each dataset for HyperSpy: the ``navigate`` flags
    count the signal axes, HyperSpy makes the last that many axes in array
    order the signal axes, and a plugin may ask for ``post_process`` steps,
    functions of a HyperSpy signal.  This class offers the two methods those
    steps call (:meth:`to_signal1D` and :meth:`squeeze`), so the result is the
    layout HyperSpy would load.
    """

    def __init__(self, data, axes, n_signal):
        self.data = data
        self.axes = axes
        self.is_signal = [False] * (len(axes) - n_signal) + [True] * n_signal

    def to_signal1D(self, **kwargs):
        """Make array axis 0 the signal axis and move it last (an image's view)."""
        self.data = np.moveaxis(self.data, 0, -1)
        self.axes = self.axes[1:] + self.axes[:1]
        self.is_signal = [False] * (len(self.axes) - 1) + [True]
        return self

    def squeeze(self):
        """Drop the axes of length one."""
        keep = [i for i, n in enumerate(self.data.shape) if n != 1]
        self.data = self.data.reshape(tuple(self.data.shape[i] for i in keep))
        self.axes = [self.axes[i] for i in keep]
        self.is_signal = [self.is_signal[i] for i in keep]
        return self


def _hyperspy_layout(item, path):
    """The dataset as HyperSpy would load it: an :class:`_AxesView`."""
    data = item["data"]
    axes = list(item["axes"])
    if len(axes) != data.ndim:
        raise SpectrumFileError(
            f"{path}: rosettasciio describes {len(axes)} axes for data of "
            f"{data.ndim} dimensions."
        )
    if all("index_in_array" in ax for ax in axes):
        axes.sort(key=lambda ax: ax["index_in_array"])
    if all(ax.get("navigate") is not None for ax in axes):
        n_signal = sum(not ax["navigate"] for ax in axes)
    else:
        record_by = item.get("metadata", {}).get("Signal", {}).get("record_by")
        n_signal = {"spectrum": 1, "image": 2}.get(record_by, data.ndim)
    view = _AxesView(data, axes, n_signal)
    for step in item.get("post_process", []):
        try:
            view = step(view)
        except (AttributeError, TypeError) as exc:
            raise SpectrumFileError(
                f"{path}: rosettasciio asks for a HyperSpy post-processing step "
                f"that skspectra cannot apply ({_one_line(exc)})."
            ) from None
    return view


def _check_dtype(data, path):
    """Reject colour and complex data, which are not spectra of real counts."""
    dtype = np.dtype(data.dtype)
    if dtype.names is not None:
        raise SpectrumFileError(
            f"{path}: the data are {'/'.join(dtype.names)} colour values, "
            "not a spectrum."
        )
    if dtype.kind == "c":
        raise SpectrumFileError(
            f"{path}: the data are complex ({dtype}); skspectra reads real "
            "spectra only and does not drop the imaginary part."
        )
    if dtype.kind not in "iuf":
        raise SpectrumFileError(f"{path}: data of type {dtype} are not a spectrum.")


def _energy_axis(ax, size, path):
    """The energy of one rosettasciio axis dictionary."""
    if ax.get("axis") is not None:
        energy = np.asarray(ax["axis"], dtype=np.float64)
    else:
        scale = float(ax.get("scale", 1.0))
        offset = float(ax.get("offset", 0.0))
        energy = offset + scale * np.arange(size, dtype=np.float64)
    if energy.shape != (size,) or not np.all(np.isfinite(energy)):
        raise SpectrumFileError(
            f"{path}: the energy axis is not {size} finite values "
            f"(scale {ax.get('scale')!r}, offset {ax.get('offset')!r})."
        )
    return energy


def _why_not_spectrum(item, path):
    """Why a dataset is not a spectrum, or None when it is one."""
    try:
        _check_dtype(item["data"], path)
        view = _hyperspy_layout(item, path)
    except SpectrumFileError as exc:
        return str(exc)
    n_signal = sum(view.is_signal)
    if n_signal != 1:
        kind = "an image" if n_signal == 2 else f"a {n_signal}-D signal"
        return (
            f"{path}: its {n_signal} signal axes make {kind}, not a spectrum "
            "or spectrum image."
        )
    return None


def _import_plugin(ext):
    try:
        return importlib.import_module(_RSCIIO_PLUGINS[ext])
    except ImportError as exc:
        raise _missing_package(exc, ext) from exc


def _read_items(module, path, ext, reader_kwargs):
    """rosettasciio's datasets; its failures become one-line errors."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file.")
    try:
        return module.file_reader(str(path), **reader_kwargs)
    except ImportError as exc:
        raise _missing_package(exc, ext) from exc
    except MemoryError:
        raise
    except Exception as exc:
        raise SpectrumFileError(
            f"{path}: rosettasciio cannot read it as a {ext} file ({_one_line(exc)})."
        ) from None


def _select(items, signal_index, path):
    """The index of the dataset to return; a clear error when none fits."""
    if signal_index is not None:
        if not 0 <= signal_index < len(items):
            raise SpectrumFileError(
                f"{path}: signal_index={signal_index} but the file holds "
                f"{len(items)} datasets."
            )
        reason = _why_not_spectrum(items[signal_index], path)
        if reason is not None:
            raise SpectrumFileError(f"{reason} (dataset {signal_index})")
        return signal_index
    reasons = [_why_not_spectrum(item, path) for item in items]
    for k, reason in enumerate(reasons):
        if reason is None:
            return k
    if len(items) == 1:
        raise SpectrumFileError(reasons[0])
    raise SpectrumFileError(
        f"{path}: none of its {len(items)} datasets is a spectrum (one signal "
        "axis of real numbers); nothing to return."
    )


def _read_rsciio(path, signal_index, reader_kwargs):
    ext = path.suffix.lower()
    module = _import_plugin(ext)
    items = _read_items(module, path, ext, reader_kwargs)
    signal_index = _select(items, signal_index, path)
    item = items[signal_index]
    view = _hyperspy_layout(item, path)
    index = view.is_signal.index(True)
    ax = view.axes[index]
    energy = _energy_axis(ax, view.data.shape[index], path)
    intensity = np.moveaxis(view.data, index, -1)
    if energy.size > 1 and energy[1] < energy[0]:
        energy, intensity = energy[::-1], intensity[..., ::-1]
    if not np.all(np.diff(energy) > 0):
        raise SpectrumFileError(f"{path}: the energy axis is not strictly monotonic.")
    intensity = np.asarray(intensity)
    header = {
        "metadata": item.get("metadata", {}),
        "original_metadata": item.get("original_metadata", {}),
        "axes": item["axes"],
        "navigation_axes": [
            a for a, s in zip(view.axes, view.is_signal, strict=True) if not s
        ],
        "signal_axis": ax,
        "energy_units": str(ax.get("units", "")),
        "signal_index": signal_index,
        "n_datasets": len(items),
    }
    return Spectrum(energy, intensity, header)


def read_spectrum(path, *, signal_index=None, **reader_kwargs):
    """Read a spectrum or spectrum image, choosing the reader by extension.

    ``.msa``/``.emsa`` and ``.xdi`` are read by :func:`read_msa` and
    :func:`read_xdi`; ``.dm3``, ``.dm4``, ``.bcf``, ``.spx``, ``.eds``,
    ``.hspy``, ``.hdf5`` and ``.emd`` by rosettasciio, which is imported only
    here and is installed with the ``io`` extra
    (``pip install "skspectra[io]"``).

    Parameters
    ----------
    path : str or path-like
        The file to read.
    signal_index : int, default=None
        For binary files holding several datasets (a Bruker ``.bcf`` holds an
        image and an EDS spectrum image), which one to return; ``None`` takes
        the first dataset with a single signal (energy) axis.
    **reader_kwargs
        Passed to the reader (``mode`` for XDI; rosettasciio's
        ``file_reader`` options, e.g. ``lazy=True``).

    Returns
    -------
    spectrum : Spectrum
        Named tuple ``(energy, intensity, header)``.  For binary formats the
        intensity keeps the navigation axes first and the energy axis last
        (``(ny, nx, n_channels)`` for a spectrum image; use
        :func:`skspectra.utils.unfold` to get ``X``), the energy increases,
        and ``header`` holds rosettasciio's ``metadata``,
        ``original_metadata`` and ``axes``, plus ``navigation_axes`` (the
        axis dictionaries of the leading intensity dimensions, in order) and
        ``signal_axis``.

    Raises
    ------
    SpectrumFileError
        A subclass of :class:`ValueError`: if the extension is not supported,
        the file holds no spectrum (an image, colour or complex data), or
        rosettasciio cannot read it (its error is quoted on the same line).
    FileNotFoundError
        If a binary file does not exist.
    ImportError
        If a package that the format needs is not installed; the message
        names the package and the ``pip install`` command.

    See Also
    --------
    read_msa, read_xdi

    Notes
    -----
    Which axis holds the energy is decided as HyperSpy decides it when it
    loads the file as a ``Signal1D``: rosettasciio's ``navigate`` flags give
    the number of signal axes, the last axes in array order are the signal
    axes, and the plugin's post-processing (a DigitalMicrograph spectrum
    image turns its first array axis into the signal axis, and axes of length
    one are dropped) is applied.  A dataset with other than one signal axis is
    not a spectrum.  Complex and colour (RGB, RGBA) data are rejected rather
    than converted.

    Examples
    --------
    >>> from skspectra.io import read_spectrum
    >>> read_spectrum("spectrum.xyz")
    Traceback (most recent call last):
    ...
    skspectra.io.SpectrumFileError: spectrum.xyz: unsupported extension ...
    """
    path = Path(path)
    ext = path.suffix.lower()
    if ext in _TEXT_READERS:
        if signal_index not in (None, 0):
            raise ValueError(
                f"{path}: a {ext} file holds one spectrum; signal_index must be "
                f"None or 0, got {signal_index}."
            )
        return _TEXT_READERS[ext](path, **reader_kwargs)
    if ext in _RSCIIO_PLUGINS:
        return _read_rsciio(path, signal_index, reader_kwargs)
    raise SpectrumFileError(
        f"{path}: unsupported extension {ext!r}; supported: "
        f"{', '.join(SUPPORTED_EXTENSIONS)}."
    )
