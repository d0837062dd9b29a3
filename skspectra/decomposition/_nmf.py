"""SparseNMF and PoissonNMF: spectrum-image NMF with ARD and soft orthogonality."""

import numbers
import warnings

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
    clone,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from skspectra.decomposition._basis import (
    check_spectral_basis,
    coefficients_on,
    unit_sum_spectra,
)
from skspectra.decomposition._rmt import noise_quantile
from skspectra.decomposition._solver import (
    _DIV_GUARD,
    Model,
    Solver,
    data_statistics,
    log_likelihood_converged,
    make_source,
    nndsvd,
    objective_converged,
    randomized_svd_blocks,
)
from skspectra.decomposition._spatial import (
    check_image_shape,
    choose_smoothness,
    make_penalty,
)
from skspectra.utils import check_energy, fold, unfold
from skspectra.utils.validation import is_dask_array

__all__ = ["PoissonNMF", "SparseNMF"]

# the cap of n_components="auto" with ARD: above the number of phases of
# almost any spectrum image, and the ARD fit's cost grows with it
_AUTO_CAP = 10

# transform solves the Poisson W step with the spectra fixed to a relative
# change of 1e-4 within 100 sweeps: abundances to four digits, a tenth of the
# cost of the fit's final refinement
_TRANSFORM_POISSON = (100, 1e-4)

# a component is kept when removing it (and refitting the others) costs more
# log-likelihood than one component fitted to pure noise gains with
# probability _PRUNE_ALPHA: that gain is at most half the largest squared
# singular value of the whitened noise (a non-negative component fitted to
# noise gains less than the unconstrained one), whose law is Tracy-Widom
# (Johnstone 2001); the level is that of select_n_components' test
_PRUNE_ALPHA = 0.01

# the refits of the likelihood selection stop when an iteration improves the
# log-likelihood by less than this fraction of the gain of a component
# fitted to noise: the gains compared with the threshold (about that gain)
# are then accurate to a small part of it
_REFIT_STEP = 1e-2

# the fewest components past the largest gap of the ARD shares that the
# likelihood walk skips as one group (see _weak_group): two real components
# of close shares below a gap are common, a cap above the true number by
# three or more leaves at least three fitted to noise
_WEAK_GROUP = 3

# iterations of the short refit that first tries a removal: enough to move
# the abundances of a component fitted to noise onto the others; a real
# component is then checked with both fits converged
_TRIAL_ITER = 5


def _proposal_settled(history, iters):
    """Stopping test of an ARD fit that only proposes: its relevances alone."""
    return True


def _weak_group(share, index):
    """The components of ``index`` past the largest gap of the shares, when
    they are a group: at least :data:`_WEAK_GROUP` of them, spread over a
    smaller ratio than that gap.

    Components fitted to noise share the counts evenly, far below the real
    ones.  Returns ``index`` ordered strongest first and how many stand
    above the gap, or that number as ``index.size`` when there is no group.
    """
    order = index[np.argsort(-share[index], kind="stable")]
    s = share[order]
    if s.size <= _WEAK_GROUP or s[-1] <= 0:
        return order, order.size
    ratio = s[:-1] / s[1:]
    strong = int(np.argmax(ratio)) + 1
    if s.size - strong < _WEAK_GROUP or s[strong] / s[-1] >= ratio[strong - 1]:
        return order, order.size
    return order, strong


def _most_alike(H, learned):
    """The two learned rows of ``H`` of largest cosine, or None."""
    rows = np.flatnonzero(learned)
    if rows.size < 2:
        return None
    Hl = np.asarray(H, dtype=np.float64)[rows]
    Hl = Hl / np.maximum(np.linalg.norm(Hl, axis=1, keepdims=True), _DIV_GUARD)
    cos = Hl @ Hl.T
    np.fill_diagonal(cos, -np.inf)
    i, j = np.unravel_index(int(np.argmax(cos)), cos.shape)
    return int(rows[min(i, j)]), int(rows[max(i, j)])


def _merged(W, H, i, j):
    """Factors with components ``i < j`` merged into one at ``i``: its map
    holds the counts of both, its spectrum their count-weighted mean; the
    positions of the components kept."""
    dtypes = W.dtype, H.dtype
    W = np.array(W, dtype=np.float64)
    H = np.array(H, dtype=np.float64)
    s = H[[i, j]].sum(axis=1)
    counts = W[:, [i, j]].sum(axis=0) * s
    total = max(float(counts.sum()), _DIV_GUARD)
    spectrum = (counts[0] * H[i] / max(s[0], _DIV_GUARD)) + (
        counts[1] * H[j] / max(s[1], _DIV_GUARD)
    )
    W[:, i] = W[:, i] * s[0] + W[:, j] * s[1]
    H[i] = spectrum / total
    rest = np.delete(np.arange(H.shape[0]), j)
    return W[:, rest].astype(dtypes[0]), H[rest].astype(dtypes[1]), rest


def _is_out_of_core(X):
    return isinstance(X, np.memmap) or is_dask_array(X)


def _free_pixels(model):
    """Pixels free to fit noise: all of them, or fewer under a spatial prior
    that ties neighbouring maps together."""
    return model.N if model.spatial is None else model.spatial.effective_pixels()


def _projection_block(Xb, Hd):
    """The start of ``transform`` on one block: each spectrum projected on
    each component alone and clipped at zero (the caller shares it among
    the components)."""
    Xb = np.asarray(Xb, dtype=np.float64)
    return np.maximum(Xb @ Hd.T, 0) / np.maximum(np.sum(Hd * Hd, axis=1), _DIV_GUARD)


