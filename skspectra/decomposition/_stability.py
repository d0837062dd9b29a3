"""How stable the components of an NMF are: split-half and bootstrap refits."""

import numbers

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.stats import norm
from sklearn.base import clone
from sklearn.utils import check_random_state

from skspectra.decomposition._nmf import _BaseSpectrumNMF
from skspectra.decomposition._split import binomial_split

__all__ = ["ComponentStability", "component_stability", "match_components"]

# a refitted component counts as the same component when the cosine of its
# spectrum with the reference is at least this: spectra this close differ by
# noise, while distinct phases of a spectrum image rarely reach it
_REAPPEAR_COSINE = 0.9

# a binomial half of Poisson counts has half the counts, so an estimate from
# it varies about twice as much (variance inversely proportional to the
# counts) as one from the whole image: its spread is divided by sqrt(2)
_HALF_VARIANCE_RATIO = 2.0


class ComponentStability:
    """Per-channel uncertainty of NMF components and how often they reappear.

    Returned by :func:`component_stability`; the parameters are kept as
    attributes of the same names.

    Parameters
    ----------
    components : ndarray of shape (n_components, n_channels)
        The reference components (unit sum) whose stability was measured.
    components_std : ndarray of shape (n_components, n_channels)
        Standard deviation of every channel of every component over the
        refits, matched to the reference (for ``method="split"`` scaled to
        the whole image's counts).
    band_low, band_high : ndarray of shape (n_components, n_channels)
        The band ``components -/+ z components_std`` at the chosen
        confidence (``z`` its normal quantile), floored at zero.
    reappearance : ndarray of shape (n_components,)
        Fraction of the refits in which each component reappears: matched
        to a refitted component with a spectral cosine of at least 0.9.
    cosines : ndarray of shape (n_refits, n_components)
        The cosine of every reference component with its match in every
        refit.
    maps_std : ndarray of shape (n_pixels, n_components)
        Standard deviation of every pixel's abundance, from the refits'
        components applied to all pixels of X (``transform``).
    method : str
        ``"split"`` or ``"bootstrap"``.
    confidence : float
        The confidence of the band.
    """

    def __init__(
        self,
        *,
        components,
        components_std,
        band_low,
        band_high,
        reappearance,
        cosines,
        maps_std,
        method,
        confidence,
    ):
        self.components = components
        self.components_std = components_std
        self.band_low = band_low
        self.band_high = band_high
        self.reappearance = reappearance
        self.cosines = cosines
        self.maps_std = maps_std
        self.method = method
        self.confidence = confidence

    def __repr__(self):
        shares = ", ".join(f"{r:.2f}" for r in self.reappearance)
        return f"ComponentStability(method={self.method!r}, reappearance=[{shares}])"

    def plot(self, maps, **kwargs):
        """The components with their bands beside their maps.

        Parameters
        ----------
        maps : array-like of shape (ny, nx, n_components) or (n_components, ny, nx)
            Abundance maps, for example ``estimator.maps_``.
        **kwargs
            Passed to :func:`skspectra.plotting.plot_components`.

        Returns
        -------
        fig : matplotlib Figure
            One row per component: spectrum, band and reappearance, map.
        """
        from skspectra.plotting import plot_components

        return plot_components(
            self.components,
            maps,
            bands=(self.band_low, self.band_high),
            reappearance=self.reappearance,
            **kwargs,
        )


