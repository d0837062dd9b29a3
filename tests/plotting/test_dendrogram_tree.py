"""The dendrogram-spectra-tree figure renders, and says what it needs."""

import sys

import numpy as np
import pytest

from skspectra.datasets import make_descriptor_spectra
from skspectra.plotting import plot_dendrogram_tree
from skspectra.tree import SpectralDendrogramTree


@pytest.fixture(scope="module")
def model_and_spectra():
    X, Y, rule = make_descriptor_spectra(120, as_frame=True, random_state=0)
    model = SpectralDendrogramTree(n_clusters=4, energy=rule.energy).fit(X, Y)
    return model, Y


def test_figure_renders_to_png(model_and_spectra, tmp_path):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    model, Y = model_and_spectra
    fig = plot_dendrogram_tree(model, Y, max_leaves=30)
    dendro, spectra, tree = fig.axes
    # one thick representative line per cluster beside the dendrogram
    thick = [line for line in spectra.get_lines() if line.get_linewidth() == 2]
    assert len(thick) == model.n_clusters_
    assert tree.texts  # the tree's nodes
    assert any("has_d_electrons" in t.get_text() for t in tree.texts)
    path = tmp_path / "dendrogram_tree.png"
    fig.savefig(path, dpi=60)
    assert path.stat().st_size > 10_000
    plt.close(fig)

    fig = model.plot()  # representatives only
    spectra = fig.axes[1]
    assert len(spectra.get_lines()) == 3 * model.n_clusters_
    plt.close(fig)


def test_wrong_channel_count(model_and_spectra):
    pytest.importorskip("matplotlib")
    model, Y = model_and_spectra
    with pytest.raises(ValueError, match="channels"):
        plot_dendrogram_tree(model, Y[:, :-1])


def test_clear_import_error_without_matplotlib(model_and_spectra, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"skspectra\[plot\]"):
        plot_dendrogram_tree(model_and_spectra[0])


def test_unfitted_model():
    pytest.importorskip("matplotlib")
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        plot_dendrogram_tree(SpectralDendrogramTree(), np.zeros((3, 3)))


@pytest.mark.parametrize("module", ["skspectra.tree", "skspectra.plotting"])
def test_importing_does_not_import_matplotlib(module):
    import subprocess

    code = f"import sys, {module}; raise SystemExit('matplotlib' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
