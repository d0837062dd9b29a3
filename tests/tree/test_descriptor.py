"""Tests of the planted-rule generator and the element descriptor table."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from skspectra.datasets import make_descriptor_spectra
from skspectra.datasets._descriptor import element_descriptors


@given(
    st.integers(1, 40),
    st.integers(3, 14),
    st.integers(2, 30),
    st.integers(0, 2**31 - 1),
)
def test_shapes_and_the_planted_rule(n, p, c, seed):
    X, y, rule = make_descriptor_spectra(
        n, n_descriptors=p, n_channels=c, random_state=seed
    )
    assert X.shape == (n, p) and y.shape == (n, c)
    assert len(rule.feature_names) == p
    assert set(rule.relevant) <= set(rule.feature_names)
    col = {name: X[:, i] for i, name in enumerate(rule.feature_names)}
    # the groups follow the written rule exactly
    expected = np.where(
        col["has_d_electrons"] == 0,
        0,
        np.where(col["valence"] <= 2, 1, np.where(col["bond_length"] <= 2.0, 2, 3)),
    )
    np.testing.assert_array_equal(rule.groups, expected)
    assert set(np.unique(col["has_d_electrons"])) <= {0.0, 1.0}
    assert rule.spectra_noiseless.min() >= 0


def test_same_seed_same_data_and_noise_level():
    a = make_descriptor_spectra(50, random_state=3)
    b = make_descriptor_spectra(50, random_state=3)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    X, y, rule = make_descriptor_spectra(2000, noise=0.1, random_state=0)
    assert np.std(y - rule.spectra_noiseless) == pytest.approx(0.1, rel=0.02)
    _, y0, rule0 = make_descriptor_spectra(5, noise=0.0, random_state=0)
    np.testing.assert_array_equal(y0, rule0.spectra_noiseless)


def test_without_variation_every_spectrum_is_its_group_shape():
    _, y, rule = make_descriptor_spectra(30, noise=0.0, variation=0.0, random_state=1)
    np.testing.assert_allclose(y, rule.group_spectra[rule.groups])


def test_as_frame_keeps_the_names():
    pd = pytest.importorskip("pandas")
    X, _, rule = make_descriptor_spectra(10, as_frame=True, random_state=0)
    assert isinstance(X, pd.DataFrame)
    assert list(X.columns) == rule.feature_names


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_samples": 0}, "n_samples"),
        ({"n_descriptors": 2}, "n_descriptors"),
        ({"n_channels": 1}, "n_channels"),
        ({"noise": -1.0}, "noise"),
        ({"variation": float("nan")}, "variation"),
    ],
)
def test_bad_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_descriptor_spectra(**kwargs)


def test_element_descriptors():
    X, names = element_descriptors(["Cu", "Cr", "Eu"], [2, 6, np.nan])
    assert names[-1] == "oxidation_state"
    col = dict(zip(names, X.T, strict=True))
    np.testing.assert_array_equal(col["atomic_number"], [29, 24, 63])
    # isolated atoms: Cu 3d10 4s1, Cr 3d5 4s1, Eu 4f7 6s2
    np.testing.assert_array_equal(col["d_electrons"], [10, 5, 0])
    np.testing.assert_array_equal(col["f_electrons"], [0, 0, 7])
    assert np.isnan(col["oxidation_state"][2])
    with pytest.raises(ValueError, match="Xx"):
        element_descriptors(["Xx"])


def test_ligands_of_the_reference_compounds():
    from skspectra.datasets._descriptor import (
        compound_ligand,
        xanes_reference_descriptors,
    )

    assert compound_ligand("FeS2") == "S"
    assert compound_ligand("Hansel2001_goethite") == "O"
    assert compound_ligand("cu_metal") == "metal"
    assert compound_ligand("EuSe") == "Se"
    with pytest.raises(ValueError, match="no ligand tabulated"):
        compound_ligand("unobtainium")
    X, names = xanes_reference_descriptors(
        ["Fe", "Fe", "Cu"], [2, 2, 0], ["FeO", "FeS2", "Cu_Foil"]
    )
    chi = X[:, names.index("ligand_electronegativity")]
    # oxygen, sulfur (Pauling), and for a metal its own electronegativity
    np.testing.assert_allclose(chi, [3.44, 2.58, 1.90])
