"""The shared one-pass block solver of SparseNMF and PoissonNMF.

Model and notation
------------------
``X`` (N pixels x M channels) is approximated by ``W H`` with ``W >= 0``
(N x K abundances) and ``H >= 0`` (K x M spectra).  Both solvers minimise a
negative log posterior ``J`` by block-coordinate descent over ``W``, ``H``, the
ARD relevances ``lam`` and (Gaussian model) the noise variance ``sigma2``:

Gaussian (``loss="gaussian"``)::

    J = ||X - W H||^2 / (2 sigma2) + (N M / 2) log sigma2
        + c_o * O / 2 + c_s * sum_k |w_k|_1 s_k + ARD

Poisson (``loss="poisson"``)::

    J = D_KL(X | W H + eps) + c_o * O / 2 + c_s * sum_k |w_k|_1 s_k + ARD

with ``s_k = sum_j H_kj`` (the spectrum's L1 norm), the overlap
``O = sum_{k != l} (w_k . w_l) s_k s_l`` of the maps expressed in counts (so it
does not depend on how scale is shared between ``W`` and ``H``) weighted by
``c_o = orthogonality * N M kappa / ||X||^2`` (``kappa`` the ratio of the
squared L2 to squared L1 pixel norms of X, so ``kappa O / ||X||^2`` is the
fraction of the signal's energy in overlapping maps, and ``orthogonality=1``
charges complete overlap as much as the whole data term at the noise level),
and the ARD
term of Tan & Fevotte (2013) with an exponential prior of scale ``lam_k`` on
both factors of component ``k`` and an inverse-gamma(a, b) prior on
``lam_k``::

    ARD = sum_k (|w_k|_1 + |h_k|_1 + b) / lam_k + (N + M + a + 1) log lam_k.

Every step cannot increase ``J``: the ``W`` and ``H`` steps minimise a
majorising auxiliary function (Lee & Seung; the quadratic penalty terms have
non-negative coefficients, so the diagonal majoriser applies; with the
overlap penalty under the Poisson model the minimiser of the auxiliary is the
positive root of a quadratic); ``lam`` and ``sigma2`` are set to their exact
minimisers.

One pass over X per iteration
-----------------------------
The ``W`` step is separable over pixels, so it is done block by block: for a
row block ``X_b`` the block's ``W_b`` is updated from ``X_b H^T`` (Gaussian)
or from ``(X_b / (W_b H)) H^T`` (Poisson), and in the same visit the
statistics of the ``H`` step are accumulated from the *updated* ``W_b``:
``W_b^T X_b`` and ``W_b^T W_b`` (Gaussian) or ``W_b^T (X_b / (W_b H))``
(Poisson).  The ``H`` step then needs no further access to X.  This is exactly
the classical alternating order (all of W, then H), not an approximation, and
X is read once per iteration; no N x M temporary is formed.
"""

from functools import partial

import numpy as np
import scipy.sparse as sp

from skspectra.decomposition._block import BlockSource
from skspectra.decomposition._spatial import penalised_step

# blocks with at most this fraction of non-zero counts take the Poisson W step
# through their non-zeros (same arithmetic, fewer operations): sparse EDS
# maps have well under 1 % non-zero channels
_SPARSE_FRACTION = 0.05

# relative floor of sigma2 (a noiseless exact fit would otherwise drive the
# Gaussian objective to -inf)
_SIGMA2_FLOOR = 1e-12

# guard of a division by a norm, a count or a sum of squares that may be
# zero: far below any value of real data, and still a normal float64
_DIV_GUARD = 1e-300

# values below this multiple of the dtype's smallest normal number count as
# zero: they stay three decades clear of the slow subnormal range
_TINY_FACTOR = 1e3

# the Poisson model is W H + eps with eps this fraction of the data mean:
# small against any count, large enough that the log and the ratio X / model
# stay finite where the model vanishes
_POISSON_EPS = 1e-9

# NNDSVD entries below this fraction of sqrt(mean / K), the scale of an
# average entry, are rounding noise of the SVD and are set to zero
_NNDSVD_ZERO = 1e-6

# the rows of a block read to guess whether it is sparse (a cheap look before
# counting the non-zeros of the whole block)
_SPARSE_PROBE_ROWS = 8

# the final W step with H fixed (a convex problem, so more sweeps only get
# closer to its minimiser): Gaussian to a relative change of 1e-7 within 1000
# sweeps, Poisson, whose sweeps cost a division and a log, to 1e-5 within 100
_REFINE_GAUSSIAN = (1000, 1e-7)
_REFINE_POISSON = (100, 1e-5)

# the stopping test compares the last decrease with the total decrease, which
# needs a first objective and two decreases
_MIN_HISTORY = 3


def _tiny(dtype):
    return np.finfo(dtype).tiny * _TINY_FACTOR


# the Poisson objective needs the logarithm of the model at every entry, a
# pass as costly as a W step; the stopping test reads it at the first
# iteration and every this many (and at max_iter), which delays a stop by at
# most that many iterations and saves the logarithm in the others
CHECK_EVERY = 5


def _gap(iters):
    """Iterations between the last two evaluations of the objective."""
    if iters is None:
        return 1
    return max(int(iters[-1]) - int(iters[-2]), 1)


