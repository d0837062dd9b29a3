"""Component spectra beside their abundance maps (NMF results)."""

import numpy as np

from skspectra.plotting._matplotlib import import_pyplot
from skspectra.utils.validation import check_energy

# a scale bar spans about this fraction of the image width
SCALE_BAR_FRACTION = 0.25
# room above a spectrum for the rotated labels of its lines
LABEL_HEADROOM = 1.35
# opacity of an uncertainty band: the spectrum stays visible through it
BAND_ALPHA = 0.3


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


def _check_bands(bands, reappearance, shape):
    """Validated bands (low, high) and reappearance fractions, or None."""
    if bands is not None:
        if len(bands) != 2:
            raise ValueError("bands must be a pair (low, high) of arrays")
        low, high = (np.asarray(b, dtype=float) for b in bands)
        if low.shape != shape or high.shape != shape:
            raise ValueError(
                f"bands must have the shape of the components {shape}; got "
                f"{low.shape} and {high.shape}"
            )
        bands = (low, high)
    if reappearance is not None:
        reappearance = np.asarray(reappearance, dtype=float)
        if reappearance.shape != (shape[0],):
            raise ValueError(
                f"reappearance must hold one value per component ({shape[0]}); "
                f"got shape {reappearance.shape}"
            )
    return bands, reappearance


def _nice_length(span):
    """A round length (1, 2 or 5 times a power of ten) near ``span``."""
    power = 10.0 ** np.floor(np.log10(span))
    return max((m * power for m in (1, 2, 5) if m * power <= span), default=power)


def _scale_bar(ax, pixel_size, units="", *, n_pixels=None, color="white"):
    """Draw a scale bar on an image axes.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Axes holding an image drawn with one data unit per pixel.
    pixel_size : float
        Size of a pixel, in ``units``.
    units : str, default=""
        Unit of the length, printed under the bar (``"µm"``, ``"nm"``).
    n_pixels : int, default=None
        Image width in pixels; default: read from the axes' limits.
    color : str, default="white"
        Colour of the bar and its label.

    Returns
    -------
    bar : mpl_toolkits.axes_grid1.anchored_artists.AnchoredSizeBar
        The artist added to ``ax``; its length is a round number close to a
        quarter of the image width.
    """
    from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar

    if not pixel_size > 0:
        raise ValueError(f"pixel_size must be positive; got {pixel_size}")
    if n_pixels is None:
        left, right = ax.get_xlim()
        n_pixels = abs(right - left)
    length = _nice_length(SCALE_BAR_FRACTION * n_pixels * pixel_size)
    bar = AnchoredSizeBar(
        ax.transData,
        length / pixel_size,
        f"{length:g} {units}".strip(),
        "lower left",
        pad=0.3,
        color=color,
        frameon=False,
        size_vertical=max(n_pixels / 60, 0.3),
        fontproperties={"size": 7},
    )
    ax.add_artist(bar)
    return bar


def _mark_lines(ax, peaks, color):
    """A dotted line and a label at each named peak of a component."""
    top = ax.get_ylim()[1]
    for peak in peaks:
        energy, label = _peak_label(peak)
        ax.axvline(energy, color=color, lw=0.6, ls=":", alpha=0.8)
        ax.text(
            energy,
            top,
            f" {label}",
            rotation=90,
            va="top",
            ha="right",
            fontsize=7,
            color="0.15",
        )


def _peak_label(peak):
    """``(energy, text)`` of a LinePeak (its first line) or a pair."""
    if hasattr(peak, "lines"):
        return peak.energy, str(peak.lines[0]) if peak.lines else "?"
    energy, label = peak
    return float(energy), str(label)


def plot_components(
    components,
    maps,
    *,
    energy=None,
    energy_label="energy",
    titles=None,
    lines=None,
    pixel_size=None,
    pixel_units="",
    map_label="abundance",
    title=None,
    bands=None,
    reappearance=None,
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
        Label of the energy axis, with its unit (``"energy (keV)"``).
    titles : list of str, default=None
        One title per component.
    lines : list of sequences, default=None
        For each component, the peaks to mark: :class:`~skspectra.peaks.LinePeak`
        objects (from :func:`~skspectra.peaks.identify_lines`, labelled by
        their first line) or ``(energy, label)`` pairs.
    pixel_size : float, default=None
        Size of a map pixel in ``pixel_units``; draws a scale bar on each
        map.  None draws none.
    pixel_units : str, default=""
        Unit of ``pixel_size``.
    map_label : str, default="abundance"
        Label of the maps' colour bars, with its unit (the maps of
        :class:`~skspectra.decomposition.SparseNMF` are in the data's units
        summed over the channels, since its components have unit sum).
    title : str, default=None
        Title of the figure; default: ``"<k> components and their maps"``
        (the file name belongs in it when there is one).
    bands : tuple of two array-likes of shape (n_components, n_channels), default=None
        Lower and upper bounds drawn as a shaded band around every spectrum,
        for example those of
        :func:`~skspectra.decomposition.component_stability`.
    reappearance : array-like of shape (n_components,), default=None
        Fraction of refits in which each component reappeared, written on
        its spectrum.

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
    if lines is not None and len(lines) != k:
        raise ValueError(
            f"lines must hold one sequence per component ({k}); got {len(lines)}"
        )
    bands, reappearance = _check_bands(bands, reappearance, components.shape)
    fig, axes = plt.subplots(
        k,
        2,
        figsize=(8, 2.2 * k + 0.4),
        squeeze=False,
        gridspec_kw={"width_ratios": [2.2, 1]},
        layout="constrained",
    )
    for i in range(k):
        ax_s, ax_m = axes[i]
        color = f"C{i}"
        ax_s.plot(energy, components[i], color=color, lw=1)
        if bands is not None:
            ax_s.fill_between(
                energy, bands[0][i], bands[1][i], color=color, alpha=BAND_ALPHA, lw=0
            )
        if reappearance is not None:
            ax_s.text(
                0.99,
                0.95,
                f"reappears in {100 * reappearance[i]:.0f} %",
                transform=ax_s.transAxes,
                ha="right",
                va="top",
                fontsize="small",
            )
        ax_s.set_xlim(energy[0], energy[-1])
        ax_s.set_ylim(0 if components[i].min() >= 0 else None, None)
        ax_s.set_ylabel(titles[i] if titles else f"component {i}")
        if lines is not None:
            ax_s.set_ylim(top=ax_s.get_ylim()[1] * LABEL_HEADROOM)
            _mark_lines(ax_s, lines[i], color)
        if i == k - 1:
            ax_s.set_xlabel(energy_label)
        im = ax_m.imshow(maps[i], cmap="viridis", interpolation="nearest")
        ax_m.set_xticks([])
        ax_m.set_yticks([])
        if pixel_size is not None:
            _scale_bar(ax_m, pixel_size, pixel_units, n_pixels=maps.shape[2])
        fig.colorbar(im, ax=ax_m, shrink=0.8, label=map_label)
    default = f"{k} components and their maps" if k > 1 else "1 component, its map"
    fig.suptitle(title or default)
    return fig
