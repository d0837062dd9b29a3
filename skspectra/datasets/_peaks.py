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


def _check_sizes(n_spectra, n_channels, min_channels):
    """``n_spectra`` >= 1 and ``n_channels`` >= ``min_channels``, as integers."""
    if not isinstance(n_spectra, Integral) or n_spectra < 1:
        raise ValueError(f"n_spectra must be a positive integer; got {n_spectra!r}.")
    if not isinstance(n_channels, Integral) or n_channels < min_channels:
        raise ValueError(
            f"n_channels must be an integer >= {min_channels}; got {n_channels!r}."
        )


def _check_snr(snr):
    if snr is not None and not snr > 0:
        raise ValueError(f"snr must be positive or None; got {snr!r}.")


def _count_range(value, name, minimum, message):
    """``(low, high)`` of a fixed count or an inclusive range of counts."""
    if isinstance(value, Integral):
        lo, hi = int(value), int(value)
    else:
        lo, hi = (int(v) for v in value)
    if lo < minimum or hi < lo:
        raise ValueError(f"{name} must be {message}; got {value!r}.")
    return lo, hi


def _add_white_noise(X_clean, snr, rng, scale=None):
    """Noisy spectra and the noise level at each spectrum's largest value.

    The noise is Gaussian with standard deviation ``max|x| / snr`` times
    ``scale`` (per channel, default 1); ``snr=None`` gives a copy and zero
    levels.
    """
    if snr is None:
        return X_clean.copy(), np.zeros(X_clean.shape[0])
    noise_std = np.abs(X_clean).max(axis=1) / snr
    std = noise_std[:, None] if scale is None else noise_std[:, None] * scale
    return X_clean + std * rng.standard_normal(X_clean.shape), noise_std


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
    _check_sizes(n_spectra, n_channels, 8)
    lo_n, hi_n = _count_range(n_peaks, "n_peaks", 0, ">= 0 (or a valid range)")
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
    _check_snr(snr)
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
    X, noise_std = _add_white_noise(X_clean, snr, rng)
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


# crystal-field splitting of the lines of one white line, in their
# half-widths (resolved: more than two half-widths apart)
_SPLIT_RANGE = (2.5, 4.0)
# where the first (L3) group starts and how far the second (L2) follows,
# as fractions of the window
_ONSET_RANGE = (0.25, 0.35)
_SPIN_ORBIT_RANGE = (0.2, 0.3)
# erfinv(1/2): erf(_ERF_QUARTILE) = 1/2, so an error-function step rises to
# 3/4 one half-width above its onset, as the arctangent does
_ERF_QUARTILE = 0.4769362762044699


def _voigt_like(n, position, width, area, sigma):
    """Lorentzians convolved with a Gaussian of ``sigma`` channels (numeric)."""
    lines = area / np.pi * width / ((n - position) ** 2 + width**2)
    if sigma <= 0:
        return lines.sum(axis=0)
    half = int(np.ceil(5 * sigma))
    t = np.arange(-half, half + 1)
    kernel = np.exp(-0.5 * (t / sigma) ** 2)
    kernel /= kernel.sum()
    # pad by the kernel so the window edges see the tails of the lines
    wide = np.arange(n[0] - half, n[-1] + half + 1)
    lines = area / np.pi * width / ((wide[None] - position) ** 2 + width**2)
    return np.convolve(lines.sum(axis=0), kernel, mode="valid")


def _edge_spectrum(n, rng, lines, width_range, step_fraction, step_ratio, shapes):
    """Draw the lines and edge steps of one spectrum of :func:`make_edge_peaks`.

    ``lines`` is the range of lines per group, ``shapes`` is
    ``(gaussian_sigma or 0, step_shape, slope)``.  Returns the lines
    ``(positions, widths, areas)``, the two steps ``(positions, heights)``
    and the noiseless spectrum on channels ``n``.
    """
    from scipy.special import erf

    sigma, step_shape, slope = shapes
    n_channels = n.size
    onset = rng.uniform(*_ONSET_RANGE) * n_channels
    starts = [onset, onset + rng.uniform(*_SPIN_ORBIT_RANGE) * n_channels]
    xs, ws, firsts = [], [], []
    for start in starts:
        k = rng.randint(lines[0], lines[1] + 1)
        w = rng.uniform(*width_range, size=k)
        x = start + np.concatenate(
            [[0.0], np.cumsum(rng.uniform(*_SPLIT_RANGE, size=k - 1) * w[1:])]
        )
        firsts.append((x[0], w[0]))
        xs.append(x)
        ws.append(w)
    x, w = np.concatenate(xs), np.concatenate(ws)
    h = rng.uniform(0.5, 1.0, size=x.size)
    a = np.pi * w * h
    y = _voigt_like(n, x[:, None], w[:, None], a[:, None], sigma)
    top = y.max()
    h1 = rng.uniform(*step_fraction) * top
    step_pos, step_h = np.zeros(2), np.zeros(2)
    for s, ((xs0, ws0), hs) in enumerate(
        zip(firsts, (h1, step_ratio * h1), strict=True)
    ):
        u = (n - xs0) / ws0
        if step_shape == "arctan":
            y = y + hs * (0.5 + np.arctan(u) / np.pi)
        else:
            # an error function reaching 3/4 one half-width above the onset,
            # like the arctangent
            y = y + hs * 0.5 * (1.0 + erf(u * _ERF_QUARTILE))
        step_pos[s], step_h[s] = xs0, hs
    y = y + slope * top * n / (n_channels - 1)
    return (x, w, a), (step_pos, step_h), y


