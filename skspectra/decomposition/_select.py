"""How many components: tests of K against K + 1 (of the residual's largest
singular value, and a parametric bootstrap of the likelihood gained),
bi-cross-validation and the held-out likelihood of a split of the data."""

import numbers

import numpy as np
from scipy import stats
from sklearn.base import clone
from sklearn.utils import check_random_state
from sklearn.utils.extmath import randomized_svd

from skspectra.decomposition._nmf import PoissonNMF, SparseNMF, _BaseSpectrumNMF
from skspectra.decomposition._noise import suggest_noise_model
from skspectra.decomposition._rmt import noise_edge, tw1_sf
from skspectra.decomposition._spatial import half_dose_weight
from skspectra.decomposition._split import binomial_split

__all__ = ["NComponentsResult", "select_n_components"]

# the Poisson residual is divided by sqrt(W H) floored at this fraction of
# the mean count, so channels the model leaves empty do not divide by zero
_WHITEN_FLOOR = 1e-3

# power iterations of the randomized SVD that finds the largest singular
# value of the residual: enough to get it to a fraction of a percent
_SVD_POWER_ITER = 7

# the Gaussian residual's variance is estimated in this many bins of the
# model's value: each bin then holds a few thousand entries of a 32 x 32 x
# 128 image, enough for its variance to a few percent
_VARIANCE_BINS = 32

# bi-cross-validation splits rows and columns into this many groups each;
# Owen & Perry (2009) find 2 x 2 folds enough for the rank
_BCV_FOLDS = 2

# the held-out Poisson likelihood floors a predicted count at this fraction
# of the mean prediction, so a channel the model leaves empty scores a
# finite log-likelihood
_MODEL_FLOOR = 1e-9

# the fits of method="bootstrap" stop when an iteration improves the
# log-likelihood by less than this fraction of the largest gain of an
# unconstrained component fitted to noise, (sqrt(N) + sqrt(M))^2 / 2: the
# gains of a component fitted to noise then spread by a few percent of
# their mean, a hundred times this step
_NESTED_STEP = 1e-4

# below this mean count per entry, the whitened Poisson residual is too
# heavy-tailed for the Tracy-Widom edge: on rank-1 counts of 4096 x 512 the
# test found 2 or 3 components in 3 of 4 images at 0.01 and 0.03 counts per
# entry, 1 of 4 at 0.1 and none at 0.3 or 1
_SPARSE_COUNTS = 0.1

# Newton steps of the amplitude of the component added to a fit: from zero
# on a concave function, which they approach from below
_LINE_NEWTON = 20

_METHODS = ("test", "bootstrap", "bicv", "split")


class NComponentsResult:
    """The number of components chosen and the scores of every K tried.

    Returned by :func:`select_n_components`; the parameters are kept as
    attributes of the same names.

    Parameters
    ----------
    n_components : int
        The number chosen.
    ks : ndarray of int
        The numbers of components tried, from 1.
    scores : ndarray of float
        One score per K: for ``method="test"`` the largest squared singular
        value of the whitened residual relative to the edge of the noise's
        Marchenko-Pastur law (1 is noise); for ``method="bicv"`` the
        held-out loss (Poisson deviance or squared error) per held-out entry;
        for ``method="split"`` the log-likelihood of the held-out half (up
        to a constant of the data, so only differences between K count);
        for ``method="bootstrap"`` the log-likelihood gained by K + 1
        components over K relative to the mean gain on data drawn from the
        K-component fit (1 is noise).
    p_values : ndarray of float or None
        For ``method="test"`` and ``"bootstrap"``, the p-value of K
        components against more (small: the data hold another component).
    method, model : str
        The method and the noise model used.
    """

    def __init__(self, *, n_components, ks, scores, p_values, method, model):
        self.n_components = int(n_components)
        self.ks = np.asarray(ks, dtype=int)
        self.scores = np.asarray(scores, dtype=float)
        self.p_values = None if p_values is None else np.asarray(p_values, float)
        self.method = method
        self.model = model

    def __repr__(self):
        return (
            f"NComponentsResult(n_components={self.n_components}, "
            f"method={self.method!r}, model={self.model!r})"
        )

    def plot(self, ax=None):
        """Draw the NMF scree: the score of every K, the number chosen marked.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure when None.

        Returns
        -------
        fig : matplotlib Figure
            The figure drawn on.
        """
        from skspectra.plotting import plot_scree

        return plot_scree(self, ax=ax)


