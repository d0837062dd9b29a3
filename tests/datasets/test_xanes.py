"""make_xanes_series: shapes, determinism, noise level, physics."""

import numpy as np
import pytest
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsRegressor

from skspectra.datasets import make_xanes_series


def test_shapes_and_ranges():
    d = make_xanes_series(n_samples=7, n_channels=90, random_state=0)
    assert d.data.shape == (7, 90) and d.noiseless.shape == (7, 90)
    assert d.target.shape == (7, 2) and d.energy.shape == (90,)
    assert d.target_names == ["valence", "crystal_field"]
    np.testing.assert_array_equal(d.target[:, 0], d.valence)
    np.testing.assert_array_equal(d.target[:, 1], d.crystal_field)
    assert np.all((d.valence >= 2.0) & (d.valence <= 4.0))
    assert np.all((d.crystal_field >= 0.0) & (d.crystal_field <= 2.5))
    np.testing.assert_allclose(d.energy[[0, -1]], [7095.0, 7165.0])
    X, y = make_xanes_series(
        n_samples=7, n_channels=90, random_state=0, return_X_y=True
    )
    np.testing.assert_array_equal(X, d.data)
    np.testing.assert_array_equal(y, d.target)
    # normalised to a unit edge jump, non-negative without noise
    assert np.all(d.data >= 0.0)
    np.testing.assert_allclose(d.data[:, -1], 1.0, atol=0.05)


def test_deterministic_for_a_seed():
    a = make_xanes_series(n_samples=5, noise=30.0, random_state=3)
    b = make_xanes_series(n_samples=5, noise=30.0, random_state=3)
    c = make_xanes_series(n_samples=5, noise=30.0, random_state=4)
    np.testing.assert_array_equal(a.data, b.data)
    np.testing.assert_array_equal(a.target, b.target)
    assert not np.array_equal(a.data, c.data)


@pytest.mark.parametrize("snr", [5.0, 20.0, 100.0])
def test_gaussian_noise_has_the_requested_snr(snr):
    d = make_xanes_series(n_samples=200, n_channels=256, noise=snr, random_state=0)
    noise = d.data - d.noiseless
    rms = np.sqrt(np.mean(d.noiseless**2, axis=1))
    measured = rms / noise.std(axis=1)
    # 256 channels per spectrum: the std estimate is good to ~5 %, the mean
    # over 200 spectra to well under 1 %
    assert np.mean(measured) == pytest.approx(snr, rel=0.02)
    assert abs(np.mean(noise)) < 3 * np.mean(rms / snr) / np.sqrt(noise.size)


def test_poisson_counts():
    c = 400.0
    d = make_xanes_series(n_samples=100, counts=c, random_state=1)
    counts = d.data * c
    np.testing.assert_allclose(counts, np.round(counts), rtol=0, atol=1e-9)
    assert np.all(d.data >= 0.0)
    # Poisson: variance equals the mean
    var = np.var(counts - d.noiseless * c)
    assert var == pytest.approx(np.mean(d.noiseless * c), rel=0.05)


def _half_jump_energy(energy, spectrum):
    k = np.flatnonzero(spectrum >= 0.5)[0]
    e0, e1 = energy[k - 1], energy[k]
    s0, s1 = spectrum[k - 1], spectrum[k]
    return e0 + (0.5 - s0) * (e1 - e0) / (s1 - s0)


def test_edge_position_rises_with_valence():
    d = make_xanes_series(
        n_samples=40, n_channels=400, energy_shift=0.0, random_state=2
    )
    positions = np.array([_half_jump_energy(d.energy, s) for s in d.noiseless])
    order = np.argsort(d.valence)
    assert np.all(np.diff(positions[order]) > 0)
    assert np.all(np.diff(d.edge_position[order]) > 0)
    # about 3 eV per unit of valence
    slope = np.polyfit(d.valence, positions, 1)[0]
    assert slope == pytest.approx(3.0, rel=0.15)


def test_crystal_field_splits_the_pre_edge():
    kw = dict(n_samples=1, n_channels=700, valence_range=(3.0, 3.0), energy_shift=0.0)
    narrow = make_xanes_series(crystal_field_range=(0.0, 0.0), random_state=0, **kw)
    wide = make_xanes_series(crystal_field_range=(2.5, 2.5), random_state=0, **kw)
    window = (narrow.energy > 7100.0) & (narrow.energy < 7110.0)

    def n_maxima(s):
        s = s[window]
        return int(np.sum((s[1:-1] > s[:-2]) & (s[1:-1] > s[2:])))

    assert n_maxima(narrow.noiseless[0]) == 1
    assert n_maxima(wide.noiseless[0]) == 2


def _knn_r2(Z, y):
    Ztr, Zte, ytr, yte = train_test_split(Z, y, random_state=0)
    pred = KNeighborsRegressor(n_neighbors=3).fit(Ztr, ytr).predict(Zte)
    return 1 - ((pred - yte) ** 2).sum(0) / ((yte - yte.mean(0)) ** 2).sum(0)


def test_parameters_are_recoverable_by_neighbours():
    d = make_xanes_series(n_samples=600, n_channels=200, random_state=5)
    r2_raw = _knn_r2(d.data, d.target)
    assert r2_raw[0] > 0.95  # valence moves the whole edge
    # 10Dq only splits the small pre-edge: the shape (derivative) shows it
    r2_shape = _knn_r2(np.gradient(d.data, d.energy, axis=1), d.target)
    assert r2_shape[1] > 0.7
    assert r2_shape[1] > r2_raw[1] + 0.2
    # strong noise hides the pre-edge splitting: the task is not trivial
    noisy = make_xanes_series(n_samples=600, n_channels=200, noise=30, random_state=5)
    assert _knn_r2(noisy.data, noisy.target)[1] < 0.3


def test_bad_parameters():
    with pytest.raises(ValueError, match="either noise"):
        make_xanes_series(noise=10.0, counts=100.0)
    with pytest.raises(ValueError, match="valence_range"):
        make_xanes_series(valence_range=(4.0, 2.0))
    with pytest.raises(ValueError, match="crystal_field_range"):
        make_xanes_series(crystal_field_range=(-1.0, 2.0))
    with pytest.raises(ValueError, match="energy_range"):
        make_xanes_series(energy_range=(7100.0, 7100.0))
    with pytest.raises(ValueError, match="noise"):
        make_xanes_series(noise=0.0)
    with pytest.raises(ValueError, match="n_samples"):
        make_xanes_series(n_samples=0)
