"""Spectral distances: plain functions, embeddings and the metric registry.

Every distance exists in three forms that agree with one another:

* a plain function ``f(u, v, energy=None) -> float`` on two spectra, written
  from the definition, which scikit-learn accepts as a ``metric=`` callable
  (the energy axis is passed with ``metric_params={"energy": energy}``);
* where one exists, an *embedding* ``phi`` -- a cheap per-spectrum transform
  after which the distance is an ordinary Euclidean or L1 distance, up to a
  monotone map ``g``: ``d(u, v) = g(|phi(u) - phi(v)|)`` -- so neighbour
  search and pairwise matrices run in scikit-learn's and BLAS's compiled code;
* a vectorised pairwise form, :meth:`SpectralMetric.pairwise`.

:func:`get_metric` returns the :class:`SpectralMetric` that bundles them.
"""

import numpy as np
from sklearn.metrics import pairwise_distances
from sklearn.utils import check_array

from skspectra.metrics import _kernels
from skspectra.utils._docstring import Substitution
from skspectra.utils.validation import check_energy, check_same_channels

METRIC_NAMES = (
    "euclidean",
    "cityblock",
    "cosine",
    "pearson",
    "spectral_angle",
    "wasserstein",
    "cramer",
    "hellinger",
    "jensen_shannon",
    "derivative",
)

_DISTRIBUTION_METRICS = ("wasserstein", "cramer", "hellinger", "jensen_shannon")
# metrics of densities: their square roots and logarithms need p >= 0
_DENSITY_METRICS = ("hellinger", "jensen_shannon")
# the density metrics clip negative values while they hold at most this
# fraction of a spectrum's absolute intensity: noise about a zero baseline
# (a normalised measured XANES dips to about -0.1 in a few pre-edge channels,
# far below 1 % of its absolute intensity); more is a background or an
# offset that clipping would turn into a different spectrum
_MAX_CLIPPED_FRACTION = 0.05


# --------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------
def _check_vector(u, name):
    u = np.asarray(u, dtype=np.float64)
    if u.ndim != 1:
        u = np.squeeze(u)
        if u.ndim != 1:
            raise ValueError(
                f"{name} must be one spectrum (a 1-D array); got shape {u.shape}."
            )
    if u.size == 0:
        raise ValueError(f"{name} is empty; a spectrum needs at least one channel.")
    if not np.all(np.isfinite(u)):
        raise ValueError(f"{name} contains NaN or infinite values.")
    return u


def _check_distribution(X, metric, name, clip_negative=True):
    """Raise unless the rows of ``X`` are valid input of a distribution metric.

    Every distribution metric needs a positive total (a negative one is
    named here); the density metrics also need the negative values to be
    clippable (see ``_density``).
    """
    if metric not in _DISTRIBUTION_METRICS:
        return
    if metric in _DENSITY_METRICS:
        _check_clippable(X, metric, name, clip_negative)
        return
    # a signed spectrum whose total is not positive is named here, an
    # all-zero one where the spectra are normalised
    total = X.sum(axis=-1)
    bad = (total < 0) | ((total == 0) & (X.min(axis=-1) < 0))
    if np.any(bad):
        lowest = float(np.min(total[bad]))
        raise ValueError(
            f"Negative values in data passed to metric {metric!r}: {name} has a "
            f"signed spectrum whose total intensity is {lowest:g}; the metric "
            "divides spectra by their total, which must be positive (as it is "
            "for non-negative spectra that are not all zero)."
        )


def _check_clippable(X, metric, name, clip_negative):
    lowest = X.min()
    if lowest >= 0:
        return
    negative = -np.minimum(X, 0.0).sum(axis=-1)
    share = negative / np.abs(X).sum(axis=-1)
    if clip_negative and np.all(share <= _MAX_CLIPPED_FRACTION):
        return
    if clip_negative:
        reason = (
            f"it clips negative values only while they hold at most "
            f"{_MAX_CLIPPED_FRACTION:.0%} of a spectrum's absolute intensity, "
            f"and one spectrum's hold {np.max(share):.0%}"
        )
    else:
        reason = "clip_negative=False"
    raise ValueError(
        f"Negative values in data passed to metric {metric!r}: it reads "
        f"spectra as densities and needs non-negative values ({reason}); "
        f"{name} has a negative value ({lowest:g}). Remove the background "
        "first."
    )


def _density(X, metric, name="X", clip_negative=True):
    """Unit-area densities of the rows of ``X``, negative values set to zero.

    Noise about a zero baseline makes measured spectra dip below zero; the
    density is their positive part, normalised.  Raises (see
    ``_check_clippable``) when the negative part is more than noise.
    """
    _check_clippable(X, metric, name, clip_negative)
    return _unit_area(np.maximum(X, 0.0), metric, name)


