"""Interpretation of spectra: dendrogram clusters explained by decision trees."""

from skspectra.tree._dendrogram_tree import SpectralDendrogramTree

__all__ = ["SpectralDendrogramTree"]