def objective_converged(history, tol, iters=None):
    """The one stopping test of the outer iterations.

    True when the last decrease of the objective per iteration is at most
    ``tol`` times the total decrease since the first iteration.  ``iters``
    (same length as ``history``) numbers the iterations at which the
    objective was evaluated; None means every iteration.
    """
    if len(history) < _MIN_HISTORY:
        return False
    drop = (history[-2] - history[-1]) / _gap(iters)
    return drop <= tol * abs(history[0] - history[-1])


# with ARD the fit also waits for the relevances: the set of components whose
# share passes prune_tol unchanged over this many iterations, and no
# relevance moving by more than _LAM_RTOL in the last one (a percent: the
# relevances only order the components for the likelihood test, which
# decides)
_SETTLED_ITERS = 5
_LAM_RTOL = 1e-2


class RelevanceTracker:
    """Whether the ARD relevances and the pruned set have settled."""

    def __init__(self, model):
        self.model = model
        self.lam = None
        self.active = None
        self.stable = 0
        self.change = np.inf

    def update(self, wsum, s, lam):
        m = self.model
        L = m.learned
        share = np.asarray(wsum, dtype=np.float64) * np.asarray(s, dtype=np.float64)
        active = L & (share > m.prune_tol * share[L].max(initial=0))
        if self.active is not None and np.array_equal(active, self.active):
            self.stable += 1
        else:
            self.stable = 0
        if self.lam is not None and active.any():
            old, new = self.lam[active], lam[active]
            self.change = float(np.max(np.abs(new - old) / np.maximum(new, _DIV_GUARD)))
        self.active = active
        self.lam = np.array(lam, dtype=np.float64)

    def settled(self):
        if not self.model.ard:
            return True
        return self.stable >= _SETTLED_ITERS and self.change <= _LAM_RTOL


# extrapolated multiplicative updates: after an iteration each factor moves
# on along its last multiplicative step, ``x (x / x_prev) ** beta`` (a step in
# log space, so the factors stay non-negative and a zero stays zero), which
# takes a fit several times fewer iterations to the same objective on
# spectrum images.  The weight ``beta`` starts at _EXTRA_BETA, grows by
# _EXTRA_GROW per accepted check up to a ceiling that itself grows by
# _EXTRA_CAP_GROW to _EXTRA_BETA_MAX; when the objective at a check is above
# the last accepted one, the fit returns to that check's point and ``beta``
# shrinks by _EXTRA_SHRINK, its ceiling to the weight that failed (the
# restart scheme of Ang & Gillis, Neural Computation 31, 2019).  One step
# moves an entry by at most a factor _EXTRA_RATIO.
_EXTRA_BETA = 0.5
_EXTRA_BETA_MAX = 2.0
_EXTRA_GROW = 1.1
_EXTRA_CAP_GROW = 1.05
_EXTRA_SHRINK = 1.5
_EXTRA_RATIO = 1e2


class Extrapolation:
    """The extrapolation of one fit's factors, with its restart point.

    ``accept(J, W, H, rest)`` is called where the objective ``J`` of the
    point ``(W, H, rest)`` is known (``rest``: the other variables of the
    fit, which the solver replaces but never modifies in place): it keeps
    the point if ``J`` is not above the last one kept and returns None,
    else restores ``W`` in place and returns the kept ``(H, rest, J)``.
    ``step(W, H)`` moves ``W`` in place and returns the moved ``H``; it also
    remembers ``(W, H)`` as the factors the next step extrapolates from.

    An extrapolated step can land just below the last point kept, a tiny
    decrease that a stopping test reads as convergence; so a fit that
    passes its test stops only after a window of plain updates (up to its
    next check) passes it too: ``confirms(passed)`` says whether to stop,
    and otherwise ``paused`` holds the steps until the next check.
    """

    def __init__(self, W, H):
        self.beta = _EXTRA_BETA
        self.ceiling = _EXTRA_BETA_MAX
        self.prev = (W.copy(), H.copy())
        self.kept = None
        self.paused = False

    def confirms(self, passed):
        """At a check: True to stop (``passed`` over a plain window)."""
        if passed and self.paused:
            return True
        self.paused = passed
        return False

    def accept(self, J, W, H, rest):
        if self.kept is None or J <= self.kept[3]:
            self.kept = (W.copy(), H.copy(), rest, J)
            self.beta = min(self.ceiling, self.beta * _EXTRA_GROW)
            self.ceiling = min(_EXTRA_BETA_MAX, self.ceiling * _EXTRA_CAP_GROW)
            return None
        self.ceiling = self.beta
        self.beta /= _EXTRA_SHRINK
        kW, kH, rest, kJ = self.kept
        W[...] = kW
        self.prev = (kW.copy(), kH.copy())
        return kH.copy(), rest, kJ

    @staticmethod
    def _moved(x, prev, beta):
        tiny = _tiny(x.dtype)
        ratio = np.ones_like(x)
        np.divide(x, prev, out=ratio, where=prev > tiny)
        np.clip(ratio, 1.0 / _EXTRA_RATIO, _EXTRA_RATIO, out=ratio)
        return x * ratio**beta

    def step(self, W, H):
        pW, pH = self.prev
        self.prev = (W.copy(), H.copy())
        if self.paused:
            return H
        W[...] = self._moved(W, pW, W.dtype.type(self.beta))
        return self._moved(H, pH, self.beta)


def _relative_test(tol):
    return lambda history, iters: objective_converged(history, tol, iters)


