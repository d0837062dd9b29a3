"""
Maps of a low-dose EDS image beside its HAADF image
===================================================

The measured STEM-EDS image ``eds_tem_si_64x64.npz`` of the shared data
folder has about 6 counts per pixel over 2,048 channels: one pixel's
spectrum is almost all zeros, and NMF maps fitted pixel by pixel show the
counting noise, not the specimen.  The file also holds the HAADF image of
the same raster, an independent picture of the specimen against which the
maps can be judged: fit the HAADF image by least squares from the maps and
take the correlation.

``spatial_smoothness`` adds a graph-Laplacian prior on the maps over the
pixel grid (neighbouring pixels' counts per component should be alike);
``"auto"`` chooses its weight by the held-out likelihood of one half of the
counts, split binomially, under a fit to the other half.  Without the data
folder a synthetic low-dose image of grains is used, whose true maps are
known.
"""

# %%
import matplotlib.pyplot as plt

from skspectra.datasets import find_data_dir, make_grain_image
from skspectra.decomposition import PoissonNMF
from skspectra.demo import haadf_prediction, load_eds_tem

data_dir = find_data_dir()
path = data_dir / "eds_tem_si_64x64.npz" if data_dir is not None else None
if path is not None and path.exists():
    # channels below 0.15 keV (the detector's zero peak) are dropped
    image, energy, reference = load_eds_tem(path)
    name, ref_label = path.name, "HAADF"
else:
    image, truth = make_grain_image(
        3, shape=(64, 64), n_channels=256, counts_per_pixel=6, random_state=0
    )
    reference = truth.maps[..., 0]
    name, ref_label = "synthetic grains, 6 counts per pixel", "true map 0"
print(f"{name}: {image.sum(axis=-1).mean():.1f} counts per pixel")

# %%
# Three components with and without the spatial prior.
fits = {
    "PoissonNMF": PoissonNMF(3, ard=False, random_state=0),
    "spatial_smoothness='auto'": PoissonNMF(
        3, ard=False, spatial_smoothness="auto", random_state=0
    ),
}
maps = {label: est.fit_image(image).maps_ for label, est in fits.items()}
weight = fits["spatial_smoothness='auto'"].spatial_smoothness_
print(f"weight chosen: {weight:.3g}")
for label, m in maps.items():
    print(
        f"{label}: {ref_label} predicted from the maps, r = "
        f"{haadf_prediction(m, reference):.2f}"
    )

# %%
fig, axes = plt.subplots(2, 4, figsize=(11, 5.5), constrained_layout=True)
for row, (label, m) in zip(axes, maps.items(), strict=True):
    row[0].imshow(reference, cmap="gray")
    row[0].set_title(ref_label)
    for k, ax in enumerate(row[1:]):
        ax.imshow(m[..., k], cmap="viridis")
        ax.set_title(f"{label}\ncomponent {k}", fontsize=8)
    for ax in row:
        ax.set_axis_off()
fig.suptitle(f"{name}: abundance maps beside the {ref_label} image")
plt.show()
