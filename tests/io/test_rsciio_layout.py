"""The rosettasciio path of read_spectrum: axes as HyperSpy lays them out,
refusals with their reason, and missing packages named.

A stand-in plugin returns datasets shaped as rosettasciio returns them, so
the layout logic is tested without binary files.
"""

import builtins
import sys
import types

import numpy as np
import pytest

from skspectra.io import SUPPORTED_EXTENSIONS, SpectrumFileError, _read, read_spectrum

_PLUGIN = "skspectra_test_stand_in_plugin"


def _axis(name, size, navigate, index, scale=1.0, offset=0.0, units=""):
    return {
        "name": name,
        "size": size,
        "navigate": navigate,
        "index_in_array": index,
        "scale": scale,
        "offset": offset,
        "units": units,
    }


@pytest.fixture
def plugin(tmp_path, monkeypatch):
    """Make ``.dm4`` files read by a stand-in returning ``plugin.items``."""
    module = types.ModuleType(_PLUGIN)
    module.items = []

    def file_reader(filename, **kwargs):
        if isinstance(module.items, Exception):
            raise module.items
        return module.items

    module.file_reader = file_reader
    monkeypatch.setitem(sys.modules, _PLUGIN, module)
    monkeypatch.setitem(_read._RSCIIO_PLUGINS, ".dm4", _PLUGIN)
    module.path = tmp_path / "x.dm4"
    module.path.write_bytes(b"stand-in")
    return module


def _dm_spectrum_image(ny=3, nx=4, n=50):
    # as rosettasciio's DigitalMicrograph plugin returns a spectrum image:
    # energy first in the array, flagged as navigation, with post-processing
    # steps that ask HyperSpy to make it the signal axis and squeeze
    data = np.arange(n * ny * nx, dtype=np.float32).reshape(n, ny, nx)
    axes = [
        _axis("Energy loss", n, True, 0, scale=0.5, offset=300.0, units="eV"),
        _axis("y", ny, False, 1, units="nm"),
        _axis("x", nx, False, 2, units="nm"),
    ]
    steps = [lambda s: s.to_signal1D(optimize=True), lambda s: s.squeeze()]
    return {"data": data, "axes": axes, "metadata": {}, "post_process": steps}


def test_dm_spectrum_image_is_navigation_first_energy_last(plugin):
    item = _dm_spectrum_image()
    plugin.items = [item]
    energy, intensity, header = read_spectrum(plugin.path)
    assert intensity.shape == (3, 4, 50)
    np.testing.assert_array_equal(intensity[2, 1], item["data"][:, 2, 1])
    np.testing.assert_array_equal(energy, 300.0 + 0.5 * np.arange(50))
    assert header["energy_units"] == "eV"
    assert [a["name"] for a in header["navigation_axes"]] == ["y", "x"]
    assert header["signal_axis"]["name"] == "Energy loss"


def test_without_post_processing_the_same_flags_are_an_image_stack(plugin):
    item = _dm_spectrum_image()
    del item["post_process"]
    plugin.items = [item]
    with pytest.raises(SpectrumFileError, match="2 signal axes make an image"):
        read_spectrum(plugin.path)


def test_squeeze_drops_length_one_axes(plugin):
    plugin.items = [_dm_spectrum_image(ny=1, nx=5)]
    _, intensity, header = read_spectrum(plugin.path)
    assert intensity.shape == (5, 50)
    assert [a["name"] for a in header["navigation_axes"]] == ["x"]


def test_signal_axis_is_the_last_in_array_order(plugin):
    # axes listed out of array order, the energy flagged as signal
    data = np.random.default_rng(0).random((2, 3, 40))
    axes = [
        _axis("E", 40, False, 2, scale=2.0, offset=10.0, units="eV"),
        _axis("y", 2, True, 0),
        _axis("x", 3, True, 1),
    ]
    plugin.items = [{"data": data, "axes": axes, "metadata": {}}]
    energy, intensity, header = read_spectrum(plugin.path)
    np.testing.assert_array_equal(intensity, data)
    np.testing.assert_array_equal(energy, 10.0 + 2.0 * np.arange(40))
    assert [a["name"] for a in header["navigation_axes"]] == ["y", "x"]


def test_without_navigate_flags_record_by_decides(plugin):
    data = np.ones((3, 20))
    axes = [_axis("x", 3, None, 0), _axis("E", 20, None, 1, units="keV")]
    metadata = {"Signal": {"record_by": "spectrum"}}
    plugin.items = [{"data": data, "axes": axes, "metadata": metadata}]
    energy, intensity, header = read_spectrum(plugin.path)
    assert intensity.shape == (3, 20) and header["energy_units"] == "keV"
    metadata["Signal"]["record_by"] = "image"
    with pytest.raises(SpectrumFileError, match="make an image"):
        read_spectrum(plugin.path)


def test_negative_scale_is_reversed_to_increasing_energy(plugin):
    data = np.array([[1.0, 2.0, 3.0]])
    axes = [_axis("y", 1, True, 0), _axis("E", 3, False, 1, scale=-1.0, offset=5.0)]
    plugin.items = [{"data": data, "axes": axes, "metadata": {}}]
    energy, intensity, _ = read_spectrum(plugin.path)
    np.testing.assert_array_equal(energy, [3.0, 4.0, 5.0])
    np.testing.assert_array_equal(intensity, [[3.0, 2.0, 1.0]])


def test_non_uniform_axis(plugin):
    axis = {"name": "E", "navigate": False, "axis": np.array([1.0, 2.0, 4.0])}
    plugin.items = [{"data": np.ones(3), "axes": [axis], "metadata": {}}]
    energy, _, _ = read_spectrum(plugin.path)
    np.testing.assert_array_equal(energy, [1.0, 2.0, 4.0])


