"""Spectral distances as functions, pairwise matrices, embeddings and scorers.

Each distance in ``METRIC_NAMES`` is a plain function ``f(u, v, energy=None)``
usable as a scikit-learn ``metric=`` callable; :func:`get_metric` gives its
embedding into a Euclidean or L1 space (for scikit-learn's compiled neighbour
search) and its vectorised pairwise form.

==============  ===================================  =========  =========  ======
name            definition                           embedding  needs >=0  metric
==============  ===================================  =========  =========  ======
euclidean       ``|u - v|_2``                        L2         no         yes
cityblock       ``|u - v|_1``                        L1         no         yes
cosine          ``1 - cos(u, v)``                    L2         no         no
pearson         ``1 - r(u, v)``                      L2         no         no
spectral_angle  angle between u and v (rad)          L2         no         yes
wasserstein     ``int |F_u - F_v| dE`` (1-D EMD)     L1         yes        yes
cramer          ``(int (F_u - F_v)^2 dE)^(1/2)``     L2         yes        yes
hellinger       ``|sqrt p - sqrt q|_2 / sqrt 2``     L2         yes        yes
jensen_shannon  ``sqrt(JSD(p, q))``, natural log     none       yes        yes
derivative      ``|u' - v'|_2`` on the energy grid   L2         no         pseudo
==============  ===================================  =========  =========  ======

``F`` is the cumulative distribution and ``p = u / sum(u)`` the unit-area
spectrum; "needs >=0" metrics read spectra as distributions.
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
