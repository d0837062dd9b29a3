"""Interpretation of spectra: dendrogram clusters explained by decision trees."""

from skspectra.tree._dendrogram_tree import SpectralDendrogramTree
from skspectra.tree._plot import plot_dendrogram_tree

__all__ = ["SpectralDendrogramTree", "plot_dendrogram_tree"]