def log_likelihood_converged(history, model, step, iters=None):
    """Stopping test of a refit on the scale of the log-likelihood.

    True when the last iteration improved the log-likelihood by at most
    ``step`` (log-likelihood units, so the same for any counts or scale of
    X); with ``iters`` (see :func:`objective_converged`) the mean improvement
    per iteration since the previous evaluation.  The unpenalised Gaussian
    objective is ``0.5 ||X - W H||^2``, whose
    log-likelihood with the noise variance profiled out is
    ``-(N M / 2) log ||X - W H||^2``; the other objectives are negative
    log-likelihoods already.
    """
    if len(history) < 2:
        return False
    prev, last = history[-2], history[-1]
    if model.loss == "gaussian" and not model.penalised:
        ratio = max(prev, _DIV_GUARD) / max(last, _DIV_GUARD)
        drop = 0.5 * model.N * model.M * np.log(ratio)
    else:
        drop = prev - last
    return drop / _gap(iters) <= step


# ---------------------------------------------------------------- data pass
def _stats_block(Xb, need_xlogx):
    """Statistics of one block (float64), and validity information."""
    finite = bool(np.isfinite(Xb).all())
    if not finite:
        return {"finite": False}
    Xd = Xb.astype(np.float64, copy=False)
    row_sum = Xd.sum(axis=1)
    out = {
        "finite": True,
        "min": float(Xd.min()) if Xd.size else 0.0,
        "sum": float(row_sum.sum()),
        "sumsq": float(np.einsum("ij,ij->", Xd, Xd)),
        "rowsum_sq": float(row_sum @ row_sum),
        "col_sum": Xd.sum(axis=0),
        "zero_rows": int(np.count_nonzero(row_sum == 0)),
        "xlogx": 0.0,
        "counts": True,
    }
    if need_xlogx:
        # whether the block holds whole numbers, as Poisson counts do
        out["counts"] = bool(np.all(Xd == np.rint(Xd)))
        pos = Xd[Xd > 0]
        out["xlogx"] = float(np.sum(pos * np.log(pos)))
    return out


def data_statistics(source, *, need_xlogx):
    """One pass over X: validity checks and the constants of the model.

    Raises
    ------
    ValueError
        If X contains NaN or infinity.
    """
    parts = source.run(_stats_block, shared_args=(need_xlogx,))
    if not all(p["finite"] for p in parts):
        raise ValueError(
            "Input X contains NaN or infinity; remove or replace those values "
            "(for example dead pixels) before the decomposition."
        )
    N, M = source.n_rows, source.n_cols
    stats = {
        "N": N,
        "M": M,
        "min": min(p["min"] for p in parts),
        "sum": sum(p["sum"] for p in parts),
        "sumsq": sum(p["sumsq"] for p in parts),
        "rowsum_sq": sum(p["rowsum_sq"] for p in parts),
        "col_sum": np.sum([p["col_sum"] for p in parts], axis=0),
        "zero_rows": sum(p["zero_rows"] for p in parts),
        "xlogx": sum(p["xlogx"] for p in parts),
        "counts": all(p["counts"] for p in parts),
    }
    stats["mean"] = stats["sum"] / (N * M)
    stats["zero_cols"] = int(np.count_nonzero(stats["col_sum"] == 0))
    return stats


# ------------------------------------------------------- randomized SVD init
def _mul_block(Xb, Om):
    return Xb.astype(np.float64, copy=False) @ Om


def _tmul_block(Xb, Qb):
    return Qb.T @ Xb.astype(np.float64, copy=False)


def randomized_svd_blocks(source, k, rng, n_oversamples=10, n_power_iter=2):
    """Truncated SVD of X by a randomized range finder, one pass per product.

    Halko, Martinsson & Tropp, SIAM Rev. 53 (2011) 217,
    doi:10.1137/090771806.
    """
    M = source.n_cols
    ell = min(k + n_oversamples, min(source.n_rows, M))
    Om = rng.standard_normal((M, ell))
    Y = np.concatenate(source.run(_mul_block, shared_args=(Om,)), axis=0)
    for _ in range(n_power_iter):
        Q, _ = np.linalg.qr(Y)
        blocks = [(Q[s],) for s in source.slices]
        Z = np.sum(source.run(_tmul_block, per_block_args=blocks), axis=0).T
        Z, _ = np.linalg.qr(Z)
        Y = np.concatenate(source.run(_mul_block, shared_args=(Z,)), axis=0)
    Q, _ = np.linalg.qr(Y)
    blocks = [(Q[s],) for s in source.slices]
    B = np.sum(source.run(_tmul_block, per_block_args=blocks), axis=0)
    Ub, S, Vt = np.linalg.svd(B, full_matrices=False)
    U = Q @ Ub
    return U[:, :k], S[:k], Vt[:k]


