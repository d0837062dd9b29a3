"""Lorentzian white lines on arctangent edge steps: the full least-squares model.

A core-loss edge is modelled as

.. math::

    y_n = c + \\sum_j a_j L(n; x_j, g_j)
        + \\sum_s h_s \\left[\\tfrac12 + \\tfrac1\\pi
          \\arctan\\frac{n - x_{p(s)}}{g_{p(s)}}\\right],

Lorentzians ``L`` (position ``x``, half-width ``g``, area ``a``), a constant
``c`` and edge steps of height ``h_s``.  A step is the integral of a unit
Lorentzian: its onset and width are those of the white line ``p(s)`` it
belongs to (the first clear peak of its group of lines), so a step adds one
height and no free position.  For two steps (an L2,3 edge) the heights are
tied by a branching ratio (2:1 by default) or free.

The Lorentzians come from ESPRIT on the spectrum minus the straight line
through its two ends (:func:`_detrend`): that removes the jump of the edge at
the window ends, which is what keeps ESPRIT from seeing the white lines on a
step, so no initial guess is needed.  The linear parameters (areas, constant,
heights) are then solved for at the ESPRIT positions and widths
(:func:`_linear_start`), and everything is refined together by damped
Gauss-Newton (Levenberg-Marquardt) steps (:func:`_fit_model`), whose
Jacobian also gives the standard errors (:func:`_standard_errors`).

All arrays are in channel units and batched over spectra.
"""

from collections import namedtuple

import numpy as np

from skspectra.peaks._lsq import _robust_solve, _spd_inverse

# spectra per block of the model evaluation: keeps the Jacobian of a block
# ((3 K + 1 + n_heights) x N values per spectrum) in the processor's cache
_MODEL_BLOCK = 16
# Levenberg-Marquardt: starting damping, and its change after a rejected /
# accepted step (the usual factors: quick to back off, slow to trust)
_LM_START, _LM_UP, _LM_DOWN = 1e-3, 4.0, 1.0 / 3.0
# a row has converged when an accepted step lowers chi^2 by less than this
# (a hundredth of its statistical resolution) or its damping exceeds
# _LM_GIVE_UP (no step of any length lowers the cost any more)
_LM_CHI2_TOL = 1e-1
_LM_GIVE_UP = 1e10
# a step predicted to lower chi^2 by less than this many tolerances (one
# unit of chi^2), from a point reached by accepted steps, is the last one
# and is taken without evaluating it: its actual decrease differs from the
# predicted one by terms of third order in the step
_LM_TRUST = 10.0
# most damped Gauss-Newton steps per refinement
_LM_MAX_STEPS = 60
# a step that moves a centre by more than this many half-widths has left
# the peak it started from: rejected
_MAX_SHIFT = 5.0
# bounds of a projected fit (a fixed peak count): smallest half-width in
# channels (that of the ESPRIT stage) and smallest area relative to the
# largest value of the spectrum (a peak that is there but not seen)
_BOUND_WIDTH = 0.5
# standard deviation of a normal variable over its median absolute deviation
_MAD_TO_STD = 1.482602218505602
_AREA_FLOOR = 1e-9
# channels averaged at each end of the window for the detrending line, as a
# fraction of the window (at least one): averages out the noise of the ends
_END_FRACTION = 1.0 / 32.0
# a step belongs to the first peak of its group whose area is at least this
# fraction of the group's largest: a weak pre-peak is not the edge onset
_OWNER_AREA_FRACTION = 0.1

ModelFit = namedtuple(
    "ModelFit", ["x", "g", "a", "keep", "c", "heights", "owner", "cost", "errors"]
)
ModelFit.__doc__ = """Least-squares fit of peaks, edge steps and a constant.

``x, g, a, keep`` of shape (n, K): peaks (channel units) and which slots are
in the model; ``c`` (n,); ``heights`` (n, n_steps) and ``owner`` (n,
n_steps), the index of the peak each step belongs to (-1: no step);
``cost`` (n,), the residual sum of squares; ``errors``, a dict of standard
errors ``x, g, a`` (n, K), ``heights`` (n, n_steps) and ``c`` (n,).
"""


