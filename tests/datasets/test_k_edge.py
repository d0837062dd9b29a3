"""The loader of normalised K-edge XANES on one grid about the tabulated edge."""

import csv

import numpy as np
import pytest
from scipy.special import erf

from skspectra.datasets import load_k_edge_references, load_xanes_references

_COLUMNS = (
    "file",
    "group",
    "element",
    "edge",
    "compound",
    "nominal_oxidation_state",
    "note",
    "source",
    "kind",
)
MN_K = 6539.0


def _edge(energy, e0, step=2.0):
    return 0.1 + 1e-4 * (energy - e0) + step * 0.5 * (1 + erf((energy - e0) / 2.0))


@pytest.fixture
def folder(tmp_path):
    """A labels table with synthetic Mn K-edge scans in one .npz archive."""
    energy = np.arange(6400.0, 6800.0, 0.7)
    short = np.arange(6530.0, 6560.0, 0.7)
    arrays = {
        "MnO/energy": energy,
        "MnO/mu": _edge(energy, MN_K + 5.0),
        "MnO2/energy": energy,
        "MnO2/mu": _edge(energy, MN_K + 12.0, step=1.0),
        "shifted/energy": energy,
        "shifted/mu": _edge(energy, MN_K - 18.0),
        "short/energy": short,
        "short/mu": _edge(short, MN_K + 5.0),
        "falling/energy": energy,
        "falling/mu": 3.0 - _edge(energy, MN_K + 5.0),
        "glass/energy": energy,
        "glass/mu": _edge(energy, MN_K + 8.0),
    }
    np.savez(tmp_path / "mn.npz", **arrays)
    rows = [
        ("MnO", "MnO", "2", ""),
        ("MnO2", "MnO2", "4", ""),
        ("shifted", "Mn3O4", "2.667", "E axis low (check calibration)"),
        ("short", "MnO", "2", ""),
        ("falling", "MnO", "2", ""),
        ("glass", "glass A", "", "dNNO (log fO2 rel. NNO buffer) = -1.5; note"),
    ]
    with open(tmp_path / "labels.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(_COLUMNS)
        for group, compound, state, note in rows:
            writer.writerow(
                ["mn.npz", group, "Mn", "K", compound, state, note, "test", "x"]
            )
    return tmp_path


def test_grid_normalisation_and_left_out_spectra(folder):
    data = load_k_edge_references(folder)
    np.testing.assert_allclose(data.energy, np.arange(-15.0, 45.5, 0.5))
    assert data.X.shape == (2, data.energy.size)
    assert data.names == ["mn.npz:MnO", "mn.npz:MnO2"]
    np.testing.assert_array_equal(data.target, [2.0, 4.0])
    np.testing.assert_array_equal(data.edge_energy, [MN_K, MN_K])
    assert list(data.groups) == ["Mn:mno", "Mn:mno2"]
    # unit edge step whatever the raw step, and zero before the edge
    np.testing.assert_allclose(data.X[:, -1], 1.0, atol=0.02)
    np.testing.assert_allclose(data.X[:, 0], 0.0, atol=0.02)
    # the grid is absolute about the tabulated edge: the chemical shift stays
    half = [data.energy[np.argmax(x > 0.5)] for x in data.X]
    assert half[1] - half[0] == pytest.approx(7.0, abs=0.6)
    reasons = "\n".join(data.skipped)
    assert "mn.npz:shifted (energy calibration fault" in reasons
    assert "mn.npz:short (scan does not cover the grid)" in reasons
    assert "mn.npz:falling (no positive edge step" in reasons
    assert "glass" not in reasons  # no oxidation state: not a candidate
    assert "2 measured K-edge XANES spectra (Mn)" in data.DESCR


def test_dnno_target_and_normalisation_window(folder):
    data = load_k_edge_references(
        folder, target="dNNO", energy_range=(-10.0, 65.0), step=1.0
    )
    assert data.names == ["mn.npz:glass"]
    np.testing.assert_array_equal(data.target, [-1.5])
    np.testing.assert_array_equal(data.energy, np.arange(-10.0, 65.5, 1.0))
    wide = load_k_edge_references(folder, normalization_range=(-50.0, 150.0))
    whole = load_k_edge_references(folder)
    np.testing.assert_allclose(wide.X, whole.X, atol=0.02)
    # a window the short scan covers lets it in
    short = load_k_edge_references(
        folder, energy_range=(-5.0, 10.0), normalization_range=(-8.0, 18.0)
    )
    assert "mn.npz:short" in short.names


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"element": "Zn"}, "no tabulated K edge for element"),
        ({"target": "valence"}, "target must be one of"),
        ({"energy_range": (45.0, -15.0)}, "energy_range must have low < high"),
        ({"energy_range": 3.0}, "energy_range must be a pair"),
        ({"normalization_range": (1.0, 1.0)}, "normalization_range must have"),
        ({"step": 0.0}, "step must be positive"),
        (
            {"energy_range": (-15.0, 45.0), "normalization_range": (-10.0, 90.0)},
            "must lie within normalization_range",
        ),
        ({"energy_range": (-300.0, 45.0)}, "no K-edge spectrum with a known"),
    ],
)
def test_errors(folder, kwargs, message):
    with pytest.raises(ValueError, match=message):
        load_k_edge_references(folder, **kwargs)


def test_v_glass_labels_and_spectra(shared_data):
    data = load_k_edge_references(
        shared_data, element="V", target="dNNO", energy_range=(-10.0, 65.0)
    )
    X, y = data.X, data.target
    assert X.shape == (28, 151)
    assert y.min() == -8.1 and y.max() == 4.73
    # edge-step normalised: the spectra end near 1 above the edge
    assert np.all(np.abs(X[:, -1] - 1) < 0.3)


def test_measured_references(shared_data):
    data = load_k_edge_references(shared_data)
    assert set(data.element) == {"V", "Cr", "Mn", "Fe", "Co", "Ni", "Cu"}
    assert np.all(np.isfinite(data.X)) and np.all(np.isfinite(data.target))
    assert data.skipped == [
        "athena_mn_standards.npz:Mn3O4 (energy calibration fault noted in labels)"
    ]
    # HERFD scans only when asked for: then every Cu HERFD scan with a known
    # oxidation state joins
    cu = load_k_edge_references(shared_data, element="Cu")
    cu_herfd = load_k_edge_references(shared_data, element="Cu", herfd=True)
    raw = load_xanes_references(shared_data, element="Cu")
    herfd = (raw.labels["edge"] == "K (HERFD)") & np.isfinite(raw.target)
    assert herfd.sum() > 0 and cu_herfd.skipped == []
    assert len(cu_herfd.names) == len(cu.names) + herfd.sum()
