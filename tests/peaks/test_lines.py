"""Peaks named by X-ray lines and edges: positions, merging, the database."""

import sys

import numpy as np
import pytest

from skspectra.peaks import (
    _lines,
    eds_resolution,
    find_line_peaks,
    identify_lines,
    xray_lines,
)

xraydb = pytest.importorskip("xraydb")


def _gauss(e, centre, fwhm):
    return np.exp(-4 * np.log(2) * ((e - centre) / fwhm) ** 2)


def _eds(e, lines, zero_peak=True):
    """An EDS-like spectrum: lines at their detector width, a zero peak and
    a slowly falling background."""
    s = 0.05 * np.exp(-e / 3.0)
    for centre, height in lines:
        s += height * _gauss(e, centre, eds_resolution(centre))
    if zero_peak:
        s += 5.0 * _gauss(e, 0.0, 0.1)
    return s


def test_line_energies_come_from_xraydb():
    table = {str(line): line.energy for line in xray_lines(["Si", "Fe", "Ti"])}
    fe = xraydb.xray_lines("Fe")
    ka = (
        fe["Ka1"].energy * fe["Ka1"].intensity + fe["Ka2"].energy * fe["Ka2"].intensity
    ) / (fe["Ka1"].intensity + fe["Ka2"].intensity)
    assert table["Fe Ka"] == pytest.approx(ka / 1000)
    assert table["Si Ka"] == pytest.approx(
        xraydb.xray_lines("Si")["Ka1"].energy / 1000, abs=1e-3
    )
    assert table["Ti La"] == pytest.approx(0.452, abs=1e-3)
    # in eV the same lines, 1000 times larger
    ev = {str(line): line.energy for line in xray_lines(["Fe"], units="eV")}
    assert ev["Fe Ka"] == pytest.approx(1000 * table["Fe Ka"])


def test_edges_are_onsets_k_l23_m45():
    edges = {
        str(line): line.energy
        for line in xray_lines(["Ti", "O", "La"], kind="edge", units="eV")
    }
    assert edges["Ti L2,3"] == xraydb.xray_edges("Ti")["L3"].energy
    assert edges["O K"] == xraydb.xray_edges("O")["K"].energy
    assert edges["La M4,5"] == xraydb.xray_edges("La")["M5"].energy
    # valence levels below the core-loss region are no edges
    assert "O L2,3" not in edges and "Ti M4,5" not in edges


def test_eds_resolution_grows_with_energy():
    assert eds_resolution(5.8987) == pytest.approx(0.130, abs=1e-4)
    assert eds_resolution(5898.7, units="eV", fwhm_mn_ka=125) == pytest.approx(125)
    fwhm = eds_resolution([0.5, 1.7, 6.4, 10.0])
    assert np.all(np.diff(fwhm) > 0)
    # FWHM^2 is linear in energy with the Fano slope
    assert fwhm[3] ** 2 - fwhm[2] ** 2 == pytest.approx(2.5e-3 * 3.6, rel=1e-6)


def test_one_peak_per_line_even_with_a_flat_top():
    e = np.arange(0.0, 10.0, 0.01)
    s = _eds(e, [(6.40, 1.0)], zero_peak=False)
    # two equal channels at the top and a ripple on the flank: still one line
    top = np.argmax(s)
    s[top + 1] = s[top]
    s[top + 4] += 1e-3
    peaks = find_line_peaks(s, e, resolution=eds_resolution)
    assert len(peaks) == 1
    assert peaks[0].energy == pytest.approx(6.40, abs=0.01)


def test_positions_are_interpolated_between_channels():
    e = np.arange(0.0, 10.0, 0.02)
    s = _gauss(e, 3.337, 0.12)
    (peak,) = find_line_peaks(s, e, resolution=0.12)
    assert abs(peak.energy - 3.337) < 0.002  # a tenth of a channel


