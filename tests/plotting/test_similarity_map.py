"""The similarity-map figure: the map of the library with the queries on it."""

import sys

import numpy as np
import pytest

from skspectra.neighbors import similarity_map
from skspectra.plotting import plot_similarity_map

ENERGY = np.linspace(0.0, 10.0, 60)
SHIFTS = np.linspace(2.0, 8.0, 15)
X = np.exp(-((ENERGY - SHIFTS[:, None]) ** 2)) + 0.01


def test_figure_draws_the_computed_map():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plot_similarity_map(X, SHIFTS, query=X[[2]], random_state=0)
    assert len(fig.axes) == 2  # map and colour bar
    res = similarity_map(X, SHIFTS, query=X[[2]], random_state=0)
    ax = fig.axes[0]
    refs, queries = (c.get_offsets() for c in ax.collections)
    np.testing.assert_allclose(refs, res.embedding[:, :2])
    np.testing.assert_allclose(queries, res.query_embedding[:, :2])
    plt.close(fig)


def test_draws_into_given_axes_and_labels_without_numeric_target():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    out = plot_similarity_map(X, ["a"] * 15, ax=ax, method="isomap")
    assert out is fig
    assert len(fig.axes) == 1  # no colour bar for a non-numeric target
    assert ax.get_title() == "ISOMAP map, cosine distance"
    plt.close(fig)


def test_needs_two_components():
    pytest.importorskip("matplotlib")
    with pytest.raises(ValueError, match="n_components >= 2"):
        plot_similarity_map(X, n_components=1)


def test_without_matplotlib_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"skspectra\[plot\]"):
        plot_similarity_map(X, SHIFTS, random_state=0)


def test_draws_a_given_map_without_recomputing_it(monkeypatch):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import skspectra.plotting._similarity as module

    res = similarity_map(X, SHIFTS, metric="wasserstein", query=X[[2]], random_state=0)

    def fail(*args, **kwargs):
        raise AssertionError("the given map was computed again")

    monkeypatch.setattr(module, "similarity_map", fail)
    fig = plot_similarity_map(res, y_label="shift")
    ax = fig.axes[0]
    refs, queries = (c.get_offsets() for c in ax.collections)
    np.testing.assert_array_equal(refs, res.embedding[:, :2])
    np.testing.assert_array_equal(queries, res.query_embedding[:, :2])
    assert ax.get_title() == "MDS map, wasserstein distance"
    assert fig.axes[1].get_ylabel() == "shift"  # coloured by the map's target
    plt.close(fig)


def test_a_given_map_takes_no_map_parameters():
    pytest.importorskip("matplotlib")
    res = similarity_map(X, SHIFTS, random_state=0)
    with pytest.raises(TypeError, match="already a similarity_map result"):
        plot_similarity_map(res, metric="euclidean")
    one = similarity_map(X, n_components=1, random_state=0)
    with pytest.raises(ValueError, match="n_components >= 2"):
        plot_similarity_map(one)
