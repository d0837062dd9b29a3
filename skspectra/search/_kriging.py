"""Kriging (Gaussian-process Bayesian optimisation) over a finite candidate set."""

import math
import warnings
from numbers import Integral

import numpy as np
from scipy.special import ndtr
from sklearn.exceptions import ConvergenceWarning
from sklearn.gaussian_process.kernels import Kernel
from sklearn.utils import check_random_state

from skspectra.search._base import _BaseSearch, check_positive_int
from skspectra.search._gp import (
    _ExactPosterior,
    _FeaturePosterior,
    _RandomFeatures,
    default_kernel,
    fit_kernel,
    fit_prior,
    prior_mean,
    spectral_form,
    split_noise,
    standardise,
)
from skspectra.utils._parallel import single_threaded

ACQUISITIONS = ("ei", "ucb", "ts")
# random starting points of n_initial="auto": enough to fit a first length
# scale per descriptor without a prior; with a prior model, enough to set the
# scale of the new task's residual
N_INITIAL = 10
N_INITIAL_WITH_PRIOR = 2

# weight of the standard deviation in the lower confidence bound mu - k sigma:
# two standard deviations, the usual compromise for a finite candidate set
UCB_KAPPA = 2.0

# hyperparameters are refitted when the number of observations has grown by
# this factor since the last fit: every step at first, then less and less
# often, as more data change the maximum-likelihood kernel less
REFIT_GROWTH = 1.1

# hyperparameters are first fitted from this many observations: from fewer
# the likelihood is nearly flat and its maximum arbitrary, and the initial
# (or transferred) values are the better guess
MIN_REFIT = 5

# at most this many observations (a random subset) enter the hyperparameter
# fit, whose cost grows as the cube of their number (a handful of
# hyperparameters is well determined by far fewer); the posterior uses all
HYPER_FIT_MAX = 150

# the exact posterior costs about n_candidates * n_observations**2 flops; above
# this (about a tenth of a second of BLAS) "auto" switches to random features
EXACT_FLOPS = 2e9

# "auto" picks the number of random features so that a full recompute of the
# candidates' variance (n_candidates * n_features**2 flops) stays near this
FEATURE_FLOPS = 4e9
MIN_FEATURES, MAX_FEATURES = 128, 1024

# candidates whose stored feature matrix would exceed this many entries keep
# it in float32 (halving the memory; the variances are accumulated in float64)
FLOAT32_FEATURE_ENTRIES = 10_000_000


def expected_improvement(mean, std, best):
    """Expected improvement below ``best`` of a normal ``N(mean, std**2)``.

    ``EI = E[max(best - Y, 0)] = (best - mean) Phi(z) + std phi(z)`` with
    ``z = (best - mean) / std``; at ``std = 0`` it is ``max(best - mean, 0)``.

    Parameters
    ----------
    mean, std : array-like
        Posterior mean and standard deviation (``std >= 0``).
    best : float
        The lowest value observed so far.

    Returns
    -------
    ei : ndarray
        Non-negative; increasing in ``std`` and decreasing in ``mean``.

    Examples
    --------
    >>> from skspectra.search import expected_improvement
    >>> expected_improvement([0.0, 0.0, 2.0], [1.0, 0.0, 0.0], best=1.0)
    array([1.08331547, 1.        , 0.        ])
    """
    mean = np.asarray(mean, dtype=np.float64)
    std = np.asarray(std, dtype=np.float64)
    gap = best - mean
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(std > 0, gap / np.where(std > 0, std, 1.0), 0.0)
    density = np.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)
    ei = np.where(std > 0, gap * ndtr(z) + std * density, np.maximum(gap, 0.0))
    return np.maximum(ei, 0.0)


def _check_candidates(candidates):
    X = np.array(candidates, dtype=np.float64, copy=True)
    if X.ndim == 1:
        X = X.reshape(-1, 1)
    if X.ndim != 2 or X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(
            "candidates must be a non-empty 2-D array (one row of descriptors per "
            f"candidate); got shape {X.shape}."
        )
    bad = ~np.all(np.isfinite(X), axis=1)
    if bad.any():
        raise ValueError(
            f"candidates contain NaN or infinite values ({int(bad.sum())} rows, "
            f"the first is row {int(np.flatnonzero(bad)[0])}); remove them."
        )
    X.setflags(write=False)
    return X


