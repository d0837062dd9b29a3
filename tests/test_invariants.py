"""Invariants every estimator of skspectra keeps, checked in one place.

scikit-learn's common checks (tests/test_common.py) see estimators through
generic data; these checks use small valid spectra for each estimator and
test what a spectroscopy user relies on:

* the input arrays (``X``, ``y`` and the ``energy`` parameter) are left
  unchanged, and read-only input works;
* fitting twice gives identical results;
* lists are accepted where arrays are, with the same result;
* ``energy=None`` means the channel index: the same result as
  ``energy=np.arange(n_channels)``;
* an ``energy`` of the wrong length is rejected with an error naming it.

A new estimator must be given a case in ``CASES``; the suite fails until it is.
"""

import numpy as np
import pytest
from sklearn.base import clone

from skspectra.datasets import (
    make_descriptor_spectra,
    make_lorentzian_peaks,
    make_xanes_series,
)
from skspectra.decomposition import PoissonNMF, SparseNMF
from skspectra.metrics import MetricEmbedding
from skspectra.neighbors import SimilarityKNNClassifier, SimilarityKNNEstimator
from skspectra.neural_network import SpectrumPropertyRegressor
from skspectra.peaks import ESPRITPeaks
from skspectra.pipeline import SpectralPipeline, make_spectral_pipeline
from skspectra.preprocessing import (
    EdgeAligner,
    EnergyCrop,
    PoissonNoise,
    PowerLawBackground,
    RandomBackground,
    RandomBroadening,
    RandomShift,
    SavitzkyGolay,
    SpatialBinning,
    SpectrumNormalizer,
    XANESNormalizer,
)
from skspectra.search import TransferGaussianProcessRegressor
from skspectra.tree import SpectralDendrogramTree
from skspectra.utils.discovery import all_estimators

# the cases are small and short: stopping at max_iter is expected
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

N_CHANNELS = 60
_XANES = make_xanes_series(12, N_CHANNELS, noise=200.0, random_state=0)
XANES = _XANES["data"]
VALENCE = _XANES["valence"]
PEAKS = make_lorentzian_peaks(
    4, n_channels=N_CHANNELS, n_peaks=(1, 3), width_range=(1.5, 3.0), random_state=0
)[0]
DESCRIPTORS, DESCRIBED, _ = make_descriptor_spectra(
    30, n_channels=N_CHANNELS, noise=0.0, random_state=0
)
_CHANNEL = np.arange(1.0, N_CHANNELS + 1)
# descriptors and energies of a small surrogate-model problem (no spectra)
_SITES = np.random.default_rng(0).uniform(0.0, 1.0, size=(25, 2))
_ENERGIES = np.sin(6.0 * _SITES[:, 0]) + _SITES[:, 1] ** 2


def _axis(energy):
    """The channel energies an estimator sees: the channel index for None."""
    return np.arange(N_CHANNELS, dtype=np.float64) if energy is None else energy


def _nth(energy, i):
    return float(np.asarray(_axis(energy), dtype=np.float64)[i])


def _power_law_case(energy):
    """An edge on a power-law background; None is the channel number 1..n."""
    axis = _CHANNEL if energy is None else np.asarray(energy, dtype=np.float64)
    X = np.outer(np.linspace(1e5, 2e5, 8), axis**-3.0) + 0.02 * (axis >= axis[40])
    fit_range = (float(axis[10]), float(axis[35]))
    return PowerLawBackground(energy=energy, fit_range=fit_range), X, None