def nndsvd(U, S, Vt, variant, mean, rng):
    """Non-negative double SVD initialisation.

    Boutsidis & Gallopoulos, Pattern Recognit. 41 (2008) 1350,
    doi:10.1016/j.patcog.2007.09.010.  ``variant`` "nndsvd" leaves zeros,
    "nndsvda" fills them with the data mean, "nndsvdar" with small random
    values.
    """
    k = S.shape[0]
    W = np.zeros((U.shape[0], k))
    H = np.zeros((k, Vt.shape[1]))
    W[:, 0] = np.sqrt(S[0]) * np.abs(U[:, 0])
    H[0] = np.sqrt(S[0]) * np.abs(Vt[0])
    for j in range(1, k):
        x, y = U[:, j], Vt[j]
        xp, xn = np.maximum(x, 0), np.maximum(-x, 0)
        yp, yn = np.maximum(y, 0), np.maximum(-y, 0)
        nxp, nyp = np.linalg.norm(xp), np.linalg.norm(yp)
        nxn, nyn = np.linalg.norm(xn), np.linalg.norm(yn)
        mp, mn = nxp * nyp, nxn * nyn
        if mp >= mn:
            u, v, sigma = xp / max(nxp, _DIV_GUARD), yp / max(nyp, _DIV_GUARD), mp
        else:
            u, v, sigma = xn / max(nxn, _DIV_GUARD), yn / max(nyn, _DIV_GUARD), mn
        lbd = np.sqrt(S[j] * sigma)
        W[:, j] = lbd * u
        H[j] = lbd * v
    eps = _NNDSVD_ZERO * np.sqrt(mean / k)
    W[W < eps] = 0
    H[H < eps] = 0
    if variant == "nndsvda":
        W[W == 0] = np.sqrt(mean / k)
        H[H == 0] = np.sqrt(mean / k)
    elif variant == "nndsvdar":
        avg = np.sqrt(mean / k)
        W[W == 0] = np.abs(avg * rng.standard_normal(np.count_nonzero(W == 0)) / 100)
        H[H == 0] = np.abs(avg * rng.standard_normal(np.count_nonzero(H == 0)) / 100)
    return W, H


# ------------------------------------------------------------ block kernels
def _flush(a, tiny):
    """Set values below ``tiny`` to zero (in place).

    Factors that ARD shrinks towards zero would otherwise pass through the
    subnormal range, where floating-point arithmetic is many times slower;
    a multiplicative update keeps a zero at zero, so this only ends the
    shrinking a little earlier, far below the data's resolution.
    """
    a[a < tiny] = 0
    return a


def _root_update(p, d, qp, dtype):
    """Positive root of ``q w^2 + d w - p = 0`` given ``qp = q p``.

    ``p / d`` when ``qp`` is None.  The caller passes the product ``q p``,
    which for the multiplicative updates needs no division by the current
    factor (``q`` alone does, and overflows where a factor has shrunk
    towards zero); the root is formed without squaring ``d``, which could
    overflow float32.
    """
    tiny = _tiny(dtype)
    if qp is None:
        return p / np.maximum(d, tiny)
    disc = np.hypot(d, 2.0 * np.sqrt(qp))
    return (2.0 * p) / np.maximum(d + disc, tiny)


def _converged(new, Wb, inner_tol, tiny):
    """The one stopping test of the inner W sweeps: relative change of W."""
    if inner_tol <= 0:
        return False
    change = np.linalg.norm(new - Wb)
    return change <= inner_tol * (np.linalg.norm(new) + tiny)


def gaussian_block(Xb, Wb, H, P, lin, n_inner, inner_tol, terms=None):
    """W step of the Gaussian model on one block, then the H statistics.

    Minimises ``0.5 tr(W P W^T) - tr(W^T X H^T) + lin . colsum(W)`` over the
    block's rows by multiplicative updates (``P`` has non-negative entries),
    ``n_inner`` times or until the relative change is below ``inner_tol``.
    ``terms`` are the spatial prior's ``(num, den)`` for this block, which
    hold for one sweep from the given ``W_b`` (see ``_spatial``).
    """
    dtype = Xb.dtype
    tiny = _tiny(dtype)
    XHt = Xb @ H.T
    Wb = Wb.astype(dtype, copy=True)
    if terms is not None:
        n_inner = min(n_inner, 1)
    for _ in range(n_inner):
        den = Wb @ P
        den += lin
        num = XHt
        if terms is not None:
            den += terms[1]
            num = XHt + terms[0]
        np.maximum(den, tiny, out=den)
        new = Wb * num
        new /= den
        _flush(new, tiny)
        done = _converged(new, Wb, inner_tol, tiny)
        Wb = new
        if done:
            break
    A = (Wb.T @ Xb).astype(np.float64)
    Wd = Wb.astype(np.float64)
    G = Wd.T @ Wd
    cross = float(np.einsum("ik,ik->", Wd, XHt.astype(np.float64, copy=False)))
    return Wb, A, G, Wd.sum(axis=0), cross


def _w_root_step(Wb, RHt, d, Poff, dtype, tiny, terms=None):
    """The multiplicative Poisson W update from ``R H^T``.

    ``terms`` (the spatial prior's ``(num, den)``) add to ``R H^T`` and to
    ``W_b Poff``.
    """
    if terms is not None:
        RHt = RHt + terms[0]
    p = Wb * RHt
    # q = (W_b Poff) / W_b, so q p = (W_b Poff) * (R H^T)
    qp = None if Poff is None else (Wb @ Poff) * RHt
    if terms is not None:
        qp = terms[1] * RHt if qp is None else qp + terms[1] * RHt
    return _flush(_root_update(p, d, qp, dtype), tiny)