class _BaseSpectrumNMF(
    ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator
):
    """Common machinery of SparseNMF and PoissonNMF."""

    _loss = None

    _parameter_constraints: dict = {
        "n_components": [
            Interval(numbers.Integral, 1, None, closed="left"),
            StrOptions({"auto"}),
        ],
        "ard": ["boolean"],
        "orthogonality": [Interval(numbers.Real, 0, None, closed="left")],
        "sparsity": [Interval(numbers.Real, 0, None, closed="left")],
        "fixed_components": ["array-like", None],
        "init": [StrOptions({"random", "nndsvd", "nndsvda", "nndsvdar"})],
        "n_init": [Interval(numbers.Integral, 1, None, closed="left")],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "tol": [Interval(numbers.Real, 0, None, closed="left")],
        "extrapolate": ["boolean"],
        "ard_shape": [Interval(numbers.Real, 2, None, closed="neither")],
        "prune_tol": [Interval(numbers.Real, 0, 1, closed="left")],
        "prune": [StrOptions({"likelihood", "relevance"})],
        "block_size": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "n_jobs": [numbers.Integral, None],
        "energy": ["array-like", None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "callback": [callable, None],
        "spatial_smoothness": [
            Interval(numbers.Real, 0, None, closed="left"),
            StrOptions({"auto"}),
        ],
        "image_shape": ["array-like", None],
        "spectral_basis": ["array-like", None],
    }

    def __init__(
        self,
        n_components=10,
        *,
        ard=True,
        orthogonality=0.0,
        sparsity=0.0,
        fixed_components=None,
        init="nndsvda",
        n_init=1,
        max_iter=500,
        tol=1e-4,
        extrapolate=True,
        ard_shape=5.0,
        prune_tol=1e-2,
        prune="likelihood",
        block_size=None,
        n_jobs=None,
        energy=None,
        random_state=None,
        verbose=0,
        callback=None,
        spatial_smoothness=0.0,
        image_shape=None,
        spectral_basis=None,
    ):
        self.n_components = n_components
        self.ard = ard
        self.orthogonality = orthogonality
        self.sparsity = sparsity
        self.fixed_components = fixed_components
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.extrapolate = extrapolate
        self.ard_shape = ard_shape
        self.prune_tol = prune_tol
        self.prune = prune
        self.block_size = block_size
        self.n_jobs = n_jobs
        self.energy = energy
        self.random_state = random_state
        self.verbose = verbose
        self.callback = callback
        self.spatial_smoothness = spatial_smoothness
        self.image_shape = image_shape
        self.spectral_basis = spectral_basis

    # ------------------------------------------------------------- checks
    def _clip_negative(self):
        return False

    def _check_X(self, X, reset):
        """Validate X; return (X, working dtype). Keeps memmap/Dask lazy."""
        if _is_out_of_core(X):
            if X.ndim != 2:
                raise ValueError(
                    "Expected a 2-D array (n_pixels, n_channels); got shape "
                    f"{X.shape}. Use fit_image for a (ny, nx, n_channels) image."
                )
            if not np.issubdtype(X.dtype, np.number) or np.issubdtype(
                X.dtype, np.complexfloating
            ):
                raise TypeError(f"X must hold real numbers; got dtype {X.dtype}.")
            validate_data(self, X, reset=reset, skip_check_array=True)
            dtype = np.float32 if X.dtype == np.float32 else np.float64
            return X, dtype
        X = validate_data(
            self,
            X,
            reset=reset,
            dtype=[np.float64, np.float32],
            ensure_min_samples=2 if reset else 1,
        )
        return X, X.dtype.type

    def _check_negative(self, minimum):
        if minimum < 0:
            if self._loss == "poisson":
                raise ValueError(
                    "Negative values in data passed to PoissonNMF: it models counts "
                    "and X contains negative values "
                    f"(minimum {minimum:g}); a Poisson likelihood is not defined for "
                    "them. Use raw counts, or SparseNMF(clip_negative=True) for "
                    "background-subtracted data."
                )
            if not self._clip_negative():
                raise ValueError(
                    f"Negative values in data passed to {type(self).__name__} "
                    f"(minimum {minimum:g}); NMF needs "
                    "non-negative data. Pass clip_negative=True to set them to zero "
                    "(for example after background subtraction)."
                )

    def _check_fixed(self, n_features, dtype):
        if self.fixed_components is None:
            return None
        F = unit_sum_spectra(
            self.fixed_components, n_features, "fixed_components", "n_fixed"
        )
        if self.n_components != "auto" and F.shape[0] > self.n_components:
            raise ValueError(
                f"n_components={self.n_components} must be at least the number of "
                f"fixed components ({F.shape[0]})."
            )
        return F

    # ------------------------------------------------------------- init
    def _initialize(self, source, stats, K, rng, fixed, basis=None):
        """Starting factors; with a basis, ``H`` holds coefficients on it."""
        N, M = source.n_rows, source.n_cols
        mean = stats["mean"]
        if self.init == "random":
            avg = np.sqrt(mean / K)
            W = np.abs(avg * rng.standard_normal((N, K)))
            H = np.abs(avg * rng.standard_normal((K, M)))
        else:
            U, S, Vt = randomized_svd_blocks(source, K, rng)
            W, H = nndsvd(U, S, Vt, self.init, mean, rng)
            if basis is not None:
                # the basis is fitted to the SVD's spectra before their zeros
                # are filled: a filled floor would be fitted by the continuum
                # rows and make every starting spectrum alike
                _, H0 = nndsvd(U, S, Vt, "nndsvd", mean, rng)
                H = np.where(H0.sum(axis=1, keepdims=True) > 0, H0, H)
            if S.shape[0] < K:  # rank of X below K: fill the rest
                avg = np.sqrt(mean / K)
                extra = K - S.shape[0]
                W = np.hstack([W, np.abs(avg * rng.standard_normal((N, extra)))])
                H = np.vstack([H, np.abs(avg * rng.standard_normal((extra, M)))])
        if fixed is not None:
            n_fixed = fixed.shape[0]
            learned_sums = H[n_fixed:].sum(axis=1)
            scale = learned_sums.mean() if learned_sums.size else np.sqrt(mean / K) * M
            H[:n_fixed] = fixed * scale
            W[:, :n_fixed] = np.sqrt(mean / K)
        if basis is not None:
            H = coefficients_on(H, basis, 0 if fixed is None else fixed.shape[0])
        return W, H

    # ------------------------------------------------------------- fit
    def _fit(self, X, image_shape=None, start=None, step=None):
        """Fit X.

        ``start`` = (W, H), the model's abundances and spectra, is a warm
        start used instead of ``init`` (one run).  ``step`` replaces the
        relative test of ``tol`` (which reads the decrease since the start,
        small from a warm one) by a log-likelihood improvement per
        iteration.
        """
        X, dtype = self._check_X(X, reset=True)
        N, M = X.shape
        grid, weight = self._check_spatial(X, image_shape)
        self.energy_ = check_energy(self.energy, M)
        fixed = self._check_fixed(M, dtype)
        basis = check_spectral_basis(self.spectral_basis, M, fixed)
        K = self._resolve_n_components(X, N, M)
        if K > min(N, M):
            warnings.warn(
                f"n_components={K} is larger than min(n_pixels, n_channels)="
                f"{min(N, M)}; using {min(N, M)} components.",
                UserWarning,
                stacklevel=4,
            )
            K = min(N, M)
        n_fixed = 0 if fixed is None else fixed.shape[0]
        if n_fixed > K:
            raise ValueError(
                f"{n_fixed} fixed components do not fit in {K} components "
                f"(at most min(n_pixels, n_channels)={min(N, M)})."
            )
        source = make_source(
            X, dtype, self.block_size, self._clip_negative(), self.n_jobs
        )
        with source.workers():
            stats = data_statistics(source, need_xlogx=self._loss == "poisson")
            self._check_negative(stats["min"])
            if stats["sum"] <= 0:
                raise ValueError(
                    "X is zero everywhere (after clipping negative values); there "
                    "is nothing to factorise."
                )
            if self._loss == "poisson" and self.ard and not stats["counts"]:
                warnings.warn(
                    f"{type(self).__name__}: X is not whole counts, but ARD reads "
                    "the number of components from a Poisson likelihood, which "
                    f"takes X as counts ({stats['sum']:.3g} in all): the number "
                    "found depends on the scale of X. Give X in counts, or use "
                    "SparseNMF for data with Gaussian noise.",
                    UserWarning,
                    stacklevel=4,
                )
            learned = np.ones(K, dtype=bool)
            learned[:n_fixed] = False
            model = Model(
                loss=self._loss,
                stats=stats,
                n_components=K,
                learned=learned,
                ard=self.ard,
                ard_shape=self.ard_shape,
                orthogonality=self.orthogonality,
                sparsity=self.sparsity,
                dtype=dtype,
                prune_tol=self.prune_tol,
                spatial=make_penalty(grid, weight, self._loss, stats),
                basis=basis,
                extrapolate=self.extrapolate,
            )
            best = self._best_run(
                Solver(source, model), stats, K, fixed, dtype, start, step
            )
            if self.ard and self.prune == "likelihood":
                best, model = self._select_by_likelihood(source, stats, model, best)
        converged = best["ard"]["converged"] if "ard" in best else best["converged"]
        if not converged and self.tol > 0:
            warnings.warn(
                f"{type(self).__name__} reached max_iter={self.max_iter} "
                f"iterations before the objective converged (tol={self.tol:g}); "
                "increase max_iter, or tol.",
                ConvergenceWarning,
                stacklevel=4,
            )
        self._store(best, model, dtype)
        n_learned = int(np.count_nonzero(self.active_components_)) - int(
            np.count_nonzero(self.fixed_components_mask_)
        )
        if self.ard and K > 1 and n_learned == K - n_fixed:
            warnings.warn(
                f"{type(self).__name__} kept all n_components={K} components it "
                "was allowed: the number of components may be larger; fit again "
                "with a larger n_components.",
                UserWarning,
                stacklevel=4,
            )
        return best["W"]

    def _check_spatial(self, X, image_shape):
        """The pixel grid and the weight of the spatial prior of this fit.

        ``image_shape`` is the grid ``fit_image`` knows; it must agree with
        the parameter ``image_shape`` if both are given.  Sets
        ``spatial_smoothness_`` (for ``"auto"``: the weight chosen).
        """
        if self.image_shape is not None:
            given = check_image_shape(self.image_shape, X.shape[0], neighbours=False)
            if image_shape is not None and given != tuple(image_shape):
                raise ValueError(
                    f"image_shape={given} does not match the grid "
                    f"{tuple(image_shape)} of the image passed to fit_image."
                )
        grid = self.image_shape if image_shape is None else image_shape
        weight = self.spatial_smoothness
        if not (isinstance(weight, str) or weight > 0):
            self.spatial_smoothness_ = 0.0
            return None, 0.0
        if grid is None:
            raise ValueError(
                f"spatial_smoothness={weight!r} needs the pixel grid of X: "
                "pass image_shape=(ny, nx) or use fit_image."
            )
        grid = check_image_shape(grid, X.shape[0])
        if isinstance(weight, str):
            weight, self.smoothness_scores_ = choose_smoothness(self, X, grid)
        self.spatial_smoothness_ = float(weight)
        return grid, float(weight)

    def _resolve_n_components(self, X, N, M):
        """``n_components``, or for ``"auto"`` the cap or the number chosen.

        With ARD, ``"auto"`` is a cap of ``_AUTO_CAP`` (at most
        ``min(N, M)``); without, :func:`select_n_components` chooses.
        """
        if self.n_components != "auto":
            return int(self.n_components)
        cap = min(_AUTO_CAP, min(N, M))
        if self.ard:
            return cap
        from skspectra.decomposition._select import select_n_components

        if self.fixed_components is not None:
            raise ValueError(
                "n_components='auto' with ard=False does not take fixed_components; "
                "give n_components, or use ard=True."
            )
        if min(N, M) < 3:
            return 1
        result = select_n_components(
            np.asarray(X),
            model=clone(self).set_params(n_components=1),
            max_components=min(cap, min(N, M) - 1),
            random_state=self.random_state,
        )
        self.n_components_selection_ = result
        return result.n_components

    def _best_run(self, solver, stats, K, fixed, dtype, start=None, step=None):
        """``n_init`` fits from different starts, or one from ``start``; the
        lowest final objective."""
        rng = check_random_state(self.random_state)
        best = None
        for run in range(self.n_init if start is None else 1):
            if start is None:
                W0, H0 = self._initialize(
                    solver.source, stats, K, rng, fixed, solver.model.basis
                )
                if solver.model.spatial is not None:
                    W0 = solver.model.spatial.smooth(W0)
            else:
                W0, H0 = (np.array(a, dtype=np.float64) for a in start)
                if solver.model.basis is not None:
                    n_fixed = 0 if fixed is None else fixed.shape[0]
                    H0 = coefficients_on(H0, solver.model.basis, n_fixed)
            fit = self._run(solver, W0.astype(dtype), H0.astype(dtype), run, step)
            if best is None or fit["J"] < best["J"]:
                best = fit
        return best

    def _run(self, solver, W, H, run, step=None):
        """One fit from ``(W, H)``, then the objective at the returned factors.

        ``run`` numbers the restart reported to the callback; ``step``, if
        given, is the log-likelihood improvement per iteration it stops at.
        """
        callback = self._callback(run)
        # with likelihood pruning the ARD fit only proposes the components
        # (the refits converge them): it stops once the relevances settle
        converged = None
        if step is not None:

            def converged(history, iters):
                return log_likelihood_converged(history, solver.model, step, iters)

        elif self.ard and self.prune == "likelihood" and self.tol > 0:
            converged = _proposal_settled
        if self._loss == "gaussian":
            W, H, hist, n_iter, state = solver.fit_gaussian(
                W, H, self.max_iter, self.tol, callback, converged
            )
            # the refinement stops block by block; a warm start from the
            # iterations' W keeps later refits independent of the blocks
            W_iter = W.copy()
            W, J, err, wsum = solver.refine_gaussian(W, H, state)
            err = float(np.sqrt(err))
        else:
            W, H, hist, n_iter, state = solver.fit_poisson(
                W, H, self.max_iter, self.tol, callback, converged
            )
            # one W step: the objective at the returned factors, as the
            # history's last value, without a further solve
            W, J, err, wsum = solver.refine_poisson(
                W, H, state, n_inner=1, inner_tol=0.0
            )
            W_iter = W
        return dict(
            W=W,
            W_iter=W_iter,
            H=H,
            hist=[*hist, J],
            n_iter=n_iter,
            state=state,
            J=J,
            err=err,
            wsum=wsum,
            iters=[*state["iters"], n_iter + 1],
            converged=n_iter < self.max_iter
            or objective_converged(hist, self.tol, state["iters"]),
        )

    def _log_likelihood(self, fit, model):
        """Log-likelihood of a fit up to a constant of the data.

        Poisson: minus the KL divergence.  Gaussian with the noise variance
        profiled out: ``-(N M / 2) log ||X - W H||^2``.
        """
        if self._loss == "poisson":
            return -float(fit["err"])
        rss = max(float(fit["err"]) ** 2, _DIV_GUARD)
        return -0.5 * model.N * model.M * np.log(rss)

    @staticmethod
    def _noise_gain(model):
        """Log-likelihood gained by one component fitted to pure noise: half
        the edge of the Marchenko-Pastur law, ``(sqrt(n) + sqrt(M))^2 / 2``
        for ``n`` free pixels (fewer under a spatial prior)."""
        n = _free_pixels(model)
        return 0.5 * (np.sqrt(n) + np.sqrt(model.M)) ** 2

    @staticmethod
    def _prune_threshold(model):
        """The log-likelihood a component must explain to be kept: what a
        component fitted to pure noise gains with probability
        :data:`_PRUNE_ALPHA`."""
        return 0.5 * noise_quantile(_free_pixels(model), model.M, _PRUNE_ALPHA)

    def _refit(self, source, stats, model, index, W, H, max_iter=None):
        """Fit the components ``index`` without the ARD prior, from (W, H).

        At most ``max_iter`` iterations (default ``self.max_iter``); the
        result's ``done`` says whether the refit converged.
        """
        sub = Model(
            loss=self._loss,
            stats=stats,
            n_components=len(index),
            learned=model.learned[index],
            ard=False,
            ard_shape=self.ard_shape,
            orthogonality=self.orthogonality,
            sparsity=self.sparsity,
            dtype=model.dtype,
            spatial=model.spatial,
            basis=model.basis,
            extrapolate=self.extrapolate,
        )
        step = _REFIT_STEP * self._noise_gain(model)

        def converged(history, iters):
            return log_likelihood_converged(history, sub, step, iters)

        limit = self.max_iter if max_iter is None else min(max_iter, self.max_iter)
        solver = Solver(source, sub)
        if self._loss == "gaussian":
            W, H, hist, n_iter, state = solver.fit_gaussian(
                W.copy(), H.copy(), limit, 0.0, None, converged
            )
            # the residual at the iterations' factors; the final fit is
            # refined by the caller
            W, _, err, wsum = solver.refine_gaussian(W, H, state, 0, 0.0)
            err = float(np.sqrt(err))
        else:
            W, H, hist, n_iter, state = solver.fit_poisson(
                W.copy(), H.copy(), limit, 0.0, None, converged
            )
            W, _, err, wsum = solver.refine_poisson(
                W, H, state, n_inner=1, inner_tol=0.0
            )
        fit = dict(W=W, H=H, state=state, err=err, wsum=wsum, n_iter=n_iter)
        fit["index"] = np.asarray(index)
        fit["done"] = converged(hist, state["iters"]) or n_iter >= self.max_iter
        fit["loglik"] = self._log_likelihood(fit, sub)
        fit["model"] = sub
        return fit

    @staticmethod
    def _shares(fit):
        """Share of the counts of each component of a fit, ``|w_k| |h_k|``."""
        H = fit["H"].astype(np.float64)
        return np.asarray(fit["wsum"], dtype=np.float64) * H.sum(axis=1)

    def _select_by_likelihood(self, source, stats, model, ard_fit):
        """Prune the components that explain less than the noise.

        The ARD fit orders the components by relevance and drops those whose
        share is below ``prune_tol`` of the largest.  The rest are refitted
        without the prior; then, weakest first, a component is removed (the
        others refitted from where they were) while the log-likelihood lost
        is below what a component fitted to pure noise gains with
        probability :data:`_PRUNE_ALPHA`.  A removal is tried with a short
        refit, which against a converged fit can only overstate the loss: a
        removal is accepted only from a converged fit, and a loss above the
        threshold is checked with the short refit converged too.  The last
        refit is returned, so the spectra carry no shrinkage from the prior.

        Where the data are good the prior is weak beside the likelihood, and
        components fitted to noise survive ARD as a group that shares the
        counts evenly, far below the real ones (see :func:`_weak_group`);
        converging a fit that holds them all is what a walk from the cap
        spends most of its passes on.  So the walk then starts from the
        components above the group and its strongest member, whose removal
        is the first one tested; the weaker members go with it.  If that
        removal is refused, the walk starts again from every component ARD
        kept.
        """
        share = self._shares(ard_fit)
        learned = model.learned
        keep = ~learned | (share > self.prune_tol * share[learned].max(initial=0))
        if not keep.any():
            keep[np.argmax(share)] = True
        index = np.flatnonzero(keep)
        threshold = self._prune_threshold(model)
        counter = {"n": 0}

        def refit(index, W, H, max_iter=None):
            out = self._refit(source, stats, model, index, W, H, max_iter)
            counter["n"] += out["n_iter"]
            return out

        def polish(fit):
            if fit["done"]:
                return fit
            return refit(fit["index"], fit["W"], fit["H"])

        def without_one(fit):
            """The better of two short refits of ``fit`` with one learned
            component fewer: without the weakest, and with the two of most
            alike spectra merged (a phase that ARD split in two is one
            component too many, however strong its halves)."""
            at = fit["index"]
            share = self._shares(fit)
            share[~learned[at]] = np.inf
            rest = np.delete(np.arange(len(at)), int(np.argmin(share)))
            trials = [refit(at[rest], fit["W"][:, rest], fit["H"][rest], _TRIAL_ITER)]
            pair = _most_alike(fit["H"], learned[at])
            if pair is not None:
                W, H, rest = _merged(fit["W"], fit["H"], *pair)
                trials.append(refit(at[rest], W, H, _TRIAL_ITER))
            return max(trials, key=lambda trial: trial["loglik"])

        def walk(index):
            """Remove the weakest component while that costs less than the
            threshold; the last fit and the losses of the removals tried."""
            W0 = ard_fit["W_iter"]
            fit = refit(index, W0[:, index], ard_fit["H"][index], _TRIAL_ITER)
            gains = []
            while np.count_nonzero(learned[fit["index"]]) > 1:
                trial = without_one(fit)
                gain = fit["loglik"] - trial["loglik"]
                # a short trial overstates the loss only against a converged
                # fit, so a removal is accepted from a converged fit; a loss
                # above the threshold is checked with both converged, and a
                # loss the converged trial brings below it is an acceptance
                if gain < threshold and not fit["done"]:
                    fit = polish(fit)
                    trial = without_one(fit)
                    gain = fit["loglik"] - trial["loglik"]
                if gain >= threshold and not trial["done"]:
                    trial = polish(trial)
                    gain = fit["loglik"] - trial["loglik"]
                    if gain < threshold and not fit["done"]:
                        fit = polish(fit)
                        trial = polish(without_one(fit))
                        gain = fit["loglik"] - trial["loglik"]
                gains.append(gain)
                if gain >= threshold:
                    break
                fit = trial
            return fit, gains

        # past a weak group, the walk starts at its strongest member; if
        # that removal is refused, from every component ARD kept
        order, strong = _weak_group(share, index[learned[index]])
        fit, gains = None, []
        if strong < order.size:
            start = np.concatenate([index[~learned[index]], order[: strong + 1]])
            fit, gains = walk(np.sort(start))
        if fit is None or (gains and gains[0] >= threshold):
            fit, gains = walk(index)
        fit = polish(fit)
        if self._loss == "gaussian":
            solver = Solver(source, fit["model"])
            W, _, err, wsum = solver.refine_gaussian(fit["W"], fit["H"], fit["state"])
            fit.update(W=W, err=float(np.sqrt(err)), wsum=wsum)
        fit["ard"] = ard_fit
        fit["gains"] = np.asarray(gains, dtype=np.float64)
        fit["threshold"] = float(threshold)
        fit["n_refit"] = counter["n"]
        return fit, fit["model"]

    def _callback(self, run):
        progress = self.callback
        if not self.verbose and progress is None:
            return None

        def report(it, J):
            if progress is not None:
                progress(it, J)
            if self.verbose and (it % 10 == 0 or it == 1):
                print(f"[{type(self).__name__}] run {run} iteration {it}: J = {J:.6g}")

        return report

    def _store(self, best, model, dtype):
        if model.basis is not None:
            # the solver's H holds coefficients on the basis; the spectra are
            # their combinations (row sums, and so relevances, unchanged)
            coef = best["H"].astype(np.float64)
            best["H"] = (coef @ model.basis).astype(dtype)
        H = best["H"].astype(np.float64)
        s = H.sum(axis=1)
        wsum = np.asarray(best["wsum"], dtype=np.float64)
        contribution = wsum * s
        total = contribution.sum()
        relevance = contribution / total if total > 0 else contribution
        if "index" in best:
            # the likelihood selection: every component of the last refit is
            # kept; relevances are those of the ARD fit it started from
            keep = s > 0
            ard = best["ard"]
            share = self._shares(ard)
            self.relevance_ = share / share.sum() if share.sum() > 0 else share
            self.active_components_ = np.zeros(len(share), dtype=bool)
            self.active_components_[best["index"][keep]] = True
            self.pruning_gains_ = best["gains"]
            self.pruning_threshold_ = best["threshold"]
            self.n_iter_refit_ = best["n_refit"]
            history = ard
        else:
            keep = ~model.learned | (
                relevance > self.prune_tol * relevance[model.learned].max(initial=0)
            )
            keep &= s > 0
            self.relevance_ = relevance
            history = best
        if not keep.any():
            keep[np.argmax(relevance)] = True
        if "index" not in best:
            self.active_components_ = keep
        s_keep = s[keep]
        # spectra of unit sum; a component that vanished entirely (kept only
        # because nothing else was) is given a flat spectrum and no abundance
        vanished = s_keep <= 0
        components = H[keep] / np.where(vanished, 1.0, s_keep)[:, None]
        components[vanished] = 1.0 / H.shape[1]
        self.components_ = components.astype(dtype)
        if model.basis is not None:
            # coefficients on the given rows (the fixed spectra come first in
            # the solver's basis), scaled as the unit-sum components are
            n_fixed = int(np.count_nonzero(~model.learned))
            coef = coef[keep, n_fixed:]
            coef /= np.where(vanished, 1.0, s_keep)[:, None]
            self.spectral_coefficients_ = coef
        self.n_components_ = int(keep.sum())
        self._H = best["H"][keep].astype(dtype)
        self._scale = s_keep
        self._model = model
        self._model_keep = keep
        self._state = best["state"]
        W = best["W"][:, keep].astype(np.float64) * s_keep
        best["W"] = W.astype(dtype)
        self.n_iter_ = int(history["n_iter"])
        self.objective_history_ = np.asarray(history["hist"], dtype=np.float64)
        self.objective_iterations_ = np.asarray(history["iters"], dtype=int)
        self.reconstruction_err_ = float(best["err"])
        self.fixed_components_mask_ = ~model.learned[keep]
        if self._loss == "gaussian":
            if model.penalised:
                self.noise_variance_ = float(best["state"]["sigma2"])
            elif "index" in best:
                self.noise_variance_ = best["err"] ** 2 / (model.N * model.M)
            else:
                self.noise_variance_ = None

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn component spectra, their number and abundance maps from X.

        Parameters
        ----------
        X : {array-like, numpy.memmap, dask.array.Array} of shape (n_pixels, n_channels)
            Spectra, one per row (an unfolded spectrum image).
        y : Ignored
            Not used, present for API consistency.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        self._fit(X)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y=None):
        """Fit and return the abundances of the training spectra.

        Parameters
        ----------
        X : {array-like, numpy.memmap, dask.array.Array} of shape (n_pixels, n_channels)
            Spectra, one per row.
        y : Ignored
            Not used, present for API consistency.

        Returns
        -------
        W : ndarray of shape (n_pixels, `n_components_`)
            Abundances (counts contributed by each unit-sum component).
        """
        return self._fit(X)

    def transform(self, X):
        """Compute the abundances of new spectra, the component spectra held fixed.

        Parameters
        ----------
        X : {array-like, numpy.memmap, dask.array.Array} of shape (n_pixels, n_channels)
            Spectra on the training energy grid.

        Returns
        -------
        W : ndarray of shape (n_pixels, `n_components_`)
            Abundances.
        """
        check_is_fitted(self)
        X, _ = self._check_X(X, reset=False)
        dtype = self.components_.dtype
        source = make_source(
            X, dtype, self.block_size, self._clip_negative(), self.n_jobs
        )
        stats = data_statistics(source, need_xlogx=False)
        self._check_negative(stats["min"])
        m = self._model
        keep = self._model_keep
        sub = _SubModel(m, keep)
        solver = Solver(source, sub)
        H = self._H
        Hd = H.astype(np.float64)
        # deterministic start: least-squares-like projection on each spectrum
        W = np.empty((source.n_rows, H.shape[0]), dtype=dtype)
        # one pass (one Dask compute), not one read per block
        starts = source.run(_projection_block, shared_args=(Hd,))
        for sl, Wb in zip(source.slices, starts, strict=True):
            W[sl] = Wb
            W[sl] /= H.shape[0]
        state = dict(self._state)
        state["lam"] = np.asarray(state["lam"])[keep]
        if self._loss == "gaussian":
            W, *_ = solver.refine_gaussian(W, H, state)
        else:
            n_inner, inner_tol = _TRANSFORM_POISSON
            W, *_ = solver.refine_poisson(
                W, H, state, n_inner=n_inner, inner_tol=inner_tol
            )
        return (W.astype(np.float64) * self._scale).astype(dtype)

    def inverse_transform(self, X):
        """Spectra rebuilt from abundances: ``X @ components_``.

        Parameters
        ----------
        X : array-like of shape (n_pixels, `n_components_`)
            Abundances.

        Returns
        -------
        X_original : ndarray of shape (n_pixels, n_channels)
            The spectra rebuilt from the model.
        """
        check_is_fitted(self)
        X = np.asarray(X, dtype=self.components_.dtype)
        if X.ndim != 2 or X.shape[1] != self.n_components_:
            raise ValueError(
                f"Expected abundances of shape (n, {self.n_components_}); "
                f"got {X.shape}."
            )
        return X @ self.components_

    # ------------------------------------------------------------- images
    @_fit_context(prefer_skip_nested_validation=True)
    def fit_image(self, image):
        """Fit a spectrum image ``(ny, nx, n_channels)`` and keep its maps.

        Parameters
        ----------
        image : array-like or numpy.memmap of shape (ny, nx, n_channels)
            Spectrum image with the channel axis last.

        Returns
        -------
        self : object
            Fitted estimator with ``maps_`` of shape (ny, nx, `n_components_`).
        """
        nav = tuple(np.shape(image)[:-1])
        W = self._fit(unfold(image), image_shape=nav)
        self.maps_ = fold(W, nav)
        return self

    def transform_image(self, image):
        """Abundance maps of a spectrum image, shape (ny, nx, `n_components_`).

        Parameters
        ----------
        image : array-like of shape (ny, nx, n_channels)
            Spectrum image on the training energy grid.

        Returns
        -------
        maps : ndarray of shape (ny, nx, `n_components_`)
            Abundance maps on the image grid.
        """
        nav = tuple(np.shape(image)[:-1])
        return fold(self.transform(unfold(image)), nav)

    @property
    def _n_features_out(self):
        return self.components_.shape[0]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = not self._clip_negative()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


