"""A graph-Laplacian smoothness prior on the abundance maps of the NMF solver.

Penalty
-------
The pixels of X are the nodes of the 4-neighbour graph of an image grid
``(ny, nx)`` in raster order (row ``i * nx + j`` is pixel ``(i, j)``), with
adjacency ``A``, degrees ``D`` and Laplacian ``L = D - A``.  The maps in
counts, ``c_k = w_k s_k`` (``s_k`` the L1 norm of spectrum ``k``, so the
penalty does not depend on how scale is shared between W and H), are
penalised by::

    S = (beta / 2) sum_k s_k^2 w_k^T L w_k
      = (beta / 2) sum_k sum_{i~j} (c_ik - c_jk)^2,

the sum of squared differences of neighbouring pixels' counts, as in the
graph-regularised NMF of Cai et al. (2011).  ``beta`` is the weight
``spatial_smoothness`` on the scale of the data term: for the Poisson model
``1 / xbar`` (``xbar`` the mean counts per pixel, the Poisson variance of a
pixel's total), so a difference of one standard deviation between two
neighbours costs ``weight / 2``, as the likelihood charges it; for the
Gaussian model ``N M kappa / ||X||^2``, the scale of the orthogonality
penalty.

Updates
-------
Following Cai et al., ``L`` is split into its positive part ``D`` and its
negative part ``A``; each enters a majoriser of ``S`` that is separable over
pixels, so every step still cannot increase the objective.

* Poisson: ``-w_i w_j <= -w~_i w~_j (1 + log(w_i / w~_i) + log(w_j / w~_j))``
  (concavity of the log) bounds the ``A`` part by ``-beta w~ (A w~) log w``,
  which adds ``beta A w~`` to ``R H^T`` in the numerator, and the ``D`` part
  ``(beta / 2) D w^2`` is exact: the minimiser is the positive root of
  ``beta D w^2 + d w - w~ (R H^T + beta A w~) = 0``, the form the
  orthogonality penalty already uses.
* Gaussian: ``(a - b)^2 <= 2 (a - m)^2 + 2 (b - m)^2`` with
  ``m = (a~ + b~) / 2`` gives a separable quadratic of curvature
  ``2 beta D`` and the gradient ``beta L w~``; with the Lee-Seung majoriser
  of the data term the step is
  ``w = w~ (X H^T + beta (D + A) w~) / (w~ P + lin + 2 beta D w~)``.

Both majorisers are tight at the current ``W`` and separable over pixels,
so the W step is done block by block from the ``W`` of the previous
iteration: a row block needs only its own rows and one image row of ``W``
above and below it (the halo), never X outside the block, and X is still read
once per iteration.  Because the majoriser is anchored at that ``W`` for all
blocks at once, a block takes one sweep per pass.  In the ``H`` step the
penalty is a convex quadratic ``(beta / 2) l_k s_k^2`` of the spectrum's sum
(``l_k = w_k^T L w_k``), which adds ``beta l_k s_k`` to the linear part.

References
----------
D. Cai, X. He, J. Han and T. S. Huang, "Graph regularized nonnegative matrix
factorization for data representation", IEEE Trans. Pattern Anal. Mach.
Intell. 33 (2011) 1548-1560, doi:10.1109/TPAMI.2010.231.
"""

import numbers
import warnings

import numpy as np
from scipy.fft import dctn, idctn
from sklearn.base import clone
from sklearn.utils import check_random_state

from skspectra.decomposition._split import binomial_split

__all__ = ["half_dose_weight"]

# a guard against a zero count or norm in the weight's scale
_DIV_GUARD = 1e-300

# the weights spatial_smoothness="auto" tries on half the data: none, then
# each four times the last, from a quarter of the data term's weight (barely
# smoothing) to strong smoothing over a few pixels at a few counts per pixel
_AUTO_WEIGHTS = (0.0, 0.25, 1.0, 4.0, 16.0, 64.0, 256.0)

# half the dose halves the counts, so the squared differences of neighbouring
# counts the prior expects shrink four-fold: the best coefficient (in counts)
# on a half is four times that of the whole (a Gaussian Markov field prior)
_HALF_DOSE_GAIN = 4.0