# each case: energy -> (estimator, X, y); parameters given in energy units are
# taken from the axis, so that None and the channel index give the same ones
CASES = {
    MetricEmbedding: lambda E: (
        MetricEmbedding(metric="wasserstein", energy=E),
        XANES,
        None,
    ),
    PoissonNMF: lambda E: (
        PoissonNMF(n_components=2, max_iter=20, random_state=0, energy=E),
        XANES,
        None,
    ),
    SparseNMF: lambda E: (
        SparseNMF(n_components=2, max_iter=20, random_state=0, energy=E),
        XANES,
        None,
    ),
    ESPRITPeaks: lambda E: (ESPRITPeaks(max_peaks=4, energy=E), PEAKS, None),
    SimilarityKNNClassifier: lambda E: (
        SimilarityKNNClassifier(n_neighbors=3, metric="wasserstein", energy=E),
        XANES,
        np.round(VALENCE).astype(int),
    ),
    SimilarityKNNEstimator: lambda E: (
        SimilarityKNNEstimator(n_neighbors=3, metric="wasserstein", energy=E),
        XANES,
        VALENCE,
    ),
    # fitted on descriptors; the energy axis is that of the spectra (y)
    SpectralDendrogramTree: lambda E: (
        SpectralDendrogramTree(
            n_clusters=3,
            linkage="average",
            metric="wasserstein",
            energy=E,
            random_state=0,
        ),
        DESCRIPTORS,
        DESCRIBED,
    ),
    SpectrumPropertyRegressor: lambda E: (
        SpectrumPropertyRegressor(
            hidden_layer_sizes=(8,),
            n_estimators=2,
            max_iter=5,
            max_shift=_nth(E, 1) - _nth(E, 0),
            random_state=0,
            energy=E,
        ),
        XANES,
        VALENCE,
    ),
    EdgeAligner: lambda E: (EdgeAligner(energy=E), XANES, None),
    # twelve spectra on a 3 x 4 grid, binned 2 x 2 (partial border blocks kept)
    SpatialBinning: lambda E: (
        SpatialBinning(factor=2, image_shape=(3, 4)),
        XANES,
        None,
    ),
    EnergyCrop: lambda E: (
        EnergyCrop(energy=E, e_min=_nth(E, 10), e_max=_nth(E, 40)),
        XANES,
        None,
    ),
    # the energy goes to the crop; the later steps receive the cropped axis
    SpectralPipeline: lambda E: (
        make_spectral_pipeline(
            EnergyCrop(e_min=_nth(E, 10), e_max=_nth(E, 40)),
            SavitzkyGolay(window_length=7, polyorder=2, deriv=1),
            SpectrumNormalizer(norm="area"),
            energy=E,
        ),
        XANES,
        None,
    ),
    PowerLawBackground: lambda E: _power_law_case(E),
    SavitzkyGolay: lambda E: (
        SavitzkyGolay(window_length=7, polyorder=2, deriv=1, energy=E),
        XANES,
        None,
    ),
    SpectrumNormalizer: lambda E: (
        SpectrumNormalizer(norm="area", energy=E),
        XANES,
        None,
    ),
    XANESNormalizer: lambda E: (XANESNormalizer(energy=E), XANES, None),
    # a surrogate on structural descriptors: it has no energy axis
    TransferGaussianProcessRegressor: lambda E: (
        TransferGaussianProcessRegressor(random_state=0),
        _SITES,
        _ENERGIES,
    ),
    RandomShift: lambda E: (
        RandomShift(max_shift=_nth(E, 3) - _nth(E, 0), energy=E, random_state=0),
        XANES,
        None,
    ),
    RandomBroadening: lambda E: (
        RandomBroadening(
            max_broadening=_nth(E, 3) - _nth(E, 0), energy=E, random_state=0
        ),
        XANES,
        None,
    ),
    RandomBackground: lambda E: (
        RandomBackground(kind="linear", energy=E, random_state=0),
        XANES,
        None,
    ),
    # counting noise has no energy axis; the energy invariants do not apply
    PoissonNoise: lambda E: (PoissonNoise(counts=1e3, random_state=0), XANES, None),
}

# the documented meaning of energy=None where it is not the channel index
DEFAULT_AXIS = {
    # a power law needs positive abscissae: None is the channel number 1..n
    PowerLawBackground: _CHANNEL,
}

