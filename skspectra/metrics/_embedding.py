"""A transformer that maps spectra into the embedding of a spectral metric."""

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from skspectra.metrics._distances import _REGISTRY, METRIC_NAMES, _check_spectra
from skspectra.utils.validation import check_energy

_EMBEDDABLE = tuple(name for name in METRIC_NAMES if _REGISTRY[name].embed is not None)


class MetricEmbedding(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    r"""Map spectra to a space where a spectral distance is Euclidean or L1.

    Most spectral distances are an ordinary distance after a cheap
    per-spectrum transform :math:`\phi`,

    .. math::

        d(u, v) = g\bigl(\|\phi(u) - \phi(v)\|\bigr),

    with :math:`\|\cdot\|` the Euclidean or L1 norm (``embedded_metric_``)
    and :math:`g` monotone non-decreasing (see
    :meth:`SpectralMetric.from_embedded`).  Placed before a scikit-learn
    estimator in a pipeline (``KNeighborsRegressor``, ``DBSCAN``,
    ``AgglomerativeClustering`` ... with ``metric=embedded_metric_``), the
    estimator's compiled neighbour search then ranks spectra by the spectral
    distance.  The embeddings:

    =================  ==============================================  =========
    metric             :math:`\phi(u)`                                 norm
    =================  ==============================================  =========
    euclidean          :math:`u`                                       L2
    cityblock          :math:`u`                                       L1
    cosine             :math:`u / \|u\|`                               L2
    pearson            :math:`(u - \bar u) / \|u - \bar u\|`           L2
    spectral_angle     :math:`u / \|u\|`                               L2
    wasserstein        :math:`F_u(E_k)(E_{k+1} - E_k)`, k < n-1        L1
    cramer             :math:`F_u(E_k)(E_{k+1} - E_k)^{1/2}`, k < n-1  L2
    hellinger          :math:`(u / (2 \sum u))^{1/2}`                  L2
    derivative         ``numpy.gradient(u, energy)``                   L2
    =================  ==============================================  =========

    :math:`F_u` is the cumulative distribution of the unit-area spectrum.
    ``jensen_shannon`` has no such embedding.  The transformer is stateless:
    ``fit`` only validates the input and the energy axis.

    Parameters
    ----------
    metric : str, default="cosine"
        A metric of ``METRIC_NAMES`` that has an embedding (all but
        ``"jensen_shannon"``).
    energy : array-like of shape (n_channels,), default=None
        Strictly increasing channel energies (used by ``wasserstein``,
        ``cramer`` and ``derivative``); ``None`` is the channel index.

    Attributes
    ----------
    embedded_metric_ : {"euclidean", "manhattan"}
        The scikit-learn metric name to use on the output.
    energy_ : ndarray of shape (`n_features_in_`,)
        The validated energy axis.
    n_features_in_ : int
        Number of channels seen during :meth:`fit`.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the channels seen during :meth:`fit`, when ``X`` has column
        names that are all strings.

    See Also
    --------
    get_metric : The metric object with the embedding and its inverse map.
    pairwise_spectral_distances : Distance matrices computed the same way.

    Notes
    -----
    The Wasserstein embedding rests on the 1-D identity
    :math:`W_1(u, v) = \int |F_u - F_v| \, dE` [1]_; the Hellinger one on
    :math:`H(p, q) = \|\sqrt p - \sqrt q\|_2 / \sqrt 2`.  Spectral distances
    used for estimating material parameters from XANES/ELNES by nearest
    neighbours are compared in [2]_.

    References
    ----------
    .. [1] Vallender, S. S., "Calculation of the Wasserstein distance between
       probability distributions on the line", Theory Probab. Appl. 18,
       784-786 (1974). :doi:`10.1137/1118101`
    .. [2] Suzuki, Y., Hino, H., Kotsugi, M. and Ono, K., "Automated
       estimation of materials parameter from X-ray absorption and electron
       energy-loss spectra with similarity measures", npj Comput. Mater. 5,
       39 (2019). :doi:`10.1038/s41524-019-0176-1`

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.neighbors import NearestNeighbors
    >>> from skspectra.metrics import MetricEmbedding, wasserstein
    >>> energy = np.linspace(0.0, 10.0, 50)
    >>> library = np.exp(-((energy - np.arange(1, 9)[:, None]) ** 2))
    >>> query = np.exp(-((energy - 4.2) ** 2))[None]
    >>> emb = MetricEmbedding(metric="wasserstein", energy=energy).fit(library)
    >>> emb.embedded_metric_
    'manhattan'
    >>> nn = NearestNeighbors(n_neighbors=1, metric=emb.embedded_metric_)
    >>> dist, idx = nn.fit(emb.transform(library)).kneighbors(emb.transform(query))
    >>> int(idx[0, 0])
    3
    >>> bool(np.isclose(dist[0, 0], wasserstein(library[3], query[0], energy)))
    True
    """

    _parameter_constraints = {
        "metric": [StrOptions(set(_EMBEDDABLE))],
        "energy": ["array-like", None],
    }

    def __init__(self, *, metric="cosine", energy=None):
        self.metric = metric
        self.energy = energy

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Validate the spectra and the energy axis.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_channels)
            Spectra.
        y : None
            Ignored.

        Returns
        -------
        self : MetricEmbedding
            Fitted estimator.
        """
        X = validate_data(self, X, dtype=[np.float64, np.float32])
        spec = _REGISTRY[self.metric]
        if spec.requires_positive_total:
            _check_spectra(X, "X", self.metric)
        self.energy_ = check_energy(self.energy, X.shape[1])
        self.embedded_metric_ = spec.embedded_metric
        return self

    def transform(self, X):
        """Embed spectra.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_channels)
            Spectra on the grid seen in :meth:`fit`.

        Returns
        -------
        Z : ndarray of shape (n_samples, n_features_out)
            ``n_channels - 1`` columns for ``wasserstein`` and ``cramer``
            (the last cumulative value is always 1), ``n_channels`` otherwise;
            float32 input gives float32 output.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        Z = _REGISTRY[self.metric].embed(X, self.energy_)
        return Z.astype(X.dtype, copy=False)

    @property
    def _n_features_out(self):
        if self.metric in ("wasserstein", "cramer"):
            return self.n_features_in_ - 1
        return self.n_features_in_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        spec = _REGISTRY.get(self.metric) if isinstance(self.metric, str) else None
        tags.input_tags.positive_only = (
            spec is not None and spec.requires_positive_total
        )
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