def _estimator(model, X, max_iter, tol, random_state):
    if isinstance(model, _BaseSpectrumNMF):
        # its penalties and blocks, with the fits converged as far as the
        # test of the residual needs
        return clone(model).set_params(
            ard=False,
            random_state=random_state,
            tol=min(model.tol, tol),
            max_iter=max(model.max_iter, max_iter),
        )
    if model == "auto":
        model = suggest_noise_model(X).model
    if model == "poisson":
        est = PoissonNMF(ard=False, max_iter=max_iter, tol=tol)
    elif model == "gaussian":
        est = SparseNMF(ard=False, max_iter=max_iter, tol=tol, clip_negative=True)
    else:
        raise ValueError(
            "model must be 'poisson', 'gaussian', 'auto' or a PoissonNMF or "
            f"SparseNMF estimator; got {model!r}."
        )
    return est.set_params(random_state=random_state)


def _whitened_residual(est, X, W):
    WH = W @ est.components_
    if isinstance(est, PoissonNMF):
        floor = _WHITEN_FLOOR * max(float(X.mean()), np.finfo(float).tiny)
        return (X - WH) / np.sqrt(np.maximum(WH, floor))
    R = X - WH
    N, M = X.shape
    dof = max(N * M - est.n_components_ * (N + M), 1)
    # the noise's variance as a function of the model's value, one level per
    # quantile bin of W H: constant for homoscedastic noise, lower where
    # data clipped at zero leave little room below the model
    edges = np.quantile(WH, np.linspace(0, 1, _VARIANCE_BINS + 1)[1:-1])
    which = np.searchsorted(edges, WH)
    counts = np.bincount(which.ravel(), minlength=_VARIANCE_BINS)
    sums = np.bincount(which.ravel(), weights=(R * R).ravel(), minlength=_VARIANCE_BINS)
    var = (X.size / dof) * sums / np.maximum(counts, 1)
    floor = _WHITEN_FLOOR * max(float(np.sum(R * R)) / dof, np.finfo(float).tiny)
    return R / np.sqrt(np.maximum(var, floor))[which]


def _test_score(est, X, W, rng):
    """Largest squared singular value of the residual against noise.

    Johnstone (2001): for an n x p matrix of unit-variance noise the
    largest squared singular value, centred by ``mu`` and scaled by
    ``sigma`` below, follows the Tracy-Widom law of order 1.  The K fitted
    components use about K rows and K columns of freedom.
    """
    R = _whitened_residual(est, X, W)
    _, s, _ = randomized_svd(
        R, 1, n_iter=_SVD_POWER_ITER, random_state=rng.randint(2**31)
    )
    K = est.n_components_
    mu, sigma = noise_edge(R.shape[0] - K, R.shape[1] - K)
    return float(s[0] ** 2 / mu), tw1_sf((s[0] ** 2 - mu) / sigma)


def _loss(X, WH, poisson):
    if poisson:
        WH = np.maximum(WH, np.finfo(float).tiny)
        pos = X > 0
        return float(
            2 * (np.sum(X[pos] * np.log(X[pos] / WH[pos])) - X.sum() + WH.sum())
        )
    return float(np.sum((X - WH) ** 2))


def _nested_fit(est, X, K, start=None):
    """A K-component Poisson fit of X from ``start`` = (W, H), or from the
    estimator's own start; its factors and log-likelihood.

    Every fit stops at the same log-likelihood step, a small part of what
    a component fitted to noise gains, so fits from a warm start and from
    the estimator's start are converged alike.
    """
    N, M = X.shape
    step = _NESTED_STEP * 0.5 * (np.sqrt(N) + np.sqrt(M)) ** 2
    # every component is kept: one fitted to noise explains a small share
    fit = clone(est).set_params(n_components=K, prune_tol=0.0)
    fit._validate_params()
    W = fit._fit(X, start=start, step=step).astype(np.float64)
    H = fit.components_.astype(np.float64)
    # the Poisson log-likelihood up to a constant of the data
    return W, H, -0.5 * _loss(X, W @ H, True)