def match_components(reference, found):
    """Match found spectra to reference spectra by their cosine.

    The assignment maximises the sum of the cosines of the matched pairs
    (the Hungarian algorithm, :func:`scipy.optimize.linear_sum_assignment`),
    so a component is matched once at most.  Use it to compare two
    decompositions, or a decomposition with known spectra: the order and
    scale of NMF components are arbitrary.

    Parameters
    ----------
    reference : array-like of shape (n_reference, n_channels)
        Spectra to find, one per row.
    found : array-like of shape (n_found, n_channels)
        Spectra to match them with, e.g. ``components_`` of a fit.

    Returns
    -------
    index : ndarray of int of shape (n_reference,)
        For every reference row, the row of ``found`` matched to it; -1 for
        the rows left without a match when ``found`` has fewer rows.
    cosine : ndarray of shape (n_reference,)
        The cosine of every reference row with its match (0 without one).

    Examples
    --------
    >>> import numpy as np
    >>> from skspectra.decomposition import match_components
    >>> reference = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 1.0]])
    >>> found = np.array([[0.0, 2.0, 2.1], [3.0, 0.1, 0.0]])
    >>> index, cosine = match_components(reference, found)
    >>> index
    array([1, 0])
    >>> cosine.round(3)
    array([0.999, 1.   ])
    """
    reference = np.asarray(reference, dtype=np.float64)
    found = np.asarray(found, dtype=np.float64)
    if reference.ndim != 2 or found.ndim != 2:
        raise ValueError(
            "reference and found must be 2-D (one spectrum per row); got shapes "
            f"{reference.shape} and {found.shape}."
        )
    if reference.shape[1] != found.shape[1]:
        raise ValueError(
            f"reference has {reference.shape[1]} channels but found has "
            f"{found.shape[1]}; the spectra must share one axis."
        )
    ref = reference / np.maximum(
        np.linalg.norm(reference, axis=1, keepdims=True), 1e-300
    )
    fnd = found / np.maximum(np.linalg.norm(found, axis=1, keepdims=True), 1e-300)
    sim = ref @ fnd.T
    rows, cols = linear_sum_assignment(-sim)
    index = np.full(reference.shape[0], -1)
    cosine = np.zeros(reference.shape[0])
    index[rows] = cols
    cosine[rows] = sim[rows, cols]
    return index, cosine


def _check(estimator, X, method, n_resamples, confidence):
    if not isinstance(estimator, _BaseSpectrumNMF):
        raise TypeError(
            "estimator must be a PoissonNMF or SparseNMF; got "
            f"{type(estimator).__name__}."
        )
    if method not in ("split", "bootstrap"):
        raise ValueError(f"method must be 'split' or 'bootstrap'; got {method!r}.")
    if not isinstance(n_resamples, numbers.Integral) or n_resamples < 2:
        raise ValueError(f"n_resamples must be an integer >= 2; got {n_resamples!r}.")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1); got {confidence!r}.")
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(
            f"Expected a 2-D array (n_pixels, n_channels); got shape {X.shape}."
        )
    if X.shape[0] < 2:
        raise ValueError(
            f"X of shape {X.shape} has a single pixel; there is nothing to resample."
        )
    if method == "split" and (
        not np.all(np.isfinite(X)) or np.any(X < 0) or np.any(X != np.round(X))
    ):
        raise ValueError(
            "method='split' splits counts and needs non-negative integer X; "
            "use method='bootstrap' for other data."
        )
    return X


