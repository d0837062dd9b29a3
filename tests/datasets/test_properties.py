"""make_property_spectra: the properties are written into the spectra as stated."""

import numpy as np
import pytest

from skspectra.datasets import make_property_spectra
from skspectra.datasets._properties import _EDGE, _NATOLI, _clean_spectra
from skspectra.preprocessing import add_background, broaden_spectra, shift_spectra

MIDDLE = {
    "bond_length": 2.0,
    "bond_angle": 150.0,
    "ionicity": 0.5,
    "transition_energy": 2.5,
    "coordination": 6.0,
    "disorder": 0.004,
}
E = np.linspace(522.0, 572.0, 2001)


def _spectrum(**changes):
    props = {k: np.array([changes.get(k, v)], dtype=float) for k, v in MIDDLE.items()}
    return _clean_spectra(E, props)[0]


def _centre_moved_by(name, value, near, half_width=2.0):
    """Where the line that ``name`` moves is centred, from the spectrum alone.

    The derivative of a Gaussian line with respect to its position changes
    sign at the centre; as the derivative of the spectrum with respect to
    the property, it is found by a central difference.
    """
    h = 1e-6 * value
    d = _spectrum(**{name: value + h}) - _spectrum(**{name: value - h})
    window = np.flatnonzero(np.abs(E - near) < half_width)
    sign = d[window] >= 0
    k = window[np.flatnonzero(sign[:-1] != sign[1:])]
    assert k.size == 1, k
    k = int(k[0])
    return float(E[k] - d[k] * (E[k + 1] - E[k]) / (d[k + 1] - d[k]))


def test_shapes_ranges_and_reproducibility():
    a = make_property_spectra(300, random_state=0)
    b = make_property_spectra(300, random_state=0)
    assert a.data.shape == (300, 200) and a.target.shape == (300, 6)
    np.testing.assert_array_equal(a.data, b.data)
    for j, name in enumerate(a.target_names):
        low, high = a.property_ranges[name]
        assert low <= a.target[:, j].min() and a.target[:, j].max() <= high
    assert np.all(a.data > 0)
    # the properties are drawn independently
    corr = np.corrcoef(a.target.T)
    assert np.all(np.abs(corr[np.triu_indices(6, 1)]) < 0.2)


@pytest.mark.parametrize("name", list(MIDDLE))
def test_every_property_changes_the_spectrum(name):
    low, high = make_property_spectra(1).property_ranges[name]
    assert np.abs(_spectrum(**{name: low}) - _spectrum(**{name: high})).max() > 0.05


@pytest.mark.parametrize("d", [1.9, 2.2])
def test_bond_length_moves_the_second_resonance_by_natolis_rule(d):
    expected = _EDGE + _NATOLI / d**2
    assert abs(_centre_moved_by("bond_length", d, expected) - expected) < 0.02


@pytest.mark.parametrize("t", [1.5, 3.5])
def test_transition_energy_moves_the_pre_edge_line(t):
    expected = _EDGE - t
    found = _centre_moved_by("transition_energy", t, expected, half_width=1.0)
    assert abs(found - expected) < 0.02
    # and nothing else: above the edge the spectra are the same
    a, b = _spectrum(transition_energy=t), _spectrum(transition_energy=t + 0.5)
    np.testing.assert_allclose(a[E > _EDGE + 3], b[E > _EDGE + 3], atol=1e-6)


def test_measured_is_shift_broadening_background_and_poisson():
    # at a huge count level the noise vanishes and the measured spectra are
    # the recorded perturbations applied to the clean ones
    data = make_property_spectra(50, measured=True, counts=1e12, random_state=3)
    nuisance = data.nuisance
    assert np.all(np.abs(nuisance.shift) <= 1.5)
    assert np.all((nuisance.broadening >= 0.2) & (nuisance.broadening <= 0.8))
    start, end = nuisance.background.T
    assert np.all((start > 0) & (end <= start) & (start <= 0.1))
    X = shift_spectra(data.clean, nuisance.shift, energy=data.energy)
    X = broaden_spectra(X, nuisance.broadening, energy=data.energy)
    X = add_background(X, start, end, energy=data.energy, kind="power_law")
    np.testing.assert_allclose(data.data, X, atol=1e-5)
    # the same seed gives the same clean spectra with or without measuring
    clean = make_property_spectra(50, random_state=3)
    np.testing.assert_array_equal(clean.data, data.clean)


def test_poisson_noise_of_the_measured_spectra():
    data = make_property_spectra(
        400, measured=True, max_shift=0.0, broadening=(0, 0), background=None,
        counts=200.0, random_state=0,
    )  # fmt: skip
    resid = data.data - data.clean
    np.testing.assert_allclose(resid.var() / data.clean.mean(), 1 / 200, rtol=0.05)


def test_bad_broadening_is_named():
    with pytest.raises(ValueError, match="broadening must be a \\(low, high\\)"):
        make_property_spectra(5, measured=True, broadening=(0.8, 0.2))
    with pytest.raises(ValueError, match="wider than the spectrum"):
        make_property_spectra(5, measured=True, broadening=(60.0, 80.0))
