"""The dendrogram, the spectra of each cluster and the decision tree in one figure.

The figure of a fitted :class:`~skspectra.tree.SpectralDendrogramTree` is
drawn in stages: the layout, the dendrogram, the spectra of each cluster
beside its branch, and the decision tree with its leaves coloured by
cluster.
"""

import numpy as np
from scipy.cluster.hierarchy import dendrogram
from sklearn.utils.validation import _check_feature_names_in, check_is_fitted

from skspectra.plotting._matplotlib import import_pyplot
from skspectra.utils.validation import check_energy

# scipy's dendrogram draws leaf i at 10 * i + 5 in its own drawing units
_LEAF_SPACING = 10.0
# a cluster's spectra fill its leaves' band less this much on either side,
# so that neighbouring clusters stay apart
_BAND_MARGIN = 4.0
# links above the cut join clusters: drawn in one neutral colour
_ABOVE_CUT_COLOR = "#444444"
# room left of the spectra and, for the cluster labels, right of them, as
# fractions of the energy span
_LEFT_ROOM, _LABEL_ROOM = 0.02, 0.14
# opacity of the members' thin lines and of the tree's leaf boxes
_MEMBER_ALPHA, _LEAF_BOX_ALPHA = 0.25, 0.35


def _first_leaf(Z, node):
    """One original sample under ``node`` of a linkage matrix."""
    n = Z.shape[0] + 1
    while node >= n:
        node = int(Z[node - n, 0])
    return node


def _cluster_colors(plt, k):
    """One colour per cluster, as RGBA rows and as hex strings."""
    colors = plt.get_cmap("tab10" if k <= 10 else "tab20")(np.arange(k) % 20)
    hex_colors = [
        "#{:02x}{:02x}{:02x}".format(*(int(255 * c) for c in rgba[:3]))
        for rgba in colors
    ]
    return colors, hex_colors


def _layout(plt, figsize):
    """Figure with the dendrogram and spectra on top and the tree below."""
    if figsize is None:
        figsize = (12.0, 9.0)
    fig = plt.figure(figsize=figsize, layout="constrained")
    grid = fig.add_gridspec(2, 2, width_ratios=[1.0, 1.6], height_ratios=[1.2, 1.0])
    ax_dendro = fig.add_subplot(grid[0, 0])
    ax_spectra = fig.add_subplot(grid[0, 1], sharey=ax_dendro)
    ax_tree = fig.add_subplot(grid[1, :])
    return fig, ax_dendro, ax_spectra, ax_tree


def _draw_dendrogram(ax, model, hex_colors, max_leaves):
    """Dendrogram with the links of each cluster in its colour, and the cut.

    Returns
    -------
    leaf_cluster : ndarray of shape (n_leaves_drawn,)
        Cluster of each drawn leaf, from the bottom up.
    """
    Z = model.linkage_matrix_
    labels = model.labels_
    n = Z.shape[0] + 1
    k = model.n_clusters_
    n_merges = n - k

    def link_color(node):
        # a node merged before the cut lies within one cluster
        if node - n < n_merges:
            return hex_colors[labels[_first_leaf(Z, node)]]
        return _ABOVE_CUT_COLOR

    p = min(n, max(max_leaves, k))
    info = dendrogram(
        Z,
        orientation="left",
        truncate_mode="lastp" if p < n else None,
        p=p,
        no_labels=True,
        link_color_func=link_color,
        ax=ax,
    )
    heights = Z[:, 2]
    if 1 <= n_merges < n - 1:
        cut = 0.5 * (heights[n_merges - 1] + heights[n_merges])
        ax.axvline(cut, color="0.3", linestyle="--", linewidth=1)
    ax.set_xlabel("merge height")
    ax.set_title("dendrogram of the spectra")
    ax.invert_xaxis()
    return np.array([labels[_first_leaf(Z, leaf)] for leaf in info["leaves"]])


def _check_spectra(spectra, n_samples, n_channels):
    """The training spectra as a float array, or None."""
    if spectra is None:
        return None
    spectra = np.asarray(spectra, dtype=np.float64).reshape(n_samples, -1)
    if spectra.shape[1] != n_channels:
        raise ValueError(
            f"spectra have {spectra.shape[1]} channels; the model was fitted "
            f"on {n_channels}."
        )
    return spectra


def _draw_cluster_spectra(
    ax,
    model,
    *,
    energy,
    leaf_cluster,
    spectra,
    hex_colors,
    spectra_per_cluster,
    rng,
    energy_label,
):
    """Each cluster's spectra in the band of its leaves, and its label."""
    positions = _LEAF_SPACING * np.arange(len(leaf_cluster)) + _LEAF_SPACING / 2
    for c in range(model.n_clusters_):
        band = positions[leaf_cluster == c]
        low, high = band.min() - _BAND_MARGIN, band.max() + _BAND_MARGIN
        representative = model.cluster_spectra_[c]
        if spectra is None:
            members = np.vstack([model.cluster_means_[c], model.cluster_medoids_[c]])
        else:
            idx = np.flatnonzero(model.labels_ == c)
            if idx.size > spectra_per_cluster:
                idx = rng.choice(idx, spectra_per_cluster, replace=False)
            members = spectra[idx]
        lo = min(members.min(), representative.min())
        hi = max(members.max(), representative.max())
        scale = (high - low) / (hi - lo) if hi > lo else 1.0
        for spectrum in members:
            ax.plot(
                energy,
                low + (spectrum - lo) * scale,
                color=hex_colors[c],
                alpha=_MEMBER_ALPHA,
                linewidth=0.6,
            )
        ax.plot(energy, low + (representative - lo) * scale, color=hex_colors[c], lw=2)
        ax.text(
            energy[-1],
            0.5 * (low + high),
            f" cluster {c}\n n={model.cluster_sizes_[c]}",
            va="center",
            fontsize=8,
            color=hex_colors[c],
        )
    if energy_label is None:
        energy_label = "channel" if model.energy is None else "energy (eV)"
    ax.set_xlabel(energy_label)
    ax.set_title(f"spectra of each cluster ({model.representative} thick)")
    ax.tick_params(axis="y", left=False, labelleft=False)
    span = energy[-1] - energy[0]
    ax.set_xlim(energy[0] - _LEFT_ROOM * span, energy[-1] + _LABEL_ROOM * span)


