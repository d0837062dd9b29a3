"""A spectrum with its Lorentzian peaks and edge steps (ESPRITPeaks results)."""

import numpy as np

from skspectra.datasets import lorentzian
from skspectra.plotting._matplotlib import import_pyplot
from skspectra.utils.validation import check_energy


def _steps_curve(energy, steps):
    """Sum of arctangent steps ``(position, width, height, ...)``."""
    total = np.zeros_like(energy)
    for s in steps:
        pos, width, height = (float(v) for v in s[:3])
        total += height * (0.5 + np.arctan((energy - pos) / width) / np.pi)
    return total


def plot_peaks(
    energy,
    spectrum,
    peaks,
    *,
    steps=(),
    constant=0.0,
    background=None,
    energy_label="energy",
    title=None,
):
    """A spectrum with its Lorentzian peaks, edge steps, background and residual.

    Parameters
    ----------
    energy : array-like of shape (n_channels,)
        Energy axis.
    spectrum : array-like of shape (n_channels,)
        The spectrum that was decomposed (background-free when
        ``background`` is given).
    peaks : sequence of (position, width, area, ...)
        For example ``ESPRITPeaks(energy=energy).decompose(spectrum)``;
        ``width`` is the half-width at half maximum.
    steps : sequence of (position, width, height, ...), default=()
        Arctangent edge steps, for example the ``steps`` of
        ``ESPRITPeaks(edge_steps=2).decompose(spectrum, full=True)``.
    constant : float, default=0.0
        The fitted constant.
    background : array-like of shape (n_channels,) or None, default=None
        A background that was subtracted before the decomposition; it is
        drawn, and added back to the data and the model.
    energy_label : str, default="energy"
        Label of the energy axis.
    title : str, default=None
        What the figure shows, for example the name of the file; the number
        of peaks and edge steps follows it in the title.

    Returns
    -------
    fig : matplotlib.figure.Figure
        Top: data, background, steps (with the constant), each peak on top
        of them and the whole model, with the legend to the right of the axes
        so that it covers no peak; bottom: data minus the model.

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
    plt = import_pyplot()
    spectrum = np.asarray(spectrum, dtype=float).ravel()
    energy = check_energy(energy, spectrum.shape[0])
    # (position, width, area) first; a Peak's errors may follow
    peaks = [tuple(float(v) for v in p[:3]) for p in peaks]
    if background is None:
        base = np.zeros_like(spectrum)
    else:
        base = np.asarray(background, dtype=float).ravel()
        if base.shape != spectrum.shape:
            raise ValueError(
                f"background has {base.size} channels; the spectrum {spectrum.size}."
            )
    continuum = base + float(constant) + _steps_curve(energy, steps)
    fig, (ax, ax_r) = plt.subplots(
        2,
        1,
        figsize=(9, 5),
        sharex=True,
        layout="constrained",
        gridspec_kw={"height_ratios": [3, 1]},
    )
    ax.plot(energy, spectrum + base, "k.", ms=2, label="data")
    if background is not None:
        ax.plot(energy, base, color="0.5", lw=1, ls="--", label="background")
    if len(steps) or background is not None or constant:
        label = "edge steps" if len(steps) else "constant"
        ax.plot(energy, continuum, color="0.3", lw=1, label=label)
    total = continuum.copy()
    for i, (pos, width, area) in enumerate(peaks):
        curve = lorentzian(energy, [pos], [width], [area])
        total += curve
        ax.fill_between(
            energy,
            continuum,
            continuum + curve,
            alpha=0.3,
            color=f"C{i % 10}",
            label=f"{pos:.4g} (HWHM {width:.3g})",
        )
    ax.plot(energy, total, "r-", lw=1, label="model")
    ax.set_ylabel("intensity")
    # outside the axes: inside, the entries of up to a dozen peaks would cover
    # some of them, whichever corner they took
    ax.legend(
        fontsize="small", loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0
    )
    found = f"{len(peaks)} Lorentzian peak{'s' if len(peaks) != 1 else ''}"
    if len(steps):
        found += f" on {len(steps)} edge step{'s' if len(steps) != 1 else ''}"
    ax.set_title(found if title is None else f"{title}: {found}")
    ax_r.plot(energy, spectrum + base - total, "k-", lw=0.8)
    ax_r.axhline(0, color="0.6", lw=0.5)
    ax_r.set_ylabel("residual")
    ax_r.set_xlabel(energy_label)
    return fig
