"""Standard errors of ESPRITPeaks against the scatter over noise draws."""

import numpy as np
import pytest

from skspectra.datasets import make_edge_peaks, make_lorentzian_peaks
from skspectra.peaks import ESPRITPeaks

# noise draws: the scatter of a standard deviation from n draws is about
# 1 / sqrt(2 n) of it (3 % here), well inside the 20 % asked for
N_DRAWS = 500


def _scatter_and_errors(est, clean, noise_std, k, seed):
    rng = np.random.default_rng(seed)
    X = clean[None] + noise_std * rng.standard_normal((N_DRAWS, clean.size))
    out = est.fit(X).transform(X)
    M = est.max_peaks
    ok = out[:, -1] == k
    assert ok.mean() > 0.98
    values = out[ok, : 3 * k]
    errors = out[ok, 3 * M : 3 * M + 3 * k]
    return values.std(axis=0), np.median(errors, axis=0)


@pytest.mark.parametrize("snr", [50, 200])
def test_edge_model_errors_match_the_scatter(snr):
    _, truth = make_edge_peaks(1, 512, lines_per_edge=2, random_state=11)
    clean = truth.X_clean[0]
    est = ESPRITPeaks(edge_steps=2, max_peaks=6)
    scatter, errors = _scatter_and_errors(
        est, clean, clean.max() / snr, truth.n_peaks[0], seed=snr
    )
    # position, half-width and area of every peak
    np.testing.assert_allclose(errors, scatter, rtol=0.2)


def test_plain_model_errors_match_the_scatter():
    _, truth = make_lorentzian_peaks(
        1, 256, n_peaks=3, width_range=(3.0, 6.0), random_state=12
    )
    clean = truth.X_clean[0]
    est = ESPRITPeaks(max_peaks=4)
    scatter, errors = _scatter_and_errors(est, clean, clean.max() / 100, 3, seed=1)
    np.testing.assert_allclose(errors, scatter, rtol=0.2)


def test_errors_scale_with_the_noise_and_not_with_a_gain():
    X, _ = make_edge_peaks(3, 512, snr=100, random_state=13)
    est = ESPRITPeaks(edge_steps=2, max_peaks=6).fit(X)
    out = est.transform(X)
    scaled = est.transform(1000.0 * X)
    M = est.max_peaks
    # positions and widths keep their errors, areas scale with the gain
    np.testing.assert_allclose(
        scaled[:, 3 * M : 6 * M : 3], out[:, 3 * M : 6 * M : 3], rtol=1e-6
    )
    np.testing.assert_allclose(
        scaled[:, 3 * M + 2 : 6 * M : 3],
        1000.0 * out[:, 3 * M + 2 : 6 * M : 3],
        rtol=1e-6,
    )