def _poisson_block_sparse(
    Xb, flat, Wb, H, d, Poff, eps, n_inner, inner_tol, need_xlog, terms=None
):
    """``poisson_block`` through the non-zero counts of the block.

    ``flat`` holds the flat (row-major) indices of the non-zeros.

    ``R = X_b / (W_b H + eps)`` is zero wherever ``X_b`` is, so ``R H^T``,
    ``W_b^T R`` and ``sum X_b log(W_b H + eps)`` need the model only at the
    non-zeros: ``nnz * K`` operations instead of ``n * M * K``.
    """
    dtype = Xb.dtype
    tiny = _tiny(dtype)
    n, m = Xb.shape
    rows, cols = np.divmod(flat, m)
    vals = np.ravel(Xb)[flat]
    Ht = np.ascontiguousarray(H.T, dtype=dtype)
    Hc = Ht[cols]
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=n))])
    R = sp.csr_matrix((np.empty_like(vals), cols, indptr), shape=(n, m))

    def ratio(W):
        model = np.einsum("ik,ik->i", W[rows], Hc)
        model += eps
        R.data = vals / model
        return model

    Wb = Wb.astype(dtype, copy=True)
    for _ in range(n_inner):
        ratio(Wb)
        new = _w_root_step(Wb, np.asarray(R @ Ht), d, Poff, dtype, tiny, terms)
        done = _converged(new, Wb, inner_tol, tiny)
        Wb = new
        if done:
            break
    model = ratio(Wb)
    B = np.asarray(R.T @ Wb).T.astype(np.float64)
    xlog = None
    if need_xlog:
        xlog = float(np.dot(vals.astype(np.float64), np.log(model, dtype=np.float64)))
    Wd = Wb.astype(np.float64)
    return Wb, B, Wd.T @ Wd, Wd.sum(axis=0), xlog


def poisson_block(
    Xb, Wb, H, d, Poff, eps, n_inner, inner_tol, need_xlog=True, terms=None
):
    """W step of the Poisson model on one block, then the H statistics.

    ``d`` is the linear part of the gradient (row sums of H plus penalties),
    ``Poff`` the overlap-penalty matrix or None.  Returns the updated block,
    ``W_b^T (X_b / (W_b H + eps))``, ``W_b^T W_b``, the column sums of
    ``W_b`` and ``sum X_b log(W_b H + eps)`` at the updated ``W_b`` (None
    unless ``need_xlog``: only the objective reads it).

    A sweep touches block-sized arrays three times: the model ``W_b H + eps``
    is one matrix product (``eps`` enters as an extra column of ones in
    ``W_b`` and a row ``eps`` in ``H``), the ratio overwrites it in place,
    and one product with the ratio gives the statistic.  An iteration is
    two such sweeps (the W step at the old ``W_b``, the H statistics at the
    new one) and, when asked, the logarithm of the model.
    ``terms``: the spatial prior's ``(num, den)`` for one sweep.
    """
    if terms is not None:
        n_inner = min(n_inner, 1)
    # a few rows tell a dense block; otherwise count and find the non-zeros
    # on a boolean mask, several times faster than on the float block
    head = Xb[:_SPARSE_PROBE_ROWS]
    if np.count_nonzero(head) <= 2 * _SPARSE_FRACTION * head.size:
        mask = Xb != 0
        if np.count_nonzero(mask) <= _SPARSE_FRACTION * Xb.size:
            flat = np.flatnonzero(mask)
            return _poisson_block_sparse(
                Xb, flat, Wb, H, d, Poff, eps, n_inner, inner_tol, need_xlog, terms
            )
    dtype = Xb.dtype
    tiny = _tiny(dtype)
    K = H.shape[0]
    # [W_b, 1] @ [H; eps] is the model with eps added inside the product
    Wa = np.ones((Xb.shape[0], K + 1), dtype=dtype)
    Ha = np.empty((K + 1, H.shape[1]), dtype=dtype)
    Ha[:K] = H
    Ha[K] = eps
    Ht = Ha[:K].T
    Wa[:, :K] = Wb
    # one block-sized buffer, reused: the model, then the ratio in its place
    R = np.empty_like(Xb)
    for _ in range(n_inner):
        np.matmul(Wa, Ha, out=R)
        np.divide(Xb, R, out=R)
        new = _w_root_step(Wa[:, :K], R @ Ht, d, Poff, dtype, tiny, terms)
        done = _converged(new, Wa[:, :K], inner_tol, tiny)
        Wa[:, :K] = new
        if done:
            break
    Wb = np.ascontiguousarray(Wa[:, :K])
    np.matmul(Wa, Ha, out=R)
    xlog = None
    if need_xlog:
        WH = R
        R = Xb / WH
        np.log(WH, out=WH)
        xlog = float(np.vdot(Xb, WH))
    else:
        np.divide(Xb, R, out=R)
    B = (Wb.T @ R).astype(np.float64)
    Wd = Wb.astype(np.float64)
    G = Wd.T @ Wd
    return Wb, B, G, Wd.sum(axis=0), xlog


def _merge_w_results(results):
    """The results of consecutive blocks' W steps as those of one block: the
    rows of W stacked, the statistics summed in row order."""
    merged = [np.concatenate([r[0] for r in results], axis=0)]
    for i in range(1, 4):
        total = results[0][i]
        for r in results[1:]:
            total = total + r[i]
        merged.append(total)
    last = [r[4] for r in results]
    merged.append(None if last[0] is None else sum(last))
    return tuple(merged)