def _detrend(X):
    """The spectra minus the straight line through the means of their ends.

    Returns
    -------
    X_detrended : ndarray of shape (n, N)
    """
    n_rows, N = X.shape
    m = max(1, int(N * _END_FRACTION))
    lo = X[:, :m].mean(axis=1)
    hi = X[:, N - m :].mean(axis=1)
    centre_lo, centre_hi = (m - 1) / 2.0, N - 1 - (m - 1) / 2.0
    t = (np.arange(N) - centre_lo) / (centre_hi - centre_lo)
    return X - lo[:, None] - (hi - lo)[:, None] * t[None, :]


def _step_owners(x, a, keep, n_steps):
    """Index of the peak each edge step belongs to, per spectrum.

    The peaks in ``keep``, sorted by position, are split into ``n_steps``
    groups at the largest gaps between neighbours (the spin-orbit splitting
    of an L2,3 edge exceeds its crystal-field splittings); a step belongs to
    the first peak of its group with at least ``_OWNER_AREA_FRACTION`` of
    the group's largest area.

    Returns
    -------
    owner : ndarray of shape (n, n_steps), int, -1 where there is no group
    """
    n_rows, K = x.shape
    owner = np.full((n_rows, n_steps), -1, dtype=np.intp)
    if K == 0 or n_steps == 0:
        return owner
    take = np.take_along_axis
    order = np.argsort(np.where(keep, x, np.inf), axis=1, kind="stable")
    xs, as_, ks = take(x, order, 1), take(a, order, 1), take(keep, order, 1)
    count = ks.sum(axis=1)
    slot = np.arange(K)[None, :]
    group = np.zeros((n_rows, K), dtype=np.intp)
    if n_steps == 2 and K > 1:
        gaps = np.where(slot[:, 1:] < count[:, None], np.diff(xs, axis=1), -np.inf)
        cut = np.argmax(gaps, axis=1) + 1
        group = np.where((slot >= cut[:, None]) & (count[:, None] >= 2), 1, 0)
    for s in range(n_steps):
        member = ks & (group == s)
        present = member.any(axis=1)
        top = np.max(np.where(member, as_, -np.inf), axis=1, keepdims=True)
        big = member & (as_ >= _OWNER_AREA_FRACTION * top)
        first = np.argmax(big, axis=1)
        owner[:, s] = np.where(present, order[np.arange(n_rows), first], -1)
    return owner


def _height_map(n_steps, ratio):
    """Matrix ``C`` with ``heights = H @ C`` from the free height parameters.

    One parameter for two steps tied by ``ratio`` (second over first), else
    one per step.
    """
    if n_steps == 2 and ratio is not None:
        return np.array([[1.0, ratio]])
    return np.eye(n_steps)


def _step_basis(u, owner, C):
    """Unit arctangent steps of the owners, and the height parameters' rows.

    Returns
    -------
    B : ndarray of shape (nb, S, N)
        ``1/2 + arctan(u) / pi`` of each step's white line (0 for no step).
    rows : ndarray of shape (nb, P, N)
        The derivatives of the model with respect to the free heights.
    """
    has = owner >= 0
    own = np.where(has, owner, 0)
    B = np.arctan(u[np.arange(u.shape[0])[:, None], own])
    B *= 1.0 / np.pi
    B += 0.5
    if not np.all(has):
        B *= has[:, :, None]
    return B, C[None] @ B