def _draw_tree(ax, model, colors, tree_max_depth):
    """The decision tree on the descriptors, each leaf coloured by cluster."""
    from sklearn.tree import plot_tree

    classifier = model.classifier_
    boxes = plot_tree(
        classifier,
        feature_names=list(_check_feature_names_in(model, None)),
        class_names=[f"cluster {c}" for c in classifier.classes_],
        filled=False,
        impurity=False,
        max_depth=tree_max_depth,
        rounded=True,
        fontsize=8,
        ax=ax,
    )
    tree = classifier.tree_
    # node boxes (the True/False edge labels have no box)
    boxes = [box for box in boxes if box.get_bbox_patch() is not None]
    if len(boxes) == tree.node_count:
        # the boxes come in the order of the node ids (depth first)
        for node, box in enumerate(boxes):
            if tree.children_left[node] == -1:
                c = int(classifier.classes_[np.argmax(tree.value[node, 0])])
                face = (*colors[c][:3], _LEAF_BOX_ALPHA)
                box.set_bbox({"boxstyle": "round", "fc": face, "ec": "0.2"})
    ax.set_title("decision tree on the descriptors")


def plot_dendrogram_tree(
    model,
    spectra=None,
    *,
    energy=None,
    max_leaves=60,
    spectra_per_cluster=30,
    tree_max_depth=None,
    figsize=None,
    random_state=0,
    energy_label=None,
    title=None,
):
    """Draw a fitted SpectralDendrogramTree: dendrogram, spectra and tree.

    The top row shows the dendrogram (leaves on the left, coloured by
    cluster, the cut drawn as a dashed line) and, beside each cluster's
    branch, its spectra (thin) with the representative spectrum (thick).
    The bottom row shows the decision tree on the descriptors whose leaves
    are the clusters, as in Fig. 1 of Kiyohara et al. (2018).

    Parameters
    ----------
    model : SpectralDendrogramTree
        A fitted model.
    spectra : array-like of shape (n_samples, n_channels) or None, default=None
        The training spectra, to draw the members of each cluster beside its
        representative; None draws each cluster's mean and medoid only.
    energy : array-like of shape (n_channels,) or None, default=None
        Energy axis of the spectra; default: the model's ``energy``, or the
        channel index.
    max_leaves : int, default=60
        Largest number of dendrogram leaves drawn; larger dendrograms are
        truncated to their last merged nodes (each still within one cluster).
    spectra_per_cluster : int, default=30
        Largest number of member spectra drawn per cluster (a random subset)
        when ``spectra`` is given.
    tree_max_depth : int or None, default=None
        Depth to which the decision tree is drawn.
    figsize : tuple of float or None, default=None
        Figure size in inches.
    random_state : int, default=0
        Seed of the choice of the member spectra drawn.
    energy_label : str, default=None
        Label of the spectra's energy axis, with its unit; default:
        ``"energy (eV)"`` when the model has an energy axis, else
        ``"channel"``.
    title : str, default=None
        Title of the figure (the data set, for example); default: none.

    Returns
    -------
    fig : matplotlib.figure.Figure
        The figure.

    Raises
    ------
    ImportError
        If matplotlib is not installed (``pip install skspectra[plot]``).

    See Also
    --------
    skspectra.tree.SpectralDendrogramTree.plot : The same figure.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skspectra.datasets import make_descriptor_spectra
    >>> from skspectra.plotting import plot_dendrogram_tree
    >>> from skspectra.tree import SpectralDendrogramTree
    >>> X, Y, rule = make_descriptor_spectra(n_samples=60, random_state=0)
    >>> model = SpectralDendrogramTree(n_clusters=4).fit(X, Y)
    >>> fig = plot_dendrogram_tree(model, Y)
    >>> len(fig.axes)
    3
    """
    plt = import_pyplot()
    check_is_fitted(model)
    n_samples = model.linkage_matrix_.shape[0] + 1
    n_channels = model.cluster_spectra_.shape[1]
    energy = check_energy(model.energy if energy is None else energy, n_channels)
    spectra = _check_spectra(spectra, n_samples, n_channels)
    colors, hex_colors = _cluster_colors(plt, model.n_clusters_)
    fig, ax_dendro, ax_spectra, ax_tree = _layout(plt, figsize)
    leaf_cluster = _draw_dendrogram(ax_dendro, model, hex_colors, max_leaves)
    _draw_cluster_spectra(
        ax_spectra,
        model,
        energy=energy,
        leaf_cluster=leaf_cluster,
        spectra=spectra,
        hex_colors=hex_colors,
        spectra_per_cluster=spectra_per_cluster,
        rng=np.random.RandomState(random_state),
        energy_label=energy_label,
    )
    _draw_tree(ax_tree, model, colors, tree_max_depth)
    if title:
        fig.suptitle(title)
    return fig
