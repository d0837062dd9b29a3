"""The dendrogram, the spectra of each cluster and the decision tree in one figure.

matplotlib is imported only when a figure is drawn, so that the rest of the
package works without it.
"""

import numpy as np
from scipy.cluster.hierarchy import dendrogram
from sklearn.utils.validation import check_is_fitted

from skspectra.utils.validation import check_energy


def _import_pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            "plot_dendrogram_tree needs matplotlib; install it with "
            "`pip install skspectra[plot]`."
        ) from exc
    return plt


def _first_leaf(Z, node):
    """One original sample under ``node`` of a linkage matrix."""
    n = Z.shape[0] + 1
    while node >= n:
        node = int(Z[node - n, 0])
    return node


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

    Returns
    -------
    fig : matplotlib.figure.Figure
        The figure.

    Raises
    ------
    ImportError
        If matplotlib is not installed (``pip install skspectra[plot]``).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skspectra.datasets import make_descriptor_spectra
    >>> from skspectra.tree import SpectralDendrogramTree, plot_dendrogram_tree
    >>> X, Y, rule = make_descriptor_spectra(n_samples=60, random_state=0)
    >>> model = SpectralDendrogramTree(n_clusters=4).fit(X, Y)
    >>> fig = plot_dendrogram_tree(model, Y)
    >>> len(fig.axes)
    3
    """
    plt = _import_pyplot()
    from sklearn.tree import plot_tree

    check_is_fitted(model)
    Z = model.linkage_matrix_
    n = Z.shape[0] + 1
    k = model.n_clusters_
    labels = model.labels_
    n_channels = model.cluster_spectra_.shape[1]
    if energy is None:
        energy = model.energy
    energy = check_energy(energy, n_channels)

    colors = plt.get_cmap("tab10" if k <= 10 else "tab20")(np.arange(k) % 20)
    hex_colors = [
        "#{:02x}{:02x}{:02x}".format(*(int(255 * c) for c in rgba[:3]))
        for rgba in colors
    ]
    n_merges = n - k

    def link_color(node):
        # a node merged before the cut lies within one cluster
        if node - n < n_merges:
            return hex_colors[labels[_first_leaf(Z, node)]]
        return "#444444"

    if figsize is None:
        figsize = (12.0, 9.0)
    fig = plt.figure(figsize=figsize, layout="constrained")
    grid = fig.add_gridspec(2, 2, width_ratios=[1.0, 1.6], height_ratios=[1.2, 1.0])
    ax_dendro = fig.add_subplot(grid[0, 0])
    ax_spectra = fig.add_subplot(grid[0, 1], sharey=ax_dendro)
    ax_tree = fig.add_subplot(grid[1, :])

    p = min(n, max(max_leaves, k))
    info = dendrogram(
        Z,
        orientation="left",
        truncate_mode="lastp" if p < n else None,
        p=p,
        no_labels=True,
        link_color_func=link_color,
        ax=ax_dendro,
    )
    heights = Z[:, 2]
    if 1 <= n_merges < n - 1:
        cut = 0.5 * (heights[n_merges - 1] + heights[n_merges])
        ax_dendro.axvline(cut, color="0.3", linestyle="--", linewidth=1)
    ax_dendro.set_xlabel("merge height")
    ax_dendro.set_title("dendrogram of the spectra")
    ax_dendro.invert_xaxis()

    # y band of each cluster: its leaves sit at 5, 15, 25, ... in drawing units
    leaf_cluster = np.array([labels[_first_leaf(Z, leaf)] for leaf in info["leaves"]])
    positions = 10.0 * np.arange(len(leaf_cluster)) + 5.0
    rng = np.random.RandomState(random_state)
    if spectra is not None:
        spectra = np.asarray(spectra, dtype=np.float64).reshape(n, -1)
        if spectra.shape[1] != n_channels:
            raise ValueError(
                f"spectra have {spectra.shape[1]} channels; the model was fitted "
                f"on {n_channels}."
            )
    for c in range(k):
        band = positions[leaf_cluster == c]
        low, high = band.min() - 4.0, band.max() + 4.0
        representative = model.cluster_spectra_[c]
        if spectra is None:
            members = np.vstack([model.cluster_means_[c], model.cluster_medoids_[c]])
        else:
            idx = np.flatnonzero(labels == c)
            if idx.size > spectra_per_cluster:
                idx = rng.choice(idx, spectra_per_cluster, replace=False)
            members = spectra[idx]
        lo = min(members.min(), representative.min())
        hi = max(members.max(), representative.max())
        scale = (high - low) / (hi - lo) if hi > lo else 1.0
        for spectrum in members:
            ax_spectra.plot(
                energy,
                low + (spectrum - lo) * scale,
                color=hex_colors[c],
                alpha=0.25,
                linewidth=0.6,
            )
        ax_spectra.plot(
            energy, low + (representative - lo) * scale, color=hex_colors[c], lw=2
        )
        ax_spectra.text(
            energy[-1],
            0.5 * (low + high),
            f" cluster {c}\n n={model.cluster_sizes_[c]}",
            va="center",
            fontsize=8,
            color=hex_colors[c],
        )
    ax_spectra.set_xlabel("energy" if model.energy is None else "energy (eV)")
    ax_spectra.set_title(f"spectra of each cluster ({model.representative} thick)")
    ax_spectra.tick_params(axis="y", left=False, labelleft=False)

    span = energy[-1] - energy[0]
    ax_spectra.set_xlim(energy[0] - 0.02 * span, energy[-1] + 0.14 * span)
    boxes = plot_tree(
        model.classifier_,
        feature_names=model._feature_names(),
        class_names=[f"cluster {c}" for c in model.classifier_.classes_],
        filled=False,
        impurity=False,
        max_depth=tree_max_depth,
        rounded=True,
        fontsize=8,
        ax=ax_tree,
    )
    tree = model.classifier_.tree_
    # node boxes (the True/False edge labels have no box)
    boxes = [box for box in boxes if box.get_bbox_patch() is not None]
    if len(boxes) == tree.node_count:
        # the boxes come in the order of the node ids (depth first): colour
        # each leaf like its cluster in the dendrogram
        for node, box in enumerate(boxes):
            if tree.children_left[node] == -1:
                c = int(model.classifier_.classes_[np.argmax(tree.value[node, 0])])
                box.set_bbox(
                    {"boxstyle": "round", "fc": (*colors[c][:3], 0.35), "ec": "0.2"}
                )
    ax_tree.set_title("decision tree on the descriptors")
    return fig