def _model_and_jacobian(n, x, g, a, kp, c, H, owner, C, linear_only=False):
    """The model and its Jacobian for a block of spectra.

    Parameters, in order: positions, half-widths, areas (K each), the
    constant, the free heights ``H`` (P).  With ``linear_only`` the rows of
    the positions and half-widths hold intermediate values (a linear solve
    needs only the others).  The per-peak terms are written straight into
    the rows of the Jacobian, so each value of the (nb, K, N) arrays is
    computed in few passes.

    Returns
    -------
    model : ndarray of shape (nb, N)
    J : ndarray of shape (nb, 3 K + 1 + P, N)
    """
    nb, K = x.shape
    N = n.shape[-1]
    P = C.shape[0]
    a = np.where(kp, a, 0.0)
    gg = np.where(kp, g, 1.0)
    J = np.empty((nb, 3 * K + 1 + P, N))
    # rows of the positions (u), half-widths (u**2) and areas (unit peaks)
    u, uu, f_a = J[:, :K], J[:, K : 2 * K], J[:, 2 * K : 3 * K]
    np.subtract(n, np.where(kp, x, 0.0)[:, :, None], out=u)
    u *= (kp / gg)[:, :, None]
    np.multiply(u, u, out=uu)
    inv = uu + 1.0
    np.reciprocal(inv, out=inv)
    np.multiply(inv, (kp / (np.pi * gg))[:, :, None], out=f_a)
    J[:, 3 * K] = 1.0
    model = (a[:, None, :] @ f_a)[:, 0]
    model += c[:, None]
    if P:
        heights = H @ C  # (nb, S)
        B, J[:, 3 * K + 1 :] = _step_basis(u, owner, C)
        model += (heights[:, None, :] @ B)[:, 0]
    if linear_only:
        return model, J
    # h2 = a inv**2 / (pi g**2); d/dx = 2 u h2, d/dg = (u**2 - 1) h2
    h2 = np.multiply(inv, f_a, out=inv)
    h2 *= (a / gg)[:, :, None]
    uu -= 1.0
    uu *= h2
    attached = _attached_heights(owner, heights, K) if P else None
    # a step moves and widens with its white line: d/dx -= h f_a, d/dg -=
    # h u f_a, for the total step height h attached to the peak
    owners = [] if attached is None else np.flatnonzero(np.any(attached != 0, axis=0))
    hs = {k: attached[:, k, None] * f_a[:, k] for k in owners}
    for k in owners:
        uu[:, k] -= u[:, k] * hs[k]
    u *= h2
    u *= 2.0
    for k in owners:
        u[:, k] -= hs[k]
    return model, J


def _attached_heights(owner, heights, K):
    """Total step height attached to each peak, of shape (nb, K)."""
    nb = owner.shape[0]
    has = owner >= 0
    attached = np.zeros((nb, K))
    idx = (np.arange(nb)[:, None], np.where(has, owner, 0))
    np.add.at(attached, idx, np.where(has, heights, 0.0))
    return attached


def _param_mask(kp, owner, C):
    """The free parameters: those of the peaks in the model, the constant,
    and the heights of steps that have a white line."""
    nb = kp.shape[0]
    has_step = (owner >= 0).astype(np.float64) @ (C != 0).T.astype(np.float64)
    return np.concatenate([kp, kp, kp, np.ones((nb, 1), bool), has_step > 0], axis=1)


def _linear_start(X, x, g, kp, owner, C):
    """Areas, constant and heights by linear least squares at fixed ``x, g``.

    Returns
    -------
    a, c, H : ndarray of shape (n, K), (n,), (n, P)
    """
    nb, N = X.shape
    K = x.shape[1]
    P = C.shape[0]
    n = np.arange(N, dtype=np.float64)[None, None, :]
    mask = _param_mask(kp, owner, C)[:, 2 * K :]
    n_lin = mask.shape[1]
    A = np.empty((nb, n_lin, n_lin))
    rhs = np.empty((nb, n_lin))
    for start in range(0, nb, _MODEL_BLOCK):
        sl = slice(start, start + _MODEL_BLOCK)
        m = mask[sl]
        _, J = _model_and_jacobian(
            n,
            x[sl],
            g[sl],
            np.ones_like(x[sl]),
            kp[sl],
            np.zeros(m.shape[0]),
            np.zeros((m.shape[0], P)),
            owner[sl],
            C,
            linear_only=True,
        )
        lin = J[:, 2 * K :]
        lin *= m[:, :, None]
        A[sl] = lin @ lin.transpose(0, 2, 1)
        rhs[sl] = (lin @ X[sl, :, None])[..., 0]
    A += np.eye(n_lin)[None] * (~mask)[:, :, None]
    sol = _robust_solve(A, rhs)
    return np.where(kp, sol[:, :K], 0.0), sol[:, K], sol[:, K + 1 :]


