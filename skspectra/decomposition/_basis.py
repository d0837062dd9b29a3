"""Component spectra held to the cone of given spectra (``spectral_basis``).

The solver's ``H`` then holds the coefficients of the components on the
rows of the basis; these helpers check a basis and bring starting spectra
onto its cone.
"""

import numpy as np


def unit_sum_spectra(spectra, n_features, name, rows):
    """``spectra`` as a 2-D float array with rows of unit sum, checked.

    ``name`` is the parameter the spectra came from and ``rows`` what its
    rows are called in the expected shape, for the error messages.
    """
    S = np.asarray(spectra, dtype=np.float64)
    if S.ndim == 1:
        S = S[None, :]
    if S.ndim != 2 or S.shape[1] != n_features:
        raise ValueError(
            f"{name} must have shape ({rows}, {n_features}) to match the "
            f"channels of X; got {S.shape}."
        )
    if not np.all(np.isfinite(S)):
        raise ValueError(f"{name} contains NaN or infinite values.")
    if np.any(S < 0):
        raise ValueError(f"{name} must be non-negative spectra.")
    sums = S.sum(axis=1)
    if np.any(sums <= 0):
        raise ValueError(
            f"{name} row {int(np.argmax(sums <= 0))} is zero everywhere (an "
            "all-zero spectrum)."
        )
    return S / sums[:, None]


def check_spectral_basis(basis, n_features, fixed=None):
    """The solver's basis: the rows of ``basis`` scaled to unit sum, after
    the (unit-sum) fixed spectra, or None when ``basis`` is None.

    A fixed component is the coefficient one on its own row, and the learned
    components start with zero coefficients on those rows, which the
    multiplicative updates keep at zero: the learned spectra stay in the cone
    of ``basis``.
    """
    if basis is None:
        return None
    G = unit_sum_spectra(basis, n_features, "spectral_basis", "n_basis")
    return G if fixed is None else np.vstack([fixed, G])


# multiplicative sweeps that bring a starting spectrum onto the cone of the
# basis: the coefficients of the KL-nearest combination to about a percent,
# at a cost of K x n_basis x n_channels per sweep
_PROJECTION_SWEEPS = 50
# the smallest starting coefficient, relative to an even share of the sum: a
# coefficient that starts at zero would stay there
_COEF_FLOOR = 1e-3


def coefficients_on(H, basis, n_fixed):
    """Coefficients ``C >= 0`` with ``C @ basis`` near the spectra ``H``.

    The first ``n_fixed`` rows of ``basis`` are the fixed spectra, which are
    the first ``n_fixed`` rows of ``H``: each takes its own row with the
    coefficient of its sum.  The other rows of ``H`` are combinations of the
    remaining rows of ``basis``, fitted under the Kullback-Leibler divergence
    by multiplicative updates (Lee & Seung, 2001) from equal positive
    coefficients, so that none starts at zero (where the updates of the fit
    would keep it, and none ends below a thousandth of an even share); every
    update keeps the row sums of ``H``.
    """
    H = np.asarray(H, dtype=np.float64)
    K, P = H.shape[0], basis.shape[0]
    C = np.zeros((K, P))
    sums = H.sum(axis=1)
    C[np.arange(n_fixed), np.arange(n_fixed)] = sums[:n_fixed]
    G = basis[n_fixed:]
    learned = np.maximum(sums[n_fixed:], np.finfo(np.float64).tiny)
    Cl = np.repeat(learned[:, None] / G.shape[0], G.shape[0], axis=1)
    target = H[n_fixed:]
    for _ in range(_PROJECTION_SWEEPS):
        model = np.maximum(Cl @ G, np.finfo(np.float64).tiny)
        Cl *= (target / model) @ G.T
    C[n_fixed:, n_fixed:] = np.maximum(Cl, _COEF_FLOOR * learned[:, None] / G.shape[0])
    return C