def _one_more(X, W, H, rng):
    """(W, H) with a component added along the steepest ascent of the
    Poisson log-likelihood: the non-negative part (the larger of its two
    signs) of the leading singular pair of its gradient ``X / W H - 1``,
    at the amplitude that maximises the log-likelihood (Newton steps on a
    concave function of one variable), so the start is no worse than the
    K-component fit."""
    WH = W @ H
    floor = _MODEL_FLOOR * max(float(WH.mean()), np.finfo(float).tiny)
    WH = np.maximum(WH, floor)
    u, _, vt = randomized_svd(
        X / WH - 1.0, 1, n_iter=_SVD_POWER_ITER, random_state=rng.randint(2**31)
    )
    u, v = u[:, 0], vt[0]
    pos = np.linalg.norm(np.maximum(u, 0)) * np.linalg.norm(np.maximum(v, 0))
    neg = np.linalg.norm(np.minimum(u, 0)) * np.linalg.norm(np.minimum(v, 0))
    if neg > pos:
        u, v = -u, -v
    w, h = np.maximum(u, 0), np.maximum(v, 0)
    # unit sum spectrum; a floor so multiplicative updates can move every entry
    h = (h + _WHITEN_FLOOR * max(float(h.mean()), np.finfo(float).tiny)) / max(
        float(h.sum()), np.finfo(float).tiny
    )
    w = w + _WHITEN_FLOOR * max(float(w.mean()), np.finfo(float).tiny)
    D = np.outer(w, h)
    alpha = 0.0
    for _ in range(_LINE_NEWTON):
        model = WH + alpha * D
        grad = float(np.sum(X * D / model) - D.sum())
        curv = float(np.sum(X * (D / model) ** 2))
        if grad <= 0 or curv <= 0:
            break
        alpha += grad / curv
    return np.column_stack([W, alpha * w]), np.vstack([H, h])


def _best_fit(est, X, K, start):
    """The better of a K-component fit from ``start`` and one from the
    estimator's own start: each reaches its own optimum, and which is
    higher differs between data sets."""
    fits = [_nested_fit(est, X, K, start), _nested_fit(est, X, K)]
    return max(fits, key=lambda fit: fit[2])


def _gain(est, X, fit, rng):
    """The fit of K + 1 components, the better of one from the K-component
    ``fit`` with a component added and one from the estimator's start, and
    the log-likelihood it gains over ``fit``."""
    W, H, loglik = fit
    more = _best_fit(est, X, H.shape[0] + 1, _one_more(X, W, H, rng))
    return more, more[2] - loglik


def _conditional_draws(X, WH, rng):
    """Counts drawn from the model ``W H`` with every pixel's total that of X.

    Poisson counts conditioned on their row sums are multinomial with the
    model's row as probabilities.  Holding the totals keeps the draws as
    sparse as X: drawn freely from a fit, pixels that X leaves empty (and
    the fit too) would stay empty while others empty out, and at a few
    counts per pixel that alone makes the draws poorer in what another
    component can fit.
    """
    totals = np.rint(X.sum(axis=1)).astype(np.int64)
    P = np.maximum(WH, 0.0)
    sums = P.sum(axis=1, keepdims=True)
    empty = sums[:, 0] <= 0
    P = np.where(
        empty[:, None], 1.0 / X.shape[1], P / np.where(empty, 1.0, sums[:, 0])[:, None]
    )
    gen = np.random.default_rng(rng.randint(2**31))
    while True:
        yield gen.multinomial(totals, P).astype(np.float64)


