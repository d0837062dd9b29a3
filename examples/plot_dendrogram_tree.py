"""
Interpreting spectra with a dendrogram and a decision tree
==========================================================

:class:`~skspectra.tree.SpectralDendrogramTree` clusters spectra
hierarchically and explains the clusters by a decision tree on structural
descriptors (Kiyohara et al., 2018). Here the spectra are the measured XANES
references of the shared data folder (K and L3 edges of nine elements, each
normalised to a unit edge step on a grid relative to its own edge energy),
and the descriptors come from each compound's formula: absorbing element,
oxidation state, ligand. Without the data folder, synthetic spectra made by
a planted rule over three descriptors are used, and the tree recovers the
rule.
"""

# %%
from skspectra.datasets import find_data_dir, make_descriptor_spectra
from skspectra.demo import RELATIVE_ENERGY, xanes_reference_table
from skspectra.tree import SpectralDendrogramTree

data_dir = find_data_dir()
if data_dir is not None and (data_dir / "xanes" / "labels.csv").exists():
    X, spectra, compounds = xanes_reference_table(data_dir)
    energy, label = RELATIVE_ENERGY, "energy above the edge E0 (eV)"
    title = f"{len(spectra)} measured XANES references"
    model = SpectralDendrogramTree(
        n_clusters=6, max_depth=4, min_samples_leaf=2, energy=energy, random_state=0
    )
else:
    X, spectra, rule = make_descriptor_spectra(120, random_state=0, as_frame=True)
    energy, label, title = rule.energy, "energy (eV)", "synthetic spectra"
    model = SpectralDendrogramTree(n_clusters=3, max_depth=3, energy=energy)
model.fit(X, spectra)
print(
    f"{title}: the rules lead {100 * model.tree_accuracy_:.0f}% of the spectra "
    "to their own cluster"
)
print(model.export_text())

# %%
fig = model.plot(spectra=spectra, energy_label=label, title=title)
