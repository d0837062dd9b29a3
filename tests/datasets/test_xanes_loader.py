"""The loader of the measured XANES references (labels.csv + XDI/npz files)."""

import numpy as np
import pytest

from skspectra.datasets import load_xanes_references
from skspectra.io import read_xdi


def test_load_everything(shared_data):
    data = load_xanes_references(shared_data)
    n = len(data.spectra)
    assert n == len(data.energies) == len(data.names) == data.target.size
    # 187 table rows; wildcard rows of the Cu HERFD archive expand to scans
    assert n > 187
    assert set(data.labels) >= {"file", "group", "element", "compound", "note"}
    assert all(col.shape == (n,) for col in data.labels.values())
    for energy, mu in zip(data.energies, data.spectra, strict=True):
        assert energy.shape == mu.shape and np.all(np.diff(energy) > 0)
    assert np.isnan(data.target).any() and np.nanmax(data.target) == 6.0  # Cr(VI)
    assert "X" not in data


def test_xdi_entries_are_the_files(shared_data):
    data = load_xanes_references(shared_data, element="V", source="xdi")
    i = data.names.index("xdi/V/VO.xdi")
    energy, mu, _ = read_xdi(shared_data / "xanes" / "xdi" / "V" / "VO.xdi")
    np.testing.assert_array_equal(data.energies[i], energy)
    np.testing.assert_array_equal(data.spectra[i], mu)
    assert data.target[i] == 2.0


def test_npz_groups_and_wildcards(shared_data):
    data = load_xanes_references(shared_data, element="Cu", source="npz")
    groups = list(data.labels["group"])
    assert all("*" not in g for g in groups)
    assert sum(g.startswith("CuHERFD_Cu2S_") for g in groups) >= 2
    with np.load(shared_data / "xanes" / "athena_cu_herfd_standards.npz") as z:
        g = groups[0]
        np.testing.assert_array_equal(data.spectra[0], z[f"{g}/mu"])


def test_common_grid_and_frame(shared_data):
    pd = pytest.importorskip("pandas")
    data = load_xanes_references(
        shared_data, element="Mn", energy_grid="common", as_frame=True
    )
    assert isinstance(data.labels, pd.DataFrame) and len(data.labels) == 26
    assert data.X.shape == (26, data.energy.size)
    lo = max(e[0] for e in data.energies)
    hi = min(e[-1] for e in data.energies)
    assert data.energy[0] == lo and data.energy[-1] <= hi
    # on the grid, resampling reproduces the measured values at shared points
    i = data.names.index("xdi/Mn/MnO_rt_01.xdi")
    np.testing.assert_allclose(
        np.interp(data.energies[i][10:-10], data.energy, data.X[i]),
        data.spectra[i][10:-10],
        rtol=0.01,
    )


def test_loader_errors(shared_data, tmp_path):
    with pytest.raises(ValueError, match="energy_grid='common' needs one element"):
        load_xanes_references(shared_data, energy_grid="common")
    with pytest.raises(ValueError, match="no spectrum in .* for element='Xx'"):
        load_xanes_references(shared_data, element="Xx")
    with pytest.raises(FileNotFoundError, match="no labels.csv"):
        load_xanes_references(tmp_path)
    with pytest.raises(ValueError, match="source must be"):
        load_xanes_references(shared_data, source="prj")