# ----------------------------------------------------------------- solver
class Model:
    """Constants of one fit: loss, penalties, hyperparameters."""

    def __init__(
        self,
        *,
        loss,
        stats,
        n_components,
        learned,
        ard,
        ard_shape,
        orthogonality,
        sparsity,
        dtype,
        prune_tol=0.0,
        spatial=None,
        basis=None,
        extrapolate=True,
    ):
        N, M = stats["N"], stats["M"]
        self.loss = loss
        self.N, self.M, self.K = N, M, n_components
        self.dtype = np.dtype(dtype)
        self.learned = np.asarray(learned, dtype=bool)
        self.ard = bool(ard)
        self.a = float(ard_shape)
        self.prune_tol = float(prune_tol)
        n_learned = max(int(self.learned.sum()), 1)
        mean = stats["mean"]
        # inverse-gamma scale from E[X] = K E[lam^2] (Tan & Fevotte 2013)
        self.b = np.sqrt((self.a - 1.0) * (self.a - 2.0) * mean / n_learned)
        # kappa converts squared counts of a map to the L2 scale of the data
        self.kappa = stats["sumsq"] / max(stats["rowsum_sq"], _DIV_GUARD)
        self.c_o = (
            float(orthogonality) * N * M * self.kappa / max(stats["sumsq"], _DIV_GUARD)
        )
        xbar1 = stats["sum"] / N
        self.c_s = float(sparsity) * M / max(xbar1, _DIV_GUARD)
        self.mean = mean
        self.sumsq = stats["sumsq"]
        self.sum = stats["sum"]
        self.xlogx = stats["xlogx"]
        self.eps = _POISSON_EPS * mean if loss == "poisson" else 0.0
        # the smoothness prior on the maps (a SpatialPenalty), or None
        self.spatial = spatial
        self.penalised = self.ard or self.c_o > 0 or self.c_s > 0 or spatial is not None
        # rows of unit sum that the spectra are non-negative combinations of,
        # or None; with a basis the solver's H holds the coefficients on them
        # (K x n_basis), whose row sums are the spectra's
        self.basis = None
        if basis is not None:
            self.basis = np.asarray(basis, dtype=np.float64)
            self.basis_gram = self.basis @ self.basis.T
        self.sigma2_floor = _SIGMA2_FLOOR * stats["sumsq"] / (N * M)
        self.extrapolate = bool(extrapolate)

    # ---- parts of the objective
    def ard_term(self, wsum, hsum, lam):
        if not self.ard:
            return 0.0
        L = self.learned
        c = self.N + self.M + self.a + 1.0
        return float(
            np.sum((wsum[L] + hsum[L] + self.b) / lam[L]) + c * np.sum(np.log(lam[L]))
        )

    def update_lambda(self, wsum, hsum, lam):
        if self.ard:
            L = self.learned
            lam = lam.copy()
            lam[L] = (wsum[L] + hsum[L] + self.b) / (self.N + self.M + self.a + 1.0)
        return lam

    def inv_lam(self, lam):
        out = np.zeros(self.K)
        if self.ard:
            out[self.learned] = 1.0 / lam[self.learned]
        return out

    @staticmethod
    def overlap(G, s):
        return float(s @ G @ s - np.sum(np.diag(G) * s * s))


