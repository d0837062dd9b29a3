"""SpectrumPropertyRegressor: calibrated standard deviations and their invariants."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.exceptions import ConvergenceWarning

from skspectra.datasets import make_property_spectra, make_xanes_series
from skspectra.neural_network import SpectrumPropertyRegressor
from skspectra.neural_network._regressor import _fit_variance_model

MEASURED_AUGMENTATION = dict(
    noise_snr=None,
    noise_counts=(200.0, 2000.0),
    max_shift=2.0,
    max_broadening=1.0,
    background="power_law",
)


def _fit(X, y, **params):
    base = dict(hidden_layer_sizes=(32,), n_estimators=3, max_iter=60, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return SpectrumPropertyRegressor(**{**base, **params}).fit(X, y)


@pytest.fixture(scope="module")
def calibrated():
    train = make_property_spectra(2000, n_channels=100, random_state=0)
    test = make_property_spectra(
        1000, n_channels=100, measured=True, background=None, random_state=1
    )
    model = _fit(
        train.data, train.target, hidden_layer_sizes=(64,), calibration_fraction=0.15,
        energy=train.energy, **MEASURED_AUGMENTATION,
    )  # fmt: skip
    return model, test


def test_95_percent_intervals_cover_measured_spectra(calibrated):
    # trained on clean spectra, tested on shifted, broadened, counted ones
    model, test = calibrated
    mean, std = model.predict(test.data, return_std=True)
    coverage = (np.abs(mean - test.target) <= 1.96 * std).mean(axis=0)
    assert np.all((coverage >= 0.9) & (coverage <= 0.99)), coverage


def test_calibrated_std_grows_out_of_distribution(calibrated):
    model, test = calibrated
    _, std_in = model.predict(test.data, return_std=True)
    # spectra of another kind: reversed in energy, and upside down
    ood = np.vstack([test.data[:200, ::-1], 2.5 - test.data[200:400]])
    _, std_out = model.predict(ood, return_std=True)
    ratio = np.median(std_out, axis=0) / np.median(std_in, axis=0)
    assert np.all(ratio > 2), ratio


def test_calibration_is_a_noise_level_and_a_factor_on_the_spread(calibrated):
    model, test = calibrated
    noise, factor = model.std_calibration_.T
    assert model.std_calibration_.shape == (6, 2)
    assert np.all(noise >= 0) and np.all(factor >= 0)
    mean, std = model.predict(test.data[:50], return_std=True)
    _, spread = model._mean_and_spread(test.data[:50])
    spread = spread * model.target_scale_
    expected = np.sqrt(noise**2 + (factor * spread) ** 2)
    expected *= model._inflation(test.data[:50])[:, None]
    np.testing.assert_allclose(std, expected, rtol=1e-10)
    # spectra like the training ones are rarely widened
    assert np.mean(model._inflation(test.data) > 1) < 0.05


@settings(max_examples=25, deadline=None)
@given(arrays(np.float64, (3, 100), elements=st.floats(-10, 10)))
def test_calibrated_std_is_finite_and_never_below_the_noise_level(calibrated, X):
    # whatever the spectrum, the std is the noise level a at least: the
    # spread term and the widening can only add to it
    model, _ = calibrated
    mean, std = model.predict(X, return_std=True)
    assert np.all(np.isfinite(mean)) and np.all(np.isfinite(std))
    assert np.all(std >= model.std_calibration_[:, 0] * (1 - 1e-12))


def test_without_calibration_nothing_is_held_out():
    data = make_xanes_series(200, 64, random_state=0)
    model = _fit(data.data, data.target, max_iter=3)
    assert model.std_calibration_ is None and model.residual_limit_ is None


def test_single_network_calibrated_std_is_the_noise_level():
    data = make_xanes_series(300, 64, random_state=0)
    model = _fit(data.data, data.target, n_estimators=1, calibration_fraction=0.2)
    _, std = model.predict(data.data[:20], return_std=True)
    noise = model.std_calibration_[:, 0]
    assert np.all(noise > 0)
    assert np.all(std >= noise - 1e-12)


def test_constant_target_stays_exact_with_calibration():
    data = make_xanes_series(120, 64, random_state=3)
    y = np.c_[np.full(120, 3.0), data.target[:, 0]]
    model = _fit(data.data, y, calibration_fraction=0.25, noise_snr=(5.0, 50.0))
    odd = data.data[:5, ::-1]  # far outside the training spectra
    for X in (data.data, odd):
        pred, std = model.predict(X, return_std=True)
        assert np.all(pred[:, 0] == 3.0) and np.all(std[:, 0] == 0.0)
        assert np.all(std[:, 1] > 0)


@settings(max_examples=60, deadline=None)
@given(
    arrays(np.float64, 30, elements=st.floats(0, 1e3)),
    arrays(np.float64, 30, elements=st.floats(0, 1e3)),
)
def test_variance_model_is_non_negative_and_no_worse_than_a_constant(r2, s2):
    a2, b2 = _fit_variance_model(r2, s2)
    assert np.isfinite(a2) and np.isfinite(b2) and a2 >= 0 and b2 >= 0
    if r2.mean() == 0:
        assert a2 == b2 == 0
        return

    def nll(a2, b2):
        var = a2 + b2 * s2 + r2.mean() * 1e-12
        return np.mean(np.log(var) + r2 / var)

    # the best constant variance is the mean squared residual
    assert nll(a2, b2) <= nll(r2.mean(), 0.0) + 1e-6


def test_variance_model_recovers_known_levels():
    rng = np.random.default_rng(0)
    s2 = rng.uniform(0, 4, 20000)
    r2 = rng.normal(scale=np.sqrt(0.5 + 2.0 * s2)) ** 2
    a2, b2 = _fit_variance_model(r2, s2)
    assert abs(a2 - 0.5) < 0.05 and abs(b2 - 2.0) < 0.1


def test_auto_calibrates_from_a_hundred_held_out_spectra():
    # "auto" holds out a tenth once that is at least 100 spectra, else none
    data = make_xanes_series(1000, 32, random_state=0)
    small = _fit(data.data[:999], data.target[:999], max_iter=2)
    assert small.std_calibration_ is None
    large = _fit(data.data, data.target, max_iter=2)
    explicit = _fit(data.data, data.target, max_iter=2, calibration_fraction=0.1)
    assert large.std_calibration_ is not None
    np.testing.assert_array_equal(large.std_calibration_, explicit.std_calibration_)
    np.testing.assert_array_equal(large.predict(data.data), explicit.predict(data.data))


def test_default_intervals_cover_measured_spectra():
    # the default calibration, with the augmentation of the nuisances
    train = make_property_spectra(2000, n_channels=100, random_state=2)
    test = make_property_spectra(
        1000, n_channels=100, measured=True, background=None, random_state=3
    )
    model = _fit(
        train.data, train.target, hidden_layer_sizes=(64,), energy=train.energy,
        **MEASURED_AUGMENTATION,
    )  # fmt: skip
    assert model.std_calibration_ is not None
    mean, std = model.predict(test.data, return_std=True)
    coverage = (np.abs(mean - test.target) <= 1.96 * std).mean(axis=0)
    assert np.all((coverage >= 0.9) & (coverage <= 0.99)), coverage
