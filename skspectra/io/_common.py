"""What every reader returns, the error it raises, and shared text helpers."""

import codecs
from typing import NamedTuple

import numpy as np

# Byte-order marks a text editor may put at the start of a file, with the
# encoding each one announces.
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


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


class SpectrumFileError(ValueError):
    """A file that cannot be read as a spectrum; the message names the file.

    A subclass of :class:`ValueError`, so code catching ``ValueError`` keeps
    working.  Every reader of :mod:`skspectra.io` raises it, with a one-line
    message, for a file whose content is not a readable spectrum; a missing
    file raises :class:`OSError` and a missing optional package
    :class:`ImportError`.
    """

    __module__ = "skspectra.io"


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


def _read_text_lines(path, encoding):
    """The lines of a text file, a leading byte-order mark removed.

    A byte-order mark states the encoding, so it takes precedence over
    ``encoding``; without one the file is decoded with ``encoding``.
    """
    raw = path.read_bytes()
    for bom, bom_encoding in _BOMS:
        if raw.startswith(bom):
            raw, encoding = raw[len(bom) :], bom_encoding
            break
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise SpectrumFileError(
            f"{path}: not a text file in the {encoding} encoding "
            f"(byte {exc.start}: {exc.reason})."
        ) from None
    return text.splitlines()


def _sort_and_merge(energy, columns):
    """Sort the points by energy and average the points of a repeated energy.

    Parameters
    ----------
    energy : ndarray of shape (n_points,)
    columns : list of ndarray, each with ``n_points`` rows

    Returns
    -------
    energy : ndarray of shape (n_unique,)
        Strictly increasing.
    columns : list of ndarray
        Reordered like ``energy``; the rows of a repeated energy replaced by
        their mean.
    sorted_ : bool
        Whether the points had to be reordered.
    n_merged : int
        How many points were merged into another of the same energy.
    """
    order = np.argsort(energy, kind="stable")
    sorted_ = bool(np.any(order != np.arange(order.size)))
    energy = energy[order]
    columns = [np.asarray(c)[order] for c in columns]
    unique, start, counts = np.unique(energy, return_index=True, return_counts=True)
    n_merged = energy.size - unique.size
    if n_merged:
        merged = []
        for c in columns:
            sums = np.add.reduceat(c.astype(np.float64), start, axis=0)
            merged.append(sums / counts.reshape((-1,) + (1,) * (c.ndim - 1)))
        energy, columns = unique, merged
    return energy, columns, sorted_, n_merged
