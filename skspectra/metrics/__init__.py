"""Spectral distances as functions, pairwise matrices, embeddings and scorers.

Each distance in ``METRIC_NAMES`` is a plain function ``f(u, v, energy=None)``
usable as a scikit-learn ``metric=`` callable; :func:`get_metric` gives its
embedding into a Euclidean or L1 space (for scikit-learn's compiled neighbour
search) and its vectorised pairwise form.

==============  ===================================  =========  =========  ======
name            definition                           embedding  input      metric
==============  ===================================  =========  =========  ======
euclidean       ``|u - v|_2``                        L2         any        yes
cityblock       ``|u - v|_1``                        L1         any        yes
cosine          ``1 - cos(u, v)``                    L2         any        no
pearson         ``1 - r(u, v)``                      L2         any        no
spectral_angle  angle between u and v (rad)          L2         any        yes
wasserstein     ``int |F_u - F_v| dE`` (1-D EMD)     L1         total > 0  yes
cramer          ``(int (F_u - F_v)^2 dE)^(1/2)``     L2         total > 0  yes
hellinger       ``|sqrt p - sqrt q|_2 / sqrt 2``     L2         >= 0 [*]   yes
jensen_shannon  ``sqrt(JSD(p, q))``, natural log     none       >= 0 [*]   yes
derivative      ``|u' - v'|_2`` on the energy grid   L2         any        pseudo
==============  ===================================  =========  =========  ======

``F`` is the cumulative sum of the spectrum divided by its total and ``p =
u / sum(u)`` the unit-area spectrum.  ``wasserstein`` and ``cramer`` accept
signed spectra of positive total (the Kantorovich-Rubinstein norm of the
difference of the normalised spectra, for ``wasserstein``); [*] the density
metrics clip negative values that hold at most 5 % of a spectrum's absolute
intensity (noise about a zero baseline) and reject larger negative parts.
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
