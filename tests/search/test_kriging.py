"""KrigingSearch: acquisition maths, bookkeeping, bad input, the engines."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import RBF, DotProduct, WhiteKernel

from skspectra.search import KrigingSearch, _kriging, expected_improvement

finite = st.floats(-1e3, 1e3)
spread = st.floats(0.0, 1e3)


@given(finite, spread, finite)
def test_expected_improvement_is_non_negative(mean, std, best):
    assert expected_improvement(mean, std, best) >= 0


@given(finite, finite)
def test_expected_improvement_of_a_sure_point(mean, best):
    # no uncertainty: the improvement is known, and zero at or above the best
    ei = float(expected_improvement(mean, 0.0, best))
    assert ei == pytest.approx(max(best - mean, 0.0))
    if mean >= best:
        assert ei == 0.0


@given(finite, st.floats(1e-3, 1e2), finite, st.floats(0.0, 10.0))
def test_expected_improvement_is_monotone(mean, std, best, step):
    ei = expected_improvement(mean, std, best)
    # more uncertainty never lowers it, a higher mean never raises it
    assert expected_improvement(mean, std + step, best) >= ei - 1e-9 * (1 + ei)
    assert expected_improvement(mean + step, std, best) <= ei + 1e-9 * (1 + ei)


def test_expected_improvement_equals_monte_carlo():
    rng = np.random.default_rng(0)
    samples = rng.normal(0.3, 0.7, 400_000)
    mc = np.maximum(0.1 - samples, 0).mean()
    assert float(expected_improvement(0.3, 0.7, 0.1)) == pytest.approx(mc, rel=1e-2)


def _bowl(n=200, seed=0):
    X = np.random.default_rng(seed).uniform(-1, 1, (n, 2))
    return X, (X[:, 0] - 0.3) ** 2 + (X[:, 1] + 0.2) ** 2


def _objective(X, E):
    lookup = {tuple(x): e for x, e in zip(X, E, strict=True)}
    return lambda x: lookup[tuple(x)]


@pytest.mark.parametrize("acquisition", ["ei", "ucb", "ts"])
@pytest.mark.parametrize("n_random_features", [None, 256])
def test_finds_the_minimum_of_a_bowl(acquisition, n_random_features):
    X, E = _bowl()
    search = KrigingSearch(
        X,
        acquisition=acquisition,
        n_initial=5,
        n_random_features=n_random_features,
        random_state=0,
    )
    search.run(_objective(X, E), 25, progress=False)
    assert search.best_index_ == int(E.argmin())
    assert search.best_value_ == E.min()
    items = [h["item"] for h in search.history_]
    assert len(items) == len(set(items)) == 25


@pytest.mark.parametrize("n_random_features", [None, 128])
def test_a_batch_holds_distinct_new_candidates(n_random_features):
    X, E = _bowl(100)
    search = KrigingSearch(
        X,
        n_initial=4,
        batch_size=5,
        n_random_features=n_random_features,
        random_state=1,
    )
    seen = set()
    for _ in range(6):
        batch = search.suggest()
        assert len(batch) == len(set(batch.tolist())) == 5
        assert not seen & set(batch.tolist())
        seen |= set(batch.tolist())
        search.observe(batch, E[batch])


def test_the_believer_spreads_a_batch():
    # without the variance update the five best-scoring candidates of a fine
    # grid would be neighbours; with it they spread out
    X = np.linspace(0, 1, 400).reshape(-1, 1)
    E = np.sin(9 * X[:, 0])
    search = KrigingSearch(
        X, n_initial=6, batch_size=5, kernel=RBF(0.2), random_state=0
    )
    first = np.array([0, 80, 160, 240, 320, 399])
    search.observe(first, E[first])
    batch = np.sort(search.suggest())
    assert np.diff(X[batch, 0]).min() > 0.02


def test_every_candidate_once_then_stop():
    X, E = _bowl(30)
    search = KrigingSearch(X, n_initial=3, random_state=0)
    search.run(_objective(X, E), 100, progress=False)
    assert sorted(h["item"] for h in search.history_) == list(range(30))
    assert search.n_remaining_ == 0
    with pytest.raises(RuntimeError, match="nothing is left"):
        search.suggest()


def test_the_fast_posterior_equals_scikit_learns():
    X, E = _bowl(150)
    search = KrigingSearch(X, n_initial=3, n_random_features=None, random_state=0)
    search.run(_objective(X, E), 12, progress=False)
    free = search._free()
    mean, var, _, _ = search._posterior(free)
    # the reference: scikit-learn's process on the residuals standardised as
    # the search standardises them, with the same kernel
    idx = np.array(search._observed)
    r = (E[idx] - search._offset) / search._scale
    ref = GaussianProcessRegressor(search.kernel_, alpha=1e-10, optimizer=None)
    m_ref, s_ref = ref.fit(X[idx], r).predict(X[free], return_std=True)
    noise = search.kernel_.k2.noise_level
    np.testing.assert_allclose(mean, search._offset + search._scale * m_ref, atol=1e-9)
    np.testing.assert_allclose(
        var, search._scale**2 * (s_ref**2 - noise), rtol=1e-6, atol=1e-10
    )


def test_auto_switches_to_random_features_on_large_sets(monkeypatch):
    X, E = _bowl(300)
    monkeypatch.setattr(_kriging, "EXACT_FLOPS", 300 * 8**2)
    search = KrigingSearch(X, n_initial=4, random_state=0)
    search.run(_objective(X, E), 8, progress=False)
    assert not search._use_features()
    search.run(_objective(X, E), 4, progress=False)
    assert search._use_features()
    assert search._features is not None
    # a small set: as many features as candidates
    assert search._features[0].n_features == 300


def test_a_refit_writes_the_new_features_into_the_old_storage(monkeypatch):
    X, E = _bowl(400, seed=2)
    objective = _objective(X, E)

    def history(reuse):
        search = KrigingSearch(X, n_initial=6, n_random_features=64, random_state=1)
        search.run(objective, 12, progress=False)
        before = search._features[1].Phi
        fits = search._fit_n
        search.run(objective, 10, progress=False)
        assert search._fit_n > fits  # at least one refit in between
        after = search._features[1].Phi
        assert (after is before) == reuse
        np.testing.assert_array_equal(
            after, search._features[0].transform(search.candidates)
        )
        return [h["item"] for h in search.history_]

    reused = history(True)
    # refits that always build fresh storage choose the same candidates
    refit = KrigingSearch._update_hyperparameters

    def refit_into_fresh_storage(self):
        refit(self)
        self._spare_phi = None

    monkeypatch.setattr(
        KrigingSearch, "_update_hyperparameters", refit_into_fresh_storage
    )
    assert history(False) == reused


def test_transfer_finds_a_moved_minimum_faster():
    X = np.linspace(0, 1, 500).reshape(-1, 1)

    def landscape(centre):
        return 1 - np.exp(-0.5 * ((X[:, 0] - centre) / 0.02) ** 2) + 0.3 * X[:, 0]

    old, new = landscape(0.62), landscape(0.64)

    def evaluations(prior):
        search = KrigingSearch(X, n_initial=2, prior_tasks=prior, random_state=0)
        for n in range(1, 200):
            i = search.suggest()
            search.observe(i, new[i])
            if int(i[0]) == int(new.argmin()):
                return n
        return 200

    seen = np.random.default_rng(0).choice(500, 40, replace=False)
    seen = np.union1d(seen, [int(old.argmin())])
    assert evaluations([(X[seen], old[seen])]) * 2 <= evaluations(None)


def test_an_objective_that_raises_is_recorded_and_skipped():
    X, E = _bowl(50)
    broken = {7, 11}

    def objective(x):
        i = int(np.flatnonzero((X == x).all(axis=1))[0])
        if i in broken:
            raise RuntimeError("SCF did not converge")
        return E[i]

    search = KrigingSearch(X, n_initial=50, random_state=0)
    with pytest.warns(RuntimeWarning, match="SCF did not converge"):
        search.run(objective, 50, progress=False)
    failed = [h for h in search.history_ if h["error"] is not None]
    assert sorted(h["item"] for h in failed) == sorted(broken)
    assert all(np.isnan(h["value"]) for h in failed)
    assert all("RuntimeError: SCF did not converge" == h["error"] for h in failed)
    assert search.best_index_ == int(E.argmin())


def test_observing_nan_marks_a_failure():
    X, _ = _bowl(20)
    search = KrigingSearch(X, n_initial=2).observe([3, 4], [np.nan, 1.0])
    assert search.history_[0]["error"].startswith("non-finite")
    assert search.best_index_ == 4
    assert 3 not in search.suggest().tolist()


def test_auto_initial_points_fewer_with_a_prior():
    X = np.linspace(0.0, 1.0, 40)[:, None]
    prior = [(X[::4], np.sin(6.0 * X[::4, 0]))]
    assert KrigingSearch(X).n_initial == 10
    assert KrigingSearch(X, prior_tasks=prior).n_initial == 2
    assert KrigingSearch(X[:5]).n_initial == 5


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"candidates": [[0.0], [np.nan]]}, "NaN or infinite"),
        ({"candidates": np.zeros((0, 2))}, "non-empty 2-D"),
        ({"n_initial": 30}, "more than the 20 candidates"),
        ({"n_initial": -1}, "n_initial must be an integer >= 0"),
        ({"n_initial": "many"}, "n_initial must be an integer >= 0 or 'auto'"),
        ({"acquisition": "pi"}, "acquisition must be one of"),
        ({"batch_size": 0}, "batch_size must be an integer >= 1"),
        ({"n_random_features": 1}, "n_random_features must be"),
        ({"kernel": "rbf"}, "scikit-learn kernel"),
        (
            {"acquisition": "ts", "kernel": DotProduct() + WhiteKernel()},
            "needs an RBF or Matern kernel",
        ),
    ],
)
def test_bad_construction(kwargs, match):
    args = {"candidates": np.linspace(0, 1, 20).reshape(-1, 1), **kwargs}
    with pytest.raises(ValueError, match=match):
        KrigingSearch(**args)


def test_bad_observations_and_budget():
    X, E = _bowl(20)
    search = KrigingSearch(X, n_initial=10)
    with pytest.raises(ValueError, match="n_trials=5 is smaller than n_initial=10"):
        search.run(_objective(X, E), 5)
    search.observe([1, 2], [0.5, 0.6])
    with pytest.raises(ValueError, match="candidate 2 was already observed"):
        search.observe(2, 0.7)
    with pytest.raises(ValueError, match="candidate 3 appears twice"):
        search.observe([3, 3], [0.1, 0.2])
    with pytest.raises(ValueError, match="out of range"):
        search.observe(20, 0.1)
    with pytest.raises(ValueError, match="must be integers"):
        search.observe(1.5, 0.1)
    with pytest.raises(ValueError, match="2 items but 1 values"):
        search.observe([4, 5], [0.1])
    with pytest.raises(ValueError, match="n_trials must be an integer"):
        search.run(_objective(X, E), 0)
    # the failed calls changed nothing
    assert [h["item"] for h in search.history_] == [1, 2]


def test_the_candidates_are_a_read_only_copy():
    X = np.linspace(0, 1, 10).reshape(-1, 1)
    search = KrigingSearch(X, n_initial=1)
    X[0, 0] = 99.0
    assert search.candidates[0, 0] == 0.0
    with pytest.raises(ValueError):
        search.candidates[0, 0] = 1.0
