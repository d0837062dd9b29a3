"""The demo runs, and the method explains measured XANES references."""

import numpy as np
import pytest

from skspectra.demo import RELATIVE_ENERGY, xanes_reference_table
from skspectra.demo._tree import run_demo
from skspectra.tree import SpectralDendrogramTree


def test_demo_without_real_data():
    lines = []
    run_demo(lines.append, data_dir=None, random_state=0)
    text = "\n".join(lines)
    assert "adjusted Rand index 1.000" in text
    assert "has_d_electrons = yes and valence <= 2" in text
    assert "skipped" in text


def test_demo_with_real_data(shared_data):
    lines = []
    run_demo(lines.append, data_dir=shared_data, random_state=0)
    text = "\n".join(lines)
    print(text)
    assert "measured XANES references" in text
    assert "oxidation_state > 4.5" in text
    # a measured metal foil from another beamline is read as a metal
    foil = [line for line in lines if "Mn_foil (Mn 0) -> cluster" in line]
    assert len(foil) == 1 and "oxidation_state <= 0.5" in foil[0]


@pytest.fixture(scope="module")
def references(shared_data):
    return xanes_reference_table(shared_data)


def test_reference_table(references):
    X, Y, compounds = references
    assert Y.shape == (len(compounds), RELATIVE_ENERGY.size)
    assert np.all(np.isfinite(Y))
    # normalised to a unit edge step: about 0 well before the edge and
    # about 1 well after it, for every spectrum
    assert np.all(np.abs(Y[:, 0]) < 0.2)
    assert 0.7 < np.median(Y[:, -1]) < 1.3
    assert X.shape[1] == 8
    ox = np.asarray(X["oxidation_state"])
    # the mixed or unknown valences (Fe3C, FeN, CuS) are missing values
    assert np.isnan(ox).sum() == 3


def test_reference_table_from_an_athena_archive(shared_data):
    X, Y, compounds = xanes_reference_table(shared_data, "npz", element="Mn")
    assert len(compounds) == 14 and Y.shape == (14, RELATIVE_ENERGY.size)
    assert np.all(np.asarray(X["atomic_number"]) == 25)
    assert np.all(np.isfinite(Y))


def test_explanation_of_measured_references(references):
    X, Y, compounds = references
    compounds = np.array(compounds)
    model = SpectralDendrogramTree(
        n_clusters=6, max_depth=4, min_samples_leaf=2, random_state=0
    ).fit(X, Y)
    print(model.export_text())
    rules = model.explain()
    by_text = {r["text"]: r for r in rules}
    # the d0 oxo-anions (V5+, Cr6+) have their own cluster: intense pre-edge
    high = by_text["oxidation_state > 4.5"]
    members = set(compounds[model.labels_ == high["cluster"]])
    assert members <= {"V2O5", "VO2", "k2cr2o7", "k2cro4", "na2cro4"}
    assert high["purity"] == 1.0
    # the metals have theirs
    metal = [r for r in rules if r["text"].startswith("oxidation_state <= 0.5")]
    assert len(metal) == 1 and metal[0]["purity"] == 1.0
    assert {"Cu_Foil", "Fe_Foil", "Ni_metal", "V_foil"} <= set(
        compounds[model.labels_ == metal[0]["cluster"]]
    )
    assert model.tree_accuracy_ > 0.7
