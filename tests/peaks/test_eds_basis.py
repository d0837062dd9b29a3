"""Tests of eds_basis, the X-ray lines and continuum of EDS spectra."""

import numpy as np
import pytest

from skspectra.peaks import eds_basis

pytest.importorskip("xraydb")

ENERGY = np.arange(0.2, 10.0, 0.02)


def test_eds_basis_rows_labels_and_line_positions():
    basis, labels = eds_basis(ENERGY, ["Fe", "Si", "O"], n_continuum=2)
    assert labels == [
        "Fe K",
        "Fe L",
        "Si K",
        "O K",
        "continuum 0.25 keV",
        "continuum 1.5 keV",
    ]
    assert basis.shape == (6, ENERGY.size)
    assert np.all(basis >= 0)
    np.testing.assert_allclose(basis.sum(axis=1), 1.0)
    peak = {lab: ENERGY[np.argmax(row)] for lab, row in zip(labels, basis, strict=True)}
    # Ka energies of xraydb (Elam et al.): Fe 6.404, Si 1.740, O 0.525 keV
    assert abs(peak["Fe K"] - 6.40) <= 0.02
    assert abs(peak["Si K"] - 1.74) <= 0.02
    assert abs(peak["O K"] - 0.525) <= 0.02
    # Fe Kb (7.06 keV) is about an eighth of Fe Ka
    row = basis[0]
    ratio = row[np.argmin(abs(ENERGY - 7.06))] / row.max()
    assert 0.08 < ratio < 0.2


def test_eds_basis_units_resolution_and_beam_energy():
    kev, labels = eds_basis(ENERGY, ["Si"], n_continuum=1)
    ev, labels_ev = eds_basis(ENERGY * 1000, ["Si"], units="eV", n_continuum=1)
    np.testing.assert_allclose(ev, kev, atol=1e-12)
    assert labels == labels_ev
    # a given FWHM: the Si K row is half its maximum that far apart
    fine = np.arange(1.0, 2.5, 0.001)
    (row,), _ = eds_basis(fine, ["Si"], resolution=0.2, n_continuum=0)
    above = fine[row >= row.max() / 2]
    # Ka1/Ka2/Kb widen the line a little beyond one Gaussian
    assert 0.19 < above[-1] - above[0] < 0.26
    # a 50 keV beam does not ionise the W K shell (69.5 keV)
    axis = np.arange(1.0, 70.0, 0.05)
    _, labels = eds_basis(axis, ["W"], beam_energy=50.0, n_continuum=0)
    assert labels == ["W L", "W M"]
    _, labels = eds_basis(axis, ["W"], beam_energy=200.0, n_continuum=0)
    assert labels == ["W K", "W L", "W M"]


def test_eds_basis_continuum_is_smooth_and_falls():
    basis, _ = eds_basis(ENERGY, ["Fe"], n_continuum=3)
    cont = basis[-3:]
    assert np.all(cont[:, -1] < cont.max(axis=1) / 3)  # Kramers' 1/E fall

    # far smoother than a line: the largest second difference, relative to
    # the maximum, a tenth of the sharpest line's at most
    def curvature(rows):
        return np.abs(np.diff(rows, n=2, axis=1)).max(axis=1) / rows.max(axis=1)

    assert np.all(curvature(cont) < 0.1 * curvature(basis[:-3]).max())


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"elements": ["Xx"]}, "'Xx' not among the element symbols"),
        ({"elements": []}, "at least one element"),
        ({"elements": ["Fe"], "energy": np.arange(8.0, 10.0, 0.01)}, "'Fe' have no"),
        ({"elements": ["Fe"], "resolution": -0.1}, "resolution must be a positive"),
        ({"elements": ["Fe"], "n_continuum": -1}, "n_continuum must be"),
        ({"elements": ["Fe"], "units": "J"}, "units must be"),
        ({"elements": ["Fe"], "beam_energy": 0}, "beam_energy must be"),
        ({"elements": ["Fe"], "energy": [[1.0, 2.0]]}, "energy must be a 1-D"),
        ({"elements": ["Fe"], "energy": [2.0, 1.0]}, "strictly increasing"),
    ],
)
def test_eds_basis_bad_input(kwargs, match):
    kwargs = {"energy": ENERGY, **kwargs}
    with pytest.raises(ValueError, match=match) as info:
        eds_basis(kwargs.pop("energy"), **kwargs)
    assert "\n" not in str(info.value)
