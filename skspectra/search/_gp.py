"""Gaussian-process surrogate of the structure search, with transfer learning.

The surrogate models an energy ``y(x)`` over descriptors ``x`` as a known
prior mean plus a Gaussian process:

    y(x) = m(x) + c + s * f(x),   f ~ GP(0, k),

where ``m`` is the prediction of a model fitted on related tasks (zero when
there are none), ``c`` and ``s`` standardise the residuals ``y - m`` and the
kernel ``k`` is a scikit-learn kernel whose hyperparameters maximise the
marginal likelihood (through scikit-learn's ``GaussianProcessRegressor``).

Two posterior engines serve the search:

* :class:`_ExactPosterior`, the textbook Cholesky posterior, for any kernel;
* :class:`_FeaturePosterior`, Bayesian linear regression on random Fourier
  features of the kernel (Rahimi & Recht, 2007), as COMBO and PHYSBO do on
  large candidate sets; one new observation updates the posterior mean and
  variance of every candidate in ``O(n_candidates * n_features)`` (a rank-one
  update) instead of a new solve.
"""

import math
import warnings
from numbers import Integral, Real

import numpy as np
from scipy.linalg import LinAlgError, cho_solve, cholesky, solve_triangular
from scipy.linalg.blas import get_blas_funcs
from sklearn.base import BaseEstimator, RegressorMixin, _fit_context, clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import (
    RBF,
    ConstantKernel,
    Kernel,
    Matern,
    Product,
    Sum,
    WhiteKernel,
)
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

# bounds of the default kernel: length scales from 1/10 to 100 times each
# descriptor's spread (shorter ones fit noise between grid points), amplitude
# within a factor 20 of the standardised target variance (beyond, the
# likelihood prefers a flat trend to structure), and a noise term that lets
# nearly deterministic energies be interpolated without a singular solve
_LENGTH_SCALE_RANGE = (1e-1, 1e2)
_AMPLITUDE_BOUNDS = (5e-2, 2e1)
_NOISE_BOUNDS = (1e-8, 1e-1)
_NOISE_START = 1e-4

# diagonal jitter tried, in turn, when a kernel matrix is numerically singular
_JITTERS = (0.0, 1e-10, 1e-8, 1e-6)

# rows of candidates processed at once, so that a candidate-by-observation
# block stays near 32 MB
_BLOCK_ELEMENTS = 4_000_000

# smallest noise variance in the random-feature model: its weight posterior
# is an m x m solve that needs a floor when the kernel's noise is ~0
_FEATURE_NOISE_FLOOR = 1e-6


# --------------------------------------------------------------------------
# kernels
# --------------------------------------------------------------------------
def default_kernel(X):
    """The default kernel for descriptors ``X``: amplitude x Matern 3/2 + noise.

    The Matern length scales (one per descriptor) start at each descriptor's
    standard deviation, so the kernel is meaningful in the user's units.
    ``nu = 3/2`` (once differentiable) rather than the smoother 5/2 or the
    RBF: energy landscapes of interfaces have narrow wells, which a smoother
    prior explains away as noise for longer.
    """
    X = np.asarray(X, dtype=np.float64)
    spread = X.std(axis=0) if X.shape[0] > 1 else np.ones(X.shape[1])
    spread = np.where(spread > 0, spread, 1.0)
    bounds = np.column_stack(
        [spread * _LENGTH_SCALE_RANGE[0], spread * _LENGTH_SCALE_RANGE[1]]
    )
    length_scale = spread if spread.size > 1 else float(spread[0])
    if spread.size == 1:
        bounds = tuple(bounds[0])
    return ConstantKernel(1.0, _AMPLITUDE_BOUNDS) * Matern(
        length_scale=length_scale, length_scale_bounds=bounds, nu=1.5
    ) + WhiteKernel(_NOISE_START, _NOISE_BOUNDS)


def split_noise(kernel):
    """Split ``kernel`` into its noise-free part and its white-noise level.

    ``WhiteKernel`` terms of a sum are removed and their levels added; the
    remaining kernel describes the latent function, whose posterior variance
    is zero at an observed point when the noise is zero.
    """
    if isinstance(kernel, WhiteKernel):
        return None, float(kernel.noise_level)
    if isinstance(kernel, Sum):
        left, noise_left = split_noise(kernel.k1)
        right, noise_right = split_noise(kernel.k2)
        if left is None:
            latent = right
        elif right is None:
            latent = left
        else:
            latent = Sum(left, right)
        return latent, noise_left + noise_right
    return kernel, 0.0


