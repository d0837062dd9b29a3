"""Material parameters from the most similar reference spectra."""

from skspectra.neighbors._similarity_knn import (
    SimilarityKNNClassifier,
    SimilarityKNNEstimator,
)
from skspectra.neighbors._similarity_map import similarity_map

__all__ = ["SimilarityKNNClassifier", "SimilarityKNNEstimator", "similarity_map"]