def make_edge_peaks(
    n_spectra=100,
    n_channels=1024,
    *,
    lines_per_edge=(1, 2),
    width_range=(4.0, 12.0),
    step_fraction=(0.15, 0.4),
    step_ratio=0.5,
    snr=None,
    line_shape="lorentzian",
    gaussian_sigma=3.0,
    step_shape="arctan",
    slope=0.0,
    noise="gaussian",
    random_state=None,
):
    """Synthetic L2,3-like core-loss edges: white lines on two edge steps.

    Each spectrum has two groups of lines (L3, then L2 a spin-orbit
    splitting higher), each of ``lines_per_edge`` lines a crystal-field
    splitting apart (2.5-4 half-widths), on two edge steps at the first
    line of each group with heights ``h`` and ``step_ratio * h``, ``h`` a
    ``step_fraction`` of the largest line height.  With the defaults the
    spectra are exactly the model of ``ESPRITPeaks(edge_steps=2)``:
    Lorentzians, arctangent steps with the line's position and half-width,
    Gaussian white noise.  The other options make spectra outside it:
    ``line_shape="voigt"`` (each Lorentzian convolved with a Gaussian of
    ``gaussian_sigma`` channels), ``step_shape="erf"`` (error-function
    steps of the same half-width), ``slope`` (a residual linear background
    rising by ``slope`` times the largest line height across the window)
    and ``noise="gain"`` (gain-normalised CCD noise: standard deviation
    proportional to the square root of the signal, as in measured spectra).
    All values are in channel units.

    Parameters
    ----------
    n_spectra : int, default=100
        Number of spectra.
    n_channels : int, default=1024
        Channels per spectrum (the energy axis is the channel index).
    lines_per_edge : int or tuple of (int, int), default=(1, 2)
        Lines per group: fixed, or the inclusive range drawn from.
    width_range : tuple of (float, float), default=(4.0, 12.0)
        Half-widths of the Lorentzians, in channels.
    step_fraction : tuple of (float, float), default=(0.15, 0.4)
        Height of the first step over the largest line height.
    step_ratio : float, default=0.5
        Second step height over the first.
    snr : float or None, default=None
        Largest noiseless value over the noise standard deviation (for
        ``noise="gain"``, over the standard deviation at that value).
    line_shape : {"lorentzian", "voigt"}, default="lorentzian"
        Shape of the lines: Lorentzian, or Lorentzian convolved with a
        Gaussian of ``gaussian_sigma`` channels.
    gaussian_sigma : float, default=3.0
        Gaussian broadening of ``line_shape="voigt"``, in channels.
    step_shape : {"arctan", "erf"}, default="arctan"
        Shape of the edge steps.
    slope : float, default=0.0
        Slope of a residual linear background, in units of the largest line
        height per channel.
    noise : {"gaussian", "gain"}, default="gaussian"
        Constant Gaussian noise, or gain-normalised counting noise (standard
        deviation growing as the square root of the value).
    random_state : int, RandomState instance or None, default=None
        Seed of the draws, for reproducible output.

    Returns
    -------
    X : ndarray of shape (n_spectra, n_channels)
        The spectra.
    truth : :class:`~sklearn.utils.Bunch`
        ``n_peaks``; ``positions``, ``widths``, ``areas`` (n_spectra, max
        lines), sorted, NaN-padded; ``step_positions``, ``step_heights``
        (n_spectra, 2); ``noise_std`` (n_spectra,), at the largest value;
        ``X_clean``.

    Examples
    --------
    >>> from skspectra.datasets import make_edge_peaks
    >>> X, truth = make_edge_peaks(2, 512, lines_per_edge=2, random_state=0)
    >>> X.shape, truth.positions.shape, truth.step_heights.shape
    ((2, 512), (2, 4), (2, 2))
    """
    _check_sizes(n_spectra, n_channels, 64)
    if line_shape not in ("lorentzian", "voigt"):
        raise ValueError(
            f"line_shape must be 'lorentzian' or 'voigt'; got {line_shape!r}."
        )
    if step_shape not in ("arctan", "erf"):
        raise ValueError(f"step_shape must be 'arctan' or 'erf'; got {step_shape!r}.")
    if noise not in ("gaussian", "gain"):
        raise ValueError(f"noise must be 'gaussian' or 'gain'; got {noise!r}.")
    _check_snr(snr)
    lines = _count_range(lines_per_edge, "lines_per_edge", 1, ">= 1")
    rng = check_random_state(random_state)
    n = np.arange(n_channels, dtype=np.float64)
    positions = np.full((n_spectra, 2 * lines[1]), np.nan)
    widths = np.full_like(positions, np.nan)
    areas = np.full_like(positions, np.nan)
    step_pos = np.zeros((n_spectra, 2))
    step_h = np.zeros((n_spectra, 2))
    X_clean = np.empty((n_spectra, n_channels))
    counts = np.zeros(n_spectra, dtype=np.intp)
    shapes = (gaussian_sigma if line_shape == "voigt" else 0.0, step_shape, slope)
    for i in range(n_spectra):
        (x, w, a), (step_pos[i], step_h[i]), X_clean[i] = _edge_spectrum(
            n, rng, lines, width_range, step_fraction, step_ratio, shapes
        )
        k = counts[i] = x.size
        positions[i, :k], widths[i, :k], areas[i, :k] = x, w, a
    scale = None
    if snr is not None and noise == "gain":
        top = np.abs(X_clean).max(axis=1)
        scale = np.sqrt(np.maximum(X_clean, 0.0) / top[:, None])
    X, noise_std = _add_white_noise(X_clean, snr, rng, scale)
    truth = Bunch(
        n_peaks=counts,
        positions=positions,
        widths=widths,
        areas=areas,
        step_positions=step_pos,
        step_heights=step_h,
        noise_std=noise_std,
        X_clean=X_clean,
    )
    return X, truth
