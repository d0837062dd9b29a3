"""
Grain-boundary structure by kriging, with transfer learning
===========================================================

The stable structure of a grain boundary is the rigid-body translation of
one grain against the other with the lowest energy. Each energy is a
first-principles calculation, so the search should need as few as possible:
:class:`~skspectra.search.KrigingSearch` fits a Gaussian process to the
energies computed so far and computes next the translation of largest
expected improvement (Kiyohara et al., 2016). A related boundary then starts
from what the first one taught, through ``prior_tasks`` (Oda et al., 2017).

The energy landscape here is synthetic, so the answer is known: periodic in
the two in-plane translations, quadratic in the expansion normal to the
boundary, with a narrow deep well beside the deepest smooth basin.
"""

# %%
# Searching one boundary
# ----------------------
import matplotlib.pyplot as plt
import numpy as np

from skspectra.search import KrigingSearch, make_grain_boundary_landscape

shape = (24, 24, 9)
X, E = make_grain_boundary_landscape(shape, task=0)
lookup = {tuple(x): e for x, e in zip(X, E, strict=True)}


def energy(translation):
    """Stands in for a first-principles calculation of one structure."""
    return lookup[tuple(translation)]


search = KrigingSearch(X, n_initial=8, random_state=0)
search.run(energy, 50, progress=False)
trials = [h["item"] for h in search.history_]
found = trials.index(int(E.argmin())) + 1
print(f"{E.size} candidates; global minimum found at trial {found}")
print(f"best translation {X[search.best_index_]}, energy {search.best_value_:.3f}")

# %%
# Where the search looked: the energy in the plane of the best expansion,
# with the translations evaluated at any expansion.
tz_best = X[search.best_index_, 2]
plane = np.isclose(X[:, 2], tz_best)
fig, ax = plt.subplots(figsize=(5, 4.2))
image = ax.tricontourf(X[plane, 0], X[plane, 1], E[plane], levels=20, cmap="viridis")
ax.plot(X[trials, 0], X[trials, 1], "w.", ms=5, label="evaluated")
ax.plot(*X[search.best_index_, :2], "r*", ms=14, label="best")
ax.set(xlabel="$t_x$ (cell fraction)", ylabel="$t_y$ (cell fraction)")
ax.legend(loc="upper right", fontsize=8)
fig.colorbar(image, label="energy")

# %%
# A related boundary, with and without transfer
# ---------------------------------------------
# The next boundary of the series has its well moved a little. Its search
# uses the energies computed for the first one as ``prior_tasks``: their
# Gaussian process is the prior mean, and its hyperparameters the start.
X1, E1 = make_grain_boundary_landscape(shape, task=1)
lookup1 = {tuple(x): e for x, e in zip(X1, E1, strict=True)}
previous = (X[trials], E[trials])


def best_so_far(search):
    values = [h["value"] for h in search.history_]
    return np.minimum.accumulate(values)


plain = KrigingSearch(X1, n_initial=8, random_state=0)
plain.run(lambda x: lookup1[tuple(x)], 50, progress=False)
transfer = KrigingSearch(X1, n_initial=2, prior_tasks=[previous], random_state=0)
transfer.run(lambda x: lookup1[tuple(x)], 50, progress=False)

fig, ax = plt.subplots(figsize=(5, 3.5))
ax.step(np.arange(1, 51), best_so_far(plain), where="post", label="kriging")
ax.step(
    np.arange(1, 51), best_so_far(transfer), where="post", label="kriging + transfer"
)
ax.axhline(E1.min(), color="k", ls=":", label="global minimum")
ax.set(xlabel="energy calculations", ylabel="lowest energy so far")
ax.legend()
