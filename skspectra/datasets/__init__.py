"""Synthetic spectra with known ground truth, and loaders for real data."""

from skspectra.datasets._base import find_data_dir
from skspectra.datasets._descriptor import (
    make_descriptor_spectra,
    xanes_reference_descriptors,
)
from skspectra.datasets._grain_image import make_grain_image
from skspectra.datasets._k_edge import load_k_edge_references
from skspectra.datasets._peaks import (
    lorentzian,
    make_edge_peaks,
    make_lorentzian_peaks,
)
from skspectra.datasets._properties import make_property_spectra
from skspectra.datasets._spectrum_image import make_spectrum_image
from skspectra.datasets._xanes import make_xanes_series
from skspectra.datasets._xanes_loader import load_xanes_references
from skspectra.utils._image import fold, unfold

__all__ = [
    "find_data_dir",
    "fold",
    "load_k_edge_references",
    "make_grain_image",
    "load_xanes_references",
    "make_descriptor_spectra",
    "make_xanes_series",
    "lorentzian",
    "make_edge_peaks",
    "make_lorentzian_peaks",
    "make_property_spectra",
    "make_spectrum_image",
    "unfold",
    "xanes_reference_descriptors",
]
