import numpy as np
import pytest

hs = pytest.importorskip(
    "hyperspy.api", reason="HyperSpy is optional; the adapter is tested where it is"
)

from skspectra.hyperspy import (  # noqa: E402
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
