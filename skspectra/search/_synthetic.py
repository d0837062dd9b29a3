"""Synthetic search problems with a known answer, for tests and examples."""

import numpy as np
from sklearn.utils import check_random_state

from skspectra.search._base import check_positive_int

# shape of the grain-boundary landscape, in fractional translations: the
# smooth part has basins of depth ~1, and the narrow well (deeper than any
# basin) sits on the flank of the deepest basin, as a reconstructed boundary
# structure sits near, not at, the minimum of a smooth interaction model
_BASIN = (0.30, 0.55)  # (tx, ty) of the deepest smooth basin
_WELL = (0.40, 0.47, 0.62)  # (tx, ty, tz) of the narrow well of task 0
_WELL_DEPTH = 1.2
_WELL_WIDTH = 0.06
_TASK_SHIFT = 0.045  # how far the well moves from one task to the next


def _periodic(d):
    return d - np.round(d)


def make_grain_boundary_landscape(shape=(24, 24, 9), *, task=0):
    """Make the energies of rigid-body translations of a synthetic grain boundary.

    The candidates are the translations ``(tx, ty, tz)`` on a grid:
    ``tx, ty`` in ``[0, 1)`` (fractions of the boundary's periodic cell) and
    ``tz`` in ``[0, 1]`` (the expansion normal to the boundary).  The energy
    is periodic in ``tx, ty``, quadratic in ``tz``, with two smooth basins and
    a narrow deep well -- the global minimum -- beside the deeper basin.
    Related tasks (``task = 1, 2, ...``, e.g. neighbouring misorientations)
    move the well and the ``tz`` optimum slightly and rescale the smooth part
    by a few per cent.

    Parameters
    ----------
    shape : tuple of 3 ints, default=(24, 24, 9)
        Grid points along ``tx``, ``ty`` and ``tz``.
    task : int, default=0
        Which member of the family of related landscapes.

    Returns
    -------
    candidates : ndarray of shape (prod(shape), 3)
        The translations.
    energies : ndarray of shape (prod(shape),)
        Their energies (arbitrary units); the minimum is unique.

    Examples
    --------
    >>> from skspectra.search import make_grain_boundary_landscape
    >>> X, E = make_grain_boundary_landscape((12, 12, 5))
    >>> X.shape, int(E.argmin()) == int(E.argmin())
    ((720, 3), True)
    """
    if len(shape) != 3:
        raise ValueError(f"shape must give 3 grid sizes; got {shape!r}.")
    nx, ny, nz = (check_positive_int(n, "shape entries", minimum=2) for n in shape)
    task = check_positive_int(task, "task", minimum=0)
    tx, ty, tz = np.meshgrid(
        np.arange(nx) / nx, np.arange(ny) / ny, np.linspace(0, 1, nz), indexing="ij"
    )
    X = np.column_stack([tx.ravel(), ty.ravel(), tz.ravel()])
    scale = 1.0 + 0.03 * np.sin(1.7 * task)
    z_opt = 0.55 + 0.02 * np.sin(0.9 * task)
    dx, dy = _periodic(X[:, 0] - _BASIN[0]), _periodic(X[:, 1] - _BASIN[1])
    smooth = (
        1.0
        - 0.55 * np.cos(2 * np.pi * dx) * np.cos(2 * np.pi * dy)
        - 0.35 * np.cos(4 * np.pi * dx + 0.3) * np.cos(2 * np.pi * dy + 0.2)
    )
    energy = scale * smooth + 1.5 * (X[:, 2] - z_opt) ** 2
    shift = _TASK_SHIFT * np.sqrt(task)
    wx = _WELL[0] + shift * np.cos(0.8 * task)
    wy = _WELL[1] + shift * np.sin(0.8 * task)
    wz = _WELL[2] + 0.03 * np.sin(1.3 * task)
    d2 = (
        _periodic(X[:, 0] - wx) ** 2
        + _periodic(X[:, 1] - wy) ** 2
        + ((X[:, 2] - wz) / 2.0) ** 2
    )
    energy -= _WELL_DEPTH * np.exp(-0.5 * d2 / _WELL_WIDTH**2)
    return X, energy


def make_segregation_model(
    n_sites=36, *, n_strong=4, repulsion=0.5, cutoff=0.35, random_state=None
):
    """Site energies and pair repulsions of solutes at a synthetic boundary.

    Sites lie in the boundary plane (a periodic unit square); most have a
    segregation energy near zero, ``n_strong`` random ones a strongly
    negative one, and two solutes closer than ``cutoff`` repel.  The energy
    of a configuration (a set of occupied sites) is the sum of its site
    energies and pair repulsions.

    Parameters
    ----------
    n_sites : int, default=36
        Number of sites.
    n_strong : int, default=4
        Sites with a strong segregation tendency.
    repulsion : float, default=0.5
        Energy of two solutes at zero distance, decaying linearly to zero at
        ``cutoff``.
    cutoff : float, default=0.35
        Range of the repulsion, in units of the cell.
    random_state : int, RandomState instance or None, default=None
        Seeds the sites and their energies.

    Returns
    -------
    site_energy : ndarray of shape (n_sites,)
        Energy of one solute on each site.
    pair_energy : ndarray of shape (n_sites, n_sites)
        Symmetric, zero diagonal.

    Examples
    --------
    >>> from skspectra.search import make_segregation_model
    >>> site, pair = make_segregation_model(10, random_state=0)
    >>> site.shape, pair.shape, bool((pair == pair.T).all())
    ((10,), (10, 10), True)
    """
    n_sites = check_positive_int(n_sites, "n_sites")
    rng = check_random_state(random_state)
    xy = rng.uniform(0, 1, (n_sites, 2))
    site = rng.normal(0.0, 0.15, n_sites)
    strong = rng.choice(n_sites, size=min(n_strong, n_sites), replace=False)
    site[strong] -= rng.uniform(0.6, 1.0, strong.size)
    d = np.sqrt((_periodic(xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2))
    pair = repulsion * np.clip(1.0 - d / cutoff, 0.0, None)
    np.fill_diagonal(pair, 0.0)
    return site, pair
