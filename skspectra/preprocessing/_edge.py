"""Locating absorption edges: derivative maximum and half height."""

import numpy as np
from scipy import signal, sparse

# Gaussian windows are cut at this many standard deviations
_TRUNCATE = 4.0
# a window of at most this many channels on average is summed exactly, sample
# by sample (the operator and its construction take about 40 bytes per entry,
# so at most about 1 kB per channel); a wider one is convolved through the
# FFT, whose cost does not grow with the window
_MAX_DIRECT_TAPS = 32
# bins per standard deviation when samples of a non-uniform grid are spread
# onto a uniform one: the linear spreading and gathering widen the Gaussian
# by a relative h**2 / (6 sigma**2), 4e-5 here
_BINS_PER_SIGMA = 64
# at most this many bins per channel, so that memory stays linear in channels
_MAX_BINS_PER_CHANNEL = 8
# a grid whose channels lie within this fraction of a step of the uniform grid
# through its ends is convolved on its own channels
_UNIFORM_TOL = 1e-6


def _window_bounds(energy, sigma):
    """First and one-past-last channel within ``_TRUNCATE`` sigma of each."""
    lo = np.searchsorted(energy, energy - _TRUNCATE * sigma, side="left")
    hi = np.searchsorted(energy, energy + _TRUNCATE * sigma, side="right")
    return lo, hi


def _smoothing_matrix(energy, sigma, lo, hi):
    """Sparse row-normalised Gaussian smoothing operator on a (non-uniform) grid.

    ``D @ S.T`` smooths each row of ``D`` with a Gaussian of standard
    deviation ``sigma`` (energy units), truncated at ``_TRUNCATE`` sigma;
    ``lo`` and ``hi`` bound each channel's window.  It holds one entry per
    channel pair within the window, so it is used only for narrow windows.
    """
    c = energy.size
    counts = hi - lo
    rows = np.repeat(np.arange(c), counts)
    starts = np.repeat(lo - np.concatenate(([0], np.cumsum(counts)[:-1])), counts)
    cols = np.arange(rows.size) + starts
    weights = np.exp(-0.5 * ((energy[rows] - energy[cols]) / sigma) ** 2)
    S = sparse.csr_matrix((weights, (rows, cols)), shape=(c, c))
    norm = np.asarray(S.sum(axis=1)).ravel()
    return sparse.diags(1.0 / norm) @ S


def _gaussian_sums(Y, step, sigma):
    """Sum of each row's samples weighted by a Gaussian, on a uniform grid.

    ``out[:, i] = sum_j exp(-((i - j) step / sigma)**2 / 2) Y[:, j]`` over
    ``|i - j| step <= _TRUNCATE sigma``, zero beyond the ends; through the
    FFT (overlap-add), so the cost is O(n log n) whatever the width.
    """
    # lags beyond the row's length never meet two samples; the relative 1e-12
    # keeps a lag that lies on the cut up to rounding, as the exact sum does
    reach = int(np.floor(_TRUNCATE * sigma / step * (1 + 1e-12)))
    half = min(reach, Y.shape[1] - 1)
    lag = np.arange(-half, half + 1) * step
    kernel = np.exp(-0.5 * (lag / sigma) ** 2)
    return signal.oaconvolve(Y, kernel[None, :], mode="same", axes=1)


def _spreading_matrix(energy, sigma):
    """Sparse (channels x bins) linear spreading of a grid onto uniform bins.

    Returns the matrix and the bin step.  Each channel is shared between the
    two bins around it in proportion to its distance from them; the
    transpose gathers bin values back onto the channels by linear
    interpolation.  Two entries per channel.
    """
    c = energy.size
    span = float(energy[-1] - energy[0])
    n_bins = int(np.ceil(span * _BINS_PER_SIGMA / sigma)) + 1
    n_bins = max(2, min(n_bins, _MAX_BINS_PER_CHANNEL * c))
    step = span / (n_bins - 1)
    pos = (energy - energy[0]) / step
    left = np.clip(np.floor(pos).astype(np.intp), 0, n_bins - 2)
    frac = pos - left
    rows = np.repeat(np.arange(c), 2)
    cols = np.stack([left, left + 1], axis=1).ravel()
    weights = np.stack([1.0 - frac, frac], axis=1).ravel()
    A = sparse.csr_matrix((weights, (rows, cols)), shape=(c, n_bins))
    return A, step


