"""Tests of SpectralDendrogramTree: planted-rule recovery, consistency with
SciPy and scikit-learn, the rules, and bad input."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import pdist, squareform
from sklearn.base import clone
from sklearn.metrics import adjusted_rand_score
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.tree import DecisionTreeClassifier

from skspectra.datasets import make_descriptor_spectra
from skspectra.metrics import make_spectral_scorer, pairwise_spectral_distances
from skspectra.tree import SpectralDendrogramTree
from skspectra.tree._dendrogram_tree import cut_linkage
from skspectra.tree._rules import descriptor_kinds


@pytest.fixture(scope="module")
def planted():
    # moderate noise: 5 % of the edge step (signal-to-noise about 20)
    X, Y, rule = make_descriptor_spectra(
        n_samples=400, noise=0.05, as_frame=True, random_state=0
    )
    return X, Y, rule


def _cosine(P, T):
    return np.sum(P * T, axis=1) / np.linalg.norm(P, axis=1) / np.linalg.norm(T, axis=1)


def _matches(conditions, row):
    """Whether one sample (a mapping name -> value, NaN = missing) obeys a rule."""
    for name in {c[0] for c in conditions}:
        mine = [(op, value) for n, op, value in conditions if n == name]
        x = row[name]
        if np.isnan(x):
            if not (("missing", True) in mine or ("or missing", True) in mine):
                return False
            continue
        for op, value in mine:
            if op == "missing" and value:
                return False
            if op == "<=" and not x <= value:
                return False
            if op == ">" and not x > value:
                return False
            if op == "==" and not x == value:
                return False
    return True


# --- what the method must show -------------------------------------------


def test_planted_rule_is_recovered(planted):
    X, Y, rule = planted
    train, test = slice(0, 300), slice(300, None)
    model = SpectralDendrogramTree(n_clusters=4, random_state=0)
    model.fit(X.iloc[train], Y[train])

    ari = adjusted_rand_score(rule.groups[train], model.labels_)
    assert ari >= 0.95

    # the rules use the planted descriptors only, at the planted thresholds
    used = {name for r in model.explain() for name, _, _ in r["conditions"]}
    assert used == set(rule.relevant)
    for r in model.explain():
        for name, op, value in r["conditions"]:
            if op == "==":
                assert name == "has_d_electrons"
            else:
                # the tree cuts half-way between neighbouring training values
                assert abs(value - rule.thresholds[name]) < 0.03, (name, value)

    # predicted spectra for held-out descriptors
    predicted = model.predict(X.iloc[test])
    cos = _cosine(predicted, rule.spectra_noiseless[test])
    assert cos.mean() >= 0.98
    # and against the measured (noisy) spectra too
    assert _cosine(predicted, Y[test]).mean() >= 0.98


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("noise", [0.1, 0.2])
def test_planted_groups_at_higher_noise(seed, noise):
    X, Y, rule = make_descriptor_spectra(300, noise=noise, random_state=seed)
    model = SpectralDendrogramTree(n_clusters=4, random_state=0).fit(X, Y)
    assert adjusted_rand_score(rule.groups, model.labels_) >= 0.95


def test_each_cluster_matches_one_planted_group(planted):
    X, Y, rule = planted
    model = SpectralDendrogramTree(n_clusters=4, random_state=0).fit(X, Y)
    # the cluster representatives are the planted shapes, one to one
    cos = _cosine(
        np.repeat(model.cluster_means_, 4, axis=0), np.tile(rule.group_spectra, (4, 1))
    ).reshape(4, 4)
    assert sorted(np.argmax(cos, axis=1)) == [0, 1, 2, 3]
    assert cos.max(axis=1).min() > 0.99


def test_rules_text_names_the_descriptors(planted):
    X, Y, rule = planted
    model = SpectralDendrogramTree(n_clusters=4, random_state=0).fit(X, Y)
    text = model.export_text()
    print(text)
    assert "has_d_electrons = no" in text
    assert "has_d_electrons = yes and valence <= 2" in text
    assert "valence >= 3 and bond_length <= " in text
    assert "valence >= 3 and bond_length > " in text
    for k in range(4):
        assert f"cluster {k}: " in text


# --- consistency with SciPy and scikit-learn ------------------------------


@pytest.mark.parametrize("method", ["ward", "average", "complete", "single"])
def test_linkage_equals_scipy(method):
    rng = np.random.RandomState(1)
    Y = rng.normal(size=(40, 12))
    X = rng.normal(size=(40, 3))
    model = SpectralDendrogramTree(n_clusters=3, linkage=method).fit(X, Y)
    expected = linkage(pdist(Y), method=method)
    np.testing.assert_array_equal(
        model.linkage_matrix_[:, [0, 1, 3]], expected[:, [0, 1, 3]]
    )
    np.testing.assert_allclose(model.linkage_matrix_[:, 2], expected[:, 2], rtol=1e-9)
    flat = fcluster(expected, 3, criterion="maxclust")
    assert adjusted_rand_score(flat, model.labels_) == 1.0


@pytest.mark.parametrize("metric", ["cosine", "wasserstein", "jensen_shannon"])
def test_linkage_equals_scipy_on_the_metric_distances(metric):
    rng = np.random.RandomState(2)
    Y = rng.uniform(0.1, 1.0, size=(30, 16))
    X = rng.normal(size=(30, 2))
    model = SpectralDendrogramTree(n_clusters=3, linkage="average", metric=metric)
    model.fit(X, Y)
    D = pairwise_spectral_distances(Y, metric=metric)
    expected = linkage(squareform(D, checks=False), method="average")
    np.testing.assert_allclose(model.linkage_matrix_, expected, rtol=1e-9, atol=1e-12)


def test_ward_on_an_embedding_is_ward_on_the_embedded_spectra():
    # cosine: Ward's method on the L2-normalised spectra
    rng = np.random.RandomState(3)
    Y = rng.uniform(0.1, 1.0, size=(30, 10))
    X = rng.normal(size=(30, 2))
    model = SpectralDendrogramTree(n_clusters=3, metric="cosine").fit(X, Y)
    unit = Y / np.linalg.norm(Y, axis=1, keepdims=True)
    np.testing.assert_allclose(model.linkage_matrix_, linkage(unit, "ward"), rtol=1e-8)


def test_tree_equals_decision_tree_classifier(planted):
    X, Y, _ = planted
    params = dict(max_depth=3, min_samples_leaf=5, criterion="entropy")
    model = SpectralDendrogramTree(n_clusters=5, random_state=0, **params).fit(X, Y)
    reference = DecisionTreeClassifier(random_state=0, **params).fit(X, model.labels_)
    for name in ["feature", "threshold", "children_left", "children_right"]:
        np.testing.assert_array_equal(
            getattr(model.tree_, name), getattr(reference.tree_, name)
        )
    np.testing.assert_allclose(model.tree_.value, reference.tree_.value)
    np.testing.assert_allclose(
        model.feature_importances_, reference.feature_importances_
    )
    np.testing.assert_array_equal(model.predict_cluster(X), reference.predict(X))


def test_grid_search_over_clusters_and_depth(planted):
    X, Y, rule = planted
    search = GridSearchCV(
        SpectralDendrogramTree(random_state=0),
        {"n_clusters": [2, 4], "max_depth": [1, None]},
        scoring=make_spectral_scorer(metric="cosine"),
        cv=KFold(3, shuffle=True, random_state=0),
    )
    search.fit(X.iloc[:240], Y[:240])
    assert search.best_params_ == {"n_clusters": 4, "max_depth": None}
    # the score is minus the mean cosine distance: similarity above 0.98
    assert search.score(X.iloc[240:], rule.spectra_noiseless[240:]) > -0.02


def test_grid_search_over_linkage_and_metric(planted):
    X, Y, rule = planted
    Y = np.clip(Y, 0, None)  # the distribution metrics need non-negative spectra
    grid = [
        {"linkage": ["ward"], "metric": ["euclidean", "cosine"]},
        {"linkage": ["average", "complete"], "metric": ["wasserstein"]},
    ]
    search = GridSearchCV(
        SpectralDendrogramTree(n_clusters=4, energy=rule.energy, random_state=0),
        grid,
        scoring=make_spectral_scorer(metric="cosine"),
        cv=3,
        error_score="raise",
    )
    search.fit(X.iloc[:150], Y[:150])
    assert len(search.cv_results_["params"]) == 4
    assert search.best_score_ > -0.02


# --- the cut, the representatives, assign and predict ---------------------


@given(
    arrays(np.float64, (12, 3), elements=st.floats(-10, 10)),
    st.integers(1, 12),
)
def test_cut_equals_scipy_maxclust(Y, k):
    # distinct merge heights, so that the partition into k clusters is unique
    Y = Y + np.arange(36).reshape(12, 3) * 1e-3
    Z = linkage(Y, "ward")
    if np.unique(Z[:, 2]).size < Z.shape[0]:
        return
    labels = cut_linkage(Z, 12 - k)
    assert np.unique(labels).size == k
    assert adjusted_rand_score(fcluster(Z, k, criterion="maxclust"), labels) == 1.0


_SMALL = make_descriptor_spectra(40, n_channels=50, noise=0.05, random_state=1)


@given(
    st.lists(st.floats(0.1, 10.0), min_size=40, max_size=40),
    arrays(np.float64, 50, elements=st.floats(-5, 5)),
)
def test_invariances_of_the_metrics(scales, offset):
    X, Y, _ = _SMALL
    ward = SpectralDendrogramTree(n_clusters=4).fit(X, Y)
    # Euclidean distances do not change when every spectrum is shifted alike
    shifted = SpectralDendrogramTree(n_clusters=4).fit(X, Y + offset)
    np.testing.assert_allclose(
        shifted.linkage_matrix_, ward.linkage_matrix_, rtol=1e-6, atol=1e-6
    )
    # cosine distances do not change when a spectrum is scaled
    cosine = SpectralDendrogramTree(n_clusters=4, metric="cosine").fit(X, Y)
    scaled = SpectralDendrogramTree(n_clusters=4, metric="cosine")
    scaled.fit(X, Y * np.asarray(scales)[:, None])
    assert adjusted_rand_score(cosine.labels_, scaled.labels_) == 1.0
    np.testing.assert_array_equal(cosine.medoid_indices_, scaled.medoid_indices_)


def test_labels_follow_the_dendrogram_leaf_order(planted):
    X, Y, _ = planted
    model = SpectralDendrogramTree(n_clusters=4).fit(X, Y)
    from scipy.cluster.hierarchy import leaves_list

    along_leaves = model.labels_[leaves_list(model.linkage_matrix_)]
    # clusters appear as contiguous runs 0, 1, 2, 3
    runs = along_leaves[np.r_[True, np.diff(along_leaves) != 0]]
    np.testing.assert_array_equal(runs, np.arange(4))


def test_distance_threshold_cuts_at_the_height(planted):
    X, Y, _ = planted
    Z = SpectralDendrogramTree(n_clusters=4).fit(X, Y).linkage_matrix_
    threshold = 0.5 * (Z[-4, 2] + Z[-3, 2])  # between the 4- and 3-cluster merges
    model = SpectralDendrogramTree(n_clusters=None, distance_threshold=threshold)
    model.fit(X, Y)
    assert model.n_clusters_ == 4
    assert adjusted_rand_score(fcluster(Z, threshold, "distance"), model.labels_) == 1


@given(arrays(np.float64, (9, 4), elements=st.floats(0, 1)), st.integers(1, 4))
def test_medoid_minimises_the_summed_distance(Y, k):
    X = np.arange(9.0).reshape(-1, 1)
    Y = Y + 0.1  # no zero spectrum, which has no direction for cosine
    for metric, method in [
        ("euclidean", "ward"),
        ("cosine", "average"),
        ("cosine", "ward"),  # Ward on the embedding, medoid under the metric
    ]:
        model = SpectralDendrogramTree(n_clusters=k, metric=metric, linkage=method).fit(
            X, Y
        )
        D = pairwise_spectral_distances(Y, metric=metric)
        for c in range(k):
            members = np.flatnonzero(model.labels_ == c)
            sums = D[np.ix_(members, members)].sum(axis=1)
            chosen = sums[members == model.medoid_indices_[c]][0]
            assert chosen <= sums.min() + 1e-7 * max(1.0, sums.min())
            np.testing.assert_allclose(
                model.cluster_means_[c], Y[members].mean(axis=0), atol=1e-12
            )


def test_representative_medoid_is_a_training_spectrum(planted):
    X, Y, _ = planted
    model = SpectralDendrogramTree(n_clusters=4, representative="medoid").fit(X, Y)
    np.testing.assert_array_equal(model.cluster_spectra_, Y[model.medoid_indices_])
    np.testing.assert_array_equal(
        model.predict(X), model.cluster_spectra_[model.predict_cluster(X)]
    )


def test_assign_places_spectra_in_their_cluster(planted):
    X, Y, rule = planted
    model = SpectralDendrogramTree(n_clusters=4).fit(X, Y)
    np.testing.assert_array_equal(model.assign(model.cluster_spectra_), np.arange(4))
    # Ward clusters of well-separated groups: every spectrum is nearest to
    # its own cluster's mean
    assert np.mean(model.assign(Y) == model.labels_) == 1.0
    with pytest.raises(ValueError, match="channels"):
        model.assign(Y[:, :-1])


def test_one_dimensional_y_predicts_one_dimensional():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(30, 2))
    y = np.where(X[:, 0] > 0, 5.0, -5.0) + rng.normal(scale=0.1, size=30)
    model = SpectralDendrogramTree(n_clusters=2).fit(X, y)
    prediction = model.predict(X)
    assert prediction.shape == (30,)
    np.testing.assert_allclose(prediction, np.where(X[:, 0] > 0, 5.0, -5.0), atol=0.1)


def test_fit_is_deterministic_and_clone_refits_identically(planted):
    X, Y, _ = planted
    a = SpectralDendrogramTree(n_clusters=4, random_state=0).fit(X, Y)
    b = clone(a).fit(X, Y)
    np.testing.assert_array_equal(a.linkage_matrix_, b.linkage_matrix_)
    assert a.export_text() == b.export_text()


def test_inputs_are_left_unchanged_and_read_only_inputs_work(planted):
    X, Y, _ = planted
    X = np.asarray(X, dtype=float).copy()
    Y = Y.copy()
    X.flags.writeable = False
    Y.flags.writeable = False
    X0, Y0 = X.copy(), Y.copy()
    model = SpectralDendrogramTree(n_clusters=4, metric="cosine").fit(X, Y)
    model.predict(X)
    model.assign(Y)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(Y, Y0)


# --- the rules ------------------------------------------------------------


@given(arrays(np.float64, (25, 3), elements=st.integers(0, 4).map(float)))
def test_every_sample_satisfies_exactly_the_rule_of_its_leaf(D):
    rng = np.random.RandomState(0)
    Y = rng.normal(size=(25, 5))
    D[:, 2] = D[:, 2] > 2  # a 0/1 descriptor
    model = SpectralDendrogramTree(n_clusters=3, random_state=0).fit(D, Y)
    rules = model.explain()
    names = model._feature_names()
    predicted = model.predict_cluster(D)
    for row, cluster in zip(D, predicted, strict=True):
        values = dict(zip(names, row, strict=True))
        hits = [r for r in rules if _matches(r["conditions"], values)]
        assert len(hits) == 1
        assert hits[0]["cluster"] == cluster


@given(
    arrays(np.float64, (30, 2), elements=st.integers(0, 3).map(float)),
    arrays(np.bool_, (30, 2)),
)
def test_rules_with_missing_values_cover_every_sample_once(D, holes):
    rng = np.random.RandomState(1)
    Y = rng.normal(size=(30, 4))
    D = np.where(holes, np.nan, D)
    model = SpectralDendrogramTree(n_clusters=4, random_state=0).fit(D, Y)
    rules = model.explain()
    predicted = model.predict_cluster(D)
    for row, cluster in zip(D, predicted, strict=True):
        values = dict(zip(["x0", "x1"], row, strict=True))
        hits = [r for r in rules if _matches(r["conditions"], values)]
        assert len(hits) == 1, (row, [r["text"] for r in rules])
        assert hits[0]["cluster"] == cluster


def test_rules_read_naturally_by_descriptor_kind():
    rng = np.random.RandomState(0)
    n = 80
    has_d = rng.randint(0, 2, n).astype(float)
    valence = rng.randint(1, 6, n).astype(float)
    r = rng.uniform(1.0, 3.0, n)
    assert descriptor_kinds(np.column_stack([has_d, valence, r])) == [
        "boolean",
        "integer",
        "real",
    ]
    # four spectrum shapes decided by has_d, valence <= 2 and r <= 2
    group = np.where(has_d == 0, 0, np.where(valence <= 2, 1, np.where(r <= 2, 2, 3)))
    Y = np.eye(4)[group] * 10 + rng.normal(scale=0.01, size=(n, 4))
    import pandas as pd

    X = pd.DataFrame({"has_d": has_d, "valence": valence, "r": r})
    model = SpectralDendrogramTree(n_clusters=4, random_state=0).fit(X, Y)
    texts = sorted(r["text"] for r in model.explain())
    assert texts[0] == "has_d = no"
    assert "has_d = yes and valence <= 2" in texts
    real = [t for t in texts if "r <=" in t or "r >" in t]
    assert len(real) == 2
    for t in real:
        assert "valence >= 3" in t
        threshold = float(t.split(" ")[-1])
        assert 1.9 < threshold < 2.1


def test_rules_mention_missing_values():
    rng = np.random.RandomState(0)
    x = rng.uniform(0, 1, size=60)
    Y = np.column_stack([x > 0.5, x <= 0.5]).astype(float)
    X = np.column_stack([x, rng.normal(size=60)])
    X[:5, 0] = np.nan
    model = SpectralDendrogramTree(n_clusters=2, random_state=0).fit(X, Y)
    text = model.export_text()
    assert "x0 missing" in text
    assert model.predict(X).shape == Y.shape


def test_one_cluster_and_sparse_spectra():
    from scipy import sparse

    rng = np.random.RandomState(0)
    X = rng.normal(size=(10, 2))
    Y = rng.normal(size=(10, 3)).astype(np.float32)
    model = SpectralDendrogramTree(n_clusters=1).fit(X, Y)
    assert model.explain()[0]["conditions"] == []
    assert "always (the tree has a single leaf)" in model.export_text()
    np.testing.assert_allclose(model.predict(X), np.tile(Y.mean(0), (10, 1)), 1e-6)
    assert model.predict(X).dtype == np.float64
    with pytest.raises(TypeError, match="dense"):
        SpectralDendrogramTree(n_clusters=2).fit(X, sparse.csr_matrix(Y))


def test_array_descriptors_get_generic_names():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(20, 2))
    Y = np.column_stack([X[:, 1] > 0, X[:, 1] <= 0]).astype(float)
    model = SpectralDendrogramTree(n_clusters=2).fit(X, Y)
    assert "x1" in model.export_text()
    assert not hasattr(model, "feature_names_in_")


# --- bad input ------------------------------------------------------------


def test_fewer_spectra_than_clusters():
    with pytest.raises(ValueError, match=r"n_clusters=5 is more than the number of"):
        SpectralDendrogramTree(n_clusters=5).fit(np.ones((3, 2)), np.eye(3))


def test_rows_differ():
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        SpectralDendrogramTree().fit(np.ones((10, 2)), np.ones((9, 4)))


def test_nan_in_spectra_is_rejected():
    Y = np.ones((10, 4))
    Y[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        SpectralDendrogramTree(n_clusters=2).fit(np.ones((10, 2)), Y)


def test_infinite_descriptors_are_rejected():
    X = np.ones((10, 2))
    X[0, 0] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        SpectralDendrogramTree(n_clusters=2).fit(X, np.eye(10))


def test_descriptors_in_large_units_give_the_same_tree(planted):
    X, Y, _ = planted
    est = SpectralDendrogramTree(n_clusters=4, random_state=0)
    base = clone(est).fit(X, Y)
    scaled = clone(est).fit(X * 1e12, Y)
    np.testing.assert_array_equal(
        scaled.predict_cluster(X * 1e12), base.predict_cluster(X)
    )


def test_descriptors_too_narrow_for_the_tree_are_named(planted):
    # scikit-learn's splitter sees no difference below 1e-7, so the tree could
    # not split on such a descriptor and would silently explain nothing
    X, Y, _ = planted
    with pytest.raises(ValueError, match=r"descriptor 0 \('\w+'\) of X varies by"):
        SpectralDendrogramTree(n_clusters=4).fit(X * 1e-12, Y)
    # constant descriptors are no error: the tree just does not use them
    D = np.column_stack([np.arange(10.0), np.full(10, 1e-12)])
    SpectralDendrogramTree(n_clusters=2).fit(D, np.eye(10))


@pytest.mark.parametrize("metric", ["cityblock", "wasserstein", "jensen_shannon"])
def test_ward_with_a_non_euclidean_metric_names_the_alternatives(metric):
    with pytest.raises(ValueError, match="'average', 'complete' or 'single'"):
        SpectralDendrogramTree(metric=metric).fit(np.ones((10, 2)), np.eye(10))


def test_unknown_metric():
    with pytest.raises(ValueError, match="cosine"):
        SpectralDendrogramTree(metric="nope", linkage="average").fit(
            np.ones((10, 2)), np.eye(10)
        )


def test_negative_spectra_with_a_distribution_metric():
    Y = np.eye(10) - 0.5
    with pytest.raises(ValueError, match="positive total; spectrum 0 sums to -4"):
        SpectralDendrogramTree(metric="wasserstein", linkage="average").fit(
            np.ones((10, 2)), Y
        )


def test_cut_parameters_exclusive():
    with pytest.raises(ValueError, match="not both"):
        SpectralDendrogramTree(n_clusters=2, distance_threshold=1.0).fit(
            np.ones((10, 2)), np.eye(10)
        )
    with pytest.raises(ValueError, match="both are None"):
        SpectralDendrogramTree(n_clusters=None).fit(np.ones((10, 2)), np.eye(10))


def test_energy_length_must_match():
    with pytest.raises(ValueError, match="energy has 3 values"):
        SpectralDendrogramTree(n_clusters=2, energy=[1, 2, 3]).fit(
            np.ones((10, 2)), np.eye(10)
        )
