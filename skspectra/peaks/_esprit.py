"""Lorentzian peak decomposition by ESPRIT on the Fourier transform.

A sum of Lorentzians has a Fourier transform that is a sum of damped complex
exponentials.  The discrete Fourier coefficients of a sampled spectrum are
therefore a sum of exponentials in the frequency index, whose poles give the
peak positions and half-widths and whose amplitudes give the areas.  The
poles are found by ESPRIT (estimation of signal parameters via rotational
invariance) on a small lag-covariance matrix of the coefficients; the model
order comes from an information criterion on its eigenvalues or from a
singular-value threshold.  Every step is batched over the spectra.

The decomposition of a batch runs in stages, each a function of its own:

1. :func:`_fourier_coefficients`: the normalised coefficients of the
   spectra with a non-constant part;
2. :func:`_find_poles`: signal subspace (:func:`_signal_subspace`), model
   order (:func:`_select_order`) and poles by shift invariance
   (:func:`_poles_by_order`);
3. :func:`_peaks_from_poles`: positions and half-widths of the poles
   (:func:`_lorentzians_from_poles`), areas by linear least squares with
   the insignificant peaks dropped (:func:`_significant_areas`);
4. :func:`_exact_second_pass`: nearly noiseless spectra again, without
   their mirror terms;
5. :func:`_refine_stage`: the least-squares fit of plain Lorentzians plus a
   constant, started from the ESPRIT peaks;
6. :func:`_report_peaks`: the largest peaks, sorted by position.

Stages 1-4 form :func:`_esprit_stage`, which needs no initial guess; the
refinement takes its result and the spectra it is to fit.
"""

import functools
from collections import namedtuple
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils import check_array
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import (
    _check_feature_names_in,
    check_is_fitted,
    validate_data,
)

from skspectra.datasets._peaks import lorentzian
from skspectra.peaks._edges import (
    _LM_MAX_STEPS,
    ModelFit,
    _detrend,
    _evaluate,
    _fit_model,
    _height_map,
    _linear_start,
    _step_owners,
)
from skspectra.peaks._lsq import (
    _robust_solve,
    _scaled_solve,
    _spd_inverse,
    _unit_diagonal,
)
from skspectra.utils._parallel import single_threaded
from skspectra.utils.validation import check_energy

Peak = namedtuple(
    "Peak",
    ["position", "width", "area", "position_error", "width_error", "area_error"],
    defaults=(np.nan, np.nan, np.nan),
)
Peak.__doc__ = """One Lorentzian peak found by :class:`ESPRITPeaks`.

Fields: ``position`` (centre), ``width`` (half-width at half maximum) and
``area``, in the units of the energy axis (area = intensity times energy),
and their standard errors.
"""

EdgeStep = namedtuple("EdgeStep", ["position", "width", "height", "height_error"])
EdgeStep.__doc__ = """One arctangent edge step found by :class:`ESPRITPeaks`.

``height * (1/2 + arctan((E - position) / width) / pi)``: ``position`` and
``width`` are those of the white line the step belongs to; ``height`` (in
intensity units) with its standard error.
"""

EdgeModel = namedtuple("EdgeModel", ["peaks", "steps", "constant"])
EdgeModel.__doc__ = """The whole model of one spectrum (:meth:`ESPRITPeaks.decompose`).

``peaks``, a list of :class:`Peak`; ``steps``, a list of :class:`EdgeStep`;
``constant``, the fitted constant.
"""

# relative size (in amplitude) below which the non-constant part of a
# spectrum counts as absent: a flat or all-zero spectrum has no peaks
_FLAT_RTOL = 1e-10
# areas below this fraction of the total are rounding remnants
_ZERO_AREA_RTOL = 1e-10
# spectra per batch: bounds the memory of the batched linear algebra
_CHUNK = 2048
# rows per block of the batched basis and mirror computations (bounds the
# memory of their (rows, N/2, K) temporaries)
_ROW_BLOCK = 128
# coefficients per block of the blocked Horner evaluation: one small matrix
# product per block instead of one multiply-add per coefficient
_HORNER_BLOCK = 32
# default smallest and largest half-widths, in channels and as a fraction of
# the window: narrower poles are noise spikes, broader ones background
_MIN_WIDTH_CHANNELS = 0.5
_MAX_WIDTH_FRACTION = 0.25
# default Hankel columns: a few more than the two poles of each peak
_LAGS_PER_PEAK, _EXTRA_LAGS = 3, 2

# All numeric stages below work in channel units (positions and half-widths
# in channels, areas in intensity x channels), batched over spectra.

# pole standing in for an absent one in the batched basis: well inside the
# unit circle, so its basis function is harmless and its Gram matrix regular
_ABSENT_POLE = 0.5
# relative distance of two ratios below which a geometric-series sum takes
# its limit for equal ratios (the general formula loses all digits there)
_EQUAL_RATIO_RTOL = 1e-9
# mirror terms matter where their power exceeds this fraction of the noise
# variance (amplitude 1 % of the noise standard deviation): weaker ones
# change no fitted value beyond its statistical error
_MIRROR_RTOL = 1e-4
# Gauss-Newton steps on the exact periodised model of nearly noiseless
# spectra: from ESPRIT's start the steps converge quadratically, so a few
# reach rounding level
_POLISH_STEPS = 8

# a step that moves a centre by more than this many half-widths has left
# the peak it started from: rejected
_MAX_SHIFT = 5.0
# steps of the plain model on nearly noiseless spectra, which start off by
# the truncated tails: enough to converge to rounding level
_EXACT_STEPS = 25
# noisy spectra get further single steps while the last one lowered chi^2
# (the residual over the noise variance estimated from it) by more than
# _CHI2_TOL, the statistical resolution of a least-squares fit, or still
# multiplied the residual by less than _STILL_HALVING; at most
# _MAX_EXTRA_STEPS of them
_CHI2_TOL = 1.0
_STILL_HALVING = 0.5
_MAX_EXTRA_STEPS = 10
# a residual below this fraction of the signal energy is float64 rounding
# (relative amplitude 1e-10): such a periodised fit is not refined
_ROUNDING_RTOL = 1e-20
# the periodised model is kept only where its residual is below this
# fraction of the plain model's: clearly better, not better by noise
_PERIODIC_PREFERENCE = 0.5
# spare ESPRIT candidates kept for a fixed count with edge steps: replace
# the peaks that the refinement invalidates
_SPARE_CANDIDATES = 2
# points at which the sum of two neighbouring peaks is sampled between
# their centres to look for a dip (odd, so the midpoint is among them), and
# the relative depth below which a dip is rounding
_DIP_SAMPLES = 33
_DIP_RTOL = 1e-9
# ... and closer than this many of the narrower half-width: two equal
# Lorentzians show no dip below 2 / sqrt(3) = 1.15 half-widths apart, and a
# broad line with a narrower shoulder further apart is two lines
_SAME_LINE_WIDTHS = 1.25


# ---------------------------------------------------------------------------
# stage 1: the Fourier coefficients that carry the peaks
# ---------------------------------------------------------------------------

Coefficients = namedtuple("Coefficients", ["rows", "Y", "scale", "n_lags"])
Coefficients.__doc__ = (
    """Fourier coefficients of a batch (:func:`_fourier_coefficients`)."""
)


