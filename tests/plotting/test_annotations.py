"""What the figures tell a reader: units, scale bars, line labels, titles."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from skspectra.plotting import (
    plot_components,
    plot_dendrogram_tree,
    plot_similarity_map,
)


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _colorbar_labels(fig):
    return [ax.get_ylabel() for ax in fig.axes if ax.get_label() == "<colorbar>"]


def test_components_carry_units_lines_scale_bar_and_title():
    from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar

    from skspectra.peaks import LinePeak, XrayLine

    energy = np.linspace(0.2, 10, 200)
    components = np.random.default_rng(0).random((2, 200))
    maps = np.random.default_rng(1).random((30, 30, 2))
    si = LinePeak(1.74, 1.0, 1.0, (XrayLine("Si", "Ka", 1.740),))
    lines = [[si, (6.40, "Fe Ka")], []]
    fig = plot_components(
        components,
        maps,
        energy=energy,
        energy_label="energy (keV)",
        lines=lines,
        pixel_size=1.6674,
        pixel_units="µm",
        map_label="counts per pixel",
        title="image.bcf: 2 components",
    )
    assert fig._suptitle.get_text() == "image.bcf: 2 components"
    spectra = fig.axes[0], fig.axes[2]
    assert spectra[1].get_xlabel() == "energy (keV)"
    texts = [t.get_text().strip() for t in spectra[0].texts]
    assert texts == ["Si Ka", "Fe Ka"]
    assert len(spectra[1].texts) == 0
    assert _colorbar_labels(fig) == ["counts per pixel"] * 2
    # a round bar near a quarter of the 30-pixel width (12.5 µm): 10 µm
    bars = [a for a in fig.axes[1].artists if isinstance(a, AnchoredSizeBar)]
    assert len(bars) == 1
    label = bars[0].txt_label.get_children()[0].get_text()
    assert label == "10 µm"


def test_components_without_pixel_size_draw_no_scale_bar():
    fig = plot_components(np.ones((1, 20)), np.ones((5, 5, 1)))
    assert len(fig.axes[1].artists) == 0
    assert fig._suptitle.get_text() == "1 component, its map"


def test_component_annotation_errors():
    with pytest.raises(ValueError, match="one sequence per component"):
        plot_components(np.ones((2, 20)), np.ones((5, 5, 2)), lines=[[]])
    with pytest.raises(ValueError, match="pixel_size must be positive"):
        plot_components(np.ones((1, 20)), np.ones((5, 5, 1)), pixel_size=0)


def test_similarity_colour_bar_is_named_after_the_target():
    pd = pytest.importorskip("pandas")
    energy = np.linspace(0.0, 10.0, 60)
    shifts = np.linspace(2.0, 8.0, 12)
    X = np.exp(-((energy - shifts[:, None]) ** 2)) + 0.01
    y = pd.Series(shifts, name="nominal_oxidation_state")
    fig = plot_similarity_map(X, y, query=X[[3]], random_state=0)
    assert _colorbar_labels(fig) == ["nominal oxidation state"]
    fig = plot_similarity_map(
        X,
        shifts,
        y_label="Mn valence",
        query=X[[3]],
        query_label="q.xdi",
        random_state=0,
    )
    assert _colorbar_labels(fig) == ["Mn valence"]
    legend = fig.axes[0].get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["q.xdi"]
    # the whole figure fits: nothing is drawn outside the canvas
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    width, height = fig.canvas.get_width_height()
    for ax in fig.axes:
        box = ax.get_tightbbox(renderer)
        assert box.x0 >= -1 and box.y0 >= -1
        assert box.x1 <= width + 1 and box.y1 <= height + 1


def test_dendrogram_axis_keeps_its_unit_and_title():
    from skspectra.datasets import make_descriptor_spectra
    from skspectra.tree import SpectralDendrogramTree

    X, Y, _ = make_descriptor_spectra(n_samples=60, random_state=0)
    model = SpectralDendrogramTree(n_clusters=3).fit(X, Y)
    fig = plot_dendrogram_tree(model, Y)
    assert fig.axes[1].get_xlabel() == "channel"
    fig = plot_dendrogram_tree(
        model, Y, energy_label="energy above E0 (eV)", title="refs.csv"
    )
    assert fig.axes[1].get_xlabel() == "energy above E0 (eV)"
    assert fig._suptitle.get_text() == "refs.csv"
