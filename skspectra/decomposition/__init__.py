"""Non-negative matrix factorisation of spectrum images."""

from skspectra.decomposition._nmf import PoissonNMF, SparseNMF
from skspectra.decomposition._noise import suggest_noise_model

__all__ = ["PoissonNMF", "SparseNMF", "suggest_noise_model"]
