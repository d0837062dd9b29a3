"""Readers for spectrum files.

EMSA/MSA (``.msa``) and XDI (``.xdi``) are plain text and read by skspectra
itself; DigitalMicrograph (``.dm3``, ``.dm4``), Bruker (``.bcf``, ``.spx``), JEOL
(``.eds``), HyperSpy (``.hspy``, ``.hdf5``) and EMD (``.emd``) files are read
through rosettasciio, installed with ``pip install "skspectra[io]"``.  Every
reader returns a :class:`Spectrum` named tuple ``(energy, intensity, header)``
and raises :class:`SpectrumFileError` (a :class:`ValueError`) with a one-line
message for a file it cannot read as a spectrum.
"""

from skspectra.io._common import Spectrum, SpectrumFileError
from skspectra.io._msa import read_msa
from skspectra.io._read import SUPPORTED_EXTENSIONS, read_spectrum
from skspectra.io._xdi import read_xdi

__all__ = [
    "SUPPORTED_EXTENSIONS",
    "Spectrum",
    "SpectrumFileError",
    "read_msa",
    "read_spectrum",
    "read_xdi",
]