def test_identify_lines_skips_the_zero_peak_and_names_the_elements():
    e = np.arange(-0.2, 10.0, 0.01)
    s = _eds(e, [(1.740, 1.0), (6.400, 0.6), (0.525, 0.4)])
    peaks = identify_lines(s, e, units="keV", elements=["O", "Si", "Fe"])
    names = [[str(x) for x in p.lines] for p in peaks]
    assert names[:3] == [["Si Ka"], ["Fe Ka"], ["O Ka"]]
    assert all(p.energy > 0.15 for p in peaks)
    assert peaks[0].energy == pytest.approx(1.740, abs=0.005)


def test_without_an_element_list_each_peak_lists_the_elements_near_it():
    e = np.arange(0.1, 10.0, 0.01)
    s = _eds(e, [(1.740, 1.0), (3.691, 0.8), (4.012, 0.1)], zero_peak=False)
    peaks = identify_lines(s, e, units="keV")
    first = {p.lines[0].element if p.lines else None for p in peaks[:1]}
    si = next(p for p in peaks if abs(p.energy - 1.74) < 0.01)
    ca = next(p for p in peaks if abs(p.energy - 3.69) < 0.01)
    assert "Si Ka" in [str(x) for x in si.lines]
    assert "Ca Ka" in [str(x) for x in ca.lines]
    assert first
    # an element named by a weak line whose stronger line of the same shell
    # has no peak is left out: Sn Lb1 (3.663 keV) needs Sn La (3.444 keV)
    assert "Sn Lb1" not in [str(x) for x in ca.lines]
    # every named line lies within half the resolution of its peak
    for p in peaks:
        for line in p.lines:
            assert abs(line.energy - p.energy) <= eds_resolution(p.energy) / 2


def test_eels_white_lines_are_named_by_their_edge():
    e = np.arange(420.0, 560.0, 0.3)
    s = 0.02 + _gauss(e, 461.0, 2.5) + 1.3 * _gauss(e, 466.1, 3.0)
    s += 0.5 * _gauss(e, 532.0, 3.0) + 0.4 * _gauss(e, 540.0, 5.0)
    peaks = identify_lines(s, e, units="eV", elements=["Sr", "Ti", "O"])
    by_energy = {round(p.energy): [str(x) for x in p.lines] for p in peaks}
    assert by_energy[461] == ["Ti L2,3"]
    assert by_energy[466] == ["Ti L2,3"]
    assert by_energy[532] == ["O K"]


def test_bad_input_is_one_line_naming_the_problem():
    e = np.linspace(1, 10, 100)
    with pytest.raises(ValueError, match="units must be 'eV' or 'keV'"):
        identify_lines(np.ones(100), e, units="nm")
    with pytest.raises(ValueError, match="'Xx' not among the element symbols"):
        identify_lines(np.ones(100), e, units="keV", elements=["Fe", "Xx"])
    with pytest.raises(ValueError, match="prominence must be in"):
        find_line_peaks(np.ones(100), e, resolution=0.1, prominence=0)
    with pytest.raises(ValueError, match="1-D"):
        find_line_peaks(np.ones((2, 100)), e, resolution=0.1)
    with pytest.raises(ValueError, match="kind must be"):
        xray_lines(["Fe"], kind="absorption")


def test_flat_spectrum_has_no_peaks():
    e = np.linspace(0.2, 10, 200)
    assert identify_lines(np.ones(200), e, units="keV") == []


def test_missing_xraydb_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "xraydb", None)
    _lines._emission_lines_ev.cache_clear()
    try:
        with pytest.raises(ImportError, match=r'pip install "skspectra\[lines\]"'):
            xray_lines(["Fe"])
    finally:
        _lines._emission_lines_ev.cache_clear()


def test_a_zero_peak_tail_cut_at_min_energy_is_no_peak():
    e = np.arange(-0.2, 3.0, 0.01)
    s = 5.0 * _gauss(e, 0.0, 0.25) + 0.3 * _gauss(e, 1.74, 0.08)
    peaks = find_line_peaks(s, e, resolution=eds_resolution, min_energy=0.15)
    assert [round(p.energy, 2) for p in peaks] == [1.74]
