"""Locating absorption edges: derivative maximum and half height."""

import numpy as np
from scipy import sparse


def _smoothing_matrix(energy, sigma):
    """Sparse row-normalised Gaussian smoothing operator on a (non-uniform) grid.

    ``D @ S.T`` smooths each row of ``D`` with a Gaussian of standard
    deviation ``sigma`` (energy units), truncated at 4 sigma.
    """
    c = energy.size
    if sigma <= 0 or c < 2:
        return sparse.identity(c, format="csr")
    lo = np.searchsorted(energy, energy - 4 * sigma, side="left")
    hi = np.searchsorted(energy, energy + 4 * sigma, side="right")
    counts = hi - lo
    rows = np.repeat(np.arange(c), counts)
    starts = np.repeat(lo - np.concatenate(([0], np.cumsum(counts)[:-1])), counts)
    cols = np.arange(rows.size) + starts
    weights = np.exp(-0.5 * ((energy[rows] - energy[cols]) / sigma) ** 2)
    S = sparse.csr_matrix((weights, (rows, cols)), shape=(c, c))
    norm = np.asarray(S.sum(axis=1)).ravel()
    return sparse.diags(1.0 / norm) @ S


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
    D = np.asarray(_smoothing_matrix(energy, sigma) @ D.T).T
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
