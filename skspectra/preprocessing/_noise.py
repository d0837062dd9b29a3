"""Noise augmentation: noisy copies of spectra for training.

These are functions, not transformers: augmentation belongs to the training
set only, and a transformer inside a pipeline would also corrupt the spectra
it is asked to predict.
"""

from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions, validate_params
from sklearn.utils.validation import check_array

from skspectra.preprocessing._base import _check_finite_rows


def _check_X(X):
    X = check_array(X, dtype=[np.float64, np.float32], ensure_all_finite=False)
    _check_finite_rows(X)
    return X


@validate_params(
    {
        "X": ["array-like"],
        "counts": [Interval(Real, 0, None, closed="neither"), None],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def add_poisson_noise(X, *, counts=None, random_state=None):
    """Poisson (shot) noise: each channel drawn from a Poisson law.

    Parameters
    ----------
    X : array-like of shape (n_spectra, n_channels)
        Non-negative spectra.
    counts : float, default=None
        None: ``X`` holds counts, and channel values are drawn as
        :math:`\\mathrm{Poisson}(x)`.  A number: each spectrum is first scaled
        so that its total is ``counts``, drawn, and scaled back -- so the
        relative noise is that of a measurement with ``counts`` counts in all.
    random_state : int, RandomState instance or None, default=None
        Seed of the draws.

    Returns
    -------
    X_noisy : ndarray of shape (n_spectra, n_channels)
        A new array, same dtype as ``X``; its expectation is ``X``.

    Examples
    --------
    >>> import numpy as np
    >>> from skspectra.preprocessing import add_poisson_noise
    >>> X = np.full((2, 1000), 100.0)
    >>> noisy = add_poisson_noise(X, random_state=0)
    >>> bool(abs(noisy.mean() - 100) < 1), bool(abs(noisy.var() - 100) < 10)
    (True, True)
    """
    X = _check_X(X)
    rng = check_random_state(random_state)
    if np.any(X < 0):
        i = int(np.flatnonzero((X < 0).any(axis=1))[0])
        raise ValueError(
            f"spectrum {i} has negative values; Poisson noise needs counts >= 0."
        )
    X64 = X.astype(np.float64)
    if counts is None:
        return rng.poisson(X64).astype(X.dtype)
    total = X64.sum(axis=1, keepdims=True)
    if np.any(total == 0):
        i = int(np.flatnonzero(total[:, 0] == 0)[0])
        raise ValueError(f"spectrum {i} is zero everywhere; it cannot be scaled.")
    scale = counts / total
    return (rng.poisson(X64 * scale) / scale).astype(X.dtype)


@validate_params(
    {
        "X": ["array-like"],
        "sigma": [Interval(Real, 0, None, closed="left")],
        "relative": ["boolean"],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def add_gaussian_noise(X, *, sigma, relative=True, random_state=None):
    """Additive Gaussian noise.

    Parameters
    ----------
    X : array-like of shape (n_spectra, n_channels)
        Spectra.
    sigma : float
        Standard deviation of the noise: a fraction of each spectrum's
        maximum absolute value when ``relative``, else in intensity units.
    relative : bool, default=True
        Whether ``sigma`` is relative to each spectrum.
    random_state : int, RandomState instance or None, default=None
        Seed of the draws.

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
    """
    X = _check_X(X)
    rng = check_random_state(random_state)
    X64 = X.astype(np.float64)
    scale = np.abs(X64).max(axis=1, keepdims=True) * sigma if relative else sigma
    return (X64 + rng.standard_normal(X.shape) * scale).astype(X.dtype)


@validate_params(
    {
        "X": ["array-like"],
        "y": ["array-like", None],
        "n_copies": [Interval(Integral, 1, None, closed="left")],
        "noise": [StrOptions({"poisson", "gaussian"})],
        "level": [Interval(Real, 0, None, closed="neither")],
        "include_original": ["boolean"],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
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
        Total counts per spectrum (Poisson) or relative sigma (Gaussian).
    include_original : bool, default=True
        Keep the clean spectra first.
    random_state : int, RandomState instance or None, default=None
        Seed of the draws.

    Returns
    -------
    X_aug : ndarray of shape (n_spectra * (n_copies + include_original), n_channels)
        Spectra: the originals (if kept), then copy 1 of every spectrum, then
        copy 2, ...
    y_aug : ndarray or None
        ``y`` repeated in the same order; None when ``y`` is None.

    References
    ----------
    .. [1] S. Kiyohara, M. Tsubaki, K. Liao and T. Mizoguchi, "Quantitative
       estimation of properties from core-loss spectrum via neural network",
       J. Phys.: Mater. 2, 024003 (2019).

    Examples
    --------
    >>> import numpy as np
    >>> from skspectra.preprocessing import augment_with_noise
    >>> X, y = np.ones((3, 50)), np.array([0, 1, 2])
    >>> X_aug, y_aug = augment_with_noise(X, y, n_copies=2, random_state=0)
    >>> X_aug.shape, y_aug.tolist()
    ((9, 50), [0, 1, 2, 0, 1, 2, 0, 1, 2])
    """
    X = _check_X(X)
    rng = check_random_state(random_state)
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
