"""
Properties from noisy spectra with a noise-trained network
==========================================================

:class:`~skspectra.neural_network.SpectrumPropertyRegressor` learns valence
and crystal-field splitting from clean synthetic L2,3-edge spectra (whose
white lines the crystal field splits), with fresh noise drawn for every
epoch, and predicts them on noisy spectra with an uncertainty from the
ensemble spread.
"""

# %%
import matplotlib.pyplot as plt

from skspectra.datasets import make_xanes_series
from skspectra.neural_network import SpectrumPropertyRegressor

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

# %%
fig, axes = plt.subplots(1, 2, figsize=(8, 3.5), layout="constrained")
for j, name in enumerate(["valence", "crystal field (eV)"]):
    axes[j].errorbar(
        test.target[:, j], mean[:, j], yerr=std[:, j], fmt=".", ms=3, alpha=0.5
    )
    lo, hi = test.target[:, j].min(), test.target[:, j].max()
    axes[j].plot([lo, hi], [lo, hi], "k--", lw=0.8)
    axes[j].set_xlabel(f"true {name}")
    axes[j].set_ylabel(f"predicted {name}")
