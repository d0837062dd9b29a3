"""similarity_map: coordinates that respect the spectral distances."""

import numpy as np
import pytest

from skspectra.metrics import pairwise_spectral_distances
from skspectra.neighbors import similarity_map

ENERGY = np.linspace(0.0, 10.0, 60)
SHIFTS = np.linspace(2.0, 8.0, 15)
X = np.exp(-((ENERGY - SHIFTS[:, None]) ** 2)) + 0.01


@pytest.mark.parametrize("method", ["mds", "isomap", "tsne"])
def test_map_shapes_and_query_placement(method):
    res = similarity_map(
        X,
        SHIFTS,
        metric="wasserstein",
        energy=ENERGY,
        method=method,
        query=X[[4]] * 1.5,
        random_state=0,
    )
    assert res.embedding.shape == (15, 2)
    assert res.query_embedding.shape == (1, 2)
    assert res.distances.shape == (16, 16)
    # a scaled copy of a reference is at Wasserstein distance 0 from it
    nearest = np.argmin(np.linalg.norm(res.embedding - res.query_embedding, axis=1))
    assert abs(nearest - 4) <= 1


def test_mds_map_orders_shifted_peaks_along_a_line():
    # Wasserstein distances of shifted peaks are |shift differences|: a
    # 1-D metric, so MDS recovers the shifts up to sign and translation
    res = similarity_map(X, metric="wasserstein", energy=ENERGY, random_state=0)
    first = res.embedding[:, 0]
    r = np.corrcoef(first, SHIFTS)[0, 1]
    assert abs(r) > 0.99
    D = pairwise_spectral_distances(X, metric="wasserstein", energy=ENERGY)
    np.testing.assert_allclose(res.distances, D)
    assert res.target is None
    assert similarity_map(X, SHIFTS, random_state=0).target.tolist() == list(SHIFTS)


def test_bad_input():
    with pytest.raises(ValueError, match="method"):
        similarity_map(X, method="umap")
    with pytest.raises(ValueError, match="channels"):
        similarity_map(X, query=np.ones((1, 5)))
    with pytest.raises(ValueError, match="at least 3"):
        similarity_map(X[:2])
    with pytest.raises(ValueError, match="y has"):
        similarity_map(X, SHIFTS[:3])
    bad = X.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        similarity_map(bad)
