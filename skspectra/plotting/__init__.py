"""Figures for the results of skspectra's estimators (the ``plot`` extra).

Every function returns a matplotlib ``Figure`` and imports matplotlib only
when called, so the core install never needs it:

* :func:`plot_components`: component spectra beside their abundance maps
  (:class:`~skspectra.decomposition.SparseNMF`,
  :class:`~skspectra.decomposition.PoissonNMF`);
* :func:`plot_peaks`: a spectrum, its Lorentzian peaks, their sum and the
  residual (:class:`~skspectra.peaks.ESPRITPeaks`);
* :func:`plot_similarity_map`: a library of reference spectra mapped to 2-D
  under a spectral distance (:func:`skspectra.neighbors.similarity_map`),
  with measured spectra placed among them;
* :func:`plot_dendrogram_tree`: the dendrogram with each cluster's spectra
  beside the decision tree that explains the clusters
  (:class:`~skspectra.tree.SpectralDendrogramTree`);
* :func:`plot_scree`: the score of every number of components tried by
  :func:`skspectra.decomposition.select_n_components`.
"""

from skspectra.plotting._decomposition import plot_components
from skspectra.plotting._dendrogram_tree import plot_dendrogram_tree
from skspectra.plotting._peaks import plot_peaks
from skspectra.plotting._scree import plot_scree
from skspectra.plotting._similarity import plot_similarity_map

__all__ = [
    "plot_components",
    "plot_dendrogram_tree",
    "plot_peaks",
    "plot_scree",
    "plot_similarity_map",
]
