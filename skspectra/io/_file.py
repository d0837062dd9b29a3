"""Read spectra from any file skspectra knows: spectrum formats and NumPy files.

:func:`read_file` is what the ``skspectra`` command reads its inputs with, so
that a file reads the same way from Python and from the command line.
"""

import zipfile
from pathlib import Path

import numpy as np

from skspectra.io._common import Spectrum, SpectrumFileError
from skspectra.io._read import SUPPORTED_EXTENSIONS, read_spectrum

NUMPY_EXTENSIONS = (".npy", ".npz")

READABLE_EXTENSIONS = tuple(sorted({*SUPPORTED_EXTENSIONS, *NUMPY_EXTENSIONS}))

# array name of an energy axis in an .npz -> the unit the name implies
# (None: given by an ``energy_units`` entry, if any)
_ENERGY_KEYS = {
    "energy": None,
    "energy_eV": "eV",
    "energy_ev": "eV",
    "energy_keV": "keV",
    "energy_kev": "keV",
    "E": None,
    "channel": "channel",
}
_UNITS_KEY = "energy_units"


def _check_path(path):
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    if path.is_dir():
        raise IsADirectoryError(f"{path}: is a folder, expected a file")
    return path


def _load_numpy(path):
    """The arrays of an .npy (key ``None``) or .npz file."""
    try:
        loaded = np.load(path, allow_pickle=False)
        if isinstance(loaded, np.ndarray):
            return {None: loaded}
        with loaded:
            return {key: loaded[key] for key in loaded.files}
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        raise SpectrumFileError(f"{path}: not a readable NumPy file ({exc})") from exc


def _data_key(arrays, path):
    if None in arrays:
        return None
    candidates = [k for k, v in arrays.items() if v.ndim >= 1 and k not in _ENERGY_KEYS]
    if "X" in arrays:
        return "X"
    several = [k for k in candidates if arrays[k].ndim >= 2]
    if len(several) == 1:
        return several[0]
    if not several and len(candidates) == 1:
        return candidates[0]
    raise SpectrumFileError(
        f"{path}: expected an array 'X' (or exactly one array of two or more "
        f"dimensions); found {sorted(arrays) or 'no arrays'}"
    )


def _read_numpy(path):
    arrays = _load_numpy(path)
    key = _data_key(arrays, path)
    data = arrays.pop(key)
    if data.ndim == 0 or not np.issubdtype(data.dtype, np.number):
        raise SpectrumFileError(
            f"{path}: array {key or 'of the file'} holds {data.dtype} data of shape "
            f"{data.shape}; expected numbers with the channel axis last"
        )
    n_channels = data.shape[-1]
    units_given = arrays.pop(_UNITS_KEY, None)
    for name, units in _ENERGY_KEYS.items():
        axis = arrays.get(name)
        if axis is not None and axis.ndim == 1 and axis.shape[0] == n_channels:
            arrays.pop(name)
            if units is None:
                units = "" if units_given is None else str(units_given)
            energy = np.asarray(axis, dtype=np.float64)
            break
    else:
        name, units = None, "channel"
        energy = np.arange(n_channels, dtype=np.float64)
    header = {
        "energy_units": units,
        "energy_key": name,
        "data_key": key,
        "arrays": arrays,
    }
    return Spectrum(energy, data, header)


def read_file(path, *, signal_index=None, **reader_kwargs):
    """Read a spectrum, a set of spectra or a spectrum image from any file.

    Spectrum formats go through :func:`read_spectrum` (``.msa``, ``.xdi``,
    ``.dm3``, ``.dm4``, ``.bcf``, ``.hspy``, ``.emd``); NumPy files are read
    here: an ``.npy`` array, or the array ``X`` of an ``.npz`` archive (or its
    only array of two or more dimensions) with its energy axis, a 1-D array
    named ``energy``, ``energy_eV``, ``energy_keV``, ``E`` or ``channel`` as
    long as the channel axis, and its unit in an optional ``energy_units``
    entry.  Whatever the format, the channel axis of the intensity comes last.

    Parameters
    ----------
    path : str or path-like
        The file to read.
    signal_index : int, default=None
        For binary files holding several datasets, which one to return; see
        :func:`read_spectrum`.
    **reader_kwargs
        Passed to the reader of a spectrum format.

    Returns
    -------
    spectrum : Spectrum
        Named tuple ``(energy, intensity, header)``.  ``intensity`` has the
        channel axis last: ``(n_channels,)`` for one spectrum,
        ``(n_spectra, n_channels)`` for a set (a multi-column MSA file gives
        one row per column), ``(ny, nx, n_channels)`` for a spectrum image.
        ``header["energy_units"]`` names the unit of ``energy`` (``""`` when
        the file does not say, ``"channel"`` when a NumPy file holds no energy
        axis and ``energy`` is the channel index).  For NumPy files the header
        also holds ``"data_key"``, ``"energy_key"`` and ``"arrays"``, the
        file's other arrays (for example an ``elements`` list).

    Raises
    ------
    FileNotFoundError
        If there is no file at ``path``.
    IsADirectoryError
        If ``path`` is a folder.
    ValueError
        If the extension is unknown (the message lists the readable ones) or
        the file cannot be read as its extension says: the message names the
        file and what went wrong.
    ImportError
        If the format needs rosettasciio and it is not installed.

    See Also
    --------
    read_spectrum : The spectrum formats alone.
    skspectra.utils.unfold : A spectrum image as one spectrum per row.

    Examples
    --------
    >>> import tempfile, os
    >>> import numpy as np
    >>> from skspectra.io import read_file
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     name = os.path.join(folder, "image.npz")
    ...     np.savez(name, X=np.ones((2, 3, 4)), energy_keV=[1.0, 1.1, 1.2, 1.3])
    ...     energy, image, header = read_file(name)
    >>> image.shape, header["energy_units"]
    ((2, 3, 4), 'keV')
    >>> energy
    array([1. , 1.1, 1.2, 1.3])
    """
    path = _check_path(path)
    ext = path.suffix.lower()
    if ext not in READABLE_EXTENSIONS:
        raise SpectrumFileError(
            f"{path}: unknown format {ext or '(no extension)'!r}; readable "
            f"formats: {', '.join(READABLE_EXTENSIONS)}"
        )
    if ext in NUMPY_EXTENSIONS:
        return _read_numpy(path)
    try:
        energy, intensity, header = read_spectrum(
            path, signal_index=signal_index, **reader_kwargs
        )
    except (ImportError, MemoryError):
        raise
    except ValueError as exc:
        if str(exc).startswith(str(path)):
            raise
        raise SpectrumFileError(f"{path}: could not be read: {exc}") from exc
    except Exception as exc:  # a corrupt file fails in the reader's own ways
        raise SpectrumFileError(
            f"{path}: could not be read as a {ext} file ({type(exc).__name__}: {exc})"
        ) from exc
    intensity = np.asarray(intensity)
    if ext in (".msa", ".emsa", ".ems") and intensity.ndim == 2:
        intensity = np.ascontiguousarray(intensity.T)  # one row per column
    header.setdefault("energy_units", "")
    return Spectrum(np.asarray(energy, dtype=np.float64), intensity, header)