def check_image_shape(image_shape, n_rows, neighbours=True):
    """Validate the pixel grid of the rows of X; return ``(ny, nx)``.

    Raises
    ------
    ValueError
        If the grid is not two positive integers whose product is
        ``n_rows``, or, with ``neighbours``, if it is one pixel wide (a
        pixel of such an image has no neighbour along one axis).
    """
    shape = tuple(np.atleast_1d(np.asarray(image_shape)).tolist())
    if len(shape) != 2 or not all(
        isinstance(s, numbers.Integral) and s > 0 for s in shape
    ):
        raise ValueError(
            f"image_shape must be (ny, nx), two positive integers; got {image_shape!r}."
        )
    ny, nx = (int(s) for s in shape)
    if ny * nx != n_rows:
        raise ValueError(
            f"image_shape={shape} has {ny * nx} pixels but X has {n_rows} rows "
            "(one per pixel, in raster order)."
        )
    if neighbours and min(ny, nx) < 2:
        raise ValueError(
            f"image_shape={shape} is one pixel wide; spatial_smoothness needs an "
            "image of at least 2 x 2 pixels."
        )
    return ny, nx


def penalty_unit(loss, stats):
    """The penalty coefficient ``beta`` of a unit weight on these data."""
    if loss == "poisson":
        return 1.0 / max(stats["sum"] / stats["N"], _DIV_GUARD)
    kappa = stats["sumsq"] / max(stats["rowsum_sq"], _DIV_GUARD)
    return stats["N"] * stats["M"] * kappa / max(stats["sumsq"], _DIV_GUARD)


def _neighbours(W, sl, shape):
    """``(A W)`` and the degrees ``D`` of the rows ``sl`` of ``W``.

    Reads only the rows of the block and one image row either side (the
    halo).
    """
    ny, nx = shape
    N = ny * nx
    a, b = sl.start, sl.stop
    n = b - a
    lo, hi = max(a - nx, 0), min(b + nx, N)
    # the halo in a buffer padded by one image row each side, so that every
    # neighbour of a block row is a plain slice (rows outside the image are
    # zero and masked out below)
    ext = np.zeros((hi - lo + 2 * nx, W.shape[1]))
    ext[nx : nx + hi - lo] = W[lo:hi]
    at = nx + a - lo
    rows = np.arange(a, b)
    col = rows % nx
    left, right = col > 0, col < nx - 1
    AW = ext[at - 1 : at - 1 + n] * left[:, None]
    AW += ext[at + 1 : at + 1 + n] * right[:, None]
    # rows above and below the image are zero in the buffer
    AW += ext[at - nx : at - nx + n]
    AW += ext[at + nx : at + nx + n]
    degree = left.astype(np.float64) + right + (rows >= nx) + (rows < N - nx)
    return AW, degree