def _fourier_coefficients(X, n_lags):
    """Normalised Fourier coefficients ``1 .. N // 2`` of the non-flat spectra.

    The non-negative frequencies carry all the information of a real
    spectrum; there the mirror terms are weak (relative size about
    ``exp(-2 pi g)``), so each peak is one dominant pole.  Leaving out
    frequency 0 makes a constant offset irrelevant.

    Parameters
    ----------
    X : ndarray of shape (n_batch, N), float64
    n_lags : int
        Requested Hankel columns, capped here at a quarter of ``N``.

    Returns
    -------
    coefficients : Coefficients or None
        ``rows``, the indices of the spectra with a non-constant part;
        ``Y`` of shape (n_rows, N // 2), their coefficients over ``scale``,
        the root of their energy (so that every row has unit norm); and the
        usable ``n_lags``.  None where no spectrum has peaks to find.
    """
    n_batch, N = X.shape
    S = N // 2
    L = min(n_lags, S // 2)
    if n_batch == 0 or L - 2 < 1:
        return None
    Y = np.fft.rfft(X, axis=1)[:, 1 : S + 1]
    # common scale per spectrum; flat spectra have no peaks
    energy_all = N * np.sum(X * X, axis=1)
    ac = np.sum(np.abs(Y) ** 2, axis=1)
    active = (ac > (_FLAT_RTOL**2) * energy_all) & (ac > 0)
    if not np.any(active):
        return None
    rows = np.flatnonzero(active)
    scale = np.sqrt(ac[rows])
    return Coefficients(rows, Y[rows] / scale[:, None], scale, L)


# ---------------------------------------------------------------------------
# stage 2: signal subspace, model order and poles by shift invariance
# ---------------------------------------------------------------------------


@functools.lru_cache(maxsize=8)
def _inverse_dft_rows(n_fft, n_lags):
    """Cosines and sines of the first ``n_lags`` inverse-DFT outputs, over
    ``n_fft``: ``ifft(p)[d] = p @ (cos[:, d] + 1j * sin[:, d])``."""
    phase = 2.0 * np.pi / n_fft * np.outer(np.arange(n_fft), np.arange(n_lags))
    return np.cos(phase) / n_fft, np.sin(phase) / n_fft


def _lag_covariance(y, n_lags):
    """Lag covariance ``C = sum_m h_m h_m^H`` of a batch of sequences.

    ``h_m = (y[m], ..., y[m + n_lags - 1])`` for ``m = 0 .. S - n_lags``, so
    that ``C`` is the Gram matrix of the Hankel matrix built from ``y`` (its
    eigenvalues are the squared singular values of that Hankel matrix).  The
    full-length lag products come from one FFT autocorrelation; the few
    products at the two ends that a window of lags misses are subtracted,
    so the cost is ``O(S log S + n_lags**2)`` per sequence instead of
    ``O(S n_lags**2)``.

    Parameters
    ----------
    y : ndarray of shape (n_batch, S), complex
    n_lags : int

    Returns
    -------
    C : ndarray of shape (n_batch, n_lags, n_lags), complex Hermitian
    """
    n_batch, S = y.shape
    L = n_lags
    Q = S - L + 1
    n_fft = 1 << int(np.ceil(np.log2(2 * S)))
    F = np.fft.fft(y, n_fft, axis=1)
    # total[d] = sum_t y[t] conj(y[t + d]), t = 0 .. S - 1 - d: the first L
    # terms of the inverse transform of the power, as two real products
    # (a full inverse FFT would compute all n_fft of them)
    power = F.real**2 + F.imag**2
    cos, sin = _inverse_dft_rows(n_fft, L)
    total = power @ cos - 1j * (power @ sin)
    d = np.arange(L)
    # head[t, d] = y[t] conj(y[t + d]) for t < L - 1; C[i, i + d] misses the
    # terms t < i (head) and t >= i + Q (tail)
    t_head = np.arange(L - 1)[:, None]
    head = y[:, t_head] * y[:, t_head + d].conj()
    t_tail = Q + np.arange(L - 1)[:, None]
    inside = t_tail + d <= S - 1
    tail = y[:, t_tail] * y[:, np.where(inside, t_tail + d, 0)].conj()
    tail = np.where(inside, tail, 0.0)
    zero = np.zeros((n_batch, 1, L), dtype=y.dtype)
    head_cum = np.concatenate([zero, np.cumsum(head, axis=1)], axis=1)
    tail_cum = np.concatenate([np.cumsum(tail[:, ::-1], axis=1)[:, ::-1], zero], axis=1)
    upper = total[:, None, :] - head_cum - tail_cum  # upper[i, d] = C[i, i + d]
    i_idx, d_idx = np.nonzero(d[:, None] + d[None, :] < L)
    C = np.zeros((n_batch, L, L), dtype=y.dtype)
    vals = upper[:, i_idx, d_idx]
    C[:, i_idx, i_idx + d_idx] = vals
    C[:, i_idx + d_idx, i_idx] = vals.conj()
    return C


def _select_order(eigenvalues, n_snapshots, order_selection, threshold, max_order):
    """Number of signal eigenvalues, per spectrum.

    Parameters
    ----------
    eigenvalues : ndarray of shape (n_batch, L), descending, non-negative
    n_snapshots : int
        Number of rows of the Hankel matrix.
    order_selection : {"mdl", "aic", "threshold"}
    threshold : float
        Relative singular-value threshold for ``"threshold"``.
    max_order : int

    Returns
    -------
    order : ndarray of shape (n_batch,), int
    """
    lam = np.maximum(eigenvalues, 0.0)
    n_batch, L = lam.shape
    if order_selection == "threshold":
        sv = np.sqrt(lam)
        ref = sv[:, :1]
        with np.errstate(invalid="ignore", divide="ignore"):
            rel = np.where(ref > 0, sv / ref, 0.0)
        order = np.sum(rel > threshold, axis=1)
        return np.minimum(order, max_order)
    # information criteria of Wax and Kailath (1985) for complex data
    floor = np.finfo(np.float64).tiny + lam[:, :1] * np.finfo(np.float64).eps ** 2
    lam = np.maximum(lam, floor)
    log_lam = np.log(lam)
    ks = np.arange(max_order + 1)
    m = L - ks
    # sums over the tails lam[:, k:], accumulated from the smallest value
    tail_sum = np.cumsum(lam[:, ::-1], axis=1)[:, ::-1][:, ks]
    tail_log = np.cumsum(log_lam[:, ::-1], axis=1)[:, ::-1][:, ks]
    log_ratio = tail_log / m - np.log(tail_sum / m)
    n_free = ks * (2 * L - ks)
    if order_selection == "mdl":
        crit = -n_snapshots * m * log_ratio + 0.5 * n_free * np.log(n_snapshots)
    else:  # aic
        crit = -2.0 * n_snapshots * m * log_ratio + 2.0 * n_free
    return np.argmin(crit, axis=1)


def _esprit_poles(U):
    """Poles from a batch of signal subspaces by least-squares ESPRIT.

    Parameters
    ----------
    U : ndarray of shape (n_batch, L, r), orthonormal columns

    Returns
    -------
    z : ndarray of shape (n_batch, r), complex
    """
    U1 = U[:, :-1, :]
    U2 = U[:, 1:, :]
    U1h = U1.conj().transpose(0, 2, 1)
    Psi = np.linalg.solve(U1h @ U1, U1h @ U2)
    return np.linalg.eigvals(Psi)


def _signal_subspace(Y, n_lags):
    """Eigenvalues and eigenvectors of the lag covariance, largest first.

    Returns
    -------
    lam : ndarray of shape (n_batch, n_lags)
    V : ndarray of shape (n_batch, n_lags, n_lags), eigenvectors as columns
    """
    lam, V = np.linalg.eigh(_lag_covariance(Y, n_lags))
    return lam[:, ::-1], V[:, :, ::-1]


def _poles_by_order(V, order):
    """ESPRIT poles of each row from its first ``order`` eigenvectors.

    Rows of one order are solved together.

    Returns
    -------
    z : ndarray of shape (n_batch, cap), complex
    valid : ndarray of shape (n_batch, cap), bool
    """
    n_rows = V.shape[0]
    cap = max(int(order.max()), 1)
    z = np.zeros((n_rows, cap), dtype=np.complex128)
    valid = np.zeros((n_rows, cap), dtype=bool)
    for r in np.unique(order):
        if r == 0:
            continue
        sel = np.flatnonzero(order == r)
        z[sel, :r] = _esprit_poles(V[sel, :, :r])
        valid[sel, :r] = True
    return z, valid


def _find_poles(Y, options):
    """Poles of a batch of coefficient sequences by covariance ESPRIT.

    The model order is ``options.n_peaks`` or, with ``"auto"``, chosen per
    row by ``options.order_selection`` from the eigenvalues.

    Returns
    -------
    z : ndarray of shape (n_batch, cap), complex
    valid : ndarray of shape (n_batch, cap), bool
    """
    n_rows, S = Y.shape
    L = options.n_lags
    # at most L - 2 poles: the shift equations (L - 1 rows of the subspace)
    # stay overdetermined and the order criteria keep two noise eigenvalues
    max_order = L - 2
    lam, V = _signal_subspace(Y, L)
    if options.n_peaks == "auto":
        order = _select_order(
            lam, S - L + 1, options.order_selection, options.threshold, max_order
        )
    else:
        order = np.full(n_rows, options.n_peaks)
    return _poles_by_order(V, np.minimum(order, max_order))


# ---------------------------------------------------------------------------
# stage 3: poles to Lorentzians, and their areas by linear least squares
# ---------------------------------------------------------------------------


def _poly_eval(coef, w, block=_HORNER_BLOCK):
    """``sum_j coef[:, j] * w**j`` for a batch, by blocked Horner's rule.

    Parameters
    ----------
    coef : ndarray of shape (n_batch, S)
    w : ndarray of shape (n_batch, K), ``|w| <= 1``

    Returns
    -------
    value : ndarray of shape (n_batch, K)
    """
    n_batch, S = coef.shape
    n_blocks = -(-S // block)
    padded = np.zeros((n_batch, n_blocks * block), dtype=np.complex128)
    padded[:, :S] = coef
    padded = padded.reshape(n_batch, n_blocks, block)
    # w**0 .. w**(block - 1) by one running product
    powers = np.empty((n_batch, w.shape[1], block), dtype=np.complex128)
    powers[:, :, 0] = 1.0
    powers[:, :, 1:] = w[:, :, None]
    np.cumprod(powers, axis=2, out=powers)
    wb = powers[:, :, -1] * w  # w ** block
    sums = padded @ powers.transpose(0, 2, 1)
    acc = sums[:, -1]
    for q in range(n_blocks - 2, -1, -1):
        acc = acc * wb + sums[:, q]
    return acc


def _pole_powers(z, N, S):
    """``z**S``, ``z**(N - S)`` and ``z**N`` from one logarithm."""
    with np.errstate(divide="ignore"):
        lz = np.log(z)
    return np.exp(S * lz), np.exp((N - S) * lz), np.exp(N * lz)


def _basis_gram(z, N, S):
    """Real Gram matrix of the periodised-Lorentzian Fourier basis.

    The basis function of pole ``z`` over ``k = 1 .. S`` is
    ``phi(k) = z**k / (1 - z**N) + conj(z)**(N - k) / (1 - conj(z)**N)``;
    every inner product is a sum of four geometric series.

    Returns
    -------
    G : ndarray of shape (n_batch, K, K), ``Re(Phi^H Phi)``
    """
    zS, zNS, zN = _pole_powers(z, N, S)
    c, cS, cNS, cN = z.conj(), zS.conj(), zNS.conj(), zN.conj()
    p = 1.0 / (1.0 - zN)
    q = p.conj()

    def col(v):
        return v[:, :, None]

    def row(v):
        return v[:, None, :]

    # sum_k (c_i z_j)^k
    rho = col(c) * row(z)
    t1 = rho * (1.0 - col(cS) * row(zS)) / (1.0 - rho)
    # sum_k (z_i c_j)^(N - k)
    sig = col(z) * row(c)
    t4 = col(zNS) * row(cNS) * (1.0 - col(zS) * row(cS)) / (1.0 - sig)

    def cross(a, aS, b, bNS, bN):
        # sum_{k=1}^{S} a^k b^(N-k) = (a^(S+1) b^(N-S) - a b^N) / (a - b)
        diff = a - b
        close = np.abs(diff) <= _EQUAL_RATIO_RTOL * np.maximum(np.abs(a), np.abs(b))
        general = (a * aS * bNS - a * bN) / np.where(close, 1.0, diff)
        return np.where(close, S * bN, general)

    t2 = cross(col(c), col(cS), row(c), row(cNS), row(cN))  # c_i^k c_j^(N-k)
    t3 = cross(row(z), row(zS), col(z), col(zNS), col(zN))  # z_j^k z_i^(N-k)
    G = col(p.conj()) * row(p) * t1 + col(p.conj()) * row(q) * t2
    G = G + col(q.conj()) * row(p) * t3 + col(q.conj()) * row(q) * t4
    return G.real


def _basis_project(z, Y, N):
    """``Re(Phi^H y)`` for the basis of :func:`_basis_gram`.

    Parameters
    ----------
    z : ndarray of shape (n_batch, K)
    Y : ndarray of shape (n_batch, S), the coefficients ``Y[:, k - 1] = P_k``

    Returns
    -------
    b : ndarray of shape (n_batch, K)
    """
    S = Y.shape[1]
    c = z.conj()
    _, zNS, zN = _pole_powers(z, N, S)
    # T1 = sum_k P_k conj(z)^k ;  T2 = sum_k P_k z^(N - k)
    T1 = c * _poly_eval(Y, c)
    T2 = zNS * _poly_eval(Y[:, ::-1], z)
    p = 1.0 / (1.0 - zN)
    b = p.conj() * T1 + p * T2
    return b.real


def _fit_areas(G, b, mask, y_energy, n_coef):
    """Real areas of the peaks in ``mask`` by least squares, with their errors.

    Parameters
    ----------
    G, b : ndarray of shape (n_batch, K, K) and (n_batch, K)
        Gram matrix and projections of the data (:func:`_basis_gram`,
        :func:`_basis_project`) for all candidate poles.
    mask : ndarray of shape (n_batch, K), bool
        The candidates in the model.
    y_energy : ndarray of shape (n_batch,)
        Squared norm of the coefficients.
    n_coef : int
        Number of coefficients fitted.

    Returns
    -------
    area : ndarray of shape (n_batch, K), channel units, 0 where not masked
    t_value : ndarray of shape (n_batch, K), area over its standard error
    var : ndarray of shape (n_batch,), noise variance of one real component
    """
    n_batch, K = mask.shape
    if K == 0:
        return np.zeros((n_batch, 0)), np.zeros((n_batch, 0)), np.zeros(n_batch)
    m2 = mask[:, :, None] & mask[:, None, :]
    G = np.where(m2, G, 0.0) + np.eye(K)[None] * (~mask)[:, :, None]
    b = np.where(mask, b, 0.0)
    Gs, dg = _unit_diagonal(G)
    Ginv = _spd_inverse(Gs)
    sol = (Ginv @ (b / dg)[:, :, None])[:, :, 0]
    area = np.where(mask, sol / dg, 0.0)
    # noise variance of one Fourier coefficient from the residual of the fit
    resid = y_energy - np.sum(area * b, axis=1)
    # 2 n_coef real equations, each component with variance var
    dof = np.maximum(2 * n_coef - mask.sum(axis=1), 1)
    var = np.maximum(resid, 0.0) / dof
    se = np.sqrt(var[:, None] * np.abs(np.diagonal(Ginv, axis1=1, axis2=2))) / dg
    with np.errstate(divide="ignore", invalid="ignore"):
        t_value = np.where(se > 0, area / se, np.copysign(np.inf, area))
    return area, np.where(mask, t_value, 0.0), var


def _lorentzians_from_poles(z, valid, N, min_width, max_width):
    """Positions and half-widths of the poles, and which poles are peaks.

    Returns
    -------
    x, g : ndarray of shape (n_batch, cap)
        Positions and half-widths in channels.
    keep : ndarray of shape (n_batch, cap), bool
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        g = -N * np.log(np.abs(z)) / (2 * np.pi)
        x = np.mod(-N * np.angle(z) / (2 * np.pi), N)
    # growing poles (g < 0) are the weak aliased mirrors or noise; poles
    # mapping between the last and the first channel are outside the window
    keep = valid & np.isfinite(g) & (g >= min_width) & (g <= max_width)
    keep &= x <= N - 1
    return x, g, keep


def _significant_areas(z, keep, Y, N, min_t):
    """Areas of the poles in ``keep``, dropping those not above ``min_t``.

    A peak needs a positive area that stands out of the noise: the least
    significant failing peak of a row is dropped and the rest refitted,
    until all pass.  ``keep`` is updated in place.

    Returns
    -------
    a : ndarray of shape (n_batch, cap)
        Areas, scaled like ``Y``.
    var : ndarray of shape (n_batch,)
        Noise variance of one real component of a coefficient.
    """
    S = Y.shape[1]
    zz = np.where(keep, z, _ABSENT_POLE)
    G = _basis_gram(zz, N, S)
    b = _basis_project(zz, Y, N)
    y_energy = np.sum(np.abs(Y) ** 2, axis=1)
    for _ in range(z.shape[1] + 1):
        a, t_value, var = _fit_areas(G, b, keep, y_energy, S)
        fail = keep & ~(t_value > min_t)
        if not np.any(fail):
            break
        worst = np.argmin(np.where(fail, t_value, np.inf), axis=1)
        rows_fail = np.flatnonzero(fail.any(axis=1))
        keep[rows_fail, worst[rows_fail]] = False
    return a, var


def _peaks_from_poles(z, valid, Y, N, options):
    """Map poles to peaks, drop non-peaks, fit the areas (channel units).

    Returns
    -------
    x, g, a : ndarray of shape (n_batch, cap)
        Positions, half-widths and areas (scaled like ``Y``).
    keep : ndarray of shape (n_batch, cap), bool
    var : ndarray of shape (n_batch,)
        Noise variance of one real component of a coefficient.
    """
    x, g, keep = _lorentzians_from_poles(
        z, valid, N, options.min_width, options.max_width
    )
    # a fixed count keeps every positive area
    min_t = 0.0 if options.n_peaks != "auto" else options.min_significance
    a, var = _significant_areas(z, keep, Y, N, min_t)
    return x, g, a, keep, var


# ---------------------------------------------------------------------------
# stage 4: nearly noiseless spectra, where the mirror terms are signal
# ---------------------------------------------------------------------------


def _mirror_part(z, a, keep, N, S):
    """The aliased mirror terms ``a conj(z)**(N-k) / (1 - conj(z)**N)``."""
    c = np.where(keep, z.conj(), 0.0)
    k = np.arange(1, S + 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        powers = np.exp(
            (N - k)[None, :, None] * np.log(np.where(keep, c, 1.0))[:, None]
        )
    terms = np.where(keep[:, None, :], powers / (1.0 - c**N)[:, None, :], 0.0)
    return (terms @ np.where(keep, a, 0.0)[:, :, None].astype(terms.dtype))[:, :, 0]


def _blocked(func, block=_ROW_BLOCK):
    """Apply ``func`` to blocks of rows of its array arguments (bounds memory)."""

    def wrapper(*arrays, **kwargs):
        n_rows = arrays[0].shape[0]
        if n_rows <= block:
            return func(*arrays, **kwargs)
        parts = [
            func(*(v[i : i + block] for v in arrays), **kwargs)
            for i in range(0, n_rows, block)
        ]
        if isinstance(parts[0], tuple):
            return tuple(np.concatenate(p) for p in zip(*parts, strict=True))
        return np.concatenate(parts)

    return wrapper


def _pad(v, width):
    """Pad the second axis of ``v`` to ``width`` with zeros / False."""
    extra = width - v.shape[1]
    if extra <= 0:
        return v
    return np.concatenate([v, np.zeros((v.shape[0], extra), dtype=v.dtype)], axis=1)


def _polish(Y, x, g, a, keep, N, n_iter=_POLISH_STEPS):
    """Gauss-Newton steps on the exact model, from the ESPRIT estimate.

    Minimises ``sum_k |Y_k - sum_j a_j phi(k; x_j, g_j)|**2`` over real
    positions, half-widths and areas (channel units) of the peaks in
    ``keep``; a step is taken only where it lowers the residual.  Used where
    the data are nearly noiseless, so that the answer is exact to rounding
    rather than to the precision of the covariance eigenvectors.
    """
    n_rows, S = Y.shape
    K = keep.shape[1]
    k = np.arange(1, S + 1)[None, :, None]
    two_pi_n = 2 * np.pi / N
    mask3 = np.concatenate([keep, keep, keep], axis=1)

    def model(x, g, a):
        s = -two_pi_n * (np.where(keep, g, 1.0) + 1j * np.where(keep, x, 0.0))
        s = s[:, None, :]
        zN = np.exp(N * s)
        p = 1.0 / (1.0 - zN)
        F = np.exp(k * s) * p
        Mc = np.exp((N - k) * s) * p  # conj of the mirror term
        phi = F + Mc.conj()
        dF = F * (k + N * zN * p)
        dM = Mc * (N - k + N * zN * p)
        aa = np.where(keep, a, 0.0)[:, None, :]
        # derivatives with respect to g (ds/dg = -2 pi / N) and x (-2 pi i / N)
        d_g = aa * (dF * -two_pi_n + (dM * -two_pi_n).conj())
        d_x = aa * (dF * (-1j * two_pi_n) + (dM * (-1j * two_pi_n)).conj())
        J = np.concatenate([d_x, d_g, phi], axis=2)
        J = np.where(mask3[:, None, :], J, 0.0)
        m = (phi @ np.where(keep, a, 0.0)[:, :, None].astype(phi.dtype))[:, :, 0]
        return m, J

    def cost(m):
        return np.sum(np.abs(Y - m) ** 2, axis=1)

    m, J = model(x, g, a)
    c0 = cost(m)
    eye = np.eye(3 * K)[None] * (~mask3)[:, :, None]
    for _ in range(n_iter):
        r = Y - m
        Jh = J.conj().transpose(0, 2, 1)
        A = (Jh @ J).real + eye
        rhs = (Jh @ r[:, :, None])[:, :, 0].real
        try:
            step = _scaled_solve(A, rhs)
        except np.linalg.LinAlgError:
            break
        step = np.where(mask3, step, 0.0)
        xn, gn, an = x + step[:, :K], g + step[:, K : 2 * K], a + step[:, 2 * K :]
        ok_w = np.all(~keep | (gn > 0), axis=1)
        gn = np.where(ok_w[:, None], gn, g)
        with np.errstate(over="ignore", invalid="ignore"):
            mn, Jn = model(xn, gn, an)
            cn = cost(mn)
        cn = np.where(np.isfinite(cn), cn, np.inf)
        better = ok_w & (cn < c0)
        if not np.any(better):
            break
        x = np.where(better[:, None], xn, x)
        g = np.where(better[:, None], gn, g)
        a = np.where(better[:, None], an, a)
        m = np.where(better[:, None], mn, m)
        J = np.where(better[:, None, None], Jn, J)
        c0 = np.where(better, cn, c0)
    return x, g, a


def _exact_second_pass(Y, N, z, x, g, a, keep, var, options):
    """Find the poles again where the mirror terms stand out of the noise.

    On nearly noiseless spectra the weak mirror terms are signal: they are
    subtracted with the first estimate and the poles found again, so that
    the second pass sees an exact sum of decaying exponentials; its peaks
    are polished by Gauss-Newton steps on the exact (periodised) model.

    Parameters
    ----------
    Y : ndarray of shape (n_batch, S)
        Normalised coefficients (:func:`_fourier_coefficients`).
    N : int
        Number of channels.
    z : ndarray of shape (n_batch, cap)
        Poles of the first pass.
    x, g, a, keep, var
        Peaks of the first pass (:func:`_peaks_from_poles`).
    options : EspritOptions

    Returns
    -------
    x, g, a, keep : ndarray of shape (n_batch, cap2)
        The first estimate, replaced on the rows passed again (padded to
        the wider of the two).
    exact : ndarray of shape (n_batch,), bool
        The rows passed again.
    """
    S = Y.shape[1]
    exact = np.zeros(Y.shape[0], dtype=bool)
    if not np.any(keep):
        return x, g, a, keep, exact
    bound = np.exp(-2 * np.pi * np.where(keep, g, np.inf)).max(axis=1)
    candidates = np.flatnonzero(bound**2 > _MIRROR_RTOL * var)
    if not candidates.size:
        return x, g, a, keep, exact
    mirror = _blocked(_mirror_part)(
        z[candidates], a[candidates], keep[candidates], N=N, S=S
    )
    use = np.sum(np.abs(mirror) ** 2, axis=1) > _MIRROR_RTOL * var[candidates] * S
    redo = candidates[use]
    if not redo.size:
        return x, g, a, keep, exact
    z2, valid2 = _find_poles(Y[redo] - mirror[use], options)
    x2, g2, a2, keep2, _ = _peaks_from_poles(z2, valid2, Y[redo], N, options)
    width_cap = max(z.shape[1], z2.shape[1])
    x, g, a, keep, x2, g2, a2, keep2 = (
        _pad(v, width_cap) for v in (x, g, a, keep, x2, g2, a2, keep2)
    )
    x2, g2, a2 = _blocked(_polish)(Y[redo], x2, g2, a2, keep2, N=N)
    x[redo], g[redo], a[redo], keep[redo] = x2, g2, a2, keep2
    exact[redo] = True
    return x, g, a, keep, exact


# ---------------------------------------------------------------------------
# the ESPRIT stage: stages 1-4, no initial guess
# ---------------------------------------------------------------------------

EspritOptions = namedtuple(
    "EspritOptions",
    [
        "n_peaks",
        "order_selection",
        "threshold",
        "n_lags",
        "min_width",
        "max_width",
        "min_significance",
    ],
)
EspritOptions.__doc__ = """Settings of the ESPRIT stage, in channel units.

``n_lags`` is the usable number of Hankel columns (at most a quarter of the
channels); the others are those of :class:`ESPRITPeaks`, the widths in
channels.
"""

EspritFit = namedtuple(
    "EspritFit", ["rows", "x", "g", "a", "keep", "var", "scale", "exact"]
)
EspritFit.__doc__ = """Peaks found by the ESPRIT stage, in channel units.

``rows``: the spectra of the batch with a non-constant part; per such row,
``x, g, a`` (positions, half-widths, areas) and ``keep`` (which slots are
peaks), of shape (n_rows, cap); ``var``, the noise variance of one real
component of a normalised coefficient; ``scale``, the normalisation of the
coefficients; ``exact``, the rows passed again without their mirror terms.
"""


def _esprit_stage(X, options):
    """Lorentzian peaks of a batch by ESPRIT alone, with no initial guess.

    Stages 1-4: Fourier coefficients, signal subspace and model order,
    poles by shift invariance, their Lorentzians with areas by linear least
    squares, and the second pass of nearly noiseless spectra.  ``X`` must be
    free of anything but Lorentzians and a constant.

    Parameters
    ----------
    X : ndarray of shape (n_batch, N), float64
    options : EspritOptions

    Returns
    -------
    fit : EspritFit or None
        None where no spectrum of the batch has a non-constant part (or the
        spectra are too short for any pole).
    """
    coef = _fourier_coefficients(X, options.n_lags)
    if coef is None:
        return None
    options = options._replace(n_lags=coef.n_lags)
    N = X.shape[1]
    z, valid = _find_poles(coef.Y, options)
    x, g, a, keep, var = _peaks_from_poles(z, valid, coef.Y, N, options)
    x, g, a, keep, exact = _exact_second_pass(coef.Y, N, z, x, g, a, keep, var, options)
    a = a * coef.scale[:, None]
    return EspritFit(coef.rows, x, g, a, keep, var, coef.scale, exact)


# ---------------------------------------------------------------------------
# stage 5: least-squares refinement of plain Lorentzians plus a constant
# ---------------------------------------------------------------------------


def _peaks_inside(x, g, a, N):
    """Peaks centred in the window with a positive half-width and area."""
    return (x >= 0) & (x <= N - 1) & (g > 0) & (a > 0)


def _area_t_values(A, mask, a, kp, cost, N):
    """Areas over their standard errors, from the normal matrix of the fit.

    Parameters
    ----------
    A : ndarray of shape (n_batch, 3 * K + 1, 3 * K + 1)
        Normal matrix of the last Gauss-Newton step.
    mask : ndarray of shape (n_batch, 3 * K + 1), bool
        The free parameters.
    a : ndarray of shape (n_batch, K)
        Areas.
    kp : ndarray of shape (n_batch, K), bool
        The peaks in the model.
    cost : ndarray of shape (n_batch,)
        Residual sum of squares.
    N : int
        Number of channels.

    Returns
    -------
    t_value : ndarray of shape (n_batch, K), 0 where not in the model
    """
    K = kp.shape[1]
    As, dg = _unit_diagonal(A)
    Ainv = _spd_inverse(As)
    var_a = np.diagonal(Ainv, axis1=1, axis2=2)[:, 2 * K : 3 * K]
    var_a = var_a / dg[:, 2 * K : 3 * K] ** 2
    dof = np.maximum(N - mask.sum(axis=1), 1)
    se = np.sqrt(np.abs(var_a) * (cost / dof)[:, None])
    with np.errstate(divide="ignore", invalid="ignore"):
        t_val = np.where(se > 0, a / se, np.copysign(np.inf, a))
    return np.where(kp, t_val, 0.0)


def _gauss_newton_trial(params, kp, act, step):
    """Parameters after a Gauss-Newton step on the rows ``act``, and which
    are admissible (positive half-widths, no centre moved by more than
    ``_MAX_SHIFT`` half-widths)."""
    x, g, a, c, H = params
    K = x.shape[1]
    kpa = kp[act]
    xn = x[act] + step[:, :K]
    gn = g[act] + step[:, K : 2 * K]
    an = a[act] + step[:, 2 * K : 3 * K]
    cn = c[act] + step[:, 3 * K]
    shift_ok = np.abs(step[:, :K]) < _MAX_SHIFT * g[act]
    ok = np.all(~kpa | ((gn > 0) & shift_ok), axis=1)
    gn = np.where(ok[:, None], gn, g[act])
    return (xn, gn, an, cn, H[act]), ok


PlainState = namedtuple("PlainState", ["c", "A", "rhs", "cost"])
PlainState.__doc__ = """Where a plain refinement stopped (:func:`_refine_plain`).

The constant ``c`` (n,), and at the parameters returned the normal matrix
``A``, the gradient ``rhs`` and the residual sum of squares ``cost``.
"""


def _centred_start(X, params, keep, owner, C):
    """The best constant under the peaks of ``params`` (set in place), and
    the normal matrix, gradient and residual sum of squares there."""
    K = keep.shape[1]
    resid, cost, A, rhs = _evaluate(X, params, keep, owner, C)
    # the constant's row of the Jacobian is all ones, so its column of A
    # holds the row sums of the others
    shift = resid.mean(axis=1)
    params[3] = params[3] + shift
    resid -= shift[:, None]
    rhs -= shift[:, None] * A[:, :, 3 * K]
    return np.einsum("bn,bn->b", resid, resid), A, rhs


def _refine_plain(
    X, x, g, a, keep, n_iter=1, start_cost=None, converge=None, state=None
):
    """Gauss-Newton steps on plain Lorentzians plus a constant.

    Minimises ``sum_n (X_n - c - sum_j a_j / pi * g_j / ((n - x_j)**2 +
    g_j**2))**2`` over the peaks in ``keep`` (channel units), starting from
    the given peaks and the best constant under them; this is the
    least-squares (maximum-likelihood under white Gaussian noise) fit of the
    measured, window-truncated peaks.  A step is taken only where it lowers
    the residual; a row whose step does not stops.  All rows step together,
    evaluated in blocks (:func:`~skspectra.peaks._edges._evaluate`).
    ``start_cost``, an array of one value per spectrum, receives the
    residual before the first step.

    ``converge``, an array of degrees of freedom per row, makes the steps
    run until each row has converged: a row gets another step while its
    last one lowered chi^2 (the residual over the noise variance
    ``cost / dof``) by more than ``_CHI2_TOL`` or multiplied the residual
    by less than ``_STILL_HALVING``.  ``state``, a :class:`PlainState` of a
    previous refinement that stopped at ``x, g, a``, continues from there
    (with its constant) instead of evaluating the start again.

    Returns
    -------
    x, g, a : ndarray of shape (n_batch, K)
    cost : ndarray of shape (n_batch,)
        Residual sum of squares (inf where no peak is kept).
    t_value : ndarray of shape (n_batch, K)
        Areas over their standard errors at the final parameters (inf
        where no peak is kept).
    state : PlainState
        Where each row stopped.
    """
    n_rows, N = X.shape
    K = keep.shape[1]
    if K == 0 or not np.any(keep):
        inf = np.full(n_rows, np.inf)
        empty = PlainState(np.zeros(n_rows), None, None, inf)
        return x, g, a, inf, np.full((n_rows, K), np.inf), empty
    owner, C = np.zeros((n_rows, 0), dtype=np.intp), np.eye(0)
    params = [x.copy(), g.copy(), np.where(keep, a, 0.0), np.zeros(n_rows)]
    params.append(np.zeros((n_rows, 0)))
    if state is None:
        cost, A, rhs = _centred_start(X, params, keep, owner, C)
    else:
        params[3] = state.c.copy()
        cost, A, rhs = state.cost.copy(), state.A.copy(), state.rhs.copy()
    if start_cost is not None:
        start_cost[:] = cost
    mask = np.concatenate([keep, keep, keep, np.ones((n_rows, 1), bool)], axis=1)
    free = np.eye(3 * K + 1)[None] * (~mask)[:, :, None]
    act = np.arange(n_rows)
    for _ in range(n_iter):
        if not act.size:
            break
        step = np.where(mask[act], _robust_solve(A[act] + free[act], rhs[act]), 0.0)
        new, ok = _gauss_newton_trial(params, keep, act, step)
        _, cost_n, A_n, rhs_n = _evaluate(X[act], new, keep[act], owner[act], C)
        better = ok & (cost_n < cost[act])
        acc = act[better]
        for old, part in zip(params, new, strict=True):
            old[acc] = part[better]
        before = cost[acc]
        cost[acc], A[acc], rhs[acc] = cost_n[better], A_n[better], rhs_n[better]
        act = acc
        if converge is not None:
            act = act[_still_going(before, cost[acc], converge[acc])]
    x, g, a_fit = params[:3]
    t_value = _area_t_values(A + free, mask, a_fit, keep, cost, N)
    state = PlainState(params[3], A, rhs, cost.copy())
    return x, g, np.where(keep, a_fit, a), cost, t_value, state


def _still_going(prev_cost, cost, dof):
    """Rows whose last step lowered chi^2 by more than ``_CHI2_TOL`` or
    still multiplied the residual by less than ``_STILL_HALVING``."""
    drop = prev_cost - cost
    return (drop > _CHI2_TOL * cost / dof) | (cost < _STILL_HALVING * prev_cost)


def _periodic_fit_cost(X, fit):
    """Residual sum of squares of the periodised ESPRIT fit, per spectrum.

    From the noise variance of the coefficients (Parseval: each coefficient
    ``1 .. N/2`` stands for itself and its conjugate), or exactly for the
    rows polished on the periodised model.
    """
    N = X.shape[1]
    S = N // 2
    dof = np.maximum(2 * S - fit.keep.sum(axis=1), 1)
    cost = 2.0 * fit.var * dof * fit.scale**2 / N
    redo = np.flatnonzero(fit.exact)
    if redo.size:
        cost[redo] = _blocked(_periodic_cost)(
            X[redo], fit.x[redo], fit.g[redo], fit.a[redo], fit.keep[redo]
        )
    return cost


def _first_plain_steps(X, fit, done):
    """First refinement steps: one on noisy rows, many on nearly noiseless.

    Rows in ``done`` (fitted to rounding by the periodised model) are not
    refined.

    Returns
    -------
    x, g, a : ndarray of shape (n_batch, K)
    cost, t_value, start_cost : ndarray
        Residual after the steps, areas over their standard errors, and the
        residual before the first step (inf on rows not refined).
    state : tuple or None
        The noisy rows and the :class:`PlainState` where their step ended.
    """
    x, g, a = fit.x.copy(), fit.g.copy(), fit.a.copy()
    cost = np.full(X.shape[0], np.inf)
    t_value = np.full(x.shape, np.inf)
    start_cost = np.full(X.shape[0], np.inf)
    state = None
    for group, n_iter in ((~fit.exact, 1), (fit.exact & ~done, _EXACT_STEPS)):
        idx = np.flatnonzero(group)
        if idx.size:
            start = np.empty(idx.size)
            x[idx], g[idx], a[idx], cost[idx], t_value[idx], st = _refine_plain(
                X[idx],
                fit.x[idx],
                fit.g[idx],
                fit.a[idx],
                fit.keep[idx],
                n_iter=n_iter,
                start_cost=start,
            )
            start_cost[idx] = start
            if n_iter == 1:
                state = (idx, st)
    return x, g, a, cost, t_value, start_cost, state


def _converge_noisy(X, x, g, a, keep, cost, t_value, start_cost, state):
    """Further steps on the noisy rows until the fit has converged.

    A row gets another step while its last step lowered chi^2 by more than
    ``_CHI2_TOL`` or still halved the residual (as on nearly noiseless
    window-cut peaks, where ESPRIT's start is off by the truncated tails).
    A peak that the first step moved out of the window, or to a width or
    area that is not positive, is no peak and is dropped first: converging
    with it in the fit would let it trade off against its neighbours.
    ``state`` is that of :func:`_first_plain_steps`; rows that kept all
    their peaks continue from it.  ``keep`` and the parameter arrays are
    updated in place.
    """
    if state is None:
        return
    N = X.shape[1]
    rows, st = state
    inside = keep[rows] & _peaks_inside(x, g, a, N)[rows]
    same = np.all(inside == keep[rows], axis=1)
    keep[rows] = inside
    dof = np.maximum(N - 3 * inside.sum(axis=1) - 1, 1)
    going = _still_going(start_cost[rows], cost[rows], dof)
    for part, reuse in ((going & same, True), (going & ~same, False)):
        idx = rows[part]
        if not idx.size:
            continue
        sub = PlainState(*(v[part] for v in st)) if reuse else None
        x[idx], g[idx], a[idx], cost[idx], t_value[idx], _ = _refine_plain(
            X[idx],
            x[idx],
            g[idx],
            a[idx],
            keep[idx],
            n_iter=_MAX_EXTRA_STEPS,
            converge=dof[part],
            state=sub,
        )


def _drop_insignificant(X, x, g, a, keep, t_value, use_plain, exact, min_sig):
    """Drop refined peaks whose area is not ``min_sig`` errors above zero.

    Overlapping peaks share their evidence, so their single t values can all
    be low together: only the least significant peak of a row is dropped
    and the rest refitted, until every peak passes (dropping all failing
    peaks at once can empty a row of clear peaks).  Nearly noiseless rows
    that lost peaks are then converged without them.  ``keep`` and the
    parameter arrays are updated in place.
    """
    N = X.shape[1]
    before = keep.sum(axis=1)
    for _ in range(keep.shape[1]):
        fail = keep & use_plain[:, None] & ~(t_value > min_sig)
        r = np.flatnonzero(fail.any(axis=1))
        if not r.size:
            break
        worst = np.argmin(np.where(fail, t_value, np.inf), axis=1)
        keep[r, worst[r]] = False
        x[r], g[r], a[r], _, t_value[r], _ = _refine_plain(
            X[r], x[r], g[r], a[r], keep[r], n_iter=1
        )
        keep[r] &= _peaks_inside(x[r], g[r], a[r], N)
    again = np.flatnonzero(exact & use_plain & (keep.sum(axis=1) < before))
    if again.size:
        x[again], g[again], a[again], *_ = _refine_plain(
            X[again], x[again], g[again], a[again], keep[again], n_iter=_EXACT_STEPS
        )


def _refine_stage(X, fit, options):
    """Converged least-squares fit of plain Lorentzians plus a constant.

    Starts from the ESPRIT peaks of ``fit`` and fits the spectra ``X`` (the
    rows ``fit.rows`` of the batch, channel units).  Nearly noiseless rows
    get more steps, and each keeps whichever of the periodised (ESPRIT) and
    the plain model fits it better.  A refined centre that left the window,
    or a refined area that is not positive (or, with ``n_peaks="auto"``, not
    significant), is not a peak of the window.

    Returns
    -------
    x, g, a : ndarray of shape (n_rows, K)
    keep : ndarray of shape (n_rows, K), bool
    """
    N = X.shape[1]
    cost_per = _periodic_fit_cost(X, fit)
    signal = np.einsum("bn,bn->b", X, X)
    done = fit.exact & (cost_per <= _ROUNDING_RTOL * signal)
    xr, gr, ar, cost, t_value, start_cost, state = _first_plain_steps(X, fit, done)
    keep = fit.keep
    _converge_noisy(X, xr, gr, ar, keep, cost, t_value, start_cost, state)
    use_plain = ~(cost_per < _PERIODIC_PREFERENCE * cost)
    x = np.where(use_plain[:, None], xr, fit.x)
    g = np.where(use_plain[:, None], gr, fit.g)
    a = np.where(use_plain[:, None], ar, fit.a)
    keep &= _peaks_inside(x, g, a, N)
    if options.n_peaks == "auto":
        _drop_insignificant(
            X, x, g, a, keep, t_value, use_plain, fit.exact, options.min_significance
        )
    return x, g, a, keep


def _periodic_cost(X, x, g, a, keep):
    """Residual sum of squares of periodised Lorentzians plus a constant."""
    N = X.shape[1]
    t = 2 * np.pi / N
    n = np.arange(N, dtype=np.float64)[None, :, None]
    gg = np.where(keep, g, 1.0)[:, None, :]
    terms = (
        np.where(keep, a, 0.0)[:, None, :]
        / N
        * np.sinh(t * gg)
        / (np.cosh(t * gg) - np.cos(t * (n - np.where(keep, x, 0.0)[:, None, :])))
    )
    resid = X - terms.sum(axis=2)
    resid -= resid.mean(axis=1, keepdims=True)
    return np.einsum("bn,bn->b", resid, resid)


# ---------------------------------------------------------------------------
# stage 6: the reported peaks of a batch
# ---------------------------------------------------------------------------


def _report_peaks(fit_rows, x, g, a, keep, *, n_batch, max_peaks, n_peaks):
    """The peaks of each spectrum of a batch, largest kept, sorted by position.

    An area at rounding level next to the others is numerically zero (on
    noiseless window-cut spectra the refinement leaves such remnants of the
    poles that described the cut tails).  At most ``max_peaks`` (or
    ``n_peaks``) of the largest areas are kept.

    Returns
    -------
    position, width, area : ndarray of shape (n_batch, max_peaks)
        Sorted by position; unused slots are NaN.
    count : ndarray of shape (n_batch,), int
    """
    position = np.full((n_batch, max_peaks), np.nan)
    width = np.full((n_batch, max_peaks), np.nan)
    area = np.full((n_batch, max_peaks), np.nan)
    count = np.zeros(n_batch, dtype=np.intp)
    if fit_rows is None:
        return position, width, area, count
    total = np.sum(np.where(keep, np.abs(a), 0.0), axis=1, keepdims=True)
    keep &= np.abs(a) > _ZERO_AREA_RTOL * total
    limit = max_peaks if n_peaks == "auto" else min(max_peaks, n_peaks)
    key = np.where(keep, a, -np.inf)
    order_by_area = np.argsort(-key, axis=1, kind="stable")[:, :limit]
    take = np.take_along_axis
    xs, gs, as_, ks = (take(v, order_by_area, 1) for v in (x, g, a, keep))
    xs = np.where(ks, xs, np.inf)
    by_pos = np.argsort(xs, axis=1, kind="stable")
    xs, gs, as_, ks = (take(v, by_pos, 1) for v in (xs, gs, as_, ks))
    slots = xs.shape[1]
    position[fit_rows, :slots] = np.where(ks, xs, np.nan)
    width[fit_rows, :slots] = np.where(ks, gs, np.nan)
    area[fit_rows, :slots] = np.where(ks, as_, np.nan)
    count[fit_rows] = ks.sum(axis=1)
    return position, width, area, count


def _plain_peaks(X, options, refine):
    """The ESPRIT stage and, with ``refine``, the refinement (channel units).

    Returns
    -------
    rows, x, g, a, keep : ndarray or None
        As in :class:`EspritFit`; None where no spectrum has a non-constant
        part.
    """
    fit = _esprit_stage(X, options)
    if fit is None:
        return None
    x, g, a, keep = fit.x, fit.g, fit.a, fit.keep
    if refine:
        x, g, a, keep = _refine_stage(X[fit.rows], fit, options)
    return fit.rows, x, g, a, keep


def _largest(a, keep, limit):
    """``keep`` reduced to the ``limit`` largest areas of each row."""
    key = np.where(keep, a, -np.inf)
    order = np.argsort(-key, axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(a.shape[1])[None, :], axis=1)
    return keep & (rank < limit)


def _fill_fixed_count(X, options, refine, out, max_peaks):
    """Give every row of a fixed-count report exactly ``options.n_peaks`` peaks.

    A row with fewer valid peaks (a pole outside the window or the width
    limits, or a peak that the refinement moved out of the window or to a
    non-positive area) is decomposed again at the next higher model order,
    its ``n_peaks`` largest valid peaks refitted by least squares, until it
    has them or the order reaches its limit (``n_lags - 2``).  Where that
    refit makes a peak invalid, the row keeps the ``n_peaks`` largest valid
    peaks of the higher-order fit.  ``out``, the
    report of :func:`_report_peaks`, is updated in place.
    """
    position, width, area, count = out
    k = options.n_peaks
    N = X.shape[1]
    short = np.flatnonzero(count < k)
    max_order = min(options.n_lags, (N // 2) // 2) - 2
    for order in range(k + 1, max_order + 1):
        if not short.size:
            break
        res = _plain_peaks(X[short], options._replace(n_peaks=order), refine)
        if res is None:
            break
        rows, x, g, a, keep = res
        keep = keep & _peaks_inside(x, g, a, N)
        enough = keep.sum(axis=1) >= k
        sel = short[rows[enough]]
        x, g, a = x[enough], g[enough], a[enough]
        keep = _largest(a, keep[enough], k)
        if refine and sel.size:
            m = _fit_model(
                X[sel], x, g, a, keep, np.zeros((sel.size, 0), np.intp), np.eye(0)
            )
            # where the refit of the k peaks alone makes one invalid, the
            # k largest valid peaks of the higher-order fit are kept
            held = np.all(~keep | _peaks_inside(m.x, m.g, m.a, N), axis=1)
            x = np.where(held[:, None], m.x, x)
            g = np.where(held[:, None], m.g, g)
            a = np.where(held[:, None], m.a, a)
        p, w, ar, cnt = _report_peaks(
            np.arange(sel.size),
            x,
            g,
            a,
            keep,
            n_batch=sel.size,
            max_peaks=max_peaks,
            n_peaks=k,
        )
        good = cnt == k
        position[sel[good]], width[sel[good]] = p[good], w[good]
        area[sel[good]], count[sel[good]] = ar[good], cnt[good]
        short = short[count[short] < k]


def _decompose_batch(
    X,
    *,
    n_peaks,
    max_peaks,
    order_selection,
    threshold,
    n_lags,
    min_width,
    max_width,
    min_significance,
    refine=False,
):
    """ESPRIT Lorentzian decomposition of a batch, in channel units.

    The ESPRIT stage (:func:`_esprit_stage`), with ``refine`` the
    least-squares refinement (:func:`_refine_stage`), then the report
    (:func:`_report_peaks`); a fixed count is made exact by
    :func:`_fill_fixed_count`.

    Returns
    -------
    position, width, area : ndarray of shape (n_batch, max_peaks)
        Sorted by position; unused slots are NaN.
    count : ndarray of shape (n_batch,), int
    """
    X = np.asarray(X, dtype=np.float64)
    options = EspritOptions(
        n_peaks=n_peaks,
        order_selection=order_selection,
        threshold=threshold,
        n_lags=n_lags,
        min_width=min_width,
        max_width=max_width,
        min_significance=min_significance,
    )
    report = dict(n_batch=X.shape[0], max_peaks=max_peaks, n_peaks=n_peaks)
    res = _plain_peaks(X, options, refine)
    if res is None:
        return _report_peaks(None, None, None, None, None, **report)
    out = _report_peaks(*res, **report)
    if n_peaks != "auto":
        _fill_fixed_count(X, options, refine, out, max_peaks)
    return out


# ---------------------------------------------------------------------------
# stage 7: white lines on edge steps, and the model of every spectrum
# ---------------------------------------------------------------------------


def _esprit_candidates(X, options, n_wanted):
    """Valid ESPRIT peaks of each row, from higher orders where too few.

    Rows with fewer than ``n_wanted`` valid peaks at ``options.n_peaks``
    (or the automatic order) are decomposed again at higher model orders
    until they have them or the order reaches ``n_lags - 2``.

    Returns
    -------
    x, g, a, keep : ndarray of shape (n, K), channel units
    """
    n_rows, N = X.shape
    fit = _esprit_stage(X, options)
    K = max(fit.x.shape[1] if fit is not None else 1, 1)
    x, g, a = np.zeros((n_rows, K)), np.ones((n_rows, K)), np.zeros((n_rows, K))
    keep = np.zeros((n_rows, K), dtype=bool)
    if fit is None:
        return x, g, a, keep
    x[fit.rows], g[fit.rows], a[fit.rows] = fit.x, fit.g, fit.a
    keep[fit.rows] = fit.keep & _peaks_inside(fit.x, fit.g, fit.a, N)
    start = options.n_peaks if options.n_peaks != "auto" else n_wanted
    max_order = min(options.n_lags, (N // 2) // 2) - 2
    short = np.flatnonzero(keep.sum(axis=1) < n_wanted)
    for order in range(start + 1, max_order + 1):
        if not short.size:
            break
        more = _esprit_stage(X[short], options._replace(n_peaks=order))
        if more is None:
            break
        ok = more.keep & _peaks_inside(more.x, more.g, more.a, N)
        enough = ok.sum(axis=1) >= n_wanted
        sel = short[more.rows[enough]]
        width = max(K, more.x.shape[1])
        x, g, a, keep = (_pad(v, width) for v in (x, g, a, keep))
        g[:, K:] = 1.0
        K = width
        k2 = more.x.shape[1]
        x[sel, :k2], g[sel, :k2] = more.x[enough], more.g[enough]
        a[sel, :k2], keep[sel] = more.a[enough], _pad(ok[enough], K)
        short = short[keep[short].sum(axis=1) < n_wanted]
    return x, g, a, keep


def _fit_with_steps(X, x, g, a, keep, n_steps, C, max_steps, bounded=False):
    """Steps assigned to their white lines, then the full least-squares fit."""
    owner = _step_owners(x, a, keep, n_steps)
    return _fit_model(X, x, g, a, keep, owner, C, max_steps=max_steps, bounded=bounded)


def _compact(keep, *arrays):
    """Kept slots moved to the front and the arrays cut to the widest row.

    Returns
    -------
    slots : ndarray of shape (n, K2), int
        The original slot of each new one.
    keep, *arrays : ndarray of shape (n, K2)
    """
    width = max(int(keep.sum(axis=1).max()), 1) if keep.size else 1
    slots = np.argsort(~keep, axis=1, kind="stable")[:, :width]
    take = np.take_along_axis
    return (slots, take(keep, slots, 1), *(take(v, slots, 1) for v in arrays))


def _prune_model(X, model, pool, tried, options, n_steps, C, max_steps):
    """Drop (or, for a fixed count, replace) the peaks that are not peaks.

    A refined peak outside the window or with a non-positive width or area
    is invalid; with ``n_peaks="auto"`` a peak whose area is not
    ``min_significance`` standard errors above zero is not significant.
    One such peak per row at a time (invalid ones first, then the least
    significant) is dropped and the row refitted; with a fixed count the
    largest valid candidate of ``pool`` not ``tried`` yet takes its slot.
    """
    x_pool, g_pool, a_pool, ok_pool = pool
    N = X.shape[1]
    fixed = options.n_peaks != "auto"
    fields = list(model)
    for _ in range(model.keep.shape[1] + (ok_pool.shape[1] if fixed else 0)):
        x, g, a, keep, errors = fields[0], fields[1], fields[2], fields[3], fields[8]
        invalid = keep & ~_peaks_inside(x, g, a, N)
        with np.errstate(divide="ignore", invalid="ignore"):
            t_value = np.where(errors["a"] > 0, a / errors["a"], np.inf)
        weak = keep & ~(t_value > options.min_significance) & (not fixed)
        bad = invalid | weak
        rows = np.flatnonzero(bad.any(axis=1))
        if not rows.size:
            break
        score = np.where(invalid, -np.inf, t_value)
        worst = np.argmin(np.where(bad, score, np.inf), axis=1)[rows]
        keep[rows, worst] = False
        xs, gs, as_ = x[rows].copy(), g[rows].copy(), a[rows].copy()
        if fixed:
            spare = ok_pool[rows] & ~tried[rows]
            has = spare.any(axis=1)
            best = np.argmax(np.where(spare, a_pool[rows], -np.inf), axis=1)
            r, b, w = np.flatnonzero(has), best[has], worst[has]
            keep[rows[r], w] = True
            tried[rows[r], b] = True
            xs[r, w], gs[r, w] = x_pool[rows[r], b], g_pool[rows[r], b]
            as_[r, w] = a_pool[rows[r], b]
        sub = _fit_with_steps(
            X[rows], xs, gs, as_, keep[rows], n_steps, C, max_steps, fixed
        )
        for f, part in zip(fields[:8], sub[:8], strict=True):
            f[rows] = part
        for key, part in sub.errors.items():
            errors[key][rows] = part
    return ModelFit(*fields)


def _unresolved_pair(x, g, a, keep):
    """The first pair of neighbouring peaks of each row that is one line.

    Two Lorentzians are one line when their sum has no dip between their
    centres (a single maximum; equal peaks closer than ``2 / sqrt(3)``
    half-widths) and they are closer than ``_SAME_LINE_WIDTHS`` of the
    narrower half-width (further apart, the narrower is a shoulder: a line
    of its own).  The sum of the two is sampled at ``_DIP_SAMPLES`` points
    from one centre to the other.

    Returns
    -------
    first, second : ndarray of shape (n,), int
        Slots of the pair, -1 where every neighbouring pair is resolved.
    """
    n_rows, K = x.shape
    none = np.full(n_rows, -1, dtype=np.intp)
    if K < 2:
        return none, none
    take = np.take_along_axis
    order = np.argsort(np.where(keep, x, np.inf), axis=1, kind="stable")
    xs, gs, as_, ks = (take(v, order, 1) for v in (x, g, a, keep))
    lo, hi = slice(None, -1), slice(1, None)
    pair = ks[:, lo] & ks[:, hi]
    t = np.linspace(0.0, 1.0, _DIP_SAMPLES)
    pts = xs[:, lo, None] + t * (xs[:, hi, None] - xs[:, lo, None])
    with np.errstate(invalid="ignore", over="ignore"):
        f = sum(
            np.where(pair, as_[:, s], 0.0)[:, :, None]
            / np.pi
            * gs[:, s, None]
            / ((pts - xs[:, s, None]) ** 2 + gs[:, s, None] ** 2)
            for s in (lo, hi)
        )
    ends = np.minimum(f[:, :, 0], f[:, :, -1])
    dip = f[:, :, 1:-1].min(axis=2) < (1.0 - _DIP_RTOL) * ends
    close = np.diff(xs, axis=1) < _SAME_LINE_WIDTHS * np.minimum(gs[:, lo], gs[:, hi])
    one = pair & ~dip & close & (ends > 0)
    has = one.any(axis=1)
    j = np.argmax(one, axis=1)
    rows = np.arange(n_rows)
    first = np.where(has, order[rows, j], -1)
    second = np.where(has, order[rows, np.minimum(j + 1, K - 1)], -1)
    return first, second


def _merge_unresolved(X, model, n_steps, C, max_steps):
    """Peaks that are one line (:func:`_unresolved_pair`) fitted as one.

    A line that is not exactly Lorentzian (a Voigt line, or a white line on
    a step that is not exactly an arctangent) is described by two
    Lorentzians at nearly the same position; one pair per row at a time is
    replaced by one Lorentzian (their total area at their area-weighted
    centre) and the row refitted, until every pair is resolved.
    """
    fields = list(model)
    for _ in range(model.keep.shape[1]):
        x, g, a, keep, errors = fields[0], fields[1], fields[2], fields[3], fields[8]
        first, second = _unresolved_pair(x, g, a, keep)
        rows = np.flatnonzero(first >= 0)
        if not rows.size:
            break
        j, k = first[rows], second[rows]
        r = np.arange(rows.size)
        xs, gs, as_, ks = x[rows].copy(), g[rows].copy(), a[rows].copy(), keep[rows]
        total = as_[r, j] + as_[r, k]
        half_gap = 0.5 * np.abs(xs[r, j] - xs[r, k])
        xs[r, j] = (as_[r, j] * xs[r, j] + as_[r, k] * xs[r, k]) / total
        gs[r, j] = np.maximum(gs[r, j], gs[r, k]) + half_gap
        as_[r, j] = total
        ks = ks.copy()
        ks[r, k] = False
        sub = _fit_with_steps(X[rows], xs, gs, as_, ks, n_steps, C, max_steps)
        for f, part in zip(fields[:8], sub[:8], strict=True):
            f[rows] = part
        for key, part in sub.errors.items():
            errors[key][rows] = part
    return ModelFit(*fields)


def _edge_batch(X, options, *, max_peaks, refine, n_steps, ratio, merge=False):
    """White lines on ``n_steps`` edge steps, plus a constant (channel units).

    ESPRIT runs on the spectra minus the straight line through their ends
    (:func:`~skspectra.peaks._edges._detrend`), which removes the jump of
    the edge at the window ends; the peaks it finds, the steps assigned to
    them and the constant are then fitted together (with ``refine`` by
    Levenberg-Marquardt steps, else only the linear parameters; bounded for
    a fixed count), and the peaks that are not peaks dropped or replaced
    (:func:`_prune_model`).  With ``merge`` (and the automatic count), peaks
    that are one line are fitted as one (:func:`_merge_unresolved`).

    Returns
    -------
    model : ModelFit
        Over all rows of ``X``.
    """
    C = _height_map(n_steps, ratio)
    fixed = options.n_peaks != "auto"
    limit = min(max_peaks, options.n_peaks) if fixed else max_peaks
    # spare candidates for a fixed count: a few more than asked for
    wanted = limit + _SPARE_CANDIDATES if fixed else 1
    pool = _esprit_candidates(_detrend(X), options, wanted)
    tried = _largest(pool[2], pool[3], limit)
    # only the slots in use enter the Jacobian
    _, keep, x, g, a = _compact(tried, *pool[:3])
    if not fixed:
        # a candidate whose area is not positive at the start, with the
        # steps in the model, is no peak (ESPRIT's description of what the
        # straight line left of the steps): left out before the refinement
        owner = _step_owners(x, a, keep, n_steps)
        a_lin, c_lin, H_lin = _linear_start(
            X, x, np.where(keep, g, 1.0), keep, owner, C
        )
        positive = keep & (a_lin > 0)
        # rows that lost a candidate get a new linear start without it
        changed = np.flatnonzero((positive != keep).any(axis=1))
        keep = positive
        owner = _step_owners(x, a, keep, n_steps)
        if changed.size:
            a_lin[changed], c_lin[changed], H_lin[changed] = _linear_start(
                X[changed],
                x[changed],
                np.where(keep, g, 1.0)[changed],
                keep[changed],
                owner[changed],
                C,
            )
        start = dict(c=c_lin, H=H_lin)
        a = np.where(keep, a_lin, 0.0)
    else:
        owner, start = _step_owners(x, a, keep, n_steps), {}
    max_steps = _LM_MAX_STEPS if refine else 0
    model = _fit_model(
        X, x, g, a, keep, owner, C, max_steps=max_steps, bounded=fixed, **start
    )
    model = _prune_model(X, model, pool, tried, options, n_steps, C, max_steps)
    if merge and not fixed:
        model = _merge_unresolved(X, model, n_steps, C, max_steps)
        model = _prune_model(X, model, pool, tried, options, n_steps, C, max_steps)
    return model


def _as_model(X, out):
    """The report of the plain path as a :class:`ModelFit` with its errors.

    The constant is the mean residual under the reported peaks; the errors
    come from the Jacobian of the plain model there (no step is taken).
    """
    position, width, area, count = out
    # only the slots in use (the report is sorted, its empty slots last)
    _, keep, x, g, a = _compact(np.isfinite(position), position, width, area)
    x, g, a = np.where(keep, x, 0.0), np.where(keep, g, 1.0), np.where(keep, a, 0.0)
    n_rows = X.shape[0]
    owner = np.zeros((n_rows, 0), dtype=np.intp)
    c, H = np.zeros(n_rows), np.zeros((n_rows, 0))
    return _fit_model(
        X, x, g, a, keep, owner, np.eye(0), c=c, H=H, max_steps=0, centre=True
    )


def _bic(model, N):
    """Bayesian information criterion of a fitted model, per row."""
    n_free = 3 * model.keep.sum(axis=1) + 1 + (model.owner >= 0).sum(axis=1)
    cost = np.maximum(model.cost, np.finfo(np.float64).tiny)
    return N * np.log(cost / N) + n_free * np.log(N)


def _model_batch(X, options, *, max_peaks, refine, edge_steps, ratio, merge=False):
    """The model of every spectrum of a batch: peaks, steps, constant.

    ``edge_steps=0`` is the plain path (:func:`_decompose_batch`);
    ``"auto"`` fits 0, 1 and 2 steps and keeps, per spectrum, the one with
    the lowest Bayesian information criterion.  With ``merge`` (and the
    automatic count), peaks that are one line are fitted as one
    (:func:`_merge_unresolved`).

    Returns
    -------
    model : ModelFit
        Channel units; ``heights`` and ``owner`` have two columns for
        ``"auto"`` (unused ones 0 and -1).
    """
    X = np.asarray(X, dtype=np.float64)
    N = X.shape[1]
    kw = dict(max_peaks=max_peaks, refine=refine)
    merge = merge and options.n_peaks == "auto"

    def plain():
        model = _as_model(X, _decompose_batch(X, **options._asdict(), **kw))
        if not merge:
            return model
        max_steps = _LM_MAX_STEPS if refine else 0
        return _merge_unresolved(X, model, 0, np.eye(0), max_steps)

    if edge_steps == 0:
        return plain()
    edge_kw = dict(kw, ratio=ratio, merge=merge)
    if edge_steps != "auto":
        return _edge_batch(X, options, n_steps=edge_steps, **edge_kw)
    candidates = [plain()]
    candidates += [_edge_batch(X, options, n_steps=s, **edge_kw) for s in (1, 2)]
    best = np.argmin(np.stack([_bic(m, N) for m in candidates]), axis=0)
    return _merge_models(candidates, best, n_steps=2)


def _merge_models(models, choice, n_steps):
    """Row ``i`` of ``models[choice[i]]``, padded to common widths."""
    n_rows = choice.size
    K = max(m.x.shape[1] for m in models)
    out = {
        "x": np.zeros((n_rows, K)),
        "g": np.ones((n_rows, K)),
        "a": np.zeros((n_rows, K)),
        "keep": np.zeros((n_rows, K), dtype=bool),
        "c": np.zeros(n_rows),
        "heights": np.zeros((n_rows, n_steps)),
        "owner": np.full((n_rows, n_steps), -1, dtype=np.intp),
        "cost": np.zeros(n_rows),
    }
    errors = {
        "x": np.zeros((n_rows, K)),
        "g": np.zeros((n_rows, K)),
        "a": np.zeros((n_rows, K)),
        "c": np.zeros(n_rows),
        "heights": np.zeros((n_rows, n_steps)),
    }
    for i, m in enumerate(models):
        rows = np.flatnonzero(choice == i)
        k, s = m.x.shape[1], m.heights.shape[1]
        for name in ("x", "g", "a", "keep"):
            out[name][rows, :k] = getattr(m, name)[rows]
        out["heights"][rows, :s] = m.heights[rows]
        out["owner"][rows, :s] = m.owner[rows]
        out["c"][rows], out["cost"][rows] = m.c[rows], m.cost[rows]
        for name in ("x", "g", "a"):
            errors[name][rows, :k] = m.errors[name][rows]
        errors["c"][rows] = m.errors["c"][rows]
        errors["heights"][rows, :s] = m.errors["heights"][rows]
    return ModelFit(**out, errors=errors)


def _arctan_steps(energy, position, width, height):
    """Sum of arctangent steps on an energy axis.

    ``sum_s height_s (1/2 + arctan((E - position_s) / width_s) / pi)`` for
    arrays of shape (n, S); returns (n, len(energy)).
    """
    u = (np.asarray(energy)[None, None, :] - position[:, :, None]) / width[:, :, None]
    return np.sum(height[:, :, None] * (0.5 + np.arctan(u) / np.pi), axis=1)


def _report_model(model, max_peaks, n_step_slots):
    """Fixed-width per-spectrum arrays of a :class:`ModelFit` (channel units).

    The ``max_peaks`` largest peaks, sorted by position; the steps sorted by
    position, with those of their white lines.  See ``ESPRITPeaks._model``.
    """
    if model is None:
        n = 0
    else:
        n = model.x.shape[0]
    M, S = max_peaks, n_step_slots
    out = {
        k: np.full((n, M), np.nan)
        for k in (
            "position",
            "width",
            "area",
            "position_error",
            "width_error",
            "area_error",
        )
    }
    for k in ("step_position", "step_width", "step_height", "step_height_error"):
        out[k] = np.full((n, S), np.nan)
    out["count"] = np.zeros(n, dtype=np.intp)
    out["n_steps"] = np.zeros(n, dtype=np.intp)
    out["constant"] = np.zeros(n)
    if model is None:
        return out
    keep = _largest(model.a, model.keep, M)
    key = np.where(keep, model.x, np.inf)
    by_pos = np.argsort(key, axis=1, kind="stable")[:, :M]
    take = np.take_along_axis
    ks = take(keep, by_pos, 1)
    width = by_pos.shape[1]
    pairs = (
        ("position", model.x),
        ("width", model.g),
        ("area", model.a),
        ("position_error", model.errors["x"]),
        ("width_error", model.errors["g"]),
        ("area_error", model.errors["a"]),
    )
    for name, v in pairs:
        out[name][:, :width] = np.where(ks, take(v, by_pos, 1), np.nan)
    out["count"] = ks.sum(axis=1)
    out["constant"] = model.c.copy()
    s_model = model.heights.shape[1]
    if S and s_model:
        has = model.owner >= 0
        own = np.where(has, model.owner, 0)
        sx = np.where(has, take(model.x, own, 1), np.inf)
        order = np.argsort(sx, axis=1, kind="stable")
        has = take(has, order, 1)
        own = take(own, order, 1)
        cols = {
            "step_position": take(model.x, own, 1),
            "step_width": take(model.g, own, 1),
            "step_height": take(model.heights, order, 1),
            "step_height_error": take(model.errors["heights"], order, 1),
        }
        for name, v in cols.items():
            out[name][:, :s_model] = np.where(has, v, np.nan)
        out["n_steps"] = has.sum(axis=1)
    return out


# ---------------------------------------------------------------------------
# the estimator
# ---------------------------------------------------------------------------


class ESPRITPeaks(TransformerMixin, BaseEstimator):
    r"""Lorentzian peaks of spectra by ESPRIT, with no initial guess.

    Decomposes each spectrum into Lorentzian peaks

    .. math::

        f(E) = \sum_j \frac{A_j}{\pi}\,
               \frac{\gamma_j}{(E - E_j)^2 + \gamma_j^2}

    (position :math:`E_j`, half-width at half maximum :math:`\gamma_j`,
    area :math:`A_j`) without a starting value for any peak and, by default,
    without being told how many there are.

    In channel units (position :math:`x`, half-width :math:`g`, area
    :math:`a`) the discrete Fourier coefficients
    :math:`P_k = \sum_{n=0}^{N-1} y_n e^{-2\pi i k n / N}` of the
    Lorentzian summed over all its copies shifted by the window length
    :math:`N` are exactly, by Poisson summation, for :math:`0 \le k < N`,

    .. math::

        P_k = a\left[\frac{z^k}{1 - z^N}
              + \frac{\bar z^{\,N-k}}{1 - \bar z^{\,N}}\right],
        \qquad z = e^{-2\pi (g + i x) / N},

    a decaying exponential in :math:`k` plus its mirror image, the
    aliased negative frequencies, whose relative size on
    :math:`1 \le k \le N/2` is at most about :math:`e^{-2\pi g}`.  The
    coefficients :math:`k = 1 \dots N/2` of a real spectrum (leaving out
    :math:`k = 0`, so a constant offset does not matter) are arranged in a
    Hankel matrix with ``n_lags`` columns; the eigenvectors of its
    ``n_lags`` :math:`\times` ``n_lags`` Gram matrix give the signal
    subspace; the model order is chosen from the eigenvalues by the minimum
    description length (MDL) or Akaike (AIC) criterion of Wax and Kailath,
    or by a relative singular-value threshold; the shift invariance of the
    subspace gives the poles (least-squares ESPRIT).  Each decaying pole that
    maps inside the energy window gives a position and half-width,
    :math:`x = -N \arg z / 2\pi`, :math:`g = -N \ln|z| / 2\pi`; growing
    poles (the mirrors, or noise) are dropped.  The real areas follow by
    linear least squares on the exact basis above (mirror terms included);
    peaks whose area is not ``min_significance`` standard errors above zero
    are dropped and the rest refitted.  With ``refine``, Gauss-Newton steps
    of the least-squares fit of plain Lorentzians plus a constant finish
    the job, until a step lowers chi-square by less than 1 (at most 11
    steps): the converged least-squares fit.
    All steps run batched over the spectra: one FFT, one batched Hermitian
    eigenproblem, one batched small eigenvalue problem per model order, one
    batched least-squares solve, batched Gauss-Newton steps.

    Parameters
    ----------
    n_peaks : "auto" or int, default="auto"
        Number of peaks.  ``"auto"`` selects the model order per spectrum
        with ``order_selection``; an integer fixes it: exactly ``n_peaks``
        peaks are returned (the largest), a candidate that the refinement
        makes invalid being replaced by one from a higher model order, as
        long as ESPRIT finds that many at an order up to ``n_lags - 2``.
        With edge steps the fit of a fixed count is bounded instead: every
        peak stays in the window with a positive width and area.
    max_peaks : int, default=10
        Most peaks reported per spectrum (the largest areas are kept); fixes
        the width of the output of :meth:`transform`.
    energy : array-like of shape (n_channels,) or None, default=None
        Uniform, increasing energy axis of the spectra; None means the
        channel index.  Positions, half-widths and areas are in its units.
    order_selection : {"mdl", "aic", "threshold"}, default="mdl"
        Model-order rule with ``n_peaks="auto"``: the information criteria
        suit noisy spectra (MDL is consistent, AIC tends to overestimate);
        ``"threshold"`` counts the singular values above ``threshold``
        times the largest and suits noiseless (computed) spectra.
    threshold : float, default=1e-6
        Relative singular-value threshold for ``order_selection="threshold"``.
    n_lags : "auto" or int, default="auto"
        Columns of the Hankel matrix (the size of the eigenproblem).  Must
        exceed twice the number of peaks (each peak is a pole pair); more
        lags are more robust to noise and cost more.  ``"auto"`` uses
        ``3 * max_peaks + 2``, capped at half the number of channels.
    min_width : float or None, default=None
        Smallest half-width kept, in units of ``energy``; None means half a
        channel (narrower poles are noise spikes).
    max_width : float or None, default=None
        Largest half-width kept, in units of ``energy``; None means a quarter
        of the window (broader poles describe background, not peaks).
    min_significance : float, default=3.0
        With ``n_peaks="auto"``, a peak is kept only if its area exceeds this
        many standard errors (estimated from the residual of the fit).
    refine : bool, default=True
        If True, finish with Gauss-Newton steps of the least-squares fit of
        plain (window-truncated) Lorentzians plus a constant, started from
        the ESPRIT peaks: the maximum-likelihood answer under white Gaussian
        noise (about half the position error of ESPRIT alone at SNR 100),
        free of the truncation bias near the window edges, at a few times
        the cost of ESPRIT alone (steps until chi-square drops by less than
        1; see ``benchmarks/bench_peaks.py``).
        Nearly noiseless spectra get more steps, and keep the periodised
        model when it fits them better.  False gives the ESPRIT answer.
    fill_value : float, default=0.0
        Value of the unused peak slots in the output of :meth:`transform`.
    edge_steps : {0, 1, 2, "auto"}, default=0
        Edge steps under the peaks: arctangents
        ``h (1/2 + arctan((E - E_j) / gamma_j) / pi)``, the integral of the
        Lorentzian of the white line ``j`` they belong to (so they add one
        height each and no position), fitted together with the peaks and
        the constant.  ``1`` for a K or single edge (the step belongs to the
        first clear peak), ``2`` for an L2,3 or M4,5 edge (the peaks are
        split into two groups at the largest gap between neighbours, the
        spin-orbit splitting; each step belongs to the first clear peak of
        its group), ``"auto"`` fits 0, 1 and 2 steps and keeps the lowest
        Bayesian information criterion per spectrum.  ESPRIT then runs on
        the spectrum minus the straight line through its two ends, which
        removes the jump of the edge at the window ends, so no initial
        guess is needed.  ``0`` is the plain peak model.
    step_ratio : float or None, default=0.5
        With two steps, the height of the second (higher-energy) step over
        the first: 0.5 is the statistical 2:1 L3:L2 branching ratio.  None
        fits both heights freely.
    merge_lines : bool or "auto", default="auto"
        With ``n_peaks="auto"``, report as one line two neighbouring
        Lorentzians whose sum has a single maximum (no dip between their
        centres) and whose centres are closer than 1.25 times the narrower
        half-width, fitted again as one Lorentzian (a narrower peak further
        away is a shoulder: a line of its own).  A measured line that
        is not exactly Lorentzian (a Voigt line, instrumental broadening, a
        white line on a step that is not exactly an arctangent) is
        otherwise described by two Lorentzians at nearly one position.
        ``"auto"`` merges with edge steps (measured core-loss edges) and
        not without them, where every Lorentzian of the sum is reported
        (exact on sums of Lorentzians, however close).

    Attributes
    ----------
    n_features_in_ : int
        Number of channels seen during :meth:`fit`.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Channel names, when ``X`` has string column names.
    energy_ : ndarray of shape (`n_features_in_`,)
        The validated energy axis.

    See Also
    --------
    skspectra.datasets.make_lorentzian_peaks : Spectra with known peaks.
    skspectra.datasets.lorentzian : Evaluate peaks on an energy axis.
    skspectra.preprocessing.PowerLawBackground : Remove the background first.

    Notes
    -----
    *Exactness.*  On spectra that are sums of Lorentzians summed over their
    copies shifted by the window length (``make_lorentzian_peaks(...,
    periodic=True)``), the model above holds exactly.  Where the weak mirror
    terms stand out of the noise, they are subtracted with the first
    estimate, the poles found again and polished by Gauss-Newton steps on
    the exact model, so that such spectra are decomposed to rounding error
    (relative errors around 1e-12 for ten peaks one half-width apart with
    ``order_selection="threshold"``).

    *Noise.*  At SNR 100 (peak maximum over noise standard deviation) the
    peak count is right in more than 99 % of random spectra with 3-8 peaks
    two half-widths apart, and the refined positions are as accurate as a
    least-squares fit given the true count and starting values; without
    ``refine`` the position error is about twice as large.

    With ``refine``, noiseless sums of plain Lorentzians cut by the window
    (centres five half-widths from the ends) are found with the right count
    and parameters to about 1e-6: the peaks that ESPRIT adds for the cut
    tails get zero area in the refined fit and are dropped.

    *Edge steps.*  On the measured Ti L2,3 edges of TiO2 (100 kV) and
    SrTiO3 (200 kV), after a power-law background, ``edge_steps=2`` finds
    the four t2g/eg lines with the automatic order, within 0.15 eV of
    published least-squares fits.  On spectra that are exactly the model
    (``make_edge_peaks``) at SNR 100 the count is right in all spectra and
    the positions are those of lmfit fitting the same model from the true
    count and starts.  Nearly noiseless edges are not exact: the ESPRIT
    stage sees what the straight line between the window ends leaves of the
    steps, and may keep an extra peak for it.

    *Standard errors* come from the Jacobian of the final least-squares fit
    and a noise variance estimated from the first differences of the
    residual; they match the scatter over noise draws within a few per cent
    on the model.

    *Limits.*  Measured spectra are plain Lorentzians cut by the window: the
    tails beyond the window are missing, which biases ESPRIT for peaks near
    the window edges (``refine`` removes most of this bias) and, for broad
    peaks, can add a broad, weak spurious peak.  Without ``refine``, on
    noiseless cut spectra the truncation itself is signal and the order
    criteria count extra weak poles for it.  Peaks closer than about a
    half-width merge into one at realistic noise (two equal peaks half a
    half-width apart are one peak at SNR 100, two at SNR 1e4).  The spectrum
    must be background-free apart from a constant and, with ``edge_steps``,
    the arctangent edge steps: a sloping background is not in the model and
    must be removed first.
    Non-Lorentzian line shapes (Gaussian or Voigt) are described by several
    Lorentzians; with ``merge_lines`` (by default with edge steps) those at
    one position are fitted as one line.  Only uniform energy grids are
    accepted; resample first.
    Nearly noiseless spectra take the slower exact path (a second ESPRIT
    pass and many more Gauss-Newton steps).

    References
    ----------
    .. [1] H. Ikeno, "mxpfit: A library for finding optimal multi-exponential
       approximations", Comput. Phys. Commun. 230 (2018) 135-144.
       :doi:`10.1016/j.cpc.2018.04.015`
    .. [2] R. Roy and T. Kailath, "ESPRIT - estimation of signal parameters
       via rotational invariance techniques", IEEE Trans. Acoust., Speech,
       Signal Process. 37 (1989) 984-995. :doi:`10.1109/29.32276`
    .. [3] M. Wax and T. Kailath, "Detection of signals by information
       theoretic criteria", IEEE Trans. Acoust., Speech, Signal Process. 33
       (1985) 387-392. :doi:`10.1109/TASSP.1985.1164557`

    Examples
    --------
    >>> import numpy as np
    >>> from skspectra.datasets import lorentzian
    >>> from skspectra.peaks import ESPRITPeaks
    >>> energy = np.linspace(450.0, 480.0, 301)
    >>> x = lorentzian(energy, [458.0, 460.0, 463.5], [0.5, 0.8, 0.6],
    ...                [2.0, 3.0, 1.0])
    >>> x += 0.01 * np.random.default_rng(0).standard_normal(x.size)
    >>> est = ESPRITPeaks(energy=energy).fit(x[None])
    >>> for p in est.decompose(x):
    ...     print(f"{p.position:.2f} {p.width:.2f} {p.area:.2f}")
    458.00 0.50 2.00
    460.00 0.81 3.02
    463.50 0.58 0.99
    >>> est.transform(x[None]).shape  # 10 peak slots, their errors, 2 more
    (1, 62)
    """

    _parameter_constraints: dict = {
        "n_peaks": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "max_peaks": [Interval(Integral, 1, None, closed="left")],
        "energy": ["array-like", None],
        "order_selection": [StrOptions({"mdl", "aic", "threshold"})],
        "threshold": [Interval(Real, 0, 1, closed="neither")],
        "n_lags": [StrOptions({"auto"}), Interval(Integral, 4, None, closed="left")],
        "min_width": [Interval(Real, 0, None, closed="left"), None],
        "max_width": [Interval(Real, 0, None, closed="neither"), None],
        "min_significance": [Interval(Real, 0, None, closed="left")],
        "refine": ["boolean"],
        "fill_value": [Real],
        "edge_steps": [StrOptions({"auto"}), Interval(Integral, 0, 2, closed="both")],
        "step_ratio": [Interval(Real, 0, None, closed="left"), None],
        "merge_lines": ["boolean", StrOptions({"auto"})],
    }

    def __init__(
        self,
        *,
        n_peaks="auto",
        max_peaks=10,
        energy=None,
        order_selection="mdl",
        threshold=1e-6,
        n_lags="auto",
        min_width=None,
        max_width=None,
        min_significance=3.0,
        refine=True,
        fill_value=0.0,
        edge_steps=0,
        step_ratio=0.5,
        merge_lines="auto",
    ):
        self.n_peaks = n_peaks
        self.max_peaks = max_peaks
        self.energy = energy
        self.order_selection = order_selection
        self.threshold = threshold
        self.n_lags = n_lags
        self.min_width = min_width
        self.max_width = max_width
        self.min_significance = min_significance
        self.refine = refine
        self.fill_value = fill_value
        self.edge_steps = edge_steps
        self.step_ratio = step_ratio
        self.merge_lines = merge_lines

    def _n_lags(self, n_channels):
        if self.n_lags == "auto":
            L = _LAGS_PER_PEAK * self.max_peaks + _EXTRA_LAGS
        else:
            L = self.n_lags
        return min(L, (n_channels // 2) // 2)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check the spectra and the energy axis; nothing is learned.

        Parameters
        ----------
        X : array-like of shape (n_spectra, n_channels)
            Spectra on the grid ``energy``.
        y : None
            Ignored.

        Returns
        -------
        self : ESPRITPeaks
            The checked transformer.
        """
        X = validate_data(self, X, dtype=[np.float64, np.float32])
        n_channels = X.shape[1]
        self.energy_ = check_energy(self.energy, n_channels, uniform=True)
        if self.n_peaks != "auto":
            if self.n_peaks > self.max_peaks:
                raise ValueError(
                    f"n_peaks={self.n_peaks} exceeds max_peaks={self.max_peaks}."
                )
            L = self._n_lags(n_channels)
            if self.n_peaks > L - 2:
                raise ValueError(
                    f"n_peaks={self.n_peaks} needs a Hankel matrix with at least "
                    f"{self.n_peaks + 2} lags, but spectra of {n_channels} "
                    f"channels with n_lags={self.n_lags!r} give {max(L, 0)}; use "
                    "more channels, more lags or fewer peaks."
                )
        return self

    def _n_step_slots(self):
        """Step columns of the output: 2 for ``"auto"``, else ``edge_steps``."""
        return 2 if self.edge_steps == "auto" else int(self.edge_steps)

    def _model(self, X):
        """The fitted model of validated spectra, in energy units.

        Returns
        -------
        result : dict of ndarray
            ``position, width, area`` and their ``*_error`` (n, max_peaks),
            NaN in unused slots, sorted by position; ``count`` (n,);
            ``step_position, step_width, step_height, step_height_error``
            (n, n_step_slots), NaN where unused; ``n_steps`` (n,);
            ``constant`` (n,).
        """
        n_channels = X.shape[1]
        e0 = self.energy_[0]
        step = (self.energy_[-1] - e0) / (n_channels - 1) if n_channels > 1 else 1.0
        min_w = _MIN_WIDTH_CHANNELS if self.min_width is None else self.min_width / step
        if self.max_width is None:
            max_w = n_channels * _MAX_WIDTH_FRACTION
        else:
            max_w = self.max_width / step
        options = EspritOptions(
            n_peaks=self.n_peaks,
            order_selection=self.order_selection,
            threshold=self.threshold,
            n_lags=self._n_lags(n_channels),
            min_width=min_w,
            max_width=max_w,
            min_significance=self.min_significance,
        )
        if self.merge_lines == "auto":
            merge = self.edge_steps != 0
        else:
            merge = bool(self.merge_lines)
        parts = []
        with single_threaded("blas"):
            for start in range(0, X.shape[0], _CHUNK):
                model = _model_batch(
                    X[start : start + _CHUNK],
                    options,
                    max_peaks=self.max_peaks,
                    refine=self.refine,
                    edge_steps=self.edge_steps,
                    ratio=self.step_ratio,
                    merge=merge,
                )
                parts.append(_report_model(model, self.max_peaks, self._n_step_slots()))
        if parts:
            result = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
        else:
            result = _report_model(None, self.max_peaks, self._n_step_slots())
        for key in ("position", "step_position"):
            result[key] = e0 + result[key] * step
        for key in (
            "width",
            "area",
            "position_error",
            "width_error",
            "area_error",
            "step_width",
        ):
            result[key] = result[key] * step
        return result

    def transform(self, X):
        """Return the model of each spectrum as a fixed-width feature matrix.

        Parameters
        ----------
        X : array-like of shape (n_spectra, n_channels)
            Spectra; a spectrum image is unfolded first
            (:func:`skspectra.utils.unfold`) and the result folded back.

        Returns
        -------
        features : ndarray of shape (n_spectra, n_features_out)
            In this order (names from :meth:`get_feature_names_out`):

            - per peak slot ``j < max_peaks``, sorted by position:
              ``peak{j}_position``, ``peak{j}_width`` (half-width),
              ``peak{j}_area``;
            - per peak slot, their standard errors
              ``peak{j}_position_error``, ``peak{j}_width_error``,
              ``peak{j}_area_error``;
            - with edge steps, per step slot ``s`` (one for
              ``edge_steps=1``, two for ``2`` and ``"auto"``, lowest
              first): ``step{s}_position``, ``step{s}_width`` (the
              arctangent's half-width, both those of its white line),
              ``step{s}_height``, ``step{s}_height_error``;
            - ``constant``, the fitted constant;
            - with edge steps, ``n_steps``, the number of steps fitted;
            - ``n_peaks``, the number of peaks found (always last).

            Unused slots hold ``fill_value``.  ``n_features_out`` is
            ``6 * max_peaks + 4 * n_step_slots + 2`` plus one with steps.
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        r = self._model(X)
        blocks = [
            np.stack([r["position"], r["width"], r["area"]], axis=2),
            np.stack([r["position_error"], r["width_error"], r["area_error"]], axis=2),
        ]
        feats = [b.reshape(X.shape[0], -1) for b in blocks]
        if self._n_step_slots():
            fields = ("step_position", "step_width", "step_height", "step_height_error")
            feats.append(
                np.stack([r[f] for f in fields], axis=2).reshape(X.shape[0], -1)
            )
        feats = np.hstack(feats)
        feats = np.where(np.isnan(feats), self.fill_value, feats)
        tail = [r["constant"][:, None]]
        if self._n_step_slots():
            tail.append(r["n_steps"][:, None].astype(np.float64))
        tail.append(r["count"][:, None].astype(np.float64))
        return np.hstack([feats, *tail])

    def inverse_transform(self, X):
        """Rebuild spectra from the model in a feature matrix.

        Parameters
        ----------
        X : array-like of shape (n_spectra, n_features_out)
            Output of :meth:`transform`.

        Returns
        -------
        spectra : ndarray of shape (n_spectra, n_channels)
            The whole model on ``energy_``: the (plain, not periodised)
            Lorentzians, the edge steps and the constant.
        """
        check_is_fitted(self)
        X = check_array(X, dtype=np.float64)
        M, S = self.max_peaks, self._n_step_slots()
        n_out = 6 * M + 4 * S + 2 + (S > 0)
        if X.shape[1] != n_out:
            raise ValueError(
                f"inverse_transform expects {n_out} features (the output of "
                f"transform); got {X.shape[1]}."
            )
        count = X[:, -1]
        if np.any(count < 0) or np.any(count > M):
            raise ValueError("The n_peaks column must lie in [0, max_peaks].")
        params = X[:, : 3 * M].reshape(X.shape[0], M, 3)
        used = np.arange(M)[None, :] < count[:, None]
        pos, wid, area = (np.where(used, params[..., i], np.nan) for i in range(3))
        constant = X[:, -3 if S else -2]
        spectra = lorentzian(self.energy_, pos, wid, area) + constant[:, None]
        if S:
            n_steps = X[:, -2]
            if np.any(n_steps < 0) or np.any(n_steps > S):
                raise ValueError(f"The n_steps column must lie in [0, {S}].")
            steps = X[:, 6 * M : 6 * M + 4 * S].reshape(X.shape[0], S, 4)
            on = np.arange(S)[None, :] < n_steps[:, None]
            spectra += _arctan_steps(
                self.energy_,
                np.where(on, steps[..., 0], 0.0),
                np.where(on, steps[..., 1], 1.0),
                np.where(on, steps[..., 2], 0.0),
            )
        return spectra

    def decompose(self, x, *, full=False):
        """Return the peaks of one spectrum as a list.

        Parameters
        ----------
        x : array-like of shape (n_channels,)
            One spectrum on ``energy_``.
        full : bool, default=False
            If True, return the whole model: an :class:`EdgeModel` with the
            peaks, the edge steps and the constant.

        Returns
        -------
        peaks : list of Peak or EdgeModel
            Named tuples ``(position, width, area, position_error,
            width_error, area_error)`` sorted by position; ``width`` is the
            half-width at half maximum.
        """
        check_is_fitted(self)
        x = np.asarray(x)
        if x.ndim == 1:
            x = x[None, :]
        if x.ndim != 2 or x.shape[0] != 1:
            raise ValueError(
                f"decompose expects one spectrum of shape (n_channels,); got {x.shape}."
            )
        X = validate_data(self, x, dtype=[np.float64, np.float32], reset=False)
        r = {k: v[0] for k, v in self._model(X).items()}
        fields = ("position", "width", "area", "position_error", "width_error")
        peaks = [
            Peak(*(float(r[f][j]) for f in (*fields, "area_error")))
            for j in range(int(r["count"]))
        ]
        if not full:
            return peaks
        fields = ("step_position", "step_width", "step_height", "step_height_error")
        steps = [
            EdgeStep(*(float(r[f][s]) for f in fields))
            for s in range(int(r["n_steps"]))
        ]
        return EdgeModel(peaks, steps, float(r["constant"]))

    def get_feature_names_out(self, input_features=None):
        """Return the names of the output columns.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Only checked against the names seen in :meth:`fit`.

        Returns
        -------
        names : ndarray of str
            In the order of :meth:`transform`: ``peak0_position,
            peak0_width, peak0_area, ..., peak0_position_error, ...,
            step0_position, step0_width, step0_height, step0_height_error,
            ..., constant, n_steps, n_peaks`` (the step names only with
            edge steps).
        """
        check_is_fitted(self)
        _check_feature_names_in(self, input_features)
        fields = ("position", "width", "area")
        names = [f"peak{j}_{f}" for j in range(self.max_peaks) for f in fields]
        names += [f"peak{j}_{f}_error" for j in range(self.max_peaks) for f in fields]
        S = self._n_step_slots()
        steps = ("position", "width", "height", "height_error")
        names += [f"step{s}_{f}" for s in range(S) for f in steps]
        names.append("constant")
        if S:
            names.append("n_steps")
        return np.asarray([*names, "n_peaks"], dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64"]
        return tags
