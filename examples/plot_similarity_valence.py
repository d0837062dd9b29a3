"""
Valence from the most similar reference spectra
===============================================

:class:`~skspectra.neighbors.SimilarityKNNEstimator` estimates material
parameters from the reference spectra most similar to a measured one
(Suzuki et al., 2019). On the measured K-edge XANES references of the shared
data folder (Mn, Fe, V, Cr, Cu, each normalised to a unit edge step about
its tabulated edge), every compound in turn is left out of the library and
its oxidation state is estimated from the other compounds, under several
spectral distances; the Mn library is then drawn as a 2-D similarity map
with MnO2 placed among the others.  Without the data folder a synthetic
L2,3-edge library with known valence is searched with noisy queries.
"""

# %%
import numpy as np
from sklearn.model_selection import LeaveOneGroupOut, cross_val_predict

from skspectra.datasets import (
    find_data_dir,
    load_k_edge_references,
    make_xanes_series,
)
from skspectra.demo import NORMALIZATION_RANGE
from skspectra.neighbors import SimilarityKNNEstimator
from skspectra.plotting import plot_similarity_map

# distances of shape (the normalised measured spectra dip slightly below zero
# before the edge, where the distribution distances are not defined)
METRICS = ["euclidean", "cosine", "pearson", "spectral_angle", "derivative"]
data_dir = find_data_dir()
measured = data_dir is not None and (data_dir / "xanes" / "labels.csv").exists()

if measured:
    libraries = {
        element: load_k_edge_references(
            data_dir,
            element=element,
            herfd=True,
            normalization_range=NORMALIZATION_RANGE,
        )
        for element in ["Mn", "Fe", "V", "Cr", "Cu"]
    }
    for metric in METRICS:
        errors = []
        for data in libraries.values():
            knn = SimilarityKNNEstimator(
                n_neighbors=2,
                metric=metric,
                weights="distance",
                energy=data.edge_energy[0] + data.energy,
            )
            pred = cross_val_predict(
                knn, data.X, data.target, groups=data.compound, cv=LeaveOneGroupOut()
            )
            errors.append(np.abs(pred - data.target))
        errors = np.concatenate(errors)
        print(
            f"{metric:>14}: oxidation state from other compounds, MAE "
            f"{errors.mean():.2f} over {errors.size} measured spectra"
        )
else:
    library = make_xanes_series(3000, 200, edge="L23", random_state=0)
    queries = make_xanes_series(300, 200, edge="L23", counts=400, random_state=1)
    for metric in [*METRICS, "wasserstein"]:
        knn = SimilarityKNNEstimator(
            n_neighbors=10, metric=metric, weights="distance", energy=library.energy
        )
        pred = knn.fit(library.data, library.target).predict(queries.data)
        mae = np.abs(pred - queries.target).mean(axis=0)
        print(f"{metric:>14}: valence MAE {mae[0]:.3f}, crystal field {mae[1]:.3f} eV")

# %%
# The map: references coloured by their oxidation state, the query a star.
if measured:
    mn = libraries["Mn"]
    query = np.asarray(mn.compound) == "mno2"  # the three scans of MnO2
    fig = plot_similarity_map(
        mn.X[~query],
        mn.target[~query],
        metric="cosine",
        query=mn.X[query],
        y_label="Mn oxidation state",
        query_label="MnO2 (left out)",
        random_state=0,
    )
    fig.axes[0].set_title(f"{int((~query).sum())} measured Mn K-edge references")
else:
    fig = plot_similarity_map(
        library.data[:400],
        library.target[:400, 0],
        metric="cosine",
        query=queries.data[:5],
        y_label="valence",
        random_state=0,
    )
