"""Material parameters from the most similar reference spectra.

The estimate of a measured spectrum is a weighted mean (regression) or a
weighted vote (classification) over its ``k`` nearest reference spectra under
a spectral similarity measure, following Suzuki, Hino, Kotsugi & Ono (2019).
The estimators validate their input and choose the search's parameters; the
exact neighbour search itself is :func:`skspectra.neighbors._search.build_index`
(which runs in the metric's embedded space, so that the built-in metrics
never call a Python function per pair of spectra).
"""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, _fit_context
from sklearn.utils import check_array
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from skspectra.metrics import METRIC_NAMES, get_metric
from skspectra.neighbors._search import build_index
from skspectra.utils._docstring import CHANNELS_IN_DOC, Substitution
from skspectra.utils.validation import check_energy, is_dask_array

__all__ = ["SimilarityKNNClassifier", "SimilarityKNNEstimator"]


def _neighbor_weights(dist, weights, bandwidth):
    """Weights of the neighbours of each query, shape (n_queries, k)."""
    dist = np.asarray(dist, dtype=np.float64)
    if weights == "uniform":
        return np.ones_like(dist)
    if weights == "distance":
        # as scikit-learn: a query that coincides with references takes the
        # mean over those references only
        with np.errstate(divide="ignore"):
            w = 1.0 / dist
        inf_rows = np.isinf(w).any(axis=1)
        w[inf_rows] = np.isinf(w[inf_rows]).astype(np.float64)
        return w
    if weights == "gaussian":
        if bandwidth is None:
            h = dist.max(axis=1, keepdims=True)
        else:
            h = np.full((dist.shape[0], 1), float(bandwidth))
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.where(h > 0, dist / h, 0.0)
        w = np.exp(-0.5 * z**2)
        empty = w.sum(axis=1) == 0
        if np.any(empty):
            # every neighbour lies many bandwidths away: fall back on the
            # nearest reference(s) of that query
            d = dist[empty]
            w[empty] = (d == d.min(axis=1, keepdims=True)).astype(np.float64)
        return w
    w = np.asarray(weights(dist), dtype=np.float64)
    if w.shape != dist.shape:
        raise ValueError(
            f"the weights callable returned shape {w.shape}; expected {dist.shape}."
        )
    return w