def _refits(base, X, method, n_resamples, rng):
    """Fitted estimators on resampled X, with the rows they were fitted on."""
    N = X.shape[0]
    if method == "split":
        for _ in range(-(-n_resamples // 2)):
            for half in binomial_split(X, rng):
                yield clone(base).fit(half)
    else:
        for _ in range(n_resamples):
            rows = rng.randint(0, N, size=N)
            yield clone(base).fit(X[rows])


def component_stability(
    estimator,
    X,
    *,
    method="split",
    n_resamples=10,
    confidence=0.9,
    random_state=None,
):
    """Per-channel bands of NMF components and how often each reappears.

    The reference components (``estimator``'s, fitted on X if it is not
    fitted yet) are compared with the components of refits on resampled
    data at the same number of components (``ard=False``): each refit's
    components are matched to the reference by their cosine, and the
    spread of the matched spectra, channel by channel, gives the band.

    Parameters
    ----------
    estimator : PoissonNMF or SparseNMF
        Fitted on X, or to be fitted on it (a clone is fitted; the estimator
        given is left unchanged).
    X : array-like of shape (n_pixels, n_channels)
        The spectra the reference was fitted on (loaded into memory).
    method : {"split", "bootstrap"}, default="split"
        ``"split"``: binomial halves of the counts (each count goes to one
        half or the other with probability 1/2), two independent images of
        half the dose for Poisson data; needs integer counts.  The spread
        is scaled by ``1/sqrt(2)`` to the whole image's counts.
        ``"bootstrap"``: pixels drawn with replacement, for any data.
    n_resamples : int, default=10
        Number of refits (for ``"split"`` rounded up to an even number: the
        two halves of every split).
    confidence : float, default=0.9
        Confidence of the per-channel band (normal quantile times the
        standard deviation).
    random_state : int, RandomState instance or None, default=None
        Seed of the splits or the bootstrap draws (the refits use the
        estimator's own ``random_state``).

    Returns
    -------
    stability : ComponentStability
        ``components_std``, the band, ``reappearance`` of every component,
        the cosines of every refit and the per-pixel spread of the maps;
        :meth:`ComponentStability.plot` draws the bands beside the maps.

    Notes
    -----
    A component that reappears in most refits with a narrow band is a
    property of the data; one that reappears rarely is a split of another
    or noise.  The bootstrap of pixels keeps the dose and measures how the
    spectra depend on which pixels were imaged; the split halves the dose
    and measures the counting noise.  Maps are compared on the same pixels:
    every refit's components are applied to all of X.

    Examples
    --------
    >>> from skspectra.datasets import make_grain_image
    >>> from skspectra.decomposition import PoissonNMF, component_stability
    >>> X, _ = make_grain_image(2, shape=(16, 16), n_channels=64,
    ...                         counts_per_pixel=2000, random_state=0)
    >>> X = X.reshape(-1, 64)
    >>> est = PoissonNMF(2, ard=False, random_state=0).fit(X)
    >>> stab = component_stability(est, X, n_resamples=4, random_state=0)
    >>> stab.reappearance
    array([1., 1.])
    >>> stab.band_low.shape
    (2, 64)
    """
    X = _check(estimator, X, method, n_resamples, confidence)
    rng = check_random_state(random_state)
    if hasattr(estimator, "components_"):
        reference = estimator
    else:
        reference = clone(estimator).fit(X)
    H = np.asarray(reference.components_, dtype=np.float64)
    K = H.shape[0]
    base = clone(estimator).set_params(n_components=K, ard=False)
    spectra, cosines, maps = [], [], []
    for refit in _refits(base, X, method, n_resamples, rng):
        found = np.asarray(refit.components_, dtype=np.float64)
        index, cosine = match_components(H, found)
        matched = np.where(index[:, None] >= 0, found[np.maximum(index, 0)], np.nan)
        W = np.asarray(refit.transform(X), dtype=np.float64)
        maps.append(np.where(index >= 0, W[:, np.maximum(index, 0)], np.nan))
        spectra.append(matched)
        cosines.append(cosine)
    spectra, cosines, maps = np.asarray(spectra), np.asarray(cosines), np.asarray(maps)
    scale = np.sqrt(_HALF_VARIANCE_RATIO) if method == "split" else 1.0
    std = np.nanstd(spectra, axis=0) / scale
    maps_std = np.nanstd(maps, axis=0) / scale
    z = norm.ppf(0.5 + confidence / 2)
    return ComponentStability(
        components=H,
        components_std=std,
        band_low=np.maximum(H - z * std, 0.0),
        band_high=H + z * std,
        reappearance=np.mean(cosines >= _REAPPEAR_COSINE, axis=0),
        cosines=cosines,
        maps_std=maps_std,
        method=method,
        confidence=float(confidence),
    )