def _check_pair(u, v, energy, metric):
    u = _check_vector(u, "u")
    v = _check_vector(v, "v")
    if u.shape != v.shape:
        raise ValueError(
            f"u has {u.size} channels but v has {v.size}; spectra must share one "
            "energy grid."
        )
    _check_distribution(u, metric, "u")
    _check_distribution(v, metric, "v")
    energy = check_energy(energy, u.size)
    return u, v, energy


def _check_spectra(X, name, metric=None):
    """2-D float64 finite non-empty spectra, valid for distribution metrics."""
    X = check_array(
        X,
        dtype=np.float64,
        ensure_all_finite=True,
        ensure_min_samples=1,
        ensure_min_features=1,
        input_name=name,
    )
    if metric is not None:
        _check_distribution(X, metric, name)
    return X


def _check_total(total, metric, name):
    if np.any(total <= 0):
        lowest = float(np.min(total))
        if lowest == 0:
            raise ValueError(
                f"metric {metric!r} normalises spectra to unit area; {name} has "
                "a spectrum whose total intensity is zero."
            )
        raise ValueError(
            f"Negative values in data passed to metric {metric!r}: {name} has a "
            f"spectrum whose total intensity is negative ({lowest:g}); the "
            "metric divides spectra by their total, which must be positive."
        )


def _unit_area(X, metric, name="X"):
    """Divide each row by its sum (rows must have positive total)."""
    total = X.sum(axis=-1, keepdims=True)
    _check_total(total, metric, name)
    return X / total


def _unit_norm(X, metric, name="X"):
    norm = np.sqrt(np.einsum("...i,...i->...", X, X))[..., None]
    if np.any(norm == 0):
        raise ValueError(
            f"metric {metric!r} is undefined for an all-zero spectrum, and {name} "
            "has one."
        )
    return X / norm


def _centred_unit_norm(X, metric, name="X"):
    Xc = X - X.mean(axis=-1, keepdims=True)
    norm = np.sqrt(np.einsum("...i,...i->...", Xc, Xc))[..., None]
    # a constant spectrum has no correlation with anything
    scale = np.abs(X).max(axis=-1, keepdims=True)
    if np.any(norm <= 1e-14 * scale * np.sqrt(X.shape[-1])) or np.any(norm == 0):
        raise ValueError(
            f"metric {metric!r} is undefined for a constant spectrum, and {name} "
            "has one."
        )
    return Xc / norm


def _cdf(X, metric, name="X"):
    """Cumulative distribution of each row of ``X`` (positive totals).

    The running sums divided by the total, as ``scipy.stats`` computes them;
    the last value is exactly 1.  Signed rows are allowed: their cumulative
    sums are then not monotone, but still end at 1.
    """
    F = np.cumsum(X, axis=-1)
    total = F[..., -1:]
    _check_total(total, metric, name)
    return F / total


# --------------------------------------------------------------------------
# plain functions, written from the definitions
# --------------------------------------------------------------------------
def euclidean(u, v, energy=None):
    r"""Euclidean distance :math:`\|u - v\|_2` between two spectra.

    Parameters
    ----------
    u, v : array-like of shape (n_channels,)
        Two spectra on one energy grid.
    energy : array-like of shape (n_channels,), default=None
        Accepted for a uniform signature; not used by this metric.

    Returns
    -------
    distance : float
        The distance between the two spectra.

    Examples
    --------
    >>> from skspectra.metrics import euclidean
    >>> euclidean([0.0, 3.0], [4.0, 0.0])
    5.0
    """
    u, v, _ = _check_pair(u, v, energy, "euclidean")
    return float(np.sqrt(np.sum((u - v) ** 2)))


def cityblock(u, v, energy=None):
    r"""City-block (L1) distance :math:`\sum_k |u_k - v_k|` between two spectra.

    Parameters
    ----------
    u, v : array-like of shape (n_channels,)
        Two spectra on one energy grid.
    energy : array-like of shape (n_channels,), default=None
        Accepted for a uniform signature; not used by this metric.

    Returns
    -------
    distance : float
        The distance between the two spectra.

    Examples
    --------
    >>> from skspectra.metrics import cityblock
    >>> cityblock([0.0, 3.0], [4.0, 0.0])
    7.0
    """
    u, v, _ = _check_pair(u, v, energy, "cityblock")
    return float(np.sum(np.abs(u - v)))