def _evaluate(X, params, kp, owner, C):
    """Residual, its sum of squares, the normal matrix and the gradient.

    Evaluated ``_MODEL_BLOCK`` spectra at a time, so that only the normal
    matrices (not the Jacobians) of the whole batch are kept.  The spectra
    are grouped by the last slot they use, and each block is evaluated on
    its own slots only (the rows and columns of unused slots are 0).

    Parameters
    ----------
    X : ndarray of shape (n, N)
    params : tuple of ndarray
        ``x, g, a`` (n, K), ``c`` (n,) and ``H`` (n, P).
    kp, owner, C
        As in :func:`_fit_model`.

    Returns
    -------
    resid : ndarray of shape (n, N)
    cost : ndarray of shape (n,), inf where not finite
    A : ndarray of shape (n, n_par, n_par), ``J J^T``
    rhs : ndarray of shape (n, n_par), ``J resid``
    """
    nb, N = X.shape
    x, g, a, c, H = params
    K, P = x.shape[1], C.shape[0]
    n_par = 3 * K + 1 + P
    n = np.arange(N, dtype=np.float64)[None, None, :]
    resid = np.empty((nb, N))
    A = np.zeros((nb, n_par, n_par))
    rhs = np.zeros((nb, n_par))
    # slots in use: up to the last kept one (at least one slot)
    used = np.where(kp.any(axis=1), K - np.argmax(kp[:, ::-1], axis=1), 1)
    order = np.argsort(used, kind="stable")
    with np.errstate(over="ignore", invalid="ignore"):
        for start in range(0, nb, _MODEL_BLOCK):
            rows = order[start : start + _MODEL_BLOCK]
            k = int(used[rows].max())
            slots = np.arange(k)
            idx = np.concatenate(
                [slots, K + slots, 2 * K + slots, 3 * K + np.arange(1 + P)]
            )
            model, J = _model_and_jacobian(
                n,
                x[rows, :k],
                g[rows, :k],
                a[rows, :k],
                kp[rows, :k],
                c[rows],
                H[rows],
                owner[rows],
                C,
            )
            r = X[rows] - model
            resid[rows] = r
            A[rows[:, None, None], idx[:, None], idx[None, :]] = J @ J.transpose(
                0, 2, 1
            )
            rhs[rows[:, None], idx] = (J @ r[:, :, None])[..., 0]
        cost = np.einsum("bn,bn->b", resid, resid)
    return resid, np.where(np.isfinite(cost), cost, np.inf), A, rhs


def _lm_trial(state, act, step, bounded, area_floor, N):
    """The parameters after ``step`` on the rows ``act``, and which of them
    are admissible (every centre moved by less than ``_MAX_SHIFT``
    half-widths, every half-width positive)."""
    x, g, a, kp, c, H = state
    K = x.shape[1]
    xn = x[act] + step[:, :K]
    gn = g[act] + step[:, K : 2 * K]
    an = a[act] + step[:, 2 * K : 3 * K]
    if bounded:
        # projected steps: every peak stays a peak of the window
        xn = np.clip(xn, 0.0, N - 1.0)
        gn = np.maximum(gn, _BOUND_WIDTH)
        an = np.maximum(an, area_floor[act, None])
    cn = c[act] + step[:, 3 * K]
    Hn = H[act] + step[:, 3 * K + 1 :]
    kpa = kp[act]
    ok = np.all(~kpa | ((gn > 0) & (np.abs(step[:, :K]) < _MAX_SHIFT * g[act])), axis=1)
    gn = np.where(ok[:, None], gn, g[act])
    return (xn, gn, an, cn, Hn), ok