def _bootstrap_score(est, X, K, fits, n_draws, rng):
    """The Poisson log-likelihood gained by K + 1 components over K, against
    the gains of the same fits on counts drawn from the K-component fit.

    ``fits`` caches the fits of X by K: each K + 1 starts from the K before
    it with one component added, and so does every fit of a draw, from the
    K-component fit of X that the draw comes from, so the gains compared
    are those of one more component, not of another optimum.  The p-value
    is that of a gain as large under the null, from the t prediction
    interval of the ``n_draws`` null gains (sums over every entry, close to
    normal).  The score is the gain over the mean null gain: 1 is noise.
    """
    if K not in fits:
        fits[K] = _nested_fit(est, X, K)
    fits[K + 1], gain = _gain(est, X, fits[K], rng)
    W, H, _ = fits[K]
    draws = _conditional_draws(X, W @ H, rng)
    null = np.empty(n_draws)
    for b in range(n_draws):
        draw = next(draws)
        _, null[b] = _gain(est, draw, _best_fit(est, draw, K, (W, H)), rng)
    centre, spread = float(null.mean()), float(null.std(ddof=1))
    if spread > 0:
        t = (gain - centre) / (spread * np.sqrt(1.0 + 1.0 / n_draws))
        p = float(stats.t.sf(t, n_draws - 1))
    else:
        p = 0.0 if gain > centre else 1.0
    return gain / max(centre, np.finfo(float).tiny), p


def _bcv_score(est, X, K, rng):
    """Bi-cross-validated loss of K components (Owen & Perry 2009).

    Rows and columns are split into groups; for each held-out block
    ``X[I, J]`` the model is fitted on ``X[-I, -J]``, the held-out rows'
    abundances are fitted on ``X[I, -J]`` with the spectra fixed, the
    held-out channels of the spectra on ``X[-I, J]`` with the abundances
    fixed, and ``X[I, J]`` is predicted from the two.
    """
    N, M = X.shape
    rows = np.array_split(rng.permutation(N), _BCV_FOLDS)
    cols = np.array_split(rng.permutation(M), _BCV_FOLDS)
    poisson = isinstance(est, PoissonNMF)
    total = 0.0
    for I in rows:
        rest_i = np.setdiff1d(np.arange(N), I)
        for J in cols:
            rest_j = np.setdiff1d(np.arange(M), J)
            core = clone(est).set_params(n_components=K)
            W = core.fit_transform(X[np.ix_(rest_i, rest_j)])
            W_held = core.transform(X[np.ix_(I, rest_j)])
            # the held-out channels: X[-I, J]^T = H_J^T W^T with W fixed
            Wk = W[:, : core.n_components_]
            scale = Wk.sum(axis=0)
            keep = scale > 0
            fixed = (Wk[:, keep] / scale[keep]).T
            side = clone(est).set_params(
                n_components=int(keep.sum()), fixed_components=fixed
            )
            A = side.fit_transform(X[np.ix_(rest_i, J)].T)
            H_J = np.zeros((core.n_components_, len(J)))
            H_J[keep] = (A / scale[keep]).T
            total += _loss(X[np.ix_(I, J)], W_held @ H_J, poisson)
    return total / X.size


def _gaussian_noise_level(X, k, rng):
    """Standard deviation of i.i.d. noise in X, from the residual of its best
    rank-``k`` approximation with the ``k (N + M - k)`` degrees of freedom
    of that approximation removed; ``k`` at least the rank of the signal."""
    N, M = X.shape
    U, s, Vt = randomized_svd(
        X, k, n_iter=_SVD_POWER_ITER, random_state=rng.randint(2**31)
    )
    rss = max(float(np.sum(X * X)) - float(np.sum(s * s)), 0.0)
    return np.sqrt(max(rss / ((N - k) * (M - k)), np.finfo(float).tiny))


def _split(X, poisson, k, rng, split_rng):
    """Two independent copies of X with the same signal: the fit half and the
    held-out half, and the variance of the held-out half's noise (None for
    counts).

    Counts are thinned binomially (each half Poisson of half the mean);
    Gaussian data are split as ``X + Z`` and ``X - Z`` with ``Z`` Gaussian of
    the noise's variance, which makes the two independent (Leiner et al.
    2023).
    """
    if poisson:
        try:
            A, B = binomial_split(X, split_rng)
        except ValueError:
            raise ValueError(
                "method='split' with the Poisson model needs whole counts in X; "
                "use model='gaussian' for data that are not counts."
            ) from None
        return A, B, None
    sigma = _gaussian_noise_level(X.astype(np.float64), k, rng)
    Z = (sigma * split_rng.standard_normal(X.shape)).astype(X.dtype)
    return X + Z, X - Z, 2.0 * sigma**2


