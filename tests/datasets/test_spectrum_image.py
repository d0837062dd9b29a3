"""Tests of make_spectrum_image."""

import numpy as np
import pytest

from skspectra.datasets import make_spectrum_image


def test_shapes_truth_and_counts():
    X, truth = make_spectrum_image(
        4,
        shape=(12, 10),
        n_channels=64,
        counts_per_pixel=300,
        noise=None,
        random_state=0,
    )
    assert X.shape == (12, 10, 64)
    assert truth.components.shape == (4, 64)
    assert truth.maps.shape == (12, 10, 4)
    np.testing.assert_allclose(truth.components.sum(axis=1), 1.0)
    np.testing.assert_allclose(truth.maps.sum(axis=-1), 300.0)
    np.testing.assert_allclose(X, truth.maps @ truth.components)
    np.testing.assert_array_equal(X, truth.X_noiseless)
    assert np.all(truth.components >= 0) and np.all(truth.maps >= 0)


def test_seeded_and_noise_models():
    a, ta = make_spectrum_image(3, n_channels=32, random_state=1)
    b, tb = make_spectrum_image(3, n_channels=32, random_state=1)
    np.testing.assert_array_equal(a, b)
    assert np.array_equal(a, np.round(a))  # Poisson counts are integers
    # Poisson: variance about the mean of the noiseless image
    resid = a - ta.X_noiseless
    assert abs(resid.var() / ta.X_noiseless.mean() - 1.0) < 0.1
    g, tg = make_spectrum_image(3, n_channels=32, noise="gaussian", random_state=1)
    resid = g - tg.X_noiseless
    assert abs(resid.var() / tg.X_noiseless.mean() - 1.0) < 0.1


def test_overlap_controls_mixing():
    purity = []
    for overlap in (0.0, 1.0):
        _, t = make_spectrum_image(3, shape=(32, 32), overlap=overlap, random_state=2)
        frac = t.maps / t.maps.sum(axis=-1, keepdims=True)
        purity.append(frac.max(axis=-1).mean())
    assert purity[0] > 0.9 > purity[1]


def test_energy_axis_and_kinds():
    energy = np.linspace(400.0, 900.0, 50)
    for kind in ("edge", "peak", "mixed"):
        X, t = make_spectrum_image(
            2, n_channels=50, energy=energy, kind=kind, random_state=3
        )
        np.testing.assert_array_equal(t.energy, energy)
        assert np.all(np.isfinite(X))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_components": 0}, "n_components"),
        ({"overlap": 2.0}, "overlap"),
        ({"noise": "laplace"}, "noise"),
        ({"counts_per_pixel": -1.0}, "counts_per_pixel"),
        ({"kind": "bump"}, "kind"),
        ({"energy": [1.0, 2.0]}, "energy"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_spectrum_image(**{"n_channels": 16, **kwargs})