def _lm_block(X, x, g, a, kp, c, H, owner, C, max_steps, bounded=False, centre=False):
    """Levenberg-Marquardt steps on a batch (see :func:`_fit_model`).

    Every step is taken by all the rows still going at once.  A row stops
    before its next trial when the decrease of chi^2 that the step predicts
    is below ``_LM_CHI2_TOL`` (or, after an accepted step, the actual
    decrease was), or when its damping exceeds ``_LM_GIVE_UP``; a step
    predicted to lower chi^2 by less than ``_LM_TRUST`` tolerances after
    accepted steps is taken as the last one without a trial (not in a
    projected fit).  The normal matrix and residual of the last evaluated
    point give the standard errors.
    """
    nb, N = X.shape
    area_floor = _AREA_FLOOR * np.abs(X).max(axis=1)
    mask = _param_mask(kp, owner, C)
    n_par = mask.shape[1]
    dof = np.maximum(N - mask.sum(axis=1), 1)
    fixed = np.eye(n_par)[None] * (~mask)[:, :, None]
    params = [x, g, a, c, H]
    resid, cost, A, rhs = _evaluate(X, params, kp, owner, C)
    if centre:
        # the constant that fits best under the other terms (it does not
        # change the normal matrix)
        shift = resid.mean(axis=1)
        params[3] = c = c + shift
        if max_steps:
            resid, cost, A, rhs = _evaluate(X, params, kp, owner, C)
        else:
            resid -= shift[:, None]
            cost = np.einsum("bn,bn->b", resid, resid)
    lam = np.full(nb, _LM_START)
    act = np.arange(nb)
    for _ in range(max_steps):
        Aa = A[act]
        diag = np.diagonal(Aa, axis1=1, axis2=2)
        damped = Aa + lam[act, None, None] * diag[:, :, None] * np.eye(n_par)[None]
        step = _robust_solve(damped + fixed[act], rhs[act])
        step = np.where(mask[act], step, 0.0)
        # converged: even the decrease this step predicts (step . J r) is
        # below the tolerance
        tol = _LM_CHI2_TOL * cost[act] / dof[act]
        predicted = np.sum(step * rhs[act], axis=1)
        going = predicted >= tol
        blind = going & (predicted < _LM_TRUST * tol) & (lam[act] < _LM_START)
        act, step, blind = act[going], step[going], blind[going]
        if not act.size:
            break
        new, ok = _lm_trial((x, g, a, kp, c, H), act, step, bounded, area_floor, N)
        if not bounded:
            # the last small step of a converging row is taken without a
            # trial: the quadratic model that predicts it is exact to far
            # below the tolerance there
            last = blind & ok
            for old, part in zip(params, new, strict=True):
                old[act[last]] = part[last]
            act, step, ok = act[~last], step[~last], ok[~last]
            new = tuple(part[~last] for part in new)
            if not act.size:
                break
        rn, cost_n, An, rhs_n = _evaluate(X[act], new, kp[act], owner[act], C)
        cost_n = np.where(ok, cost_n, np.inf)
        better = cost_n < cost[act]
        drop = cost[act] - cost_n
        acc = act[better]
        for old, part in zip(params, new, strict=True):
            old[acc] = part[better]
        resid[acc], cost[acc] = rn[better], cost_n[better]
        A[acc], rhs[acc] = An[better], rhs_n[better]
        lam[act] = np.where(better, lam[act] * _LM_DOWN, lam[act] * _LM_UP)
        # converged: the accepted step lowered chi^2 by less than the
        # tolerance; or no step of any length lowers it any more
        done = better & (drop < _LM_CHI2_TOL * cost[act] / dof[act])
        done |= lam[act] > _LM_GIVE_UP
        act = act[~done]
        if not act.size:
            break
    x, g, a, c, H = params
    return x, g, a, c, H, cost, A, mask, _noise_variance(resid)