# the axis the invariants other than the None one run on: not the index
ENERGY = 7000.0 + 0.5 * np.arange(N_CHANNELS)

ESTIMATORS = [cls for _, cls in all_estimators()]
# the energy invariants hold for the estimators that take an energy axis
# (an estimator without a case is reported by test_every_estimator_has_a_case)
WITH_ENERGY = [
    cls
    for cls in ESTIMATORS
    if cls in CASES and "energy" in CASES[cls](None)[0].get_params(deep=False)
]


def _id(cls):
    return cls.__name__


def _result(estimator, X):
    """What a fitted estimator gives for ``X``: its transform or prediction."""
    if hasattr(estimator, "transform"):
        return estimator.transform(X)
    return estimator.predict(X)


def _fit_result(estimator, X, y):
    estimator = clone(estimator)
    estimator.fit(X) if y is None else estimator.fit(X, y)
    return _result(estimator, X)


def _assert_same(a, b):
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_every_estimator_has_a_case():
    missing = [cls.__name__ for cls in ESTIMATORS if cls not in CASES]
    stale = [cls.__name__ for cls in CASES if cls not in ESTIMATORS]
    assert not missing, f"add {missing} to CASES in tests/test_invariants.py"
    assert not stale, f"CASES has entries for no discovered estimator: {stale}"


@pytest.mark.parametrize("cls", ESTIMATORS, ids=_id)
def test_input_left_unchanged_and_read_only_input_works(cls):
    energy = ENERGY.copy()
    estimator, X, y = CASES[cls](energy)
    X = X.copy()
    y = None if y is None else y.copy()
    before = [X.copy(), energy.copy()] + ([] if y is None else [y.copy()])
    expected = _fit_result(estimator, X, y)
    after = [X, energy] + ([] if y is None else [y])
    for old, new in zip(before, after, strict=True):
        _assert_same(new, old)
    for arr in after:
        arr.setflags(write=False)  # any write raises
    _assert_same(_fit_result(estimator, X, y), expected)


@pytest.mark.parametrize("cls", ESTIMATORS, ids=_id)
def test_repeated_fits_identical(cls):
    estimator, X, y = CASES[cls](ENERGY)
    fit = (lambda: estimator.fit(X)) if y is None else (lambda: estimator.fit(X, y))
    first = _result(fit(), X)
    second = _result(fit(), X)
    _assert_same(second, first)


@pytest.mark.parametrize("cls", ESTIMATORS, ids=_id)
def test_list_input_accepted(cls):
    estimator, X, y = CASES[cls](ENERGY)
    expected = _fit_result(estimator, X, y)
    listed, _, _ = CASES[cls](ENERGY.tolist())
    fitted = clone(listed)
    fitted.fit(X.tolist()) if y is None else fitted.fit(X.tolist(), y.tolist())
    np.testing.assert_allclose(_result(fitted, X.tolist()), expected, rtol=1e-12)


@pytest.mark.parametrize("cls", WITH_ENERGY, ids=_id)
def test_energy_none_is_the_channel_index(cls):
    index = DEFAULT_AXIS.get(cls, np.arange(N_CHANNELS, dtype=np.float64))
    by_none = _fit_result(*CASES[cls](None))
    by_index = _fit_result(*CASES[cls](index))
    np.testing.assert_allclose(by_none, by_index, rtol=1e-12, atol=0)


@pytest.mark.parametrize("cls", WITH_ENERGY, ids=_id)
def test_wrong_length_energy_rejected(cls):
    estimator, X, y = CASES[cls](ENERGY)
    estimator.set_params(energy=ENERGY[:-1])
    message = rf"energy\b.*\b{N_CHANNELS - 1}\b.*\b{N_CHANNELS}\b"
    with pytest.raises(ValueError, match=message):
        estimator.fit(X) if y is None else estimator.fit(X, y)
