"""Validation shared by the preprocessing transformers."""

import numpy as np
from sklearn.base import (
    BaseEstimator,
    OneToOneFeatureMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.utils.validation import check_is_fitted, validate_data

from skspectra.utils._docstring import SPECTRA_DOC, Substitution
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


class _SpectraMixin:
    """``fit``, validation and dtype tags of the preprocessing transformers.

    ``fit`` validates ``X`` and the energy axis and hands them to
    ``_fit_spectra``, where a subclass checks its settings or learns;
    ``_validated`` is the preamble of every method used after ``fit``.  A
    subclass whose method needs evenly spaced channels says so in
    ``_needs_uniform``; one with its own energy rules overrides ``_validate``.
    Float32 input gives float32 output.  It stands before scikit-learn's
    transformer mixins, whose tags it completes.
    """

    def _needs_uniform(self):
        return False

    def _validate(self, X, *, reset):
        """``(X, energy)`` validated; ``reset`` as in ``validate_data``."""
        return _validate_spectra(self, X, reset=reset, uniform=self._needs_uniform())

    def _fit_spectra(self, X, energy):
        """Check the settings against the validated data; nothing by default."""

    def _validated(self, X):
        """``(X, energy)`` for a method of the fitted transformer."""
        check_is_fitted(self)
        return self._validate(X, reset=False)

    @Substitution(X=SPECTRA_DOC)
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check ``X``, the energy axis and the settings; learn what is needed.

        Parameters
        ----------
        %(X)s
        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted transformer.
        """
        X, energy = self._validate(X, reset=True)
        self._fit_spectra(X, energy)
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


class _SpectrumTransformer(
    _SpectraMixin, OneToOneFeatureMixin, TransformerMixin, BaseEstimator
):
    """Base of the transformers giving each spectrum back on the same channels."""