@pytest.mark.parametrize(
    "data, reason",
    [
        (np.ones(4, dtype=np.complex128), r"complex \(complex128\)"),
        (np.ones(4, dtype=[(c, "u1") for c in "RGBA"]), "R/G/B/A colour values"),
        (np.ones(4, dtype=bool), "data of type bool"),
    ],
)
def test_non_spectral_data_are_refused_with_the_reason(plugin, data, reason):
    plugin.items = [{"data": data, "axes": [_axis("x", 4, False, 0)]}]
    with pytest.raises(SpectrumFileError, match=reason):
        read_spectrum(plugin.path)
    with pytest.raises(SpectrumFileError, match=rf"{reason}.*\(dataset 0\)"):
        read_spectrum(plugin.path, signal_index=0)


def test_first_spectral_dataset_is_chosen(plugin):
    image = {
        "data": np.ones((4, 4)),
        "axes": [_axis("y", 4, False, 0), _axis("x", 4, False, 1)],
    }
    spectrum = {
        "data": np.ones((2, 8)),
        "axes": [_axis("y", 2, True, 0), _axis("E", 8, False, 1)],
    }
    plugin.items = [image, spectrum]
    _, intensity, header = read_spectrum(plugin.path)
    assert intensity.shape == (2, 8)
    assert header["signal_index"] == 1 and header["n_datasets"] == 2
    with pytest.raises(
        SpectrumFileError, match=r"image, not a spectrum .*\(dataset 0\)"
    ):
        read_spectrum(plugin.path, signal_index=0)
    plugin.items = [image, image]
    with pytest.raises(SpectrumFileError, match="none of its 2 datasets is a spectrum"):
        read_spectrum(plugin.path)


def test_unknown_post_processing_is_refused(plugin):
    item = _dm_spectrum_image()
    item["post_process"] = [lambda s: s.as_signal2D((0, 1))]
    plugin.items = [item]
    with pytest.raises(SpectrumFileError, match="post-processing step"):
        read_spectrum(plugin.path)


def test_reader_failure_is_one_line(plugin):
    plugin.items = TypeError("file is not SFS container\nsecond line")
    with pytest.raises(SpectrumFileError) as info:
        read_spectrum(plugin.path)
    message = str(info.value)
    assert "\n" not in message
    assert "rosettasciio cannot read it as a .dm4 file" in message
    assert "TypeError: file is not SFS container second line" in message


def test_missing_file_is_an_os_error(plugin):
    with pytest.raises(FileNotFoundError, match="absent.dm4: no such file"):
        read_spectrum(plugin.path.with_name("absent.dm4"))


@pytest.mark.parametrize(
    "module, package, install",
    [
        ("h5py", "h5py", 'pip install "skspectra[io]"'),
        ("rsciio.hspy", "rosettasciio", 'pip install "skspectra[io]"'),
        ("sparse", "sparse", "pip install sparse"),
    ],
)
def test_missing_package_is_named(plugin, module, package, install):
    plugin.items = ModuleNotFoundError(f"No module named {module!r}", name=module)
    with pytest.raises(ImportError) as info:
        read_spectrum(plugin.path)
    assert f"needs the Python package {package!r}" in str(info.value)
    assert install in str(info.value)


def test_hyperspy_extensions_are_known():
    for ext in (".hspy", ".hdf5", ".spx", ".eds", ".dm3", ".dm4", ".bcf", ".emd"):
        assert ext in SUPPORTED_EXTENSIONS


def test_hspy_file_written_by_rosettasciio(tmp_path):
    pytest.importorskip("h5py", reason="h5py (the io extra) is absent")
    hspy = pytest.importorskip("rsciio.hspy", reason="rosettasciio is absent")
    data = np.random.default_rng(1).random((2, 3, 16))
    axes = [
        _axis("y", 2, True, 0),
        _axis("x", 3, True, 1),
        _axis("Energy", 16, False, 2, scale=0.01, offset=0.1, units="keV"),
    ]
    signal = {
        "data": data,
        "axes": axes,
        "metadata": {"General": {"title": "t"}, "Signal": {"signal_type": "EDS_TEM"}},
        "original_metadata": {},
        "attributes": {"_lazy": False},
        "tmp_parameters": {},
        "package_info": {"name": "", "version": ""},
        "learning_results": {},
        "models": {},
    }
    for ext in (".hspy", ".hdf5"):
        path = tmp_path / f"s{ext}"
        hspy.file_writer(str(path), signal)
        energy, intensity, header = read_spectrum(path)
        np.testing.assert_array_equal(intensity, data)
        np.testing.assert_allclose(energy, 0.1 + 0.01 * np.arange(16))
        assert header["energy_units"] == "keV"


def test_missing_h5py_is_named_not_rosettasciio(tmp_path, monkeypatch):
    pytest.importorskip("rsciio", reason="rosettasciio is absent")
    real_import = builtins.__import__

    def no_h5py(name, *args, **kwargs):
        if name == "h5py" or name.startswith("h5py."):
            raise ModuleNotFoundError("No module named 'h5py'", name="h5py")
        return real_import(name, *args, **kwargs)

    for mod in [m for m in sys.modules if m.startswith(("h5py", "rsciio.hspy"))]:
        monkeypatch.delitem(sys.modules, mod)
    monkeypatch.setattr(builtins, "__import__", no_h5py)
    path = tmp_path / "s.hspy"
    path.write_bytes(b"")
    with pytest.raises(ImportError, match="needs the Python package 'h5py'"):
        read_spectrum(path)