class _SubModel:
    """A fitted Model restricted to the kept components (for transform)."""

    def __init__(self, model, keep):
        self.__dict__.update(model.__dict__)
        # new spectra come without a pixel grid: transform maps each pixel
        # on its own; the spectra are held as spectra, not as coefficients
        self.spatial = None
        self.basis = None
        self.learned = model.learned[keep]
        self.K = int(keep.sum())

    ard_term = Model.ard_term
    update_lambda = Model.update_lambda
    inv_lam = Model.inv_lam


_DOC_COMMON = """
    Parameters
    ----------
    n_components : int or "auto", default=10
        Number of components, or with ``ard=True`` an upper bound on it from
        which irrelevant components are pruned (see ``prune``).  ``"auto"``:
        with ``ard=True`` an upper bound of 10; with ``ard=False`` the number
        chosen by :func:`select_n_components` (its test of K against more,
        under this estimator's model; X is loaded into memory for it), kept
        in ``n_components_selection_``.  Values above
        ``min(n_pixels, n_channels)`` are reduced to it with a warning.
    ard : bool, default=True
        Automatic relevance determination: learn the number of components.
        :class:`PoissonNMF` reads X as counts, so the number it keeps depends
        on how many counts X holds (more counts reveal weaker components); it
        warns when X is not whole numbers.
    orthogonality : float, default=0.0
        Weight of the soft orthogonality penalty on the maps (overlap of the
        maps in counts, on the scale of the data term); 0 switches it off,
        values about 0.1-10 remove unnatural spatial overlap.
    sparsity : float, default=0.0
        Weight of an L1 penalty on the abundances (in counts, relative to the
        mean counts per pixel and the channel count).
    fixed_components : array-like of shape (n_fixed, n_channels), default=None
        Known spectra held fixed (their shape; their abundances are learned).
        They come first in ``components_`` and are never pruned.
    init : {"nndsvda", "nndsvd", "nndsvdar", "random"}, default="nndsvda"
        Initialisation: non-negative double SVD on a randomized SVD computed
        block by block, or random values scaled to the data mean.
    n_init : int, default=1
        Number of restarts; the one with the lowest final objective is kept
        with its own history and statistics.
    max_iter : int, default=500
        Maximum number of iterations (passes over X).
    tol : float, default=1e-4
        Stop when the last decrease of the objective (per iteration, since
        its previous evaluation) is below ``tol`` times the total decrease
        since the first iteration and, with ARD, the
        relevances have settled: the set of components passing ``prune_tol``
        unchanged for 5 iterations and no relevance changing by more than
        1 % in the last one.
    extrapolate : bool, default=True
        After each iteration move both factors on along their last
        multiplicative step, ``x (x / x_prev)^beta``, with the weight
        ``beta`` adapted and the fit returned to its last checked point
        whenever the objective rose there (the restart scheme of Ang &
        Gillis, 2019, in log space so that the factors stay non-negative).
        It reaches the objective of plain updates in several times fewer
        iterations; the objective at the checks (every 5th iteration for
        PoissonNMF, every one for SparseNMF) still never increases, and a
        fit stops only once plain updates up to the next check pass the
        stopping test too (an extrapolated step can land just below the
        last point and look converged).  False
        gives the plain multiplicative updates, each of which cannot
        increase the objective.
    ard_shape : float, default=5.0
        Shape ``a > 2`` of the inverse-gamma prior on the relevances; its
        scale is set from the data mean, ``b = sqrt((a-1)(a-2) mean(X) / K)``.
    prune_tol : float, default=1e-2
        With ARD, a learned component is pruned when its share of the total
        counts is below ``prune_tol`` times the largest share.
    prune : {"likelihood", "relevance"}, default="likelihood"
        How ARD decides the number of components.  ``"relevance"``: the
        components of the ARD fit whose share passes ``prune_tol``, with the
        factors of that fit.  ``"likelihood"``: those components are then
        refitted without the ARD prior, and, weakest first, a component is
        removed (the others refitted from where they were) while removing it
        costs less log-likelihood (Poisson: the KL divergence; Gaussian:
        ``(N M / 2) log`` of the residual sum of squares) than one component
        fitted to pure noise gains with probability 1 %: half the 99 %
        quantile of the largest squared singular value of an N x M noise
        matrix (the Tracy-Widom law, Johnstone 2001), just above half the
        Marchenko-Pastur edge ``(sqrt(N) + sqrt(M))^2``; this is the
        reference of :func:`select_n_components`' test, on the scale of the
        log-likelihood.  The answer then depends neither on the
        scale of X nor on the cap, and the returned factors are the
        prior-free fit at the chosen number, so the spectra carry no ARD
        shrinkage.  The ARD fit, which only proposes, stops once its
        relevances settle (see ``tol``).  A removal is tried with a short
        refit of the others and accepted only from a converged fit (against
        which the short refit can only overstate the loss).  The refits stop
        when an iteration improves the log-likelihood by less than a
        hundredth of ``(sqrt(N) + sqrt(M))^2 / 2``.  When three or more of
        the kept components lie past the largest ratio of consecutive
        shares, spread over less than that ratio (on good data, components
        fitted to noise survive ARD so), the walk starts at the strongest
        of them and the weaker go with it; if its removal is refused, the
        walk starts again from all of them.
    block_size : int, default=None
        Rows (pixels) per block of the one-pass solver; None chooses about
        4 MB per block.  Results do not depend on it beyond rounding.  Dask
        arrays use their row chunks.
    n_jobs : int, default=None
        Threads (joblib) that work on row blocks at once, each with
        single-threaded BLAS (the products are tall and skinny, so threads
        over blocks use the memory bandwidth better than threads inside one
        product).  None means 1 unless in a :func:`joblib.parallel_config`
        context; -1 means every CPU this process may use (affinity and
        cgroup quotas respected).  Results do not depend on it.
    energy : array-like of shape (n_channels,), default=None
        Channel energies, for labelling (``energy_``); default channel index.
    random_state : int, RandomState instance or None, default=None
        Seed of the initialisation.
    verbose : int, default=0
        Print the objective every 10 iterations.
    callback : callable, default=None
        Called as ``callback(iteration, objective)`` after every iteration of
        every run (``iteration`` counts from 1 within a run), for example to
        drive a progress bar.  Its return value is ignored.  Like any
        parameter it is kept by ``clone`` and ``get_params``.
    spatial_smoothness : float or "auto", default=0.0
        Weight of a smoothness prior on the abundance maps over the pixel
        grid: half the sum over neighbouring pixels (4-neighbours) of the
        squared differences of their counts per component, a graph
        Laplacian penalty (Cai et al., 2011), on the scale of the data term
        (Poisson: a difference of one standard deviation of a pixel's total
        counts costs ``weight / 2``).  0 switches it off and gives exactly
        the fit without it; values about 1-30 suit maps of a few counts per
        pixel.  ``"auto"``: the weight of the best held-out likelihood among
        0 and 0.25-256 (factors of 4), fitted on one half of the data and
        scored on the other (counts split binomially; Gaussian data split by
        data fission with the residual variance of a fit without the prior),
        kept in ``spatial_smoothness_``; it costs seven fits of half the
        data and loads X into memory.  The prior needs the grid:
        :meth:`fit_image` knows it, :meth:`fit` takes it from
        ``image_shape``.  :meth:`transform` maps new spectra pixel by pixel,
        without the prior.
    image_shape : tuple of (int, int), default=None
        The grid ``(ny, nx)`` of the rows of X given to :meth:`fit` (pixels
        in raster order, as :func:`~skspectra.utils.unfold` lays them out),
        for ``spatial_smoothness``; at least 2 x 2 pixels.
    spectral_basis : array-like of shape (n_basis, n_channels), default=None
        Non-negative spectra that every learned component is a non-negative
        combination of: ``H = C @ spectral_basis`` with only the
        coefficients ``C`` learned (each row scaled to unit sum first), as
        espm's ``G`` matrix does.  :func:`~skspectra.peaks.eds_basis` builds
        one from the X-ray lines of the specimen's elements and a smooth
        continuum, which at a few tens of counts per pixel keeps most of the
        counting noise out of the spectra.  None learns every channel.
        ``fixed_components`` are kept as given.  The updates are the
        multiplicative ones on ``C`` (the same majorisation, so the
        objective still never increases); the block passes over X are
        unchanged.
"""

