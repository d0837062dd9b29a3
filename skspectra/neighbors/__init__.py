"""Material parameters from the most similar reference spectra."""

from skspectra.neighbors._similarity_knn import (
    SimilarityKNNClassifier,
    SimilarityKNNEstimator,
)

__all__ = ["SimilarityKNNClassifier", "SimilarityKNNEstimator"]
