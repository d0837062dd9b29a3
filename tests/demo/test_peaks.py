"""ESPRITPeaks on measured EELS, and the peaks demo."""

import numpy as np
import pytest

from skspectra.demo import ti_l23_crystal_field_peaks, ti_l23_peaks
from skspectra.demo._peaks import run_demo


def test_srtio3_ti_l23_spin_orbit(shared_data):
    peaks, (e_l3, e_l2) = ti_l23_peaks(shared_data / "eels" / "srtio3_core_loss.msa")
    assert 2 <= len(peaks) <= 8
    main = sorted(sorted(peaks, key=lambda p: -p.area)[:2], key=lambda p: p.position)
    l3, l2 = main
    # the L3 and L2 white lines of Ti4+ (literature: spin-orbit ~5.4 eV)
    assert 459.5 < l3.position < 462.5
    assert 465.0 < l2.position < 468.0
    assert abs((l2.position - l3.position) - 5.4) < 0.5
    # both lines are broad (HWHM of 1-4 eV at this resolution), L2 has the
    # larger area here (its edge-step share is smaller)
    assert all(1.0 < p.width < 4.0 for p in main)
    assert abs(e_l2 - e_l3 - 5.0) < 1.0


def test_demo_runs_and_reports(shared_data):
    lines = []
    run_demo(lines.append, data_dir=shared_data, random_state=0)
    text = "\n".join(lines)
    assert "peak count right in" in text
    assert "spin-orbit separation" in text
    assert np.isfinite(float(text.split("separation of the two main lines: ")[1][:4]))
    # the three LSMO spectra, with the L3-L2 separation growing as Mn is reduced
    split = [
        float(line.split("L3-L2 ")[1].split()[0])
        for line in lines
        if line.startswith("LSMO Mn L2,3")
    ]
    assert len(split) == 3 and split[0] < split[1] < split[2]


def test_demo_without_data():
    lines = []
    run_demo(lines.append, data_dir=None, random_state=1)
    assert any("skipped" in line for line in lines)
    assert lines[0].startswith("synthetic")


def test_srtio3_200kv_ti_l23_crystal_field_peaks(shared_data):
    # the 200 kV spectrum resolves the t2g/eg crystal-field splitting of both
    # white lines; read through rosettasciio (the io extra)
    pytest.importorskip("rsciio", reason="the .dm3 reader needs rosettasciio")

    peaks = ti_l23_crystal_field_peaks(
        shared_data / "eels" / "srtio3_core_loss_200kV.dm3"
    )
    assert len(peaks) == 4
    l3_t2g, l3_eg, l2_t2g, l2_eg = (p.position for p in peaks)
    # crystal-field (t2g-eg) splitting of about 2 eV in both lines, and the
    # spin-orbit separation of about 5 eV
    assert 1.7 < l3_eg - l3_t2g < 2.6
    assert 1.7 < l2_eg - l2_t2g < 2.6
    assert 4.7 < l2_t2g - l3_t2g < 5.7
    assert 4.7 < l2_eg - l3_eg < 5.7
