"""
Structure parameters from a measured spectrum
=============================================

The same search finds the structure whose simulated spectrum best matches a
measured one: the objective is a spectral distance of
:mod:`skspectra.metrics` between the two spectra after normalisation
(:func:`~skspectra.search.make_spectral_objective`), and
:class:`~skspectra.search.KrigingSearch` chooses which candidate structure to
simulate next.

Here a toy simulator stands in for a first-principles calculation: a
transition-metal L\\ :sub:`3` edge whose two crystal-field peaks split by
``10Dq`` and shift with the metal-oxygen bond length. The "measured" spectrum
is that of one candidate with Poisson noise.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np

from skspectra.preprocessing import add_poisson_noise
from skspectra.search import KrigingSearch, make_spectral_objective

energy = np.linspace(450.0, 470.0, 400)


def simulate(params):
    """L3 edge of an octahedral site: t2g and eg peaks on an edge step."""
    bond, ten_dq = params
    onset = 458.0 - 4.0 * (bond - 2.0)  # shorter bonds: higher onset
    peaks = sum(
        h / (1 + ((energy - (onset + shift)) / 0.35) ** 2)
        for h, shift in ((1.0, 0.0), (0.8, ten_dq))
    )
    step = 0.3 / (1 + np.exp(-(energy - onset) / 0.5))
    return peaks + step


bonds, splittings = np.meshgrid(
    np.linspace(1.85, 2.15, 31), np.linspace(1.0, 3.0, 41), indexing="ij"
)
candidates = np.column_stack([bonds.ravel(), splittings.ravel()])
truth = candidates[700]
measured = add_poisson_noise(1000 * simulate(truth)[None, :], random_state=0)[0]

objective = make_spectral_objective(simulate, measured, metric="cosine", energy=energy)
search = KrigingSearch(candidates, n_initial=8, random_state=0)
search.run(objective, 30, progress=False)
best = candidates[search.best_index_]
print(f"{len(candidates)} candidate structures, 30 simulated")
print(f"true (bond, 10Dq) = {truth}, found {best}")

# %%
# The measured spectrum, the best match, and every evaluated candidate on the
# map of the objective (computed here for all candidates only to draw it).
fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.8))
norm = measured.sum()
left.plot(energy, measured / norm, color="0.6", label="measured")
left.plot(energy, simulate(best) / simulate(best).sum(), label="best match")
left.set(xlabel="energy loss (eV)", ylabel="intensity (unit area)")
left.legend()
every = np.array([objective(c) for c in candidates]).reshape(bonds.shape)
image = right.pcolormesh(bonds, splittings, np.log10(every), cmap="magma_r")
tried = [h["item"] for h in search.history_]
right.plot(candidates[tried, 0], candidates[tried, 1], "c.", label="simulated")
right.plot(*truth, "w*", ms=12, label="truth")
right.set(xlabel="bond length (Å)", ylabel="10Dq (eV)")
right.legend(fontsize=8)
fig.colorbar(image, ax=right, label="log10 cosine distance")
fig.tight_layout()