class KrigingSearch(_BaseSearch):
    """Bayesian optimisation of an energy over a finite set of candidates.

    Kriging in the sense of Kiyohara et al. (2016): a Gaussian process is
    fitted to the energies computed so far, and the next candidate is the one
    that maximises an acquisition function of its posterior mean ``mu`` and
    standard deviation ``sigma`` -- the expected improvement below the best
    energy, the lower confidence bound ``mu - 2 sigma`` or a Thompson sample.
    The first ``n_initial`` candidates are drawn at random.  With
    ``prior_tasks`` (energies of related boundaries, Oda et al., 2017) the
    process is that of :class:`TransferGaussianProcessRegressor`: the related
    tasks' model is the prior mean and its hyperparameters are the starting
    point of the new ones.

    Parameters
    ----------
    candidates : array-like of shape (n_candidates, n_descriptors)
        Descriptors of every candidate (for grain boundaries, e.g., the
        rigid-body translations); finite values.
    kernel : sklearn.gaussian_process.kernels.Kernel, default=None
        Covariance of the standardised residuals; its hyperparameters are
        refitted by maximum likelihood as data arrive.  None: the prior
        model's kernel if there is one, else ``ConstantKernel * Matern(nu=1.5,
        one length scale per descriptor) + WhiteKernel``.
    acquisition : {"ei", "ucb", "ts"}, default="ei"
        Expected improvement, lower confidence bound, or Thompson sampling.
        Thompson sampling and random features need an ``RBF`` or ``Matern``
        kernel (optionally times a ``ConstantKernel``, plus a
        ``WhiteKernel``).
    n_initial : int or "auto", default="auto"
        Candidates drawn at random before the model chooses.  ``"auto"``:
        10 without ``prior_tasks``; 2 with them, because the related tasks'
        model already says where the low energies are and the random points
        only set the scale of the new task's residual (at most the number of
        candidates in either case).
    prior_tasks : list of (X, y) pairs or fitted regressor, default=None
        Descriptors and energies of related tasks, or a fitted regressor
        whose prediction is the prior mean (see
        :class:`TransferGaussianProcessRegressor`).
    batch_size : int, default=1
        Candidates per :meth:`suggest`; within a batch the posterior variance
        is updated as if each chosen candidate had returned its predicted
        energy (the "kriging believer"), so a batch spreads out.
    n_random_features : "auto", int or None, default="auto"
        None: the exact Gaussian-process posterior.  An int: Bayesian linear
        regression on that many random Fourier features of the kernel, with
        rank-one updates.  "auto": exact while ``n_candidates *
        n_observations**2`` is below ``2e9``, then random features, as many
        as keep a full update near ``4e9`` flops (128 to 1024, and at most
        the number of candidates).
    random_state : int, RandomState instance or None, default=None
        Seeds the initial design, the features, the tie-breaking and the
        Thompson samples.

    Attributes
    ----------
    candidates : ndarray of shape (n_candidates, n_descriptors)
        A read-only copy of the candidates.
    best_index_ : int or None
        Index of the lowest energy observed (None before any).
    best_value_ : float or None
        That energy.
    history_ : list of dict
        One entry per evaluation: ``trial``, ``item`` (the candidate index),
        ``value`` (NaN for a failure) and ``error`` (None, or the message of
        the exception the objective raised).
    kernel_ : Kernel or None
        The kernel with the last fitted hyperparameters.
    prior_model_ : regressor or None
        The model of the prior tasks.
    n_remaining_ : int
        Candidates neither observed nor waiting for a value.

    See Also
    --------
    MonteCarloTreeSearch : The search for solute configurations.
    TransferGaussianProcessRegressor : The surrogate as a regressor.
    make_spectral_objective : An objective that compares spectra.

    Notes
    -----
    The exact posterior over all candidates costs ``O(n_candidates *
    n_observations**2)`` per suggestion.  With random features (Rahimi &
    Recht, 2007; as in COMBO, Ueno et al., 2016) one observation updates the
    mean and variance of every candidate in ``O(n_candidates *
    n_features)``, and only a refit of the hyperparameters (when the data have
    grown by 10 %, on at most 150 of them) recomputes them in full.

    References
    ----------
    .. [1] S. Kiyohara, H. Oda, K. Tsuda and T. Mizoguchi, "Acceleration of
       stable interface structure searching using a kriging approach",
       Jpn. J. Appl. Phys. 55, 045502 (2016).
       :doi:`10.7567/JJAP.55.045502`
    .. [2] H. Oda, S. Kiyohara, K. Tsuda and T. Mizoguchi, "Transfer learning
       to accelerate interface structure searches", J. Phys. Soc. Jpn. 86,
       123601 (2017). :doi:`10.7566/JPSJ.86.123601`
    .. [3] T. Ueno, T. D. Rhone, Z. Hou, T. Mizoguchi and K. Tsuda, "COMBO: An
       efficient Bayesian optimization library for materials science",
       Materials Discovery 4, 18 (2016). :doi:`10.1016/j.md.2016.04.001`
    .. [4] A. Rahimi and B. Recht, "Random features for large-scale kernel
       machines", Advances in Neural Information Processing Systems 20
       (2007).

    Examples
    --------
    >>> import numpy as np
    >>> from skspectra.search import KrigingSearch
    >>> grid = np.linspace(0, 1, 201).reshape(-1, 1)
    >>> def energy(x):
    ...     return float((x[0] - 0.63) ** 2)
    >>> search = KrigingSearch(grid, n_initial=4, random_state=0)
    >>> search = search.run(energy, 12, progress=False)
    >>> float(grid[search.best_index_, 0])
    0.63
    >>> len(search.history_)
    12
    """

    def __init__(
        self,
        candidates,
        *,
        kernel=None,
        acquisition="ei",
        n_initial="auto",
        prior_tasks=None,
        batch_size=1,
        n_random_features="auto",
        random_state=None,
    ):
        self.candidates = _check_candidates(candidates)
        n, d = self.candidates.shape
        if kernel is not None and not isinstance(kernel, Kernel):
            raise ValueError(
                "kernel must be a scikit-learn kernel (sklearn.gaussian_process."
                f"kernels) or None; got {type(kernel).__name__}."
            )
        if acquisition not in ACQUISITIONS:
            raise ValueError(
                f"acquisition must be one of {', '.join(ACQUISITIONS)}; got "
                f"{acquisition!r}."
            )
        if isinstance(n_initial, str):
            if n_initial != "auto":
                raise ValueError(
                    f"n_initial must be an integer >= 0 or 'auto'; got {n_initial!r}."
                )
            auto = N_INITIAL if prior_tasks is None else N_INITIAL_WITH_PRIOR
            n_initial = min(auto, n)
        self.n_initial = check_positive_int(n_initial, "n_initial", minimum=0)
        if self.n_initial > n:
            raise ValueError(f"n_initial={n_initial} is more than the {n} candidates.")
        self.batch_size = check_positive_int(batch_size, "batch_size")
        if not (
            n_random_features is None
            or n_random_features == "auto"
            or (
                isinstance(n_random_features, Integral)
                and not isinstance(n_random_features, bool)
                and n_random_features >= 2
            )
        ):
            raise ValueError(
                "n_random_features must be 'auto', None or an integer >= 2; got "
                f"{n_random_features!r}."
            )
        self.kernel = kernel
        self.acquisition = acquisition
        self.prior_tasks = prior_tasks
        self.n_random_features = n_random_features
        self.random_state = random_state
        self._rng = check_random_state(random_state)
        self._init_bookkeeping(n)
        self.best_index_ = None
        self._values = np.full(n, np.nan)
        self._observed = []  # indices of successful observations, in order

        seed = int(self._rng.randint(np.iinfo(np.int32).max))
        with warnings.catch_warnings():
            # a hyperparameter at its bound is expected with few prior data
            warnings.simplefilter("ignore", ConvergenceWarning)
            self.prior_model_ = fit_prior(
                prior_tasks,
                d,
                kernel=kernel,
                alpha=1e-10,
                optimizer="fmin_l_bfgs_b",
                n_restarts=0,
                seed=seed,
            )
        self._prior = prior_mean(self.prior_model_, self.candidates)
        start = kernel
        if start is None:
            start = getattr(self.prior_model_, "kernel_", None)
        self.kernel_ = default_kernel(self.candidates) if start is None else start
        self._kernel_start = self.kernel_
        self._needs_features = acquisition == "ts" or n_random_features not in (
            None,
            "auto",
        )
        self._check_feature_kernel(self.kernel_, required=self._needs_features)
        self._fit_n = 0  # observations at the last hyperparameter fit
        self._offset, self._scale = 0.0, self._prior_scale()
        self._features = None  # (_RandomFeatures, _FeaturePosterior, n used)
        self._spare_phi = None  # feature storage left by the last refit

    # -- validation helpers ------------------------------------------------
    def _check_feature_kernel(self, kernel, *, required):
        latent, _ = split_noise(kernel)
        ok = latent is not None and spectral_form(latent) is not None
        if required and not ok:
            why = "acquisition='ts'" if self.acquisition == "ts" else "random features"
            raise ValueError(
                f"{why} needs an RBF or Matern kernel (optionally times a "
                f"ConstantKernel, plus a WhiteKernel); got {kernel}."
            )
        self._features_possible = ok

    def _prior_scale(self):
        scale = getattr(self.prior_model_, "_scale", None)
        return float(scale) if scale else 1.0

    def _describe(self, key):
        return f"candidate {key}"

    # -- the interface -------------------------------------------------------
    def _key(self, item):
        if isinstance(item, bool) or not isinstance(item, Integral | np.integer):
            raise ValueError(
                f"candidate indices must be integers; got {item!r} "
                f"({type(item).__name__})."
            )
        i = int(item)
        if not 0 <= i < self._n_items:
            raise ValueError(
                f"candidate index {i} is out of range for {self._n_items} candidates."
            )
        return i

    def _argument(self, key):
        return self.candidates[key]

    def _as_output(self, keys):
        return np.asarray(keys, dtype=np.intp)

    def _set_best(self, key):
        self.best_index_ = key

    def _learn(self, key, value):
        self._values[key] = value
        self._observed.append(key)

    def _batch(self):
        return self.batch_size

    def suggest(self):
        """Return the indices of the next candidates to evaluate.

        Returns
        -------
        indices : ndarray of shape (batch_size,)
            Fewer when fewer candidates are left.
        """
        return super().suggest()

    def observe(self, indices, values):
        """Record the energies of evaluated candidates.

        Parameters
        ----------
        indices : int or array-like of int
            Candidate indices (suggested or chosen by the user).
        values : float or array-like of float
            Their energies, one per index; NaN or inf marks a failed
            calculation, which is recorded and never proposed again.

        Returns
        -------
        self : KrigingSearch
            The object itself, for chaining calls.
        """
        idx = np.atleast_1d(np.asarray(indices))
        if idx.ndim != 1:
            raise ValueError(f"indices must be 1-D; got shape {idx.shape}.")
        vals = np.atleast_1d(np.asarray(values, dtype=np.float64))
        if vals.ndim != 1:
            raise ValueError(f"values must be 1-D; got shape {vals.shape}.")
        keys = [self._key(i) for i in idx.tolist()]
        return self._observe_keys(keys, vals.tolist())

    def _check_budget(self, n_trials):
        n_trials = check_positive_int(n_trials, "n_trials")
        if self._n_success + n_trials < self.n_initial:
            raise ValueError(
                f"n_trials={n_trials} is smaller than n_initial={self.n_initial} "
                f"(with {self._n_success} observations so far): the search would "
                "end before the model chooses a candidate; raise n_trials or "
                "lower n_initial."
            )
        return n_trials

    # -- choosing candidates -------------------------------------------------
    def _free(self):
        mask = np.ones(self._n_items, dtype=bool)
        mask[list(self._done | self._pending)] = False
        return np.flatnonzero(mask)

    def _propose(self, n):
        free = self._free()
        n = min(n, free.size)
        if self._n_success < self.n_initial or (
            self._n_success == 0 and self.prior_model_ is None
        ):
            return [int(i) for i in self._rng.choice(free, size=n, replace=False)]
        self._update_hyperparameters()
        if self.acquisition == "ts":
            return self._propose_thompson(free, n)
        mean, var, believe, restore = self._posterior(free)
        chosen = []
        for k in range(n):
            score = self._score(mean, var)
            score[chosen] = -np.inf
            j = self._argmax(score)
            chosen.append(j)
            if k + 1 < n:
                var = believe(j, var)
        restore()
        return [int(free[j]) for j in chosen]

    def _argmax(self, score):
        top = np.flatnonzero(score == score.max())
        return int(top[0] if top.size == 1 else self._rng.choice(top))

    def _score(self, mean, var):
        """Acquisition (larger is better) in energy units."""
        mu = mean
        sigma = np.sqrt(var)
        if self.acquisition == "ucb":
            return -(mu - UCB_KAPPA * sigma)
        if self._observed:
            best = float(self.best_value_)
        else:
            best = float(mu.min())
        return expected_improvement(mu, sigma, best)

    # -- the model -------------------------------------------------------------
    def _residuals(self):
        idx = np.asarray(self._observed, dtype=np.intp)
        return idx, self._values[idx] - self._prior[idx]

    def _update_hyperparameters(self):
        n = len(self._observed)
        if n < MIN_REFIT or n < math.ceil(self._fit_n * REFIT_GROWTH):
            return
        idx, residual = self._residuals()
        self._offset, self._scale = standardise(residual)
        r = (residual - self._offset) / self._scale
        if n > HYPER_FIT_MAX:
            sub = self._rng.choice(n, size=HYPER_FIT_MAX, replace=False)
            idx, r = idx[sub], r[sub]
        # on one BLAS thread: matrices of at most HYPER_FIT_MAX rows are too
        # small for threads to pay, and threads waiting for a busy core cost
        # many times the work
        with single_threaded("blas"):
            fits = self._fit_kernels(idx, r)
        self.kernel_ = max(fits, key=lambda fit: fit[1])[0]
        self._fit_n = n
        # new hyperparameters: new features, in the storage of the old ones
        if self._features is not None:
            self._spare_phi = self._features[1].Phi
        self._features = None

    def _fit_kernels(self, idx, r):
        """Fits from the last hyperparameters and from the initial ones: a
        warm start alone can stay in a poor local maximum of the likelihood
        found when the data were few."""
        return [
            fit_kernel(
                start,
                self.candidates[idx],
                r,
                alpha=1e-10,
                optimizer="fmin_l_bfgs_b",
                n_restarts_optimizer=0,
                random_state=None,
                quiet=True,
            )
            for start in {id(k): k for k in (self.kernel_, self._kernel_start)}.values()
        ]

    def _use_features(self):
        if self.n_random_features is None:
            return False
        if self.n_random_features != "auto":
            return True
        cost = self._n_items * float(len(self._observed)) ** 2
        return self._features_possible and cost > EXACT_FLOPS

    def _n_features(self):
        if self.n_random_features not in (None, "auto"):
            return int(self.n_random_features)
        m = int(math.sqrt(FEATURE_FLOPS / self._n_items))
        # more features than candidates add cost, not accuracy on the candidates
        m = min(m, max(self._n_items, MIN_FEATURES))
        return int(np.clip(m, MIN_FEATURES, MAX_FEATURES)) // 2 * 2

    def _feature_model(self):
        """The random-feature posterior, brought up to date with the data."""
        idx, residual = self._residuals()
        r = (residual - self._offset) / self._scale
        if self._features is None:
            latent, noise = split_noise(self.kernel_)
            features = _RandomFeatures(
                spectral_form(latent),
                self._n_features(),
                self.candidates.shape[1],
                self._rng,
            )
            size = self._n_items * features.n_features
            dtype = np.float32 if size > FLOAT32_FEATURE_ENTRIES else np.float64
            # the features of the previous hyperparameters are overwritten.  On
            # one BLAS thread: the phases are products over a few descriptors,
            # and the posterior's products are bound by memory bandwidth about
            # as much as by arithmetic; threads gain little on a quiet machine
            # and lose much on a busy one
            with single_threaded("blas"):
                Phi = features.transform(self.candidates, dtype, out=self._spare_phi)
                self._spare_phi = None
                model = _FeaturePosterior(Phi, noise + 1e-10, idx, r)
            self._features = [features, model, idx.size]
            return model
        _, model, used = self._features
        for i, value in zip(idx[used:], r[used:], strict=True):
            model.add(i, value)
        self._features[2] = idx.size
        return model

    def _posterior(self, free):
        """Mean and variance (energy units) at ``free``, a believer update of
        the variance after a fantasised observation, and a function undoing
        the fantasies."""
        scale2 = self._scale**2
        offset = self._prior[free] + self._offset
        if self._use_features():
            model = self._feature_model()
            Sigma = model.Sigma.copy()

            def believe(j, var):
                return model.believe(free[j], var / scale2, free) * scale2

            def restore():
                model.Sigma = Sigma

            mean = offset + self._scale * model.mean[free]
            return mean, scale2 * model.var[free], believe, restore
        idx, residual = self._residuals()
        r = (residual - self._offset) / self._scale
        latent, noise = split_noise(self.kernel_)
        post = _ExactPosterior(latent, noise + 1e-10, self.candidates[idx], r)
        Xf = self.candidates[free]
        keep = self.batch_size > 1
        mean, var, V = post.predict(Xf, keep_v=keep)
        rows = [] if V is None else [V]
        total_noise = noise + 1e-10

        def believe(j, var_e):
            if not keep:
                return var_e
            cov = latent(Xf, Xf[j : j + 1])[:, 0]
            for block in rows:
                cov = cov - block.T @ block[:, j]
            v = var_e[j] / scale2 + total_noise
            new = cov / math.sqrt(v)
            rows.append(new.reshape(1, -1))
            return np.maximum(var_e - scale2 * new * new, 0.0)

        return offset + self._scale * mean, scale2 * var, believe, lambda: None

    def _propose_thompson(self, free, n):
        model = self._feature_model()
        chosen = []
        for _ in range(n):
            draw = self._prior[free] + self._offset
            draw = draw + self._scale * model.sample(self._rng, free)
            draw[chosen] = np.inf
            chosen.append(self._argmax(-draw))
        return [int(free[j]) for j in chosen]