def _noise_variance(resid):
    """Noise variance per channel from the first differences of a residual.

    ``(1.4826 MAD(diff r))**2 / 2``: differencing removes what is smooth in
    the residual (a misfit of the line shape or the background varies on the
    scale of a line width), and the median absolute deviation ignores the
    few channels where a narrow misfit remains.  For white noise it is the
    noise variance; for gain-normalised (signal-dependent) noise, that of
    the typical channel.

    Returns
    -------
    variance : ndarray of shape (n,)
    """
    if resid.shape[1] < 3:
        return np.einsum("bn,bn->b", resid, resid) / max(resid.shape[1], 1)
    d = np.diff(resid, axis=1)
    mad = np.median(np.abs(d - np.median(d, axis=1, keepdims=True)), axis=1)
    return (_MAD_TO_STD * mad) ** 2 / 2.0


def _standard_errors(A, mask, variance):
    """Standard errors from the normal matrix and a noise variance per row.

    ``sqrt(variance * diag(A^-1))`` over the free parameters (0 elsewhere):
    the covariance that lmfit reports, with the noise variance estimated
    from the data instead of the residual sum of squares (which a misfit of
    the model inflates).
    """
    dg = np.sqrt(np.abs(np.diagonal(A, axis1=1, axis2=2)))
    dg = np.where(mask & (dg > 0), dg, 1.0)
    As = A / dg[:, :, None] / dg[:, None, :]
    As = np.where(mask[:, :, None] & mask[:, None, :], As, 0.0)
    As = As + np.eye(A.shape[1])[None] * (~mask)[:, :, None]
    var = np.abs(np.diagonal(_spd_inverse(As), axis1=1, axis2=2)) / dg**2
    return np.where(mask, np.sqrt(var * variance[:, None]), 0.0)


def _fit_model(
    X,
    x,
    g,
    a,
    keep,
    owner,
    C,
    *,
    c=None,
    H=None,
    noise=None,
    max_steps=_LM_MAX_STEPS,
    bounded=False,
    centre=False,
):
    """Refine peaks, steps and constant together by damped Gauss-Newton.

    Parameters
    ----------
    X : ndarray of shape (n, N)
    x, g, a : ndarray of shape (n, K)
        Starting peaks; the areas (with the constant and heights) are solved
        for anew when ``c`` is None.
    keep : ndarray of shape (n, K), bool
    owner : ndarray of shape (n, S), int
        Peak of each step (:func:`_step_owners`), -1 for no step.
    C : ndarray of shape (P, S)
        Heights from the free height parameters (:func:`_height_map`).
    c, H : ndarray of shape (n,) and (n, P) or None
        Starting constant and heights.
    noise : ndarray of shape (n,) or None
        Noise variance per channel for the standard errors; None estimates
        it from the residual (:func:`_noise_variance`).
    max_steps : int
        Most damped Gauss-Newton steps (0 gives the errors of the start).
    bounded : bool
        If True, the steps are projected so that every peak stays in the
        window with a half-width of at least half a channel and a positive
        area (a fixed peak count keeps all its peaks).
    centre : bool
        If True, the constant ``c`` is first replaced by the one that fits
        best under the other terms (the mean residual).

    Returns
    -------
    fit : ModelFit
    """
    K = x.shape[1]
    x, g = x.copy(), np.where(keep, g, 1.0)
    if c is None:
        a, c, H = _linear_start(X, x, g, keep, owner, C)
    else:
        a, c, H = a.copy(), c.copy(), H.copy()
    x, g, a, c, H, cost, A, mask, noise_b = _lm_block(
        X, x, g, a, keep, c, H, owner, C, max_steps, bounded, centre
    )
    err = _standard_errors(A, mask, noise_b if noise is None else noise)
    errors = {
        "x": err[:, :K],
        "g": err[:, K : 2 * K],
        "a": err[:, 2 * K : 3 * K],
        "c": err[:, 3 * K],
        "heights": np.sqrt((err[:, 3 * K + 1 :] ** 2) @ (C**2)),
    }
    heights = H @ C
    return ModelFit(x, g, a, keep, c, heights, owner, cost, errors)
