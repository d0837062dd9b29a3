"""Spectra clustered into a dendrogram, clusters explained by a decision tree.

Kiyohara, Miyata, Tsuda and Mizoguchi (2018) interpret a database of
core-loss spectra in two steps.  The spectra are clustered hierarchically
(the dendrogram) and the dendrogram is cut into clusters of similar spectra.
A decision tree then learns the cluster label from structural descriptors of
the sites the spectra come from (bond length, coordination number, valence,
element group, ...).  The tree's rules say which structures give which kind
of spectrum, and passing new descriptors down the tree to a cluster's
representative spectrum predicts a spectrum without a first-principles
calculation.
"""

import numbers

import numpy as np
from scipy import sparse
from scipy.cluster.hierarchy import leaves_list, linkage
from sklearn.base import BaseEstimator, RegressorMixin, _fit_context
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils._param_validation import Interval, RealNotInt, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from skspectra.metrics import get_metric
from skspectra.tree._distances import (
    _block_rows,
    condensed_euclidean,
    condensed_from_pairwise,
    medoids_from_condensed,
)
from skspectra.tree._rules import descriptor_kinds, leaf_rules, rules_text
from skspectra.utils._docstring import SEED_DOC, Substitution
from skspectra.utils.validation import check_energy

LINKAGES = ("ward", "average", "complete", "single")
# scikit-learn's tree splitter treats descriptor values closer than this
# (absolute) as equal, so a descriptor spread over less cannot be split on
_TREE_FEATURE_THRESHOLD = 1e-7


def _embedded_is_euclidean(spectral_metric):
    return (
        getattr(spectral_metric, "embed", None) is not None
        and spectral_metric.embedded_metric == "euclidean"
    )


def cut_linkage(Z, n_merges):
    """Flat labels after the first ``n_merges`` merges of a linkage matrix.

    The labels are numbered ``0, 1, ...`` in the order in which the clusters
    appear from left to right along the dendrogram's leaves, so cluster 0 is
    drawn first.
    """
    n = Z.shape[0] + 1
    children = Z[:, :2].astype(np.intp)
    # root of every node after the cut: nodes are processed from the top
    # down (a parent's id is larger than its children's), so a node's parent
    # is resolved before the node itself
    root = np.arange(2 * n - 1, dtype=np.intp)
    last = n + n_merges  # nodes with id >= last were created after the cut
    for node in range(last - 1, n - 1, -1):
        a, b = children[node - n]
        root[a] = root[node]
        root[b] = root[node]
    leaf_roots = root[:n]
    order = leaves_list(Z)
    _, first = np.unique(leaf_roots[order], return_index=True)
    ordered_roots = leaf_roots[order][np.sort(first)]
    relabel = {int(r): k for k, r in enumerate(ordered_roots)}
    return np.fromiter((relabel[int(r)] for r in leaf_roots), np.intp, n)


