"""Augmentation: the perturbations a measurement adds to a clean spectrum.

Measured spectra differ from computed or well-averaged ones by a calibration
shift of the energy axis, counting (Poisson) noise and detector (Gaussian)
noise.  Training on spectra perturbed the same way teaches a model to ignore
these differences (Kiyohara et al., 2019).

The module is built in two layers:

* each perturbation is a function of the spectra and of one parameter per
  spectrum (a shift, a signal-to-noise ratio, a count level), vectorised over
  the batch, working in the dtype of the batch and never modifying its input
  (:func:`shift_spectra`, :func:`add_gaussian_noise`,
  :func:`add_poisson_noise`);
* :func:`augment_spectra` draws those parameters at random and applies the
  perturbations in the order a measurement does: the energy axis first, the
  noise last.

A further perturbation (an instrumental broadening, a background) is one
more function of the first kind and one more step of the second, and a
transformer applying one perturbation alone draws its parameter the same way
and calls the same function.

Counts are defined once, as in :func:`skspectra.datasets.make_xanes_series`:
``counts`` is the expected number of counts per unit of intensity in a
channel (for edge-step normalised XANES, the counts of a channel at unit edge
jump), and a noisy spectrum is ``Poisson(counts * x) / counts``.  A total
number of counts ``N`` per spectrum is ``counts = N / X.sum(axis=1)``.
"""

from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions, validate_params
from sklearn.utils.validation import check_array

from skspectra.preprocessing._base import _check_finite_rows
from skspectra.utils._docstring import ENERGY_DOC, RANDOM_STATE_DOC, Substitution
from skspectra.utils.validation import check_energy, check_level

_RANDOM_STATE = ["random_state", np.random.Generator]

# grids whose steps agree to this relative tolerance are treated as uniform,
# where the source channel of a shift is found by one division
_UNIFORM_RTOL = 1e-9

_KERNEL_DOCS = {
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


def _per_spectrum(value, n, name, dtype=np.float64):
    """A positive scalar or one value per spectrum, as an array of shape (n,)."""
    arr = np.asarray(value, dtype=dtype)
    if arr.ndim > 1 or (arr.ndim == 1 and arr.shape[0] != n):
        raise ValueError(
            f"{name} must be a number or one value per spectrum ({n}); got an "
            f"array of shape {arr.shape}."
        )
    if not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise ValueError(f"{name} must be positive and finite.")
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


def _shift(X, energy, shifts):
    """:func:`shift_spectra` on validated arrays."""
    n_spectra, n_channels = X.shape
    if n_channels < 2:
        return X.copy()
    steps = np.diff(energy)
    index = np.arange(n_channels, dtype=np.float64)
    if np.allclose(steps, steps[0], rtol=_UNIFORM_RTOL, atol=0):
        pos = index[None, :] - (shifts / steps[0])[:, None]
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


@validate_params(
    {
        "X": ["array-like"],
        "max_shift": [Interval(Real, 0, None, closed="left")],
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
    energy=None,
    noise_snr=None,
    noise_counts=None,
    random_state=None,
):
    """Perturb each spectrum once as a measurement would, at random.

    Each spectrum is shifted by :math:`\\delta \\sim U(-m, m)`
    (:func:`shift_spectra`), then receives Gaussian noise at a signal-to-noise
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
    out = X
    if max_shift > 0 and X.shape[1] > 1:
        shifts = rng.uniform(-max_shift, max_shift, size=X.shape[0])
        out = _shift(out, energy, shifts)
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
