"""
Components, maps and their number in an EDS spectrum image
==========================================================

:class:`~skspectra.decomposition.PoissonNMF` factorises a spectrum image of
X-ray counts into component spectra and abundance maps, and automatic
relevance determination (ARD) learns how many components there are. On the
measured SEM-EDS image of a multiphase mineral (``eds_sem_si_30x30.npz`` of
the shared data folder) the components separate a silicate, a Ca–P phase and
a Ti–Fe phase, and :func:`~skspectra.peaks.identify_lines` names the X-ray
lines of each from the file's element list (with ``xraydb``, the ``lines``
extra). Without the data folder a synthetic image with known truth is used.
"""

# %%
import numpy as np

from skspectra.datasets import find_data_dir, make_spectrum_image
from skspectra.decomposition import PoissonNMF
from skspectra.io import read_file
from skspectra.plotting import plot_components

data_dir = find_data_dir()
path = data_dir / "eds_sem_si_30x30.npz" if data_dir is not None else None
if path is not None and path.exists():
    energy, image, header = read_file(path)
    keep = (energy > 0.2) & (energy < 10.0)  # drop the zero peak and the tail
    image, energy = image[..., keep].astype(np.float64), energy[keep]
    elements, label, name = header["arrays"]["elements"], "energy (keV)", path.name
else:
    image, truth = make_spectrum_image(
        4, shape=(32, 32), n_channels=256, counts_per_pixel=300, random_state=0
    )
    energy, elements, label, name = truth.energy, None, "channel", "synthetic image"

# %%
# Start from an upper bound of 8 components and let ARD prune the rest; the
# soft orthogonality penalty keeps the maps of different phases apart.
nmf = PoissonNMF(
    n_components=8, ard=True, orthogonality=30.0, max_iter=200, random_state=0
)
nmf.fit_image(image)
print(f"{name}: {nmf.n_components_} components in {nmf.n_iter_} iterations")

# %%
# The strongest peaks of each component, named by the X-ray lines of the
# file's elements that lie within the detector resolution of them.
lines = None
if elements is not None:
    try:
        from skspectra.peaks import identify_lines

        lines = []
        for i, component in enumerate(nmf.components_):
            peaks = identify_lines(
                component, energy, units="keV", elements=elements, n_peaks=5
            )
            lines.append([p for p in peaks if p.lines])
            named = ", ".join(f"{p.lines[0]} {p.energy:.3f}" for p in lines[-1])
            print(f"component {i}: {named} keV")
    except ImportError as exc:  # xraydb is optional
        print(exc)
        lines = None

# %%
fig = plot_components(
    nmf.components_,
    nmf.maps_,
    energy=energy,
    energy_label=label,
    lines=lines,
    map_label="counts per pixel",
    title=f"{name}: PoissonNMF with ARD",
)