def cosine(u, v, energy=None):
    r"""Cosine distance :math:`1 - u \cdot v / (\|u\| \|v\|)`, in [0, 2].

    Insensitive to the intensity scale of either spectrum.  It equals
    :math:`\|\hat u - \hat v\|^2 / 2` for the unit-norm spectra
    :math:`\hat u = u / \|u\|`, the embedding used for fast neighbour search.

    Parameters
    ----------
    u, v : array-like of shape (n_channels,)
        Two spectra on one energy grid, neither all zero.
    energy : array-like of shape (n_channels,), default=None
        Accepted for a uniform signature; not used by this metric.

    Returns
    -------
    distance : float
        The distance between the two spectra.

    Examples
    --------
    >>> from skspectra.metrics import cosine
    >>> cosine([1.0, 0.0], [0.0, 2.0])
    1.0
    >>> cosine([1.0, 2.0], [2.0, 4.0])
    0.0
    """
    u, v, _ = _check_pair(u, v, energy, "cosine")
    a = _unit_norm(u, "cosine", "u")
    b = _unit_norm(v, "cosine", "v")
    return float(np.clip(1.0 - a @ b, 0.0, 2.0))


def pearson(u, v, energy=None):
    r"""Pearson distance :math:`1 - r(u, v)`, in [0, 2].

    :math:`r` is the correlation coefficient over channels, so the distance
    ignores both an intensity scale and a constant offset.  It equals
    :math:`\|\tilde u - \tilde v\|^2 / 2` for the centred unit-norm spectra
    :math:`\tilde u = (u - \bar u) / \|u - \bar u\|`.  It is not a metric
    (the triangle inequality fails), but its square root is.

    Parameters
    ----------
    u, v : array-like of shape (n_channels,)
        Two spectra on one energy grid, neither constant.
    energy : array-like of shape (n_channels,), default=None
        Accepted for a uniform signature; not used by this metric.

    Returns
    -------
    distance : float
        The distance between the two spectra.

    Examples
    --------
    >>> from skspectra.metrics import pearson
    >>> pearson([1.0, 2.0, 3.0], [12.0, 14.0, 16.0])
    0.0
    >>> pearson([1.0, 2.0, 3.0], [3.0, 2.0, 1.0])
    2.0
    """
    u, v, _ = _check_pair(u, v, energy, "pearson")
    a = _centred_unit_norm(u, "pearson", "u")
    b = _centred_unit_norm(v, "pearson", "v")
    return float(np.clip(1.0 - a @ b, 0.0, 2.0))


def spectral_angle(u, v, energy=None):
    r"""Spectral angle :math:`\arccos(u \cdot v / (\|u\| \|v\|))`, in radians.

    The angle between two spectra seen as vectors (the "spectral angle
    mapper" of remote sensing), a metric on the unit sphere.  It is computed
    as :math:`2 \arcsin(\|\hat u - \hat v\| / 2)`, which stays accurate for
    nearly identical spectra where the arccosine form loses half the digits.

    Parameters
    ----------
    u, v : array-like of shape (n_channels,)
        Two spectra on one energy grid, neither all zero.
    energy : array-like of shape (n_channels,), default=None
        Accepted for a uniform signature; not used by this metric.

    Returns
    -------
    distance : float
        In :math:`[0, \pi]`.

    References
    ----------
    .. [1] Kruse, F. A. et al., "The spectral image processing system (SIPS)
       -- interactive visualization and analysis of imaging spectrometer
       data", Remote Sens. Environ. 44, 145-163 (1993).
       :doi:`10.1016/0034-4257(93)90013-N`

    Examples
    --------
    >>> import numpy as np
    >>> from skspectra.metrics import spectral_angle
    >>> bool(np.isclose(spectral_angle([1.0, 0.0], [1.0, 1.0]), np.pi / 4))
    True
    """
    u, v, _ = _check_pair(u, v, energy, "spectral_angle")
    a = _unit_norm(u, "spectral_angle", "u")
    b = _unit_norm(v, "spectral_angle", "v")
    chord = np.sqrt(np.sum((a - b) ** 2))
    return float(2.0 * np.arcsin(min(1.0, chord / 2.0)))


