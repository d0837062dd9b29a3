"""What every reader returns."""

from typing import NamedTuple

import numpy as np


class Spectrum(NamedTuple):
    """A spectrum read from a file.

    Attributes
    ----------
    energy : ndarray of shape (n_channels,)
        Channel energies (float64) in the file's units, named in
        ``header["energy_units"]`` (eV for XDI and for EELS files).
    intensity : ndarray of shape (n_channels,) or (..., n_channels)
        The measured intensity (counts, or the absorption mu for XDI); a
        spectrum image keeps its navigation axes first.  A multi-column MSA
        file gives shape ``(n_channels, n_columns)``.
    header : dict
        The file's header fields, plus derived keys in lower case.
    """

    energy: np.ndarray
    intensity: np.ndarray
    header: dict


def _to_number(text):
    """Return ``text`` as an int or a float when it is one, else the stripped text."""
    text = text.strip()
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text