def _smooth_rows(D, energy, sigma):
    """Each row of ``D`` smoothed by a row-normalised truncated Gaussian.

    Channel ``i`` becomes the average of the samples within ``_TRUNCATE``
    sigma of it, weighted by ``exp(-((E_i - E_j) / sigma)**2 / 2)``.  Narrow
    windows are summed exactly; wide ones by FFT convolution, on the channels
    of a uniform grid, or on uniform bins that the samples of a non-uniform
    grid are spread onto and gathered back from (see ``_BINS_PER_SIGMA``),
    so that time and memory grow linearly with the number of channels.
    """
    c = energy.size
    if sigma <= 0 or c < 2:
        return D
    lo, hi = _window_bounds(energy, sigma)
    if np.sum(hi - lo) <= _MAX_DIRECT_TAPS * c:
        return np.asarray(_smoothing_matrix(energy, sigma, lo, hi) @ D.T).T
    step = (energy[-1] - energy[0]) / (c - 1)
    uniform = np.linspace(energy[0], energy[-1], c)
    ones = np.ones((1, c))
    if np.max(np.abs(energy - uniform)) <= _UNIFORM_TOL * step:
        return _gaussian_sums(D, step, sigma) / _gaussian_sums(ones, step, sigma)
    A, step = _spreading_matrix(energy, sigma)
    sums = _gaussian_sums(np.asarray(D @ A), step, sigma) @ A.T
    weights = _gaussian_sums(np.asarray(ones @ A), step, sigma) @ A.T
    return sums / weights


def _edge_by_derivative(X, energy, *, sigma, energy_range=None):
    """Index of the maximum of the smoothed derivative of each row.

    The first and last 2 % of the channels (at least one, when there are
    three or more) are not searched: a glitch at the ends of a scan is common.
    Returns the int index array of shape (n_spectra,) and the smoothed
    derivative (with -inf where the search was not allowed).
    """
    c = energy.size
    if c == 1:
        return np.zeros(X.shape[0], dtype=np.intp), X.astype(np.float64)
    D = np.gradient(X, energy, axis=1)
    D = _smooth_rows(D, energy, sigma)
    k = min(max(1, int(0.02 * c)), (c - 1) // 2)
    allowed = np.zeros(c, dtype=bool)
    allowed[k : c - k] = True
    if energy_range is not None:
        allowed &= (energy >= energy_range[0]) & (energy <= energy_range[1])
        if not allowed.any():
            raise ValueError(
                f"no channel lies inside e0_range={tuple(energy_range)} away from "
                f"the ends of the energy axis ({energy[0]:g} to {energy[-1]:g})."
            )
    D = np.where(allowed, D, -np.inf)
    return np.argmax(D, axis=1), D


def _refine_peak(D, idx, energy):
    """Vertex of the parabola through the maximum and its two neighbours.

    Gives the position of a derivative maximum between grid points; falls
    back to the grid point at the ends or where the three points are not a
    peak.
    """
    c = energy.size
    e = energy[idx].astype(np.float64)
    inner = (idx > 0) & (idx < c - 1)
    if not inner.any():
        return e
    rows = np.flatnonzero(inner)
    i = idx[rows]
    x0, x1, x2 = energy[i - 1], energy[i], energy[i + 1]
    y0, y1, y2 = D[rows, i - 1], D[rows, i], D[rows, i + 1]
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        # derivative of the Lagrange parabola set to zero
        num = (x1 - x0) ** 2 * (y1 - y2) - (x1 - x2) ** 2 * (y1 - y0)
        den = (x1 - x0) * (y1 - y2) - (x1 - x2) * (y1 - y0)
        vertex = x1 - 0.5 * num / den
    ok = np.isfinite(vertex) & (den != 0) & (vertex >= x0) & (vertex <= x2)
    e[rows] = np.where(ok, vertex, x1)
    return e


def _half_height_energy(X, energy, level=0.5):
    """Energy where each row first reaches ``level``, for normalised spectra.

    Linear interpolation between the two channels that bracket the level.
    A row that never reaches it raises a ValueError naming it.
    """
    above = X >= level
    reached = above.any(axis=1)
    if not reached.all():
        i = int(np.flatnonzero(~reached)[0])
        raise ValueError(
            f"spectrum {i} never reaches {level:g} (its maximum is "
            f"{X[i].max():g}); the half-height edge needs edge-step normalised "
            "spectra (put XANESNormalizer first)."
        )
    j = np.argmax(above, axis=1)  # first channel at or above the level
    jm = np.maximum(j - 1, 0)
    rows = np.arange(X.shape[0])
    y0, y1 = X[rows, jm], X[rows, j]
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(y1 != y0, (level - y0) / (y1 - y0), 1.0)
    t = np.clip(t, 0.0, 1.0)
    return energy[jm] + t * (energy[j] - energy[jm])
