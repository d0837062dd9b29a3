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


# ---------------------------------------------------------------------------
# white lines on edge steps, no guess and no peak count
# ---------------------------------------------------------------------------


def _assert_near(peaks, expected, tol):
    found = np.array([p.position for p in peaks])
    assert found.size == len(expected), found
    np.testing.assert_allclose(found, expected, atol=tol)


def test_tio2_100kv_four_peaks_automatic_order(shared_data):
    # fitted positions of the data description: L3 t2g, L3 eg, L2 t2g, L2 eg
    energy, x = _edge(
        shared_data, "tio2_core_loss_100kV.msa", (420.0, 452.0), (452.0, 470.0)
    )
    est = ESPRITPeaks(energy=energy, edge_steps=2, max_peaks=8).fit(x[None])
    model = est.decompose(x, full=True)
    _assert_near(model.peaks, [455.99, 458.15, 461.22, 463.43], 0.5)
    # the two steps sit at the t2g line of L3 and of L2, 2:1
    assert len(model.steps) == 2
    np.testing.assert_allclose(
        [s.position for s in model.steps],
        [model.peaks[0].position, model.peaks[2].position],
    )
    assert model.steps[1].height == pytest.approx(0.5 * model.steps[0].height)
    assert all(s.height > 3 * s.height_error for s in model.steps)


def test_srtio3_200kv_four_peaks_automatic_order(srtio3_200kv):
    energy, x = srtio3_200kv
    est = ESPRITPeaks(energy=energy, edge_steps=2, max_peaks=8).fit(x[None])
    peaks = est.decompose(x)
    _assert_near(peaks, [454.06, 456.24, 459.08, 461.44], 0.35)
    # crystal-field and spin-orbit splittings with their errors
    cf = peaks[1].position - peaks[0].position
    cf_err = np.hypot(peaks[1].position_error, peaks[0].position_error)
    assert 1.8 < cf < 2.6 and 0 < cf_err < 0.2


def test_srtio3_300kv_two_white_lines(shared_data):
    # about 1 eV resolution: only the L3 and L2 lines (maxima 461.0, 466.1)
    energy, x = _edge(
        shared_data, "srtio3_core_loss.msa", (420.0, 452.0), (452.0, 476.0)
    )
    for steps in (2, "auto"):
        est = ESPRITPeaks(energy=energy, edge_steps=steps, max_peaks=8)
        _assert_near(est.fit(x[None]).decompose(x), [461.0, 466.1], 0.5)


def _lsmo(shared_data, name, window):
    energy, counts, _ = read_msa(shared_data / "eels" / f"lsmo_mn_l23_{name}.msa")
    keep = (energy >= window[0]) & (energy <= window[1])
    energy, x = energy[keep], counts[keep]
    est = ESPRITPeaks(energy=energy, edge_steps=2, max_peaks=8).fit(x[None])
    model = est.decompose(x, full=True)
    # the two steps belong to the L3 and the L2 line
    return [s.position for s in model.steps]


def test_lsmo_mn_l23_follows_the_valence(shared_data):
    # the spectra are background-free; film and vacancies share one
    # instrument and calibration (Titan, 300 kV), the brownmillerite was
    # measured on another (ARM, 200 kV) with its axis about 6 eV higher
    film = _lsmo(shared_data, "film", (636.0, 670.0))
    vac = _lsmo(shared_data, "oxygen_vacancies", (636.0, 670.0))
    bm = _lsmo(shared_data, "brownmillerite", (646.0, 676.0))
    # L3 moves to lower energy as Mn is reduced (same calibration)
    assert vac[0] < film[0] - 1.0
    # the L3-L2 separation, free of the calibration, grows as Mn is reduced
    # (brownmillerite Mn ~2.3+ < vacancies < film ~3.3+)
    split = [s[1] - s[0] for s in (bm, vac, film)]
    assert split[0] > split[1] > split[2]