def _split_score(est, A, B, variance):
    """Held-out log-likelihood of ``B`` under ``est`` fitted on ``A`` (up to a
    constant of the data): Poisson, or Gaussian of the given variance."""
    W = est.fit_transform(A)
    mu = W.astype(np.float64) @ est.components_.astype(np.float64)
    B = B.astype(np.float64)
    if variance is None:
        mu = np.maximum(mu, _MODEL_FLOOR * mu.mean())
        return float(np.sum(B * np.log(mu) - mu))
    return float(-0.5 * np.sum((B - mu) ** 2) / variance)


def select_n_components(
    X,
    *,
    model="auto",
    max_components=10,
    method="test",
    alpha=0.01,
    n_draws=9,
    max_iter=2000,
    tol=1e-6,
    random_state=None,
):
    """Choose the number of components of an NMF of X.

    Parameters
    ----------
    X : array-like of shape (n_pixels, n_channels)
        Spectra, one per row (loaded into memory).
    model : {"auto", "poisson", "gaussian"} or estimator, default="auto"
        The noise model: ``"poisson"`` (:class:`PoissonNMF`),
        ``"gaussian"`` (:class:`SparseNMF`), ``"auto"`` chosen by
        :func:`suggest_noise_model`, or a PoissonNMF / SparseNMF whose
        parameters are used (with ``ard=False``).
    max_components : int, default=10
        The largest number tried; at most ``min(n_pixels, n_channels) - 1``.
    method : {"test", "bootstrap", "bicv", "split"}, default="test"
        ``"test"``: K components are accepted when the residual of their
        fit, whitened under the noise model (divided by ``sqrt(W H)`` for
        Poisson, by the noise level estimated at each level of ``W H`` for
        Gaussian), has a largest singular value that is noise: its p-value
        under the Tracy-Widom law
        of the largest eigenvalue of a noise matrix (Johnstone 2001) is at
        least ``alpha``.  The smallest such K is chosen.  ``"bootstrap"``:
        for counts (the Poisson model), K components are accepted when the
        log-likelihood that K + 1 gain over them is what they gain on
        counts without another component: ``n_draws`` images of counts are
        drawn from the K-component fit, every pixel with its total in X
        (Poisson counts given their sum), both fits are repeated on each,
        and the p-value of the gain on X comes from the t prediction
        interval of the gains on the draws (a parametric
        bootstrap).  The smallest K with a p-value of at least ``alpha`` is
        chosen.  It assumes no law for the gain, so it holds on sparse
        counts, where the whitened residual of ``"test"`` is heavy-tailed
        (see Notes); each K costs ``2 (n_draws + 1)`` fits.  ``"bicv"``:
        bi-cross-validation of Owen & Perry (2009) over 2 x 2 folds of
        pixels and channels; the K of least held-out loss is chosen (every
        K up to ``max_components`` is fitted).  ``"split"``: X is split into
        two independent copies of the same signal, each K is fitted on one
        and scored by the log-likelihood of the other, and the K of largest
        held-out log-likelihood is chosen (every K is fitted).  Counts are
        thinned binomially (:func:`binomial_split`; X must be whole counts),
        so each half holds half the dose; Gaussian data are split as
        ``X + Z`` and ``X - Z`` with ``Z`` Gaussian of the noise's variance,
        estimated from the residual of the best rank-``max_components``
        approximation of X (data fission, Leiner et al. 2023).  Under a
        spatial prior (an estimator with ``spatial_smoothness`` and
        ``image_shape``) the held-out half has the same pixels, so the
        prior is judged by what it predicts; a half of the counts is fitted
        at the weight that smooths it as much as the estimator's weight
        smooths X (:func:`half_dose_weight`).
    alpha : float, default=0.01
        Level of the tests of ``method="test"`` and ``"bootstrap"``.
    n_draws : int, default=9
        Data sets drawn for each K by ``method="bootstrap"`` (at least 3).
    max_iter : int, default=2000
        Iterations of every fit (at least; an estimator's larger value is
        kept).
    tol : float, default=1e-6
        Tolerance of every fit (at most; an estimator's smaller value is
        kept); tighter than
        the estimators' default because the test reads the residual, which
        an unconverged fit leaves with structure at high counts.
    random_state : int, RandomState instance or None, default=None
        Seed of the fits, the SVD, the folds and the split (a seed or None
        starts a ``numpy.random.Generator`` for the split).

    Returns
    -------
    result : NComponentsResult
        ``n_components``, the scores of every K tried, the p-values (test)
        and :meth:`~NComponentsResult.plot`, the NMF scree.

    Raises
    ------
    ValueError
        For X that is not 2-D, has one pixel or channel, holds NaN or no
        positive value, for ``max_components`` below 2 or above
        ``min(n_pixels, n_channels) - 1``, for an unknown method or model,
        for ``n_draws`` below 3, for ``method="bootstrap"`` with the
        Gaussian model, and for ``method="split"`` with the Poisson model
        on X that is not whole counts.

    Warns
    -----
    UserWarning
        When the number chosen equals ``max_components``, and for
        ``method="test"`` on counts sparser than 0.1 per entry on average
        (see Notes).

    Notes
    -----
    With the Gaussian model the test whitens the residual by a noise
    variance estimated in bins of the model's value, so noise whose level
    follows the signal (as it does in data clipped at zero, where little
    room is left below the model) is not taken for a component.  Data with
    many negative values are clipped to zero for the fit, which also biases
    the residual where the signal is low; when a third or more of the
    entries are clipped the test can still overstate the number, and
    ``method="split"`` is the safer choice.

    With the Poisson model, a count of one where the model expects a
    hundredth gives a whitened residual of ten: at a few hundredths of a
    count per entry such entries dominate the largest singular value, which
    then exceeds the Tracy-Widom edge on images with one component, and
    ``method="test"`` overstates the number.  ``method="bootstrap"`` draws
    images of the same sparsity and measures what another component gains
    on them, so it holds there.  Its draws come from the fit, whose maps
    sit on the boundary of the non-negative constraint wherever a phase is
    absent; at a few tens of counts per pixel on maps with such exact
    zeros, the gain of one more component on X was measured 5-8 % above
    its mean on the draws at the true number, so at ``alpha=0.01`` the
    bootstrap can give one too many there (one of two 24 x 24 grain
    images at 30 counts per pixel).

    References
    ----------
    .. [1] I. M. Johnstone, "On the distribution of the largest eigenvalue
       in principal components analysis", Ann. Statist. 29 (2001) 295-327,
       :doi:`10.1214/aos/1009210544`.
    .. [2] A. B. Owen and P. O. Perry, "Bi-cross-validation of the SVD and
       the nonnegative matrix factorization", Ann. Appl. Stat. 3 (2009)
       564-594, :doi:`10.1214/08-AOAS227`.
    .. [3] M. Chiani, "Distribution of the largest eigenvalue for real
       Wishart and Gaussian random matrices and a simple approximation for
       the Tracy-Widom distribution", J. Multivar. Anal. 129 (2014) 69-81,
       :doi:`10.1016/j.jmva.2014.04.002`.
    .. [4] J. Leiner, B. Duan, L. Wasserman and A. Ramdas, "Data fission:
       splitting a single data point", J. Am. Stat. Assoc. (2023),
       :doi:`10.1080/01621459.2023.2270748`.

    Examples
    --------
    >>> from skspectra.datasets import make_grain_image
    >>> from skspectra.decomposition import select_n_components
    >>> X, _ = make_grain_image(3, shape=(24, 24), n_channels=96,
    ...                         counts_per_pixel=500, random_state=0)
    >>> select_n_components(X.reshape(-1, 96), random_state=0).n_components
    3
    """
    import warnings

    X = np.asarray(X)
    # the split's fits keep X's floating dtype, as the estimators do
    fit_dtype = X.dtype if X.dtype in (np.float32, np.float64) else np.float64
    X = X.astype(np.float64, copy=False)
    if X.ndim != 2:
        raise ValueError(
            f"Expected a 2-D array (n_pixels, n_channels); got shape {X.shape}."
        )
    N, M = X.shape
    if min(N, M) < 2:
        raise ValueError(
            f"X of shape {X.shape} has a single pixel or channel; there is one "
            "component at most and nothing to select."
        )
    if not np.all(np.isfinite(X)):
        raise ValueError("X contains NaN or infinity.")
    if not np.any(X > 0):
        raise ValueError("X has no positive value; there is nothing to factorise.")
    if not isinstance(max_components, numbers.Integral) or max_components < 2:
        raise ValueError(
            f"max_components must be an integer >= 2 (one against more); got "
            f"{max_components!r}."
        )
    if max_components > min(N, M) - 1:
        raise ValueError(
            f"max_components={max_components} is above min(n_pixels, "
            f"n_channels) - 1 = {min(N, M) - 1}."
        )
    if method not in _METHODS:
        raise ValueError(
            f"method must be one of {', '.join(map(repr, _METHODS))}; got {method!r}."
        )
    if not isinstance(n_draws, numbers.Integral) or n_draws < 3:
        raise ValueError(
            f"n_draws must be an integer >= 3 (the spread of the null gains); "
            f"got {n_draws!r}."
        )
    rng = check_random_state(random_state)
    est = _estimator(model, X, max_iter, tol, random_state)
    name = "poisson" if isinstance(est, PoissonNMF) else "gaussian"
    if method == "bootstrap" and name != "poisson":
        raise ValueError(
            "method='bootstrap' draws counts and needs the Poisson model; for "
            "Gaussian noise use method='test' or method='split'."
        )
    if method == "test" and name == "poisson" and X.mean() < _SPARSE_COUNTS:
        warnings.warn(
            f"X holds {X.mean():.3g} counts per entry: for counts this sparse "
            "the residual of method='test' is too heavy-tailed for its "
            "Tracy-Widom edge, and it can overstate the number of components; "
            "method='bootstrap' calibrates the test on draws of the fit.",
            UserWarning,
            stacklevel=2,
        )
    if method == "bootstrap" and not np.all(X == np.round(X)):
        raise ValueError(
            "method='bootstrap' needs whole counts in X (it draws counts with "
            "the pixels' totals); use method='test' for data that are not counts."
        )
    if method == "split":
        # a RandomState is used as given; a seed or None starts a Generator
        if isinstance(random_state, np.random.RandomState):
            split_rng = rng
        else:
            split_rng = np.random.default_rng(random_state)
        A, B, variance = _split(
            X.astype(fit_dtype), name == "poisson", max_components, rng, split_rng
        )
        weight = est.get_params().get("spatial_smoothness", 0.0)
        if name == "poisson" and not isinstance(weight, str) and weight > 0:
            # a half holds half the dose: the weight that smooths it as much
            # as the estimator's weight smooths X
            est = clone(est).set_params(
                spatial_smoothness=half_dose_weight(weight, X, A)
            )
    ks, scores, pvals = [], [], []
    chosen = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fits = {}
        for K in range(1, max_components + 1):
            if method == "test":
                fit = clone(est).set_params(n_components=K)
                W = fit.fit_transform(X)
                score, p = _test_score(fit, X, W, rng)
                pvals.append(p)
            elif method == "bootstrap":
                score, p = _bootstrap_score(est, X, K, fits, n_draws, rng)
                pvals.append(p)
            elif method == "bicv":
                score = _bcv_score(est, X, K, rng)
            else:
                fit = clone(est).set_params(n_components=K)
                score = _split_score(fit, A, B, variance)
            ks.append(K)
            scores.append(score)
            if method in ("test", "bootstrap") and p >= alpha:
                chosen = K
                break
    if method == "bicv":
        chosen = ks[int(np.argmin(scores))]
    elif method == "split":
        chosen = ks[int(np.argmax(scores))]
    elif chosen is None:
        chosen = max_components
    if chosen == max_components:
        warnings.warn(
            f"select_n_components chose max_components={max_components}: the "
            "number of components may be larger; raise max_components.",
            UserWarning,
            stacklevel=2,
        )
    return NComponentsResult(
        n_components=chosen,
        ks=ks,
        scores=scores,
        p_values=pvals if method in ("test", "bootstrap") else None,
        method=method,
        model=name,
    )