def wasserstein(u, v, energy=None):
    r"""1-D earth mover's (Wasserstein-1) distance between two spectra.

    Each spectrum is normalised to unit area and read as a distribution of
    weights at the channel energies :math:`E_k`; with the cumulative
    distributions :math:`F_u(E_k) = \sum_{j \le k} u_j / \sum_j u_j`,

    .. math::

        W_1(u, v) = \int |F_u(E) - F_v(E)| \, dE
                  = \sum_{k=0}^{n-2} |F_u(E_k) - F_v(E_k)| (E_{k+1} - E_k),

    in units of energy: how far, on average, intensity must move to turn one
    spectrum into the other.  It is a weighted L1 distance between cumulative
    distributions, so its embedding is :math:`F(E_k)(E_{k+1} - E_k)` with the
    L1 distance.  It equals ``scipy.stats.wasserstein_distance(energy, energy,
    u, v)``.

    Parameters
    ----------
    u, v : array-like of shape (n_channels,)
        Two spectra on one energy grid, each with positive total; they may
        have negative values (see Notes).
    energy : array-like of shape (n_channels,), default=None
        Strictly increasing channel energies; ``None`` is the channel index.

    Returns
    -------
    distance : float
        The distance between the two spectra.

    Notes
    -----
    Measured spectra normalised to an edge step dip below zero where noise
    meets a zero baseline.  The formula needs no sign: dividing by the total
    gives two signed weight distributions of total 1, and the integral of
    :math:`|F_u - F_v|` is then the Kantorovich-Rubinstein norm of their
    difference, the transport cost of the signed measure :math:`p - q` of
    total zero [2]_.  It is a metric on spectra of positive total, equal to
    zero exactly when :math:`u / \sum u = v / \sum v`, and equal to the
    earth mover's distance for non-negative spectra.  A spectrum whose total
    is zero or negative has no such normalisation and raises an error.

    References
    ----------
    .. [1] Rubner, Y., Tomasi, C. and Guibas, L. J., "The earth mover's
       distance as a metric for image retrieval", Int. J. Comput. Vis. 40,
       99-121 (2000). :doi:`10.1023/A:1026543900054`
    .. [2] Villani, C., "Optimal Transport: Old and New", Springer (2009),
       chapter 6. :doi:`10.1007/978-3-540-71050-9`

    Examples
    --------
    >>> from skspectra.metrics import wasserstein
    >>> wasserstein([1.0, 0.0, 0.0], [0.0, 0.0, 5.0], energy=[0.0, 1.0, 3.0])
    3.0
    """
    u, v, energy = _check_pair(u, v, energy, "wasserstein")
    p = _cdf(u, "wasserstein", "u")
    q = _cdf(v, "wasserstein", "v")
    return float(np.sum(np.abs(p - q)[:-1] * np.diff(energy)))


def cramer(u, v, energy=None):
    r"""Cramér distance: L2 distance between the cumulative distributions.

    With the cumulative distributions :math:`F_u, F_v` of the unit-area
    spectra on the energy grid (as in :func:`wasserstein`),

    .. math::

        C(u, v) = \Bigl(\int (F_u(E) - F_v(E))^2 \, dE\Bigr)^{1/2}
                = \Bigl(\sum_{k=0}^{n-2} (F_u(E_k) - F_v(E_k))^2
                  (E_{k+1} - E_k)\Bigr)^{1/2}.

    It equals ``scipy.stats.energy_distance(energy, energy, u, v) / sqrt(2)``.

    Parameters
    ----------
    u, v : array-like of shape (n_channels,)
        Two spectra on one energy grid, each with positive total; they may
        have negative values, normalised by their total as in
        :func:`wasserstein` (the distance is then the L2 norm of the
        difference of the signed cumulative sums, still a metric).
    energy : array-like of shape (n_channels,), default=None
        Strictly increasing channel energies; ``None`` is the channel index.

    Returns
    -------
    distance : float
        The distance between the two spectra.

    References
    ----------
    .. [1] Székely, G. J. and Rizzo, M. L., "Energy statistics: a class of
       statistics based on distances", J. Stat. Plan. Inference 143,
       1249-1272 (2013). :doi:`10.1016/j.jspi.2013.03.018`

    Examples
    --------
    >>> from skspectra.metrics import cramer
    >>> cramer([1.0, 0.0, 0.0], [0.0, 0.0, 1.0], energy=[0.0, 1.0, 5.0])
    2.23606797749979
    """
    u, v, energy = _check_pair(u, v, energy, "cramer")
    p = _cdf(u, "cramer", "u")
    q = _cdf(v, "cramer", "v")
    return float(np.sqrt(np.sum((p - q)[:-1] ** 2 * np.diff(energy))))


# the clip_negative entry of the density metrics' docstrings
_CLIP_NEGATIVE_DOC = r"""clip_negative : bool, default=True
    The metric needs densities, :math:`p \ge 0`.  With True, negative
    values (noise about a zero baseline, as in normalised measured
    spectra) are set to zero before the normalisation, as long as they
    hold at most 5 % of a spectrum's absolute intensity
    (:math:`\sum_k \max(-u_k, 0) \le 0.05 \sum_k |u_k|`); beyond that,
    or with False, a negative value raises a ``ValueError``.  On clipped
    spectra this is the distance of their positive parts, so it does
    not tell apart spectra that differ only below zero.  The metrics of
    ``get_metric`` use the default; pass
    ``functools.partial(f, clip_negative=False)`` as a callable metric
    for the strict form."""


