"""The one Euclidean kernel: product form, corrected for cancellation."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.spatial.distance import cdist

from skspectra.metrics import get_metric
from skspectra.utils._euclidean import (
    euclidean_block,
    euclidean_distances,
    expanded_sq_distances,
    squared_norms,
)


@given(data=st.data(), offset=st.floats(-1e8, 1e8))
def test_equals_the_differences_even_far_from_the_origin(data, offset):
    # an offset common to both sets multiplies the norms, not the distances:
    # without the correction the relative error grows with it
    d = data.draw(st.integers(1, 7))
    values = st.floats(-1e3, 1e3)
    A = data.draw(
        arrays(np.float64, (data.draw(st.integers(1, 12)), d), elements=values)
    )
    B = data.draw(
        arrays(np.float64, (data.draw(st.integers(1, 9)), d), elements=values)
    )
    A, B = A + offset, B + offset
    # the differences of the same (rounded) rows, computed directly
    expected = cdist(A, B)
    D = euclidean_distances(A, B)
    scale = np.abs(np.concatenate([A, B])).max() + 1.0
    np.testing.assert_allclose(D, expected, rtol=1e-9, atol=1e-14 * scale)


def test_close_pairs_are_recomputed():
    rng = np.random.default_rng(1)
    A = 1e5 + rng.standard_normal((20, 50))
    B = A + 1e-7 * rng.standard_normal(A.shape)
    c = 0.5 * (A.mean(axis=0) + B.mean(axis=0))
    Ac, Bc = A - c, B - c
    D = euclidean_block(Ac, Bc, squared_norms(Ac), squared_norms(Bc))
    np.testing.assert_allclose(np.diag(D), np.linalg.norm(A - B, axis=1), rtol=1e-8)
    # the raw expansion on the same data is far off: the correction matters
    raw = expanded_sq_distances(A, B, squared_norms(A), squared_norms(B))
    assert np.max(np.abs(np.sqrt(np.abs(np.diag(raw))) / np.diag(D) - 1)) > 1e-2


def test_symmetric_matrix_is_exactly_symmetric_with_zero_diagonal():
    rng = np.random.default_rng(2)
    A = rng.random((300, 20))
    D = euclidean_distances(A)
    np.testing.assert_array_equal(D, D.T)
    np.testing.assert_array_equal(np.diag(D), 0.0)
    np.testing.assert_allclose(D, cdist(A, A), atol=1e-12)


def test_metric_pairwise_uses_the_corrected_kernel():
    rng = np.random.default_rng(3)
    X = 1e7 + rng.random((10, 40))
    D = get_metric("euclidean").pairwise(X[:4], X)
    np.testing.assert_allclose(D, cdist(X[:4], X), rtol=1e-9, atol=1e-9)
