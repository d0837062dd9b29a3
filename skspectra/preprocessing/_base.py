"""Validation shared by the preprocessing transformers."""

import numpy as np
from sklearn.utils.validation import validate_data

from skspectra.utils.validation import check_energy


def _check_finite_rows(X, what="spectrum"):
    """Raise a ValueError naming the first spectrum that holds NaN or inf."""
    finite = np.isfinite(X)
    if not finite.all():
        bad_rows = np.flatnonzero(~finite.all(axis=1))
        i = int(bad_rows[0])
        j = int(np.flatnonzero(~finite[i])[0])
        kind = "NaN" if np.isnan(X[i, j]) else "inf"
        raise ValueError(
            f"{what} {i} contains NaN or inf values (first: {kind} at channel {j}); "
            f"{bad_rows.size} spectra in all are affected. Remove or repair them "
            "before preprocessing."
        )


def _validate_X(estimator, X, *, reset):
    """Validate X: 2-D, float32 or float64, finite (errors name the spectrum).

    Returns the validated array (a copy only when a conversion was needed;
    callers must never write into it).
    """
    X = validate_data(
        estimator,
        X,
        reset=reset,
        dtype=[np.float64, np.float32],
        ensure_all_finite=False,
        ensure_min_features=1,
    )
    _check_finite_rows(X)
    return X


def _validate_spectra(estimator, X, *, reset, uniform=False):
    """Validate X as :func:`_validate_X` does, and the estimator's energy axis.

    Returns ``(X, energy)``.
    """
    X = _validate_X(estimator, X, reset=reset)
    energy = check_energy(estimator.energy, X.shape[1], uniform=uniform)
    return X, energy


def _fit_stateless(estimator, X):
    """What ``fit`` does for a transformer that learns nothing from the data."""
    _validate_spectra(estimator, X, reset=True)
    return estimator
