"""A spectrum with its Lorentzian peaks (ESPRITPeaks results)."""

import numpy as np

from skspectra.datasets import lorentzian
from skspectra.plotting._matplotlib import import_pyplot
from skspectra.utils.validation import check_energy


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
    plt = import_pyplot()
    spectrum = np.asarray(spectrum, dtype=float).ravel()
    energy = check_energy(energy, spectrum.shape[0])
    # (position, width, area) first; a Peak's errors may follow
    peaks = [tuple(float(v) for v in p[:3]) for p in peaks]
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