def spectral_form(kernel):
    """``(amplitude, length_scales, nu)`` of a stationary kernel, or None.

    Recognised: ``RBF`` or ``Matern``, optionally multiplied by a
    ``ConstantKernel``; these have a known spectral density, from which
    random Fourier features are drawn.  ``nu`` is ``inf`` for the RBF.
    """
    amplitude = 1.0
    if isinstance(kernel, Product):
        if isinstance(kernel.k1, ConstantKernel):
            amplitude, kernel = float(kernel.k1.constant_value), kernel.k2
        elif isinstance(kernel.k2, ConstantKernel):
            amplitude, kernel = float(kernel.k2.constant_value), kernel.k1
        else:
            return None
    if isinstance(kernel, Matern):
        nu = float(kernel.nu)
    elif isinstance(kernel, RBF):
        nu = math.inf
    else:
        return None
    return amplitude, np.atleast_1d(np.asarray(kernel.length_scale, float)), nu


def _stable_cholesky(K):
    for jitter in _JITTERS:
        try:
            if jitter:
                K = K + jitter * np.mean(np.diag(K)) * np.eye(K.shape[0])
            return cholesky(K, lower=True)
        except LinAlgError:
            continue
    raise ValueError(
        "the kernel matrix of the observations is not positive definite even "
        "with jitter; two observations are probably identical candidates with "
        "a noise-free kernel (add a WhiteKernel)."
    )


