"""Component spectra beside their abundance maps (NMF results)."""

import numpy as np

from skspectra.plotting._matplotlib import import_pyplot
from skspectra.utils.validation import check_energy


def _component_maps(components, maps):
    """Validated component spectra and their maps, component axis first."""
    components = np.asarray(components, dtype=float)
    maps = np.asarray(maps, dtype=float)
    if components.ndim != 2:
        raise ValueError(
            f"components must be 2-D (n_components, n_channels); got {components.shape}"
        )
    k = components.shape[0]
    if maps.ndim == 2:
        raise ValueError(
            "maps must be images (n_components, ny, nx) or (ny, nx, n_components); "
            f"got a 2-D array {maps.shape}: fold it with skspectra.utils.fold"
        )
    if maps.ndim != 3 or k not in (maps.shape[0], maps.shape[-1]):
        raise ValueError(f"maps of shape {maps.shape} do not hold {k} component maps")
    if maps.shape[0] != k:
        maps = np.moveaxis(maps, -1, 0)
    return components, maps


def plot_components(
    components, maps, *, energy=None, energy_label="energy", titles=None
):
    """Component spectra beside their abundance maps.

    Parameters
    ----------
    components : array-like of shape (n_components, n_channels)
        Component spectra, for example ``SparseNMF().components_``.
    maps : array-like of shape (n_components, ny, nx) or (ny, nx, n_components)
        Abundance maps, component axis first or last (for example
        ``SparseNMF().transform_image(image)``).
    energy : array-like of shape (n_channels,), default=None
        Energy axis of the spectra; default: the channel index.
    energy_label : str, default="energy"
        Label of the energy axis.
    titles : list of str, default=None
        One title per component.

    Returns
    -------
    fig : matplotlib.figure.Figure
        One row per component: its spectrum (left) and its map (right).

    Examples
    --------
    >>> import numpy as np
    >>> from skspectra.plotting import plot_components
    >>> fig = plot_components(np.random.rand(2, 50), np.random.rand(8, 8, 2))
    >>> len(fig.axes)  # two spectra, two maps and their colour bars
    6
    """
    plt = import_pyplot()
    components, maps = _component_maps(components, maps)
    k = components.shape[0]
    energy = check_energy(energy, components.shape[1])
    fig, axes = plt.subplots(
        k,
        2,
        figsize=(8, 2.2 * k),
        squeeze=False,
        gridspec_kw={"width_ratios": [2.2, 1]},
        layout="constrained",
    )
    for i in range(k):
        ax_s, ax_m = axes[i]
        color = f"C{i}"
        ax_s.plot(energy, components[i], color=color, lw=1)
        ax_s.set_ylabel(titles[i] if titles else f"component {i}")
        if i == k - 1:
            ax_s.set_xlabel(energy_label)
        im = ax_m.imshow(maps[i], cmap="viridis", interpolation="nearest")
        ax_m.set_xticks([])
        ax_m.set_yticks([])
        fig.colorbar(im, ax=ax_m, shrink=0.8)
    fig.suptitle(f"{k} components and their maps")
    return fig
