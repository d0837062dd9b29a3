"""Spectral distances as functions, pairwise matrices, embeddings and scorers.

Each distance in ``METRIC_NAMES`` is a plain function ``f(u, v, energy=None)``
usable as a scikit-learn ``metric=`` callable; :func:`get_metric` gives its
embedding into a Euclidean or L1 space (for scikit-learn's compiled neighbour
search) and its vectorised pairwise form.
"""

from skspectra.metrics._distances import (
    METRIC_NAMES,
    SpectralMetric,
    cityblock,
    cosine,
    cramer,
    derivative,
    euclidean,
    get_metric,
    hellinger,
    jensen_shannon,
    pearson,
    spectral_angle,
    wasserstein,
)
from skspectra.metrics._embedding import MetricEmbedding
from skspectra.metrics._pairwise import (
    paired_spectral_distances,
    pairwise_spectral_distances,
)
from skspectra.metrics._scorer import make_spectral_scorer, spectral_similarity_score

__all__ = [
    "METRIC_NAMES",
    "MetricEmbedding",
    "SpectralMetric",
    "cityblock",
    "cosine",
    "cramer",
    "derivative",
    "euclidean",
    "get_metric",
    "hellinger",
    "jensen_shannon",
    "make_spectral_scorer",
    "paired_spectral_distances",
    "pairwise_spectral_distances",
    "pearson",
    "spectral_angle",
    "spectral_similarity_score",
    "wasserstein",
]
