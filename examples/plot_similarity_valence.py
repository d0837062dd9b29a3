"""
Valence from the most similar reference spectra
===============================================

:class:`~skspectra.neighbors.SimilarityKNNEstimator` estimates material
parameters from the reference spectra most similar to a measured one
(Suzuki et al., 2019). A library of synthetic L2,3-edge spectra with known
valence and crystal-field splitting, as in the paper, is searched with noisy
queries under several spectral distances; the library is then drawn as a 2-D
similarity map with the queries placed among the references.
"""

# %%
import numpy as np

from skspectra.datasets import make_xanes_series
from skspectra.neighbors import SimilarityKNNEstimator
from skspectra.plotting import plot_similarity_map

library = make_xanes_series(3000, 200, edge="L23", random_state=0)
# counting noise (Poisson) keeps the spectra non-negative, as distribution
# distances such as the Wasserstein distance require
queries = make_xanes_series(300, 200, edge="L23", counts=400, random_state=1)
for metric in ["euclidean", "cosine", "pearson", "wasserstein"]:
    knn = SimilarityKNNEstimator(
        n_neighbors=10, metric=metric, weights="distance", energy=library.energy
    )
    pred = knn.fit(library.data, library.target).predict(queries.data)
    mae = np.abs(pred - queries.target).mean(axis=0)
    print(f"{metric:>12}: valence MAE {mae[0]:.3f}, crystal field MAE {mae[1]:.3f} eV")

# %%
fig = plot_similarity_map(
    library.data[:400],
    library.target[:400, 0],
    metric="cosine",
    query=queries.data[:5],
    random_state=0,
)
