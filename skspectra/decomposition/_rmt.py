"""The largest eigenvalue of a noise matrix: the reference of both tests.

For an ``n x p`` matrix of independent unit-variance noise the largest
squared singular value, centred by ``mu`` and scaled by ``sigma`` below,
follows the Tracy-Widom law of order 1 (Johnstone 2001).  The pruning of
the NMF estimators and :func:`select_n_components` compare what a component
explains with this law.
"""

import numpy as np
from scipy.stats import gamma

# the Tracy-Widom law of order 1 as a shifted gamma law (Chiani 2014): shape,
# scale and shift that match its first three moments; its CDF is then
# accurate to about 1e-3, ample for a p-value
_TW1_SHAPE, _TW1_SCALE, _TW1_SHIFT = 46.446, 0.186054, 9.84801


def noise_edge(n, p):
    """Centring ``mu`` and scale ``sigma`` of the largest squared singular
    value of an ``n x p`` unit-variance noise matrix (Johnstone 2001)."""
    n, p = max(n, p, 2), max(min(n, p), 2)
    root = np.sqrt(n - 1) + np.sqrt(p)
    mu = root**2
    sigma = root * (1 / np.sqrt(n - 1) + 1 / np.sqrt(p)) ** (1 / 3)
    return float(mu), float(sigma)


def tw1_sf(t):
    """Survival function of the Tracy-Widom law of order 1 (gamma form)."""
    return float(gamma.sf(t + _TW1_SHIFT, _TW1_SHAPE, scale=_TW1_SCALE))


def tw1_isf(alpha):
    """The quantile of the Tracy-Widom law of order 1 exceeded with
    probability ``alpha``."""
    return float(gamma.isf(alpha, _TW1_SHAPE, scale=_TW1_SCALE) - _TW1_SHIFT)


def noise_quantile(n, p, alpha):
    """The largest squared singular value of ``n x p`` unit-variance noise
    exceeds this with probability ``alpha``."""
    mu, sigma = noise_edge(n, p)
    return mu + sigma * tw1_isf(alpha)
