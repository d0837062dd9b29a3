"""Scores and scorers for estimators that predict spectra."""

import numpy as np
from sklearn.metrics import make_scorer

from skspectra.metrics._distances import get_metric


def spectral_similarity_score(
    y_true, y_pred, *, metric="cosine", energy=None, sample_weight=None
):
    r"""Negative mean spectral distance between true and predicted spectra.

    .. math::

        s = -\frac{\sum_i w_i \, d(y_i, \hat y_i)}{\sum_i w_i},

    for a spectral distance :math:`d`: greater is better, 0 is a perfect
    prediction (as for scikit-learn's ``neg_*`` scores), so it can be
    maximised by model selection.  With a distribution metric
    (``wasserstein``, ``cramer``, ``hellinger``, ``jensen_shannon``) negative
    predicted intensities raise a ValueError rather than being clipped
    silently: use a model whose predictions stay non-negative, or another
    metric.

    Parameters
    ----------
    y_true : array-like of shape (n_samples, n_channels)
        True spectra.
    y_pred : array-like of shape (n_samples, n_channels)
        Predicted spectra.
    metric : str or callable, default="cosine"
        A name in ``METRIC_NAMES`` or a function ``f(u, v, **kw) -> float``.
    energy : array-like of shape (n_channels,), default=None
        Strictly increasing channel energies; ``None`` is the channel index.
    sample_weight : array-like of shape (n_samples,), default=None
        Weights of the spectra.

    Returns
    -------
    score : float
        The mean similarity of the predicted spectra to the true ones; higher is better.

    See Also
    --------
    make_spectral_scorer : The same as a scorer for ``scoring=``.

    Examples
    --------
    >>> from skspectra.metrics import spectral_similarity_score
    >>> spectral_similarity_score([[1.0, 0.0], [1.0, 1.0]],
    ...                           [[0.0, 1.0], [2.0, 2.0]], metric="cosine")
    -0.5
    """
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    if y_true.ndim != 2 or y_pred.ndim != 2:
        raise ValueError(
            "spectral_similarity_score compares spectra: y_true and y_pred must be "
            f"2-D (n_samples, n_channels); got shapes {y_true.shape} and "
            f"{y_pred.shape}."
        )
    d = get_metric(metric).paired(y_true, y_pred, energy=energy)
    if sample_weight is None:
        return -float(np.mean(d))
    w = np.asarray(sample_weight, dtype=np.float64)
    if w.shape != d.shape:
        raise ValueError(
            f"sample_weight has shape {w.shape}; expected ({d.shape[0]},)."
        )
    return -float(np.average(d, weights=w))


def make_spectral_scorer(metric="cosine", energy=None):
    """Scorer for ``scoring=`` from :func:`spectral_similarity_score`.

    For estimators that predict spectra (multi-output regressors whose
    targets are spectra on one grid).

    Parameters
    ----------
    metric : str or callable, default="cosine"
        A name in ``METRIC_NAMES`` or a function ``f(u, v, **kw) -> float``.
    energy : array-like of shape (n_channels,), default=None
        Channel energies of the predicted spectra.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y)``, greater is better.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import Ridge
    >>> from sklearn.model_selection import GridSearchCV
    >>> from skspectra.metrics import make_spectral_scorer
    >>> rng = np.random.default_rng(0)
    >>> X = rng.random((40, 3))
    >>> Y = X @ rng.random((3, 20)) + 0.01 * rng.random((40, 20))
    >>> search = GridSearchCV(Ridge(), {"alpha": [1e-3, 1e3]}, cv=3,
    ...                       scoring=make_spectral_scorer("wasserstein"))
    >>> search.fit(X, Y).best_params_
    {'alpha': 0.001}
    """
    get_metric(metric)  # fail early on an unknown name
    return make_scorer(
        spectral_similarity_score,
        greater_is_better=True,
        metric=metric,
        energy=energy,
    )