class _SimilarityNeighborsBase(BaseEstimator):
    """Reference library, metric and exact neighbour search shared by both."""

    _parameter_constraints = {
        "n_neighbors": [Interval(Integral, 1, None, closed="left")],
        "metric": [StrOptions(set(METRIC_NAMES)), callable],
        "weights": [StrOptions({"uniform", "distance", "gaussian"}), callable],
        "bandwidth": [Interval(Real, 0, None, closed="neither"), None],
        "energy": ["array-like", None],
        "algorithm": [StrOptions({"auto", "brute"})],
        "chunk_size": [Interval(Integral, 1, None, closed="left"), None],
        "n_jobs": [Integral, None],
    }

    def __init__(
        self,
        *,
        n_neighbors=5,
        metric="euclidean",
        weights="uniform",
        bandwidth=None,
        energy=None,
        algorithm="auto",
        chunk_size=None,
        n_jobs=None,
    ):
        self.n_neighbors = n_neighbors
        self.metric = metric
        self.weights = weights
        self.bandwidth = bandwidth
        self.energy = energy
        self.algorithm = algorithm
        self.chunk_size = chunk_size
        self.n_jobs = n_jobs

    # -- fitting -------------------------------------------------------------

    def _fit_library(self, X, y, *, y_numeric):
        """Validate and index the reference library; return the 2-D targets."""
        if is_dask_array(X):
            X, y = self._validate_dask_library(X, y)
        else:
            X, y = validate_data(
                self,
                X,
                y,
                dtype=[np.float64, np.float32],
                multi_output=True,
                y_numeric=y_numeric,
            )
        n_samples, n_features = X.shape
        if n_samples < self.n_neighbors:
            raise ValueError(
                f"n_neighbors={self.n_neighbors} but the reference library X has "
                f"only n_samples = {n_samples}; give at least n_neighbors "
                "reference spectra or lower n_neighbors."
            )
        self.energy_ = check_energy(self.energy, n_features)
        self._index = build_index(
            self.metric,
            X,
            energy=self.energy_,
            algorithm=self.algorithm,
            chunk_size=self.chunk_size,
            n_jobs=self.n_jobs,
        )
        self.n_samples_fit_ = n_samples
        y = np.asarray(y)
        self._y_1d = y.ndim == 1
        return y.reshape(n_samples, -1)

    def _validate_dask_library(self, X, y):
        if X.ndim != 2:
            raise ValueError(
                f"Expected a 2-D array of spectra; got a dask array of shape {X.shape}."
            )
        if any(np.isnan(c) for c in X.shape):
            raise ValueError(
                "the dask array has unknown chunk sizes; call "
                "X.compute_chunk_sizes() first."
            )
        if len(X.chunks[1]) != 1:
            X = X.rechunk({1: -1})
        if X.dtype not in (np.float32, np.float64):
            X = X.astype(np.float64)
        y = check_array(y, ensure_2d=False, dtype=None)
        if y.shape[0] != X.shape[0]:
            raise ValueError(
                f"X has {X.shape[0]} spectra but y has {y.shape[0]} values."
            )
        self.n_features_in_ = int(X.shape[1])
        return X, y

    def kneighbors(self, X=None, n_neighbors=None, return_distance=True):
        """Find the nearest reference spectra of each spectrum.

        Parameters
        ----------
        X : array-like of shape (n_queries, n_channels), default=None
            Query spectra on the reference energy grid.  ``None`` queries the
            reference library itself, each spectrum not being its own
            neighbour.
        n_neighbors : int, default=None
            Number of neighbours; ``None`` uses the constructor's value.
        return_distance : bool, default=True
            Whether to return the distances.

        Returns
        -------
        neigh_dist : ndarray of shape (n_queries, n_neighbors)
            Distances under ``metric`` (not the embedded space), ascending.
            Only returned if ``return_distance=True``.
        neigh_ind : ndarray of shape (n_queries, n_neighbors)
            Indices of the nearest reference spectra.
        """
        check_is_fitted(self)
        k = self.n_neighbors if n_neighbors is None else n_neighbors
        if not isinstance(k, Integral) or k < 1:
            raise ValueError(f"n_neighbors must be a positive integer; got {k!r}.")
        query_is_train = X is None
        n_ref = self.n_samples_fit_
        k_search = k + 1 if query_is_train else k
        if k_search > n_ref:
            extra = " (one more: each spectrum is excluded)" if query_is_train else ""
            raise ValueError(
                f"Expected n_neighbors <= n_samples_fit, but n_neighbors = "
                f"{k_search}{extra} and n_samples_fit = {n_ref} reference spectra."
            )
        if query_is_train:
            dist, ind = self._index.query_library(k)
        else:
            X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
            dist, ind = self._index.query(X, k)
        if return_distance:
            return dist, ind
        return ind

    def _weights_of(self, X):
        dist, ind = self.kneighbors(X)
        return _neighbor_weights(dist, self.weights, self.bandwidth), ind

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        name = self.metric if isinstance(self.metric, str) else None
        if name is not None:
            tags.input_tags.positive_only = bool(
                get_metric(name).requires_positive_total
            )
        return tags


_DOC_PARAMS = """n_neighbors : int, default=5
    Number of nearest reference spectra that make the estimate.
metric : str or callable, default="euclidean"
    Spectral distance, a name of :data:`skspectra.metrics.METRIC_NAMES`
    ("euclidean", "cityblock", "cosine", "pearson", "spectral_angle",
    "wasserstein", "cramer", "hellinger", "jensen_shannon",
    "derivative") or a callable ``f(u, v, energy=None) -> float``.  Named
    metrics with an embedding are searched in their embedded space with
    compiled code; a callable is evaluated per pair.  The default is
    defined for every spectrum; ``"cosine"`` and ``"pearson"`` ignore
    the intensity scale, and the distribution metrics (``"wasserstein"``
    ...) compare the spectra as normalised intensity distributions.
weights : {"uniform", "distance", "gaussian"} or callable, default="uniform"
    Weight of each neighbour: equal; ``1 / d`` (a query equal to
    references takes their mean); ``exp(-d**2 / (2 h**2))``, the
    similarity-weighted estimate; or a callable mapping the array of
    distances to an array of weights of the same shape.
bandwidth : float, default=None
    The kernel width ``h`` of ``weights="gaussian"``, in units of the
    metric.  ``None`` takes, per query, the distance to its
    ``n_neighbors``-th nearest reference (an adaptive width).
energy : array-like of shape (n_channels,), default=None
    Channel energies, passed to metrics that use them (Wasserstein and
    Cramer distances integrate over energy).  ``None`` is the channel
    index.
algorithm : {"auto", "brute"}, default="auto"
    ``"auto"`` prunes the search with exact lower bounds where they pay
    off (a projection on the library's leading singular vectors for
    Euclidean embeddings of large libraries, block sums of cumulative
    spectra for the Wasserstein distance); ``"brute"`` scores every pair.
    Both return the same neighbours.
chunk_size : int, default=None
    Reference spectra compared at once; peak memory is about
    ``chunk_size`` times the query batch, never queries x references.
    ``None`` chooses chunks of about 32 MiB of the library.
n_jobs : int, default=None
    Threads over query batches.  ``None`` means one Python thread, with
    the BLAS product using its own threads; ``-1`` uses all processors."""

