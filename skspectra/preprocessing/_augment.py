"""Augmentation: the perturbations a measurement adds to a clean spectrum.

Measured spectra differ from computed or well-averaged ones by a calibration
shift of the energy axis, the finite resolution of the instrument (a
Gaussian broadening), a residual smooth background, and counting (Poisson)
or detector (Gaussian) noise.  Training on spectra perturbed the same way
teaches a model to ignore these differences (Kiyohara et al., 2019).

The module is built in three layers:

* each perturbation is a function of the spectra and of one parameter per
  spectrum (a shift, a width, the ends of a background, a signal-to-noise
  ratio, a count level), vectorised over the batch, working in the dtype of
  the batch and never modifying its input (:func:`shift_spectra`,
  :func:`broaden_spectra`, :func:`add_background`,
  :func:`add_gaussian_noise`, :func:`add_poisson_noise`);
* :func:`augment_spectra` draws those parameters at random and applies the
  perturbations in the order a measurement does: the energy axis first,
  then the resolution, the background, and the noise last;
* a transformer applies one perturbation alone (:class:`RandomShift`,
  :class:`RandomBroadening`, :class:`RandomBackground`,
  :class:`PoissonNoise`) by calling :func:`augment_spectra` with only that
  perturbation switched on, so it draws exactly what that call draws.

Counts are defined once, as in :func:`skspectra.datasets.make_xanes_series`:
``counts`` is the expected number of counts per unit of intensity in a
channel (for edge-step normalised XANES, the counts of a channel at unit edge
jump), and a noisy spectrum is ``Poisson(counts * x) / counts``.  A total
number of counts ``N`` per spectrum is ``counts = N / X.sum(axis=1)``.
"""

from numbers import Integral, Real

import numpy as np
from scipy import fft
from sklearn.base import (
    BaseEstimator,
    OneToOneFeatureMixin,
    TransformerMixin,
)
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions, validate_params
from sklearn.utils.validation import check_array

from skspectra.preprocessing._base import (
    _check_finite_rows,
    _SpectraMixin,
    _validate_X,
)
from skspectra.utils._docstring import (
    CHANNELS_IN_DOC,
    ENERGY_DOC,
    RANDOM_STATE_DOC,
    Substitution,
)
from skspectra.utils.validation import check_energy, check_level

_RANDOM_STATE = ["random_state", np.random.Generator]

# a grid whose every channel lies within this fraction of a step of the
# uniform grid through its ends is treated as uniform (a shift's source
# channel is then one division, a broadening one filter): far above the
# rounding of a float linspace (1e-8 of a step at 1e6 channels near 7 keV),
# and a position error no spectrum shows
_UNIFORM_TOL = 1e-6

_KERNEL_DOCS = {
    "channels_in": CHANNELS_IN_DOC,
    "energy": ENERGY_DOC,
    "random_state": RANDOM_STATE_DOC,
}


def _check_spectra(X):
    """2-D float32/float64 spectra without NaN or inf (errors name the row)."""
    if not (
        isinstance(X, np.ndarray)
        and X.ndim == 2
        and X.dtype in (np.float32, np.float64)
        and X.shape[0] > 0
        and X.shape[1] > 0
    ):
        # the generic path; a float array of spectra (a training mini-batch)
        # skips its overhead, which is that of the perturbation itself
        X = check_array(X, dtype=[np.float64, np.float32], ensure_all_finite=False)
    _check_finite_rows(X)
    return X


