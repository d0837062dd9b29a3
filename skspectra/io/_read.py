"""Read a spectrum from any supported file, chosen by the extension."""

import importlib
from pathlib import Path

import numpy as np

from skspectra.io._common import Spectrum
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
    ".hspy": "rsciio.hspy",
    ".emd": "rsciio.emd",
}

SUPPORTED_EXTENSIONS = tuple(sorted({*_TEXT_READERS, *_RSCIIO_PLUGINS}))


def _signal_axis(axes, shape, path):
    """Return (energy, axis index) of the single signal axis."""
    signal = [(i, ax) for i, ax in enumerate(axes) if not ax.get("navigate", False)]
    if len(signal) != 1:
        raise ValueError(
            f"{path}: expected one signal (energy) axis, found {len(signal)}; "
            "this item is not a spectrum or spectrum image."
        )
    i, ax = signal[0]
    index = ax.get("index_in_array", i)
    size = shape[index]
    if ax.get("axis") is not None:
        energy = np.asarray(ax["axis"], dtype=np.float64)
    else:
        scale = float(ax.get("scale", 1.0))
        offset = float(ax.get("offset", 0.0))
        energy = offset + scale * np.arange(size, dtype=np.float64)
    return energy, index, ax


def _read_rsciio(path, signal_index, reader_kwargs):
    ext = path.suffix.lower()
    module_name = _RSCIIO_PLUGINS[ext]
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ImportError(
            f"Reading {ext} files needs rosettasciio, which is not installed. "
            'Install the io extra: pip install "skspectra[io]"'
        ) from exc
    items = module.file_reader(str(path), **reader_kwargs)
    spectral = []
    for k, item in enumerate(items):
        n_signal = sum(not ax.get("navigate", False) for ax in item["axes"])
        if n_signal == 1:
            spectral.append(k)
    if signal_index is None:
        if not spectral:
            raise ValueError(
                f"{path}: none of its {len(items)} datasets is a spectrum "
                "(one signal axis); nothing to return."
            )
        signal_index = spectral[0]
    elif not 0 <= signal_index < len(items):
        raise ValueError(
            f"{path}: signal_index={signal_index} but the file holds "
            f"{len(items)} datasets."
        )
    item = items[signal_index]
    data = np.asarray(item["data"])
    energy, index, ax = _signal_axis(item["axes"], data.shape, path)
    intensity = np.moveaxis(data, index, -1)
    header = {
        "metadata": item.get("metadata", {}),
        "original_metadata": item.get("original_metadata", {}),
        "axes": item["axes"],
        "energy_units": str(ax.get("units", "")),
        "signal_index": signal_index,
        "n_datasets": len(items),
    }
    return Spectrum(energy, intensity, header)


def read_spectrum(path, *, signal_index=None, **reader_kwargs):
    """Read a spectrum or spectrum image, choosing the reader by extension.

    ``.msa``/``.emsa`` and ``.xdi`` are read by :func:`read_msa` and
    :func:`read_xdi`; ``.dm3``, ``.dm4``, ``.bcf``, ``.hspy`` and ``.emd`` by
    rosettasciio, which is imported only here and is installed with the
    ``io`` extra (``pip install "skspectra[io]"``).

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
        :func:`skspectra.utils.unfold` to get ``X``), and ``header`` holds
        rosettasciio's ``metadata``, ``original_metadata`` and ``axes``.

    Raises
    ------
    ValueError
        If the extension is not supported, or the file holds no spectrum.
    ImportError
        If a binary format is asked for and rosettasciio is not installed;
        the message names the ``io`` extra.

    See Also
    --------
    read_msa, read_xdi

    Examples
    --------
    >>> from skspectra.io import read_spectrum
    >>> read_spectrum("spectrum.xyz")
    Traceback (most recent call last):
    ...
    ValueError: spectrum.xyz: unsupported extension '.xyz'; supported: ...
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
    raise ValueError(
        f"{path}: unsupported extension {ext!r}; supported: "
        f"{', '.join(SUPPORTED_EXTENSIONS)}."
    )