_DOC_ATTRS = """
    Attributes
    ----------
    components_ : ndarray of shape (`n_components_`, `n_features_in_`)
        Component spectra, each of unit sum (the scale convention), so the
        abundances are counts contributed by each component.
    n_components_ : int
        Number of components kept (learned by ARD).
    relevance_ : ndarray of shape (n_components,)
        Share of the total counts of every initial component.
    active_components_ : ndarray of bool of shape (n_components,)
        Which initial components were kept.
    fixed_components_mask_ : ndarray of bool of shape (`n_components_`,)
        True for the components given in ``fixed_components``.
    n_iter_ : int
        Number of iterations run (passes over X, not counting the initial
        statistics and initialisation passes and the final W refinement);
        with ``prune="likelihood"``, those of the ARD fit.
    n_iter_refit_ : int
        Passes over X of the refits of ``prune="likelihood"`` (only set
        with ``ard=True`` and that option).
    pruning_gains_ : ndarray of shape (n_tested,)
        Log-likelihood lost by each removal tried on the way down to the
        number found, weakest component first; every value but the last is
        below ``pruning_threshold_`` (removed).
    pruning_threshold_ : float
        The log-likelihood a component must explain to be kept: what a
        component fitted to pure noise gains with probability 1 % (see
        ``prune``).
    objective_history_ : ndarray of shape (n_evaluations,)
        Objective at the iterations ``objective_iterations_``; non-increasing.
        SparseNMF evaluates it at every iteration (it costs no pass over X);
        PoissonNMF, whose objective needs a logarithm of the model at every
        entry, where the stopping test reads it (the first iteration, every
        5th and the last) or at every iteration when a ``callback`` is
        given.  The last value is the objective at the factors of that fit
        (with ``prune="likelihood"``, the ARD fit, not the prior-free refit
        returned).
    objective_iterations_ : ndarray of int of shape (n_evaluations,)
        The iteration of every value of ``objective_history_``, from 1; the
        last value, taken after one more W step, is labelled ``n_iter_ + 1``.
    reconstruction_err_ : float
        {err}
    energy_ : ndarray of shape (`n_features_in_`,)
        Validated channel energies.
    n_features_in_ : int
        Number of channels seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the channels, when X has string column names.
    maps_ : ndarray of shape (ny, nx, `n_components_`)
        Abundance maps, set by :meth:`fit_image` only.
    spatial_smoothness_ : float
        The weight of the spatial prior used (chosen by ``"auto"``).
    spectral_coefficients_ : ndarray of shape (`n_components_`, n_basis)
        With ``spectral_basis``: each component's coefficients on its rows
        scaled to unit sum, so that a learned component is
        ``spectral_coefficients_ @ basis``; zero for a fixed component.
    smoothness_scores_ : dict
        With ``spatial_smoothness="auto"``: ``{{weight: held-out
        log-likelihood}}`` of every weight tried, on the scale of the full
        data."""


