"""make_xanes_series: shapes, determinism, noise level, physics."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
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


@pytest.mark.parametrize("edge", ["K", "L23"])
@pytest.mark.parametrize("snr", [5.0, 20.0, 100.0])
def test_gaussian_noise_has_the_requested_snr(snr, edge):
    d = make_xanes_series(
        n_samples=200, n_channels=256, edge=edge, noise=snr, random_state=0
    )
    noise = d.data - d.noiseless
    rms = np.sqrt(np.mean(d.noiseless**2, axis=1))
    measured = rms / noise.std(axis=1)
    # 256 channels per spectrum: the std estimate is good to ~5 %, the mean
    # over 200 spectra to well under 1 %
    assert np.mean(measured) == pytest.approx(snr, rel=0.02)
    assert abs(np.mean(noise)) < 3 * np.mean(rms / snr) / np.sqrt(noise.size)


@pytest.mark.parametrize("edge", ["K", "L23"])
def test_poisson_counts(edge):
    c = 400.0
    d = make_xanes_series(n_samples=100, edge=edge, counts=c, random_state=1)
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


# make_xanes_series(3, 16, noise=20.0, random_state=0) before the L2,3 edge
K_PINNED_TARGET = [3.0976270078546495, 1.362207957492242]
K_PINNED_DATA = [
    0.0356318277306579,
    0.030810891053239163,
    0.14685004404280128,
    0.10486502387301219,
]
K_PINNED_SUM = 36.693074993388265


def test_k_edge_output_is_pinned():
    # the K edge is the default and its spectra for a seed do not change
    d = make_xanes_series(n_samples=3, n_channels=16, noise=20.0, random_state=0)
    np.testing.assert_allclose(d.target[0], K_PINNED_TARGET, rtol=1e-12)
    np.testing.assert_allclose(d.data[0, :4], K_PINNED_DATA, rtol=1e-10)
    np.testing.assert_allclose(d.data.sum(), K_PINNED_SUM, rtol=1e-10)
    explicit = make_xanes_series(
        n_samples=3,
        n_channels=16,
        noise=20.0,
        random_state=0,
        edge="K",
        energy_range=(7095.0, 7165.0),
        edge_energy=7112.0,
        resolution=1.0,
    )
    np.testing.assert_array_equal(explicit.data, d.data)


# L2,3 edge: a toy crystal-field model of the 2p -> 3d white lines


def _l23(valence, crystal_field, **kw):
    """One noiseless L2,3 spectrum on a fine grid, no calibration offset."""
    params = dict(
        n_samples=1,
        n_channels=4001,
        edge="L23",
        valence_range=(valence, valence),
        crystal_field_range=(crystal_field, crystal_field),
        energy_shift=0.0,
        resolution=0.0,
        random_state=0,
    )
    d = make_xanes_series(**{**params, **kw})
    return d.energy, d.noiseless[0], d.edge_position[0]


def _maxima(energy, spectrum, lo, hi):
    w = (energy > lo) & (energy < hi)
    e, s = energy[w], spectrum[w]
    k = np.flatnonzero((s[1:-1] > s[:-2]) & (s[1:-1] > s[2:])) + 1
    return e[k]


def test_l23_shapes_defaults_and_normalisation():
    d = make_xanes_series(n_samples=20, n_channels=300, edge="L23", random_state=0)
    assert d.data.shape == (20, 300) and d.target.shape == (20, 2)
    assert d.target_names == ["valence", "crystal_field"]
    np.testing.assert_array_equal(
        d.target, np.column_stack([d.valence, d.crystal_field])
    )
    np.testing.assert_allclose(d.energy[[0, -1]], [630.0, 670.0])
    assert np.all(d.data >= 0.0)
    # unit edge jump far above L2; the white lines stand well above it
    np.testing.assert_allclose(d.data[:, -1], 1.0, atol=0.03)
    assert np.all(d.data.max(axis=1) > 2.0)
    # the L3 centroid lies at 640 eV + 1.5 eV per valence (+ 0.2 eV offset)
    resid = d.edge_position - (640.0 + 1.5 * (d.valence - 2.0))
    assert np.all(np.abs(resid) < 1.0) and 0.05 < resid.std() < 0.4
    X, y = make_xanes_series(
        n_samples=20, n_channels=300, edge="L23", random_state=0, return_X_y=True
    )
    np.testing.assert_array_equal(X, d.data)
    np.testing.assert_array_equal(y, d.target)


def test_l23_deterministic_for_a_seed():
    a = make_xanes_series(n_samples=5, edge="L23", noise=30.0, random_state=3)
    b = make_xanes_series(n_samples=5, edge="L23", noise=30.0, random_state=3)
    c = make_xanes_series(n_samples=5, edge="L23", noise=30.0, random_state=4)
    np.testing.assert_array_equal(a.data, b.data)
    np.testing.assert_array_equal(a.target, b.target)
    assert not np.array_equal(a.data, c.data)
    # the same draws as the K edge: the targets do not depend on the edge
    k = make_xanes_series(n_samples=5, noise=30.0, random_state=3)
    np.testing.assert_array_equal(a.target, k.target)


@given(
    valence=st.floats(2.0, 4.0),
    crystal_field=st.floats(1.0, 2.5),
)
def test_l23_white_lines_split_by_10dq(valence, crystal_field):
    # with no instrumental broadening, each white line shows a t2g and an eg
    # peak 10Dq apart (Lorentzians 0.8 eV wide barely pull them together)
    energy, s, e3 = _l23(valence, crystal_field)
    peaks = _maxima(energy, s, e3 - 4.0, e3 + 4.0)
    assert len(peaks) == 2
    assert np.diff(peaks)[0] == pytest.approx(crystal_field, abs=0.08)
    # barycentre convention: t2g at -4Dq, eg at +6Dq from the L3 centroid
    assert peaks[0] == pytest.approx(e3 - 0.4 * crystal_field, abs=0.08)


def test_l23_splitting_is_visible_at_the_default_resolution():
    kw = dict(resolution=0.3, n_channels=256)
    for crystal_field, n_peaks in ((0.0, 1), (2.0, 2)):
        energy, s, e3 = _l23(3.0, crystal_field, **kw)
        assert len(_maxima(energy, s, e3 - 4.0, e3 + 4.0)) == n_peaks


@pytest.mark.parametrize("spin_orbit", [6.0, 11.0])
def test_l23_lines_move_with_valence_and_sit_spin_orbit_apart(spin_orbit):
    valences = np.linspace(2.0, 4.0, 9)
    l3, l2 = [], []
    for v in valences:
        energy, s, e3 = _l23(v, 0.0, spin_orbit=spin_orbit)
        l3.append(energy[np.argmax(s)])
        w = np.abs(energy - e3 - spin_orbit) < 3.0
        l2.append(energy[w][np.argmax(s[w])])
    l3, l2 = np.array(l3), np.array(l2)
    assert np.all(np.diff(l3) > 0)
    assert np.polyfit(valences, l3, 1)[0] == pytest.approx(1.5, abs=0.02)
    # the L2 peak sits on the rising L2 step: pushed up by < 0.1 eV
    np.testing.assert_allclose(l2 - l3, spin_orbit, atol=0.1)


@pytest.mark.parametrize("valence", [2.0, 3.0, 4.0])
def test_l23_intensities_follow_d_holes_and_branching_ratio(valence):
    # the white-line area is 1.2 eV per d hole (n_d = 7 - v), L3 takes
    # 0.80 - 0.05 (v - 2) of it, and the steps are 2/3 and 1/3
    energy, s, e3 = _l23(valence, 0.0, n_channels=40001, energy_range=(440.0, 840.0))
    e2 = e3 + 11.0
    step = sum(
        h * (0.5 + np.arctan((energy - c) / (0.5 * g)) / np.pi)
        for h, c, g in ((2 / 3, e3, 0.8), (1 / 3, e2, 1.6))
    )
    lines = s - step
    de = energy[1] - energy[0]
    area = lines.sum() * de
    holes = 10.0 - (7.0 - valence)
    # Lorentzian tails beyond +-200 eV hold ~0.3 % of the area
    assert area == pytest.approx(1.2 * holes, rel=0.01)
    l3_share = lines[energy < 0.5 * (e3 + e2)].sum() * de / area
    assert l3_share == pytest.approx(0.80 - 0.05 * (valence - 2.0), abs=0.02)
    # Lorentzian FWHM 0.8 eV for L3, 1.6 eV for L2 (shorter-lived hole)
    for centre, fwhm in ((e3, 0.8), (e2, 1.6)):
        w = np.abs(energy - centre) < 3.0
        above = energy[w][lines[w] >= 0.5 * lines[w].max()]
        assert above[-1] - above[0] == pytest.approx(fwhm, abs=0.03)


def test_l23_t2g_weight_follows_the_empty_states():
    # high-spin d5 (valence 2): 3 empty t2g, 2 empty eg; d3 (valence 4): 3, 4
    from skspectra.datasets._xanes import _d_holes

    np.testing.assert_allclose(_d_holes(5.0), (3.0, 2.0))
    np.testing.assert_allclose(_d_holes(4.0), (3.0, 3.0))
    np.testing.assert_allclose(_d_holes(3.0), (3.0, 4.0))
    np.testing.assert_allclose(_d_holes(0.0), (6.0, 4.0))
    np.testing.assert_allclose(_d_holes(10.0), (0.0, 0.0))


def test_l23_crystal_field_survives_noise_unlike_the_k_edge():
    # 10Dq splits the strong white lines: neighbours read it at SNR 20,
    # where on the K edge (a split pre-edge a tenth of the jump) they cannot
    l23 = make_xanes_series(600, 200, edge="L23", noise=20, random_state=5)
    k = make_xanes_series(600, 200, noise=20, random_state=5)
    r2_l23 = _knn_r2(l23.data, l23.target)
    assert r2_l23[1] > 0.95 and r2_l23[0] > 0.85
    assert _knn_r2(k.data, k.target)[1] < 0.3


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
    with pytest.raises(ValueError, match="edge"):
        make_xanes_series(edge="M45")
    with pytest.raises(ValueError, match="spin_orbit"):
        make_xanes_series(edge="L23", spin_orbit=0.0)
