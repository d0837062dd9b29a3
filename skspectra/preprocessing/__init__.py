"""Preprocessing of spectra: grid, crop, normalisation, background, binning, noise.

Measured spectra arrive on different grids, with backgrounds and arbitrary
scales; these functions and transformers bring them to one ``X`` that the
estimators of skspectra (and of scikit-learn) can use, inside a pipeline.
"""

from skspectra.preprocessing._align import EdgeAligner, edge_energy
from skspectra.preprocessing._augment import (
    PoissonNoise,
    RandomBackground,
    RandomBroadening,
    RandomShift,
    add_background,
    add_gaussian_noise,
    add_poisson_noise,
    augment_spectra,
    augment_with_noise,
    broaden_spectra,
    shift_spectra,
)
from skspectra.preprocessing._background import PowerLawBackground
from skspectra.preprocessing._binning import SpatialBinning
from skspectra.preprocessing._crop import EnergyCrop
from skspectra.preprocessing._normalize import (
    SpectrumNormalizer,
    XANESNormalizer,
    normalize_onto_grid,
)
from skspectra.preprocessing._resample import resample_spectra
from skspectra.preprocessing._smooth import SavitzkyGolay

__all__ = [
    "EdgeAligner",
    "EnergyCrop",
    "PoissonNoise",
    "PowerLawBackground",
    "RandomBackground",
    "RandomBroadening",
    "RandomShift",
    "SavitzkyGolay",
    "SpatialBinning",
    "SpectrumNormalizer",
    "XANESNormalizer",
    "add_background",
    "add_gaussian_noise",
    "add_poisson_noise",
    "augment_spectra",
    "augment_with_noise",
    "broaden_spectra",
    "edge_energy",
    "normalize_onto_grid",
    "resample_spectra",
    "shift_spectra",
]
