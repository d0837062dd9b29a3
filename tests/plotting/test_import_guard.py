"""Without matplotlib every figure says which extra installs it."""

import sys

import numpy as np
import pytest

from skspectra import plotting


@pytest.mark.parametrize(
    "draw",
    [
        lambda: plotting.plot_components(np.ones((1, 4)), np.ones((1, 2, 2))),
        lambda: plotting.plot_peaks(np.arange(4.0), np.ones(4), []),
    ],
    ids=["components", "peaks"],
)
def test_clear_import_error(draw, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"pip install 'skspectra\[plot\]'"):
        draw()


def test_public_names():
    assert sorted(plotting.__all__) == [
        "plot_components",
        "plot_dendrogram_tree",
        "plot_peaks",
        "plot_scree",
        "plot_similarity_map",
    ]
    for name in plotting.__all__:
        assert getattr(plotting, name).__module__.startswith("skspectra.plotting.")