def _check_rng(random_state):
    """A ``numpy.random.Generator`` as given, else scikit-learn's RandomState."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    return check_random_state(random_state)


def _standard_normal(rng, shape, dtype):
    """Standard normal draws: drawn in ``dtype`` by a Generator, else cast."""
    if isinstance(rng, np.random.Generator):
        return rng.standard_normal(shape, dtype=dtype)
    return rng.standard_normal(shape).astype(dtype, copy=False)


# what _per_spectrum accepts: the test a value must pass, and its wording
_VALUE_RULES = {
    "positive": (lambda a: a > 0, "positive and finite"),
    "non-negative": (lambda a: a >= 0, "finite and non-negative"),
    "finite": (lambda a: np.ones(a.shape, dtype=bool), "finite"),
}


def _per_spectrum(value, n, name, rule="positive"):
    """A scalar or one value per spectrum, as a float64 array of shape (n,).

    ``rule`` is a key of ``_VALUE_RULES``; a value that breaks it, or an
    array of another length, raises a ValueError naming ``name``.
    """
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim > 1 or (arr.ndim == 1 and arr.shape[0] != n):
        raise ValueError(
            f"{name} must be a number or one value per spectrum ({n}); got an "
            f"array of shape {arr.shape}."
        )
    test, wording = _VALUE_RULES[rule]
    if not (np.all(np.isfinite(arr)) and np.all(test(arr))):
        raise ValueError(f"{name} must be {wording}.")
    return np.broadcast_to(arr, (n,))


def _signal_scale(X):
    """Per-spectrum signal amplitude: the root mean square of each row.

    The (amplitude) signal-to-noise ratio of a spectrum is this rms divided by
    the standard deviation of its noise, as in
    :func:`skspectra.datasets.make_xanes_series`.
    """
    return np.sqrt(np.einsum("ij,ij->i", X, X) / max(X.shape[1], 1))


def _poisson(X, gain, rng):
    """:func:`add_poisson_noise` on validated spectra, ``gain`` of shape (n,)."""
    if X.size and X.min() < 0:
        i = int(np.flatnonzero((X < 0).any(axis=1))[0])
        raise ValueError(
            f"spectrum {i} has negative values (smallest {X.min():g}); Poisson "
            "noise needs non-negative spectra, as counts cannot be negative. "
            "Remove the background offset first or use Gaussian noise."
        )
    drawn = rng.poisson(X * gain[:, None]).astype(X.dtype)
    drawn *= (1.0 / gain).astype(X.dtype)[:, None]
    return drawn


def _gaussian(X, scale, rng, work):
    """``X`` plus standard normal noise times ``scale``, drawn in ``work``."""
    noise = _standard_normal(rng, X.shape, work)
    noise *= scale
    noise += X
    return noise.astype(X.dtype, copy=False)


def _gaussian_snr(X, snr, rng):
    """Gaussian noise of std rms(x) / snr on validated spectra."""
    work = X.dtype if isinstance(rng, np.random.Generator) else np.float64
    snr = np.asarray(snr, dtype=work)
    scale = (_signal_scale(X.astype(work, copy=False)) / snr)[:, None]
    return _gaussian(X, scale, rng, work)


# --- perturbations -----------------------------------------------------------


@validate_params(
    {
        "X": ["array-like"],
        "counts": [Interval(Real, 0, None, closed="neither"), "array-like", None],
        "random_state": _RANDOM_STATE,
    },
    prefer_skip_nested_validation=True,
)
@Substitution(**_KERNEL_DOCS)
def add_poisson_noise(X, *, counts=None, random_state=None):
    """Poisson (counting) noise at a given number of counts.

    Each channel is drawn as :math:`\\mathrm{Poisson}(c\\,x) / c`, ``c`` counts
    per unit of intensity: the result is unbiased, :math:`E[x'] = x`, with
    variance :math:`x / c`, and takes the values ``k / c`` for integers ``k``.

    Parameters
    ----------
    X : array-like of shape (n_spectra, n_channels)
        Non-negative spectra; not modified.
    counts : float or array-like of shape (n_spectra,), default=None
        Expected counts per unit of intensity (for edge-step normalised
        XANES, the counts of a channel at unit edge jump), for all spectra or
        for each; None means 1: ``X`` holds counts.  A total of ``N`` counts
        in each spectrum is ``counts = N / X.sum(axis=1)``.
    %(random_state)s

    Returns
    -------
    X_noisy : ndarray of shape (n_spectra, n_channels)
        A new array, same dtype as ``X``.

    Raises
    ------
    ValueError
        If a spectrum has a negative value: counts cannot be negative.

    Examples
    --------
    >>> import numpy as np
    >>> from skspectra.preprocessing import add_poisson_noise
    >>> X = np.full((2, 1000), 100.0)
    >>> noisy = add_poisson_noise(X, random_state=0)
    >>> bool(abs(noisy.mean() - 100) < 1), bool(abs(noisy.var() - 100) < 10)
    (True, True)
    >>> noisy = add_poisson_noise(X / 100, counts=100, random_state=0)
    >>> bool(abs(noisy.var() - 0.01) < 0.001)
    True
    """
    X = _check_spectra(X)
    rng = _check_rng(random_state)
    gain = _per_spectrum(1.0 if counts is None else counts, X.shape[0], "counts")
    return _poisson(X, gain, rng)


@validate_params(
    {
        "X": ["array-like"],
        "sigma": [Interval(Real, 0, None, closed="left"), None],
        "snr": [Interval(Real, 0, None, closed="neither"), "array-like", None],
        "relative": ["boolean"],
        "random_state": _RANDOM_STATE,
    },
    prefer_skip_nested_validation=True,
)
@Substitution(**_KERNEL_DOCS)
def add_gaussian_noise(X, *, sigma=None, snr=None, relative=True, random_state=None):
    """Additive white Gaussian noise, by its width or by a signal-to-noise ratio.

    Give exactly one of ``sigma`` and ``snr``.  With ``snr``, spectrum ``x``
    receives noise of standard deviation :math:`\\mathrm{rms}(x) / \\mathrm{snr}`,
    :math:`\\mathrm{rms}(x) = \\sqrt{\\overline{x^2}}`, the definition of
    :func:`skspectra.datasets.make_xanes_series`.

    Parameters
    ----------
    X : array-like of shape (n_spectra, n_channels)
        Spectra; not modified.
    sigma : float, default=None
        Standard deviation of the noise: a fraction of each spectrum's
        largest absolute value when ``relative``, else in intensity units.
    snr : float or array-like of shape (n_spectra,), default=None
        Signal-to-noise ratio, for all spectra or for each.
    relative : bool, default=True
        Whether ``sigma`` is relative to each spectrum.
    %(random_state)s

    Returns
    -------
    X_noisy : ndarray of shape (n_spectra, n_channels)
        A new array, same dtype as ``X``.

    Examples
    --------
    >>> import numpy as np
    >>> from skspectra.preprocessing import add_gaussian_noise
    >>> X = np.ones((1, 10000))
    >>> noisy = add_gaussian_noise(X, sigma=0.1, random_state=0)
    >>> round(float(noisy.std()), 2)
    0.1
    >>> noisy = add_gaussian_noise(2 * X, snr=20, random_state=0)
    >>> round(float(noisy.std()), 2)
    0.1
    """
    if (sigma is None) == (snr is None):
        raise ValueError("give exactly one of sigma and snr.")
    X = _check_spectra(X)
    rng = _check_rng(random_state)
    if snr is not None:
        return _gaussian_snr(X, _per_spectrum(snr, X.shape[0], "snr"), rng)
    # a Generator draws in the dtype of X; other sources draw float64
    work = X.dtype if isinstance(rng, np.random.Generator) else np.float64
    scale = sigma
    if relative:
        scale = np.abs(X.astype(work, copy=False)).max(axis=1, keepdims=True) * sigma
    return _gaussian(X, scale, rng, work)


def _uniform_step(energy):
    """The step of ``energy`` if it is uniform to ``_UNIFORM_TOL``, else None."""
    n = energy.size
    step = (energy[-1] - energy[0]) / (n - 1)
    ideal = energy[0] + step * np.arange(n)
    if np.max(np.abs(energy - ideal)) <= _UNIFORM_TOL * abs(step):
        return step
    return None


def _shift(X, energy, shifts):
    """:func:`shift_spectra` on validated arrays."""
    n_spectra, n_channels = X.shape
    if n_channels < 2:
        return X.copy()
    index = np.arange(n_channels, dtype=np.float64)
    step = _uniform_step(energy)
    if step is not None:
        pos = index[None, :] - (shifts / step)[:, None]
        np.clip(pos, 0, n_channels - 1, out=pos)
    else:
        where = energy[None, :] - shifts[:, None]
        pos = np.interp(where.ravel(), energy, index).reshape(n_spectra, n_channels)
    left = np.minimum(pos.astype(np.intp), n_channels - 2)
    frac = (pos - left).astype(X.dtype)
    lo = np.take_along_axis(X, left, axis=1)
    hi = np.take_along_axis(X, left + 1, axis=1)
    hi -= lo
    hi *= frac
    hi += lo
    return hi


@validate_params(
    {"X": ["array-like"], "shifts": ["array-like"], "energy": ["array-like", None]},
    prefer_skip_nested_validation=True,
)
@Substitution(**_KERNEL_DOCS)
def shift_spectra(X, shifts, *, energy=None):
    """Shift spectra along the energy axis by linear interpolation.

    The shifted spectrum is :math:`x'(E) = x(E - \\delta)`: a positive shift
    moves features to higher energy.  Beyond the measured range the end
    values are held.  Works on non-uniform grids.

    Parameters
    ----------
    X : array-like of shape (n_spectra, n_channels)
        Spectra; not modified.
    shifts : array-like of shape (n_spectra,)
        Shift :math:`\\delta` of each spectrum, in the units of ``energy``.
    %(energy)s

    Returns
    -------
    X_shifted : ndarray of shape (n_spectra, n_channels)
        A new array, same dtype as ``X``.

    Examples
    --------
    >>> import numpy as np
    >>> from skspectra.preprocessing import shift_spectra
    >>> X = np.array([[0.0, 1.0, 2.0, 3.0]])
    >>> shift_spectra(X, [0.5], energy=[10.0, 11.0, 12.0, 13.0])
    array([[0. , 0.5, 1.5, 2.5]])
    """
    X = _check_spectra(X)
    energy = check_energy(energy, X.shape[1])
    shifts = np.asarray(shifts, dtype=np.float64)
    if shifts.shape != (X.shape[0],) or not np.all(np.isfinite(shifts)):
        raise ValueError(
            f"shifts must hold one finite value per spectrum ({X.shape[0]}); got "
            f"an array of shape {shifts.shape}."
        )
    return _shift(X, energy, shifts)


# a Gaussian kernel is cut at this many standard deviations, where it has
# fallen below 4e-4 of its peak; the spectrum is padded by as much on each side
_TRUNCATE = 4.0
# narrower Gaussians (in channels) put all their weight on the centre
# channel; widths are raised to this, which keeps the kernel finite
_MIN_WIDTH = 1e-3
# a non-uniform grid is broadened on a uniform one with its smallest step,
# but with at most this many times its number of channels
_MAX_REFINE = 8
# exponents of the random power-law background: the energy-loss backgrounds
# of core-loss EELS decay as E**-r with r between about 2 and 5 (Egerton)
_POWER_LAW_EXPONENTS = (2.0, 5.0)

BACKGROUNDS = ("linear", "power_law")


def _interp_rows(X, source, target):
    """Linear interpolation of every row from grid ``source`` to ``target``."""
    index = np.interp(target, source, np.arange(source.size, dtype=np.float64))
    left = np.minimum(index.astype(np.intp), source.size - 2)
    frac = (index - left).astype(X.dtype)
    lo = X[:, left]
    out = X[:, left + 1] - lo
    out *= frac
    out += lo
    return out


def _gaussian_filter_uniform(X, sigmas):
    """Gaussian smoothing of each row, ``sigmas`` in channels, ends held.

    Each row is padded with its end values by ``_TRUNCATE`` times the largest
    width and convolved (through the FFT) with its own sampled Gaussian, cut
    at ``_TRUNCATE`` widths and normalised to unit sum: a positive kernel, so
    every output value is a weighted average of input values.
    """
    n_channels = X.shape[1]
    pad = int(np.ceil(_TRUNCATE * float(sigmas.max()))) + 1
    padded = np.pad(X, ((0, 0), (pad, pad)), mode="edge")
    # the kernel reaches pad channels, so the circular convolution over the
    # padded length never wraps into the output channels
    size = fft.next_fast_len(padded.shape[1], real=True)
    # kernel of every row, centred on index 0 of a circular axis: lags 0 to
    # pad - 1 at the start, their mirror images at the end, zeros between
    lag = np.arange(pad, dtype=np.float64)
    sigmas = np.maximum(sigmas, _MIN_WIDTH)
    half = np.exp(-0.5 * (lag[None, :] / sigmas[:, None]) ** 2)
    half[lag[None, :] > _TRUNCATE * sigmas[:, None]] = 0.0
    kernel = np.zeros((X.shape[0], size))
    kernel[:, :pad] = half
    kernel[:, size - pad + 1 :] = half[:, :0:-1]
    kernel /= kernel.sum(axis=1, keepdims=True)
    spectrum = fft.rfft(padded, n=size, axis=1)
    spectrum *= fft.rfft(kernel.astype(X.dtype, copy=False), axis=1)
    out = fft.irfft(spectrum, n=size, axis=1)[:, pad : pad + n_channels]
    return np.ascontiguousarray(out, dtype=X.dtype)


def _check_widths(sigmas, energy):
    span = float(energy[-1] - energy[0])
    widest = float(sigmas.max()) if sigmas.size else 0.0
    if energy.size > 1 and widest > span:
        raise ValueError(
            f"broadening width {widest:g} is wider than the spectrum, whose "
            f"energy axis spans {span:g}; give a width smaller than the span."
        )


def _broaden(X, energy, sigmas):
    """:func:`broaden_spectra` on validated arrays."""
    out = X.copy()
    rows = np.flatnonzero(sigmas > 0)
    if X.shape[1] < 2 or rows.size == 0:
        return out
    step = _uniform_step(energy)
    if step is not None:
        out[rows] = _gaussian_filter_uniform(X[rows], sigmas[rows] / step)
        return out
    steps = np.diff(energy)
    n_fine = int(np.ceil((energy[-1] - energy[0]) / steps.min())) + 1
    n_fine = min(n_fine, _MAX_REFINE * X.shape[1])
    fine = np.linspace(energy[0], energy[-1], n_fine)
    step = fine[1] - fine[0]
    smooth = _gaussian_filter_uniform(
        _interp_rows(X[rows], energy, fine), sigmas[rows] / step
    )
    out[rows] = _interp_rows(smooth, fine, energy)
    return out


@validate_params(
    {
        "X": ["array-like"],
        "sigmas": ["array-like", Real],
        "energy": ["array-like", None],
    },
    prefer_skip_nested_validation=True,
)
@Substitution(**_KERNEL_DOCS)
def broaden_spectra(X, sigmas, *, energy=None):
    """Convolve spectra with a Gaussian of a given width: instrumental broadening.

    A spectrometer of finite resolution records :math:`x * g_\\sigma`, the
    spectrum convolved with its response, here a Gaussian of standard
    deviation :math:`\\sigma` (a full width at half maximum of
    :math:`2\\sqrt{2\\ln 2}\\,\\sigma`).  The area of every peak is kept;
    beyond the measured range the end values are held, so a constant spectrum
    stays constant.  A non-uniform grid is broadened on a uniform grid of its
    smallest step and interpolated back.

    Parameters
    ----------
    X : array-like of shape (n_spectra, n_channels)
        Spectra; not modified.
    sigmas : float or array-like of shape (n_spectra,)
        Standard deviation of the Gaussian, for all spectra or for each, in
        the units of ``energy``; 0 leaves a spectrum unchanged.  A spectrum of
        one channel is returned unchanged.
    %(energy)s

    Returns
    -------
    X_broad : ndarray of shape (n_spectra, n_channels)
        A new array, same dtype as ``X``.

    Raises
    ------
    ValueError
        If a width is negative, not finite, or wider than the energy range
        of the spectra.

    Examples
    --------
    >>> import numpy as np
    >>> from skspectra.preprocessing import broaden_spectra
    >>> E = np.linspace(0.0, 20.0, 201)
    >>> X = np.exp(-0.5 * ((E - 10.0) / 0.3) ** 2)[None, :]
    >>> Y = broaden_spectra(X, 0.4, energy=E)
    >>> bool(np.isclose(Y.sum(), X.sum()))  # the area is kept
    True
    >>> float(np.round(Y.max() / X.max(), 2))  # peak lowered by 0.3 / 0.5
    0.6
    """
    X = _check_spectra(X)
    energy = check_energy(energy, X.shape[1])
    sigmas = _per_spectrum(sigmas, X.shape[0], "sigmas", "non-negative")
    _check_widths(sigmas, energy)
    return _broaden(X, energy, sigmas)


def _check_background_axis(energy, kind):
    """A power law needs a positive energy axis; raise a ValueError if not."""
    if kind == "power_law" and energy[0] <= 0:
        raise ValueError(
            "a power-law background needs positive energies; the energy axis "
            f"starts at {energy[0]:g} (energy=None is the channel index, which "
            "starts at 0). Give the energy axis, e.g. energy losses in eV."
        )


def _background_shape(energy, start, end, kind):
    """Background of each spectrum, ``start`` at the first channel, ``end`` last."""
    if kind == "linear":
        span = energy[-1] - energy[0] if energy.size > 1 else 1.0
        t = (energy - energy[0]) / span
        return start[:, None] + (end - start)[:, None] * t[None, :]
    _check_background_axis(energy, kind)
    ratio = energy[-1] / energy[0] if energy.size > 1 else np.e
    exponent = np.log(start / end) / np.log(ratio)
    # (E / E0) ** -r as one exponential of an outer product
    return start[:, None] * np.exp(-np.outer(exponent, np.log(energy / energy[0])))


def _background(X, energy, start, end, kind):
    """:func:`add_background` on validated arrays."""
    scale = np.abs(X).max(axis=1).astype(np.float64)
    shape = _background_shape(energy, start, end, kind) * scale[:, None]
    return (X + shape).astype(X.dtype, copy=False)


@validate_params(
    {
        "X": ["array-like"],
        "start": ["array-like", Real],
        "end": ["array-like", Real],
        "energy": ["array-like", None],
        "kind": [StrOptions(set(BACKGROUNDS))],
    },
    prefer_skip_nested_validation=True,
)
@Substitution(**_KERNEL_DOCS)
def add_background(X, start, end, *, energy=None, kind="linear"):
    """Add a smooth background, given by its values at the two ends.

    The background of each spectrum is ``start`` at the first channel and
    ``end`` at the last, both relative to the spectrum's largest absolute
    value, and between them either a straight line in energy
    (``"linear"``: a residual slope, a detector offset) or a power law
    :math:`A E^{-r}` (``"power_law"``: the tail of the edges below, as in
    core-loss EELS [1]_), with :math:`A` and :math:`r` fixed by the two end
    values.

    Parameters
    ----------
    X : array-like of shape (n_spectra, n_channels)
        Spectra; not modified.
    start, end : float or array-like of shape (n_spectra,)
        Background at the first and last channel, as a fraction of each
        spectrum's largest absolute value; for all spectra or for each.
        Positive for ``"power_law"``.
    %(energy)s
        A power law needs positive energies: give the axis.
    kind : {"linear", "power_law"}, default="linear"
        Shape of the background between the ends.

    Returns
    -------
    X_bg : ndarray of shape (n_spectra, n_channels)
        A new array, same dtype as ``X``.

    Raises
    ------
    ValueError
        If a power law is asked for on an axis that is not positive (such as
        the channel index, ``energy=None``), or with end values that are not
        positive.

    References
    ----------
    .. [1] R. F. Egerton, "Electron Energy-Loss Spectroscopy in the Electron
       Microscope", 3rd ed., Springer (2011), section 4.4.
       :doi:`10.1007/978-1-4419-9583-4`

    Examples
    --------
    >>> import numpy as np
    >>> from skspectra.preprocessing import add_background
    >>> E = np.array([100.0, 200.0, 400.0])
    >>> add_background(np.ones((1, 3)), 0.5, 0.0, energy=E)
    array([[1.5       , 1.33333333, 1.        ]])
    >>> add_background(np.ones((1, 3)), 0.4, 0.1, energy=E, kind="power_law")
    array([[1.4, 1.2, 1.1]])
    """
    X = _check_spectra(X)
    energy = check_energy(energy, X.shape[1])
    ends = []
    for name, value in (("start", start), ("end", end)):
        arr = _per_spectrum(value, X.shape[0], name, "finite")
        if kind == "power_law" and np.any(arr <= 0):
            raise ValueError(f"{name} must be positive for a power-law background.")
        ends.append(arr)
    return _background(X, energy, ends[0], ends[1], kind)


# --- random draws ------------------------------------------------------------


def _draw_levels(level, n, rng):
    """Draw ``n`` noise levels: fixed, or log-uniform between two bounds."""
    level = np.atleast_1d(np.asarray(level, dtype=np.float64))
    if level.size == 1:
        return np.full(n, level[0])
    lo, hi = np.log(level[0]), np.log(level[1])
    return np.exp(rng.uniform(lo, hi, size=n))


def _add_noise(X, snr, counts, rng):
    """One noise model per spectrum: Gaussian, Poisson, or either at random."""
    n = X.shape[0]
    if snr is not None and counts is not None:
        use_poisson = rng.random(n) < 0.5
        out = np.empty_like(X)
        g = ~use_poisson
        if g.any():
            out[g] = _gaussian_snr(X[g], _draw_levels(snr, int(g.sum()), rng), rng)
        if use_poisson.any():
            levels = _draw_levels(counts, int(use_poisson.sum()), rng)
            out[use_poisson] = _poisson(X[use_poisson], levels, rng)
        return out
    if snr is not None:
        return _gaussian_snr(X, _draw_levels(snr, n, rng), rng)
    return _poisson(X, _draw_levels(counts, n, rng), rng)


def _draw_background(energy, kind, max_background, X, rng):
    """Random end values of the background of every spectrum."""
    n = X.shape[0]
    start = rng.uniform(0.0, max_background, size=n)
    if kind == "linear":
        return start, rng.uniform(0.0, max_background, size=n)
    # at least a tiny positive level, so that the power law is defined
    start = np.maximum(start, np.finfo(np.float64).tiny)
    exponent = rng.uniform(*_POWER_LAW_EXPONENTS, size=n)
    ratio = energy[-1] / energy[0] if energy.size > 1 else 1.0
    return start, start * ratio**-exponent


@validate_params(
    {
        "X": ["array-like"],
        "max_shift": [Interval(Real, 0, None, closed="left")],
        "max_broadening": [Interval(Real, 0, None, closed="left")],
        "background": [StrOptions(set(BACKGROUNDS)), None],
        "max_background": [Interval(Real, 0, None, closed="left")],
        "energy": ["array-like", None],
        "noise_snr": [Interval(Real, 0, None, closed="neither"), "array-like", None],
        "noise_counts": [
            Interval(Real, 0, None, closed="neither"),
            "array-like",
            None,
        ],
        "random_state": _RANDOM_STATE,
    },
    prefer_skip_nested_validation=True,
)
@Substitution(**_KERNEL_DOCS)
def augment_spectra(
    X,
    *,
    max_shift=0.0,
    max_broadening=0.0,
    background=None,
    max_background=0.1,
    energy=None,
    noise_snr=None,
    noise_counts=None,
    random_state=None,
):
    """Perturb each spectrum once as a measurement would, at random.

    Each spectrum is shifted by :math:`\\delta \\sim U(-m, m)`
    (:func:`shift_spectra`), broadened by a Gaussian of standard deviation
    :math:`\\sigma \\sim U(0, s)` (:func:`broaden_spectra`), given a smooth
    background (:func:`add_background`: a line whose end values are drawn
    from :math:`U(0, b)`, or a power law of value :math:`U(0, b)` at the
    first channel decaying with an exponent drawn from :math:`U(2, 5)`,
    both relative to the spectrum's largest value), then receives Gaussian
    noise at a signal-to-noise
    ratio (:func:`add_gaussian_noise`) or Poisson noise at a count level
    (:func:`add_poisson_noise`).  A level given as a ``(low, high)`` pair is
    drawn for each spectrum log-uniformly between the bounds; when both noise
    models are given, each spectrum receives one of them, chosen with equal
    probability.  Called once per training epoch, it gives a network a fresh
    perturbation of every spectrum each time (Kiyohara et al., 2019).

    Parameters
    ----------
    X : array-like of shape (n_spectra, n_channels)
        Clean spectra; not modified.
    max_shift : float, default=0.0
        Largest energy shift :math:`m`, in the units of ``energy``; 0 shifts
        nothing.
    max_broadening : float, default=0.0
        Largest standard deviation :math:`s` of the Gaussian broadening, in
        the units of ``energy``; 0 broadens nothing.  Must not exceed the
        energy range of the spectra.
    background : {"linear", "power_law"} or None, default=None
        Shape of the random background; None adds none.  ``"power_law"``
        needs a positive energy axis.
    max_background : float, default=0.1
        Largest background :math:`b` at an end of the spectrum, as a fraction
        of the spectrum's largest absolute value.
    %(energy)s
    noise_snr : float, (float, float) or None, default=None
        Signal-to-noise ratio of the Gaussian noise, or bounds to draw it
        between; None: no Gaussian noise.
    noise_counts : float, (float, float) or None, default=None
        Counts per unit of intensity of the Poisson noise, or bounds to draw
        them between; None: no Poisson noise.  Needs non-negative spectra.
    %(random_state)s

    Returns
    -------
    X_aug : ndarray of shape (n_spectra, n_channels)
        A new array, same dtype as ``X``.

    See Also
    --------
    augment_with_noise : A training set enlarged with noisy copies.

    References
    ----------
    .. [1] S. Kiyohara, M. Tsubaki, K. Liao and T. Mizoguchi, "Quantitative
       estimation of properties from core-loss spectrum via neural network",
       J. Phys.: Mater. 2, 024003 (2019), doi:10.1088/2515-7639/ab0b68.

    Examples
    --------
    >>> import numpy as np
    >>> from skspectra.preprocessing import augment_spectra
    >>> X = np.tile(np.linspace(1.0, 2.0, 50), (3, 1))
    >>> X_aug = augment_spectra(X, max_shift=2.0, noise_snr=(10, 100), random_state=0)
    >>> X_aug.shape
    (3, 50)
    """
    X = _check_spectra(X)
    rng = _check_rng(random_state)
    snr = check_level(noise_snr, "noise_snr")
    counts = check_level(noise_counts, "noise_counts")
    energy = check_energy(energy, X.shape[1])
    _check_widths(np.array([max_broadening]), energy)
    _check_background_axis(energy, background)
    out = X
    if max_shift > 0 and X.shape[1] > 1:
        shifts = rng.uniform(-max_shift, max_shift, size=X.shape[0])
        out = _shift(out, energy, shifts)
    if max_broadening > 0 and X.shape[1] > 1:
        sigmas = rng.uniform(0.0, max_broadening, size=X.shape[0])
        out = _broaden(out, energy, sigmas)
    if background is not None and max_background > 0:
        start, end = _draw_background(energy, background, max_background, X, rng)
        out = _background(out, energy, start, end, background)
    if snr is not None or counts is not None:
        out = _add_noise(out, snr, counts, rng)
    return out if out is not X else X.copy()


@validate_params(
    {
        "X": ["array-like"],
        "y": ["array-like", None],
        "n_copies": [Interval(Integral, 1, None, closed="left")],
        "noise": [StrOptions({"poisson", "gaussian"})],
        "level": [Interval(Real, 0, None, closed="neither")],
        "include_original": ["boolean"],
        "random_state": _RANDOM_STATE,
    },
    prefer_skip_nested_validation=True,
)
@Substitution(**_KERNEL_DOCS)
def augment_with_noise(
    X,
    y=None,
    *,
    n_copies=5,
    noise="poisson",
    level=1e4,
    include_original=True,
    random_state=None,
):
    """Training set enlarged with noisy copies of every spectrum.

    Training on noisy copies makes a model trained on clean (computed or
    well-averaged) spectra work on noisy measured ones [1]_.

    Parameters
    ----------
    X : array-like of shape (n_spectra, n_channels)
        Training spectra.
    y : array-like of shape (n_spectra,) or (n_spectra, n_targets), default=None
        Targets, repeated along with the spectra.
    n_copies : int, default=5
        Noisy copies per spectrum.
    noise : {"poisson", "gaussian"}, default="poisson"
        ``"poisson"``: :func:`add_poisson_noise` with ``counts=level``;
        ``"gaussian"``: :func:`add_gaussian_noise` with ``sigma=level``
        (relative).
    level : float, default=1e4
        Counts per unit of intensity (Poisson) or relative sigma (Gaussian).
    include_original : bool, default=True
        Keep the clean spectra first.
    %(random_state)s

    Returns
    -------
    X_aug : ndarray of shape (n_spectra * (n_copies + include_original), n_channels)
        Spectra: the originals (if kept), then copy 1 of every spectrum, then
        copy 2, ...
    y_aug : ndarray or None
        ``y`` repeated in the same order; None when ``y`` is None.

    See Also
    --------
    augment_spectra : One random perturbation of every spectrum.

    References
    ----------
    .. [1] S. Kiyohara, M. Tsubaki, K. Liao and T. Mizoguchi, "Quantitative
       estimation of properties from core-loss spectrum via neural network",
       J. Phys.: Mater. 2, 024003 (2019), doi:10.1088/2515-7639/ab0b68.

    Examples
    --------
    >>> import numpy as np
    >>> from skspectra.preprocessing import augment_with_noise
    >>> X, y = np.ones((3, 50)), np.array([0, 1, 2])
    >>> X_aug, y_aug = augment_with_noise(X, y, n_copies=2, random_state=0)
    >>> X_aug.shape, y_aug.tolist()
    ((9, 50), [0, 1, 2, 0, 1, 2, 0, 1, 2])
    """
    X = _check_spectra(X)
    rng = _check_rng(random_state)
    parts = [X.copy()] if include_original else []
    for _ in range(n_copies):
        if noise == "poisson":
            parts.append(add_poisson_noise(X, counts=level, random_state=rng))
        else:
            parts.append(add_gaussian_noise(X, sigma=level, random_state=rng))
    X_aug = np.concatenate(parts, axis=0)
    if y is None:
        return X_aug, None
    y = np.asarray(y)
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"y has {y.shape[0]} entries for {X.shape[0]} spectra.")
    return X_aug, np.concatenate([y] * len(parts), axis=0)


# --- transformers ------------------------------------------------------------

_TRANSFORMER_NOTE = """Every call of ``transform`` draws new perturbations from
    ``random_state``: an int gives the same perturbations on every call, a
    ``RandomState`` or ``Generator`` new ones.  The perturbation of a spectrum
    depends on its place in the batch, so a subset of ``X`` is not perturbed
    as it is within ``X``.  Use it to make measured-like copies of clean
    (computed) spectra for a training set, not as a step of a pipeline that
    predicts: it would perturb the spectra to predict as well."""


class _RandomPerturbation(
    _SpectraMixin, OneToOneFeatureMixin, TransformerMixin, BaseEstimator
):
    """Base of the transformers applying one perturbation of augment_spectra.

    A subclass names, in ``_augment_args``, the keyword arguments of
    :func:`augment_spectra` that its perturbation takes and the parameter
    that gives each; ``energy`` is checked by that function.
    """

    _positive_only = False
    _augment_args = {}

    _parameter_constraints = {"random_state": _RANDOM_STATE}

    def _augment_params(self):
        """Keyword arguments of :func:`augment_spectra` for this perturbation."""
        return {arg: getattr(self, name) for arg, name in self._augment_args.items()}

    def _validate(self, X, *, reset):
        X = _validate_X(self, X, reset=reset)
        if self._positive_only and X.size and X.min() < 0:
            raise ValueError(
                f"Negative values in data passed to {type(self).__name__}: "
                "counts cannot be negative; remove the background offset first."
            )
        return X, None

    def _fit_spectra(self, X, energy):
        # a zero-spectrum trial run raises on parameters that do not fit X
        augment_spectra(X[:1] * 0, random_state=0, **self._augment_params())

    def transform(self, X):
        """Perturb every spectrum once, at random.

        Parameters
        ----------
        X : array-like of shape (n_spectra, n_channels)
            Spectra; not modified.

        Returns
        -------
        X_new : ndarray of shape (n_spectra, n_channels)
            Perturbed spectra, same dtype as ``X``.
        """
        X, _ = self._validated(X)
        return augment_spectra(
            X, random_state=_check_rng(self.random_state), **self._augment_params()
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = self._positive_only
        tags.requires_fit = True
        return tags


@Substitution(note=_TRANSFORMER_NOTE, **_KERNEL_DOCS)
class RandomShift(_RandomPerturbation):
    """Shift every spectrum along the energy axis by a random amount.

    Spectrum ``x`` becomes :math:`x(E - \\delta)`, :math:`\\delta \\sim
    U(-m, m)`, by linear interpolation (:func:`shift_spectra`): an energy
    calibration that differs from one measurement, or from the computation,
    to the next.

    Parameters
    ----------
    max_shift : float, default=1.0
        Largest shift :math:`m`, in the units of ``energy``.
    %(energy)s
    %(random_state)s

    Attributes
    ----------
    %(channels_in)s

    See Also
    --------
    augment_spectra : This and the other perturbations in one call.

    Notes
    -----
    %(note)s

    Examples
    --------
    >>> import numpy as np
    >>> from skspectra.preprocessing import RandomShift
    >>> E = np.linspace(0.0, 10.0, 101)
    >>> X = np.exp(-0.5 * (E - 5.0) ** 2)[None, :]
    >>> shifted = RandomShift(max_shift=2.0, energy=E, random_state=0).fit_transform(X)
    >>> bool(abs(E[shifted.argmax()] - 5.0) <= 2.0)
    True
    """

    _parameter_constraints = {
        **_RandomPerturbation._parameter_constraints,
        "max_shift": [Interval(Real, 0, None, closed="left")],
        "energy": ["array-like", None],
    }
    _augment_args = {"max_shift": "max_shift", "energy": "energy"}

    def __init__(self, *, max_shift=1.0, energy=None, random_state=None):
        self.max_shift = max_shift
        self.energy = energy
        self.random_state = random_state


@Substitution(note=_TRANSFORMER_NOTE, **_KERNEL_DOCS)
class RandomBroadening(_RandomPerturbation):
    """Broaden every spectrum by a Gaussian of random width.

    Spectrum ``x`` becomes :math:`x * g_\\sigma`, the convolution with a
    Gaussian of standard deviation :math:`\\sigma \\sim U(0, s)`
    (:func:`broaden_spectra`): the finite resolution of a spectrometer,
    which computed spectra lack.  Peak areas are kept.

    Parameters
    ----------
    max_broadening : float, default=1.0
        Largest standard deviation :math:`s`, in the units of ``energy``; it
        must not exceed the energy range of the spectra.
    %(energy)s
    %(random_state)s

    Attributes
    ----------
    %(channels_in)s

    See Also
    --------
    broaden_spectra : The broadening at given widths.
    augment_spectra : This and the other perturbations in one call.

    Notes
    -----
    %(note)s

    Examples
    --------
    >>> import numpy as np
    >>> from skspectra.preprocessing import RandomBroadening
    >>> E = np.linspace(0.0, 10.0, 101)
    >>> X = np.exp(-0.5 * ((E - 5.0) / 0.2) ** 2)[None, :]
    >>> broad = RandomBroadening(max_broadening=1.0, energy=E, random_state=0)
    >>> Y = broad.fit_transform(X)
    >>> bool(Y.max() < X.max()), bool(np.isclose(Y.sum(), X.sum()))
    (True, True)
    """

    _parameter_constraints = {
        **_RandomPerturbation._parameter_constraints,
        "max_broadening": [Interval(Real, 0, None, closed="left")],
        "energy": ["array-like", None],
    }
    _augment_args = {"max_broadening": "max_broadening", "energy": "energy"}

    def __init__(self, *, max_broadening=1.0, energy=None, random_state=None):
        self.max_broadening = max_broadening
        self.energy = energy
        self.random_state = random_state


@Substitution(note=_TRANSFORMER_NOTE, **_KERNEL_DOCS)
class RandomBackground(_RandomPerturbation):
    """Add a smooth random background to every spectrum.

    A residual background that a measurement keeps and a computation lacks
    (:func:`add_background`): a straight line whose values at the two ends
    are drawn from :math:`U(0, b)`, or a power law :math:`A E^{-r}` of
    value :math:`U(0, b)` at the first channel with :math:`r \\sim U(2, 5)`,
    both relative to the spectrum's largest absolute value.

    Parameters
    ----------
    kind : {"linear", "power_law"}, default="linear"
        Shape of the background.
    max_background : float, default=0.1
        Largest value :math:`b` of the background at an end, as a fraction of
        the spectrum's largest absolute value.
    %(energy)s
        ``"power_law"`` needs positive energies, so the axis must be given.
    %(random_state)s

    Attributes
    ----------
    %(channels_in)s

    See Also
    --------
    add_background : The background at given end values.
    PowerLawBackground : Fits and removes a power-law background.

    Notes
    -----
    %(note)s

    Examples
    --------
    >>> import numpy as np
    >>> from skspectra.preprocessing import RandomBackground
    >>> E = np.linspace(500.0, 600.0, 101)
    >>> X = np.ones((3, 101))
    >>> bg = RandomBackground(kind="power_law", energy=E, random_state=0)
    >>> Y = bg.fit_transform(X) - X
    >>> bool(np.all(Y >= 0) and np.all(np.diff(Y, axis=1) <= 0))  # decaying
    True
    """

    _parameter_constraints = {
        **_RandomPerturbation._parameter_constraints,
        "kind": [StrOptions(set(BACKGROUNDS))],
        "max_background": [Interval(Real, 0, None, closed="left")],
        "energy": ["array-like", None],
    }
    _augment_args = {
        "background": "kind",
        "max_background": "max_background",
        "energy": "energy",
    }

    def __init__(
        self, *, kind="linear", max_background=0.1, energy=None, random_state=None
    ):
        self.kind = kind
        self.max_background = max_background
        self.energy = energy
        self.random_state = random_state


@Substitution(note=_TRANSFORMER_NOTE, **_KERNEL_DOCS)
class PoissonNoise(_RandomPerturbation):
    """Resample every spectrum with Poisson (counting) noise.

    Each channel becomes :math:`\\mathrm{Poisson}(c\\,x) / c` at ``c`` counts
    per unit of intensity (:func:`add_poisson_noise`); a ``(low, high)``
    pair draws each spectrum's ``c`` log-uniformly between the bounds.

    Parameters
    ----------
    counts : float or (float, float), default=1e4
        Counts per unit of intensity (for edge-step normalised XANES, the
        counts of a channel at unit edge jump), or bounds to draw them
        between.
    %(random_state)s

    Attributes
    ----------
    %(channels_in)s

    See Also
    --------
    add_poisson_noise : The noise at given counts.

    Notes
    -----
    %(note)s

    Examples
    --------
    >>> import numpy as np
    >>> from skspectra.preprocessing import PoissonNoise
    >>> X = np.full((2, 5000), 0.5)
    >>> noisy = PoissonNoise(counts=200, random_state=0).fit_transform(X)
    >>> bool(abs(noisy.var() - 0.5 / 200) < 2e-4)  # variance x / c
    True
    """

    _positive_only = True

    _parameter_constraints = {
        **_RandomPerturbation._parameter_constraints,
        "counts": [Interval(Real, 0, None, closed="neither"), "array-like"],
    }
    _augment_args = {"noise_counts": "counts"}

    def __init__(self, *, counts=1e4, random_state=None):
        self.counts = counts
        self.random_state = random_state
