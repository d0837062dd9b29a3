"""Spectra from descriptors: a regressor onto principal components of spectra.

The route of the user guide: ``TransformedTargetRegressor`` with a PCA of the
spectra as the target transformer and kernel ridge on the descriptors, tuned
by ``GridSearchCV`` with a cosine scorer of ``skspectra.metrics``.
"""

import numpy as np
import pytest
from sklearn.compose import TransformedTargetRegressor
from sklearn.decomposition import PCA
from sklearn.kernel_ridge import KernelRidge
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skspectra.datasets import make_descriptor_spectra
from skspectra.metrics import make_spectral_scorer


def _route():
    return TransformedTargetRegressor(
        regressor=make_pipeline(StandardScaler(), KernelRidge(kernel="rbf")),
        transformer=PCA(n_components=8),
        check_inverse=False,
    )


def _cosine(a, b):
    return np.sum(a * b, axis=1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)


def test_spectra_predicted_from_held_out_descriptors():
    X, Y, _ = make_descriptor_spectra(600, random_state=0)
    Xt, _, truth = make_descriptor_spectra(300, random_state=1)
    grid = {
        "regressor__kernelridge__alpha": [1e-2, 1e-1],
        "regressor__kernelridge__gamma": [1e-2, 1e-1],
    }
    search = GridSearchCV(_route(), grid, cv=3, scoring=make_spectral_scorer("cosine"))
    predicted = search.fit(X, Y).predict(Xt)
    assert predicted.shape == (300, Y.shape[1])
    assert _cosine(predicted, truth.spectra_noiseless).mean() >= 0.98
    # the cosine scorer tells the grid apart and the search keeps its best
    scores = search.cv_results_["mean_test_score"]
    assert search.best_score_ == scores.max() > scores.min()


def test_descriptors_with_nan_are_rejected():
    X, Y, _ = make_descriptor_spectra(50, random_state=0)
    X[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        _route().fit(X, Y)