class SpatialPenalty:
    """The smoothness prior of one fit: grid, weight and its scale.

    Parameters
    ----------
    image_shape : tuple of (int, int)
        Validated grid ``(ny, nx)`` of the rows of X.
    weight : float
        ``spatial_smoothness`` (> 0).
    loss : {"poisson", "gaussian"}
    stats : dict
        Data statistics of the solver (``N``, ``M``, ``sum``, ``sumsq``,
        ``rowsum_sq``).
    """

    def __init__(self, image_shape, weight, loss, stats):
        self.shape = tuple(image_shape)
        self.weight = float(weight)
        self.loss = loss
        self.beta = self.weight * penalty_unit(loss, stats)

    def effective_pixels(self):
        """Degrees of freedom of a smoothed map, ``tr (I + weight L)^-1``.

        The W step of a map under the prior is, to second order, the
        smoother ``(I + weight L)^-1`` of the pixel-wise estimate (for the
        Poisson model the data curvature of a pixel's counts is one over
        its Poisson variance, which the weight's unit ``1 / xbar`` matches;
        for the Gaussian model ``weight`` bounds the ratio from above).  The
        eigenvalues of the grid Laplacian are
        ``4 sin^2(pi p / 2 ny) + 4 sin^2(pi q / 2 nx)``, so the trace is a
        closed sum; it replaces the pixel count in the noise level of
        likelihood pruning, since a component fitted to noise can only
        follow the noise through that many free values.
        """
        ny, nx = self.shape
        ly = 4.0 * np.sin(np.pi * np.arange(ny) / (2.0 * ny)) ** 2
        lx = 4.0 * np.sin(np.pi * np.arange(nx) / (2.0 * nx)) ** 2
        return float(np.sum(1.0 / (1.0 + self.weight * (ly[:, None] + lx[None, :]))))

    def smooth(self, W):
        """``(I + weight L)^-1 W``: the maps the prior prefers near ``W``.

        The Laplacian of the grid with free borders is diagonalised by the
        2-D type-II discrete cosine transform, so the solve is two DCTs;
        the inverse of this M-matrix has non-negative entries, so
        non-negative maps stay non-negative.  Used to start the iterations
        from smooth maps: a multiplicative step moves a map by about one
        pixel's diffusion, so smoothing noisy initial maps by the updates
        alone takes many iterations.
        """
        ny, nx = self.shape
        ly = 4.0 * np.sin(np.pi * np.arange(ny) / (2.0 * ny)) ** 2
        lx = 4.0 * np.sin(np.pi * np.arange(nx) / (2.0 * nx)) ** 2
        gain = 1.0 / (1.0 + self.weight * (ly[:, None] + lx[None, :]))
        G = np.asarray(W, dtype=np.float64).reshape(ny, nx, -1)
        F = dctn(G, type=2, axes=(0, 1), norm="ortho") * gain[..., None]
        out = idctn(F, type=2, axes=(0, 1), norm="ortho").reshape(W.shape)
        return np.maximum(out, 0).astype(W.dtype)

    def block_terms(self, W, s, slices, dtype, sigma2=1.0):
        """Per-block numerator and denominator terms of the W step.

        ``s`` holds the spectra's sums; ``sigma2`` scales the Gaussian step
        (whose data term is divided by the noise variance).  Returns, for
        every block, ``(num, den)`` to add to ``R H^T`` (``X H^T``) and to
        ``W Poff`` (``W P + lin``).
        """
        beta = self.beta * np.asarray(s, dtype=np.float64) ** 2
        # W is in memory: the neighbour sums of all blocks (each block's rows
        # and its halo) are formed in one call, then cut into the blocks
        AW, degree = _neighbours(W, slice(0, W.shape[0]), self.shape)
        DW = degree[:, None] * W
        if self.loss == "poisson":
            num, den = beta * AW, beta * DW
        else:
            num, den = sigma2 * beta * (DW + AW), 2.0 * sigma2 * beta * DW
        num, den = num.astype(dtype), den.astype(dtype)
        return [(num[sl], den[sl]) for sl in slices]

    def roughness(self, W):
        """``l_k = w_k^T L w_k``: squared differences over the grid's edges."""
        ny, nx = self.shape
        G = np.asarray(W, dtype=np.float64).reshape(ny, nx, -1)
        dx = np.diff(G, axis=1)
        dy = np.diff(G, axis=0)
        return np.einsum("ijk,ijk->k", dx, dx) + np.einsum("ijk,ijk->k", dy, dy)

    def objective(self, rough, s):
        """The penalty ``(beta / 2) sum_k s_k^2 l_k``."""
        s = np.asarray(s, dtype=np.float64)
        return 0.5 * self.beta * float(np.sum(s * s * rough))

    def h_linear(self, rough, s):
        """Gradient of the penalty in each spectrum's sum: ``beta l_k s_k``."""
        return self.beta * rough * np.asarray(s, dtype=np.float64)


def make_penalty(grid, weight, loss, stats):
    """A :class:`SpatialPenalty`, or None without a grid or at weight 0."""
    if grid is None or weight <= 0:
        return None
    return SpatialPenalty(grid, weight, loss, stats)


def _statistics(X):
    """The statistics :func:`penalty_unit` reads, from an in-memory X."""
    row_sum = X.sum(axis=1)
    return {
        "N": X.shape[0],
        "M": X.shape[1],
        "sum": float(row_sum.sum()),
        "sumsq": float(np.einsum("ij,ij->", X, X)),
        "rowsum_sq": float(row_sum @ row_sum),
    }