@Substitution(clip_negative=_CLIP_NEGATIVE_DOC)
def hellinger(u, v, energy=None, *, clip_negative=True):
    r"""Hellinger distance between the unit-area spectra, in [0, 1].

    .. math::

        H(p, q) = \Bigl(\tfrac12 \sum_k (\sqrt{p_k} - \sqrt{q_k})^2\Bigr)^{1/2}
                = \Bigl(1 - \sum_k \sqrt{p_k q_k}\Bigr)^{1/2},

    with :math:`p = u / \sum u`.  Its embedding is :math:`\sqrt{p / 2}` with
    the Euclidean distance.  The square root tempers the weight of strong
    peaks, as a variance-stabilising transform does for Poisson counts.

    Parameters
    ----------
    u, v : array-like of shape (n_channels,)
        Two spectra on one energy grid, each with positive total.
    energy : array-like of shape (n_channels,), default=None
        Accepted for a uniform signature; not used by this metric.
    %(clip_negative)s

    Returns
    -------
    distance : float
        The distance between the two spectra.

    References
    ----------
    .. [1] Hellinger, E., "Neue Begründung der Theorie quadratischer Formen
       von unendlichvielen Veränderlichen", J. Reine Angew. Math. 136,
       210-271 (1909). :doi:`10.1515/crll.1909.136.210`

    Examples
    --------
    >>> from skspectra.metrics import hellinger
    >>> hellinger([1.0, 0.0], [0.0, 1.0])
    1.0
    """
    u, v, _ = _check_pair(u, v, energy, None)
    p = _density(u, "hellinger", "u", clip_negative)
    q = _density(v, "hellinger", "v", clip_negative)
    return float(np.sqrt(0.5 * np.sum((np.sqrt(p) - np.sqrt(q)) ** 2)))


@Substitution(clip_negative=_CLIP_NEGATIVE_DOC)
def jensen_shannon(u, v, energy=None, *, clip_negative=True):
    r"""Jensen-Shannon distance (natural logarithm) between unit-area spectra.

    With :math:`p = u / \sum u`, :math:`q = v / \sum v` and :math:`m = (p +
    q) / 2`, the Jensen-Shannon divergence is :math:`JSD = \tfrac12 KL(p \| m)
    + \tfrac12 KL(q \| m)` and the distance is its square root,
    :math:`\sqrt{JSD} \in [0, \sqrt{\ln 2}]`, which is a metric [1]_.  This is
    ``scipy.spatial.distance.jensenshannon(u, v)`` (natural log); divide by
    :math:`\sqrt{\ln 2}` for the base-2 value in [0, 1].  There is no
    embedding: the pairwise form is a chunked vectorised kernel.

    Parameters
    ----------
    u, v : array-like of shape (n_channels,)
        Two spectra on one energy grid, each with positive total.
    energy : array-like of shape (n_channels,), default=None
        Accepted for a uniform signature; not used by this metric.
    %(clip_negative)s

    Returns
    -------
    distance : float
        The distance between the two spectra.

    References
    ----------
    .. [1] Endres, D. M. and Schindelin, J. E., "A new metric for probability
       distributions", IEEE Trans. Inf. Theory 49, 1858-1860 (2003).
       :doi:`10.1109/TIT.2003.813506`

    Examples
    --------
    >>> import numpy as np
    >>> from skspectra.metrics import jensen_shannon
    >>> bool(np.isclose(jensen_shannon([1.0, 0.0], [0.0, 1.0]), np.sqrt(np.log(2))))
    True
    """
    u, v, _ = _check_pair(u, v, energy, None)
    p = _density(u, "jensen_shannon", "u", clip_negative)
    q = _density(v, "jensen_shannon", "v", clip_negative)
    jsd = _kernels.js_divergence_direct(p, q)
    return float(np.sqrt(max(float(jsd), 0.0)))


