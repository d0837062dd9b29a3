"""scikit-learn estimators for electron and X-ray spectroscopy.

skspectra collects published machine-learning methods for EELS/ELNES,
XAS/XANES, EDS and STEM spectrum images as scikit-learn estimators and
metrics, so that they compose with ``Pipeline``, ``GridSearchCV`` and
``clone``.  The estimators live in subpackages (``skspectra.decomposition``,
``skspectra.peaks``, ``skspectra.neighbors``, ``skspectra.tree``,
``skspectra.neural_network``, ``skspectra.preprocessing``) and the public
ones are also reachable from the top level, imported on first use.
"""

import importlib

__version__ = "0.1.0"

# public name -> subpackage that defines it; resolved lazily so that
# ``import skspectra`` stays cheap and optional extras are never imported
_LAZY = {
    # estimators
    "SparseNMF": "skspectra.decomposition",
    "PoissonNMF": "skspectra.decomposition",
    "ESPRITPeaks": "skspectra.peaks",
    "SimilarityKNNEstimator": "skspectra.neighbors",
    "SimilarityKNNClassifier": "skspectra.neighbors",
    "SpectralDendrogramTree": "skspectra.tree",
    "SpectrumPropertyRegressor": "skspectra.neural_network",
    "TransferGaussianProcessRegressor": "skspectra.search",
    "KrigingSearch": "skspectra.search",
    "MonteCarloTreeSearch": "skspectra.search",
    "make_spectral_objective": "skspectra.search",
    # preprocessing
    "EnergyCrop": "skspectra.preprocessing",
    "SpectrumNormalizer": "skspectra.preprocessing",
    "XANESNormalizer": "skspectra.preprocessing",
    "EdgeAligner": "skspectra.preprocessing",
    "PowerLawBackground": "skspectra.preprocessing",
    "SavitzkyGolay": "skspectra.preprocessing",
    "SpatialBinning": "skspectra.preprocessing",
    "RandomShift": "skspectra.preprocessing",
    "RandomBroadening": "skspectra.preprocessing",
    "RandomBackground": "skspectra.preprocessing",
    "PoissonNoise": "skspectra.preprocessing",
    "resample_spectra": "skspectra.preprocessing",
    # pipeline
    "SpectralPipeline": "skspectra.pipeline",
    "make_spectral_pipeline": "skspectra.pipeline",
    # metrics
    "MetricEmbedding": "skspectra.metrics",
    "get_metric": "skspectra.metrics",
    "pairwise_spectral_distances": "skspectra.metrics",
    "make_spectral_scorer": "skspectra.metrics",
    # data
    "make_spectrum_image": "skspectra.datasets",
    "make_lorentzian_peaks": "skspectra.datasets",
    "make_xanes_series": "skspectra.datasets",
    "make_descriptor_spectra": "skspectra.datasets",
    "load_xanes_references": "skspectra.datasets",
    "read_spectrum": "skspectra.io",
    "fold": "skspectra.utils",
    "unfold": "skspectra.utils",
}

_SUBPACKAGES = [
    "datasets",
    "hyperspy",
    "decomposition",
    "io",
    "metrics",
    "neighbors",
    "neural_network",
    "peaks",
    "pipeline",
    "plotting",
    "preprocessing",
    "search",
    "tree",
    "utils",
]

__all__ = ["__version__", *sorted(_LAZY)]


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    if name in _SUBPACKAGES:
        return importlib.import_module(f"skspectra.{name}")
    raise AttributeError(f"module 'skspectra' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY) | set(_SUBPACKAGES))
