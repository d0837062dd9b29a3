"""The NMF scree: the score of every number of components tried."""

import numpy as np

from skspectra.plotting._matplotlib import import_pyplot

_LABELS = {
    "test": "largest residual eigenvalue / noise edge",
    "bootstrap": "likelihood gain of K + 1 / its null mean",
    "bicv": "held-out loss per entry",
    "split": "held-out log-likelihood",
}


def plot_scree(result, *, ax=None):
    """Plot the score of every number of components, the number chosen marked.

    Parameters
    ----------
    result : NComponentsResult
        The result of :func:`skspectra.decomposition.select_n_components`.
    ax : matplotlib Axes, default=None
        Axes to draw on; a new figure when None.

    Returns
    -------
    fig : matplotlib Figure
        With ``method="test"`` the score is the largest squared singular
        value of the whitened residual over the noise edge (1 is noise, the
        dashed line) and the p-values are written beside the points, and
        so with ``"bootstrap"``, whose score is the likelihood gained by one
        more component over its mean on data without it; with
        ``"bicv"`` the held-out loss; with ``"split"`` the held-out
        log-likelihood.

    Examples
    --------
    >>> from skspectra.datasets import make_spectrum_image
    >>> from skspectra.decomposition import select_n_components
    >>> from skspectra.plotting import plot_scree
    >>> image, truth = make_spectrum_image(
    ...     3, shape=(16, 16), n_channels=64, counts_per_pixel=500, random_state=0
    ... )
    >>> result = select_n_components(
    ...     image.reshape(-1, 64), max_components=5, random_state=0
    ... )
    >>> fig = plot_scree(result)
    >>> len(fig.axes) >= 1
    True
    """
    plt = import_pyplot()
    ks = np.asarray(result.ks)
    scores = np.asarray(result.scores, dtype=float)
    if ks.size == 0 or ks.shape != scores.shape:
        raise ValueError("result holds no scores to plot")
    if ax is None:
        fig, ax = plt.subplots(figsize=(5, 3.5))
    else:
        fig = ax.figure
    ax.plot(ks, scores, "o-", color="C0")
    if result.method in ("test", "bootstrap"):
        ax.set_yscale("log")
        ax.axhline(1.0, color="0.5", ls="--", lw=1)
        for k, s, p in zip(ks, scores, result.p_values, strict=True):
            ax.annotate(f"p={p:.2g}", (k, s), textcoords="offset points", xytext=(4, 4))
    chosen = scores[ks == result.n_components]
    if chosen.size:
        ax.plot([result.n_components], chosen, "o", ms=12, mfc="none", color="C3")
    ax.set_xlabel("number of components")
    ax.set_ylabel(_LABELS.get(result.method, "score"))
    ax.set_xticks(ks)
    ax.set_title(
        f"{result.model} model: {result.n_components} "
        f"component{'s' if result.n_components != 1 else ''}"
    )
    return fig