def derivative(u, v, energy=None):
    r"""Derivative (shape) distance: Euclidean distance between first derivatives.

    .. math::

        D(u, v) = \Bigl(\sum_k \bigl(u'(E_k) - v'(E_k)\bigr)^2\Bigr)^{1/2},

    where :math:`u'(E_k)` is ``numpy.gradient(u, energy)`` (second-order
    central differences inside, one-sided at the ends, exact for linear
    spectra on any grid).  It compares the shape of spectra -- edge
    positions, peak flanks -- and ignores a constant background offset, so
    it is a pseudometric: :math:`D(u, u + c) = 0`.  Spectra are not
    normalised; normalise them first (``skspectra.preprocessing``) to ignore
    the intensity scale too.

    Parameters
    ----------
    u, v : array-like of shape (n_channels,)
        Two spectra on one energy grid, at least two channels.
    energy : array-like of shape (n_channels,), default=None
        Strictly increasing channel energies; ``None`` is the channel index.

    Returns
    -------
    distance : float
        The distance between the two spectra.

    References
    ----------
    .. [1] Suzuki, Y., Hino, H., Kotsugi, M. and Ono, K., "Automated
       estimation of materials parameter from X-ray absorption and electron
       energy-loss spectra with similarity measures", npj Comput. Mater. 5,
       39 (2019). :doi:`10.1038/s41524-019-0176-1`

    Examples
    --------
    >>> from skspectra.metrics import derivative
    >>> derivative([0.0, 1.0, 2.0], [5.0, 6.0, 7.0])
    0.0
    """
    u, v, energy = _check_pair(u, v, energy, "derivative")
    _check_two_channels(u.size)
    du = np.gradient(u, energy)
    dv = np.gradient(v, energy)
    return float(np.sqrt(np.sum((du - dv) ** 2)))


def _check_two_channels(n_channels):
    if n_channels < 2:
        raise ValueError(
            "metric 'derivative' needs spectra of at least 2 channels; got "
            f"{n_channels}."
        )


# --------------------------------------------------------------------------
# embeddings: validated float64 spectra X (n, m) and energy (m,) -> Z
# --------------------------------------------------------------------------
def _embed_identity(X, energy, name):
    return X.copy()


def _embed_unit(X, energy, name):
    return _unit_norm(X, name)


def _embed_centred(X, energy, name):
    return _centred_unit_norm(X, name)


def _embed_wasserstein(X, energy, name):
    F = _cdf(X, name)
    return F[:, :-1] * np.diff(energy)


def _embed_cramer(X, energy, name):
    F = _cdf(X, name)
    return F[:, :-1] * np.sqrt(np.diff(energy))


def _embed_hellinger(X, energy, name):
    return np.sqrt(_density(X, name) * 0.5)


def _embed_derivative(X, energy, name):
    _check_two_channels(X.shape[1])
    return np.gradient(X, energy, axis=1)


def _identity(d):
    return np.asarray(d, dtype=np.float64)


def _half_square(d):
    d = np.asarray(d, dtype=np.float64)
    return np.clip(0.5 * d * d, 0.0, 2.0)


def _chord_to_angle(d):
    d = np.asarray(d, dtype=np.float64)
    return 2.0 * np.arcsin(np.clip(0.5 * d, 0.0, 1.0))


