"""Non-negative matrix factorisation of spectrum images."""

from skspectra.decomposition._nmf import PoissonNMF, SparseNMF
from skspectra.decomposition._noise import suggest_noise_model
from skspectra.decomposition._select import NComponentsResult, select_n_components

__all__ = [
    "NComponentsResult",
    "PoissonNMF",
    "SparseNMF",
    "select_n_components",
    "suggest_noise_model",
]
