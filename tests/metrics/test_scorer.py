"""The spectral similarity score and scorer."""

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KNeighborsRegressor

from skspectra.metrics import (
    METRIC_NAMES,
    get_metric,
    make_spectral_scorer,
    spectral_similarity_score,
)


@pytest.mark.parametrize("name", METRIC_NAMES)
def test_score_is_the_negative_mean_distance(name):
    rng = np.random.default_rng(0)
    Y, P = rng.random((6, 12)) + 0.1, rng.random((6, 12)) + 0.1
    f = get_metric(name).func
    expected = -np.mean([f(y, p) for y, p in zip(Y, P, strict=True)])
    assert spectral_similarity_score(Y, P, metric=name) == pytest.approx(expected)
    assert spectral_similarity_score(Y, Y, metric=name) == pytest.approx(0.0, abs=1e-7)
    w = np.arange(1.0, 7.0)
    expected_w = -np.average([f(y, p) for y, p in zip(Y, P, strict=True)], weights=w)
    assert spectral_similarity_score(
        Y, P, metric=name, sample_weight=w
    ) == pytest.approx(expected_w)


def test_scorer_prefers_the_better_model_in_grid_search():
    rng = np.random.default_rng(1)
    energy = np.linspace(0.0, 20.0, 40)
    centres = rng.uniform(5.0, 15.0, 60)
    X = np.column_stack([centres, rng.random(60)])
    Y = np.exp(-((energy - centres[:, None]) ** 2) / 4.0) + 0.01
    # neighbour averages of positive spectra stay positive, as wasserstein needs
    search = GridSearchCV(
        KNeighborsRegressor(),
        {"n_neighbors": [2, 39]},
        cv=3,
        scoring=make_spectral_scorer(metric="wasserstein", energy=energy),
    ).fit(X, Y)
    assert search.best_params_ == {"n_neighbors": 2}
    assert search.best_score_ <= 0.0


def test_bad_input():
    with pytest.raises(ValueError, match="must be 2-D"):
        spectral_similarity_score([1.0, 2.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="X has 2 spectra but Y has 1"):
        spectral_similarity_score(np.ones((2, 3)), np.ones((1, 3)))
    with pytest.raises(ValueError, match="unknown spectral metric"):
        make_spectral_scorer(metric="nope")
    with pytest.raises(ValueError, match="sample_weight"):
        spectral_similarity_score(np.ones((2, 3)), np.ones((2, 3)), sample_weight=[1.0])
