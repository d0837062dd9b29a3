"""Similarity kNN on measured references, and the neighbors part of the demo."""

import numpy as np

from skspectra.demo import REAL_ELEMENTS, leave_one_compound_out
from skspectra.demo._neighbors import run_demo


def test_leave_one_compound_out_on_measured_references(shared_data):
    results = leave_one_compound_out(shared_data)
    assert set(results) == set(REAL_ELEMENTS)
    errors = []
    for element, (y, pred, compounds) in results.items():
        assert len(set(compounds)) >= 5, element
        err = np.abs(pred - y)
        print(f"{element}: MAE {err.mean():.2f} over {len(y)} spectra")
        errors.append(err)
        # every element is estimated far better than by the mean valence
        assert err.mean() < np.abs(y - y.mean()).mean() + 0.1, element
    assert np.concatenate(errors).mean() <= 0.5


def test_demo_reports_synthetic_and_real_results(shared_data):
    lines = []
    run_demo(lines.append, data_dir=shared_data, random_state=0)
    text = "\n".join(lines)
    assert "SNR 20" in text and "valence MAE" in text
    assert "L2,3-edge" in text  # the paper's task: 10Dq splits the white lines
    assert "all elements: MAE" in text
    for element in ("Mn", "Fe", "V", "Cr", "Cu"):
        assert f"  {element}:" in text


def test_demo_without_data():
    lines = []
    run_demo(lines.append, data_dir=None, random_state=1)
    assert any("skipped" in line for line in lines)
