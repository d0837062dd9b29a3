"""The neural_network part of the demo."""

from skspectra.demo._neural_network import run_demo


def test_demo_runs_without_data():
    lines = []
    run_demo(lines.append, data_dir=None, random_state=0)
    text = "\n".join(lines)
    assert "SNR 5" in text and "skipped" in text
    assert "L2,3-edge" in text  # the paper's task: 10Dq splits the white lines


def test_demo_with_real_data(shared_data):
    lines = []
    run_demo(lines.append, data_dir=shared_data, random_state=0)
    assert any("V K-edge glasses (28 spectra" in line for line in lines)