def _blocks(n_rows, n_cols):
    step = max(1, _BLOCK_ELEMENTS // max(n_cols, 1))
    for start in range(0, n_rows, step):
        yield slice(start, min(start + step, n_rows))


# --------------------------------------------------------------------------
# posterior engines
# --------------------------------------------------------------------------
class _ExactPosterior:
    """Posterior of ``f`` given standardised residuals ``r`` at ``X``.

    ``noise`` is the total noise variance (white-noise level plus ``alpha``).
    """

    def __init__(self, latent, noise, X, r):
        self.latent = latent
        self.noise = noise
        self.X = X
        if X.shape[0] == 0:  # no data: the prior
            self.L, self.coef = None, np.zeros(0)
            return
        K = latent(X)
        K[np.diag_indices_from(K)] += noise
        self.L = _stable_cholesky(K)
        self.coef = cho_solve((self.L, True), r)

    def predict(self, Xs, *, keep_v=False):
        """Mean and latent variance at ``Xs`` (and ``L^{-1} k(X, Xs)``)."""
        n = Xs.shape[0]
        mean = np.empty(n)
        var = self.latent.diag(Xs).astype(np.float64)
        V = np.empty((self.X.shape[0], n)) if keep_v else None
        if self.L is None:
            mean[:] = 0.0
            return mean, var, V
        for rows in _blocks(n, self.X.shape[0]):
            Kt = self.latent(Xs[rows], self.X)
            mean[rows] = Kt @ self.coef
            Vb = solve_triangular(self.L, Kt.T, lower=True, check_finite=False)
            var[rows] -= np.einsum("ij,ij->j", Vb, Vb)
            if keep_v:
                V[:, rows] = Vb
        return mean, np.maximum(var, 0.0), V


class _RandomFeatures:
    """Random Fourier features whose inner products approximate a kernel.

    For a stationary kernel ``a * kappa((x - x') / l)`` with spectral density
    ``p(w)``, ``phi(x) = sqrt(a / q) [cos(W x), sin(W x)]`` with ``q`` rows of
    ``W`` drawn from ``p`` gives ``E[phi(x) . phi(x')] = k(x, x')`` and
    ``phi(x) . phi(x) = a`` exactly.  The RBF's density is normal, Matern's a
    Student t with ``2 nu`` degrees of freedom.
    """

    def __init__(self, form, n_features, n_dims, rng):
        amplitude, length_scale, nu = form
        n_freq = max(1, n_features // 2)
        z = rng.standard_normal((n_dims, n_freq))
        if math.isfinite(nu):
            z *= np.sqrt(2.0 * nu / rng.chisquare(2.0 * nu, size=n_freq))
        self.omega = z / length_scale.reshape(-1, 1)
        self.scale = math.sqrt(amplitude / n_freq)
        self.n_features = 2 * n_freq

    def transform(self, X, dtype=np.float64, out=None):
        """Features of ``X`` in ``dtype``, written into ``out`` if it is given
        (an array of the right shape and dtype, whose contents are replaced:
        reusing one spares the page faults of a fresh array this large)."""
        n = X.shape[0]
        shape = (n, self.n_features)
        if out is None or out.shape != shape or out.dtype != dtype:
            out = np.empty(shape, dtype=dtype)
        half = self.n_features // 2
        scale = dtype(self.scale)
        step = next(_blocks(n, self.n_features)).stop
        # block buffers reused from block to block: fresh ones of this size
        # come from the system and cost a page fault per page written
        phase64 = np.empty((min(step, n), half))
        phase = np.empty(phase64.shape, dtype=dtype)
        wave = np.empty_like(phase)
        for rows in _blocks(n, self.n_features):
            m = rows.stop - rows.start
            # the phases in float64 (they can be large), cos and sin in the
            # output precision (float32 ones are several times faster), each
            # into a contiguous array (the vectorised loops need one) and
            # scaled on the way into its half of the features
            np.matmul(X[rows], self.omega, out=phase64[:m])
            p = phase[:m]
            w = wave[:m]
            p[...] = phase64[:m]
            np.multiply(np.cos(p, out=w), scale, out=out[rows, :half])
            np.multiply(np.sin(p, out=w), scale, out=out[rows, half:])
        return out


class _FeaturePosterior:
    """Bayesian linear regression ``f = Phi w``, ``w ~ N(0, I)``, on features.

    Keeps the weight posterior ``N(mu, Sigma)`` and, for every candidate, the
    posterior mean and variance of ``f``; :meth:`add` folds in one
    observation by a rank-one (Sherman-Morrison) update.
    """

    def __init__(self, Phi, noise, idx=None, r=None):
        self.Phi = Phi
        self.noise = max(noise, _FEATURE_NOISE_FLOOR)
        if idx is not None and len(idx):
            self.reset(idx, r)
            return
        m = Phi.shape[1]
        self.mu = np.zeros(m)
        self.Sigma = np.eye(m)
        self.mean = np.zeros(Phi.shape[0])
        self.var = np.einsum("ij,ij->i", Phi, Phi, dtype=np.float64)

    def reset(self, idx, r):
        """Posterior from scratch given residuals ``r`` at candidates ``idx``."""
        P = self.Phi[idx].astype(np.float64)
        m = P.shape[1]
        A = P.T @ P
        A[np.diag_indices(m)] += self.noise
        L = _stable_cholesky(A)
        self.mu = cho_solve((L, True), P.T @ r)
        Linv = solve_triangular(L, np.eye(m), lower=True)
        self.Sigma = self.noise * (Linv.T @ Linv)
        self.mean = self.Phi @ self.mu.astype(self.Phi.dtype)
        self.mean = self.mean.astype(np.float64)
        self.var = self._quadratic_form(math.sqrt(self.noise) * Linv)

    def _quadratic_form(self, T):
        """``|T phi_i|^2`` for every candidate, ``T`` lower triangular.

        Block by block through one reused buffer, with a triangular product
        (half the multiply-adds of a general one).
        """
        n, m = self.Phi.shape
        T = np.asarray(T, dtype=self.Phi.dtype)
        trmm = get_blas_funcs("trmm", (T,))
        step = next(_blocks(n, m)).stop
        buf = np.empty((min(step, n), m), dtype=self.Phi.dtype)
        out = np.empty(n)
        for rows in _blocks(n, m):
            B = buf[: rows.stop - rows.start]
            np.copyto(B, self.Phi[rows])
            # on the transposed (Fortran-ordered) view: B^T <- T B^T, i.e.
            # B <- B T^T, in place
            B = trmm(1.0, T, B.T, lower=1, overwrite_b=1).T
            out[rows] = np.einsum("ij,ij->i", B, B, dtype=np.float64)
        return out

    def _gain(self, i):
        phi = self.Phi[i].astype(np.float64)
        s = self.Sigma @ phi
        c = self.noise + phi @ s
        u = (self.Phi @ s.astype(self.Phi.dtype)).astype(np.float64)
        return phi, s, c, u

    def add(self, i, r):
        """Fold in the residual ``r`` observed at candidate ``i``."""
        phi, s, c, u = self._gain(i)
        innovation = (r - phi @ self.mu) / c
        self.mu += s * innovation
        self.Sigma -= np.outer(s, s) / c
        self.mean += u * innovation
        self.var = np.maximum(self.var - u * u / c, 0.0)

    def believe(self, i, var, rows):
        """``var`` (of candidates ``rows``) after a fantasised observation at
        ``i`` equal to its mean: the mean is unchanged, the variance drops."""
        phi, s, c, u = self._gain(i)
        self.Sigma -= np.outer(s, s) / c
        u = u[rows]
        return np.maximum(var - u * u / c, 0.0)

    def sample(self, rng, rows):
        """One posterior draw of ``f`` at candidates ``rows``."""
        L = _stable_cholesky(0.5 * (self.Sigma + self.Sigma.T))
        w = self.mu + L @ rng.standard_normal(self.mu.size)
        return (self.Phi[rows] @ w.astype(self.Phi.dtype)).astype(np.float64)


# --------------------------------------------------------------------------
# fitting
# --------------------------------------------------------------------------
def standardise(r):
    """``(mean, scale)`` of residuals; the scale of fewer than two is 1."""
    r = np.asarray(r, dtype=np.float64)
    if r.size == 0:
        return 0.0, 1.0
    scale = float(r.std()) if r.size > 1 else 0.0
    return float(r.mean()), scale if scale > 0 else 1.0


def fit_kernel(
    kernel, X, r, *, alpha, optimizer, n_restarts_optimizer, random_state, quiet
):
    """Hyperparameters of ``kernel`` maximising the marginal likelihood of ``r``.

    ``r`` is already standardised.  Returns the fitted kernel and its log
    marginal likelihood.
    """
    gpr = GaussianProcessRegressor(
        kernel=clone(kernel),
        alpha=alpha,
        optimizer=optimizer,
        n_restarts_optimizer=n_restarts_optimizer,
        normalize_y=False,
        random_state=random_state,
    )
    with warnings.catch_warnings():
        if quiet:
            warnings.simplefilter("ignore", ConvergenceWarning)
        gpr.fit(X, r)
    return gpr.kernel_, float(gpr.log_marginal_likelihood_value_)


def _check_task(task, k, n_features):
    if not (isinstance(task, tuple | list) and len(task) == 2):
        raise ValueError(
            f"prior task {k} must be a pair (X, y); got {type(task).__name__}."
        )
    X = np.asarray(task[0], dtype=np.float64)
    y = np.asarray(task[1], dtype=np.float64)
    if X.ndim != 2 or y.ndim != 1 or X.shape[0] != y.shape[0] or X.shape[0] == 0:
        raise ValueError(
            f"prior task {k}: X must be 2-D and y 1-D with as many rows; got "
            f"shapes {X.shape} and {y.shape}."
        )
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(
            f"prior task {k} has {X.shape[1]} descriptors but the data have "
            f"{n_features}; every task must use the same descriptors."
        )
    if not (np.all(np.isfinite(X)) and np.all(np.isfinite(y))):
        raise ValueError(f"prior task {k} contains NaN or infinite values.")
    return X, y


def fit_prior(prior, n_features, *, kernel, alpha, optimizer, n_restarts, seed):
    """The fitted model whose prediction is the prior mean (or None).

    A sequence of tasks is fitted in turn, each task's model using the
    previous one as its prior mean and starting from its hyperparameters, so
    the last model carries what all the earlier tasks taught.
    """
    if prior is None:
        return None
    if hasattr(prior, "predict"):
        try:
            check_is_fitted(prior)
        except Exception as exc:
            raise ValueError(
                "prior must be a fitted regressor (or a list of (X, y) tasks); "
                f"{type(prior).__name__} is not fitted: {exc}"
            ) from None
        n_in = getattr(prior, "n_features_in_", None)
        if n_in is not None and n_features is not None and n_in != n_features:
            raise ValueError(
                f"prior was fitted on {n_in} descriptors but the data have "
                f"{n_features}."
            )
        return prior
    if len(prior) == 0:
        raise ValueError("prior is an empty list of tasks; pass None for no prior.")
    model = None
    for k, task in enumerate(prior):
        X, y = _check_task(task, k, n_features)
        n_features = X.shape[1]
        start = kernel if model is None else getattr(model, "kernel_", kernel)
        model = TransferGaussianProcessRegressor(
            start,
            prior=model,
            alpha=alpha,
            optimizer=optimizer,
            n_restarts_optimizer=n_restarts,
            random_state=seed,
        ).fit(X, y)
    return model


def prior_mean(model, X):
    """Prediction of the prior model at ``X`` (zeros without one)."""
    if model is None:
        return np.zeros(X.shape[0])
    mean = np.asarray(model.predict(X), dtype=np.float64).reshape(-1)
    if mean.shape[0] != X.shape[0]:
        raise ValueError(
            f"the prior model returned {mean.shape[0]} predictions for "
            f"{X.shape[0]} rows; it must predict one value per row."
        )
    return mean


# --------------------------------------------------------------------------
# the estimator
# --------------------------------------------------------------------------
class TransferGaussianProcessRegressor(RegressorMixin, BaseEstimator):
    """Gaussian-process regression on top of a prior mean learned elsewhere.

    The target is modelled as ``y(x) = m(x) + c + s f(x)`` with ``f`` a
    zero-mean Gaussian process of kernel ``kernel``, ``m`` the prediction of
    a model of related tasks (the prior mean), and ``c``, ``s`` the mean and
    standard deviation of the residuals ``y - m`` on the training data.  The
    kernel's hyperparameters maximise the log marginal likelihood of the
    residuals, starting from those of the prior model when it is a Gaussian
    process itself: a new task starts where the related ones left off
    (transfer learning in the sense of Oda et al., 2017).  This is the
    surrogate of :class:`KrigingSearch`, exposed so that it can be
    cross-validated and compared with other regressors.

    Parameters
    ----------
    kernel : sklearn.gaussian_process.kernels.Kernel, default=None
        Covariance of ``f`` (in units of the standardised residuals).  None
        uses the prior model's fitted kernel if it has one, else
        ``ConstantKernel * Matern(nu=1.5, one length scale per descriptor,
        starting at its standard deviation) + WhiteKernel``.
    prior : list of (X, y) pairs or fitted regressor, default=None
        Related tasks, fitted in turn (each task's model being the prior
        mean of the next), or a fitted regressor whose ``predict`` is the
        prior mean; it is used as it is, neither cloned nor refitted (wrap
        it in :class:`sklearn.frozen.FrozenEstimator` to keep it fitted
        through :func:`~sklearn.base.clone`).  None: a constant prior mean.
    alpha : float, default=1e-10
        Value added to the diagonal of the kernel matrix (extra noise
        variance, in standardised units).
    optimizer : "fmin_l_bfgs_b", callable or None, default="fmin_l_bfgs_b"
        Optimiser of the hyperparameters, as in
        :class:`~sklearn.gaussian_process.GaussianProcessRegressor`; None
        keeps the kernel's hyperparameters fixed.
    n_restarts_optimizer : int, default=0
        Extra optimiser runs from random starting hyperparameters.
    random_state : int, RandomState instance or None, default=None
        Seeds the optimiser's restarts.

    Attributes
    ----------
    prior_model_ : regressor or None
        The model giving the prior mean.
    kernel_ : Kernel
        The kernel with fitted hyperparameters.
    log_marginal_likelihood_value_ : float
        Log marginal likelihood of the standardised residuals at ``kernel_``.
    X_train_ : ndarray of shape (n_samples, n_features)
        Training descriptors.
    n_features_in_ : int
        Number of descriptors seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Descriptor names, when ``X`` has string column names.

    See Also
    --------
    KrigingSearch : Bayesian optimisation over a finite candidate set with
        this surrogate.
    sklearn.gaussian_process.GaussianProcessRegressor : The same model with
        a constant prior mean.

    Notes
    -----
    The prior mean is treated as known: its own uncertainty is not added to
    the predictive variance, so far from the new task's data the prediction
    is the prior model's with the new task's residual variance.  With a zero
    noise kernel the posterior mean interpolates the training targets.

    References
    ----------
    .. [1] H. Oda, S. Kiyohara, K. Tsuda and T. Mizoguchi, "Transfer learning
       to accelerate interface structure searches", J. Phys. Soc. Jpn. 86,
       123601 (2017). :doi:`10.7566/JPSJ.86.123601`
    .. [2] C. E. Rasmussen and C. K. I. Williams, *Gaussian Processes for
       Machine Learning*, MIT Press (2006), section 2.7 (explicit basis
       functions).

    Examples
    --------
    >>> import numpy as np
    >>> from skspectra.search import TransferGaussianProcessRegressor
    >>> rng = np.random.default_rng(0)
    >>> X_old = rng.uniform(0, 1, (40, 1))
    >>> y_old = np.sin(6 * X_old[:, 0])
    >>> X_new = rng.uniform(0, 1, (5, 1))
    >>> y_new = np.sin(6 * X_new[:, 0]) + 0.3
    >>> model = TransferGaussianProcessRegressor(prior=[(X_old, y_old)])
    >>> model = model.fit(X_new, y_new)
    >>> x = np.array([[0.25]])
    >>> bool(abs(model.predict(x)[0] - (np.sin(1.5) + 0.3)) < 0.05)
    True
    """

    _parameter_constraints = {
        "kernel": [None, Kernel],
        "prior": [None, list, tuple, HasMethods(["predict"])],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "optimizer": [StrOptions({"fmin_l_bfgs_b"}), callable, None],
        "n_restarts_optimizer": [Interval(Integral, 0, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        kernel=None,
        *,
        prior=None,
        alpha=1e-10,
        optimizer="fmin_l_bfgs_b",
        n_restarts_optimizer=0,
        random_state=None,
    ):
        self.kernel = kernel
        self.prior = prior
        self.alpha = alpha
        self.optimizer = optimizer
        self.n_restarts_optimizer = n_restarts_optimizer
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Fit the prior mean (from the tasks) and the Gaussian process.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Descriptors.
        y : array-like of shape (n_samples,)
            Targets (energies).

        Returns
        -------
        self : TransferGaussianProcessRegressor
            Fitted estimator.
        """
        X, y = validate_data(self, X, y, y_numeric=True, dtype=np.float64)
        self.prior_model_ = fit_prior(
            self.prior,
            X.shape[1],
            kernel=self.kernel,
            alpha=self.alpha,
            optimizer=self.optimizer,
            n_restarts=self.n_restarts_optimizer,
            seed=self.random_state,
        )
        residual = y - prior_mean(self.prior_model_, X)
        self._offset, self._scale = standardise(residual)
        r = (residual - self._offset) / self._scale
        kernel = self.kernel
        if kernel is None:
            kernel = getattr(self.prior_model_, "kernel_", None)
        if kernel is None:
            kernel = default_kernel(X)
        self.kernel_, self.log_marginal_likelihood_value_ = fit_kernel(
            kernel,
            X,
            r,
            alpha=self.alpha,
            optimizer=self.optimizer,
            n_restarts_optimizer=self.n_restarts_optimizer,
            random_state=self.random_state,
            quiet=False,
        )
        latent, noise = split_noise(self.kernel_)
        if latent is None:
            raise ValueError(
                "kernel is only white noise; add a kernel for the function "
                "itself (for example RBF or Matern)."
            )
        self._noise = noise
        self._posterior = _ExactPosterior(latent, noise + self.alpha, X, r)
        self.X_train_ = X
        return self

    def predict(self, X, return_std=False):
        """Posterior mean (and standard deviation) of the target.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Descriptors.
        return_std : bool, default=False
            Also return the predictive standard deviation (including the
            kernel's white noise, as scikit-learn's Gaussian process does).

        Returns
        -------
        y_mean : ndarray of shape (n_samples,)
            Posterior mean.
        y_std : ndarray of shape (n_samples,)
            Posterior standard deviation; only with ``return_std=True``.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        mean, var, _ = self._posterior.predict(X)
        y_mean = prior_mean(self.prior_model_, X) + self._offset + self._scale * mean
        if not return_std:
            return y_mean
        return y_mean, self._scale * np.sqrt(var + self._noise)