class SpectralMetric:
    """A spectral distance with its embedding and vectorised pairwise form.

    Obtained from :func:`get_metric`; not meant to be built directly.

    Parameters
    ----------
    name : str
        The metric's name.
    func : callable
        The plain function ``func(u, v, energy=None) -> float``.
    embed : callable or None, default=None
        Per-spectrum transform into the space of ``embedded_metric``.
    embedded_metric : {"euclidean", "manhattan"} or None, default=None
        The scikit-learn metric in the embedded space.
    from_embedded : callable or None, default=None
        Map from a distance in the embedded space to this metric's.
    requires_non_negative, requires_positive_total, is_metric : bool, \
default=False
        As the attributes of the same names.
    builtin : bool, default=False
        True for the metrics named in ``METRIC_NAMES``.

    Attributes
    ----------
    name : str
        The metric's name (a member of ``METRIC_NAMES``, or the callable's
        ``__name__``).
    func : callable
        The plain function ``func(u, v, energy=None) -> float``.
    embedded_metric : {"euclidean", "manhattan"} or None
        The scikit-learn metric that, applied to :meth:`embed` output and
        mapped by :meth:`from_embedded`, gives this metric; None when there
        is no embedding (then :attr:`embed` is None).
    requires_non_negative : bool
        True for the metrics of densities (``hellinger``,
        ``jensen_shannon``): they clip negative values that are noise about
        a zero baseline and reject larger negative parts.
    requires_positive_total : bool
        True for the metrics that normalise spectra to unit total
        (``wasserstein`` and ``cramer`` accept signed spectra); they reject
        spectra whose total is not positive.
    is_metric : bool
        True when the triangle inequality holds (``pearson`` fails it).
    """

    def __init__(
        self,
        name,
        func,
        *,
        embed=None,
        embedded_metric=None,
        from_embedded=None,
        requires_non_negative=False,
        requires_positive_total=False,
        is_metric=False,
        builtin=False,
    ):
        self.name = name
        self.func = func
        self._embed = embed
        self.embedded_metric = embedded_metric
        self._from_embedded = from_embedded
        self.requires_non_negative = requires_non_negative
        self.requires_positive_total = requires_positive_total
        self.is_metric = is_metric
        self._builtin = builtin

    def __repr__(self):
        return f"SpectralMetric({self.name!r})"

    @property
    def embed(self):
        """``embed(X, energy=None) -> Z``, or None when there is no embedding.

        ``Z`` is a float array with one row per spectrum (float32 stays
        float32, anything else becomes float64); the metric between two
        spectra is ``from_embedded(d)`` for the ``embedded_metric`` distance
        ``d`` between their rows.
        """
        if self._embed is None:
            return None
        return self._embed_checked

    def _embed_checked(self, X, energy=None):
        X_in = X
        X = _check_spectra(X, "X", self.name)
        energy = check_energy(energy, X.shape[1])
        Z = self._embed(X, energy, self.name)
        if getattr(X_in, "dtype", None) == np.float32:
            Z = Z.astype(np.float32)
        return Z

    def from_embedded(self, d):
        """Map distances in the embedded space to values of this metric.

        A vectorised, monotone non-decreasing function, so neighbours found
        in the embedded space are in the same order under this metric.

        Parameters
        ----------
        d : array-like
            ``embedded_metric`` distances between embedded spectra.

        Returns
        -------
        distances : ndarray
            The distances of corresponding spectra.
        """
        if self._from_embedded is None:
            raise ValueError(f"metric {self.name!r} has no embedding.")
        return self._from_embedded(d)

    def _validate_xy(self, X, Y, energy):
        check_name = self.name if self._builtin else None
        X = _check_spectra(X, "X", check_name)
        if Y is not None:
            Y = _check_spectra(Y, "Y", check_name)
            check_same_channels(X, Y)
        energy_checked = check_energy(energy, X.shape[1])
        return X, Y, energy_checked

    def pairwise(self, X, Y=None, energy=None, n_jobs=None):
        """Compute the distances between every row of ``X`` and every row of ``Y``.

        Parameters
        ----------
        X : array-like of shape (n_samples_X, n_channels)
            Spectra.
        Y : array-like of shape (n_samples_Y, n_channels), default=None
            Spectra; ``None`` means ``X`` against itself, and then the result
            is exactly symmetric with an exact zero diagonal.
        energy : array-like of shape (n_channels,), default=None
            Channel energies; ``None`` is the channel index.
        n_jobs : int, default=None
            Threads for the L1 and Jensen-Shannon kernels (BLAS threads the
            others); ``None`` means 1, ``-1`` all processors.

        Returns
        -------
        D : ndarray of shape (n_samples_X, n_samples_Y)
            Distances between the rows of ``X`` and those of ``Y``.
        """
        X, Y, e = self._validate_xy(X, Y, energy)
        if not self._builtin:
            kwargs = {} if energy is None else {"energy": e}
            D = pairwise_distances(
                X, Y, metric=self.func, n_jobs=n_jobs, ensure_all_finite=True, **kwargs
            )
            if Y is None:
                np.fill_diagonal(D, 0.0)
            return D
        if self.name == "jensen_shannon":
            P = _density(X, self.name, "X")
            Q = None if Y is None else _density(Y, self.name, "Y")
            return _kernels.jensen_shannon_pairwise(P, Q, n_jobs=n_jobs)
        Zx = self._embed(X, e, self.name)
        Zy = None if Y is None else self._embed(Y, e, self.name)
        if self.embedded_metric == "manhattan":
            return _kernels.manhattan_pairwise(Zx, Zy, n_jobs=n_jobs)
        if self.name in ("cosine", "pearson"):
            # 1 - <a, b> on unit rows: one BLAS product, no square root
            return _kernels.cosine_distance_matrix(Zx, Zy)
        D = _kernels.euclidean_pairwise(Zx, Zy)
        return self._from_embedded(D)

    def paired(self, X, Y, energy=None):
        """Compute the distances between corresponding rows of ``X`` and ``Y``.

        Parameters
        ----------
        X, Y : array-like of shape (n_samples, n_channels)
            Spectra, row ``i`` of ``X`` paired with row ``i`` of ``Y``.
        energy : array-like of shape (n_channels,), default=None
            Channel energies; ``None`` is the channel index.

        Returns
        -------
        distances : ndarray of shape (n_samples,)
            The distances of corresponding spectra.
        """
        X, Y, e = self._validate_xy(X, Y, energy)
        if Y is None:
            raise ValueError("paired distances need Y.")
        if X.shape[0] != Y.shape[0]:
            raise ValueError(
                f"X has {X.shape[0]} spectra but Y has {Y.shape[0]}; paired "
                "distances need as many of each."
            )
        if not self._builtin:
            kwargs = {} if energy is None else {"energy": e}
            return np.array(
                [self.func(x, y, **kwargs) for x, y in zip(X, Y, strict=True)]
            )
        if self.name == "jensen_shannon":
            P = _density(X, self.name, "X")
            Q = _density(Y, self.name, "Y")
            return np.sqrt(np.maximum(_kernels.js_divergence_direct(P, Q), 0.0))
        diff = self._embed(X, e, self.name) - self._embed(Y, e, self.name)
        if self.embedded_metric == "manhattan":
            return np.abs(diff).sum(axis=1)
        return self._from_embedded(np.sqrt(np.einsum("ij,ij->i", diff, diff)))


