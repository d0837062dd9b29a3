"""Every figure renders to a PNG file."""

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib", reason="figures need the plot extra")
matplotlib.use("Agg")

from skspectra import plotting  # noqa: E402


def _save(fig, path):
    fig.savefig(path, dpi=60)
    assert path.stat().st_size > 2000
    import matplotlib.pyplot as plt

    plt.close(fig)


def test_components_and_maps(tmp_path):
    from skspectra.datasets import make_spectrum_image
    from skspectra.decomposition import PoissonNMF

    image, truth = make_spectrum_image(3, shape=(12, 12), n_channels=64, random_state=0)
    nmf = PoissonNMF(3, ard=False, max_iter=30, random_state=0).fit_image(image)
    fig = plotting.plot_components(nmf.components_, nmf.maps_, energy=truth.energy)
    assert len(fig.axes) == 9  # spectra, maps, colour bars
    _save(fig, tmp_path / "components.png")


def test_components_errors():
    with pytest.raises(ValueError, match="fold it"):
        plotting.plot_components(np.ones((2, 5)), np.ones((9, 2)))
    with pytest.raises(ValueError, match="do not hold 3 component maps"):
        plotting.plot_components(np.ones((3, 5)), np.ones((4, 4, 2)))


def test_peaks_with_residual(tmp_path):
    from skspectra.datasets import make_lorentzian_peaks
    from skspectra.peaks import ESPRITPeaks

    X, truth = make_lorentzian_peaks(1, 256, n_peaks=3, snr=200, random_state=0)
    peaks = ESPRITPeaks(energy=truth.energy).fit(X).decompose(X[0])
    fig = plotting.plot_peaks(truth.energy, X[0], peaks)
    residual = fig.axes[1].lines[0].get_ydata()
    assert np.abs(residual).max() < 0.2 * X[0].max()
    _save(fig, tmp_path / "peaks.png")


def test_dendrogram_tree(tmp_path):
    from skspectra.datasets import make_descriptor_spectra
    from skspectra.tree import SpectralDendrogramTree

    X, y, rule = make_descriptor_spectra(60, random_state=0)
    model = SpectralDendrogramTree(n_clusters=3, energy=rule.energy).fit(X, y)
    _save(plotting.plot_dendrogram_tree(model, spectra=y), tmp_path / "tree.png")


def test_similarity_map_with_query(tmp_path):
    from skspectra.datasets import make_xanes_series

    lib = make_xanes_series(80, 64, random_state=0)
    fig = plotting.plot_similarity_map(
        lib.data, lib.target[:, 0], metric="cosine", query=lib.data[:2], random_state=0
    )
    _save(fig, tmp_path / "map.png")