class SparseNMF(_BaseSpectrumNMF):
    __doc__ = (
        """Sparse NMF of spectrum images with ARD and soft orthogonality.

    Factorises spectra ``X`` (pixels x channels) as ``X ~ W H`` with
    abundance maps ``W >= 0`` and component spectra ``H >= 0`` under Gaussian
    noise, following the model of Shiga et al. (2016): a soft orthogonality
    penalty on the maps, sparsity, and automatic relevance determination
    (ARD) that starts from ``n_components`` and prunes the components whose
    relevance shrinks to zero, so that ``n_components_`` is learned.  The
    negative log posterior minimised is

    .. math::

        J = \\frac{\\|X - WH\\|_F^2 + \\omega\\kappa O}{2\\sigma^2}
            + \\frac{NM}{2}\\log\\sigma^2
            + c_s \\sum_k \\|w_k\\|_1 s_k
            + \\sum_k \\frac{\\|w_k\\|_1 + \\|h_k\\|_1 + b}{\\lambda_k}
            + (N + M + a + 1) \\log \\lambda_k

    with :math:`s_k = \\|h_k\\|_1`, the overlap of the maps in counts
    :math:`O = \\sum_{k \\ne l} (w_k \\cdot w_l) s_k s_l`, the orthogonality
    weight :math:`\\omega` (``orthogonality``), :math:`\\kappa` the ratio of
    the data's squared L2 to squared L1 pixel norms, the noise variance
    :math:`\\sigma^2` estimated with the factors, and an exponential ARD
    prior of scale :math:`\\lambda_k` on both factors of component k with an
    inverse-gamma(a, b) hyperprior (the scale-balanced form of Tan &
    Fevotte, 2013).  Without penalties ``J`` is ``0.5 ||X - WH||^2``.

    Every hyperparameter is set relative to the data (``b`` from the mean,
    ``sigma^2`` estimated), so multiplying X by any constant multiplies the
    factors and leaves ``n_components_`` unchanged.
"""
        + _DOC_COMMON
        + """    clip_negative : bool, default=False
        Set negative values to zero instead of raising an error (for example
        after background subtraction of EELS spectra).
"""
        + _DOC_ATTRS.format(
            err="Frobenius norm ``||X - W H||`` at the returned factors."
        )
        + """
    noise_variance_ : float or None
        Estimated noise variance (None without any penalty and without
        ARD; with ``prune="likelihood"`` the residual mean square of the
        returned fit).

    See Also
    --------
    PoissonNMF : The same model under a Poisson likelihood for low counts.
    sklearn.decomposition.NMF : NMF without ARD or orthogonality.

    Notes
    -----
    Optimised by multiplicative updates, each step of which cannot increase
    ``J`` (a majorisation-minimisation scheme; the relevances and the noise
    variance are exact minimisers), extrapolated along their last step with
    restarts (``extrapolate``), and arranged so that one iteration reads X
    once: X is visited in row blocks, each block's maps are updated and the
    statistics ``W^T X`` and ``W^T W`` of the spectra update are accumulated
    in the same visit.  No N x M temporary is formed, and X may be a NumPy
    array, a ``numpy.memmap`` or a Dask array.  Shiga et al. use hierarchical
    alternating least squares with spectra of unit L2 norm; here the scale
    convention is unit sum, applied to the returned ``components_``.

    The spatial prior (``spatial_smoothness``) is the graph Laplacian
    penalty of Cai et al. (2011), split into its degree and adjacency parts
    so that the update stays multiplicative and cannot increase ``J``; each
    row block needs only one image row of ``W`` either side of it.

    References
    ----------
    .. [1] M. Shiga, K. Tatsumi, S. Muto, K. Tsuda, Y. Yamamoto, T. Mori and
       T. Tanji, "Sparse modeling of EELS and EDX spectral imaging data by
       nonnegative matrix factorization", Ultramicroscopy 170 (2016) 43-59,
       :doi:`10.1016/j.ultramic.2016.08.006`.
    .. [2] V. Y. F. Tan and C. Fevotte, "Automatic relevance determination in
       nonnegative matrix factorization with the beta-divergence", IEEE
       Trans. Pattern Anal. Mach. Intell. 35 (2013) 1592-1605,
       :doi:`10.1109/TPAMI.2012.240`.
    .. [3] D. D. Lee and H. S. Seung, "Algorithms for non-negative matrix
       factorization", Adv. Neural Inf. Process. Syst. 13 (2001) 556-562.
    .. [4] D. Cai, X. He, J. Han and T. S. Huang, "Graph regularized
       nonnegative matrix factorization for data representation", IEEE Trans.
       Pattern Anal. Mach. Intell. 33 (2011) 1548-1560,
       :doi:`10.1109/TPAMI.2010.231`.
    .. [5] A. M. S. Ang and N. Gillis, "Accelerating nonnegative matrix
       factorization algorithms using extrapolation", Neural Comput. 31
       (2019) 417-439, :doi:`10.1162/neco_a_01157`.

    Examples
    --------
    >>> from skspectra.datasets import make_spectrum_image
    >>> from skspectra.decomposition import SparseNMF
    >>> image, truth = make_spectrum_image(
    ...     3, shape=(24, 24), n_channels=128, counts_per_pixel=5000,
    ...     noise="gaussian", random_state=0)
    >>> nmf = SparseNMF(n_components=6, clip_negative=True, random_state=0)
    >>> nmf = nmf.fit_image(image)
    >>> nmf.n_components_
    3
    >>> nmf.maps_.shape
    (24, 24, 3)
    """
    )

    _loss = "gaussian"

    _parameter_constraints: dict = {
        **_BaseSpectrumNMF._parameter_constraints,
        "clip_negative": ["boolean"],
    }

    def __init__(
        self,
        n_components=10,
        *,
        ard=True,
        orthogonality=0.0,
        sparsity=0.0,
        fixed_components=None,
        init="nndsvda",
        n_init=1,
        max_iter=500,
        tol=1e-4,
        extrapolate=True,
        ard_shape=5.0,
        prune_tol=1e-2,
        prune="likelihood",
        block_size=None,
        n_jobs=None,
        energy=None,
        random_state=None,
        verbose=0,
        callback=None,
        spatial_smoothness=0.0,
        image_shape=None,
        spectral_basis=None,
        clip_negative=False,
    ):
        super().__init__(
            n_components=n_components,
            ard=ard,
            orthogonality=orthogonality,
            sparsity=sparsity,
            fixed_components=fixed_components,
            init=init,
            n_init=n_init,
            max_iter=max_iter,
            tol=tol,
            extrapolate=extrapolate,
            ard_shape=ard_shape,
            prune_tol=prune_tol,
            prune=prune,
            block_size=block_size,
            n_jobs=n_jobs,
            energy=energy,
            random_state=random_state,
            verbose=verbose,
            callback=callback,
            spatial_smoothness=spatial_smoothness,
            image_shape=image_shape,
            spectral_basis=spectral_basis,
        )
        self.clip_negative = clip_negative

    def _clip_negative(self):
        return self.clip_negative


