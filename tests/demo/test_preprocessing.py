"""The preprocessing part of ``skspectra demo``."""

import re

from skspectra.demo._preprocessing import run_demo


def test_demo_synthetic_only():
    lines = []
    run_demo(lines.append, data_dir=None, random_state=0)
    text = "\n".join(lines)
    median_e0_error = float(re.search(r"median ([\d.]+) eV", text).group(1))
    assert median_e0_error < 0.3
    r = float(re.search(r"exponent r = ([\d.]+)", text).group(1))
    assert abs(r - 3.2) < 0.05
    assert "real-spectra part skipped" in text


def test_demo_real_data(shared_data):
    lines = []
    run_demo(lines.append, data_dir=shared_data, random_state=0)
    text = "\n".join(lines)
    edges = [float(v) for v in re.findall(r"Mn\w* (\d{4}\.\d)", text)]
    assert len(edges) == 4 and edges == sorted(edges)
    assert float(re.search(r"MAE ([\d.]+)", text).group(1)) < 0.15
