"""Block-wise condensed distance matrices equal SciPy's pdist."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.spatial.distance import cdist, pdist, squareform

from skspectra.tree import _distances
from skspectra.tree._distances import (
    condensed_euclidean,
    condensed_from_pairwise,
    condensed_index,
    medoids_from_condensed,
)


@pytest.fixture(params=[1 << 22, 7], ids=["one block", "many blocks"])
def block_entries(request, monkeypatch):
    monkeypatch.setattr(_distances, "_BLOCK_ENTRIES", request.param)
    return request.param


@given(
    arrays(
        np.float64,
        st.tuples(st.integers(2, 15), st.integers(1, 6)),
        elements=st.floats(-1e3, 1e3),
    )
)
def test_condensed_euclidean_equals_pdist(Y):
    for entries in (1 << 22, 5):
        _distances._BLOCK_ENTRIES = entries
        try:
            d = condensed_euclidean(Y)
        finally:
            _distances._BLOCK_ENTRIES = 1 << 22
        expected = pdist(Y)
        scale = max(1.0, np.abs(Y).max())
        # the BLAS expansion loses about sqrt(eps) * scale near zero distance
        np.testing.assert_allclose(d, expected, rtol=1e-7, atol=1e-6 * scale)


def test_condensed_from_pairwise_is_symmetric_and_ordered(block_entries):
    rng = np.random.RandomState(0)
    Y = rng.uniform(size=(23, 4))
    d = condensed_from_pairwise(Y, lambda A, B: cdist(A, B, "cityblock"))
    np.testing.assert_allclose(d, pdist(Y, "cityblock"), rtol=1e-12)


@given(st.integers(2, 30), st.data())
def test_condensed_index_matches_squareform(n, data):
    i = data.draw(st.integers(0, n - 1))
    j = data.draw(st.integers(0, n - 1).filter(lambda j: j != i))
    d = np.arange(n * (n - 1) // 2, dtype=float)
    assert squareform(d)[i, j] == d[condensed_index(n, i, j)]


@given(
    arrays(np.float64, (14, 3), elements=st.floats(-5, 5)),
    arrays(np.intp, 14, elements=st.integers(0, 3)),
)
def test_medoids_equal_brute_force(Y, labels):
    labels = np.unique(labels, return_inverse=True)[1]
    k = labels.max() + 1
    D = squareform(pdist(Y))
    for entries in (1 << 22, 3):
        _distances._BLOCK_ENTRIES = entries
        try:
            medoids = medoids_from_condensed(pdist(Y), 14, labels, k)
        finally:
            _distances._BLOCK_ENTRIES = 1 << 22
        for c in range(k):
            members = np.flatnonzero(labels == c)
            sums = D[np.ix_(members, members)].sum(axis=1)
            assert medoids[c] in members
            got = sums[members == medoids[c]][0]
            assert got <= sums.min() + 1e-9 * max(1.0, sums.min())


def test_condensed_euclidean_is_free_of_cancellation():
    # spectra far from the origin and close to each other: the expansion
    # alone would lose every digit; the shared kernel recomputes such pairs
    rng = np.random.default_rng(0)
    Y = 1e6 + rng.standard_normal((40, 30)) * 1e-3
    Y[5] = Y[17] + 1e-9
    np.testing.assert_allclose(condensed_euclidean(Y), pdist(Y), rtol=1e-9)
