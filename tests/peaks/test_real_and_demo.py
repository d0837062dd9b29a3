"""ESPRITPeaks on measured EELS, and the peaks demo."""

import numpy as np

from skspectra.peaks._demo import run_demo, ti_l23_peaks


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


def test_demo_without_data():
    lines = []
    run_demo(lines.append, data_dir=None, random_state=1)
    assert any("skipped" in line for line in lines)
    assert lines[0].startswith("synthetic")
