"""Small batched least-squares pieces shared by the peak and edge models.

Every function works on a batch of spectra at once, in channel units.
"""

import numpy as np


def _spd_inverse(A):
    """Inverse of a batch of symmetric positive (semi)definite matrices."""
    try:
        return np.linalg.inv(A)
    except np.linalg.LinAlgError:
        return np.linalg.pinv(A, hermitian=True)


def _unit_diagonal(A):
    """A batch of normal matrices scaled to unit diagonal, and the scale.

    ``A = D As D`` with ``D = diag(dg)``; solving with ``As`` is far better
    conditioned when the parameters have very different units.
    """
    dg = np.sqrt(np.abs(np.diagonal(A, axis1=1, axis2=2)))
    dg = np.where(dg > 0, dg, 1.0)
    return A / dg[:, :, None] / dg[:, None, :], dg


def _scaled_solve(A, rhs):
    """``A step = rhs`` for a batch, solved on the unit-diagonal scaling."""
    As, dg = _unit_diagonal(A)
    return np.linalg.solve(As, (rhs / dg)[..., None])[..., 0] / dg


def _robust_solve(A, rhs):
    """``A step = rhs`` as :func:`_scaled_solve`, by pseudo-inverse if singular.

    A singular batch member (two candidate peaks on top of each other) gets
    the minimum-norm solution instead of stopping the whole batch.
    """
    try:
        return _scaled_solve(A, rhs)
    except np.linalg.LinAlgError:
        As, dg = _unit_diagonal(A)
        pinv = np.linalg.pinv(As, hermitian=True)
        return (pinv @ (rhs / dg)[..., None])[..., 0] / dg
