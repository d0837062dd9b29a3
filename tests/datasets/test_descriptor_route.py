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

from skspectra.datasets import make_descriptor_spectra, make_property_spectra
from skspectra.metrics import make_spectral_scorer
from skspectra.tree import SpectralDendrogramTree


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


def _pearson(a, b):
    return _cosine(a - a.mean(axis=1, keepdims=True), b - b.mean(axis=1, keepdims=True))


def test_spectra_that_vary_smoothly_are_predicted_better_than_leaf_means():
    # every line of make_property_spectra moves continuously with the six
    # properties: a regression onto the spectra's components follows them,
    # the leaf means of a tree are a staircase
    kw = dict(measured=True, max_shift=0.0, broadening=(0.0, 0.0), background=None)
    train = make_property_spectra(1000, random_state=0, **kw)
    test = make_property_spectra(300, random_state=1, **kw)
    route = _route().set_params(
        regressor__kernelridge__alpha=1e-2, regressor__kernelridge__gamma=0.1
    )
    route.fit(train.target, train.data)
    tree = SpectralDendrogramTree(n_clusters=16, random_state=0)
    tree.fit(train.target, train.data)
    r_route = _pearson(route.predict(test.target), test.clean).mean()
    r_tree = _pearson(tree.predict(test.target), test.clean).mean()
    assert r_route > 0.99 and r_route > r_tree + 0.005


def test_descriptors_with_nan_are_rejected():
    X, Y, _ = make_descriptor_spectra(50, random_state=0)
    X[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        _route().fit(X, Y)
