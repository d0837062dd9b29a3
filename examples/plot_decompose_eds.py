"""
Components, maps and their number in an EDS spectrum image
==========================================================

:class:`~skspectra.decomposition.PoissonNMF` factorises a spectrum image of
X-ray counts into component spectra and abundance maps, and automatic
relevance determination (ARD) learns how many components there are. On the
measured SEM-EDS image of a multiphase mineral (when the shared data folder
is present) the components separate a silicate, a Ca–P phase and a Ti–Fe
phase; otherwise a synthetic image with known truth is used.
"""

# %%
import numpy as np

from skspectra.datasets import find_data_dir, make_spectrum_image
from skspectra.decomposition import PoissonNMF
from skspectra.plotting import plot_components

data_dir = find_data_dir()
if data_dir is not None and (data_dir / "eds_sem_si_30x30.npz").exists():
    with np.load(data_dir / "eds_sem_si_30x30.npz") as npz:
        image, energy = npz["X"], npz["energy_keV"]
    keep = (energy > 0.2) & (energy < 10.0)  # drop the zero peak and the tail
    image, energy, label = image[..., keep], energy[keep], "energy (keV)"
else:
    image, truth = make_spectrum_image(
        4, shape=(32, 32), n_channels=256, counts_per_pixel=300, random_state=0
    )
    energy, label = truth.energy, "energy"

# %%
# Start from an upper bound of 8 components and let ARD prune the rest.
nmf = PoissonNMF(n_components=8, ard=True, max_iter=200, energy=energy, random_state=0)
nmf.fit_image(image)
print(f"{nmf.n_components_} components in {nmf.n_iter_} iterations")

# %%
fig = plot_components(nmf.components_, nmf.maps_, energy=energy, energy_label=label)
