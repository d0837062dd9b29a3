"""The figures of the file commands name their file, and the peaks legend
covers no peak."""

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib", reason="figures need the plot extra")
matplotlib.use("Agg")

from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402

import skspectra.plotting  # noqa: E402
from skspectra import cli  # noqa: E402
from skspectra.datasets import lorentzian, make_descriptor_spectra  # noqa: E402
from skspectra.tree import SpectralDendrogramTree  # noqa: E402


def _capture(monkeypatch, owner, name):
    """Record every figure ``owner.name`` returns."""
    figures = []
    original = getattr(owner, name)

    def recording(*args, **kwargs):
        fig = original(*args, **kwargs)
        figures.append(fig)
        return fig

    monkeypatch.setattr(owner, name, recording)
    return figures


def _l23_file(path):
    """An L2,3-like spectrum: four lines, the L2 pair strongest, as .npz."""
    energy = np.linspace(450.0, 475.0, 251)
    spectrum = lorentzian(
        energy, [457.0, 459.0, 463.0, 465.0], [0.4, 0.6, 0.5, 0.7], [1.0, 1.5, 2.0, 2.5]
    )
    np.savez(path, X=spectrum, energy=energy)
    return energy, spectrum


def _extent(artist, renderer):
    return artist.get_window_extent(renderer)


def test_peaks_figure_title_names_the_file_and_legend_covers_no_peak(
    monkeypatch, capsys, tmp_path
):
    _l23_file(tmp_path / "ti_l23.npz")
    figures = _capture(monkeypatch, skspectra.plotting, "plot_peaks")
    code = cli.main(["peaks", str(tmp_path / "ti_l23.npz"), "--out", str(tmp_path)])
    assert code == 0, capsys.readouterr().err
    (fig,) = figures
    ax = fig.axes[0]
    assert ax.get_title().startswith("ti_l23.npz: 4 Lorentzian peaks")
    # the command closed the figure once saved: draw it again, on its own canvas
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    legend = _extent(ax.get_legend(), renderer)
    # the legend lies beside the axes, so it covers none of the four lines,
    # and inside the figure
    assert legend.x0 >= _extent(ax, renderer).x1
    assert legend.x1 <= fig.bbox.x1


def test_plot_peaks_without_a_title_counts_the_peaks():
    energy = np.linspace(0.0, 10.0, 200)
    spectrum = lorentzian(energy, [4.0], [0.3], [1.0])
    fig = skspectra.plotting.plot_peaks(energy, spectrum, [(4.0, 0.3, 1.0)])
    assert fig.axes[0].get_title() == "1 Lorentzian peak"
    fig = skspectra.plotting.plot_peaks(
        energy, spectrum, [(4.0, 0.3, 1.0)], title="x.msa"
    )
    assert fig.axes[0].get_title() == "x.msa: 1 Lorentzian peak"


def test_interpret_figure_title_names_both_files(monkeypatch, capsys, tmp_path):
    X, y, rule = make_descriptor_spectra(60, random_state=0, as_frame=True)
    X.to_csv(tmp_path / "desc.csv", index=False)
    np.savez(tmp_path / "spectra.npz", X=y, energy=rule.energy)
    figures = _capture(monkeypatch, SpectralDendrogramTree, "plot")
    code = cli.main(
        [
            "interpret",
            str(tmp_path / "spectra.npz"),
            "--descriptors",
            str(tmp_path / "desc.csv"),
            "--n-clusters",
            "3",
            "--out",
            str(tmp_path),
        ]
    )
    assert code == 0, capsys.readouterr().err
    (fig,) = figures
    assert fig.get_suptitle() == "spectra.npz: 3 clusters explained by desc.csv"