class Solver:
    """Block-coordinate descent for one model on one data source."""

    def __init__(self, source, model):
        self.source = source
        self.model = model

    def _spectra(self, H):
        """The component spectra of the factor ``H``: ``H`` itself, or with a
        basis the coefficients ``H`` times the basis (float64)."""
        if self.model.basis is None:
            return H
        return H.astype(np.float64) @ self.model.basis

    def _gauss_resid(self, Hd, A, G):
        """``||X||^2 - 2 <H, W^T X> + <W^T W, H H^T>`` at the coefficients or
        spectra ``Hd``, from the statistics ``A = W^T X`` and ``G = W^T W``."""
        Hf = self._spectra(Hd)
        return max(
            self.model.sumsq
            - 2.0 * float(np.sum(Hf * A))
            + float(np.sum(G * (Hf @ Hf.T))),
            0.0,
        )

    # ---------------------------------------------------------- Gaussian
    def _gauss_pass(self, W, H, sigma2, lam, n_inner, inner_tol):
        m = self.model
        dtype = m.dtype
        H = self._spectra(H)
        s = H.astype(np.float64).sum(axis=1)
        Hd = H.astype(np.float64)
        P = Hd @ Hd.T
        if m.c_o > 0:
            P = P + sigma2 * m.c_o * (np.outer(s, s) - np.diag(s * s))
        lin = sigma2 * (m.c_s * s + m.inv_lam(lam))
        shared = (H.astype(dtype), P.astype(dtype), lin.astype(dtype))
        terms = None
        if m.spatial is not None:
            terms = m.spatial.block_terms(W, s, self.source.slices, dtype, sigma2)
        return self._w_pass(gaussian_block, W, shared + (n_inner, inner_tol), terms)

    def _w_pass(self, block_step, W, shared_args, terms=None):
        """One pass over X: ``block_step`` updates each block's rows of ``W``
        in place and returns statistics, which are summed over the blocks.

        ``terms`` are the spatial prior's per-block terms, formed from the
        ``W`` before the pass; the roughness of the updated ``W`` is then
        kept in ``self.rough`` for the H step and the objective.
        """
        per_block = [(W[sl],) for sl in self.source.slices]
        if terms is not None:
            block_step = partial(penalised_step, block_step)
            per_block = [(*a, t) for a, t in zip(per_block, terms, strict=True)]
        slices, res = self.source.run_merged(
            block_step,
            _merge_w_results,
            per_block_args=per_block,
            shared_args=shared_args,
        )
        for sl, r in zip(slices, res, strict=True):
            W[sl] = r[0]
        if self.model.spatial is not None:
            self.rough = self.model.spatial.roughness(W)
        stats = [np.sum([r[i] for r in res], axis=0) for i in range(1, 4)]
        last = [r[4] for r in res]
        return (*stats, None if last[0] is None else sum(last))

    def _gauss_objective(self, resid, G, s, wsum, sigma2, lam):
        m = self.model
        if not m.penalised:
            return 0.5 * resid
        J = resid / (2.0 * sigma2) + 0.5 * m.N * m.M * np.log(sigma2)
        J += 0.5 * m.c_o * Model.overlap(G, s)
        J += m.c_s * float(wsum @ s)
        J += m.ard_term(wsum, s, lam)
        if m.spatial is not None:
            J += m.spatial.objective(self.rough, s)
        return float(J)

    def _gauss_sigma2(self, resid):
        m = self.model
        if not m.penalised:
            return 1.0
        return max(resid / (m.N * m.M), m.sigma2_floor)

    def _gauss_h_step(self, Hd, A, G, wsum, sigma2, lam):
        """The H step (learned rows only) from ``A = W^T X``, ``G = W^T W``."""
        m = self.model
        s = Hd.sum(axis=1)
        num = A
        den = G @ Hd
        if m.basis is not None:
            # the same majorisation on the coefficients C of H = C B: the
            # gradient's parts are W^T X B^T and W^T W C B B^T
            num = A @ m.basis.T
            den = den @ m.basis_gram
        if m.c_o > 0:
            Goff = G - np.diag(np.diag(G))
            den += sigma2 * m.c_o * (Goff @ s)[:, None]
        den += (sigma2 * (m.c_s * wsum + m.inv_lam(lam)))[:, None]
        if m.spatial is not None:
            den += sigma2 * m.spatial.h_linear(self.rough, s)[:, None]
        newH = _flush(Hd * num / np.maximum(den, _tiny(np.float64)), _tiny(m.dtype))
        Hd = Hd.copy()
        Hd[m.learned] = newH[m.learned]
        return Hd

    def fit_gaussian(self, W, H, max_iter, tol, callback=None, converged=None):
        m = self.model
        Hd = H.astype(np.float64)
        lam = np.ones(m.K)
        # initial sigma2 and lam from the initial factors (exact minimisers)
        A, G, wsum, _ = self._gauss_pass(W, H, 1.0, lam, 0, 0.0)
        s = Hd.sum(axis=1)
        resid = self._gauss_resid(Hd, A, G)
        sigma2 = self._gauss_sigma2(resid)
        lam = m.update_lambda(wsum, s, np.ones(m.K))
        history = []
        tracker = RelevanceTracker(m)
        test = converged or _relative_test(tol)
        extra = Extrapolation(W, Hd) if m.extrapolate else None
        n_iter = 0
        for it in range(max_iter):
            n_iter = it + 1
            A, G, wsum, _ = self._gauss_pass(W, H, sigma2, lam, 1, 0.0)
            Hd = self._gauss_h_step(Hd, A, G, wsum, sigma2, lam)
            s = Hd.sum(axis=1)
            resid = self._gauss_resid(Hd, A, G)
            new = self._gauss_sigma2(resid), m.update_lambda(wsum, s, lam)
            J = self._gauss_objective(resid, G, s, wsum, *new)
            back = None if extra is None else extra.accept(J, W, Hd, new)
            if back is not None:
                # above the last point kept: back to it, from where the next
                # iteration steps without extrapolation
                Hd, (sigma2, lam), J = back
            else:
                sigma2, lam = new
                tracker.update(wsum, s, lam)
            history.append(J)
            H = Hd.astype(m.dtype)
            if callback is not None:
                callback(n_iter, J)
            if back is None:
                passed = test(history, None) and tracker.settled()
                if passed if extra is None else extra.confirms(passed):
                    break
            if back is None and extra is not None and n_iter < max_iter:
                Hd = extra.step(W, Hd)
                H = Hd.astype(m.dtype)
        H = Hd.astype(m.dtype)
        state = {"sigma2": sigma2, "lam": lam, "iters": list(range(1, n_iter + 1))}
        return W, H, history, n_iter, state

    def refine_gaussian(
        self, W, H, state, n_inner=_REFINE_GAUSSIAN[0], inner_tol=_REFINE_GAUSSIAN[1]
    ):
        """Solve the W step to convergence with H fixed; final objective."""
        m = self.model
        Hd = H.astype(np.float64)
        A, G, wsum, cross = self._gauss_pass(
            W, H, state["sigma2"], state["lam"], n_inner, inner_tol
        )
        s = Hd.sum(axis=1)
        Hf = self._spectra(Hd)
        resid = max(m.sumsq - 2.0 * cross + float(np.sum(G * (Hf @ Hf.T))), 0.0)
        J = self._gauss_objective(resid, G, s, wsum, state["sigma2"], state["lam"])
        return W, J, resid, wsum

    # ---------------------------------------------------------- Poisson
    def _poisson_pass(self, W, H, lam, n_inner, inner_tol, need_xlog=True):
        m = self.model
        dtype = m.dtype
        H = self._spectra(H)
        s = H.astype(np.float64).sum(axis=1)
        d = s * (1.0 + m.c_s) + m.inv_lam(lam)
        Poff = None
        if m.c_o > 0:
            Poff = m.c_o * (np.outer(s, s) - np.diag(s * s))
            Poff = Poff.astype(dtype)
        shared = (H.astype(dtype), d.astype(dtype), Poff, dtype.type(m.eps))
        terms = None
        if m.spatial is not None:
            terms = m.spatial.block_terms(W, s, self.source.slices, dtype)
        return self._w_pass(
            poisson_block, W, shared + (n_inner, inner_tol, need_xlog), terms
        )

    def _poisson_objective(self, xlog, G, s, wsum, lam):
        m = self.model
        kl = m.xlogx - xlog - m.sum + float(wsum @ s) + m.eps * m.N * m.M
        J = kl
        if m.c_o > 0:
            J += 0.5 * m.c_o * Model.overlap(G, s)
        J += m.c_s * float(wsum @ s)
        J += m.ard_term(wsum, s, lam)
        if m.spatial is not None:
            J += m.spatial.objective(self.rough, s)
        return float(J), float(kl)

    def _poisson_h_step(self, Hd, B, G, wsum, lam):
        m = self.model
        if m.basis is not None:
            # the gradient on the coefficients C of H = C B is the one on H
            # times B^T; with rows of unit sum the other terms are unchanged
            B = B @ m.basis.T
        p = Hd * B
        d = (wsum * (1.0 + m.c_s) + m.inv_lam(lam))[:, None]
        qp = None
        if m.c_o > 0:
            s = Hd.sum(axis=1)
            Goff = G - np.diag(np.diag(G))
            # q = c_o (Goff s) / H, so q p = c_o (Goff s) * B
            qp = m.c_o * (Goff @ s)[:, None] * B
        if m.spatial is not None:
            # q = beta l_k s_k / H (a quadratic in the sum s_k)
            extra = m.spatial.h_linear(self.rough, Hd.sum(axis=1))[:, None] * B
            qp = extra if qp is None else qp + extra
        d = np.broadcast_to(d, Hd.shape)
        newH = _flush(_root_update(p, d, qp, np.float64), _tiny(m.dtype))
        Hd[m.learned] = newH[m.learned]
        return Hd

    def fit_poisson(self, W, H, max_iter, tol, callback=None, converged=None):
        m = self.model
        Hd = H.astype(np.float64)
        s = Hd.sum(axis=1)
        wsum0 = W.astype(np.float64).sum(axis=0)
        lam = m.update_lambda(wsum0, s, np.ones(m.K))
        # every objective read, and those of the checks (the stopping test
        # and the extrapolation's restarts read only these, so a callback,
        # which reads every iteration, does not change the fit)
        history, iters, checked, checked_at = [], [], [], []
        tracker = RelevanceTracker(m)
        test = converged or _relative_test(tol)
        extra = Extrapolation(W, Hd) if m.extrapolate else None
        n_iter = 0
        for it in range(max_iter):
            n_iter = it + 1
            check = n_iter == 1 or n_iter % CHECK_EVERY == 0 or n_iter == max_iter
            read = check or callback is not None
            B, G, wsum, xlog = self._poisson_pass(W, H, lam, 1, 0.0, need_xlog=read)
            back = None
            if read:
                J, _ = self._poisson_objective(xlog, G, Hd.sum(axis=1), wsum, lam)
            if check and extra is not None:
                # above the last point kept: back to it, from where the next
                # iteration steps without extrapolation
                back = extra.accept(J, W, Hd, lam)
                if back is not None:
                    Hd, lam, J = back
            if read:
                history.append(J)
                iters.append(n_iter)
                if callback is not None:
                    callback(n_iter, J)
            if back is not None:
                H = Hd.astype(m.dtype)
                continue
            if check:
                checked.append(J)
                checked_at.append(n_iter)
            Hd = self._poisson_h_step(Hd, B, G, wsum, lam)
            lam = m.update_lambda(wsum, Hd.sum(axis=1), lam)
            tracker.update(wsum, Hd.sum(axis=1), lam)
            if check:
                passed = test(checked, checked_at) and tracker.settled()
                if passed if extra is None else extra.confirms(passed):
                    H = Hd.astype(m.dtype)
                    break
            if extra is not None and n_iter < max_iter:
                Hd = extra.step(W, Hd)
            H = Hd.astype(m.dtype)
        state = {"lam": lam, "iters": iters}
        return W, H, history, n_iter, state

    def refine_poisson(
        self, W, H, state, n_inner=_REFINE_POISSON[0], inner_tol=_REFINE_POISSON[1]
    ):
        Hd = H.astype(np.float64)
        B, G, wsum, xlog = self._poisson_pass(W, H, state["lam"], n_inner, inner_tol)
        s = Hd.sum(axis=1)
        J, kl = self._poisson_objective(xlog, G, s, wsum, state["lam"])
        return W, J, kl, wsum


def make_source(X, dtype, block_size, clip_negative, n_jobs=None):
    """A :class:`BlockSource` for X."""
    return BlockSource(
        X,
        dtype,
        block_size=block_size,
        clip_negative=clip_negative,
        n_jobs=n_jobs,
    )