def half_dose_weight(weight, X, half, *, loss="poisson"):
    """The spatial weight that smooths a half of the counts as ``weight`` does X.

    ``weight`` is a ``spatial_smoothness`` on X.  Half the dose halves the
    counts, so the squared differences of neighbouring counts the prior
    expects shrink four-fold and the best
    coefficient of the prior in counts is four times larger on a half (a
    Gaussian Markov field prior); the weight is on the scale of each data
    set's own unit, which here is the mean count per pixel.  A fit of a
    binomial half (:func:`binomial_split`) at ``weight`` is under-smoothed
    by about half.

    Parameters
    ----------
    weight : float
        ``spatial_smoothness`` on X.
    X : array-like of shape (n_pixels, n_channels)
        All the counts.
    half : array-like of shape (n_pixels, n_channels)
        A part of X that holds about half its counts.
    loss : {"poisson", "gaussian"}, default="poisson"
        The estimator's noise model (PoissonNMF or SparseNMF).

    Returns
    -------
    weight : float
        The weight for ``half``; about twice ``weight``.

    Examples
    --------
    >>> import numpy as np
    >>> from skspectra.decomposition import binomial_split, half_dose_weight
    >>> X = np.random.default_rng(0).poisson(20.0, size=(100, 50))
    >>> A, B = binomial_split(X, random_state=0)
    >>> round(half_dose_weight(10.0, X, A) / 10.0, 1)
    2.0
    """
    if loss not in ("poisson", "gaussian"):
        raise ValueError(f"loss must be 'poisson' or 'gaussian'; got {loss!r}.")
    X = np.asarray(X, dtype=np.float64)
    half = np.asarray(half, dtype=np.float64)
    if half.shape != X.shape:
        raise ValueError(
            f"half has shape {half.shape} but X has {X.shape}; give a split of X."
        )
    units = penalty_unit(loss, _statistics(X)) / penalty_unit(loss, _statistics(half))
    return float(weight) * _HALF_DOSE_GAIN * units


def _split(estimator, X, rng):
    """Two independent halves of X with the same mean, ``X / 2``.

    Counts (Poisson model) are thinned binomially, each half Poisson with
    half the rate.  Gaussian data are split by data fission: ``X / 2 +- e``
    with ``e`` Gaussian of a quarter of the noise variance, estimated from
    the residual of a fit without the prior, gives two independent halves.
    """
    if estimator._loss == "poisson":
        if not np.array_equal(X, np.round(X)):
            raise ValueError(
                "spatial_smoothness='auto' splits the counts binomially, so X "
                "must hold integer counts; give a number instead."
            )
        return binomial_split(np.maximum(X, 0), rng)
    plain = clone(estimator).set_params(
        spatial_smoothness=0.0, image_shape=None, callback=None, verbose=0
    )
    W = plain.fit_transform(X)
    resid = X - W @ plain.components_
    sigma = np.sqrt(float(np.mean(resid * resid)))
    e = (0.5 * sigma * rng.standard_normal(X.shape)).astype(X.dtype)
    return 0.5 * X + e, 0.5 * X - e


def _held_out_score(estimator, train, test):
    """Log-likelihood of ``test`` under the model fitted to ``train``."""
    W = estimator.fit_transform(train)
    model = (W @ estimator.components_).astype(np.float64)
    test = test.astype(np.float64, copy=False)
    if estimator._loss == "poisson":
        floor = _DIV_GUARD + 1e-9 * max(float(model.mean()), _DIV_GUARD)
        model = np.maximum(model, floor)
        return float(np.sum(test * np.log(model) - model))
    diff = test - model
    return -float(np.einsum("ij,ij->", diff, diff))


def choose_smoothness(estimator, X, grid):
    """The weight of ``spatial_smoothness="auto"``, by held-out likelihood.

    X is split into two independent halves of the same mean (see
    :func:`_split`); for each weight of ``_AUTO_WEIGHTS`` the estimator is
    fitted to one half and scored by the log-likelihood of the other under
    the fitted model, pixel by pixel.  The best weight for a half is
    converted to the whole data (a half has half the counts, see
    ``_HALF_DOSE_GAIN``).  X is loaded into memory.

    Returns
    -------
    weight : float
        The weight for the full data.
    scores : dict
        ``{weight on the full data: held-out log-likelihood}``.
    """
    X = np.asarray(X)
    rng = np.random.default_rng(
        check_random_state(estimator.random_state).randint(np.iinfo(np.int32).max)
    )
    first, second = _split(estimator, X, rng)
    scale = 1.0 / half_dose_weight(1.0, X, first, loss=estimator._loss)
    scores = {}
    for w in _AUTO_WEIGHTS:
        trial = clone(estimator).set_params(
            spatial_smoothness=w, image_shape=grid, callback=None, verbose=0
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            scores[w * scale] = _held_out_score(trial, first, second)
    best = max(scores, key=scores.get)
    return float(best), scores


def penalised_step(block_step, Xb, Wb, terms, *shared):
    """Call a block kernel with the spatial terms of its block."""
    return block_step(Xb, Wb, *shared, terms=terms)
