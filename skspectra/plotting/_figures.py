"""Figure functions; matplotlib is imported inside each call."""

import numpy as np

from skspectra.utils.validation import check_energy


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            "matplotlib is needed for figures; install it with "
            "'pip install \"skspectra[plot]\"'."
        ) from exc
    return plt


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
    plt = _pyplot()
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


def plot_peaks(energy, spectrum, peaks, *, energy_label="energy"):
    """A spectrum with its Lorentzian peaks, their sum and the residual.

    Parameters
    ----------
    energy : array-like of shape (n_channels,)
        Energy axis.
    spectrum : array-like of shape (n_channels,)
        The (background-free) spectrum that was decomposed.
    peaks : sequence of (position, width, area)
        For example ``ESPRITPeaks(energy=energy).decompose(spectrum)``;
        ``width`` is the half-width at half maximum.
    energy_label : str, default="energy"
        Label of the energy axis.

    Returns
    -------
    fig : matplotlib.figure.Figure
        Top: data, each peak and the sum; bottom: data minus the sum.

    Examples
    --------
    >>> import numpy as np
    >>> from skspectra.datasets import lorentzian
    >>> from skspectra.plotting import plot_peaks
    >>> e = np.linspace(0, 10, 200)
    >>> y = lorentzian(e, [4.0, 6.0], [0.3, 0.4], [1.0, 2.0])
    >>> fig = plot_peaks(e, y, [(4.0, 0.3, 1.0), (6.0, 0.4, 2.0)])
    >>> len(fig.axes)
    2
    """
    from skspectra.datasets import lorentzian

    plt = _pyplot()
    spectrum = np.asarray(spectrum, dtype=float).ravel()
    energy = check_energy(energy, spectrum.shape[0])
    peaks = [tuple(map(float, p)) for p in peaks]
    fig, (ax, ax_r) = plt.subplots(
        2,
        1,
        figsize=(7, 5),
        sharex=True,
        layout="constrained",
        gridspec_kw={"height_ratios": [3, 1]},
    )
    ax.plot(energy, spectrum, "k.", ms=2, label="data")
    total = np.zeros_like(spectrum)
    for i, (pos, width, area) in enumerate(peaks):
        curve = lorentzian(energy, [pos], [width], [area])
        total += curve
        ax.fill_between(
            energy,
            curve,
            alpha=0.3,
            color=f"C{i % 10}",
            label=f"{pos:.4g} (HWHM {width:.3g})",
        )
    ax.plot(energy, total, "r-", lw=1, label="sum of peaks")
    ax.set_ylabel("intensity")
    ax.legend(fontsize="small", ncols=2)
    ax.set_title(f"{len(peaks)} Lorentzian peaks")
    ax_r.plot(energy, spectrum - total, "k-", lw=0.8)
    ax_r.axhline(0, color="0.6", lw=0.5)
    ax_r.set_ylabel("residual")
    ax_r.set_xlabel(energy_label)
    return fig


def plot_similarity_map(X, y=None, **kwargs):
    """A 2-D map of a spectrum library under a spectral distance.

    A thin wrapper of :func:`skspectra.neighbors.similarity_map` with
    ``plot=True``; see there for the parameters (``metric``, ``energy``,
    ``method``, ``query``...).

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    from skspectra.neighbors import similarity_map

    kwargs.setdefault("plot", True)
    return similarity_map(X, y, **kwargs).figure


def plot_dendrogram_tree(estimator, **kwargs):
    """The dendrogram, each cluster's spectra, and the explaining tree.

    A thin wrapper of :func:`skspectra.tree.plot_dendrogram_tree` for a fitted
    :class:`~skspectra.tree.SpectralDendrogramTree`.

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    from skspectra.tree import plot_dendrogram_tree as _plot

    return _plot(estimator, **kwargs)
