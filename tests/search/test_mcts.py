"""MonteCarloTreeSearch: no repeats, full enumeration, UCT finds the best."""

import itertools
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from skspectra.search import MonteCarloTreeSearch, make_segregation_model


@st.composite
def _problems(draw):
    n_sites = draw(st.integers(1, 8))
    n_solutes = draw(st.integers(1, n_sites))
    energies = draw(st.lists(st.floats(-10, 10), min_size=n_sites, max_size=n_sites))
    return n_sites, n_solutes, np.array(energies), draw(st.integers(0, 2**16))


@given(_problems(), st.floats(0, 3))
def test_enumerates_every_configuration_once_when_the_budget_allows(
    problem, exploration
):
    n_sites, n_solutes, site_energy, seed = problem
    search = MonteCarloTreeSearch(
        n_sites, n_solutes, exploration=exploration, random_state=seed
    )
    n = math.comb(n_sites, n_solutes)
    search.run(lambda s: float(site_energy[s].sum()), n + 5, progress=False)
    items = [h["item"] for h in search.history_]
    assert sorted(items) == list(itertools.combinations(range(n_sites), n_solutes))
    assert search.n_remaining_ == 0
    assert search.best_value_ == pytest.approx(np.sort(site_energy)[:n_solutes].sum())
    with pytest.raises(RuntimeError, match="nothing is left"):
        search.suggest()


@given(_problems(), st.integers(1, 20))
def test_never_evaluates_a_configuration_twice(problem, budget):
    n_sites, n_solutes, site_energy, seed = problem
    search = MonteCarloTreeSearch(n_sites, n_solutes, random_state=seed)
    for _ in range(min(budget, math.comb(n_sites, n_solutes))):
        sites = search.suggest()
        assert np.all(np.diff(sites) > 0)
        search.observe(sites, float(site_energy[sites].sum()))
    items = [h["item"] for h in search.history_]
    assert len(items) == len(set(items))


def test_pending_suggestions_are_not_repeated():
    search = MonteCarloTreeSearch(5, 2, random_state=0)
    suggested = {tuple(search.suggest().tolist()) for _ in range(10)}
    assert len(suggested) == 10 and search.n_remaining_ == 0


def test_finds_the_segregation_optimum_in_a_few_percent():
    site, pair = make_segregation_model(36, random_state=0)

    def energy(s):
        return float(site[s].sum() + pair[np.ix_(s, s)].sum() / 2)

    configs = list(itertools.combinations(range(36), 3))
    best = configs[int(np.argmin([energy(np.array(c)) for c in configs]))]
    search = MonteCarloTreeSearch(36, 3, random_state=0)
    search.run(energy, int(0.05 * len(configs)), progress=False)
    assert tuple(search.best_configuration_.tolist()) == best


def test_an_objective_that_raises_is_recorded_and_skipped():
    def energy(sites):
        if 0 in sites:
            raise ValueError("relaxation diverged")
        return float(sites.sum())

    search = MonteCarloTreeSearch(4, 2, random_state=0)
    with pytest.warns(RuntimeWarning, match="relaxation diverged"):
        search.run(energy, 6, progress=False)
    failed = [h["item"] for h in search.history_ if h["error"]]
    assert sorted(failed) == [(0, 1), (0, 2), (0, 3)]
    assert search.best_configuration_.tolist() == [1, 2]


def test_observe_takes_one_or_several_configurations():
    search = MonteCarloTreeSearch(6, 2, random_state=0)
    search.observe([3, 1], 0.5).observe([[0, 2], [4, 5]], [0.1, 0.9])
    assert [h["item"] for h in search.history_] == [(1, 3), (0, 2), (4, 5)]
    assert search.best_configuration_.tolist() == [0, 2]
    assert search.n_remaining_ == 12


@pytest.mark.parametrize(
    "args, kwargs, match",
    [
        ((3, 5), {}, "n_solutes=5 is more than n_sites=3"),
        ((0, 0), {}, "n_sites must be an integer >= 1"),
        ((4, 2), {"exploration": -1.0}, "exploration must be a finite number"),
        ((4, 2), {"exploration": float("nan")}, "exploration must be a finite"),
    ],
)
def test_bad_construction(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        MonteCarloTreeSearch(*args, **kwargs)


@pytest.mark.parametrize(
    "config, value, match",
    [
        ([0, 1, 2], 0.0, "a configuration is 2 site indices"),
        ([0, 9], 0.0, r"must lie in \[0, 5\)"),
        ([1, 1], 0.0, "repeats one"),
        ([0.5, 1], 0.0, "must be integers"),
        ([[0, 1], [0, 2]], [0.0], "2 configurations but 1 values"),
    ],
)
def test_bad_observations(config, value, match):
    search = MonteCarloTreeSearch(5, 2)
    with pytest.raises(ValueError, match=match):
        search.observe(config, value)


def test_a_configuration_observed_twice_is_refused():
    search = MonteCarloTreeSearch(5, 2).observe([0, 1], 1.0)
    with pytest.raises(ValueError, match=r"configuration \[0, 1\] was already"):
        search.observe([1, 0], 2.0)
