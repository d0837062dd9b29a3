"""Measured K-edge XANES of reference compounds, on one grid per element.

Used by the demo and the tests of the similarity kNN: the spectra of the
shared data folder (see its README) are read with
:func:`skspectra.datasets.load_xanes_references`, interpolated
onto a grid around the element's tabulated K-edge energy (absolute energies,
so that the chemical shift of the edge with valence is kept), normalised to a
unit edge step with :class:`skspectra.preprocessing.XANESNormalizer`, and cut
to the near-edge region.
"""

import numpy as np

# tabulated K-edge energies of the elements (eV)
K_EDGE = {"V": 5465.0, "Cr": 5989.0, "Mn": 6539.0, "Fe": 7112.0, "Cu": 8979.0}

# interpolation grid for normalisation, and the near-edge window kept (eV,
# relative to the tabulated edge)
_NORM_WINDOW = (-18.0, 90.0)
_XANES_WINDOW = (-15.0, 45.0)
_STEP = 0.5


def load_k_edge_references(data_dir, element, *, herfd=False):
    """Normalised near-edge spectra of one element's reference compounds.

    Parameters
    ----------
    data_dir : path-like
        The shared data folder (with ``xanes/labels.csv``).
    element : {"V", "Cr", "Mn", "Fe", "Cu"}
        The absorbing element.
    herfd : bool, default=False
        Also take high-energy-resolution fluorescence scans.

    Returns
    -------
    X : ndarray of shape (n_spectra, n_channels)
        Edge-step normalised spectra from 15 eV below to 45 eV above the
        tabulated K edge, 0.5 eV apart.
    y : ndarray of shape (n_spectra,)
        Nominal oxidation states.
    compounds : ndarray of shape (n_spectra,)
        Compound names (groups for leave-one-compound-out).
    energy : ndarray of shape (n_channels,)
        The grid (eV).
    """
    from skspectra.datasets import load_xanes_references
    from skspectra.preprocessing import XANESNormalizer, resample_spectra

    data = load_xanes_references(data_dir, element=element)
    labels = data.labels
    e_k = K_EDGE[element]
    grid = np.arange(e_k + _NORM_WINDOW[0], e_k + _NORM_WINDOW[1] + 1e-9, _STEP)
    spectra, y, compounds = [], [], []
    for i, (energy, mu) in enumerate(zip(data.energies, data.spectra, strict=True)):
        edge = labels["edge"][i]
        if not np.isfinite(data.target[i]):
            continue
        if edge != "K" and not (herfd and edge == "K (HERFD)"):
            continue
        if energy[0] > grid[0] or energy[-1] < grid[-1]:
            continue
        spectra.append(resample_spectra(energy, [mu], grid)[0])
        y.append(float(data.target[i]))
        compounds.append(str(labels["compound"][i]).lower())
    norm = XANESNormalizer(energy=grid, e0_range=(e_k - 5.0, e_k + 25.0))
    X, kept = [], []
    for i, mu in enumerate(spectra):
        try:
            X.append(norm.fit_transform(mu[None])[0])
        except ValueError:
            # no edge step in the window (a calibration fault): left out
            continue
        kept.append(i)
    X = np.asarray(X)
    y = np.asarray(y)[kept]
    compounds = np.asarray(compounds)[kept]
    window = (grid >= e_k + _XANES_WINDOW[0] - 1e-9) & (
        grid <= e_k + _XANES_WINDOW[1] + 1e-9
    )
    return X[:, window], y, compounds, grid[window]
