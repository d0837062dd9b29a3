"""A spectrum library mapped to the plane under a spectral distance."""

from numbers import Integral

import numpy as np
from sklearn.utils import Bunch

from skspectra.neighbors import similarity_map
from skspectra.plotting._matplotlib import import_pyplot


def _target_name(y, y_label):
    """The colour bar's label: ``y_label``, else the name of a pandas
    Series ``y``, else ``"y"``."""
    if y_label is not None:
        return str(y_label)
    name = getattr(y, "name", None)
    return str(name).replace("_", " ") if name is not None else "y"


def _draw_map(fig, ax, result, y, y_label, query_label):
    """The references (coloured by a numeric ``y``) and the queries as stars."""
    from matplotlib.ticker import MaxNLocator

    xy = result.embedding
    if y is not None and np.issubdtype(np.asarray(y).dtype, np.number):
        sc = ax.scatter(
            xy[:, 0], xy[:, 1], c=np.asarray(y, dtype=float), cmap="viridis", s=18
        )
        fig.colorbar(sc, ax=ax, label=_target_name(y, y_label))
    else:
        ax.scatter(xy[:, 0], xy[:, 1], s=18, color="0.5")
    if result.query_embedding is not None:
        q = result.query_embedding
        ax.scatter(
            q[:, 0],
            q[:, 1],
            marker="*",
            s=160,
            color="crimson",
            edgecolor="k",
            label=query_label,
        )
        ax.legend(loc="best", fontsize=8)
    metric = result.metric
    name = metric if isinstance(metric, str) else getattr(metric, "__name__", "")
    ax.set_title(f"{result.method.upper()} map, {name} distance")
    ax.set_xlabel("map coordinate 1")
    ax.set_ylabel("map coordinate 2")
    # the coordinates are distances of any scale: few ticks, so that long
    # labels do not run into each other, and no offset text, which would
    # collide with the title
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_locator(MaxNLocator(4))
    ax.ticklabel_format(style="plain", useOffset=False)


def _is_map(X):
    """Whether ``X`` is a result of :func:`~skspectra.neighbors.similarity_map`."""
    return isinstance(X, Bunch) and "embedding" in X


def _map_of(X, y, map_params):
    """The map to draw and its colours: ``X`` itself when it is a map (``y``
    defaulting to its target), else the map of the spectra ``X``."""
    if _is_map(X):
        if map_params:
            raise TypeError(
                f"{sorted(map_params)} set how a map is made; X is already a "
                "similarity_map result, so give them to similarity_map instead."
            )
        if X.embedding.shape[1] < 2:
            raise ValueError(
                f"a drawn map needs n_components >= 2; got {X.embedding.shape[1]}."
            )
        return X, X.target if y is None else y
    n_components = map_params.get("n_components", 2)
    if isinstance(n_components, Integral) and n_components < 2:
        raise ValueError(f"a drawn map needs n_components >= 2; got {n_components}.")
    return similarity_map(X, y, **map_params), y


def plot_similarity_map(
    X, y=None, *, ax=None, y_label=None, query_label="measured", **map_params
):
    """A 2-D map of a spectrum library under a spectral distance.

    The map is the result of :func:`skspectra.neighbors.similarity_map`,
    given as ``X`` or computed here from the spectra ``X`` and
    ``map_params``; its first two coordinates are drawn, the references
    coloured by ``y`` when it is numeric and the query spectra drawn as
    stars.

    Parameters
    ----------
    X : array-like of shape (n_spectra, n_channels) or Bunch
        Reference spectra on one energy grid, or a map that
        :func:`~skspectra.neighbors.similarity_map` returned, drawn as it is.
    y : array-like of shape (n_spectra,), default=None
        A parameter of each reference; numeric values colour the map.  For a
        given map, None takes the map's ``target``.
    ax : matplotlib.axes.Axes, default=None
        Axes to draw into; a new figure otherwise.
    y_label : str, default=None
        Label of the colour bar (the target and its unit, such as
        ``"Mn oxidation state"``); default: the name of ``y`` when it is a
        pandas Series, else ``"y"``.
    query_label : str, default="measured"
        Legend entry of the query spectra (a file name, for example).
    **map_params : dict
        With spectra ``X``, the keyword arguments of
        :func:`~skspectra.neighbors.similarity_map` (``metric``, ``energy``,
        ``method``, ``query``, ``n_components`` (at least 2; the first two
        are drawn), ``n_neighbors``, ``random_state``); none with a map.

    Returns
    -------
    fig : matplotlib.figure.Figure
        The figure holding the map (and a colour bar for numeric ``y``).

    See Also
    --------
    skspectra.neighbors.similarity_map : The coordinates and distances.

    Examples
    --------
    >>> import numpy as np
    >>> from skspectra.neighbors import similarity_map
    >>> from skspectra.plotting import plot_similarity_map
    >>> energy = np.linspace(0.0, 10.0, 60)
    >>> shifts = np.linspace(2.0, 8.0, 12)
    >>> X = np.exp(-((energy - shifts[:, None]) ** 2)) + 0.01
    >>> result = similarity_map(X, shifts, query=X[[5]], random_state=0)
    >>> fig = plot_similarity_map(result)
    >>> len(fig.axes)  # the map and its colour bar
    2
    >>> fig = plot_similarity_map(X, shifts, query=X[[5]], random_state=0)
    """
    plt = import_pyplot()
    result, y = _map_of(X, y, map_params)
    if ax is None:
        fig, ax = plt.subplots(figsize=(5.4, 4.4), layout="constrained")
    else:
        fig = ax.figure
    _draw_map(fig, ax, result, y, y_label, query_label)
    return fig