class PoissonNMF(_BaseSpectrumNMF):
    __doc__ = (
        """NMF of low-count spectrum images under a Poisson likelihood, with ARD.

    The factorisation ``X ~ W H`` of :class:`SparseNMF` with the Gaussian
    likelihood replaced by the Poisson one, i.e. the generalised
    Kullback-Leibler divergence, following Shiga & Muto (2019): for EDS and
    EELS spectrum images with few counts per channel, where the Gaussian
    model weights the empty channels wrongly.  The negative log posterior is

    .. math::

        J = \\sum_{ij} \\left[X_{ij}\\log\\frac{X_{ij}}{(WH)_{ij} + \\epsilon}
            - X_{ij} + (WH)_{ij} + \\epsilon\\right]
            + \\frac{\\omega\\kappa O}{2\\bar x}
            + c_s \\sum_k \\|w_k\\|_1 s_k
            + \\sum_k \\frac{\\|w_k\\|_1 + \\|h_k\\|_1 + b}{\\lambda_k}
            + (N + M + a + 1) \\log \\lambda_k

    with the terms of :class:`SparseNMF` (``\\bar x`` is the mean count, the
    Poisson variance scale; :math:`\\epsilon = 10^{-9}\\bar x` keeps the
    model positive where it would vanish).  Counts must be non-negative;
    zeros are handled exactly.  Counts carry their own noise level, so unlike
    :class:`SparseNMF` the answer depends on the number of counts, as it
    should.
"""
        + _DOC_COMMON
        + _DOC_ATTRS.format(
            err="Generalised Kullback-Leibler divergence ``D(X | W H)`` at the "
            "returned factors."
        )
        + """

    See Also
    --------
    SparseNMF : The Gaussian-noise model.
    sklearn.decomposition.NMF : The same loss with ``beta_loss="kullback-leibler"``.

    Notes
    -----
    Multiplicative updates (majorisation-minimisation, so each update cannot
    increase ``J``; with the orthogonality penalty the minimiser of the
    auxiliary function is the positive root of a quadratic), extrapolated
    along their last step with restarts (``extrapolate``).  One pass over X per
    iteration: for each row block, ``W_b H`` is formed for that block only,
    the block's maps are updated, and ``W_b^T (X_b / (W_b H))`` is
    accumulated for the spectra update; the extra memory is a few blocks, not
    an N x M array.

    The spatial prior (``spatial_smoothness``) splits the grid Laplacian
    ``L = D - A`` into its degree and adjacency parts as Cai et al. (2011)
    do: the neighbours' maps ``A W`` join the numerator and the degree the
    quadratic term of the update, which stays a majorisation step.  A row
    block needs its own rows of ``W`` and one image row either side, so X
    is still read once per iteration, block by block.

    References
    ----------
    .. [1] M. Shiga and S. Muto, "Non-negative matrix factorization and its
       extensions for spectral image data analysis", e-J. Surf. Sci.
       Nanotechnol. 17 (2019) 148-154, :doi:`10.1380/ejssnt.2019.148`.
    .. [2] M. Shiga et al., Ultramicroscopy 170 (2016) 43-59,
       :doi:`10.1016/j.ultramic.2016.08.006`.
    .. [3] V. Y. F. Tan and C. Fevotte, IEEE Trans. Pattern Anal. Mach.
       Intell. 35 (2013) 1592-1605, :doi:`10.1109/TPAMI.2012.240`.
    .. [4] D. Cai, X. He, J. Han and T. S. Huang, IEEE Trans. Pattern Anal.
       Mach. Intell. 33 (2011) 1548-1560, :doi:`10.1109/TPAMI.2010.231`.
    .. [5] A. M. S. Ang and N. Gillis, Neural Comput. 31 (2019) 417-439,
       :doi:`10.1162/neco_a_01157`.

    Examples
    --------
    >>> from skspectra.datasets import make_spectrum_image
    >>> from skspectra.decomposition import PoissonNMF
    >>> image, truth = make_spectrum_image(
    ...     3, shape=(24, 24), n_channels=128, counts_per_pixel=300, random_state=0)
    >>> nmf = PoissonNMF(n_components=6, random_state=0).fit_image(image)
    >>> nmf.n_components_
    3
    >>> nmf.components_.sum(axis=1).round(6)
    array([1., 1., 1.])
    """
    )

    _loss = "poisson"
