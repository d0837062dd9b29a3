"""Non-negative matrix factorisation of spectrum images."""

from skspectra.decomposition._nmf import PoissonNMF, SparseNMF

__all__ = ["PoissonNMF", "SparseNMF"]
