"""Synthetic spectra made of Lorentzian peaks, with the true peaks."""

from numbers import Integral

import numpy as np
from sklearn.utils import Bunch, check_random_state

from skspectra.utils._docstring import SEED_DOC, Substitution
from skspectra.utils.validation import check_energy


def lorentzian(energy, position, width, area):
    """Sum of Lorentzian peaks on an energy axis.

    ``f(E) = sum_j area_j / pi * width_j / ((E - position_j)**2 + width_j**2)``,
    so ``width`` is the half-width at half maximum and ``area`` the integral.

    Parameters
    ----------
    energy : array-like of shape (n_channels,)
        Energies at which the peaks are evaluated.
    position, width, area : array-like of shape (..., n_peaks)
        Peak parameters; leading dimensions give several spectra.  NaN entries
        (padding) contribute nothing.

    Returns
    -------
    spectra : ndarray of shape (..., n_channels)
        The sum of the peaks at each energy.

    See Also
    --------
    make_lorentzian_peaks : Random Lorentzian spectra with their truth.

    Examples
    --------
    >>> import numpy as np
    >>> from skspectra.datasets import lorentzian
    >>> e = np.linspace(-1000, 1000, 200001)
    >>> y = lorentzian(e, [0.0], [2.0], [3.0])
    >>> round(float(y.max()), 6)  # height = area / (pi * width)
    0.477465
    """
    energy = np.asarray(energy, dtype=np.float64)
    position = np.asarray(position, dtype=np.float64)[..., None]
    width = np.asarray(width, dtype=np.float64)[..., None]
    area = np.asarray(area, dtype=np.float64)[..., None]
    valid = np.isfinite(position) & np.isfinite(width) & np.isfinite(area)
    valid &= width > 0
    w = np.where(valid, width, 1.0)
    terms = area / np.pi * w / ((energy - np.where(valid, position, 0.0)) ** 2 + w**2)
    return np.where(valid, terms, 0.0).sum(axis=-2)


def _periodic_lorentzian(n, position, width, area, n_channels):
    """Lorentzians summed over all shifts by the window length (channel units)."""
    t = 2.0 * np.pi / n_channels
    position = np.asarray(position, dtype=np.float64)[..., None]
    width = np.asarray(width, dtype=np.float64)[..., None]
    area = np.asarray(area, dtype=np.float64)[..., None]
    valid = np.isfinite(position) & np.isfinite(width) & np.isfinite(area)
    w = np.where(valid, width, 1.0)
    terms = (
        area
        / n_channels
        * np.sinh(t * w)
        / (np.cosh(t * w) - np.cos(t * (n - np.where(valid, position, 0.0))))
    )
    return np.where(valid, terms, 0.0).sum(axis=-2)


