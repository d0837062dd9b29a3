"""ESPRITPeaks on measured core-loss edges (the shared real spectra)."""

import numpy as np
import pytest

from skspectra.io import read_msa
from skspectra.peaks import ESPRITPeaks
from skspectra.preprocessing import PowerLawBackground


def _edge(shared_data, name, fit_range, window):
    """Background-free spectrum of ``name`` on ``window`` (eV)."""
    energy, counts, _ = read_msa(shared_data / "eels" / name)
    background = PowerLawBackground(energy=energy, fit_range=fit_range)
    signal = background.fit_transform(counts[None])[0]
    keep = (energy >= window[0]) & (energy <= window[1])
    return energy[keep], signal[keep]


@pytest.fixture
def srtio3_200kv(shared_data):
    return _edge(
        shared_data, "srtio3_core_loss_200kV.msa", (420.0, 450.0), (450.0, 466.0)
    )


@pytest.mark.parametrize("n_peaks", [2, 3, 4, 5, 6])
def test_fixed_count_is_exact_on_measured_edge(srtio3_200kv, n_peaks):
    # a refined peak that leaves the window or loses its area is replaced,
    # not dropped
    energy, x = srtio3_200kv
    est = ESPRITPeaks(energy=energy, n_peaks=n_peaks, max_peaks=8).fit(x[None])
    peaks = est.decompose(x)
    assert len(peaks) == n_peaks
    assert all(energy[0] <= p.position <= energy[-1] for p in peaks)
    assert all(p.width > 0 and p.area > 0 for p in peaks)


def test_inverse_transform_is_the_whole_model(srtio3_200kv):
    # the constant is part of the model: the residual has zero mean
    energy, x = srtio3_200kv
    est = ESPRITPeaks(energy=energy, n_peaks=4, max_peaks=8).fit(x[None])
    out = est.transform(x[None])
    resid = x - est.inverse_transform(out)[0]
    assert abs(resid.mean()) < 1e-6 * np.abs(x).max()
    # without the constant the residual would be offset by it
    assert abs(out[0, -2]) > 100 * abs(resid.mean())