_REGISTRY = {
    "euclidean": SpectralMetric(
        "euclidean",
        euclidean,
        embed=_embed_identity,
        embedded_metric="euclidean",
        from_embedded=_identity,
        is_metric=True,
        builtin=True,
    ),
    "cityblock": SpectralMetric(
        "cityblock",
        cityblock,
        embed=_embed_identity,
        embedded_metric="manhattan",
        from_embedded=_identity,
        is_metric=True,
        builtin=True,
    ),
    "cosine": SpectralMetric(
        "cosine",
        cosine,
        embed=_embed_unit,
        embedded_metric="euclidean",
        from_embedded=_half_square,
        is_metric=False,
        builtin=True,
    ),
    "pearson": SpectralMetric(
        "pearson",
        pearson,
        embed=_embed_centred,
        embedded_metric="euclidean",
        from_embedded=_half_square,
        is_metric=False,
        builtin=True,
    ),
    "spectral_angle": SpectralMetric(
        "spectral_angle",
        spectral_angle,
        embed=_embed_unit,
        embedded_metric="euclidean",
        from_embedded=_chord_to_angle,
        is_metric=True,
        builtin=True,
    ),
    "wasserstein": SpectralMetric(
        "wasserstein",
        wasserstein,
        embed=_embed_wasserstein,
        embedded_metric="manhattan",
        from_embedded=_identity,
        requires_positive_total=True,
        is_metric=True,
        builtin=True,
    ),
    "cramer": SpectralMetric(
        "cramer",
        cramer,
        embed=_embed_cramer,
        embedded_metric="euclidean",
        from_embedded=_identity,
        requires_positive_total=True,
        is_metric=True,
        builtin=True,
    ),
    "hellinger": SpectralMetric(
        "hellinger",
        hellinger,
        embed=_embed_hellinger,
        embedded_metric="euclidean",
        from_embedded=_identity,
        requires_non_negative=True,
        requires_positive_total=True,
        is_metric=True,
        builtin=True,
    ),
    "jensen_shannon": SpectralMetric(
        "jensen_shannon",
        jensen_shannon,
        requires_non_negative=True,
        requires_positive_total=True,
        is_metric=True,
        builtin=True,
    ),
    "derivative": SpectralMetric(
        "derivative",
        derivative,
        embed=_embed_derivative,
        embedded_metric="euclidean",
        from_embedded=_identity,
        is_metric=True,
        builtin=True,
    ),
}


def get_metric(metric):
    """Return the :class:`SpectralMetric` for a name or a callable.

    Parameters
    ----------
    metric : str or callable
        One of ``METRIC_NAMES``, or a function ``f(u, v, **kwargs) -> float``
        (then there is no embedding and the pairwise form loops over pairs).

    Returns
    -------
    metric : SpectralMetric
        The metric, with its embedding and pairwise form.

    Raises
    ------
    ValueError
        For an unknown name; the message lists the valid names.

    Examples
    --------
    >>> from skspectra.metrics import get_metric
    >>> m = get_metric("cosine")
    >>> m.embedded_metric, m.is_metric
    ('euclidean', False)
    >>> float(m.from_embedded(2**0.5))
    1.0
    """
    if isinstance(metric, SpectralMetric):
        return metric
    if isinstance(metric, str):
        try:
            return _REGISTRY[metric]
        except KeyError:
            raise ValueError(
                f"unknown spectral metric {metric!r}; valid names are "
                f"{', '.join(METRIC_NAMES)}, or pass a callable."
            ) from None
    if callable(metric):
        name = getattr(metric, "__name__", type(metric).__name__)
        return SpectralMetric(name, metric, builtin=False)
    raise TypeError(
        f"metric must be a name among {', '.join(METRIC_NAMES)} or a callable; "
        f"got {type(metric).__name__}."
    )
