"""The spectral objective and the synthetic problems."""

import numpy as np
import pytest

from skspectra.metrics import get_metric
from skspectra.preprocessing import EnergyCrop
from skspectra.search import (
    KrigingSearch,
    make_grain_boundary_landscape,
    make_spectral_objective,
)

ENERGY = np.linspace(525.0, 545.0, 201)


def _simulate(params):
    position, width = params
    return np.exp(-0.5 * ((ENERGY - position) / width) ** 2) + 0.2


@pytest.mark.parametrize("metric", ["cosine", "wasserstein", "euclidean"])
def test_zero_at_the_truth_and_the_metric_of_the_normalised_spectra(metric):
    measured = 3.0 * _simulate((532.0, 1.5))
    objective = make_spectral_objective(
        _simulate, measured, metric=metric, energy=ENERGY
    )
    assert objective((532.0, 1.5)) == pytest.approx(0.0, abs=1e-9)
    # unit-area spectra, then the metric on the energy axis
    other = _simulate((534.0, 1.5))
    area = np.trapezoid
    expected = get_metric(metric).func(
        other / area(other, ENERGY), measured / area(measured, ENERGY), ENERGY
    )
    assert objective((534.0, 1.5)) == pytest.approx(expected, rel=1e-9)


def test_a_spectrum_on_its_own_grid_is_resampled():
    measured = _simulate((532.0, 1.5))

    def simulate(params):
        grid = np.linspace(520.0, 550.0, 77)
        return grid, np.interp(grid, ENERGY, _simulate(params), left=0.2, right=0.2)

    objective = make_spectral_objective(simulate, measured, energy=ENERGY)
    assert objective((532.0, 1.5)) < 1e-4
    assert objective((536.0, 1.5)) > 1e-2


def test_a_crop_gives_the_metric_its_energy_axis():
    measured = _simulate((532.0, 1.5))
    crop = EnergyCrop(energy=ENERGY, e_min=528.0, e_max=540.0)
    objective = make_spectral_objective(
        _simulate, measured, metric="wasserstein", energy=ENERGY, preprocessing=crop
    )
    assert objective.metric_energy_[0] >= 528.0
    assert objective((532.0, 1.5)) == pytest.approx(0.0, abs=1e-12)


def test_kriging_fits_structure_parameters_to_a_spectrum():
    measured = _simulate((532.3, 1.2))
    positions, widths = np.meshgrid(
        np.linspace(528, 538, 41), np.linspace(0.6, 2.4, 10), indexing="ij"
    )
    candidates = np.column_stack([positions.ravel(), widths.ravel()])
    objective = make_spectral_objective(_simulate, measured, energy=ENERGY)
    search = KrigingSearch(candidates, n_initial=8, random_state=0)
    search.run(objective, 45, progress=False)
    np.testing.assert_allclose(candidates[search.best_index_], [532.25, 1.2])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"measured": [1.0]}, "one spectrum"),
        ({"measured": [1.0, np.nan, 2.0]}, "NaN"),
        ({"simulate": 3}, "simulate must be callable"),
        ({"preprocessing": "none"}, "'passthrough' or None"),
        ({"preprocessing": 3}, "must be a transformer"),
    ],
)
def test_bad_input(kwargs, match):
    args = {"simulate": _simulate, "measured": _simulate((532.0, 1.0)), **kwargs}
    with pytest.raises(ValueError, match=match):
        make_spectral_objective(**args)


def test_a_wrong_simulated_length_raises_for_the_search_to_record():
    objective = make_spectral_objective(
        lambda p: np.ones(5), _simulate((532.0, 1.0)), preprocessing="passthrough"
    )
    with pytest.raises(ValueError, match="simulate returned 5 channels"):
        objective((532.0, 1.0))


def test_the_landscape_family():
    X, E = make_grain_boundary_landscape((24, 24, 9))
    assert X.shape == (5184, 3)
    assert np.sum(E == E.min()) == 1
    X1, E1 = make_grain_boundary_landscape((24, 24, 9), task=1)
    np.testing.assert_array_equal(X, X1)
    # the minimum moves, but only a little (a few grid steps)
    step = np.abs(X[E.argmin()] - X1[E1.argmin()])
    assert 0 < step.max() <= 0.1