# what both estimators learn in fit, after their own attributes
_DOC_FITTED = f"""energy_ : ndarray of shape (n_channels,)
    The validated energy axis.
n_samples_fit_ : int
    Number of reference spectra.
{CHANNELS_IN_DOC}"""

# the paper both estimators and similarity_map follow
SUZUKI_2019 = """\
.. [1] Y. Suzuki, H. Hino, M. Kotsugi and K. Ono, "Automated estimation of
   materials parameter from X-ray absorption and electron energy-loss
   spectra with similarity measures", npj Comput. Mater. 5, 39 (2019).
   :doi:`10.1038/s41524-019-0176-1`"""

_DOC_LIBRARY = """X : array-like or dask array of shape (n_references, n_channels)
    Reference spectra on one energy grid."""

_DOCS = {
    "params": _DOC_PARAMS,
    "fitted": _DOC_FITTED,
    "reference": SUZUKI_2019,
    "library": _DOC_LIBRARY,
}


@Substitution(**_DOCS)
class SimilarityKNNEstimator(RegressorMixin, _SimilarityNeighborsBase):
    r"""Estimate material parameters from the most similar reference spectra.

    For a measured spectrum :math:`x`, the ``k`` reference spectra
    :math:`r_j` nearest under a spectral distance :math:`d` give the estimate

    .. math:: \hat y(x) = \frac{\sum_{j=1}^k w_j\, y_j}{\sum_{j=1}^k w_j},

    with :math:`w_j = 1`, :math:`w_j = 1/d(x, r_j)` or the similarity weight
    :math:`w_j = \exp(-d(x, r_j)^2 / 2h^2)`.  Targets may be several
    parameters at once (valence, crystal-field splitting 10Dq, ...).  The
    search is exact and runs where the metric is an ordinary distance: cosine
    and Pearson distances are Euclidean distances of normalised spectra
    (scored by one matrix product per block), the 1-D Wasserstein distance is
    the L1 distance of cumulative spectra (pruned by multi-resolution lower
    bounds before any full distance is computed).

    Parameters
    ----------
    %(params)s

    Attributes
    ----------
    %(fitted)s

    See Also
    --------
    SimilarityKNNClassifier : The same for categorical labels.
    similarity_map : A 2-D map of a library under a spectral distance.
    sklearn.neighbors.KNeighborsRegressor : Neighbour regression on a
        scikit-learn metric.

    Notes
    -----
    ``fit`` accepts a Dask array as the library: its blocks are then read,
    embedded and searched one at a time, so the library need not fit in
    memory.  The distribution metrics need spectra of positive total:
    Wasserstein and Cramer accept signed spectra (normalised by their
    total), Hellinger and Jensen-Shannon clip negative values that are noise
    about a zero baseline and reject larger negative parts (see
    :func:`skspectra.metrics.hellinger`).

    References
    ----------
    %(reference)s

    Examples
    --------
    >>> import numpy as np
    >>> from skspectra.neighbors import SimilarityKNNEstimator
    >>> energy = np.linspace(0.0, 10.0, 50)
    >>> shift = np.linspace(3.0, 7.0, 41)
    >>> X = 1.0 / (1.0 + np.exp(-(energy - shift[:, None]) * 3.0)) + 0.1
    >>> est = SimilarityKNNEstimator(n_neighbors=2, metric="wasserstein",
    ...                              energy=energy).fit(X, shift)
    >>> query = 1.0 / (1.0 + np.exp(-(energy - 4.55) * 3.0)) + 0.1
    >>> round(float(est.predict(query[None])[0]), 2)
    4.55
    """

    @Substitution(**_DOCS)
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Store the reference spectra and their parameters.

        Parameters
        ----------
        %(library)s
        y : array-like of shape (n_references,) or (n_references, n_targets)
            Their parameters.

        Returns
        -------
        self : SimilarityKNNEstimator
            The fitted estimator.
        """
        y = self._fit_library(X, y, y_numeric=True)
        self._y = y.astype(np.float64)
        return self

    def predict(self, X):
        """Weighted mean of the parameters of the nearest references.

        Parameters
        ----------
        X : array-like of shape (n_queries, n_channels)
            Spectra on the reference energy grid.

        Returns
        -------
        y : ndarray of shape (n_queries,) or (n_queries, n_targets)
            Estimated parameters.
        """
        w, ind = self._weights_of(X)
        y = np.einsum("ij,ijt->it", w, self._y[ind]) / w.sum(axis=1)[:, None]
        return y.ravel() if self._y_1d else y


@Substitution(**_DOCS)
class SimilarityKNNClassifier(ClassifierMixin, _SimilarityNeighborsBase):
    r"""Classify spectra by a vote of the most similar reference spectra.

    The class probabilities of a measured spectrum :math:`x` are the weighted
    fractions of its ``k`` nearest reference spectra in each class,

    .. math:: p(c \mid x) = \frac{\sum_{j: y_j = c} w_j}{\sum_j w_j},

    with the weights of :class:`SimilarityKNNEstimator`, and the prediction is
    the most probable class (valence as a class, phase, coordination).  Several
    label columns are predicted independently.

    Parameters
    ----------
    %(params)s

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,) or list of such arrays
        Class labels (a list with one array per output for 2-D ``y``).
    %(fitted)s

    See Also
    --------
    SimilarityKNNEstimator : The same for continuous parameters.
    sklearn.neighbors.KNeighborsClassifier : Neighbour classification on a
        scikit-learn metric.

    Notes
    -----
    The neighbour search is that of :class:`SimilarityKNNEstimator` (exact,
    in the metric's embedded space, chunked; Dask libraries accepted).

    References
    ----------
    %(reference)s

    Examples
    --------
    >>> import numpy as np
    >>> from skspectra.neighbors import SimilarityKNNClassifier
    >>> energy = np.linspace(0.0, 10.0, 50)
    >>> shift = np.repeat([3.0, 5.0, 7.0], 5) + np.tile(np.linspace(-.2, .2, 5), 3)
    >>> X = np.exp(-((energy - shift[:, None]) ** 2))
    >>> valence = np.repeat([2, 3, 4], 5)
    >>> clf = SimilarityKNNClassifier(n_neighbors=3).fit(X, valence)
    >>> clf.predict(np.exp(-((energy - np.array([[5.1], [6.9]])) ** 2)))
    array([3, 4])
    """

    @Substitution(**_DOCS)
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Store the reference spectra and their labels.

        Parameters
        ----------
        %(library)s
        y : array-like of shape (n_references,) or (n_references, n_outputs)
            Their labels.

        Returns
        -------
        self : SimilarityKNNClassifier
            The fitted estimator.
        """
        check_classification_targets(y)
        y = self._fit_library(X, y, y_numeric=False)
        classes, codes = [], []
        for j in range(y.shape[1]):
            cls, code = np.unique(y[:, j], return_inverse=True)
            classes.append(cls)
            codes.append(code)
        self._codes = np.stack(codes, axis=1)
        self.classes_ = classes[0] if self._y_1d else classes
        return self

    def predict_proba(self, X):
        """Weighted fraction of the nearest references in each class.

        Parameters
        ----------
        X : array-like of shape (n_queries, n_channels)
            Spectra on the reference energy grid.

        Returns
        -------
        proba : ndarray of shape (n_queries, n_classes) or list of such
            Class probabilities, columns in the order of ``classes_`` (a list
            with one array per output for 2-D ``y``).
        """
        w, ind = self._weights_of(X)
        classes = [self.classes_] if self._y_1d else self.classes_
        total = w.sum(axis=1)
        out = []
        for j, cls in enumerate(classes):
            codes = self._codes[ind, j]
            proba = np.zeros((ind.shape[0], cls.size))
            np.add.at(proba, (np.arange(ind.shape[0])[:, None], codes), w)
            out.append(proba / total[:, None])
        return out[0] if self._y_1d else out

    def predict(self, X):
        """Most probable class of each spectrum.

        Parameters
        ----------
        X : array-like of shape (n_queries, n_channels)
            Spectra on the reference energy grid.

        Returns
        -------
        y : ndarray of shape (n_queries,) or (n_queries, n_outputs)
            Predicted labels.
        """
        proba = self.predict_proba(X)
        if self._y_1d:
            return self.classes_[np.argmax(proba, axis=1)]
        pairs = zip(self.classes_, proba, strict=True)
        return np.stack([c[np.argmax(p, axis=1)] for c, p in pairs], axis=1)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = True
        return tags
