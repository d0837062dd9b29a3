"""The HyperSpy adapter: unfolding, results with the signal's class, metadata
and axes, and HyperSpy's own decomposition with skspectra's estimators.

HyperSpy and exspy are optional for a user, but the test extra installs them:
in CI (``CI`` set) a missing one fails here instead of skipping.
"""

import os

import numpy as np
import pytest

if os.environ.get("CI"):
    import exspy
    import hyperspy.api as hs
else:
    hs = pytest.importorskip(
        "hyperspy.api", reason="HyperSpy is optional; the adapter is tested where it is"
    )
    exspy = pytest.importorskip("exspy", reason="exspy is optional (EDS/EELS classes)")

from skspectra.hyperspy import (
    components_to_signal,
    from_signal,
    maps_to_signal,
    spectra_to_signal,
)


def _image(lazy=False):
    rng = np.random.default_rng(0)
    s = hs.signals.Signal1D(rng.random((3, 4, 16)))
    ax = s.axes_manager.signal_axes[0]
    ax.scale, ax.offset, ax.units, ax.name = 0.5, 100.0, "eV", "Energy loss"
    for nav, name in zip(s.axes_manager.navigation_axes, ["x", "y"], strict=True):
        nav.name, nav.units, nav.scale = name, "nm", 2.0
    return s.as_lazy() if lazy else s


@pytest.mark.parametrize("lazy", [False, True])
def test_from_signal_unfolds_in_c_order(lazy):
    s = _image(lazy)
    image = from_signal(s)
    assert image.navigation_shape == (3, 4)
    np.testing.assert_allclose(image.energy, 100.0 + 0.5 * np.arange(16))
    X = np.asarray(image.X)
    data = np.asarray(s.data)
    np.testing.assert_array_equal(X[1 * 4 + 2], data[1, 2])
    if lazy:
        import dask.array as da

        assert isinstance(image.X, da.Array)


def test_results_keep_the_axes():
    s = _image()
    image = from_signal(s)
    comps = components_to_signal(np.ones((2, 16)), like=s)
    assert comps.axes_manager.signal_axes[0].units == "eV"
    assert comps.axes_manager.signal_axes[0].offset == 100.0
    assert comps.axes_manager.navigation_shape == (2,)
    maps = maps_to_signal(np.arange(24.0).reshape(12, 2), like=s)
    assert isinstance(maps, hs.signals.Signal2D)
    assert maps.data.shape == (2, 3, 4)
    assert {ax.units for ax in maps.axes_manager.signal_axes} == {"nm"}
    np.testing.assert_array_equal(
        maps.data[1], np.arange(24.0).reshape(12, 2)[:, 1].reshape(3, 4)
    )
    back = spectra_to_signal(np.asarray(image.X) * 2, like=s)
    np.testing.assert_allclose(back.data, s.data * 2)
    assert back.axes_manager.signal_axes[0].scale == 0.5


def test_decomposition_through_the_adapter():
    from sklearn.decomposition import NMF

    s = _image()
    image = from_signal(s)
    nmf = NMF(n_components=2, max_iter=500, random_state=0).fit(image.X)
    maps = maps_to_signal(nmf.transform(image.X), like=s)
    comps = components_to_signal(nmf.components_, like=s)
    assert maps.data.shape == (2, 3, 4) and comps.data.shape == (2, 16)


def test_errors():
    s = _image()
    with pytest.raises(TypeError, match="expected a HyperSpy signal"):
        from_signal(np.zeros((3, 4)))
    with pytest.raises(ValueError, match="one signal axis"):
        from_signal(hs.signals.Signal2D(np.zeros((3, 4, 5))))
    with pytest.raises(ValueError, match="must have shape"):
        components_to_signal(np.ones((2, 15)), like=s)
    with pytest.raises(ValueError, match="must have shape"):
        maps_to_signal(np.ones((11, 2)), like=s)
    with pytest.raises(ValueError, match="must have shape"):
        spectra_to_signal(np.ones((12, 15)), like=s)


# ------------------------------------------------ class, metadata and axes
# the energy axis of the measured SEM-EDS image of the shared data (keV)
EDS_OFFSET, EDS_SCALE, EDS_CHANNELS = -0.47225277, 0.009999, 2048


def _eds_image(shape=(4, 5), seed=0):
    """An EDSSEMSpectrum with an instrument, a sample and original metadata."""
    rng = np.random.default_rng(seed)
    s = exspy.signals.EDSSEMSpectrum(rng.poisson(3.0, (*shape, EDS_CHANNELS)) * 1.0)
    ax = s.axes_manager.signal_axes[0]
    ax.offset, ax.scale, ax.units, ax.name = EDS_OFFSET, EDS_SCALE, "keV", "Energy"
    for nav, name in zip(s.axes_manager.navigation_axes, ["x", "y"], strict=True):
        nav.name, nav.units, nav.scale = name, "µm", 0.25
    s.set_microscope_parameters(beam_energy=20.0, live_time=1.5)
    s.add_elements(["Si", "O"])
    s.original_metadata.add_dictionary({"Hardware": {"detector": "XFlash 6|30"}})
    s.metadata.General.title = "mineral"
    return s


def _axes(signal):
    manager = signal.axes_manager
    axes = [*manager.navigation_axes, *manager.signal_axes]
    return sorted(axes, key=lambda ax: ax.index_in_array)


def _same_axes(a, b):
    for x, y in zip(_axes(a), _axes(b), strict=True):
        assert (x.name, x.units, x.size, x.navigate) == (
            y.name,
            y.units,
            y.size,
            y.navigate,
        )
        np.testing.assert_allclose(x.axis, y.axis)


