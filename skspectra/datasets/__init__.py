"""Synthetic spectra with known ground truth, and loaders for real data."""

from skspectra.datasets._base import find_data_dir
from skspectra.datasets._xanes import make_xanes_series
from skspectra.datasets._xanes_loader import load_xanes_references
from skspectra.utils._image import fold, unfold

__all__ = [
    "find_data_dir",
    "fold",
    "load_xanes_references",
    "make_xanes_series",
    "unfold",
]