@Substitution(random_state=SEED_DOC)
class SpectralDendrogramTree(RegressorMixin, BaseEstimator):
    """Cluster spectra hierarchically and explain the clusters with descriptors.

    The spectra ``y`` are clustered into a dendrogram (agglomerative
    clustering under a spectral metric) which is cut into clusters.  A
    decision tree then learns, from the structural descriptors ``X`` of each
    spectrum, which cluster its spectrum belongs to.  The paths from the root
    of the tree to its leaves are the interpretation (:meth:`explain`,
    :meth:`export_text`), and descriptors passed down the tree land on a
    cluster whose representative spectrum is the prediction (:meth:`predict`),
    which makes the estimator a multi-output regressor from descriptors to
    spectra that ``GridSearchCV`` can tune with a spectral scorer.

    Ward's linkage merges, at every step, the two clusters whose union least
    increases the within-cluster sum of squares; for clusters :math:`A` and
    :math:`B` with centroids :math:`c_A, c_B` the merge height is

    .. math:: d(A, B) = \\sqrt{\\frac{2 |A| |B|}{|A| + |B|}} \\, \\|c_A - c_B\\|_2,

    as in :func:`scipy.cluster.hierarchy.linkage`.  Average, complete and
    single linkage use the distance between clusters as the mean, maximum and
    minimum pairwise spectral distance under ``metric``.

    Parameters
    ----------
    n_clusters : int or None, default=5
        Number of clusters the dendrogram is cut into: the clusters left
        after the first ``n_samples - n_clusters`` merges, so exactly
        ``n_clusters`` even when merge heights tie.  Must be None when
        ``distance_threshold`` is given.
    distance_threshold : float or None, default=None
        Cut the dendrogram at this height instead: clusters are not merged
        at or above it.  Must be None when ``n_clusters`` is given.
    linkage : {"ward", "average", "complete", "single"}, default="ward"
        Linkage criterion.  Ward's criterion is defined for Euclidean
        geometry: it is accepted for ``metric="euclidean"`` and for the
        metrics of :mod:`skspectra.metrics` whose embedding is Euclidean
        (cosine, Pearson, Hellinger, ...); Ward's method then runs on the
        embedded spectra (for cosine: the L2-normalised spectra) and the
        merge heights are Ward distances in that embedding.  Other metrics
        need average, complete or single linkage.
    metric : str or callable, default="euclidean"
        Spectral distance used to cluster, to find medoids and in
        :meth:`assign`: a name of ``skspectra.metrics.METRIC_NAMES`` or a
        function ``f(u, v, energy=None) -> float``.
    energy : array-like of shape (n_channels,) or None, default=None
        Channel energies of the spectra; used by metrics that need an energy
        axis (Wasserstein, ...) and by the plot.  None means channel index.
    representative : {"mean", "medoid"}, default="mean"
        Which spectrum of a cluster :meth:`predict` returns and :meth:`assign`
        compares with: the mean of its spectra or its medoid (the member
        spectrum with the smallest summed distance to the others).
    criterion : {"gini", "entropy", "log_loss"}, default="gini"
        Split quality criterion of the decision tree.
    max_depth : int or None, default=None
        Maximum depth of the decision tree.
    min_samples_leaf : int or float, default=1
        Minimum number (or fraction) of samples in a leaf of the tree.
    class_weight : dict, "balanced" or None, default=None
        Weights of the clusters in the tree, as in
        :class:`~sklearn.tree.DecisionTreeClassifier`.
    %(random_state)s
        Here it seeds the tree's random permutation of descriptors (which decides
        between equally good splits).

    Attributes
    ----------
    linkage_matrix_ : ndarray of shape (n_samples - 1, 4)
        The dendrogram in the format of :func:`scipy.cluster.hierarchy.linkage`.
    labels_ : ndarray of shape (n_samples,)
        Cluster of every training spectrum, numbered from left to right along
        the dendrogram's leaves.
    n_clusters_ : int
        Number of clusters.
    cluster_sizes_ : ndarray of shape (`n_clusters_`,)
        Number of training spectra in each cluster.
    cluster_means_ : ndarray of shape (`n_clusters_`, n_channels)
        Mean spectrum of each cluster.
    cluster_medoids_ : ndarray of shape (`n_clusters_`, n_channels)
        Medoid spectrum of each cluster under ``metric``.
    medoid_indices_ : ndarray of shape (`n_clusters_`,)
        Index of each cluster's medoid among the training spectra.
    cluster_spectra_ : ndarray of shape (`n_clusters_`, n_channels)
        The representative spectrum of each cluster (``cluster_means_`` or
        ``cluster_medoids_``, after ``representative``).
    classifier_ : sklearn.tree.DecisionTreeClassifier
        The decision tree fitted on the descriptors against ``labels_``.
    tree_ : sklearn.tree._tree.Tree
        ``classifier_.tree_``.
    feature_importances_ : ndarray of shape (`n_features_in_`,)
        Impurity-based importance of each descriptor in the tree.
    tree_accuracy_ : float
        Fraction of the training spectra whose descriptors lead the tree to
        their own cluster.
    n_features_in_ : int
        Number of descriptors seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the descriptors, when ``X`` has string column names.

    See Also
    --------
    scipy.cluster.hierarchy.linkage : The agglomerative clustering used.
    sklearn.tree.DecisionTreeClassifier : The decision tree used.
    sklearn.cluster.AgglomerativeClustering : Clustering alone.
    skspectra.plotting.plot_dendrogram_tree : The dendrogram, cluster spectra
        and tree in one figure.

    Notes
    -----
    Clustering needs every pairwise distance: the condensed distance array
    has ``n (n - 1) / 2`` entries (1.6 GB for 20,000 spectra in float64) and
    SciPy's nearest-neighbour-chain linkage works on a copy of it, so the
    peak memory is about twice that.  The array is filled one block of rows
    at a time (BLAS for Euclidean distances), never through the square
    matrix.

    ``y`` may be 1-D (one channel per sample); ``predict`` then returns 1-D
    predictions, as multi-output regressors of scikit-learn do.

    Missing descriptor values (NaN) are supported through the decision tree's
    own handling of missing values; the rules then say on which side of a
    test a missing value goes.  Spectra must be finite.

    References
    ----------
    .. [1] S. Kiyohara, T. Miyata, K. Tsuda and T. Mizoguchi, "Data-driven
       approach for the prediction and interpretation of core-electron loss
       spectroscopy", Sci. Rep. 8, 13548 (2018).
       :doi:`10.1038/s41598-018-30994-6`
    .. [2] J. H. Ward, "Hierarchical grouping to optimize an objective
       function", J. Am. Stat. Assoc. 58, 236-244 (1963).
       :doi:`10.1080/01621459.1963.10500845`

    Examples
    --------
    >>> from skspectra.datasets import make_descriptor_spectra
    >>> from skspectra.tree import SpectralDendrogramTree
    >>> X, Y, rule = make_descriptor_spectra(
    ...     n_samples=200, as_frame=True, random_state=0
    ... )
    >>> model = SpectralDendrogramTree(n_clusters=4, random_state=0).fit(X, Y)
    >>> model.predict(X[:3]).shape
    (3, 200)
    >>> print(model.export_text())
    cluster 0: 32 spectra, 32 of them led here by the rules
      if has_d_electrons = yes and valence >= 3 and bond_length <= 2
        (leaf of 32 training samples, 100% in cluster 0)
    cluster 1: 56 spectra, 56 of them led here by the rules
      if has_d_electrons = yes and valence >= 3 and bond_length > 2
        (leaf of 56 training samples, 100% in cluster 1)
    cluster 2: 54 spectra, 54 of them led here by the rules
      if has_d_electrons = no
        (leaf of 54 training samples, 100% in cluster 2)
    cluster 3: 58 spectra, 58 of them led here by the rules
      if has_d_electrons = yes and valence <= 2
        (leaf of 58 training samples, 100% in cluster 3)
    """

    _parameter_constraints = {
        "n_clusters": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "distance_threshold": [Interval(numbers.Real, 0, None, closed="left"), None],
        "linkage": [StrOptions(set(LINKAGES))],
        "metric": [str, callable],
        "energy": ["array-like", None],
        "representative": [StrOptions({"mean", "medoid"})],
        "criterion": [StrOptions({"gini", "entropy", "log_loss"})],
        "max_depth": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "min_samples_leaf": [
            Interval(numbers.Integral, 1, None, closed="left"),
            Interval(RealNotInt, 0.0, 1.0, closed="neither"),
        ],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        n_clusters=5,
        distance_threshold=None,
        linkage="ward",
        metric="euclidean",
        energy=None,
        representative="mean",
        criterion="gini",
        max_depth=None,
        min_samples_leaf=1,
        class_weight=None,
        random_state=None,
    ):
        self.n_clusters = n_clusters
        self.distance_threshold = distance_threshold
        self.linkage = linkage
        self.metric = metric
        self.energy = energy
        self.representative = representative
        self.criterion = criterion
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.class_weight = class_weight
        self.random_state = random_state

    def _check_spectral_metric(self):
        spectral_metric = get_metric(self.metric)
        if self.linkage == "ward" and not _embedded_is_euclidean(spectral_metric):
            name = getattr(spectral_metric, "name", self.metric)
            raise ValueError(
                f"linkage='ward' needs Euclidean geometry, but metric={name!r} has "
                "no Euclidean embedding. Use linkage='average', 'complete' or "
                "'single' with this metric, or keep linkage='ward' with "
                "metric='euclidean' or a metric whose embedding is Euclidean "
                "(such as 'cosine', 'pearson' or 'hellinger')."
            )
        return spectral_metric

    def _check_spectra(self, y, spectral_metric):
        # the distribution metrics normalise each spectrum by its total
        # (wasserstein, cramer) or clip small negative parts themselves
        # (hellinger, jensen_shannon); a total that is not positive has no
        # normalised form, so it is named here, as the spectra y
        if getattr(spectral_metric, "requires_positive_total", False):
            totals = np.sum(y, axis=1)
            if np.any(totals <= 0):
                name = getattr(spectral_metric, "name", self.metric)
                raise ValueError(
                    f"metric={name!r} compares spectra as distributions and needs "
                    f"spectra y with a positive total; spectrum "
                    f"{int(np.argmax(totals <= 0))} sums to "
                    f"{float(totals[totals <= 0][0]):.3g}."
                )

    def _condensed_distances(self, Y, spectral_metric, energy):
        """Condensed distances used by the linkage, and the map to the metric."""
        if self.linkage == "ward" or spectral_metric is get_metric("euclidean"):
            # Ward's criterion, and the Euclidean metric under any linkage:
            # Euclidean distances of the embedded spectra (the spectra
            # themselves for metric="euclidean"); medoids are taken under the
            # metric itself, through its monotone map from the embedded
            # distances
            Z = np.asarray(spectral_metric.embed(Y, energy=energy), np.float64)
            return condensed_euclidean(Z), spectral_metric.from_embedded

        def pairwise(A, B):
            return spectral_metric.pairwise(A, B, energy=energy)

        return condensed_from_pairwise(Y, pairwise), None

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Cluster the spectra ``y`` and fit the tree on the descriptors ``X``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_descriptors)
            Structural descriptors of each spectrum; column names of a
            DataFrame are kept and used in the rules.  NaN marks a missing
            value.
        y : array-like of shape (n_samples, n_channels) or (n_samples,)
            The spectra, one per row, on one energy grid.

        Returns
        -------
        self : SpectralDendrogramTree
            The fitted estimator.
        """
        if self.n_clusters is None and self.distance_threshold is None:
            raise ValueError(
                "Give either n_clusters or distance_threshold; both are None."
            )
        if self.n_clusters is not None and self.distance_threshold is not None:
            raise ValueError(
                "Give either n_clusters or distance_threshold, not both; set "
                f"n_clusters=None to cut at distance_threshold="
                f"{self.distance_threshold}."
            )
        X, y = validate_data(
            self,
            X,
            y,
            multi_output=True,
            y_numeric=True,
            ensure_all_finite="allow-nan",
            ensure_min_samples=2,
            dtype=np.float64,
        )
        if sparse.issparse(y):
            raise TypeError(
                "The spectra y must be a dense array; got a sparse matrix. "
                "Convert it with y.toarray()."
            )
        if y.ndim == 2 and y.shape[1] == 0:
            raise ValueError("The spectra y have 0 channels.")
        self._y_1d = y.ndim == 1
        Y = np.asarray(y, dtype=np.float64).reshape(y.shape[0], -1)
        n_samples, n_channels = Y.shape
        self._check_descriptor_spread(X)
        if self.n_clusters is not None and self.n_clusters > n_samples:
            raise ValueError(
                f"n_clusters={self.n_clusters} is more than the number of spectra "
                f"(n_samples={n_samples}); give at most {n_samples} clusters."
            )
        energy = check_energy(self.energy, n_channels)
        spectral_metric = self._check_spectral_metric()
        self._check_spectra(Y, spectral_metric)

        d, transform = self._condensed_distances(Y, spectral_metric, energy)
        Z = linkage(d, method=self.linkage)
        if self.n_clusters is not None:
            n_merges = n_samples - self.n_clusters
        else:
            n_merges = int(np.count_nonzero(Z[:, 2] < self.distance_threshold))
        self.linkage_matrix_ = Z
        self.labels_ = cut_linkage(Z, n_merges)
        self.n_clusters_ = n_samples - n_merges
        k = self.n_clusters_

        self.cluster_sizes_ = np.bincount(self.labels_, minlength=k)
        order = np.argsort(self.labels_, kind="stable")
        starts = np.concatenate([[0], np.cumsum(self.cluster_sizes_)[:-1]])
        sums = np.add.reduceat(Y[order], starts, axis=0)
        self.cluster_means_ = sums / self.cluster_sizes_[:, None]
        self.medoid_indices_ = medoids_from_condensed(
            d, n_samples, self.labels_, k, transform
        )
        del d
        self.cluster_medoids_ = Y[self.medoid_indices_].copy()
        self.cluster_spectra_ = (
            self.cluster_means_
            if self.representative == "mean"
            else self.cluster_medoids_
        )

        self.classifier_ = DecisionTreeClassifier(
            criterion=self.criterion,
            max_depth=self.max_depth,
            min_samples_leaf=self.min_samples_leaf,
            class_weight=self.class_weight,
            random_state=self.random_state,
        ).fit(X, self.labels_)
        home = self.classifier_.predict(X) == self.labels_
        self.tree_accuracy_ = float(np.mean(home))
        self._reproduced = np.bincount(self.labels_[home], minlength=k)
        self._kinds = descriptor_kinds(X)
        self._has_missing = np.isnan(X).any(axis=0)
        self._energy = energy
        self._spectral_metric = spectral_metric
        return self

    def _check_descriptor_spread(self, X):
        """Refuse a descriptor that varies, but too little for the tree to see."""
        finite = np.isfinite(X)
        high = np.where(finite, X, -np.inf).max(axis=0)
        low = np.where(finite, X, np.inf).min(axis=0)
        with np.errstate(invalid="ignore"):
            spread = high - low
        narrow = (spread > 0) & (spread <= _TREE_FEATURE_THRESHOLD)
        if narrow.any():
            j = int(np.flatnonzero(narrow)[0])
            names = getattr(self, "feature_names_in_", None)
            name = f" ({names[j]!r})" if names is not None else ""
            raise ValueError(
                f"descriptor {j}{name} of X varies by only {spread[j]:g}; the "
                f"decision tree treats differences below "
                f"{_TREE_FEATURE_THRESHOLD:g} as none and could not split on it "
                f"({int(narrow.sum())} descriptors in all). Express it in larger "
                "units."
            )

    @property
    def tree_(self):
        """The fitted ``sklearn.tree`` ``Tree`` (``classifier_.tree_``)."""
        check_is_fitted(self)
        return self.classifier_.tree_

    @property
    def feature_importances_(self):
        """Impurity-based importance of each descriptor in the tree."""
        check_is_fitted(self)
        return self.classifier_.feature_importances_

    def _descriptors(self, X):
        check_is_fitted(self)
        return validate_data(
            self, X, reset=False, ensure_all_finite="allow-nan", dtype=np.float64
        )

    def predict_cluster(self, X):
        """Cluster that the descriptors ``X`` lead to in the tree.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_descriptors)
            Descriptors.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Cluster index of each sample.
        """
        X = self._descriptors(X)
        return self.classifier_.predict(X)

    def predict(self, X):
        """Predict spectra: the representative spectrum of the predicted cluster.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_descriptors)
            Descriptors.

        Returns
        -------
        spectra : ndarray of shape (n_samples, n_channels) or (n_samples,)
            Predicted spectra (1-D when the model was fitted on a 1-D ``y``).
        """
        labels = self.predict_cluster(X)
        spectra = self.cluster_spectra_[labels]
        return spectra[:, 0] if self._y_1d else spectra

    def assign(self, spectra):
        """Place spectra in the cluster with the nearest representative spectrum.

        Measured spectra can so be interpreted: the rules of the cluster they
        fall in (:meth:`explain`) describe the structures whose spectra look
        like them.

        Parameters
        ----------
        spectra : array-like of shape (n_spectra, n_channels)
            Spectra on the energy grid of the training spectra.

        Returns
        -------
        labels : ndarray of shape (n_spectra,)
            Cluster whose representative (``cluster_spectra_``) is nearest to
            each spectrum under ``metric``.
        """
        check_is_fitted(self)
        from sklearn.utils import check_array

        Y = check_array(spectra, dtype=np.float64, ensure_2d=not self._y_1d)
        if Y.ndim == 1:
            Y = Y.reshape(-1, 1)
        n_channels = self.cluster_spectra_.shape[1]
        if Y.shape[1] != n_channels:
            raise ValueError(
                f"The spectra have {Y.shape[1]} channels but the model was fitted "
                f"on spectra with {n_channels}; they must share one energy grid."
            )
        self._check_spectra(Y, self._spectral_metric)
        labels = np.empty(Y.shape[0], dtype=np.intp)
        rows = _block_rows(self.n_clusters_)
        for s in range(0, Y.shape[0], rows):
            D = self._spectral_metric.pairwise(
                Y[s : s + rows], self.cluster_spectra_, energy=self._energy
            )
            labels[s : s + rows] = np.argmin(D, axis=1)
        return labels

    def _feature_names(self):
        if hasattr(self, "feature_names_in_"):
            return [str(name) for name in self.feature_names_in_]
        return [f"x{i}" for i in range(self.n_features_in_)]

    def explain(self):
        """Descriptor rules that lead to each cluster, one per leaf of the tree.

        Returns
        -------
        rules : list of dict
            Sorted by cluster, then by decreasing number of training samples.
            Each dict has ``cluster``; ``conditions``, a list of
            ``(descriptor, op, value)`` with ``op`` one of ``"<="``, ``">"``
            and ``"=="`` (``"=="`` for 0/1 descriptors), ``"missing"``
            (value True: the descriptor is missing; False: it is known) or
            ``"or missing"`` (a missing value also leads here); ``text``, the rule
            in words; ``n_samples``, the number of training samples reaching
            the leaf; and ``purity``, the fraction of those in ``cluster``.
        """
        check_is_fitted(self)
        return leaf_rules(
            self.classifier_.tree_,
            self._feature_names(),
            self._kinds,
            self.classifier_.classes_,
            self._has_missing,
        )

    def export_text(self):
        """The rules of :meth:`explain`, grouped by cluster, as plain text.

        Returns
        -------
        text : str
            One block per cluster: its size, how many of its training
            spectra the rules lead back to it, and each rule with the number
            of training samples it covers.
        """
        check_is_fitted(self)
        return rules_text(
            self.explain(), self.n_clusters_, self.cluster_sizes_, self._reproduced
        )

    def plot(self, **kwargs):
        """Draw the dendrogram, cluster spectra and tree in one figure.

        Shortcut for :func:`skspectra.plotting.plot_dendrogram_tree`; needs
        matplotlib (``pip install skspectra[plot]``).

        Parameters
        ----------
        **kwargs : dict
            Passed on to :func:`skspectra.plotting.plot_dendrogram_tree`.

        Returns
        -------
        fig : matplotlib.figure.Figure
            The figure drawn.
        """
        from skspectra.plotting import plot_dendrogram_tree

        return plot_dendrogram_tree(self, **kwargs)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.target_tags.required = True
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags
