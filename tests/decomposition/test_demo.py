"""The decomposition part of ``skspectra demo``."""

from skspectra.decomposition._demo import run_demo


def test_demo_reports_against_truth(shared_data):
    lines = []
    run_demo(lines.append, data_dir=shared_data, random_state=0)
    text = "\n".join(lines)
    assert "kept 4 components (truth 4)" in text
    assert "2 on the raw data, 2 on 1000 x the data" in text
    assert "O Mg Al Si" in text and "P Ca" in text and "Ti Fe" in text


def test_demo_without_data():
    lines = []
    run_demo(lines.append, data_dir=None, random_state=0)
    assert "kept 4 components" in lines[0]
    assert "skipped" in lines[-1]