@Substitution(random_state=SEED_DOC)
def make_lorentzian_peaks(
    n_spectra=100,
    n_channels=256,
    *,
    n_peaks=(1, 5),
    width_range=(2.0, 8.0),
    height_range=(0.25, 1.0),
    min_separation=2.0,
    edge_margin=5.0,
    snr=None,
    periodic=False,
    energy=None,
    random_state=None,
):
    """Spectra that are sums of Lorentzian peaks, with the true peaks.

    Each spectrum holds a random number of Lorentzians
    ``area / pi * width / ((E - position)**2 + width**2)`` (``width`` is the
    half-width at half maximum) with random positions, half-widths and
    heights, plus Gaussian white noise of standard deviation
    ``max(spectrum) / snr``.

    Parameters
    ----------
    n_spectra : int, default=100
        Number of spectra.
    n_channels : int, default=256
        Number of channels per spectrum.
    n_peaks : int or tuple of (int, int), default=(1, 5)
        Peaks per spectrum: a fixed number, or the inclusive range drawn from
        uniformly.
    width_range : tuple of (float, float), default=(2.0, 8.0)
        Range of the half-widths, in the units of ``energy``.
    height_range : tuple of (float, float), default=(0.25, 1.0)
        Range of the peak heights; the area is ``pi * width * height``.
    min_separation : float, default=2.0
        Two peaks are at least ``min_separation`` times the larger of their
        half-widths apart.
    edge_margin : float, default=5.0
        Every peak centre is at least ``edge_margin`` of its half-widths away
        from both ends of the energy window.
    snr : float or None, default=None
        Signal-to-noise ratio: the maximum of each noiseless spectrum divided
        by the noise standard deviation.  None gives noiseless spectra.
    periodic : bool, default=False
        If True, each Lorentzian is summed over all its copies shifted by the
        window length (``n_channels`` steps).  This is the exact model class
        of :class:`~skspectra.peaks.ESPRITPeaks`: on such spectra its answer
        is exact up to rounding.  If False, the plain Lorentzians are sampled
        and their tails outside the window are lost.
    energy : array-like of shape (n_channels,) or None, default=None
        Uniform energy axis; None means the channel index.
    %(random_state)s

    Returns
    -------
    X : ndarray of shape (n_spectra, n_channels)
        The spectra.
    truth : :class:`~sklearn.utils.Bunch`
        ``energy`` (n_channels,); ``n_peaks`` (n_spectra,); ``positions``,
        ``widths``, ``areas``, ``heights`` of shape
        (n_spectra, max number of peaks), sorted by position and padded with
        NaN; ``noise_std`` (n_spectra,); ``X_clean``, the noiseless spectra.

    See Also
    --------
    lorentzian : Evaluate Lorentzian peaks on an energy axis.
    skspectra.peaks.ESPRITPeaks : Find the peaks again without a guess.

    Examples
    --------
    >>> from skspectra.datasets import make_lorentzian_peaks
    >>> X, truth = make_lorentzian_peaks(3, 128, n_peaks=2, random_state=0)
    >>> X.shape, truth.positions.shape
    ((3, 128), (3, 2))
    >>> bool((truth.n_peaks == 2).all())
    True
    """
    if not isinstance(n_spectra, Integral) or n_spectra < 1:
        raise ValueError(f"n_spectra must be a positive integer; got {n_spectra!r}.")
    if not isinstance(n_channels, Integral) or n_channels < 8:
        raise ValueError(f"n_channels must be an integer >= 8; got {n_channels!r}.")
    if isinstance(n_peaks, Integral):
        lo_n, hi_n = int(n_peaks), int(n_peaks)
    else:
        lo_n, hi_n = (int(v) for v in n_peaks)
    if lo_n < 0 or hi_n < lo_n:
        raise ValueError(f"n_peaks must be >= 0 (or a valid range); got {n_peaks!r}.")
    w_lo, w_hi = (float(v) for v in width_range)
    h_lo, h_hi = (float(v) for v in height_range)
    if not 0 < w_lo <= w_hi:
        raise ValueError(
            f"width_range must be positive and ordered; got {width_range}."
        )
    if not 0 < h_lo <= h_hi:
        raise ValueError(
            f"height_range must be positive and ordered; got {height_range}."
        )
    if snr is not None and not snr > 0:
        raise ValueError(f"snr must be positive or None; got {snr!r}.")
    energy = check_energy(energy, n_channels, uniform=True)
    e0, e1 = energy[0], energy[-1]
    step = (e1 - e0) / (n_channels - 1)
    rng = check_random_state(random_state)

    counts = rng.randint(lo_n, hi_n + 1, size=n_spectra)
    width_max = max(int(counts.max()), 1)
    positions = np.full((n_spectra, width_max), np.nan)
    widths = np.full_like(positions, np.nan)
    heights = np.full_like(positions, np.nan)
    for i, k in enumerate(counts):
        for _attempt in range(1000):
            w = rng.uniform(w_lo, w_hi, size=k)
            lo = e0 + edge_margin * w
            hi = e1 - edge_margin * w
            if np.any(hi <= lo):
                raise ValueError(
                    "The energy window is too short for peaks this wide with this "
                    "edge_margin; widen the window or reduce width_range."
                )
            x = lo + rng.uniform(size=k) * (hi - lo)
            sep = np.abs(x[:, None] - x[None, :])
            need = min_separation * np.maximum(w[:, None], w[None, :])
            np.fill_diagonal(sep, np.inf)
            if np.all(sep >= need):
                break
        else:
            raise ValueError(
                f"Could not place {k} peaks {min_separation} half-widths apart in "
                "the window; reduce n_peaks, width_range or min_separation."
            )
        o = np.argsort(x)
        positions[i, :k] = x[o]
        widths[i, :k] = w[o]
        heights[i, :k] = rng.uniform(h_lo, h_hi, size=k)
    areas = np.pi * widths * heights
    if periodic:
        n = np.arange(n_channels)
        # in channel units a Lorentzian of area A keeps its heights with area A/step
        X_clean = _periodic_lorentzian(
            n, (positions - e0) / step, widths / step, areas / step, n_channels
        )
    else:
        X_clean = lorentzian(energy, positions, widths, areas)
    if snr is None:
        noise_std = np.zeros(n_spectra)
        X = X_clean.copy()
    else:
        noise_std = np.abs(X_clean).max(axis=1) / snr
        X = X_clean + noise_std[:, None] * rng.standard_normal(X_clean.shape)
    truth = Bunch(
        energy=energy,
        n_peaks=counts,
        positions=positions,
        widths=widths,
        areas=areas,
        heights=heights,
        noise_std=noise_std,
        X_clean=X_clean,
    )
    return X, truth
