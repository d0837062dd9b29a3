"""MetricEmbedding: the embedding as a scikit-learn transformer."""

import numpy as np
import pytest
from sklearn.neighbors import KNeighborsRegressor, NearestNeighbors
from sklearn.pipeline import make_pipeline
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import parametrize_with_checks

from skspectra.metrics import (
    METRIC_NAMES,
    MetricEmbedding,
    get_metric,
    pairwise_spectral_distances,
)

EMBEDDED = [n for n in METRIC_NAMES if get_metric(n).embed is not None]


def _data(seed=0, n=30, m=25):
    rng = np.random.default_rng(seed)
    energy = 700.0 + np.cumsum(rng.uniform(0.2, 0.6, m))
    return rng.random((n, m)) + 0.05, energy


@pytest.mark.parametrize("name", EMBEDDED)
def test_neighbour_order_in_embedded_space_is_the_metric_order(name):
    X, energy = _data()
    library, queries = X[:24], X[24:]
    emb = MetricEmbedding(metric=name, energy=energy).fit(library)
    nn = NearestNeighbors(n_neighbors=5, metric=emb.embedded_metric_)
    nn.fit(emb.transform(library))
    dist, idx = nn.kneighbors(emb.transform(queries))
    D = pairwise_spectral_distances(queries, library, metric=name, energy=energy)
    np.testing.assert_array_equal(idx, np.argsort(D, axis=1, kind="stable")[:, :5])
    metric = get_metric(name)
    np.testing.assert_allclose(
        metric.from_embedded(dist), np.sort(D, axis=1)[:, :5], rtol=1e-9, atol=1e-12
    )


def test_pipeline_with_knn_regressor_uses_compiled_metric():
    X, energy = _data(1)
    y = X[:, :3].sum(axis=1)
    pipe = make_pipeline(
        MetricEmbedding(metric="wasserstein", energy=energy),
        KNeighborsRegressor(n_neighbors=3, metric="manhattan"),
    ).fit(X, y)
    # the same neighbours as a callable metric in a brute-force search
    from skspectra.metrics import wasserstein

    ref = KNeighborsRegressor(
        n_neighbors=3, metric=wasserstein, metric_params={"energy": energy}
    ).fit(X, y)
    np.testing.assert_allclose(pipe.predict(X[:5]), ref.predict(X[:5]))


@pytest.mark.parametrize("name", EMBEDDED)
def test_pandas_output_and_feature_names(name):
    pd = pytest.importorskip("pandas")
    X, energy = _data(2, n=5, m=6)
    emb = MetricEmbedding(metric=name, energy=energy).set_output(transform="pandas")
    Z = emb.fit_transform(pd.DataFrame(X, columns=[f"e{k}" for k in range(6)]))
    n_out = 5 if name in ("wasserstein", "cramer") else 6
    assert list(Z.columns) == [f"metricembedding{k}" for k in range(n_out)]


def test_jensen_shannon_has_no_embedding():
    X, _ = _data()
    with pytest.raises(InvalidParameterError, match="metric"):
        MetricEmbedding(metric="jensen_shannon").fit(X)


def test_validation_at_fit_and_transform():
    X, energy = _data(3, n=4, m=6)
    with pytest.raises(ValueError, match="has 5 values but the spectra have 6"):
        MetricEmbedding(metric="wasserstein", energy=energy[:5]).fit(X)
    with pytest.raises(ValueError, match="wasserstein.*total intensity is -"):
        MetricEmbedding(metric="wasserstein").fit(X - 1.0)
    emb = MetricEmbedding(metric="hellinger").fit(X)
    with pytest.raises(ValueError, match="hellinger.*non-negative"):
        emb.transform(X - 1.0)
    with pytest.raises(ValueError, match="NaN"):
        emb.transform(np.where(X > 0.5, np.nan, X))
    with pytest.raises(ValueError, match="features"):
        emb.transform(X[:, :4])


def test_tags_and_dtype():
    X, _ = _data(4, n=4, m=6)
    assert (
        MetricEmbedding(metric="wasserstein")
        .__sklearn_tags__()
        .input_tags.positive_only
    )
    assert (
        not MetricEmbedding(metric="cosine").__sklearn_tags__().input_tags.positive_only
    )
    Z = MetricEmbedding(metric="cramer").fit_transform(X.astype(np.float32))
    assert Z.dtype == np.float32


@parametrize_with_checks(
    [
        MetricEmbedding(metric=name)
        for name in ["wasserstein", "cramer", "hellinger", "derivative", "cityblock"]
    ],
    expected_failed_checks=lambda est: (
        {"check_estimators_dtypes": "integer-cast data has an all-zero spectrum"}
        if est.metric in ("wasserstein", "cramer", "hellinger")
        else {}
    ),
    xfail_strict=True,
)
def test_sklearn_checks_for_other_metrics(estimator, check):
    # the common test checks the default metric; the others here
    check(estimator)
