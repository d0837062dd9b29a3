"""Readers for spectrum files.

EMSA/MSA (``.msa``) and XDI (``.xdi``) are plain text and read by skspectra
itself; DigitalMicrograph (``.dm3``, ``.dm4``), Bruker (``.bcf``, ``.spx``), JEOL
(``.eds``), HyperSpy (``.hspy``, ``.hdf5``) and EMD (``.emd``) files are read
through rosettasciio, installed with ``pip install "skspectra[io]"``.  Every
reader returns a :class:`Spectrum` named tuple ``(energy, intensity, header)``
and raises :class:`SpectrumFileError` (a :class:`ValueError`) with a one-line
message for a file it cannot read as a spectrum; :func:`read_file` reads NumPy
``.npy``/``.npz`` files too and is how the ``skspectra`` command reads its
inputs.
"""

from skspectra.io._common import Spectrum, SpectrumFileError
from skspectra.io._file import NUMPY_EXTENSIONS, READABLE_EXTENSIONS, read_file
from skspectra.io._msa import read_msa
from skspectra.io._read import SUPPORTED_EXTENSIONS, read_spectrum
from skspectra.io._xdi import read_xdi

__all__ = [
    "NUMPY_EXTENSIONS",
    "READABLE_EXTENSIONS",
    "SUPPORTED_EXTENSIONS",
    "Spectrum",
    "SpectrumFileError",
    "read_file",
    "read_msa",
    "read_spectrum",
    "read_xdi",
]