def test_spectra_to_signal_keeps_class_metadata_and_axes():
    s = _eds_image()
    image = from_signal(s)
    back = spectra_to_signal(np.asarray(image.X) + 1.0, like=s)
    assert type(back) is type(s)
    assert back.metadata.Signal.signal_type == "EDS_SEM"
    assert back.metadata.Acquisition_instrument.SEM.beam_energy == 20.0
    assert back.metadata.Sample.elements == ["O", "Si"]
    assert back.original_metadata.Hardware.detector == "XFlash 6|30"
    assert back.metadata.General.title == "mineral"
    _same_axes(back, s)
    np.testing.assert_allclose(back.data, s.data + 1.0)
    # exspy's methods work on the result as on the original
    back.add_elements(["Fe"])
    assert back.metadata.Sample.elements == ["Fe", "O", "Si"]
    back.add_lines()
    assert "Si_Ka" in back.metadata.Sample.xray_lines
    # the original is left as it was
    assert s.metadata.Sample.elements == ["O", "Si"]


def test_spectra_to_signal_keeps_an_eels_class():
    s = exspy.signals.EELSSpectrum(np.ones((3, 40)))
    s.set_microscope_parameters(beam_energy=300, collection_angle=10)
    back = spectra_to_signal(np.zeros((3, 40)), like=s, title="model")
    assert type(back).__name__ == "EELSSpectrum"
    assert back.metadata.Acquisition_instrument.TEM.beam_energy == 300
    assert back.metadata.General.title == "model"


def test_lazy_spectra_give_a_lazy_signal_of_the_same_kind():
    s = _eds_image().as_lazy()
    image = from_signal(s)
    back = spectra_to_signal(image.X * 2, like=s)
    assert type(back).__name__ == "LazyEDSSEMSpectrum"
    np.testing.assert_allclose(np.asarray(back.data), 2 * np.asarray(s.data))


def test_components_keep_the_class_and_the_lines():
    s = _eds_image()
    comps = components_to_signal(np.ones((3, EDS_CHANNELS)), like=s)
    assert type(comps) is type(s)
    assert comps.axes_manager.navigation_shape == (3,)
    assert comps.metadata.Sample.elements == ["O", "Si"]
    assert comps.metadata.General.title == "components"
    np.testing.assert_allclose(
        comps.axes_manager.signal_axes[0].axis, s.axes_manager.signal_axes[0].axis
    )


def test_components_on_another_axis_than_like_raise_naming_the_offset():
    """HyperSpy's isig keeps the channel below 0.2 keV, EnergyCrop the one
    above it: the same number of channels, one channel apart."""
    from skspectra.preprocessing import EnergyCrop

    s = _eds_image()
    cropped = s.isig[0.2:10.0]
    start = cropped.axes_manager.signal_axes[0].axis[0]
    assert start == pytest.approx(0.1977, abs=1e-4)
    image = from_signal(s)
    crop = EnergyCrop(energy=image.energy, e_min=0.2, e_max=10.0).fit(image.X)
    assert crop.energy_out_[0] == pytest.approx(0.2077, abs=1e-4)
    n = cropped.axes_manager.signal_axes[0].size
    assert crop.energy_out_.size == n  # the count alone cannot tell them apart
    energy = crop.energy_out_
    components = np.ones((2, n))
    with pytest.raises(
        ValueError,
        match=r"channel 0 is at 0\.207679 keV .* at 0\.19768 keV .*\+1\.00 channels",
    ):
        components_to_signal(components, like=cropped, energy=energy)
    with pytest.raises(ValueError, match="another energy axis"):
        spectra_to_signal(np.ones((20, n)), like=cropped, energy=energy)
    # the axis of the same crop passes, and a wrong count is named
    components_to_signal(components, like=cropped, energy=from_signal(cropped).energy)
    with pytest.raises(ValueError, match="energy has 3 channels"):
        components_to_signal(components, like=cropped, energy=[0.1, 0.2, 0.3])


def test_rounding_of_a_stored_axis_is_not_an_offset():
    s = _eds_image()
    energy = from_signal(s).energy * (1 + 1e-7)
    components_to_signal(np.ones((1, EDS_CHANNELS)), like=s, energy=energy)


# ------------------------------------------- HyperSpy's own decomposition
@pytest.mark.parametrize("name", ["SparseNMF", "PoissonNMF"])
def test_hyperspy_decomposition_with_skspectra_estimators(name):
    """``s.decomposition(algorithm=...)`` gives the components that the
    estimator finds on the unfolded data, and HyperSpy's factors keep the
    signal's class."""
    from sklearn.base import clone

    from skspectra import decomposition
    from skspectra.datasets import make_spectrum_image

    X, truth = make_spectrum_image(
        n_components=3,
        shape=(12, 12),
        n_channels=200,
        counts_per_pixel=400,
        random_state=0,
    )
    s = exspy.signals.EDSSEMSpectrum(X.astype(np.float64))
    est = getattr(decomposition, name)(n_components=3, max_iter=200, random_state=0)
    s.decomposition(algorithm=clone(est), print_info=False)
    direct = clone(est)
    maps = direct.fit_transform(from_signal(s).X)
    factors = s.learning_results.factors.T
    np.testing.assert_allclose(factors, direct.components_, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(s.learning_results.loadings, maps, rtol=1e-10)
    got = s.get_decomposition_factors()
    assert type(got).__name__ == "EDSSEMSpectrum"
    assert got.axes_manager.navigation_shape == (3,)
    # the components found are those of the image, not noise
    from skspectra.metrics import pairwise_spectral_distances

    d = pairwise_spectral_distances(factors, truth.components, metric="cosine")
    assert np.all(d.min(axis=1) < 0.05)
