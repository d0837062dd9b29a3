"""
Properties from noisy spectra with a noise-trained network
==========================================================

:class:`~skspectra.neural_network.SpectrumPropertyRegressor` learns a
material property from spectra with fresh noise drawn for every epoch, and
predicts it with an uncertainty from the spread of its ensemble. Here it
learns the oxidation state from the measured K-edge XANES references of the
shared data folder (Mn, Fe, V, Cr, Cu, normalised about their tabulated
edges), and predicts each compound from networks that never saw it (five
folds over the compounds). Without the data folder, synthetic L2,3-edge
spectra with known valence and crystal-field splitting are used.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.model_selection import GroupKFold

from skspectra.datasets import find_data_dir, load_k_edge_references, make_xanes_series
from skspectra.demo import NORMALIZATION_RANGE
from skspectra.neural_network import SpectrumPropertyRegressor

data_dir = find_data_dir()
measured = data_dir is not None and (data_dir / "xanes" / "labels.csv").exists()

if measured:
    parts = [
        load_k_edge_references(
            data_dir, element=el, herfd=True, normalization_range=NORMALIZATION_RANGE
        )
        for el in ["Mn", "Fe", "V", "Cr", "Cu"]
    ]
    X = np.vstack([p.X for p in parts])
    y = np.concatenate([p.target for p in parts])[:, None]
    compounds = np.concatenate([[f"{c}" for c in p.compound] for p in parts])
    names = ["oxidation state"]
    mean, std = np.zeros_like(y), np.zeros_like(y)
    for train, test in GroupKFold(5).split(X, y, compounds):
        model = SpectrumPropertyRegressor(
            hidden_layer_sizes=(32,),
            n_estimators=5,
            max_iter=1000,
            noise_snr=(30, 300),
            random_state=0,
        ).fit(X[train], y[train].ravel())
        m, s = model.predict(X[test], return_std=True)
        mean[test, 0], std[test, 0] = np.ravel(m), np.ravel(s)
    mae = np.abs(mean - y).mean()
    print(
        f"{len(y)} measured spectra of {len(set(compounds))} compounds: oxidation "
        f"state MAE {mae:.2f} from other compounds (predicting the mean: "
        f"{np.abs(y - y.mean()).mean():.2f})"
    )
    true = y
else:
    train = make_xanes_series(3000, 200, edge="L23", random_state=0)
    test = make_xanes_series(300, 200, edge="L23", noise=20, random_state=1)
    model = SpectrumPropertyRegressor(
        hidden_layer_sizes=(64, 32),
        n_estimators=3,
        max_iter=60,
        noise_snr=(10, 100),
        random_state=0,
    )
    model.fit(train.data, train.target)
    mean, std = model.predict(test.data, return_std=True)
    print(f"R2 on noisy spectra: {model.score(test.data, test.target):.3f}")
    true, names = test.target, ["valence", "crystal field (eV)"]

# %%
fig, axes = plt.subplots(
    1, len(names), figsize=(4.2 * len(names), 3.8), layout="constrained", squeeze=False
)
for j, name in enumerate(names):
    ax = axes[0, j]
    ax.errorbar(true[:, j], mean[:, j], yerr=std[:, j], fmt=".", ms=4, alpha=0.6)
    lo, hi = true[:, j].min(), true[:, j].max()
    ax.plot([lo, hi], [lo, hi], "k--", lw=0.8)
    ax.set_xlabel(f"nominal {name}" if measured else f"true {name}")
    ax.set_ylabel(f"predicted {name}")
fig.suptitle(
    "measured K-edge XANES, compounds left out" if measured else "synthetic spectra"
)
