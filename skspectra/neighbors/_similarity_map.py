"""A 2-D map of a spectrum library under a spectral distance."""

from numbers import Integral

import numpy as np
from sklearn.utils import Bunch, check_array, check_random_state

from skspectra.metrics import pairwise_spectral_distances
from skspectra.neighbors._similarity_knn import SUZUKI_2019
from skspectra.utils._docstring import Substitution
from skspectra.utils.validation import check_same_channels

__all__ = ["similarity_map"]

_METHODS = ("mds", "isomap", "tsne")


def _embed_distances(D, method, n_components, n_neighbors, random_state):
    """Coordinates whose Euclidean distances approximate the matrix ``D``."""
    n = D.shape[0]
    if method == "mds":
        from sklearn.manifold import MDS

        model = MDS(
            n_components=n_components,
            metric="precomputed",
            init="classical_mds",
            n_init=1,
            random_state=random_state,
        )
    elif method == "isomap":
        from sklearn.manifold import Isomap

        model = Isomap(
            n_components=n_components,
            n_neighbors=min(n_neighbors, n - 1),
            metric="precomputed",
        )
    else:
        from sklearn.manifold import TSNE

        model = TSNE(
            n_components=n_components,
            metric="precomputed",
            init="random",
            perplexity=min(30.0, (n - 1) / 3.0),
            random_state=random_state,
        )
    return model.fit_transform(D)


def _check_map_inputs(X, y, query, method, n_components):
    """Validated reference and query spectra; the checks of the other inputs."""
    if method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}; got {method!r}.")
    if not isinstance(n_components, Integral) or n_components < 1:
        raise ValueError(
            f"n_components must be a positive integer; got {n_components!r}."
        )
    X = check_array(X, dtype=np.float64, input_name="X")
    if X.shape[0] < 3:
        raise ValueError(
            f"a similarity map needs at least 3 spectra; got {X.shape[0]}."
        )
    if y is not None and np.asarray(y).shape[0] != X.shape[0]:
        raise ValueError(
            f"y has {np.asarray(y).shape[0]} values but X has {X.shape[0]} spectra."
        )
    if query is not None:
        query = check_array(query, dtype=np.float64, input_name="query")
        check_same_channels(X, query, y_name="query")
    return X, query


@Substitution(reference=SUZUKI_2019)
def similarity_map(
    X,
    y=None,
    *,
    metric="cosine",
    energy=None,
    method="mds",
    query=None,
    n_components=2,
    n_neighbors=10,
    random_state=None,
):
    """Map a library of spectra to 2-D so that similar spectra lie close.

    The distances between all spectra (library and, optionally, measured
    query spectra) under a spectral metric are computed once
    (:func:`skspectra.metrics.pairwise_spectral_distances`) and embedded in
    the plane by metric multidimensional scaling, Isomap or t-SNE on the
    precomputed matrix.  Colouring the map by a material parameter
    (:func:`skspectra.plotting.plot_similarity_map`) shows
    whether the metric orders the spectra by that parameter, and where a
    measured spectrum falls among the references (the central figure of
    Suzuki et al. [1]_).

    Parameters
    ----------
    X : array-like of shape (n_spectra, n_channels)
        Reference spectra on one energy grid.
    y : array-like of shape (n_spectra,), default=None
        A parameter of each reference, checked against ``X`` and returned
        with the map (to colour it by).
    metric : str or callable, default="cosine"
        A name of :data:`skspectra.metrics.METRIC_NAMES` or a callable.
    energy : array-like of shape (n_channels,), default=None
        Channel energies for the metrics that use them.
    method : {"mds", "isomap", "tsne"}, default="mds"
        How the distance matrix is embedded.
    query : array-like of shape (n_queries, n_channels), default=None
        Measured spectra placed on the map among the references (embedded
        jointly with them).
    n_components : int, default=2
        Dimension of the map.
    n_neighbors : int, default=10
        Neighbourhood size of Isomap.
    random_state : int, RandomState instance or None, default=None
        Seed of MDS and t-SNE.

    Returns
    -------
    result : Bunch
        ``embedding`` (n_spectra, n_components) coordinates of the
        references, ``query_embedding`` (n_queries, n_components) or None,
        ``distances`` the (n_spectra + n_queries) square distance matrix,
        ``target``, the given ``y`` (or None), and the ``metric`` and
        ``method`` it was made with;
        :func:`skspectra.plotting.plot_similarity_map` draws it.

    See Also
    --------
    skspectra.plotting.plot_similarity_map : The map drawn, coloured by ``y``.

    References
    ----------
    %(reference)s

    Examples
    --------
    >>> import numpy as np
    >>> from skspectra.neighbors import similarity_map
    >>> energy = np.linspace(0.0, 10.0, 60)
    >>> shifts = np.linspace(2.0, 8.0, 12)
    >>> X = np.exp(-((energy - shifts[:, None]) ** 2)) + 0.01
    >>> res = similarity_map(X, metric="wasserstein", energy=energy,
    ...                      query=X[[5]], random_state=0)
    >>> res.embedding.shape, res.query_embedding.shape
    ((12, 2), (1, 2))
    >>> # a query equal to a reference lands on it
    >>> bool(np.allclose(res.query_embedding[0], res.embedding[5], atol=1e-3))
    True
    """
    X, query = _check_map_inputs(X, y, query, method, n_components)
    n_ref = X.shape[0]
    all_spectra = X if query is None else np.vstack([X, query])
    D = pairwise_spectral_distances(all_spectra, metric=metric, energy=energy)
    rng = check_random_state(random_state)
    coords = _embed_distances(
        D, method, n_components, n_neighbors, rng.randint(np.iinfo(np.int32).max)
    )
    return Bunch(
        embedding=coords[:n_ref],
        query_embedding=None if query is None else coords[n_ref:],
        distances=D,
        target=None if y is None else np.asarray(y),
        metric=metric,
        method=method,
    )
