"""SimilarityKNNEstimator and SimilarityKNNClassifier: weights, votes, errors."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.neighbors import KNeighborsClassifier

from skspectra import metrics
from skspectra.neighbors import SimilarityKNNClassifier, SimilarityKNNEstimator


def _peaks(centres, energy, width=0.8):
    return np.exp(-(((energy - np.asarray(centres)[:, None]) / width) ** 2)) + 0.01


ENERGY = np.linspace(0.0, 10.0, 80)
_RNG = np.random.default_rng(12345)


@given(
    y=arrays(np.float64, (30, 3), elements=st.floats(-10, 10, width=64)),
    k=st.integers(1, 8),
    seed=st.integers(0, 2**16),
)
def test_uniform_prediction_is_the_mean_of_the_neighbours(y, k, seed):
    rng = np.random.default_rng(seed)
    X = rng.random((30, 12)) + 0.1
    Q = rng.random((4, 12)) + 0.1
    est = SimilarityKNNEstimator(n_neighbors=k, metric="pearson").fit(X, y)
    ind = est.kneighbors(Q, return_distance=False)
    np.testing.assert_allclose(est.predict(Q), y[ind].mean(axis=1), atol=1e-12)


@given(bandwidth=st.floats(0.01, 10.0), seed=st.integers(0, 2**16))
def test_gaussian_weights_follow_the_kernel(bandwidth, seed):
    rng = np.random.default_rng(seed)
    X = rng.random((25, 10)) + 0.1
    y = rng.random(25)
    Q = rng.random((3, 10)) + 0.1
    est = SimilarityKNNEstimator(
        n_neighbors=6, metric="cosine", weights="gaussian", bandwidth=bandwidth
    ).fit(X, y)
    dist, ind = est.kneighbors(Q)
    w = np.exp(-0.5 * (dist / bandwidth) ** 2)
    expected = (w * y[ind]).sum(axis=1) / w.sum(axis=1)
    np.testing.assert_allclose(est.predict(Q), expected, rtol=1e-10)


def test_gaussian_limits_are_uniform_and_nearest():
    rng = np.random.default_rng(0)
    X = rng.random((40, 10)) + 0.1
    y = rng.random(40)
    Q = rng.random((5, 10)) + 0.1
    wide = SimilarityKNNEstimator(n_neighbors=5, weights="gaussian", bandwidth=1e6).fit(
        X, y
    )
    uniform = SimilarityKNNEstimator(n_neighbors=5).fit(X, y)
    np.testing.assert_allclose(wide.predict(Q), uniform.predict(Q), rtol=1e-9)
    narrow = SimilarityKNNEstimator(
        n_neighbors=5, weights="gaussian", bandwidth=1e-9
    ).fit(X, y)
    nearest = SimilarityKNNEstimator(n_neighbors=1).fit(X, y)
    np.testing.assert_allclose(narrow.predict(Q), nearest.predict(Q))


def test_adaptive_bandwidth_uses_the_kth_distance():
    rng = np.random.default_rng(1)
    X = rng.random((40, 10)) + 0.1
    y = rng.random(40)
    Q = rng.random((5, 10)) + 0.1
    est = SimilarityKNNEstimator(n_neighbors=4, weights="gaussian").fit(X, y)
    dist, ind = est.kneighbors(Q)
    w = np.exp(-0.5 * (dist / dist[:, -1:]) ** 2)
    np.testing.assert_allclose(
        est.predict(Q), (w * y[ind]).sum(1) / w.sum(1), rtol=1e-10
    )


def test_distance_weights_on_an_exact_match_take_the_matches():
    X = _peaks([2.0, 4.0, 6.0, 8.0], ENERGY)
    y = np.array([1.0, 2.0, 3.0, 4.0])
    est = SimilarityKNNEstimator(n_neighbors=3, weights="distance").fit(X, y)
    np.testing.assert_allclose(est.predict(X[[2]]), [3.0])


def test_callable_weights_and_callable_metric():
    X = _peaks(np.linspace(2, 8, 20), ENERGY)
    y = np.linspace(2, 8, 20)

    def inverse_square(d):
        return 1.0 / (d**2 + 1e-12)

    a = SimilarityKNNEstimator(n_neighbors=3, weights=inverse_square).fit(X, y)
    b = SimilarityKNNEstimator(
        n_neighbors=3, weights=inverse_square, metric=metrics.euclidean
    ).fit(X, y)
    Q = _peaks([3.3, 6.1], ENERGY)
    np.testing.assert_allclose(a.predict(Q), b.predict(Q), rtol=1e-9)
    assert np.all(np.abs(a.predict(Q) - [3.3, 6.1]) < 0.3)


def test_wasserstein_recovers_a_shift_between_references():
    # the Wasserstein distance grows linearly with the shift between peaks,
    # so the two nearest references of a peak bracket its position
    centres = np.linspace(2.0, 8.0, 25)
    est = SimilarityKNNEstimator(
        n_neighbors=2, metric="wasserstein", energy=ENERGY, weights="distance"
    ).fit(_peaks(centres, ENERGY), centres)
    query = np.array([3.1, 4.77, 6.6])
    np.testing.assert_allclose(est.predict(_peaks(query, ENERGY)), query, atol=0.05)


@given(seed=st.integers(0, 2**16), k=st.integers(1, 6))
def test_classifier_agrees_with_sklearn_and_probabilities_sum_to_one(seed, k):
    rng = np.random.default_rng(seed)
    X = rng.random((30, 8)) + 0.1
    y = rng.choice(["II", "III", "IV"], 30)
    Q = rng.random((6, 8)) + 0.1
    clf = SimilarityKNNClassifier(n_neighbors=k, metric="cosine").fit(X, y)
    ref = KNeighborsClassifier(
        n_neighbors=k, metric=metrics.cosine, algorithm="brute"
    ).fit(X, y)
    proba = clf.predict_proba(Q)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(proba, ref.predict_proba(Q), atol=1e-12)
    assert list(clf.classes_) == ["II", "III", "IV"]
    pred = clf.predict(Q)
    assert np.all(pred == clf.classes_[np.argmax(proba, axis=1)])


def test_classifier_multi_output():
    centres = np.linspace(2.0, 8.0, 30)
    X = _peaks(centres, ENERGY)
    y = np.stack([np.where(centres < 5, "low", "high"), (centres > 4).astype(int)], 1)
    clf = SimilarityKNNClassifier(n_neighbors=3).fit(X, y)
    assert len(clf.classes_) == 2
    pred = clf.predict(_peaks([2.5, 7.5], ENERGY))
    assert pred.shape == (2, 2)
    assert list(pred[:, 0]) == ["low", "high"]
    proba = clf.predict_proba(_peaks([2.5], ENERGY))
    assert [p.shape for p in proba] == [(1, 2), (1, 2)]


def test_classifier_rejects_continuous_targets():
    with pytest.raises(ValueError, match="Unknown label type"):
        SimilarityKNNClassifier(n_neighbors=2).fit(
            np.ones((5, 3)), [0.1, 0.2, 0.3, 1, 2]
        )


def test_multi_output_regression_and_score():
    centres = np.linspace(2.0, 8.0, 60)
    X = _peaks(centres, ENERGY)
    y = np.stack([centres, 2 * centres + 1], axis=1)
    est = SimilarityKNNEstimator(n_neighbors=2, weights="distance").fit(X, y)
    assert est.predict(X[:3]).shape == (3, 2)
    Q = _peaks([3.05, 5.55], ENERGY)
    assert est.score(Q, [[3.05, 7.1], [5.55, 12.1]]) > 0.99


def test_works_in_grid_search_and_clone():
    centres = np.linspace(2.0, 8.0, 40)
    X = _peaks(centres, ENERGY)
    search = GridSearchCV(
        SimilarityKNNEstimator(energy=ENERGY),
        {"metric": ["cosine", "wasserstein"], "n_neighbors": [1, 3]},
        cv=KFold(3, shuffle=True, random_state=0),
    ).fit(X, centres)
    assert search.best_score_ > 0.9
    np.testing.assert_array_equal(clone(search.best_estimator_).energy, ENERGY)


# -- bad input -----------------------------------------------------------------


def test_channel_count_mismatch():
    est = SimilarityKNNEstimator(n_neighbors=2).fit(
        np.ones((5, 6)) + np.eye(5, 6), range(5)
    )
    with pytest.raises(ValueError, match="6 features"):
        est.predict(np.ones((2, 7)))


def test_fewer_references_than_neighbours():
    with pytest.raises(ValueError, match="n_neighbors=5 but the reference library"):
        SimilarityKNNEstimator(n_neighbors=5).fit(_RNG.random((3, 4)), [1, 2, 3])
    est = SimilarityKNNEstimator(n_neighbors=2).fit(_RNG.random((3, 4)), [1, 2, 3])
    with pytest.raises(ValueError, match="n_neighbors <= n_samples_fit"):
        est.kneighbors(_RNG.random((1, 4)), n_neighbors=4)
    with pytest.raises(ValueError, match="each spectrum is excluded"):
        est.kneighbors(n_neighbors=3)


def test_unknown_metric_lists_the_valid_names():
    with pytest.raises(ValueError, match="wasserstein") as info:
        SimilarityKNNEstimator(metric="earth_mover").fit(_RNG.random((6, 4)), range(6))
    for name in metrics.METRIC_NAMES:
        assert name in str(info.value)


@pytest.mark.parametrize("where", ["fit", "predict"])
def test_nan_is_rejected(where):
    X = _RNG.random((6, 4))
    Q = _RNG.random((2, 4))
    (X if where == "fit" else Q)[1, 2] = np.nan
    est = SimilarityKNNEstimator(n_neighbors=2)
    with pytest.raises(ValueError, match="NaN"):
        est.fit(X, range(6)).predict(Q)


def test_negative_intensity_with_a_distribution_metric():
    X = _RNG.random((6, 4))
    est = SimilarityKNNEstimator(n_neighbors=2, metric="wasserstein").fit(X, range(6))
    with pytest.raises(ValueError, match="total intensity is -"):
        est.predict(X[:1] - 2.0)
    assert est.__sklearn_tags__().input_tags.positive_only


def test_energy_length_must_match():
    with pytest.raises(ValueError, match="energy has 3 values"):
        SimilarityKNNEstimator(n_neighbors=2, energy=[1.0, 2.0, 3.0]).fit(
            _RNG.random((6, 4)), range(6)
        )


def test_bad_weights_callable_shape():
    est = SimilarityKNNEstimator(n_neighbors=2, weights=lambda d: d[:, :1]).fit(
        _RNG.random((6, 4)), range(6)
    )
    with pytest.raises(ValueError, match="weights callable"):
        est.predict(_RNG.random((2, 4)))


def test_grid_search_over_every_metric_on_normalised_measured_xanes():
    # normalised measured XANES dip below zero before the edge: every metric
    # must fit on them, the distribution metrics included
    from sklearn.model_selection import LeaveOneGroupOut
    from sklearn.pipeline import make_pipeline

    from skspectra.datasets import find_data_dir, load_k_edge_references
    from skspectra.preprocessing import XANESNormalizer

    if find_data_dir() is None:
        pytest.skip("the measured XANES folder is absent")
    refs = load_k_edge_references(element="Mn")
    energy = refs.edge_energy[0] + refs.energy
    assert np.all(refs.edge_energy == refs.edge_energy[0])
    model = make_pipeline(
        XANESNormalizer(energy=energy),
        SimilarityKNNEstimator(n_neighbors=2, energy=energy),
    )
    assert XANESNormalizer(energy=energy).fit_transform(refs.X).min() < 0
    search = GridSearchCV(
        model,
        {"similarityknnestimator__metric": list(metrics.METRIC_NAMES)},
        cv=LeaveOneGroupOut(),
        scoring="neg_mean_absolute_error",
        error_score="raise",
    )
    search.fit(refs.X, refs.target, groups=refs.groups)
    scores = search.cv_results_["mean_test_score"]
    assert np.all(np.isfinite(scores))
    # leave-one-compound-out valence from the other compounds: within one
    # oxidation state on average for every metric
    assert np.all(scores > -1.0)
